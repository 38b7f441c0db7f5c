package test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
)

// A new Strata started with the same handover_socket takes the running
// one's listening sockets: while clients connect all the time, none is
// refused or reset, a web request's connection in flight finishes its
// statements, an open transaction on the old process commits, and the old
// process then ends. A Strata configured for other ports is refused and
// the running one keeps serving.
func TestHandoverRefusesNoClient(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"CREATE TABLE IF NOT EXISTS blog.handover_rows (id INT AUTO_INCREMENT PRIMARY KEY, worker INT, note VARCHAR(20))",
		"DELETE FROM blog.handover_rows")
	yaml := handoverYAML(t, testenv.FreePort(t), testenv.FreePort(t), filepath.Join(t.TempDir(), "handover.sock"))
	old := startHandoverStrata(t, yaml)
	addr := old.MySQLAddr()
	db := testenv.Open(t, testenv.DSN(addr, "app", "app", "blog"))
	db.SetMaxIdleConns(0) // every request dials: a refused or reset connect shows

	tx, err := db.BeginTx(testenv.Ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO handover_rows (worker, note) VALUES (0, 'open tx')"); err != nil {
		t.Fatal(err)
	}

	// Web requests: connect, a few statements a few ms apart, disconnect.
	var stop atomic.Bool
	var requests, failed atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	for w := 1; w <= 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := webRequest(db, w); err != nil {
					failed.Add(1)
					firstErr.Do(func() { t.Errorf("a request failed: %v", err) })
					continue
				}
				requests.Add(1)
			}
		}()
	}
	// A load balancer's readiness probe, on kept-alive connections as
	// most send it: the endpoint lives on in the new process, so it must
	// answer 200 throughout.
	var probes, notReady atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		probe := &http.Client{Timeout: 2 * time.Second}
		for !stop.Load() {
			resp, err := probe.Get("http://" + old.AdminAddr() + "/readyz")
			probes.Add(1)
			if err != nil || resp.StatusCode != http.StatusOK {
				notReady.Add(1)
				firstErr.Do(func() { t.Errorf("GET /readyz during the handover: %v %v", resp, err) })
			}
			if resp != nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	before := requests.Load()

	next := startHandoverStrata(t, yaml)
	if next.MySQLAddr() != addr {
		t.Fatalf("the new Strata listens on %s, want the old one's %s", next.MySQLAddr(), addr)
	}
	select {
	case <-old.HandedOver():
	case <-time.After(5 * time.Second):
		t.Fatal("the running Strata did not report the handover")
	}
	oldDone := make(chan struct{})
	go func() {
		old.Shutdown() // what strata serve does once it handed over
		close(oldDone)
	}()
	time.Sleep(300 * time.Millisecond)
	if _, err := tx.Exec("INSERT INTO handover_rows (worker, note) VALUES (0, 'after')"); err != nil {
		t.Fatalf("the open transaction on the old process, after the handover: %v", err)
	}
	// Asked directly while it drains, the old process too says the
	// endpoint is ready: it lives on in the new process.
	rec := httptest.NewRecorder()
	old.Admin.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if !old.Front.Draining() || rec.Code != http.StatusOK {
		t.Errorf("the old process, draining (%v) after the handover: GET /readyz %d %s, want 200", old.Front.Draining(), rec.Code, rec.Body.String())
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("COMMIT on the old process after the handover: %v", err)
	}
	select {
	case <-oldDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the old Strata did not finish its clients and stop")
	}
	during := requests.Load()
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	after := requests.Load()
	if failed.Load() > 0 || before == 0 || after == during {
		t.Errorf("requests: %d before the handover, %d until the old Strata stopped, %d after it, %d failed; want none failed and some in each phase",
			before, during-before, after-during, failed.Load())
	}
	t.Logf("requests: %d before the handover, %d until the old Strata stopped, %d after", before, during-before, after-during)
	if probes.Load() < 10 || notReady.Load() > 0 {
		t.Errorf("readiness probes: %d, %d not ready; want every one ready", probes.Load(), notReady.Load())
	}

	// The new process serves the admin API on the same port too.
	resp, err := http.Get("http://" + next.AdminAddr() + "/api/topology")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("admin API after the handover: %v %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	n, err := env.primary.QueryValue(ctxFor(t), "SELECT COUNT(*) FROM blog.handover_rows WHERE worker = 0")
	if err != nil || n != "2" {
		t.Errorf("rows of the transaction committed on the old process: %s (%v), want 2", n, err)
	}

	// A Strata for other ports may not take these sockets.
	other := strings.Replace(yaml, "listen: "+addr, "listen: 127.0.0.1:"+testenv.FreePort(t), 1)
	refused, err := testenv.StartStrata(other)
	if err == nil {
		refused.Close()
		t.Fatal("a Strata configured for other ports took the sockets over")
	}
	if !strings.Contains(err.Error(), "listens on "+addr) {
		t.Errorf("starting a Strata for other ports: %v, want a refusal naming %s", err, addr)
	}
	if err := webRequest(db, 9); err != nil {
		t.Errorf("the running Strata after refusing a takeover: %v", err)
	}
}

// webRequest is one page load: its own connection, three statements a few
// milliseconds apart, then the connection closes. A *sql.Conn does not
// retry a statement on another connection, so every failure shows.
func webRequest(db *sql.DB, worker int) error {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close()
	for i, q := range []string{
		"SELECT COUNT(*) FROM handover_rows",
		"INSERT INTO handover_rows (worker, note) VALUES (?, 'request')",
		"SELECT note FROM handover_rows WHERE id = LAST_INSERT_ID()",
	} {
		if i > 0 {
			time.Sleep(5 * time.Millisecond)
		}
		args := []any{}
		if strings.Contains(q, "?") {
			args = append(args, worker)
		}
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return fmt.Errorf("%s: %w", q, err)
		}
		rows.Close()
	}
	return nil
}

// handoverYAML is the package's topology served on fixed ports (a
// handover passes those) with a handover socket.
func handoverYAML(t *testing.T, port, adminPort, socket string) string {
	t.Helper()
	yaml := strings.Replace(topologyYAML, "listen: 127.0.0.1:0", "listen: 127.0.0.1:"+port, 1)
	yaml = strings.Replace(yaml, "admin_listen: 127.0.0.1:0", "admin_listen: 127.0.0.1:"+adminPort, 1)
	yaml = strings.Replace(yaml, "pool_wait: 3s}", "pool_wait: 3s, shutdown_timeout: 6s}", 1)
	if yaml == topologyYAML || !strings.Contains(yaml, "shutdown_timeout") {
		t.Fatal("the package's topology changed: update handoverYAML")
	}
	return yaml + "handover_socket: " + socket + "\n"
}

func startHandoverStrata(t *testing.T, yaml string) *server.Strata {
	t.Helper()
	s, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Idle clients move with the sockets: a connection kept open across the
// handover goes on in the new process with its session as it was (id,
// time zone, LAST_INSERT_ID(), schema), the client noticing nothing; the
// old process is then done within moments, not at shutdown_timeout. A
// client whose account the new config no longer has is refused there.
func TestHandoverPassesIdleClientsOn(t *testing.T) {
	t.Parallel()
	setupTables(t, "DROP TABLE IF EXISTS blog.handover_kept", "CREATE TABLE blog.handover_kept (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))")
	sock := filepath.Join(t.TempDir(), "handover.sock")
	yaml := handoverYAML(t, testenv.FreePort(t), testenv.FreePort(t), sock)
	old := startHandoverStrata(t, yaml)
	db := testenv.Open(t, testenv.DSN(old.MySQLAddr(), "app", "app", "blog"))
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, db) // a connection the application keeps
	if _, err := conn.ExecContext(ctx, "SET time_zone = '+05:00'"); err != nil {
		t.Fatal(err)
	}
	res, err := conn.ExecContext(ctx, "INSERT INTO handover_kept (v) VALUES ('before')")
	if err != nil {
		t.Fatal(err)
	}
	insertID, _ := res.LastInsertId()
	var id uint32
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	// A server-side prepared statement the application keeps on it.
	stmt, err := conn.PrepareContext(ctx, "SELECT v FROM handover_kept WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	var v string
	// The read goes to a replica: wait until the row has reached it.
	testenv.Eventually(t, "the prepared statement reads the row before the handover", func() bool {
		return stmt.QueryRowContext(ctx, insertID).Scan(&v) == nil && v == "before"
	})
	// A client of the compressed protocol: the new process compresses
	// from its next command on. Its process list entry keeps the program
	// it named at login.
	zconn := testenv.Conn(t, testenv.Open(t, testenv.DSN(old.MySQLAddr(), "app", "app", "blog", "compress=true", "readTimeout=20s", "connectionAttributes=program_name:kept-worker")))
	var zid uint32
	if err := zconn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&zid); err != nil {
		t.Fatal(err)
	}
	removed, err := testenv.Open(t, testenv.DSN(old.MySQLAddr(), "other", "other", "blog")).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer removed.Close()
	if _, err := removed.ExecContext(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}

	// A client with autocommit off (Python's drivers' default), between
	// two transactions.
	manual := testenv.Conn(t, db)
	for _, q := range []string{"SET autocommit = 0", "INSERT INTO handover_kept (v) VALUES ('manual 1')", "COMMIT"} {
		if _, err := manual.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A client that never pauses: it moves at its next command boundary,
	// not at half of shutdown_timeout.
	busy := testenv.Conn(t, db)
	var busyStop atomic.Bool
	var busyRuns atomic.Int64
	busyErr := make(chan error, 1)
	go func() {
		for !busyStop.Load() {
			var one int
			if err := busy.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
				busyErr <- err
				return
			}
			busyRuns.Add(1)
		}
		busyErr <- nil
	}()

	withoutOther := strings.Replace(yaml, "  - {name: other, password: other}\n", "", 1)
	if withoutOther == yaml {
		t.Fatal("the package's topology changed: user other not found")
	}
	next := startHandoverStrata(t, withoutOther)
	<-old.HandedOver()
	start := time.Now()
	old.Shutdown()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the old Strata took %s to finish with an idle and a busy client (shutdown_timeout 6s): they were not passed on", took)
	}
	runs := busyRuns.Load()
	testenv.Eventually(t, "the busy client runs statements on the new Strata", func() bool { return busyRuns.Load() > runs+100 })
	busyStop.Store(true)
	if err := <-busyErr; err != nil {
		t.Errorf("the busy client across the handover: %v", err)
	}
	testenv.Eventually(t, "the new Strata serves the kept session", func() bool { return next.Env.Registry.Get(id) != nil })
	if _, err := os.Stat(sock); err != nil {
		t.Errorf("the handover socket after the old Strata stopped: %v; the new one listens there", err)
	}
	var tz, db2 string
	var lastID int64
	var id2 uint32
	if err := conn.QueryRowContext(ctx, "SELECT @@time_zone, DATABASE(), LAST_INSERT_ID()").Scan(&tz, &db2, &lastID); err != nil {
		t.Fatalf("the kept connection after the handover: %v", err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id2); err != nil {
		t.Fatal(err)
	}
	if tz != "+05:00" || db2 != "blog" || lastID != insertID || id2 != id {
		t.Errorf("session after the handover: time_zone %s, schema %s, LAST_INSERT_ID() %d, CONNECTION_ID() %d; want +05:00, blog, %d, %d",
			tz, db2, lastID, id2, insertID, id)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO handover_kept (v) VALUES ('after')"); err != nil {
		t.Fatalf("a write on the kept connection after the handover: %v", err)
	}
	if err := stmt.QueryRowContext(ctx, insertID).Scan(&v); err != nil || v != "before" {
		t.Errorf("the statement prepared before the handover, run after it: %q %v", v, err)
	}
	testenv.Eventually(t, "the new Strata serves the compressed session", func() bool { return next.Env.Registry.Get(zid) != nil })
	if got := listSessionsAt(t, next.AdminAddr())[zid]; got.Program != "kept-worker" || !got.Compressed {
		t.Errorf("the moved session is listed as %+v, want program kept-worker, compressed", got)
	}
	var big string
	if err := zconn.QueryRowContext(ctx, "SELECT REPEAT('handover ', 20000)").Scan(&big); err != nil || big != strings.Repeat("handover ", 20000) {
		t.Errorf("the compressed connection after the handover: %d bytes (%v)", len(big), err)
	}
	if _, err := removed.ExecContext(ctx, "DO 1"); testenv.MySQLErr(err) != 1045 {
		t.Errorf("a kept connection of an account the new config lacks: %v, want error 1045", err)
	}
	// Connections made now get ids of their own.
	var fresh uint32
	if err := db.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&fresh); err != nil || fresh <= id {
		t.Errorf("a new connection's id %d (%v), want one after the passed-on %d", fresh, err, id)
	}
	// The autocommit-off client goes on in a transaction of its own on the
	// new process: its row shows only once it commits.
	if _, err := manual.ExecContext(ctx, "INSERT INTO handover_kept (v) VALUES ('manual 2')"); err != nil {
		t.Fatalf("autocommit off, after the handover: %v", err)
	}
	countManual := func() string {
		n, err := env.primary.QueryValue(ctxFor(t), "SELECT COUNT(*) FROM blog.handover_kept WHERE v LIKE 'manual %'")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := countManual(); n != "1" {
		t.Errorf("before COMMIT, %s manual rows on the primary, want 1: the session lost autocommit = 0", n)
	}
	if _, err := manual.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if n := countManual(); n != "2" {
		t.Errorf("after COMMIT, %s manual rows on the primary, want 2", n)
	}
	// A Strata that stops for good removes its handover socket.
	next.Close()
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the handover socket after the last Strata stopped: %v, want it removed", err)
	}
}
