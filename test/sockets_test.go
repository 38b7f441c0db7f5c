package test

import (
	"database/sql"
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

	// The server that runs the statement shows it in its process list,
	// with the client host it sees for Strata. (Through Strata, the
	// process list is Strata's own sessions.)
	direct := []*sql.DB{openDirect(t, env.primary, "")}
	for _, r := range env.replicas {
		direct = append(direct, openDirect(t, r, ""))
	}
	hostOf := func(db *sql.DB, hint, tag string) string {
		t.Helper()
		done := make(chan error, 1)
		go func() {
			_, err := db.ExecContext(ctxFor(t), fmt.Sprintf("SELECT %s SLEEP(1) AS `%s`", hint, tag))
			done <- err
		}()
		defer func() {
			if err := <-done; err != nil {
				t.Errorf("the probe %s: %v", tag, err)
			}
		}()
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for _, srv := range direct {
				rows := testenv.Strings(t, srv, "SELECT HOST FROM information_schema.PROCESSLIST WHERE USER = 'strata' AND INFO LIKE ?", "%"+tag+"%")
				if len(rows) == 1 {
					return rows[0]
				}
			}
		}
		t.Fatalf("no server's process list shows the probe %s", tag)
		return ""
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
