package test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/test/testenv"
)

// A stopping Strata (SIGTERM, Shutdown) loses nothing a client was told
// succeeded and cuts nothing short that can finish: a running statement
// gets its answer, an open transaction may commit, waiting clients are
// told the server is shutting down (error 1053), new clients are refused.
func TestShutdownLetsClientsFinish(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.shutdown_orders (id INT PRIMARY KEY, note VARCHAR(20))", "DELETE FROM blog.shutdown_orders")
	s, err := testenv.StartStrata(topologyYAML)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	ctx := testenv.Ctx(t)
	waiting, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waiting.ExecContext(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}
	running, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO shutdown_orders VALUES (1, 'before')"); err != nil {
		t.Fatal(err)
	}

	slow := make(chan error, 1)
	go func() {
		var v int
		slow <- running.QueryRowContext(ctx, "SELECT SLEEP(1) AS shutdown_probe").Scan(&v)
	}()
	waitRunning(t, "shutdown_probe")
	stopped := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- s.Front.Shutdown(sctx)
	}()
	// Shutdown closes the listener first, then, at once, the waiting clients.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", s.MySQLAddr(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if i == 200 {
			t.Fatal("Strata still accepts clients 2 s after Shutdown was called")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)

	if err := <-slow; err != nil {
		t.Fatalf("the statement running when Shutdown began: %v, want its answer", err)
	}
	_, err = waiting.ExecContext(ctx, "DO 1")
	if testenv.MySQLErr(err) != 1053 {
		t.Errorf("a client that was waiting for its next command: %v, want error 1053 (shutdown in progress)", err)
	}
	// The transaction is still open: it may go on and commit.
	if _, err := tx.Exec("INSERT INTO shutdown_orders VALUES (2, 'during')"); err != nil {
		t.Fatalf("a statement of the open transaction during the shutdown: %v", err)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a transaction was open", err)
	default:
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("COMMIT during the shutdown: %v", err)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return once the last transaction committed")
	}
	got := testenv.Strings(t, openDirect(t, env.primary, "blog"), "SELECT id FROM shutdown_orders ORDER BY id")
	if len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("rows on the primary after the shutdown: %v, want 1 and 2 (both committed)", got)
	}
}

// waitRunning waits until a server of the sandbox runs a statement whose
// text contains marker.
func waitRunning(t *testing.T, marker string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		for _, srv := range append([]*sandbox.Server{env.primary}, env.replicas...) {
			n, err := srv.QueryValue(testenv.Ctx(t), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'", "%"+marker+"%")
			if err != nil {
				t.Fatal(err)
			}
			if n != "0" {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no server runs a statement with %q", marker)
}
