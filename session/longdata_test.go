package session

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"testing"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/wire"
)

// A session holds streamed parameters up to limits.max_allowed_packet, all
// its statements together: the chunk that passes the bound drops what its
// statement held and marks it for MariaDB's error at EXECUTE, other
// statements keep theirs, and dropping gives the room back.
func TestLongDataIsBoundedPerSession(t *testing.T) {
	env := &Env{Registry: NewRegistry()}
	env.SetLimits(Limits{MaxLongData: 10})
	s := newBareSession(t, env, 7)
	a, b := &prepared{id: 1}, &prepared{id: 2}
	steps := []struct {
		st        *prepared
		chunk     string
		wantHeld  int // the session's total after the step
		wantA     string
		wantBLong bool
	}{
		{a, "abcd", 4, "abcd", false},
		{a, "efgh", 8, "abcdefgh", false},
		{b, "xyz", 8, "abcdefgh", true}, // 11 > 10: b's data dropped
		{b, "z", 8, "abcdefgh", true},   // ignored until b's EXECUTE
	}
	for i, step := range steps {
		s.holdLongData(step.st, 0, []byte(step.chunk))
		if s.longDataBytes != step.wantHeld || string(a.long.params[0]) != step.wantA || b.long.tooLong != step.wantBLong {
			t.Fatalf("step %d: held %d, a %q, b too long %v; want %d, %q, %v",
				i, s.longDataBytes, a.long.params[0], b.long.tooLong, step.wantHeld, step.wantA, step.wantBLong)
		}
	}
	if !b.long.held() || b.long.bytes != 0 {
		t.Fatalf("b holds %+v: want only the mark", b.long)
	}
	s.dropLongData(a)
	s.dropLongData(b)
	if s.longDataBytes != 0 || a.long.held() || b.long.held() {
		t.Fatalf("after dropping: held %d, a %+v, b %+v", s.longDataBytes, a.long, b.long)
	}
	s.holdLongData(b, 1, []byte("0123456789"))
	if s.longDataBytes != 10 || string(b.long.params[1]) != "0123456789" {
		t.Fatalf("a chunk at the bound: held %d, b %+v", s.longDataBytes, b.long)
	}
}

// What a statement holds goes to the server in chunks of at most
// longDataChunk, each a COM_STMT_SEND_LONG_DATA with the backend's
// statement id, which the server joins back into each parameter: one
// packet of the whole value could exceed the server's max_allowed_packet.
func TestLongDataGoesOnInChunks(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), longDataChunk/4) // 2.5 chunks
	st := &prepared{long: longData{params: map[uint16][]byte{0: big, 1: []byte("small")}}}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	got := map[uint16][]byte{}
	done := make(chan error, 1)
	go func() {
		server := wire.NewConn(b)
		for n := 0; n < 4; n++ { // three chunks of parameter 0, one of 1
			p, err := server.ReadPacket()
			if err != nil {
				done <- err
				return
			}
			if p[0] != wire.ComStmtSendLong || binary.LittleEndian.Uint32(p[1:]) != 77 || len(p)-7 > longDataChunk {
				done <- fmt.Errorf("packet %d: command %d, statement %d, %d bytes", n, p[0], binary.LittleEndian.Uint32(p[1:]), len(p)-7)
				return
			}
			param := binary.LittleEndian.Uint16(p[5:])
			got[param] = append(got[param], p[7:]...)
		}
		done <- nil
	}()
	if err := st.sendLongData(&backend.Conn{Conn: wire.NewConn(a)}, 77); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[0], big) || string(got[1]) != "small" {
		t.Fatalf("the server joined %d and %q bytes, want %d and %q", len(got[0]), got[1], len(big), "small")
	}
}
