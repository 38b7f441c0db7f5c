package wire

import (
	"net"
	"testing"
	"time"
)

// socketPair connects two loopback TCP sockets: ours, wrapped in a Conn,
// and the peer's.
func socketPair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	return NewConn(nc), peer
}

// PeerClosed tells an idle connection that still serves from one its peer
// closed or wrote to unasked, without taking any byte.
func TestPeerClosed(t *testing.T) {
	cases := []struct {
		name string
		peer func(net.Conn)
		want bool
	}{
		{"open and silent", func(net.Conn) {}, false},
		{"peer closed", func(p net.Conn) { p.Close() }, true},
		{"peer wrote unasked", func(p net.Conn) { p.Write([]byte{0xff}) }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, peer := socketPair(t)
			c.peer(peer)
			time.Sleep(20 * time.Millisecond) // the FIN or byte crosses loopback
			if got := conn.PeerClosed(); got != c.want {
				t.Fatalf("PeerClosed = %v, want %v", got, c.want)
			}
			if got := conn.PeerClosed(); got != c.want { // it took nothing
				t.Fatalf("PeerClosed the second time = %v, want %v", got, c.want)
			}
		})
	}
}

// ClientGone tells a client that closed (or reset) its connection from
// one that is there and silent, or already sent its next command — and
// answers at once even while the session's goroutine waits in a read of
// the same connection.
func TestClientGone(t *testing.T) {
	cases := []struct {
		name string
		peer func(net.Conn)
		want bool
	}{
		{"open and silent", func(net.Conn) {}, false},
		{"next command sent", func(p net.Conn) { p.Write([]byte{1, 0, 0, 0, 14}) }, false},
		{"closed", func(p net.Conn) { p.Close() }, true},
		{"reset", func(p net.Conn) { p.(*net.TCPConn).SetLinger(0); p.Close() }, true},
		// A TLS client's close_notify, or a command it sent before it left.
		{"sent bytes, then closed", func(p net.Conn) { p.Write([]byte{1, 0, 0, 0, 1}); p.Close() }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, client := socketPair(t)
			c.peer(client)
			time.Sleep(20 * time.Millisecond) // the FIN, RST or bytes cross loopback
			if got := conn.ClientGone(); got != c.want {
				t.Fatalf("ClientGone = %v, want %v", got, c.want)
			}
		})
	}

	t.Run("while the session reads", func(t *testing.T) {
		conn, _ := socketPair(t)
		go func() { _, _ = conn.Conn.Read(make([]byte, 1)) }() // parks until the client speaks
		time.Sleep(20 * time.Millisecond)
		done := make(chan bool)
		go func() { done <- conn.ClientGone() }()
		select {
		case gone := <-done:
			if gone {
				t.Fatal("ClientGone = true for a client that is there")
			}
		case <-time.After(2 * time.Second):
			t.Fatal("ClientGone waited for the session's read to end")
		}
	})
}
