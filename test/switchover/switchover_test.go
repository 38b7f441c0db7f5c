// Package switchover tests a planned primary change end to end: real
// MariaDB servers with GTID replication, Strata in front, clients writing
// through it the whole time. What a user relies on: no acknowledged write
// is lost, no client sees an error, writes go to the new primary, the old
// one and the other replicas follow it, and the config file names it.
package switchover

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/server"
	sw "github.com/strata-proxy/strata/switchover"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/topology"
)

const (
	primaryAddr = "127.0.0.1:17420"
	replicaA    = "127.0.0.1:17421"
	replicaB    = "127.0.0.1:17422"
)

const topologyYAML = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users:
  - {name: app, password: app}
backend: {user: strata, password: strata}
switchover: {user: root, password: "", replication_user: repl, replication_password: repl, timeout: 5s}
monitor: {interval: 200ms}
clusters:
  main:
    primary: 127.0.0.1:17420
    replicas:
      - {address: 127.0.0.1:17421, pool: primary}
      - {address: 127.0.0.1:17422, pool: primary}
`

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, topologyYAML, func(e *testenv.Env) error {
		env = e
		return nil
	})
}

// direct opens root on one server, bypassing Strata.
func direct(t *testing.T, addr string) *sql.DB { return testenv.Direct(t, addr) }

// switchover asks Strata's admin API for a switchover and decodes the answer.
func switchover(t *testing.T, s *server.Strata, body string) (int, map[string]any) {
	t.Helper()
	return testenv.PostJSON(t, "http://"+s.AdminAddr()+"/api/clusters/main/switchover", body)
}

func readOnly(t *testing.T, addr string) int {
	var v int
	if err := direct(t, addr).QueryRow("SELECT @@GLOBAL.read_only").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// masterOf is where addr replicates from ("" when it does not).
func masterOf(t *testing.T, addr string) string { return testenv.MasterOf(t, direct(t, addr)) }

// replicationErrors describes addr's replication threads, for failures.
func replicationErrors(t *testing.T, addr string) string {
	st, err := topology.ShowReplicaStatus(context.Background(), direct(t, addr))
	if err != nil || st == nil {
		return fmt.Sprintf("not a replica (%v)", err)
	}
	var out string
	for _, c := range []string{"Master_Port", "Slave_IO_Running", "Slave_SQL_Running", "Last_IO_Error", "Last_SQL_Error", "Gtid_IO_Pos"} {
		out += c + "=" + st[c].String + " "
	}
	return out
}

func TestSwitchoverUnderWrites(t *testing.T) {
	env.Setup(t, "DROP TABLE IF EXISTS blog.events", "CREATE TABLE blog.events (id BIGINT PRIMARY KEY, body VARCHAR(20))")
	s, path := testenv.StartStrataFile(t, topologyYAML)
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	app.SetMaxOpenConns(8)

	w := testenv.StartWriters(app, 4)
	time.Sleep(300 * time.Millisecond)

	// A transaction open when the switchover starts: the switchover waits
	// for it, and its commit lands on the old primary before the switch.
	open, err := app.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open.Exec("INSERT INTO blog.events (id, body) VALUES (1, 'open tx')"); err != nil {
		t.Fatal(err)
	}
	committed := make(chan error, 1)
	go func() {
		time.Sleep(400 * time.Millisecond)
		committed <- open.Commit()
	}()

	start := time.Now()
	code, rep := switchover(t, s, fmt.Sprintf(`{"to": %q}`, replicaA))
	took := time.Since(start)
	if code != http.StatusOK {
		t.Fatalf("switchover: %d %v", code, rep)
	}
	if err := <-committed; err != nil {
		t.Fatalf("the transaction open during the switchover failed to commit: %v", err)
	}
	if took < 300*time.Millisecond {
		t.Errorf("switchover returned after %s, before the open transaction committed", took)
	}
	time.Sleep(300 * time.Millisecond) // writes go on against the new primary
	w.Halt()

	if rep["new_primary"] != replicaA || rep["old_primary"] != primaryAddr || rep["gtid"] == "" {
		t.Errorf("report: %v", rep)
	}
	if rep["warnings"] != nil {
		t.Errorf("switchover warnings: %v", rep["warnings"])
	}
	if rep["config_saved"] != path {
		t.Errorf("config not saved: %v", rep["config_not_saved"])
	}
	if n, last := w.Errors(); n != 0 {
		t.Errorf("%d writes failed during the switchover (last: %v); they should have waited", n, last)
	}
	acked, missing := w.MissingOn(t, direct(t, replicaA))
	t.Logf("switchover took %s, writes held %v ms, %d rows acknowledged; steps %v", took, rep["writes_held_ms"], acked, rep["steps"])
	if acked < 50 || len(missing) != 0 {
		t.Fatalf("%d writes acknowledged, %d of them missing on the new primary: %v", acked, len(missing), missing[:min(len(missing), 10)])
	}
	var body string
	if err := direct(t, replicaA).QueryRow("SELECT body FROM blog.events WHERE id = 1").Scan(&body); err != nil || body != "open tx" {
		t.Fatalf("the open transaction's row on the new primary: %q, %v", body, err)
	}

	// The servers: new primary writable, old one read_only and replicating
	// from it, the other replica too.
	if readOnly(t, replicaA) != 0 || readOnly(t, primaryAddr) != 1 {
		t.Errorf("read_only: new primary %d, old primary %d", readOnly(t, replicaA), readOnly(t, primaryAddr))
	}
	for _, addr := range []string{primaryAddr, replicaB} {
		if got := masterOf(t, addr); got != replicaA {
			t.Errorf("%s replicates from %q, want %s", addr, got, replicaA)
		}
	}
	if got := masterOf(t, replicaA); got != "" {
		t.Errorf("the new primary still replicates from %s", got)
	}

	// A write through Strata after the switch reaches every server.
	if _, err := app.Exec("INSERT INTO blog.events (id, body) VALUES (2, 'after')"); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{primaryAddr, replicaB} {
		if err := testenv.WaitApplied(t, replicaA, addr); err != nil {
			t.Fatalf("%v: %s", err, replicationErrors(t, addr))
		}
		var n int
		if err := direct(t, addr).QueryRow("SELECT COUNT(*) FROM blog.events WHERE id = 2").Scan(&n); err != nil || n != 1 {
			t.Fatalf("the write after the switch is not on %s: %d, %v", addr, n, err)
		}
	}

	// Strata's view and the saved file name the new primary.
	if p := s.Topology.Load().Cluster("main").Primary.Addr; p != replicaA {
		t.Errorf("Strata's primary is %s", p)
	}
	saved, err := config.Load(path)
	if err != nil || saved.Clusters["main"].Primary != replicaA {
		t.Fatalf("saved config: %v, %v", saved, err)
	}
	found := false
	for _, r := range saved.Clusters["main"].Replicas {
		found = found || r.Address == primaryAddr
	}
	if !found {
		t.Errorf("the old primary is not a replica in the saved config: %+v", saved.Clusters["main"].Replicas)
	}
	// Reads still go to replicas only: the old primary among them.
	testenv.Eventually(t, "the old primary serves reads as a replica", func() bool {
		srv := s.Topology.Load().Server(primaryAddr)
		return srv != nil && srv.Routable()
	})

	// And back, with writes running again: the switchover repeats.
	w2 := testenv.StartWriters(app, 2)
	time.Sleep(200 * time.Millisecond)
	if code, rep := switchover(t, s, fmt.Sprintf(`{"to": %q}`, primaryAddr)); code != http.StatusOK {
		t.Fatalf("switching back: %d %v", code, rep)
	}
	time.Sleep(200 * time.Millisecond)
	w2.Halt()
	if n, last := w2.Errors(); n != 0 {
		t.Errorf("%d writes failed switching back (last: %v)", n, last)
	}
	if _, missing := w2.MissingOn(t, direct(t, primaryAddr)); len(missing) != 0 {
		t.Fatalf("%d acknowledged writes missing on %s after switching back", len(missing), primaryAddr)
	}
	if masterOf(t, replicaA) != primaryAddr || readOnly(t, replicaA) != 1 || readOnly(t, primaryAddr) != 0 {
		t.Errorf("after switching back: %s replicates from %q, read_only %d / %d", replicaA, masterOf(t, replicaA), readOnly(t, replicaA), readOnly(t, primaryAddr))
	}
}

// An unchanged PHP application (PDO, native prepared statements) keeps
// writing through a switchover and back: it sees no error, and every row it
// was told about is on the primary afterwards. Its prepared statement,
// prepared on the old primary, runs on the new one.
func TestPHPAppThroughSwitchover(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	env.Setup(t, "DROP TABLE IF EXISTS blog.php_events", "CREATE TABLE blog.php_events (id BIGINT PRIMARY KEY, body VARCHAR(20))")
	s, _ := testenv.StartStrataFile(t, topologyYAML)
	host, port, _ := net.SplitHostPort(s.MySQLAddr())
	script, _ := filepath.Abs("../php/switchover_writer.php")
	cmd := exec.Command("php", script, host, port, "php_events", "2.5", "0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if code, out := switchover(t, s, fmt.Sprintf(`{"to": %q}`, replicaB)); code != http.StatusOK {
		t.Fatalf("switchover: %d %v", code, out)
	}
	time.Sleep(500 * time.Millisecond)
	if code, out := switchover(t, s, fmt.Sprintf(`{"to": %q}`, primaryAddr)); code != http.StatusOK {
		t.Fatalf("switching back: %d %v", code, out)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("php: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if lines[0] != "errors 0" {
		t.Fatalf("the PHP app saw %s during the switchovers:\n%s", lines[0], stderr.String())
	}
	have := map[string]bool{}
	rows, err := direct(t, primaryAddr).Query("SELECT id FROM blog.php_events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		rows.Scan(&id)
		have[id] = true
	}
	var missing []string
	for _, id := range lines[1:] {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	t.Logf("the PHP app had %d writes acknowledged across two switchovers", len(lines)-1)
	if len(lines) < 100 || len(missing) > 0 {
		t.Fatalf("%d acknowledged, %d missing on the primary: %v", len(lines)-1, len(missing), missing[:min(len(missing), 10)])
	}
}

// Two Strata instances in front of the same servers (one per app host,
// say): a switchover made through one is followed by the other, whose
// monitor sees the old primary read_only and replicating from the new one.
func TestSecondStrataFollows(t *testing.T) {
	env.Setup(t, "CREATE TABLE IF NOT EXISTS blog.follow (id INT PRIMARY KEY)")
	first, _ := testenv.StartStrataFile(t, topologyYAML)
	second, secondConf := testenv.StartStrataFile(t, topologyYAML)
	app := testenv.Open(t, testenv.DSN(second.MySQLAddr(), "app", "app", "blog"))
	for i, to := range []string{replicaA, primaryAddr} {
		if code, out := switchover(t, first, fmt.Sprintf(`{"to": %q}`, to)); code != http.StatusOK {
			t.Fatalf("switchover to %s: %d %v", to, code, out)
		}
		testenv.Eventually(t, "the second Strata follows the switchover to "+to, func() bool {
			return second.Topology.Load().Cluster("main").Primary.Addr == to
		})
		// Writes through the second Strata land on the new primary
		// (until it followed they failed on the read_only old one).
		testenv.Eventually(t, "a write through the second Strata", func() bool {
			_, err := app.Exec("INSERT INTO follow VALUES (?)", i)
			return err == nil
		})
		var n int
		direct(t, to).QueryRow("SELECT COUNT(*) FROM blog.follow WHERE id = ?", i).Scan(&n)
		if n != 1 {
			t.Fatalf("the write through the second Strata is not on %s", to)
		}
		var history []sw.Event
		testenv.GetJSON(t, "http://"+second.AdminAddr()+"/api/switchovers", &history)
		if len(history) == 0 || history[0].Kind != "followed" || history[0].Report.NewPrimary != to {
			t.Fatalf("the second Strata's history: %+v", history)
		}
		// The history shows the change a moment before the file is saved.
		testenv.Eventually(t, "the second Strata's config file names "+to, func() bool {
			saved, err := config.Load(secondConf)
			return err == nil && saved.Clusters["main"].Primary == to
		})
	}
}

// Refusals leave the cluster as it was and say why.
func TestSwitchoverRefusals(t *testing.T) {
	env.Setup(t, "CREATE TABLE IF NOT EXISTS blog.held (id INT PRIMARY KEY)")
	s, _ := testenv.StartStrataFile(t, topologyYAML)
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	before := s.Topology.Load().Cluster("main").Primary.Addr

	cases := []struct {
		name string
		body string
		code int
	}{
		{"not a server of the cluster", `{"to": "127.0.0.1:1"}`, http.StatusNotFound},
		{"already the primary", fmt.Sprintf(`{"to": %q}`, before), http.StatusConflict},
		{"bad timeout", `{"timeout": "soon"}`, http.StatusBadRequest},
		{"unknown field", `{"target": "x"}`, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := switchover(t, s, tc.body)
			if code != tc.code || out["error"] == "" {
				t.Fatalf("got %d %v, want %d with an error message", code, out, tc.code)
			}
		})
	}

	t.Run("a transaction open past the timeout", func(t *testing.T) {
		tx, err := app.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO blog.held VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		code, out := switchover(t, s, `{"timeout": "500ms"}`)
		if code != http.StatusConflict {
			t.Fatalf("switchover with a transaction open: %d %v, want 409", code, out)
		}
		msg, _ := out["error"].(string)
		if want := fmt.Sprintf("sessions %d (strata sessions shows them", holderID(t, s, before)); !strings.Contains(msg, "still in use") || !strings.Contains(msg, want) {
			t.Errorf("message does not say what held it (want %q): %q", want, msg)
		}
		// Nothing changed: the transaction commits, writes go on to the
		// same primary, which is still writable.
		if err := tx.Commit(); err != nil {
			t.Fatalf("commit after the refused switchover: %v", err)
		}
		if _, err := app.Exec("INSERT INTO blog.held VALUES (2)"); err != nil {
			t.Fatalf("write after the refused switchover: %v", err)
		}
		if p := s.Topology.Load().Cluster("main").Primary.Addr; p != before {
			t.Errorf("primary changed to %s", p)
		}
		var n int
		direct(t, before).QueryRow("SELECT COUNT(*) FROM blog.held").Scan(&n)
		if n != 2 || readOnly(t, before) != 0 {
			t.Errorf("on the primary: %d rows, read_only %d", n, readOnly(t, before))
		}
	})

	t.Run("a replica that cannot catch up in time", func(t *testing.T) {
		// replicaB applies everything 5 s late: it cannot have the
		// primary's last write within the 2 s the switchover allows (the
		// first second of which goes to the INSERT's kept connection, which
		// Strata hands back after a second of client silence).
		delay := func(seconds int) {
			for _, q := range []string{"STOP SLAVE", fmt.Sprintf("CHANGE MASTER TO MASTER_DELAY = %d", seconds), "START SLAVE"} {
				if _, err := direct(t, replicaB).Exec(q); err != nil {
					t.Fatal(err)
				}
			}
		}
		delay(5)
		defer func() {
			delay(0)
			env.Setup(t) // wait until every replica has caught up again
		}()
		testenv.Eventually(t, "replicaB routable with its delay", func() bool {
			srv := s.Topology.Load().Server(replicaB)
			return srv != nil && srv.State == "up"
		})
		if _, err := app.Exec("INSERT INTO blog.held VALUES (5)"); err != nil {
			t.Fatal(err)
		}
		code, out := switchover(t, s, fmt.Sprintf(`{"to": %q, "timeout": "2s"}`, replicaB))
		msg, _ := out["error"].(string)
		if code != http.StatusConflict || !strings.Contains(msg, "had not applied the primary's position") || !strings.Contains(msg, "nothing was changed") {
			t.Fatalf("switchover to a replica 5 s behind: %d %v", code, out)
		}
		// Undone: the primary takes writes again, the replica still
		// replicates from it, Strata's primary is the same.
		if readOnly(t, before) != 0 {
			t.Fatal("the primary stayed read_only after the switchover was undone")
		}
		if m := masterOf(t, replicaB); m != before {
			t.Fatalf("replicaB replicates from %q after the undone switchover", m)
		}
		if p := s.Topology.Load().Cluster("main").Primary.Addr; p != before {
			t.Fatalf("Strata's primary is %s", p)
		}
		if _, err := app.Exec("INSERT INTO blog.held VALUES (6)"); err != nil {
			t.Fatalf("write after the undone switchover: %v", err)
		}
	})

	t.Run("forced past a transaction that stays open", func(t *testing.T) {
		tx, err := app.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO blog.held VALUES (3)"); err != nil {
			t.Fatal(err)
		}
		id := holderID(t, s, before)
		code, out := switchover(t, s, fmt.Sprintf(`{"to": %q, "timeout": "300ms", "force": true}`, replicaA))
		if code != http.StatusOK {
			t.Fatalf("forced switchover: %d %v", code, out)
		}
		if w := fmt.Sprint(out["warnings"]); !strings.Contains(w, fmt.Sprintf("closed 1 client sessions that still held the primary %s after 300ms: %d", before, id)) {
			t.Errorf("warnings do not name the closed session %d: %s", id, w)
		}
		// The closed session's transaction rolled back: its client was
		// never told it committed, and its row is nowhere.
		if err := tx.Commit(); err == nil {
			t.Fatal("the transaction of a closed session committed")
		}
		for _, addr := range []string{before, replicaA} {
			var n int
			direct(t, addr).QueryRow("SELECT COUNT(*) FROM blog.held WHERE id = 3").Scan(&n)
			if n != 0 {
				t.Errorf("the rolled-back row is on %s", addr)
			}
		}
		if _, err := app.Exec("INSERT INTO blog.held VALUES (4)"); err != nil {
			t.Fatalf("write after the forced switchover: %v", err)
		}
		var n int
		direct(t, replicaA).QueryRow("SELECT COUNT(*) FROM blog.held WHERE id = 4").Scan(&n)
		if n != 1 {
			t.Error("the write after the forced switchover is not on the new primary")
		}
		if code, out := switchover(t, s, fmt.Sprintf(`{"to": %q}`, before)); code != http.StatusOK {
			t.Fatalf("switching back: %d %v", code, out)
		}
	})
}

// holderID is the id of the one session that holds a connection to addr,
// from GET /api/sessions.
func holderID(t *testing.T, s *server.Strata, addr string) uint32 {
	t.Helper()
	resp, err := http.Get("http://" + s.AdminAddr() + "/api/sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct {
		ID    uint32 `json:"id"`
		Holds string `json:"holds"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, in := range list {
		if in.Holds == addr {
			ids = append(ids, in.ID)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("sessions holding %s: %v, want one (%+v)", addr, ids, list)
	}
	return ids[0]
}

// Under consistency: global, what replicas must have applied is kept per
// primary: after a switchover nothing is known of the new one until a
// read reads its position there, so writes the old primary acknowledged
// but a failover would have lost are never waited for.
func TestGlobalConsistencyFollowsTheNewPrimary(t *testing.T) {
	env.Setup(t, "CREATE TABLE IF NOT EXISTS blog.global_follow (id INT PRIMARY KEY)")
	yaml := strings.Replace(topologyYAML, "    primary: 127.0.0.1:17420\n", "    primary: 127.0.0.1:17420\n    consistency: global\n", 1)
	s, _ := testenv.StartStrataFile(t, yaml)
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	acknowledged := func() string {
		var pools struct {
			Clusters []struct {
				AcknowledgedGTID string `json:"acknowledged_gtid"`
			} `json:"clusters"`
		}
		testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/pools", &pools)
		return pools.Clusters[0].AcknowledgedGTID
	}
	binlogPos := func(addr string) string {
		var pos string
		if err := direct(t, addr).QueryRow("SELECT @@GLOBAL.gtid_binlog_pos").Scan(&pos); err != nil {
			t.Fatal(err)
		}
		return pos
	}
	readAndWrite := func(id int) {
		t.Helper()
		var n int
		if err := app.QueryRow("SELECT COUNT(*) FROM global_follow").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Exec("INSERT INTO global_follow VALUES (?)", id); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if s.Topology.Load().Cluster("main").Primary.Addr != primaryAddr {
			switchover(t, s, fmt.Sprintf(`{"to": %q}`, primaryAddr))
		}
	})
	readAndWrite(1)
	if got, want := acknowledged(), binlogPos(primaryAddr); got != want {
		t.Fatalf("before the switchover: acknowledged_gtid %q, want the primary's position %q", got, want)
	}
	if code, out := switchover(t, s, fmt.Sprintf(`{"to": %q}`, replicaA)); code != http.StatusOK {
		t.Fatalf("switchover: %d %v", code, out)
	}
	if got := acknowledged(); got != "" {
		t.Errorf("right after the switchover: acknowledged_gtid %q, want none (the old primary's writes are the new one's to show)", got)
	}
	var n int
	if err := app.QueryRow("SELECT COUNT(*) FROM global_follow WHERE id = 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the first read after the switchover: %d, %v", n, err)
	}
	if got, want := acknowledged(), binlogPos(replicaA); got != want {
		t.Errorf("after the first read: acknowledged_gtid %q, want the new primary's position %q", got, want)
	}
}
