package wire

import (
	"net"
	"testing"
	"time"
)

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
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			peer, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			conn := NewConn(nc)
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
