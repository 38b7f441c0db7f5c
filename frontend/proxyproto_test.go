package frontend

import (
	"net"
	"net/netip"
	"testing"
)

func TestTrustedProxy(t *testing.T) {
	s := &Server{}
	s.SetProxyTrusted([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	cases := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("10.9.8.7"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:10.9.8.7"), Port: 1}, true}, // an IPv4 peer on a dual-stack socket
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("11.0.0.1"), Port: 1}, false},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, false},
	}
	for _, c := range cases {
		if got := s.trustedProxy(c.addr); got != c.want {
			t.Errorf("trustedProxy(%v) = %v, want %v", c.addr, got, c.want)
		}
	}
	if (&Server{}).trustedProxy(cases[0].addr) {
		t.Error("with no proxy_protocol.trusted, no peer may send a header")
	}
	s.SetProxyTrusted(nil) // a reload that removes the list
	if s.trustedProxy(cases[0].addr) {
		t.Error("after the trusted list was emptied, a peer it held may still send a header")
	}
}

func TestLooksLikeProxyHeader(t *testing.T) {
	cases := []struct {
		first string
		want  bool
	}{
		{"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", true},
		{"\r\n\r\n\x00\r\nQUIT\n\x21", true},
		{"\x55\x00\x00\x01\x8d\xa6", false}, // a handshake response's header
		{"PRO", false},
	}
	for _, c := range cases {
		if got := looksLikeProxyHeader([]byte(c.first)); got != c.want {
			t.Errorf("looksLikeProxyHeader(%q) = %v, want %v", c.first, got, c.want)
		}
	}
}
