package wire

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// Every relayed packet goes through socketIO and the Conn's framing: they
// must not allocate per call (a closure or a header escaping to the heap
// is an allocation per packet on the proxy's hottest path).
func TestSocketIODoesNotAllocate(t *testing.T) {
	t.Run("read and write", func(t *testing.T) {
		a, b := tcpPair(t)
		w, r := newSocketIO(a), newSocketIO(b)
		msg, buf := []byte("ping"), make([]byte, 4)
		var err error
		allocs := testing.AllocsPerRun(100, func() {
			if _, e := w.Write(msg); e != nil && err == nil {
				err = e
			}
			if _, e := io.ReadFull(r, buf); e != nil && err == nil {
				err = e
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if allocs != 0 {
			t.Errorf("Write and Read: %v allocations per call, want 0", allocs)
		}
	})
	for _, poll := range []*BusyPoll{nil, NewBusyPoll(time.Second)} {
		name := "request and reply"
		if poll != nil {
			name += ", busy polling"
		}
		t.Run(name, func(t *testing.T) { requestReplyAllocs(t, poll) })
	}
}

func requestReplyAllocs(t *testing.T, poll *BusyPoll) {
	a, b := tcpPair(t)
	go func() { // echo every byte back, as a server answering
		buf := make([]byte, 256)
		for {
			n, err := b.Read(buf)
			if err != nil {
				return
			}
			if _, err := b.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	c := NewConn(a)
	c.SetBusyPoll(poll)
	payload := []byte("\x03SELECT 1")
	var err error
	allocs := testing.AllocsPerRun(100, func() {
		c.Seq = 0
		if e := c.WritePacket(payload); e != nil && err == nil {
			err = e
		}
		if e := c.FlushAwaitReply(); e != nil && err == nil {
			err = e
		}
		p, e := c.ReadPacket()
		if e == nil && !bytes.Equal(p, payload) {
			e = io.ErrUnexpectedEOF
		}
		if e != nil && err == nil {
			err = e
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("WritePacket, FlushAwaitReply and ReadPacket: %v allocations per request, want 0", allocs)
	}
	if poll != nil && poll.Stats().Data == 0 {
		t.Errorf("busy polling saw no answer come: %+v", poll.Stats())
	}
}
