// Package failover tests automatic failover end to end: real MariaDB
// servers with semi-synchronous GTID replication, Strata in front with
// switchover.auto_failover, clients writing through it, and the primary
// killed with SIGKILL. What a user relies on: every write acknowledged
// before the crash is on the new primary, the replica chosen is the one
// that received the most, writes work again through the same Strata
// endpoint, and the dead primary never comes back into routing by itself.
package failover

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/switchover"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/topology"
)

const (
	primaryAddr = "127.0.0.1:17430"
	replicaA    = "127.0.0.1:17431" // replicates all along
	replicaB    = "127.0.0.1:17432" // its I/O thread is stopped: it receives less
)

const topologyYAML = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users:
  - {name: app, password: app}
backend: {user: strata, password: strata}
switchover: {user: root, password: "", replication_user: repl, replication_password: repl, timeout: 5s, auto_failover: true}
monitor: {interval: 200ms, fail_after: 2}
limits: {connect_timeout: 500ms}
clusters:
  main:
    primary: 127.0.0.1:17430
    replicas:
      - {address: 127.0.0.1:17431, pool: primary}
      - {address: 127.0.0.1:17432, pool: primary}
`

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, topologyYAML, func(e *testenv.Env) error {
		env = e
		return nil
	})
}

func direct(t *testing.T, addr string) *sql.DB { return testenv.Direct(t, addr) }

func TestReadsGoOnWhileThePrimaryIsDown(t *testing.T) {
	env.Setup(t, "CREATE TABLE blog.items (id INT PRIMARY KEY, name VARCHAR(20))", "INSERT INTO blog.items VALUES (1, 'one'), (2, 'two')")
	ctx := testenv.Ctx(t)
	s, _ := testenv.StartStrataFile(t, strings.Replace(topologyYAML, "auto_failover: true", "auto_failover: false", 1))
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog", "timeout=2s"))

	if err := env.Primary.Kill(); err != nil {
		t.Fatal(err)
	}
	// The monitor sees the primary down and the replicas retrying it, and
	// keeps them in routing.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		serving := 0
		for _, r := range s.Topology.Load().Cluster("main").Replicas {
			if r.Routable() && r.Reason == topology.ReasonPrimaryDown {
				serving++
			}
		}
		if serving == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas 10s after the primary died: %+v %+v", *s.Topology.Load().Cluster("main").Replicas[0], *s.Topology.Load().Cluster("main").Replicas[1])
		}
	}
	var name string
	for i := 0; i < 20; i++ { // every read, on new connections too
		if i%5 == 0 {
			app.SetMaxIdleConns(0) // the next read logs in again (the schema is checked on a replica)
			app.SetMaxIdleConns(2)
		}
		if err := app.QueryRow("SELECT name FROM items WHERE id = 2").Scan(&name); err != nil || name != "two" {
			t.Fatalf("read %d with the primary down: %q, %v", i, name, err)
		}
	}
	start := time.Now()
	_, err := app.Exec("INSERT INTO items VALUES (3, 'three')")
	if testenv.MySQLErr(err) != 1429 || !strings.Contains(err.Error(), primaryAddr) || time.Since(start) > time.Second {
		t.Errorf("write with the primary down and no auto_failover: %v after %s, want error 1429 naming %s at once", err, time.Since(start), primaryAddr)
	}

	// The primary comes back: writes work, replicas replicate again.
	if err := env.Primary.StartAlone(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, err = app.Exec("INSERT INTO items VALUES (3, 'three')")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes after the primary came back: %v", err)
		}
	}
	env.Setup(t) // waits until every replica has the primary's position
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		healthy := true
		for _, r := range s.Topology.Load().Cluster("main").Replicas {
			healthy = healthy && r.Routable() && r.Reason == ""
		}
		if healthy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas after the primary came back: %+v", s.Topology.Load().Cluster("main").Replicas)
		}
	}
}

func TestFailoverWhenThePrimaryDies(t *testing.T) {
	env.Setup(t, "CREATE TABLE blog.events (id BIGINT PRIMARY KEY, body VARCHAR(20))")
	var semi string
	if err := direct(t, primaryAddr).QueryRow("SELECT @@GLOBAL.rpl_semi_sync_master_enabled").Scan(&semi); err != nil || semi != "1" {
		t.Fatalf("the sandbox did not turn on semi-synchronous replication for auto_failover: %q, %v", semi, err)
	}

	s, path := testenv.StartStrataFile(t, topologyYAML)
	admin := "http://" + s.AdminAddr()

	// A failover asked for while the primary is up is refused.
	resp, err := http.Post(admin+"/api/clusters/main/failover", "application/json", bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("failover with the primary up: %d, want 409", resp.StatusCode)
	}

	// Replica B stops receiving: A alone acknowledges the commits, so A
	// is the only right choice. A receives but does not apply (its SQL
	// thread is stopped, as on a replica kept behind for reports): the
	// failover must apply A's relay log before promoting it.
	if _, err := direct(t, replicaB).Exec("STOP SLAVE IO_THREAD"); err != nil {
		t.Fatal(err)
	}
	if _, err := direct(t, replicaA).Exec("STOP SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog", "timeout=2s"))
	app.SetMaxOpenConns(8)
	w := testenv.StartWriters(app, 4)
	time.Sleep(500 * time.Millisecond)

	killed := time.Now()
	if err := env.Primary.Kill(); err != nil {
		t.Fatal(err)
	}
	var failedOver time.Duration
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if s.Topology.Load().Cluster("main").Primary.Addr != primaryAddr {
			failedOver = time.Since(killed)
			break
		}
		if time.Now().After(deadline) {
			w.Halt()
			t.Fatalf("no failover 20s after the primary was killed; history: %+v", s.Admin.Switchover.History())
		}
	}
	ackedBefore := w.Acked()
	time.Sleep(time.Second) // writes go on against the new primary
	w.Halt()
	errs, last := w.Errors()
	t.Logf("failover %s after the kill; %d writes acknowledged, %d after the failover; %d failed (last: %v)",
		failedOver, w.Acked(), w.Acked()-ackedBefore, errs, last)

	// Statements that arrived while the primary was dead waited for the
	// failover; only those running on it when it died failed.
	for text, n := range w.ErrorTexts() {
		if !strings.Contains(text, "during the statement") {
			t.Errorf("%d writes failed with %q: only statements running when the primary died may fail", n, text)
		}
	}

	snap := s.Topology.Load()
	if p := snap.Cluster("main").Primary.Addr; p != replicaA {
		t.Fatalf("new primary %s, want %s (the replica that received every commit)", p, replicaA)
	}
	acked, missing := w.MissingOn(t, direct(t, replicaA))
	if len(missing) != 0 {
		t.Fatalf("%d of %d acknowledged writes missing on the new primary: %v", len(missing), acked, missing[:min(len(missing), 10)])
	}
	if w.Acked()-ackedBefore == 0 {
		t.Errorf("no write succeeded through Strata after the failover")
	}
	old := snap.Server(primaryAddr)
	if old == nil || old.Role != topology.RoleReplica || !old.Drained || old.Routable() {
		t.Errorf("the dead primary after the failover: %+v, want a drained replica", old)
	}

	// B follows the new primary and gets every row.
	if m := testenv.MasterOf(t, direct(t, replicaB)); m != replicaA {
		t.Errorf("replica B replicates from %q, want %s", m, replicaA)
	}
	caughtUp(t, replicaB)

	// Operators see it; the config names the new primary.
	var history []switchover.Event
	testenv.GetJSON(t, admin+"/api/switchovers", &history)
	if len(history) == 0 || history[0].Kind != "failover" || history[0].Report == nil || history[0].Report.NewPrimary != replicaA {
		t.Fatalf("GET /api/switchovers: %+v", history)
	}
	if w := history[0].Report.Warnings; len(w) != 0 {
		t.Errorf("failover warnings: %v", w)
	}
	// The refused count is at least the one asked for with the primary up:
	// under load the monitor may also try once while a replica still
	// reached the dying primary (refused, as it must be).
	if m := metricsText(t, admin); !strings.Contains(m, `strata_primary_changes_total{cluster="main",kind="failover",result="done"} 1`) ||
		!regexp.MustCompile(`strata_primary_changes_total\{cluster="main",kind="failover",result="refused"\} [1-9]`).MatchString(m) {
		t.Errorf("/metrics lacks the failover (done) and the refused one asked for with the primary up")
	}
	// The history shows the failover a moment before the file is saved.
	testenv.Eventually(t, "the config file names the new primary", func() bool {
		saved, err := config.Load(path)
		return err == nil && saved.Clusters["main"].Primary == replicaA
	})

	// The dead primary coming back stays out of routing: it may hold
	// writes no client was told about.
	if err := env.Primary.StartAlone(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // several monitor checks
	if srv := s.Topology.Load().Server(primaryAddr); srv.Routable() {
		t.Errorf("the failed primary is routable once it runs again: %+v", srv)
	}
	if p := s.Topology.Load().Cluster("main").Primary.Addr; p != replicaA {
		t.Errorf("primary moved again to %s", p)
	}

	t.Run("rejoin", func(t *testing.T) { testRejoin(t, s) })
}

// caughtUp waits until addr applied the new primary's position and has
// as many rows as it.
func caughtUp(t *testing.T, addr string) {
	t.Helper()
	if err := testenv.WaitApplied(t, replicaA, addr); err != nil {
		t.Fatal(err)
	}
	var onA, onX int
	direct(t, replicaA).QueryRow("SELECT COUNT(*) FROM blog.events").Scan(&onA)
	direct(t, addr).QueryRow("SELECT COUNT(*) FROM blog.events").Scan(&onX)
	if onA != onX {
		t.Fatalf("%s has %d rows, the primary %d", addr, onX, onA)
	}
}

func routable(s *server.Strata, addr string) bool {
	srv := s.Topology.Load().Server(addr)
	return srv != nil && srv.Routable()
}

// testRejoin brings servers that left back: the failed primary (whether it
// can depends on what it wrote before it died), then a drained replica,
// clean and then with a write made on it by hand.
func testRejoin(t *testing.T, s *server.Strata) {
	admin := "http://" + s.AdminAddr()
	code, out := testenv.PostJSON(t, admin+"/api/servers/"+primaryAddr+"/rejoin", "")
	switch code {
	case http.StatusOK:
		t.Logf("the failed primary rejoined: %v", out["steps"])
		if m := testenv.MasterOf(t, direct(t, primaryAddr)); m != replicaA {
			t.Fatalf("rejoined primary replicates from %q", m)
		}
		caughtUp(t, primaryAddr)
		testenv.Eventually(t, "the rejoined primary back in routing", func() bool { return routable(s, primaryAddr) })
	case http.StatusConflict:
		// It wrote transactions before it died that no replica received
		// (semi-sync acknowledged none of them to a client).
		t.Logf("the failed primary holds errant transactions: %v", out["error"])
		if msg, _ := out["error"].(string); !strings.Contains(msg, "holds transactions the primary "+replicaA+" does not have (0-17430-") {
			t.Fatalf("refusal: %q", msg)
		}
		if routable(s, primaryAddr) || testenv.MasterOf(t, direct(t, primaryAddr)) == replicaA {
			t.Fatal("a refused rejoin changed the server")
		}
	default:
		t.Fatalf("rejoin of the failed primary: %d %v", code, out)
	}

	// A replica drained for maintenance rejoins.
	if code, out := testenv.PostJSON(t, admin+"/api/servers/"+replicaB+"/drain", `{"drain": true}`); code != http.StatusOK {
		t.Fatalf("drain: %d %v", code, out)
	}
	if code, out := testenv.PostJSON(t, admin+"/api/servers/"+replicaB+"/rejoin", ""); code != http.StatusOK || out["server"].(map[string]any)["drained"] != false {
		t.Fatalf("rejoin of a clean replica: %d %v", code, out)
	}
	caughtUp(t, replicaB)
	testenv.Eventually(t, "the rejoined replica back in routing", func() bool { return routable(s, replicaB) })

	// The same replica with a row written on it by hand does not.
	testenv.PostJSON(t, admin+"/api/servers/"+replicaB+"/drain", `{"drain": true}`)
	if _, err := direct(t, replicaB).Exec("INSERT INTO blog.events VALUES (-1, 'by hand')"); err != nil {
		t.Fatal(err)
	}
	code, out = testenv.PostJSON(t, admin+"/api/servers/"+replicaB+"/rejoin", "")
	if msg, _ := out["error"].(string); code != http.StatusConflict || !strings.Contains(msg, "(0-17432-") || !strings.Contains(msg, "rebuild it") {
		t.Fatalf("rejoin of a replica with a write of its own: %d %v", code, out)
	}
	if routable(s, replicaB) {
		t.Fatal("the refused replica is back in routing")
	}
	var history []switchover.Event
	testenv.GetJSON(t, admin+"/api/switchovers", &history)
	if len(history) < 3 || history[0].Kind != "rejoin" || history[0].Error == "" || history[1].Kind != "rejoin" || history[1].Report == nil {
		t.Errorf("history after the rejoins: %+v", history[:min(len(history), 3)])
	}
}

// metricsText is what /metrics shows.
func metricsText(t *testing.T, admin string) string {
	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}
