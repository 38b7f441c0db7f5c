// Package wire is MySQL packet framing shared by the client-facing front end
// and the backend connections: buffered reads and writes of 4-byte-header
// packets, length-encoded values, and OK/ERR/EOF packets.
//
// Result packets are relayed without being decoded: a Conn exposes its
// buffered reader and writer so a relay can copy payloads straight through.
package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// MaxPayload is the largest payload of one physical packet; a logical packet
// of this size or more continues in the next physical packet.
const MaxPayload = 1<<24 - 1

// BufferSize is the read and write buffer of every connection: large enough
// that a typical result set is relayed in one syscall each way.
const BufferSize = 64 << 10

// ErrPacketTooLarge reports a logical packet over the connection's limit.
var ErrPacketTooLarge = errors.New("packet too large")

// Conn is a MySQL protocol connection with buffered I/O.
type Conn struct {
	net.Conn
	R *bufio.Reader
	W *bufio.Writer
	// Seq is the sequence id of the next packet to write.
	Seq byte
	// MaxPacket bounds logical packets read by ReadPacket (0 = no bound).
	MaxPacket int
	// NoDrain: a packet over MaxPacket is refused without reading its
	// payload, for a peer whose connection is closed right after (one not
	// logged in yet, who could announce 16 MB and send nothing).
	NoDrain bool
	// Peer, when set, is who is at the other end behind a load balancer
	// (its PROXY protocol header named it): RemoteAddr answers it.
	Peer net.Addr
	// Chain is set while the answer being written is one of several to
	// one command (see Chain); nil otherwise.
	Chain *Chain
	buf   []byte
	sock  *socketIO // nil unless a plain socket (not TLS)
	// partial: ReadPacket failed after taking part of a packet.
	partial bool
	// hdr holds the packet header being written: a local array handed to
	// W.Write would escape (bufio may pass it on to the socket) and be a
	// heap allocation per packet.
	hdr [4]byte
}

// NewConn wraps a network connection.
func NewConn(c net.Conn) *Conn {
	var rw io.ReadWriter = c
	s := newSocketIO(c)
	if s != nil {
		rw = s
	}
	w := bufio.NewWriterSize(rw, BufferSize)
	if s != nil {
		s.flush = w.Flush // made once: a method value per FlushAwaitReply would allocate
	}
	return &Conn{Conn: c, R: bufio.NewReaderSize(rw, BufferSize), W: w, sock: s}
}

// SetBusyPoll makes the connection's waits for its peer poll first, as p
// says (nil: never). A TLS connection sleeps at once: its reads go through
// crypto/tls, not the raw socket.
func (c *Conn) SetBusyPoll(p *BusyPoll) {
	if c.sock != nil {
		c.sock.poll = p
	}
}

// RemoteAddr is the peer's address: Peer when a load balancer named it,
// else the socket's.
func (c *Conn) RemoteAddr() net.Addr {
	if c.Peer != nil {
		return c.Peer
	}
	return c.Conn.RemoteAddr()
}

// Reset replaces the underlying connection (after a TLS upgrade) keeping buffers.
func (c *Conn) Reset(nc net.Conn) {
	c.Conn = nc
	c.sock = nil
	c.R.Reset(nc)
	c.W.Reset(nc)
}

// Unbuffered returns the network connection with any bytes already read
// into the buffer put back in front, for handing the stream to TLS: a client
// may send its TLS hello right behind the SSL request packet.
func (c *Conn) Unbuffered() net.Conn {
	n := c.R.Buffered()
	if n == 0 {
		return c.Conn
	}
	pending, _ := c.R.Peek(n)
	return &prefixedConn{Conn: c.Conn, pending: bytes.NewReader(append([]byte(nil), pending...))}
}

// prefixedConn reads the bytes put back first, then the connection.
type prefixedConn struct {
	net.Conn
	pending *bytes.Reader
}

func (p *prefixedConn) Read(b []byte) (int, error) {
	if p.pending.Len() > 0 {
		return p.pending.Read(b)
	}
	return p.Conn.Read(b)
}

// NetConn is the connection under the bytes put back.
func (p *prefixedConn) NetConn() net.Conn { return p.Conn }

// ReadHeader reads one packet header: the payload length and sequence id.
func (c *Conn) ReadHeader() (int, byte, error) {
	hdr, err := c.R.Peek(4)
	if err != nil {
		return 0, 0, err
	}
	n := int(uint32(hdr[0]) | uint32(hdr[1])<<8 | uint32(hdr[2])<<16)
	seq := hdr[3]
	_, _ = c.R.Discard(4)
	return n, seq, nil
}

// ReadPacket reads one logical packet, joining continuation packets. The
// returned slice is valid until the next ReadPacket call. Seq is set to follow
// the packet read, so a reply carries the right sequence id.
func (c *Conn) ReadPacket() ([]byte, error) {
	c.buf = c.buf[:0]
	c.partial = false
	for {
		n, seq, err := c.ReadHeader()
		if err != nil {
			return nil, err
		}
		c.partial = true
		c.Seq = seq + 1
		if c.MaxPacket > 0 && len(c.buf)+n > c.MaxPacket {
			// Drain what the peer sent so the error reply is not mixed into it.
			if !c.NoDrain {
				_, _ = c.R.Discard(n)
			}
			return nil, ErrPacketTooLarge
		}
		if err := c.readPayload(n); err != nil {
			return nil, fmt.Errorf("reading packet payload: %w", err)
		}
		if n < MaxPayload {
			c.partial = false
			return c.buf, nil
		}
	}
}

// payloadChunk is how much of a large payload is read before the buffer
// grows again.
const payloadChunk = 1 << 20

// readPayload appends n payload bytes to c.buf. A large payload grows the
// buffer as its bytes arrive, so a peer that announces a big packet and
// sends little makes Strata hold little.
func (c *Conn) readPayload(n int) error {
	end := len(c.buf) + n
	for n > 0 {
		k := min(n, payloadChunk)
		start := len(c.buf)
		if cap(c.buf)-start < k {
			// Double, so packets of growing sizes reuse the buffer; but a
			// large one never past its announced end: one that arrives
			// whole ends in a buffer of its own size.
			size := max(2*cap(c.buf), start+k)
			if end > payloadChunk {
				size = min(size, end)
			}
			nb := make([]byte, start, size)
			copy(nb, c.buf)
			c.buf = nb
		}
		c.buf = c.buf[:start+k]
		if _, err := io.ReadFull(c.R, c.buf[start:start+k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// Quiet reports whether the connection holds no byte of a packet not yet
// read whole: after a read interrupted while waiting for a packet, the
// stream can be handed to another reader as it is.
func (c *Conn) Quiet() bool {
	return !c.partial && c.R.Buffered() == 0 && c.W.Buffered() == 0 && !layersHoldBytes(c.Conn)
}

// layersHoldBytes reports whether a layer under the reader (the
// compression, the bytes put back at a switch to TLS or compression)
// holds bytes of the peer's not yet read.
func layersHoldBytes(nc net.Conn) bool {
	for {
		switch l := nc.(type) {
		case *compressedConn:
			if l.pending() {
				return true
			}
			nc = l.Conn
		case *prefixedConn:
			return l.pending.Len() > 0
		default:
			return false
		}
	}
}

// WritePacket writes a logical packet into the write buffer, splitting it
// into physical packets as the protocol requires. Call Flush to send.
func (c *Conn) WritePacket(payload []byte) error {
	for {
		n := len(payload)
		if n > MaxPayload {
			n = MaxPayload
		}
		if err := c.writeHeader(n); err != nil {
			return err
		}
		if _, err := c.W.Write(payload[:n]); err != nil {
			return err
		}
		payload = payload[n:]
		if n < MaxPayload {
			return nil
		}
	}
}

func (c *Conn) writeHeader(n int) error {
	c.hdr = [4]byte{byte(n), byte(n >> 8), byte(n >> 16), c.Seq}
	c.Seq++
	_, err := c.W.Write(c.hdr[:])
	return err
}

// WriteFlush writes a packet and sends the buffer.
func (c *Conn) WriteFlush(payload []byte) error {
	if err := c.WritePacket(payload); err != nil {
		return err
	}
	return c.W.Flush()
}

// FlushAwaitReply sends buffered packets that make a request and returns
// once the reply starts to arrive (or the wait fails: the next read says
// why). It saves the futile read(2) a reader would make right after
// sending; use it only for requests the peer answers. While busy polling
// it returns once the request is sent, and the next read polls for the
// answer with read(2) itself: a readiness check before that read would be
// one more system call per statement.
func (c *Conn) FlushAwaitReply() error { return c.FlushAwaitReplyFor(nil) }

// FlushAwaitReplyFor is FlushAwaitReply for a statement of shape h: busy
// polling for the answer follows h's record rather than the socket's
// (ReplyPoll). A nil h is FlushAwaitReply.
func (c *Conn) FlushAwaitReplyFor(h *ReplyPoll) error {
	if c.sock == nil || c.R.Buffered() > 0 {
		return c.W.Flush()
	}
	if c.sock.polling() {
		// The read that follows polls for the answer with read(2) itself,
		// following h's record: no readiness check before it.
		c.sock.answerDue, c.sock.reply = true, h
		return c.W.Flush()
	}
	return c.sock.flushAwaitRead()
}

// AwaitNextAfter makes the next wait for the peer's bytes (a client's next
// statement, once the answer to one of shape h went out) follow h's record
// as well as the socket's (ReplyPoll). Only that wait: a nil h, or a read
// that finds the bytes there, leaves nothing behind but this hint, which
// the next wait takes.
func (c *Conn) AwaitNextAfter(h *ReplyPoll) {
	if c.sock != nil {
		c.sock.next = h
	}
}

// Flush sends buffered packets.
func (c *Conn) Flush() error { return c.W.Flush() }

// SetDeadlineIn sets a read/write deadline d from now (0 clears it).
func (c *Conn) SetDeadlineIn(d time.Duration) {
	if d == 0 {
		_ = c.SetDeadline(time.Time{})
		return
	}
	_ = c.SetDeadline(time.Now().Add(d))
}
