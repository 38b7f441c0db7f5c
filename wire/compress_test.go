package wire

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"testing"
)

// bufConn is a net.Conn over buffers: reads come from in, writes go to out.
type bufConn struct {
	net.Conn
	in  *bytes.Reader
	out bytes.Buffer
}

func (b *bufConn) Read(p []byte) (int, error)  { return b.in.Read(p) }
func (b *bufConn) Write(p []byte) (int, error) { return b.out.Write(p) }

type frame struct {
	seq      byte
	size     int // payload length on the wire
	inflated int // 0: sent as it is
}

func frames(t *testing.T, wire []byte) []frame {
	t.Helper()
	var fs []frame
	for len(wire) > 0 {
		if len(wire) < frameHeader {
			t.Fatalf("a cut frame header: % x", wire)
		}
		f := frame{seq: wire[3], size: int(wire[0]) | int(wire[1])<<8 | int(wire[2])<<16, inflated: int(wire[4]) | int(wire[5])<<8 | int(wire[6])<<16}
		fs = append(fs, f)
		wire = wire[frameHeader+f.size:]
	}
	return fs
}

func TestCompressedWritesFramesAsAServerDoes(t *testing.T) {
	random := make([]byte, 4000)
	for i := range random {
		random[i] = byte(rand.Uint32())
	}
	tests := []struct {
		name       string
		payload    []byte
		compressed []bool // per frame
	}{
		{"short: as it is", []byte("SELECT 1"), []bool{false}},
		{"compressible", bytes.Repeat([]byte("row data "), 500), []bool{true}},
		{"incompressible: as it is", random, []bool{false}},
		{"over 16 MB: two frames", bytes.Repeat([]byte("x"), MaxPayload+100), []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			under := &bufConn{}
			c := newCompressedConn(under)
			c.seq = 3
			if n, err := c.Write(tt.payload); err != nil || n != len(tt.payload) {
				t.Fatalf("Write: %d, %v", n, err)
			}
			fs := frames(t, under.out.Bytes())
			if len(fs) != len(tt.compressed) {
				t.Fatalf("%d frames, want %d", len(fs), len(tt.compressed))
			}
			for i, f := range fs {
				if f.seq != byte(3+i) {
					t.Errorf("frame %d: sequence id %d, want %d", i, f.seq, 3+i)
				}
				if (f.inflated != 0) != tt.compressed[i] {
					t.Errorf("frame %d: compressed %v (%d bytes for %d), want %v", i, f.inflated != 0, f.size, f.inflated, tt.compressed[i])
				}
			}
			back := newCompressedConn(&bufConn{in: bytes.NewReader(under.out.Bytes())})
			got, err := io.ReadAll(back)
			if err != nil || !bytes.Equal(got, tt.payload) {
				t.Errorf("read back %d bytes (%v), want the %d written", len(got), err, len(tt.payload))
			}
		})
	}
}

// An answer's frames are numbered on from the client's last frame, as
// the server numbers them.
func TestCompressedAnswersFollowTheLastFrameRead(t *testing.T) {
	for _, seq := range []byte{0, 7} {
		src := &bufConn{}
		cw := newCompressedConn(src)
		cw.seq = seq
		_, _ = cw.Write([]byte("\x01\x00\x00\x00\x0e")) // COM_PING
		under := &bufConn{in: bytes.NewReader(src.out.Bytes())}
		c := newCompressedConn(under)
		if _, err := c.Read(make([]byte, 16)); err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("\x07\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00"))
		if fs := frames(t, under.out.Bytes()); len(fs) != 1 || fs[0].seq != seq+1 {
			t.Errorf("after a frame numbered %d the answer's frames are %+v, want one numbered %d", seq, fs, seq+1)
		}
	}
}

func compressedFrame(seq byte, declared int, payload []byte) []byte {
	f := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq, byte(declared), byte(declared >> 8), byte(declared >> 16)}
	return append(f, payload...)
}

func deflated(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	_, _ = w.Write(b)
	_ = w.Close()
	return out.Bytes()
}

// A frame that cannot be read is an error, never a hang, a panic or
// bytes the client did not send.
func TestCompressedRefusesBadFrames(t *testing.T) {
	good := deflated(bytes.Repeat([]byte("a"), 100))
	badSum := append([]byte(nil), good...)
	badSum[len(badSum)-1] ^= 0xff
	tests := []struct {
		name string
		wire []byte
		want error
	}{
		{"cut header", []byte{5, 0, 0}, io.ErrUnexpectedEOF},
		{"cut payload", compressedFrame(0, 0, []byte("abc"))[:8], io.ErrUnexpectedEOF},
		{"inflates to less than declared", compressedFrame(0, 200, good), ErrBadFrame},
		{"inflates to more than declared", compressedFrame(0, 50, good), ErrBadFrame},
		{"not zlib", compressedFrame(0, 100, []byte("plain text, not deflated")), ErrBadFrame},
		{"bad checksum", compressedFrame(0, 100, badSum), ErrBadFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCompressedConn(&bufConn{in: bytes.NewReader(tt.wire)})
			_, err := io.ReadAll(c)
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

// Through a Conn: packets written after Compress arrive whole, and a
// client whose next packet is inflated but not yet taken is not quiet
// (a handover would lose it).
func TestCompressedConnCarriesPackets(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	sc := NewConn(server)
	sc.Compress()
	// With its header the first packet fills the reader's buffer exactly,
	// so the second, in the same frame, stays in the inflated frame.
	long := bytes.Repeat([]byte("x"), BufferSize-4)
	packets := append([]byte{0xfc, 0xff, 0, 0}, long...)
	packets = append(packets, 1, 0, 0, 1, 0x0e)
	go func() { _, _ = newCompressedConn(client).Write(packets) }()
	got, err := sc.ReadPacket()
	if err != nil || !bytes.Equal(got, long) {
		t.Fatalf("first packet: %d bytes (%v), want %d", len(got), err, len(long))
	}
	if sc.Quiet() {
		t.Error("Quiet with the next packet inflated but not taken")
	}
	if got, err := sc.ReadPacket(); err != nil || !bytes.Equal(got, []byte("\x0e")) {
		t.Fatalf("second packet: % x (%v)", got, err)
	}
	if !sc.Quiet() || !sc.Compressed() {
		t.Errorf("after both packets: quiet %v, compressed %v", sc.Quiet(), sc.Compressed())
	}
}

// Whatever bytes a client sends as frames, reading them ends in bytes or
// an error: no panic, and no more memory than a frame's header allows.
func FuzzCompressedFramesReadSafely(f *testing.F) {
	f.Add(compressedFrame(0, 0, []byte("\x01\x00\x00\x00\x0e")))
	f.Add(compressedFrame(1, 100, deflated(bytes.Repeat([]byte("a"), 100))))
	f.Add(compressedFrame(2, 10, deflated(bytes.Repeat([]byte("a"), 100))))
	f.Add([]byte{0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, wire []byte) {
		c := newCompressedConn(&bufConn{in: bytes.NewReader(wire)})
		buf := make([]byte, 512)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
}

// Whatever is written comes back the same when read.
func FuzzCompressedRoundTrip(f *testing.F) {
	f.Add([]byte("SELECT 1"), uint8(0))
	f.Add(bytes.Repeat([]byte("abc"), 100), uint8(200))
	f.Fuzz(func(t *testing.T, payload []byte, seq uint8) {
		under := &bufConn{}
		w := newCompressedConn(under)
		w.seq = seq
		if _, err := w.Write(payload); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(newCompressedConn(&bufConn{in: bytes.NewReader(under.out.Bytes())}))
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("read back % x (%v), want % x", got, err, payload)
		}
	})
}

// What the compressed protocol costs Strata's CPU per 64 KiB of result
// rows (one write buffer's worth), compressed and then read back.
func BenchmarkCompressedFrames(b *testing.B) {
	var rows bytes.Buffer
	for i := 0; rows.Len() < BufferSize; i++ {
		fmt.Fprintf(&rows, "\x1e\x00\x00%c\x05%05d\x0bentry title\x0a2024-06-01", byte(i), i)
	}
	payload := rows.Bytes()[:BufferSize]
	under := &bufConn{}
	w := newCompressedConn(under)
	r := newCompressedConn(&bufConn{in: bytes.NewReader(nil)})
	out := make([]byte, BufferSize)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		under.out.Reset()
		if _, err := w.Write(payload); err != nil {
			b.Fatal(err)
		}
		r.r = bytes.NewReader(under.out.Bytes())
		if _, err := io.ReadFull(r, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(under.out.Len())/float64(len(payload)), "wire/raw")
}

// zlib's deflater holds over a MiB: connections share it, so memory
// follows the frames in flight, not the compressed clients connected.
func TestCompressedConnectionsShareZlibState(t *testing.T) {
	const conns = 200
	payload := bytes.Repeat([]byte("row data "), 200)
	frame := newCompressedConn(&bufConn{})
	_, _ = frame.Write(payload)
	wire := frame.Conn.(*bufConn).out.Bytes()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := make([]*compressedConn, conns)
	for i := range kept {
		c := newCompressedConn(&bufConn{in: bytes.NewReader(wire)})
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(c); err != nil {
			t.Fatal(err)
		}
		kept[i] = c
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(kept)
	if per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / conns; per > 64<<10 {
		t.Errorf("each compressed connection holds %d KiB after a frame each way, want its buffers only", per>>10)
	}
}

// Frames a client sent ahead of the switch to compression (pipelined
// behind its login) are read as frames, and while one waits unread the
// connection is not quiet (a handover would lose it).
func TestCompressedFramesSentAheadOfTheSwitch(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	var ahead bytes.Buffer
	w := newCompressedConn(&bufConn{})
	for _, packet := range [][]byte{{1, 0, 0, 0, 0x0e}, {2, 0, 0, 0, 0x02, 'x'}} {
		w.Conn.(*bufConn).out.Reset()
		w.seq = 0
		_, _ = w.Write(packet)
		ahead.Write(w.Conn.(*bufConn).out.Bytes())
	}
	go func() { _, _ = client.Write(ahead.Bytes()) }()
	sc := NewConn(server)
	if _, err := sc.R.Peek(ahead.Len()); err != nil { // read ahead, as a login's reads may
		t.Fatal(err)
	}
	sc.Compress()
	if got, err := sc.ReadPacket(); err != nil || !bytes.Equal(got, []byte{0x0e}) {
		t.Fatalf("first packet: % x (%v)", got, err)
	}
	if sc.Quiet() {
		t.Error("Quiet with a frame sent ahead of the switch not yet read")
	}
	if got, err := sc.ReadPacket(); err != nil || !bytes.Equal(got, []byte{0x02, 'x'}) {
		t.Fatalf("second packet: % x (%v)", got, err)
	}
	if !sc.Quiet() {
		t.Error("not Quiet after both packets")
	}
}
