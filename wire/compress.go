package wire

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// MySQL's compressed protocol (CLIENT_COMPRESS), which a client asks for
// in its handshake (mariadb -C, PDO::MYSQL_ATTR_COMPRESS, go-sql-driver
// compress=true) and which begins right after the login's OK. Every
// write is carried in frames: a 7-byte header (3 bytes the payload's
// length, 1 byte a sequence id of the frames', 3 bytes the length before
// compression, 0 when the payload is sent as it is) and a payload that
// holds the ordinary packets, headers and all, zlib-compressed on its
// own. Only the client side speaks it: servers are reached uncompressed.
//
// The frames' sequence ids run apart from the packets': a command's
// first frame is 0 and the answer's frames go on from the last frame
// read, so the next one written follows the last one read, as the server
// numbers them (net_serv.cc: compress_pkt_nr = ++pkt_nr on every read).

const (
	frameHeader = 7
	// minCompress: shorter payloads go as they are, as the server sends
	// them (MIN_COMPRESS_LENGTH): zlib would only make them longer.
	minCompress = 50
	// compressLevel is zlib's fastest: a proxy pays for every byte it
	// compresses on its own CPU, beside the server's and the client's,
	// and the level changes the size of typical result sets little.
	compressLevel = zlib.BestSpeed
)

// ErrBadFrame reports a compressed frame that cannot be read: its
// payload does not inflate to the length its header gives.
var ErrBadFrame = errors.New("malformed compressed packet")

// compressedConn speaks the compressed protocol over the connection
// under it (the socket, or TLS over it).
type compressedConn struct {
	net.Conn              // the connection under the compression
	r        io.Reader    // reads from Conn, after any bytes read ahead of the switch
	seq      byte         // sequence id of the next frame written
	in       []byte       // inflated bytes not yet read
	inBuf    bytes.Buffer // the buffer in points into, kept between frames
	raw      bytes.Buffer // a frame's payload as it came
	src      bytes.Reader // reads raw for the inflater
	out      bytes.Buffer // the frame being written
}

// zlib's state is large (a deflater at the fastest level holds some
// hundreds of KiB) and a connection needs it only while it compresses or
// inflates one frame, so connections share it: memory follows the frames
// in flight, not the compressed clients connected.
var (
	deflaters sync.Pool // *zlib.Writer
	inflaters sync.Pool // io.ReadCloser that is a zlib.Resetter
)

func newCompressedConn(lower net.Conn) *compressedConn {
	return &compressedConn{Conn: lower, r: lower}
}

// Read returns inflated bytes, reading the next frame when none are left.
func (c *compressedConn) Read(p []byte) (int, error) {
	for len(c.in) == 0 {
		if err := c.readFrame(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.in)
	c.in = c.in[n:]
	if len(c.in) == 0 && max(c.raw.Cap(), c.inBuf.Cap()) > keptFrame {
		c.raw, c.inBuf = bytes.Buffer{}, bytes.Buffer{} // a large packet's: not kept for the session's life
	}
	return n, nil
}

// keptFrame is the largest frame buffer a connection keeps between frames.
const keptFrame = 1 << 20

// readFrame reads one frame and makes its packets' bytes c.in. Memory
// grows with the bytes that come, not with what a header announces (up
// to 16 MiB each way); a payload that inflates to more or less than its
// header says is refused.
func (c *compressedConn) readFrame() error {
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return err // io.EOF between frames: the peer closed
	}
	size := int64(hdr[0]) | int64(hdr[1])<<8 | int64(hdr[2])<<16
	c.seq = hdr[3] + 1
	inflated := int64(hdr[4]) | int64(hdr[5])<<8 | int64(hdr[6])<<16
	c.raw.Reset()
	if n, err := c.raw.ReadFrom(io.LimitReader(c.r, size)); err != nil || n < size {
		return noEOF(cmp.Or(err, io.ErrUnexpectedEOF))
	}
	if inflated == 0 {
		c.in = c.raw.Bytes()
		return nil
	}
	if err := c.inflate(inflated); err != nil {
		return fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	return nil
}

// inflate decompresses c.raw, which must hold exactly n bytes.
func (c *compressedConn) inflate(n int64) error {
	c.src.Reset(c.raw.Bytes())
	var zr io.ReadCloser
	if pooled, ok := inflaters.Get().(io.ReadCloser); ok {
		if err := pooled.(zlib.Resetter).Reset(&c.src, nil); err != nil {
			inflaters.Put(pooled)
			return err
		}
		zr = pooled
	} else {
		fresh, err := zlib.NewReader(&c.src)
		if err != nil {
			return err
		}
		zr = fresh
	}
	defer inflaters.Put(zr)
	c.inBuf.Reset()
	// One byte over n tells a payload that inflates to more.
	got, err := c.inBuf.ReadFrom(io.LimitReader(zr, n+1))
	switch {
	case err != nil:
		return err // a bad checksum, a cut stream
	case got != n:
		return fmt.Errorf("the payload inflates to %d bytes where its header gives %d", got, n)
	}
	c.in = c.inBuf.Bytes()
	return nil
}

// Write sends p in frames of at most MaxPayload bytes before compression.
func (c *compressedConn) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), MaxPayload)]
		if err := c.writeFrame(chunk); err != nil {
			return written, err
		}
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}

// writeFrame sends chunk in one frame, compressed where that makes it
// shorter.
func (c *compressedConn) writeFrame(chunk []byte) error {
	c.out.Reset()
	c.out.Write(make([]byte, frameHeader))
	inflated := 0
	if len(chunk) >= minCompress {
		zw, ok := deflaters.Get().(*zlib.Writer)
		if ok {
			zw.Reset(&c.out)
		} else {
			zw, _ = zlib.NewWriterLevel(&c.out, compressLevel) // the level is valid
		}
		_, _ = zw.Write(chunk) // a bytes.Buffer takes every byte
		_ = zw.Close()
		zw.Reset(nil) // holds no connection's buffer while pooled
		deflaters.Put(zw)
		inflated = len(chunk)
		if c.out.Len()-frameHeader >= len(chunk) {
			c.out.Truncate(frameHeader) // incompressible: as it is
			inflated = 0
		}
	}
	if inflated == 0 {
		c.out.Write(chunk)
	}
	frame := c.out.Bytes()
	size := len(frame) - frameHeader
	frame[0], frame[1], frame[2] = byte(size), byte(size>>8), byte(size>>16)
	frame[3] = c.seq
	frame[4], frame[5], frame[6] = byte(inflated), byte(inflated>>8), byte(inflated>>16)
	c.seq++
	_, err := c.Conn.Write(frame)
	if c.out.Cap() > keptFrame {
		c.out = bytes.Buffer{} // a large packet's: not kept for the session's life
	}
	return err
}

// pending reports whether bytes of the client's were read and not yet
// taken.
func (c *compressedConn) pending() bool { return len(c.in) > 0 }

// NetConn is the connection under the compression.
func (c *compressedConn) NetConn() net.Conn { return c.Conn }

// noEOF turns an EOF inside a frame into io.ErrUnexpectedEOF: the frame
// was cut.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Compress turns on the compressed protocol for everything c reads and
// writes from now on: called once the login's OK is sent to a client
// that asked for it. Bytes the client sent ahead of the switch are read
// as frames.
func (c *Conn) Compress() {
	c.Reset(newCompressedConn(c.Unbuffered()))
}

// Compressed reports whether c speaks the compressed protocol.
func (c *Conn) Compressed() bool {
	_, ok := c.Conn.(*compressedConn)
	return ok
}
