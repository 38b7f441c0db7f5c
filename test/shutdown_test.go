package test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
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
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO shutdown_orders VALUES (1, 'before')"); err != nil {
		t.Fatal(err)
	}

	if code, _ := readiness(t, s.AdminAddr()); code != http.StatusOK {
		t.Fatalf("GET /readyz before the shutdown: %d, want 200", code)
	}
	_, _, slow := startSleep(t, db, 1, "shutdown_probe")
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
	// A load balancer learns not to send new clients here.
	if code, body := readiness(t, s.AdminAddr()); code != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Errorf("GET /readyz while draining: %d %s, want 503 naming the drain", code, body)
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

// waitRunning waits until one of servers (default: the package's sandbox)
// runs a statement whose text contains marker.
func waitRunning(t *testing.T, marker string, servers ...*sandbox.Server) {
	t.Helper()
	if len(servers) == 0 {
		servers = append([]*sandbox.Server{env.primary}, env.replicas...)
	}
	for i := 0; i < 500; i++ {
		for _, srv := range servers {
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

// startSleep runs SELECT SLEEP(seconds) AS marker on a connection of its
// own and returns once one of servers runs it: the connection, its Strata
// id (the one KILL takes) and where the statement's outcome arrives — nil,
// or errInterrupted for a SLEEP that did not sleep its time (returned 1).
func startSleep(t *testing.T, db *sql.DB, seconds float64, marker string, servers ...*sandbox.Server) (*sql.Conn, uint32, <-chan error) {
	t.Helper()
	ctx := testenv.Ctx(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var id uint32
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var v int
		err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT SLEEP(%g) AS %s", seconds, marker)).Scan(&v)
		if err == nil && v != 0 {
			err = errInterrupted
		}
		done <- err
	}()
	waitRunning(t, marker, servers...)
	return conn, id, done
}

// errInterrupted is startSleep's outcome for a SLEEP cut short (KILL QUERY
// makes MariaDB's SLEEP return 1 or fail with error 1317).
var errInterrupted = errors.New("SLEEP was interrupted")

// readiness is GET /readyz on a Strata's admin port: status and body.
func readiness(t *testing.T, adminAddr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + adminAddr + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
