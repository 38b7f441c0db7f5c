package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/topology"
)

// With backend.sockets, Strata reaches servers on its own host through
// their Unix sockets: the servers see the connections come from
// "localhost" (a socket) instead of "127.0.0.1:port" (TCP), and reads,
// writes and health checks all go over them.
func TestBackendSocketsAreUsedForQueriesAndChecks(t *testing.T) {
	good, broken := env.replicas[0], env.replicas[1]
	var sockets strings.Builder
	sockets.WriteString("  sockets:\n")
	fmt.Fprintf(&sockets, "    %q: %q\n", env.primary.Addr, env.primary.Socket())
	fmt.Fprintf(&sockets, "    %q: %q\n", good.Addr, good.Socket())
	// A socket nobody listens on: only a check that dials the socket (not
	// the TCP address) finds this replica down.
	fmt.Fprintf(&sockets, "    %q: %q\n", broken.Addr, t.TempDir()+"/nobody.sock")
	yaml := strings.Replace(topologyYAML, "backend: {user: strata, password: strata}\n",
		"backend:\n  user: strata\n  password: strata\n"+sockets.String(), 1)
	st, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	deadline := time.Now().Add(15 * time.Second)
	for st.Topology.Load().Server(broken.Addr).State != topology.StateDown {
		if time.Now().After(deadline) {
			t.Fatalf("replica %s with a dead socket is still %s: its health check does not use the socket", broken.Addr, st.Topology.Load().Server(broken.Addr).State)
		}
		time.Sleep(100 * time.Millisecond)
	}
	viaSockets := testenv.Open(t, testenv.DSN(st.MySQLAddr(), "app", "app", "blog"))
	viaTCP := openStrata(t)
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.socket_probe (id INT PRIMARY KEY, v INT)")

	// The statement finds itself in the process list of the server that
	// runs it, and reports the client host that server sees for Strata.
	hostOf := func(db testenv.Querier, hint, tag string) string {
		t.Helper()
		q := fmt.Sprintf("SELECT %s HOST FROM information_schema.PROCESSLIST WHERE USER = 'strata' AND INFO LIKE '%%%s%%'", hint, tag)
		rows := testenv.Strings(t, db, q)
		if len(rows) != 1 {
			t.Fatalf("%s: %d process list rows, want the statement's own: %v", q, len(rows), rows)
		}
		return rows[0]
	}
	// Each probe has its own tag: the server may still show the previous
	// probe's text for a moment after its answer reached the client.
	for i, route := range []string{"", "/* strata:primary */"} {
		if got := hostOf(viaSockets, route, fmt.Sprintf("socket-probe-%d-unix", i)); got != "localhost" {
			t.Errorf("read %q through Strata with backend.sockets ran on a connection from %q, want localhost (the Unix socket)", route, got)
		}
		if got := hostOf(viaTCP, route, fmt.Sprintf("socket-probe-%d-tcp", i)); !strings.HasPrefix(got, "127.0.0.1:") {
			t.Errorf("read %q through Strata without sockets ran on a connection from %q, want 127.0.0.1:port (TCP)", route, got)
		}
	}

	ctx := ctxFor(t)
	if _, err := viaSockets.ExecContext(ctx, "REPLACE INTO socket_probe VALUES (1, 42)"); err != nil {
		t.Fatalf("write through the primary's socket: %v", err)
	}
	if got := testenv.Strings(t, viaSockets, "SELECT /* strata:primary */ v FROM socket_probe WHERE id = 1"); len(got) != 1 || got[0] != "42" {
		t.Fatalf("read back %v, want [42]", got)
	}

	// The servers whose sockets work stay up.
	for _, addr := range []string{env.primary.Addr, good.Addr} {
		if state := st.Topology.Load().Server(addr).State; state != topology.StateUp {
			t.Errorf("server %s is %s, want up: its check through the socket should pass", addr, state)
		}
	}
}
