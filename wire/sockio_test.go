package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

func TestSocketIOIsUsedForSocketsOnly(t *testing.T) {
	a, _ := tcpPair(t)
	if newSocketIO(a) == nil {
		t.Fatal("a TCP connection should get the raw socket reader/writer")
	}
	path := t.TempDir() + "/s.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	u, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if newSocketIO(u) == nil {
		t.Fatal("a Unix socket connection (backend.sockets) should get the raw socket reader/writer")
	}
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	if newSocketIO(p) != nil {
		t.Fatal("a non-socket connection must keep its own Read/Write")
	}
}

// A write larger than the socket buffers must wait for the reader (EAGAIN
// path) and arrive whole and in order.
func TestSocketIOLargeWriteArrivesWhole(t *testing.T) {
	a, b := tcpPair(t)
	w, r := newSocketIO(a), newSocketIO(b)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	errc := make(chan error, 1)
	go func() {
		n, err := w.Write(payload)
		if err == nil && n != len(payload) {
			err = io.ErrShortWrite
		}
		a.CloseWrite()
		errc <- err
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("read %d bytes, not the %d written (or out of order)", len(got), len(payload))
	}
}

// Callers rely on net.Conn's error semantics: io.EOF at a clean close, a
// timeout error at the deadline, net.ErrClosed after Close, the errno of a
// reset.
func TestSocketIOErrorsMatchNetConn(t *testing.T) {
	cases := []struct {
		name  string
		setup func(a, b *net.TCPConn)
		check func(error) bool
	}{
		{"peer closed", func(a, b *net.TCPConn) { b.Close() }, func(err error) bool { return err == io.EOF }},
		{"deadline", func(a, b *net.TCPConn) { a.SetReadDeadline(time.Now().Add(50 * time.Millisecond)) }, func(err error) bool {
			var ne net.Error
			return errors.As(err, &ne) && ne.Timeout() && errors.Is(err, os.ErrDeadlineExceeded)
		}},
		{"closed locally", func(a, b *net.TCPConn) { time.AfterFunc(50*time.Millisecond, func() { a.Close() }) }, func(err error) bool {
			return errors.Is(err, net.ErrClosed)
		}},
		{"reset by peer", func(a, b *net.TCPConn) {
			a.Write([]byte("x")) // unread data at close makes the peer send RST
			time.Sleep(20 * time.Millisecond)
			b.SetLinger(0)
			b.Close()
		}, func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tcpPair(t)
			r := newSocketIO(a)
			tc.setup(a, b)
			done := make(chan error, 1)
			go func() {
				_, err := r.Read(make([]byte, 16))
				done <- err
			}()
			select {
			case err := <-done:
				if !tc.check(err) {
					t.Fatalf("Read returned %v (%T)", err, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Read did not return")
			}
		})
	}
}

func TestSocketIOWriteDeadline(t *testing.T) {
	a, _ := tcpPair(t)
	w := newSocketIO(a)
	a.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	// Nobody reads the other end: the write fills the buffers, then must
	// stop at the deadline instead of hanging.
	_, err := w.Write(make([]byte, 64<<20))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past the deadline returned %v", err)
	}
}

// FlushAwaitReply sends a request and returns once the answer is there, so
// the read that follows finds it at once; it must not hang when the answer
// comes before the wait starts, and must leave failures to that read.
// While busy polling it returns once the request is sent, and the read
// that follows polls for the answer (counted as an answer wait), so no
// readiness check comes before that read.
func TestFlushAwaitReply(t *testing.T) {
	type flushCase struct {
		name      string
		peer      func(b *net.TCPConn) // runs after the request arrived
		notBefore time.Duration        // FlushAwaitReply must not return earlier
		want      func(c *Conn) error
	}
	cases := []flushCase{
		{"answer later", func(b *net.TCPConn) { time.Sleep(50 * time.Millisecond); b.Write([]byte("pong")) }, 40 * time.Millisecond, readsPong},
		{"answer at once", func(b *net.TCPConn) { b.Write([]byte("pong")) }, 0, readsPong},
		{"peer closes", func(b *net.TCPConn) { b.Close() }, 0, func(c *Conn) error {
			if _, err := c.R.ReadByte(); err != io.EOF {
				return fmt.Errorf("read after the peer closed: %v, want EOF", err)
			}
			return nil
		}},
	}
	run := func(t *testing.T, tc flushCase, poll *BusyPoll) {
		a, b := tcpPair(t)
		c := NewConn(a)
		c.SetBusyPoll(poll)
		go func() {
			buf := make([]byte, 4)
			if _, err := io.ReadFull(b, buf); err == nil {
				tc.peer(b)
			}
		}()
		c.W.WriteString("ping")
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- c.FlushAwaitReply() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("FlushAwaitReply did not return")
		}
		took := time.Since(start)
		if poll == nil && took < tc.notBefore {
			t.Errorf("returned after %s, before the answer was sent", took)
		}
		if poll != nil && tc.notBefore > 0 && took >= tc.notBefore {
			t.Errorf("busy polling: returned after %s, want right after sending (the read polls)", took)
		}
		if err := tc.want(c); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < tc.notBefore {
			t.Errorf("the answer was read after %s, before it was sent", took)
		}
		if poll == nil {
			return
		}
		// The answer (or the close) came well inside the budget: the read
		// saw it while polling, or at once, and it counts as an answer wait.
		got := poll.StatsFor(WaitAnswer)
		if got.Timeout != 0 || got.Skipped != 0 || got.Data > 1 || (tc.notBefore > 0 && got.Data != 1) {
			t.Errorf("answer waits %+v; want at most one, ended by data (one when the answer came late)", got)
		}
		if other := poll.StatsFor(WaitRead); other != (BusyPollStats{}) {
			t.Errorf("plain read waits %+v; the wait for the answer must count as an answer wait", other)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc, nil) })
		// A budget longer than the answer's delay: the poll, not the
		// netpoller, sees it come.
		t.Run(tc.name+", busy polling", func(t *testing.T) { run(t, tc, NewBusyPoll(200*time.Millisecond)) })
	}
}

func readsPong(c *Conn) error {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c.R, buf); err != nil || string(buf) != "pong" {
		return fmt.Errorf("read %q, %v; want pong", buf, err)
	}
	return nil
}
