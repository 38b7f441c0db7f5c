package test

import (
	"context"
	"database/sql"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pires/go-proxyproto"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/test/testenv"
)

// proxyDialers counts the registered go-sql-driver dial functions.
var proxyDialers atomic.Int64

// openBehindProxy opens a handle whose connections start with a PROXY
// protocol header (version 1 or 2) naming client, as a load balancer's do.
func openBehindProxy(t *testing.T, addr string, version byte, client *net.TCPAddr, user, pass string) *sql.DB {
	t.Helper()
	network := "proxied" + string(rune('a'+proxyDialers.Add(1)))
	mysql.RegisterDialContext(network, func(ctx context.Context, a string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", a)
		if err != nil {
			return nil, err
		}
		h := proxyproto.HeaderProxyFromAddrs(version, client, nc.RemoteAddr())
		if _, err := h.WriteTo(nc); err != nil {
			nc.Close()
			return nil, err
		}
		return nc, nil
	})
	return testenv.Open(t, user+":"+pass+"@"+network+"("+addr+")/blog")
}

// Behind a load balancer that sends the PROXY protocol, Strata sees the
// real client: the session list, `client:` routing rules and error 1045
// name it. Only listed load balancers may send the header, and they must.
func TestProxyProtocolNamesTheClient(t *testing.T) {
	t.Parallel()
	yaml := topologyYAML + `proxy_protocol: {trusted: [127.0.0.1/32]}
routing:
  - {match: {client: 203.0.113.0/24, tables: [proxied_secrets]}, refuse: "not from the partner network"}
`
	s, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := testenv.Ctx(t)
	partner := &net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 51234}
	office := &net.TCPAddr{IP: net.ParseIP("198.51.100.9"), Port: 40000}

	for _, c := range []struct {
		version byte
		client  *net.TCPAddr
		refused bool
	}{{1, partner, true}, {2, office, false}} {
		db := openBehindProxy(t, s.MySQLAddr(), c.version, c.client, "app", "app")
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatalf("v%d header for %s: %v", c.version, c.client, err)
		}
		var id uint32
		if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		if in, ok := listSessionsAt(t, s.AdminAddr())[id]; !ok || in.Client != c.client.String() {
			t.Errorf("v%d: session %d listed (%v) from %q, want the client the header named, %s", c.version, id, ok, in.Client, c.client)
		}
		_, err = conn.ExecContext(ctx, "SELECT * FROM proxied_secrets")
		if refused := testenv.MySQLErr(err) == 1290; refused != c.refused {
			t.Errorf("v%d from %s: %v; want refused by the client rule: %v", c.version, c.client, err, c.refused)
		}
		conn.Close()
	}

	bad := openBehindProxy(t, s.MySQLAddr(), 1, partner, "app", "wrong")
	if err := bad.PingContext(ctx); testenv.MySQLErr(err) != 1045 || !strings.Contains(err.Error(), "'app'@'203.0.113.7'") {
		t.Errorf("a wrong password behind the load balancer: %v, want 1045 naming 'app'@'203.0.113.7'", err)
	}

	// A listed load balancer that sends no header: refused after a short
	// wait, with the reason.
	start := time.Now()
	plain := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	err = plain.PingContext(ctx)
	if testenv.MySQLErr(err) != 1043 || !strings.Contains(err.Error(), "PROXY protocol header") {
		t.Errorf("no header from a trusted address: %v, want error 1043 asking for the header", err)
	}
	if waited := time.Since(start); waited > 8*time.Second {
		t.Errorf("refusing a connection without a header took %v", waited)
	}
}

// A PROXY header from an address not listed is refused, not believed.
func TestProxyProtocolHeaderFromUntrustedPeer(t *testing.T) {
	t.Parallel()
	s, err := testenv.StartStrata(topologyYAML + "proxy_protocol: {trusted: [10.0.0.0/8]}\n")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spoofed := openBehindProxy(t, s.MySQLAddr(), 1, &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 5555}, "app", "app")
	err = spoofed.PingContext(testenv.Ctx(t))
	if testenv.MySQLErr(err) != 1043 || !strings.Contains(err.Error(), "proxy_protocol.trusted does not list") {
		t.Errorf("a header from 127.0.0.1, not trusted: %v, want error 1043 naming proxy_protocol.trusted", err)
	}
	direct := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	if err := direct.PingContext(testenv.Ctx(t)); err != nil {
		t.Errorf("a direct client from an address not listed: %v", err)
	}

	// The load balancer moves to 127.0.0.1: a reload trusts it, without a
	// restart, and its next connections name their clients.
	cfg, err := config.Parse([]byte(topologyYAML + "proxy_protocol: {trusted: [127.0.0.1/32]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if changes, restart, err := s.Reload(cfg); err != nil || len(restart) > 0 || !strings.Contains(strings.Join(changes, "\n"), "proxy_protocol.trusted") {
		t.Fatalf("reload of proxy_protocol.trusted: changes %q, restart needed %q, %v", changes, restart, err)
	}
	client := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 5556}
	trusted := testenv.Conn(t, openBehindProxy(t, s.MySQLAddr(), 2, client, "app", "app"))
	var id uint32
	if err := trusted.QueryRowContext(testenv.Ctx(t), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatalf("a header from 127.0.0.1 after the reload trusted it: %v", err)
	}
	if in := listSessionsAt(t, s.AdminAddr())[id]; in.Client != client.String() {
		t.Errorf("after the reload, session %d listed from %q, want the client the header named, %s", id, in.Client, client)
	}
}
