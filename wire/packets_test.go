package wire

import (
	"bytes"
	"net"
	"testing"
)

func TestLenEncRoundTrip(t *testing.T) {
	for _, n := range []uint64{0, 1, 250, 251, 0xffff, 0x10000, 0xffffff, 0x1000000, 1 << 40} {
		b := AppendLenEnc(nil, n)
		got, w := ReadLenEnc(b)
		if got != n || w != len(b) {
			t.Errorf("ReadLenEnc(AppendLenEnc(%d)) = %d, %d bytes; want %d, %d", n, got, w, n, len(b))
		}
		if _, w := ReadLenEnc(b[:len(b)-1]); len(b) > 1 && w != 0 {
			t.Errorf("truncated lenenc %d decoded as %d bytes", n, w)
		}
	}
}

func TestOKRoundTrip(t *testing.T) {
	p := AppendOK(nil, HeaderOK, 300, 70000, StatusInTrans|StatusMoreResults, 2)
	ok, valid := ParseOK(p)
	if !valid || ok.AffectedRows != 300 || ok.LastInsertID != 70000 || ok.Status != StatusInTrans|StatusMoreResults || ok.Warnings != 2 {
		t.Fatalf("ParseOK = %+v, %v", ok, valid)
	}
	if _, valid := ParseOK(p[:3]); valid {
		t.Error("truncated OK parsed as valid")
	}
}

func TestErrRoundTrip(t *testing.T) {
	e := ParseErr(AppendErr(nil, NewError(ErBadDB, "Unknown database '%s'", "nope")))
	if e.Code != 1049 || e.State != "42000" || e.Message != "Unknown database 'nope'" {
		t.Fatalf("ParseErr = %+v", e)
	}
}

func TestIsEOF(t *testing.T) {
	if !IsEOF(AppendEOF(nil, 0, 0)) {
		t.Error("EOF packet not recognised")
	}
	row := append([]byte{0xfe}, make([]byte, 12)...) // a row whose first value is 8-byte-length encoded
	if IsEOF(row) {
		t.Error("row starting with 0xfe taken for EOF")
	}
}

// The EOF that ends a result set says how many warnings the statement
// left, which decides where a SHOW WARNINGS after it must run.
func TestEOFRoundTrip(t *testing.T) {
	warnings, status := ParseEOF(AppendEOF(nil, StatusAutocommit|StatusMoreResults, 3))
	if warnings != 3 || status != StatusAutocommit|StatusMoreResults {
		t.Fatalf("ParseEOF = %d warnings, status %#x", warnings, status)
	}
	if w, s := ParseEOF([]byte{HeaderEOF, 1}); w != 0 || s != 0 {
		t.Errorf("ParseEOF of a truncated packet = %d, %#x, want zeros", w, s)
	}
}

// A logical packet of exactly MaxPayload bytes is followed by an empty
// continuation; both sides must agree on that to stay in sync.
func TestPacketSplitting(t *testing.T) {
	for _, size := range []int{0, 10, MaxPayload - 1, MaxPayload, MaxPayload + 5} {
		a, b := net.Pipe()
		w, r := NewConn(a), NewConn(b)
		payload := bytes.Repeat([]byte{'x'}, size)
		go func() { _ = w.WriteFlush(payload) }()
		got, err := r.ReadPacket()
		if err != nil || len(got) != size {
			t.Fatalf("size %d: read %d bytes, %v", size, len(got), err)
		}
		a.Close()
		b.Close()
	}
}

func TestReadPacketEnforcesLimit(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w, r := NewConn(a), NewConn(b)
	r.MaxPacket = 100
	go func() { _ = w.WriteFlush(make([]byte, 101)) }()
	if _, err := r.ReadPacket(); err != ErrPacketTooLarge {
		t.Fatalf("err = %v, want ErrPacketTooLarge", err)
	}
}

// A peer that announces a 16 MB packet and sends 100 bytes of it makes
// Strata hold about what arrived, not what was announced.
func TestAnnouncedPayloadIsNotReservedUpFront(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	r := NewConn(b)
	go func() {
		_, _ = a.Write(append([]byte{0xff, 0xff, 0xff, 0}, bytes.Repeat([]byte{'x'}, 100)...))
		a.Close()
	}()
	if _, err := r.ReadPacket(); err == nil {
		t.Fatal("a packet cut short read as whole")
	}
	if c := cap(r.buf); c > 4*payloadChunk {
		t.Errorf("holding %d bytes for 100 that arrived of %d announced", c, MaxPayload)
	}
}

// A large packet that arrives whole ends in a buffer of its own size.
func TestLargePayloadBufferFitsThePacket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w, r := NewConn(a), NewConn(b)
	size := 5*payloadChunk + 3
	go func() { _ = w.WriteFlush(bytes.Repeat([]byte{'y'}, size)) }()
	got, err := r.ReadPacket()
	if err != nil || len(got) != size || got[size-1] != 'y' {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if cap(r.buf) != size {
		t.Errorf("a %d-byte packet left a buffer of %d", size, cap(r.buf))
	}
}
