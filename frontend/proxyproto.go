package frontend

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pires/go-proxyproto"
	"github.com/strata-proxy/strata/wire"
)

// Behind a TCP load balancer every client seems to come from the load
// balancer. One that speaks the PROXY protocol (HAProxy send-proxy or
// send-proxy-v2, AWS NLB, ...) starts each connection with a header naming
// the real client; Strata believes it only from the addresses listed in
// proxy_protocol.trusted, and requires it from them. The real address is
// what the session list, `client:` routing rules, error 1045 and the logs
// show.

// proxyHeaderTimeout bounds the wait for a trusted load balancer's header:
// MySQL clients speak only after Strata's greeting, so without a header
// the connection would otherwise sit until the handshake timeout.
const proxyHeaderTimeout = 3 * time.Second

// proxiedClient returns the client a trusted load balancer's PROXY header
// names, or nil when nc does not come from one (or the header is the load
// balancer's own check): the socket's peer is then the client. Nothing may
// follow the header before Strata's greeting.
func (s *Server) proxiedClient(nc net.Conn) (net.Addr, error) {
	peer := nc.RemoteAddr()
	if !s.trustedProxy(peer) {
		return nil, nil
	}
	_ = nc.SetReadDeadline(time.Now().Add(proxyHeaderTimeout))
	defer nc.SetReadDeadline(time.Time{})
	r := bufio.NewReaderSize(nc, 512)
	h, err := proxyproto.Read(r)
	if err != nil {
		return nil, fmt.Errorf("%s is listed in proxy_protocol.trusted but did not start with a PROXY protocol header (%v): configure the load balancer to send one (HAProxy: send-proxy or send-proxy-v2)", peer, err)
	}
	if r.Buffered() > 0 {
		return nil, fmt.Errorf("%s sent %d bytes after its PROXY header, before Strata's greeting: not a MySQL client", peer, r.Buffered())
	}
	if h.Command.IsLocal() || h.SourceAddr == nil {
		return nil, nil // the load balancer's own check
	}
	return h.SourceAddr, nil
}

// SetProxyTrusted replaces the load balancers whose connections start
// with a PROXY header (a reload of proxy_protocol.trusted); connections
// accepted before keep the client they were given.
func (s *Server) SetProxyTrusted(prefixes []netip.Prefix) { s.proxyTrusted.Store(&prefixes) }

func (s *Server) trustedProxy(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	trusted := s.proxyTrusted.Load()
	if !ok || trusted == nil || len(*trusted) == 0 {
		return false
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, p := range *trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// proxyV2Signature starts a binary PROXY protocol header.
var proxyV2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")

// looksLikeProxyHeader reports whether a client's first bytes are a PROXY
// protocol header, which only a trusted load balancer may send.
func looksLikeProxyHeader(first []byte) bool {
	return bytes.HasPrefix(first, []byte("PROXY ")) || bytes.HasPrefix(first, proxyV2Signature[:6])
}

// refuseProxyHeader answers a PROXY header from a peer not listed in
// proxy_protocol.trusted. The client behind that load balancer has read
// the greeting and sends its handshake response after the header, so the
// error answers that response, as a driver expects, rather than arriving
// while it writes.
func refuseProxyHeader(c *wire.Conn) error {
	err := wire.NewError(wire.ErHandshake, "Bad handshake: a PROXY protocol header from %s, which proxy_protocol.trusted does not list: add the load balancer's address there", c.Conn.RemoteAddr())
	if _, rerr := proxyproto.Read(c.R); rerr != nil {
		return fmt.Errorf("an unreadable PROXY protocol header from %s: %w", c.Conn.RemoteAddr(), rerr)
	}
	if _, rerr := c.ReadPacket(); rerr != nil {
		return rerr
	}
	_ = c.WriteFlush(wire.AppendErr(nil, err))
	return err
}
