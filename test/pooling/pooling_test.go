// Package pooling tests database pooling end to end: a primary and four
// replicas in three named pools, routing rules, read-your-writes and the
// result cache, each proven from the servers' own counters.
package pooling

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
)

// The seed article's pools: primary (2 replicas), batch and comments.
const topology = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users:
  - {name: app, password: app}
  - {name: cron, password: cron}
backend: {user: strata, password: strata}
monitor: {interval: 200ms}
clusters:
  main:
    primary: 127.0.0.1:18306
    consistency: %s
    replicas:
      - {address: 127.0.0.1:18307, pool: primary}
      - {address: 127.0.0.1:18308, pool: primary}
      - {address: 127.0.0.1:18309, pool: batch}
      - {address: 127.0.0.1:18310, pool: comments}
routing:
  - {match: {user: cron}, pool: batch}
  - {match: {tables: [comments]}, pool: comments}
  - {match: {hint: report}, pool: batch}
  - {match: {tables: [cached_items, cached_view]}, pool: primary, cache: 30s}
`

var (
	env      *testenv.Env
	eventual *server.Strata // consistency: eventual
	session  *server.Strata // consistency: session
	global   *server.Strata // consistency: global
)

func TestMain(m *testing.M) {
	testenv.Main(m, fmt.Sprintf(topology, "eventual"), func(e *testenv.Env) error {
		env = e
		var err error
		if eventual, err = testenv.StartStrata(fmt.Sprintf(topology, "eventual")); err != nil {
			return err
		}
		if session, err = testenv.StartStrata(fmt.Sprintf(topology, "session")); err != nil {
			return err
		}
		global, err = testenv.StartStrata(fmt.Sprintf(topology, "global"))
		return err
	})
}

func replica(port int) *sandbox.Server { return env.SB.Server(fmt.Sprintf("127.0.0.1:%d", port)) }

func open(t *testing.T, s *server.Strata, user string) testenv.Querier {
	return testenv.Open(t, testenv.DSN(s.MySQLAddr(), user, user, "blog"))
}

// readsOn returns rows read of table per server, keyed by port.
func readsOn(t *testing.T, table string) map[int]int64 {
	out := map[int]int64{env.Primary.Port: testenv.RowsRead(t, env.Primary, table)}
	for _, r := range env.Replicas {
		out[r.Port] = testenv.RowsRead(t, r, table)
	}
	return out
}

func delta(before, after map[int]int64) map[int]int64 {
	d := map[int]int64{}
	for port, n := range after {
		if n != before[port] {
			d[port] = n - before[port]
		}
	}
	return d
}

func ports(d map[int]int64) string {
	var parts []string
	for _, p := range []int{18306, 18307, 18308, 18309, 18310} {
		if d[p] != 0 {
			parts = append(parts, fmt.Sprintf("%d:%d", p, d[p]))
		}
	}
	return strings.Join(parts, " ")
}

// Each rule sends its class of reads to its pool, and only there.
func TestRulesSendEachClassToItsPool(t *testing.T) {
	env.Setup(t,
		"CREATE TABLE blog.comments (id INT PRIMARY KEY, entry_id INT, body VARCHAR(50))",
		"CREATE TABLE blog.entries (id INT PRIMARY KEY, title VARCHAR(50))",
		"INSERT INTO blog.comments VALUES (1, 1, 'c1'), (2, 1, 'c2')",
		"INSERT INTO blog.entries VALUES (1, 'e1')")
	app, cron := open(t, eventual, "app"), open(t, eventual, "cron")
	cases := []struct {
		name  string
		q     testenv.Querier
		sql   string
		table string
		want  string // the ports that may read, space separated
	}{
		{"comments go to the comments pool", app, "SELECT SQL_NO_CACHE body FROM comments WHERE entry_id = 1", "comments", "18310"},
		{"other reads go to the default pool", app, "SELECT SQL_NO_CACHE title FROM entries WHERE id = 1", "entries", "18307 18308"},
		{"the cron user goes to batch", cron, "SELECT SQL_NO_CACHE title FROM entries WHERE id = 1", "entries", "18309"},
		{"user rule wins over table rule", cron, "SELECT SQL_NO_CACHE body FROM comments WHERE id = 1", "comments", "18309"},
		{"hint picks the batch pool", app, "SELECT /* strata:pool=report */ SQL_NO_CACHE title FROM entries", "entries", "18309"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := readsOn(t, tc.table)
			for i := 0; i < 20; i++ {
				testenv.Strings(t, tc.q, tc.sql)
			}
			d := delta(before, readsOn(t, tc.table))
			allowed := map[int]bool{}
			for _, p := range strings.Fields(tc.want) {
				var port int
				fmt.Sscan(p, &port)
				allowed[port] = true
				if d[port] == 0 {
					t.Errorf("%d served none of the reads (reads by server: %s)", port, ports(d))
				}
			}
			for port := range d {
				if !allowed[port] {
					t.Errorf("%d read %s rows but is not in the rule's pool (reads by server: %s)", port, tc.table, ports(d))
				}
			}
		})
	}
}

// With replicas made to lag, consistency: session never returns a stale
// read after the session's own write; eventual does (so the test can fail).
func TestReadYourWrites(t *testing.T) {
	env.Setup(t, "CREATE TABLE blog.ryw (id INT PRIMARY KEY, v INT)")
	lagReplicas(t)
	stale := func(s *server.Strata, base, pairs int, params ...string) int {
		db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog", params...))
		db.SetMaxOpenConns(1)
		n := 0
		for i := 0; i < pairs; i++ {
			id := base + i
			if _, err := db.Exec("INSERT INTO ryw VALUES (?, ?)", id, i); err != nil {
				t.Fatal(err)
			}
			var v int
			err := db.QueryRow("SELECT SQL_NO_CACHE v FROM ryw WHERE id = ?", id).Scan(&v)
			if err != nil || v != i {
				n++
			}
		}
		return n
	}
	if n := stale(eventual, 0, 50); n == 0 {
		t.Fatal("eventual consistency showed no stale read with lagging replicas: the test cannot tell")
	}
	if n := stale(session, 100000, 1000); n != 0 {
		t.Errorf("consistency: session returned %d stale reads of 1000", n)
	}
	// Text reads (the values written into the statement, as PHP's
	// emulated prepares send them) go out with their wait: the replica
	// answers too early, that answer is dropped and the read runs on the
	// primary, and the connection serves the next read as usual.
	if n := stale(session, 130000, 300, "interpolateParams=true"); n != 0 {
		t.Errorf("consistency: session returned %d stale text reads of 300", n)
	}
	// A statement prepared right after the session created its table
	// prepares where the table is: its wait goes with the prepare, and a
	// replica without the table hands it to the primary. Under eventual
	// the prepare lands on a replica that lacks it (so the test can fail).
	freshTable := func(s *server.Strata, name string) error {
		db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
		db.SetMaxOpenConns(1)
		if _, err := db.Exec("CREATE TABLE " + name + " (id INT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		var n int
		return db.QueryRow("SELECT COUNT(*) FROM "+name+" WHERE id > ?", 0).Scan(&n)
	}
	missed := 0
	for i := range 5 {
		if freshTable(eventual, fmt.Sprintf("ryw_ev%d", i)) != nil {
			missed++
		}
	}
	if missed == 0 {
		t.Error("under eventual, 5 statements prepared right after their table was created all found it: the test cannot tell")
	}
	for i := range 30 {
		if err := freshTable(session, fmt.Sprintf("ryw_new%d", i)); err != nil {
			t.Errorf("under session, a statement prepared right after its table was created: %v", err)
		}
	}
	// The GTID each write leaves comes back in the write's OK (Strata's
	// server connections track last_gtid): no SELECT @@last_gtid follows
	// the writes on the primary. (Health checks select there too, a few a
	// second.)
	primary := testenv.Direct(t, env.Primary.Addr)
	comSelect := func() int {
		var name string
		var n int
		if err := primary.QueryRow("SHOW GLOBAL STATUS LIKE 'Com_select'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	writer := testenv.Open(t, testenv.DSN(session.MySQLAddr(), "app", "app", "blog"))
	before := comSelect()
	for i := range 200 {
		if _, err := writer.Exec("INSERT INTO ryw VALUES (?, 0)", 150000+i); err != nil {
			t.Fatal(err)
		}
	}
	if n := comSelect() - before; n >= 100 {
		t.Errorf("200 writes under consistency: session ran %d SELECTs on the primary: their GTIDs were asked for", n)
	}
	// A client that turns the server's trackers off for its session still
	// reads its writes (Strata asks for their GTIDs), and so do the
	// clients the same server connections serve after it (Strata tracks
	// last_gtid there again, not the server's defaults).
	own := testenv.Conn(t, testenv.Open(t, testenv.DSN(session.MySQLAddr(), "app", "app", "blog")))
	ctx := testenv.Ctx(t)
	if _, err := own.ExecContext(ctx, "SET session_track_system_variables = '', session_track_schema = ON"); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		var v int
		if _, err := own.ExecContext(ctx, "INSERT INTO ryw VALUES (?, ?)", 160000+i, i); err != nil {
			t.Fatal(err)
		}
		if err := own.QueryRowContext(ctx, "SELECT SQL_NO_CACHE v FROM ryw WHERE id = ?", 160000+i).Scan(&v); err != nil || v != i {
			t.Fatalf("with the session's own trackers off, a read after its write got %d, %v", v, err)
		}
	}
	own.Close()
	if n := stale(session, 170000, 200); n != 0 {
		t.Errorf("after a session that set its own trackers, consistency: session returned %d stale reads of 200", n)
	}
	// EXPLAIN STRATA says what the session's next read waits for.
	conn := testenv.Conn(t, testenv.Open(t, testenv.DSN(session.MySQLAddr(), "app", "app", "blog")))
	if _, err := conn.ExecContext(testenv.Ctx(t), "INSERT INTO ryw VALUES (200000, 1)"); err != nil {
		t.Fatal(err)
	}
	explain := strings.Join(testenv.Strings(t, conn, "EXPLAIN STRATA SELECT v FROM ryw WHERE id = 1"), "\n")
	if !strings.Contains(explain, "consistency|main|ryw|consistency session: on a replica once it has applied this session's last write there (0-18306-") {
		t.Errorf("EXPLAIN STRATA after the session's write:\n%s", explain)
	}
}

// Under consistency: session, once a replica has shown that it holds the
// session's last write, the session's reads stay on it until its next
// write: they need no wait there, where the pool's other replica would
// make each of them wait again (about 1.9 waits per write for a write and
// four reads with two replicas, against one).
func TestSessionReadsStayOnAReplicaThatHasTheirWrite(t *testing.T) {
	env.Setup(t, "CREATE TABLE blog.stay (id INT PRIMARY KEY, v INT)")
	if err := env.SB.WaitReplicated(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	waits := func() float64 {
		m := testenv.GetText(t, "http://"+session.AdminAddr()+"/metrics")
		return metricValue(m, `strata_read_your_writes_waits_total{outcome="applied"}`) +
			metricValue(m, `strata_read_your_writes_waits_total{outcome="behind"}`)
	}
	db := testenv.Open(t, testenv.DSN(session.MySQLAddr(), "app", "app", "blog", "interpolateParams=true"))
	db.SetMaxOpenConns(1)
	before := readsOn(t, "stay")
	start := waits()
	const writes = 50
	for i := range writes {
		if _, err := db.Exec("INSERT INTO stay VALUES (?, ?)", i, i); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			var v int
			if err := db.QueryRow("SELECT SQL_NO_CACHE v FROM stay WHERE id = ?", i).Scan(&v); err != nil || v != i {
				t.Fatalf("read after write %d: %d, %v", i, v, err)
			}
		}
	}
	d := delta(before, readsOn(t, "stay"))
	if onReplicas := d[env.Replicas[0].Port] + d[env.Replicas[1].Port]; onReplicas < writes {
		t.Fatalf("only %d of %d reads ran on the replicas (reads by server: %s): the test needs them there", onReplicas, 4*writes, ports(d))
	}
	n := waits() - start
	t.Logf("%v waits for %d writes", n, writes)
	if n > 1.3*writes {
		t.Errorf("%v waits for %d writes each read back 4 times: the reads after a wait left the replica that had the write", n, writes)
	}
}

// Writes that name no table — a procedure's, a SQL-level EXECUTE's, a
// CREATE DATABASE — are read back too: under consistency: session on the
// same connection, under global on another. With lagging replicas,
// eventual misses them (so the test can fail).
func TestReadYourWritesNamedNowhere(t *testing.T) {
	env.Setup(t, "CREATE TABLE blog.unnamed (id INT PRIMARY KEY, v INT)",
		"CREATE PROCEDURE blog.put_unnamed(i INT) INSERT INTO blog.unnamed VALUES (i, i)")
	lagReplicas(t)
	type step struct {
		name         string
		write, check string // %d: a new number
		want         string
	}
	steps := []step{
		{"CALL", "CALL put_unnamed(%d)", "SELECT COUNT(*) FROM unnamed WHERE id = %d", "1"},
		{"EXECUTE", "PREPARE put FROM 'INSERT INTO unnamed VALUES (?, ?)'; EXECUTE put USING %[1]d, %[1]d; DEALLOCATE PREPARE put",
			"SELECT COUNT(*) FROM unnamed WHERE id = %d", "1"},
		{"CREATE DATABASE", "CREATE DATABASE unnamed_%d", "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'unnamed_%d'", "1"},
	}
	stale := func(s *server.Strata, across bool, base int) map[string]int {
		replicasRoutable(t, s)
		writer := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog", "multiStatements=true"))
		writer.SetMaxOpenConns(1)
		reader := writer
		if across {
			reader = testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
			reader.SetMaxOpenConns(1)
		}
		// The reader's first read lets Strata learn where the cluster
		// stands (global reads the primary's position); once the
		// replicas are past it, only what the loop writes can hold a
		// read back.
		var n int
		if err := reader.QueryRow("SELECT COUNT(*) FROM unnamed").Scan(&n); err != nil {
			t.Fatal(err)
		}
		for _, r := range env.Replicas[:2] {
			if err := testenv.WaitApplied(t, env.Primary.Addr, r.Addr); err != nil {
				t.Fatal(err)
			}
		}
		missed := map[string]int{}
		for i := 0; i < 10; i++ {
			for j, st := range steps {
				n := base + 100*j + i
				if _, err := writer.Exec(fmt.Sprintf(st.write, n)); err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				var got string
				if err := reader.QueryRow(fmt.Sprintf(st.check, n)).Scan(&got); err != nil || got != st.want {
					missed[st.name]++
				}
			}
		}
		t.Cleanup(func() {
			for i := 0; i < 10; i++ {
				_ = env.Primary.Exec(testenv.Ctx(t), fmt.Sprintf("DROP DATABASE IF EXISTS unnamed_%d", base+200+i))
			}
		})
		return missed
	}
	if missed := stale(eventual, false, 1000); len(missed) != len(steps) {
		t.Fatalf("consistency: eventual read back every %s write with lagging replicas (misses of 10 each: %v): the test cannot tell", "such", missed)
	}
	if missed := stale(session, false, 2000); len(missed) != 0 {
		t.Errorf("consistency: session missed the session's own writes (of 10 each): %v", missed)
	}
	if missed := stale(global, true, 3000); len(missed) != 0 {
		t.Errorf("consistency: global missed another connection's writes (of 10 each): %v", missed)
	}
}

// metricValue is the value of the sample named (with its labels) in a
// /metrics text, 0 when absent.
func metricValue(text, sample string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, sample+" "); ok {
			var v float64
			fmt.Sscan(rest, &v)
			return v
		}
	}
	return 0
}

// replicasRoutable waits until s routes reads to both replicas of the
// primary pool (its monitor may have taken them out while their
// replication restarted).
func replicasRoutable(t *testing.T, s *server.Strata) {
	t.Helper()
	testenv.Eventually(t, "Strata routes reads to the primary pool's replicas", func() bool {
		var pools struct {
			Clusters []struct {
				Pools []struct {
					Name     string `json:"name"`
					Routable int    `json:"routable"`
				} `json:"pools"`
			} `json:"clusters"`
		}
		testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/pools", &pools)
		for _, p := range pools.Clusters[0].Pools {
			if p.Name == "primary" {
				return p.Routable == 2
			}
		}
		return false
	})
}

// lagReplicas makes the primary pool's replicas apply writes a second late
// for the rest of the test.
func lagReplicas(t *testing.T) {
	ctx := testenv.Ctx(t)
	lagged := env.Replicas[:2] // the primary pool
	for _, r := range lagged {
		for _, s := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 1", "START SLAVE"} {
			if err := r.Exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() {
		for _, r := range lagged {
			for _, s := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 0", "START SLAVE"} {
				_ = r.Exec(testenv.Ctx(t), s)
			}
		}
	})
}

// staleAcross writes a row on one client connection and reads it on
// another, as a web page does after the form that wrote it redirected to
// it (a new request, a new connection): it returns how many of the reads
// missed the row.
func staleAcross(t *testing.T, s *server.Strata, table string, base, pairs int, params ...string) int {
	writer := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	reader := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog", params...))
	writer.SetMaxOpenConns(1)
	reader.SetMaxOpenConns(1)
	n := 0
	for i := 0; i < pairs; i++ {
		id := base + i
		if _, err := writer.Exec("INSERT INTO "+table+" VALUES (?, ?)", id, i); err != nil {
			t.Fatal(err)
		}
		var v int
		err := reader.QueryRow("SELECT SQL_NO_CACHE v FROM "+table+" WHERE id = ?", id).Scan(&v)
		if err != nil || v != i {
			n++
		}
	}
	return n
}

// consistency: global: a read sees every write Strata acknowledged before
// it, whichever client made it. With lagging replicas, session consistency
// shows another connection's write stale (so the test can fail); global
// never does. Without lag, global reads still run on the replicas.
func TestReadsSeeOtherClientsWrites(t *testing.T) {
	env.Setup(t, "CREATE TABLE blog.gryw (id INT PRIMARY KEY, v INT)")
	t.Run("lagging replicas", func(t *testing.T) {
		lagReplicas(t)
		if n := staleAcross(t, session, "gryw", 0, 50); n == 0 {
			t.Fatal("consistency: session showed no stale read of another connection's write with lagging replicas: the test cannot tell")
		}
		if n := staleAcross(t, global, "gryw", 100000, 300); n != 0 {
			t.Errorf("consistency: global returned %d stale reads of 300 after another connection's write", n)
		}
		if n := staleAcross(t, global, "gryw", 130000, 200, "interpolateParams=true"); n != 0 {
			t.Errorf("consistency: global returned %d stale text reads of 200 after another connection's write", n)
		}
		// The admin API shows the position replicas must reach: the
		// primary's, as every write went through Strata.
		var pools struct {
			Clusters []struct {
				Consistency      string `json:"consistency"`
				AcknowledgedGTID string `json:"acknowledged_gtid"`
			} `json:"clusters"`
		}
		testenv.GetJSON(t, "http://"+global.AdminAddr()+"/api/pools", &pools)
		binlog, err := env.Primary.QueryValue(testenv.Ctx(t), "SELECT @@gtid_binlog_pos")
		if err != nil {
			t.Fatal(err)
		}
		if len(pools.Clusters) != 1 || pools.Clusters[0].Consistency != "global" || pools.Clusters[0].AcknowledgedGTID != binlog {
			t.Errorf("GET /api/pools: %+v, want consistency global and acknowledged_gtid %s, the primary's binlog position", pools.Clusters, binlog)
		}
		// EXPLAIN STRATA says what a read waits for.
		explain := strings.Join(testenv.Strings(t, open(t, global, "app"), "EXPLAIN STRATA SELECT v FROM gryw WHERE id = 1"), "\n")
		if !strings.Contains(explain, "consistency|main|gryw|consistency global: on a replica once it has applied every write Strata acknowledged there ("+binlog+")") {
			t.Errorf("EXPLAIN STRATA through the global Strata:\n%s", explain)
		}
		// A write acknowledged before this Strata's first read (by the
		// process it replaced, here straight on the primary) is seen
		// by that read: it reads the primary's position first.
		fresh, err := testenv.StartStrata(fmt.Sprintf(topology, "global"))
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		replicasRoutable(t, fresh)
		if err := env.Primary.Exec(testenv.Ctx(t), "INSERT INTO blog.gryw VALUES (99999, 7)"); err != nil {
			t.Fatal(err)
		}
		var v int
		db := testenv.Open(t, testenv.DSN(fresh.MySQLAddr(), "app", "app", "blog"))
		if err := db.QueryRow("SELECT v FROM gryw WHERE id = 99999").Scan(&v); err != nil || v != 7 {
			t.Errorf("the first read of a new Strata missed a write made before it: %d, %v", v, err)
		}
	})
	t.Run("replicas in step", func(t *testing.T) {
		if err := env.SB.WaitReplicated(testenv.Ctx(t)); err != nil {
			t.Fatal(err)
		}
		before := readsOn(t, "gryw")
		if n := staleAcross(t, global, "gryw", 200000, 200); n != 0 {
			t.Errorf("consistency: global returned %d stale reads of 200", n)
		}
		// Text reads send their wait with the read.
		if n := staleAcross(t, global, "gryw", 230000, 200, "interpolateParams=true"); n != 0 {
			t.Errorf("consistency: global returned %d stale text reads of 200", n)
		}
		d := delta(before, readsOn(t, "gryw"))
		onReplicas := d[env.Replicas[0].Port] + d[env.Replicas[1].Port]
		if onReplicas < 200 {
			t.Errorf("with replicas in step, only %d of 400 reads ran on the primary pool's replicas (reads by server: %s): global consistency should not send every read to the primary", onReplicas, ports(d))
		}
		// The waits are counted: behind ones from the lagging part,
		// applied ones from this.
		m := testenv.GetText(t, "http://"+global.AdminAddr()+"/metrics")
		// Those of text reads went out with the read.
		for _, outcome := range []string{"applied", "behind"} {
			for _, name := range []string{"strata_read_your_writes_waits_total", "strata_read_your_writes_waits_with_read_total"} {
				if n := metricValue(m, name+`{outcome="`+outcome+`"}`); n < 1 {
					t.Errorf("%s{outcome=%q} = %v, want some", name, outcome, n)
				}
			}
		}
	})
}

// A Strata that took over another's sockets (a restart, an upgrade)
// reads every cluster of consistency: global on the primary until the old
// process has finished its busy clients: a write the old one acknowledges
// after the new one first read the primary's position is still seen by
// the new one's reads, on new connections. The replicas lag a second, and
// are given time to pass the new process's first position, so a replica
// read would miss the write.
func TestGlobalReadsAcrossAHandover(t *testing.T) {
	env.Setup(t, "DROP TABLE IF EXISTS blog.handed", "CREATE TABLE blog.handed (id INT PRIMARY KEY)")
	lagReplicas(t)
	port, adminPort := testenv.FreePort(t), testenv.FreePort(t)
	yaml := strings.Replace(fmt.Sprintf(topology, "global"), "listen: 127.0.0.1:0", "listen: 127.0.0.1:"+port, 1)
	yaml = strings.Replace(yaml, "admin_listen: 127.0.0.1:0", "admin_listen: 127.0.0.1:"+adminPort, 1)
	yaml += "handover_socket: " + filepath.Join(t.TempDir(), "handover.sock") + "\n"
	old, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(old.Close)
	ctx := testenv.Ctx(t)
	writer := testenv.Conn(t, testenv.Open(t, testenv.DSN(old.MySQLAddr(), "app", "app", "blog")))
	if _, err := writer.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.ExecContext(ctx, "INSERT INTO handed VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// The writer is in a transaction: the old process keeps it.
	fresh, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fresh.Close)
	replicasRoutable(t, fresh)
	reader := testenv.Open(t, testenv.DSN(fresh.MySQLAddr(), "app", "app", "blog"))
	count := func() int {
		var n int
		if err := reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM handed").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("before the commit the new Strata reads %d rows", n)
	}
	for _, r := range env.Replicas[:2] {
		if err := testenv.WaitApplied(t, env.Primary.Addr, r.Addr); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := writer.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("a read through the new Strata right after the old one acknowledged a commit found %d rows, want 1", n)
	}
}

// readsWithin waits up to 5 s for read to return want after the write
// described by after: the replica may lag, but a cached answer from
// before the write must not stay.
func readsWithin(t *testing.T, read func() string, want, after string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for got := read(); got != want; got = read() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s the read still returns %q, want %q", after, got, want)
		}
	}
}

// A procedure's write to a cached table, which Strata cannot see from the
// CALL, drops the cached answers too: the next read returns the new row,
// not the cached one for the rest of its 30 s.
func TestResultCacheForgetsWhatAProcedureWrote(t *testing.T) {
	env.Setup(t,
		"DROP TABLE IF EXISTS blog.cached_items",
		"CREATE TABLE blog.cached_items (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO blog.cached_items VALUES (1, 'before')",
		"DROP PROCEDURE IF EXISTS blog.rename_item",
		"CREATE PROCEDURE blog.rename_item(n VARCHAR(20)) UPDATE blog.cached_items SET name = n WHERE id = 1")
	t.Cleanup(func() { env.Setup(t, "DROP TABLE blog.cached_items", "DROP PROCEDURE blog.rename_item") })
	db := testenv.Open(t, testenv.DSN(eventual.MySQLAddr(), "app", "app", "blog"))
	read := func() string {
		// Not the text of TestResultCacheInvalidation's read: this
		// test's cached answer outlives its table, dropped directly.
		return strings.Join(testenv.Strings(t, db, "SELECT SQL_NO_CACHE name AS called FROM cached_items WHERE id = 1"), ",")
	}
	if got := read(); got != "before" {
		t.Fatalf("first read %q", got)
	}
	if got := read(); got != "before" {
		t.Fatalf("cached read %q", got)
	}
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("called%d", i)
		if _, err := db.Exec("CALL rename_item(?)", name); err != nil {
			t.Fatal(err)
		}
		readsWithin(t, read, name, fmt.Sprintf("CALL rename_item(%q)", name))
	}
}

// Writes that change a cached table without naming it drop its cached
// answers too: a DELETE of a parent row whose foreign key cascades to the
// table, an INSERT whose trigger updates it, an UPDATE through a view of
// it; and a write to the table drops the cached reads of a view of it.
// Before, the cached rows outlived them for the rule's 30 s.
func TestResultCacheFollowsForeignKeysAndTriggers(t *testing.T) {
	db := testenv.Open(t, testenv.DSN(eventual.MySQLAddr(), "app", "app", "blog"))
	// The schema changes through Strata, as a migration would, so it
	// reads the tables' foreign keys and triggers again at once (a change
	// made straight on the primary is read within a minute).
	for _, q := range []string{
		"DROP TABLE IF EXISTS cached_items",
		"CREATE TABLE item_groups (id INT PRIMARY KEY)",
		"CREATE TABLE cached_items (id INT PRIMARY KEY, name VARCHAR(20), grp INT, FOREIGN KEY (grp) REFERENCES item_groups (id) ON DELETE CASCADE)",
		"CREATE TABLE item_log (item INT, name VARCHAR(20))",
		"CREATE TRIGGER item_log_names AFTER INSERT ON item_log FOR EACH ROW UPDATE cached_items SET name = NEW.name WHERE id = NEW.item",
		"CREATE VIEW cached_view AS SELECT id, name FROM cached_items",
		"INSERT INTO item_groups VALUES (1), (2)",
		"INSERT INTO cached_items VALUES (1, 'a', 1), (2, 'b', 2)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		env.Setup(t, "DROP VIEW blog.cached_view", "DROP TABLE blog.item_log", "DROP TABLE blog.cached_items", "DROP TABLE blog.item_groups")
	})
	if err := env.SB.WaitReplicated(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	// The table's rows, and the same through a view of it: both cached.
	reads := func() string {
		return strings.Join(testenv.Strings(t, db, "SELECT SQL_NO_CACHE GROUP_CONCAT(name ORDER BY id) AS follows FROM cached_items"), ",") + " / " +
			strings.Join(testenv.Strings(t, db, "SELECT SQL_NO_CACHE GROUP_CONCAT(name ORDER BY id) AS follows FROM cached_view"), ",")
	}
	if got := reads(); got != "a,b / a,b" {
		t.Fatalf("first reads %q", got)
	}
	if got := reads(); got != "a,b / a,b" {
		t.Fatalf("cached reads %q", got)
	}
	for _, step := range []struct{ write, want string }{
		{"DELETE FROM item_groups WHERE id = 1", "b / b"},
		{"INSERT INTO item_log VALUES (2, 'renamed')", "renamed / renamed"},
		{"UPDATE cached_view SET name = 'through view' WHERE id = 2", "through view / through view"},
		{"UPDATE cached_items SET name = 'direct' WHERE id = 2", "direct / direct"},
	} {
		if _, err := db.Exec(step.write); err != nil {
			t.Fatal(err)
		}
		readsWithin(t, reads, step.want, step.write)
	}
	// What Strata learned is on the admin API, and the counters on
	// /metrics; DELETE /api/cache empties the cache.
	admin := "http://" + eventual.AdminAddr()
	var view struct {
		Entries int                 `json:"entries"`
		Hits    uint64              `json:"hits"`
		Sources map[string][]string `json:"sources"`
	}
	testenv.GetJSON(t, admin+"/api/cache", &view)
	if got := strings.Join(view.Sources["blog.cached_items"], ","); got != "blog.cached_view,blog.item_groups,blog.item_log" {
		t.Errorf("GET /api/cache: sources of blog.cached_items %q, want the view, the parent and the trigger's table", got)
	}
	if got := strings.Join(view.Sources["blog.cached_view"], ","); !strings.Contains(got, "blog.cached_items") {
		t.Errorf("GET /api/cache: sources of the view %q, want its table", got)
	}
	if view.Entries == 0 || view.Hits == 0 {
		t.Errorf("GET /api/cache: %d entries, %d hits", view.Entries, view.Hits)
	}
	explain := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA SELECT name FROM cached_items WHERE id = 2"), "\n")
	if !strings.Contains(explain, "cache|main|cached_items|the answer is kept 30s, dropped by writes to its tables and to blog.cached_view, blog.item_groups, blog.item_log") {
		t.Errorf("EXPLAIN STRATA of a cached read:\n%s", explain)
	}
	if m := testenv.GetText(t, admin+"/metrics"); !strings.Contains(m, `strata_result_cache_lookups_total{result="hit"}`) || !strings.Contains(m, "strata_result_cache_entries ") {
		t.Error("/metrics has no result cache counters")
	}
	req, _ := http.NewRequest(http.MethodDelete, admin+"/api/cache", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	testenv.GetJSON(t, admin+"/api/cache", &view)
	if resp.StatusCode != http.StatusOK || view.Entries != 0 {
		t.Errorf("DELETE /api/cache answered %d and left %d entries", resp.StatusCode, view.Entries)
	}
}

// A cached read is served by Strata without touching a server, and a write
// through Strata to its table makes the next read fetch the new row.
func TestResultCacheInvalidation(t *testing.T) {
	env.Setup(t,
		"CREATE TABLE blog.cached_items (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO blog.cached_items VALUES (1, 'old')")
	db := testenv.Open(t, testenv.DSN(eventual.MySQLAddr(), "app", "app", "blog"))
	read := func() string {
		got := testenv.Strings(t, db, "SELECT SQL_NO_CACHE name FROM cached_items WHERE id = 1")
		return strings.Join(got, ",")
	}
	if got := read(); got != "old" {
		t.Fatalf("first read %q", got)
	}
	before := readsOn(t, "cached_items")
	for i := 0; i < 20; i++ {
		if got := read(); got != "old" {
			t.Fatalf("cached read %q", got)
		}
	}
	if d := delta(before, readsOn(t, "cached_items")); len(d) != 0 {
		t.Errorf("cached reads reached servers: %s", ports(d))
	}
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("new%d", i)
		if _, err := db.Exec("UPDATE cached_items SET name = ? WHERE id = 1", name); err != nil {
			t.Fatal(err)
		}
		readsWithin(t, read, name, fmt.Sprintf("writing %q", name))
	}
	// Prepared (binary protocol) reads are cached and invalidated the same way.
	st, err := db.Prepare("SELECT SQL_NO_CACHE name FROM cached_items WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var name string
	if err := st.QueryRow(1).Scan(&name); err != nil || name != "new4" {
		t.Fatalf("prepared read: %q %v", name, err)
	}
	if _, err := db.Exec("UPDATE cached_items SET name = 'final' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := st.QueryRow(1).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if name == "final" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("prepared read still %q after the write", name)
		}
	}
	s := eventual.Env.Cache.Stats()
	if s.Hits < 20 || s.Invalidations == 0 {
		t.Errorf("cache stats %+v: want the repeated reads to hit and writes to invalidate", s)
	}
}

// Concurrent misses of the same cached statement fill it once.
func TestResultCacheSingleFlight(t *testing.T) {
	env.Setup(t, "CREATE TABLE blog.cached_items2 (id INT PRIMARY KEY)")
	before := eventual.Env.Cache.Stats()
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := testenv.Open(t, testenv.DSN(eventual.MySQLAddr(), "app", "app", "blog"))
			testenv.Strings(t, db, "SELECT SQL_NO_CACHE SLEEP(0.2) FROM cached_items WHERE id = 1")
		}()
	}
	wg.Wait()
	after := eventual.Env.Cache.Stats()
	if fills := after.Fills - before.Fills; fills != 1 {
		t.Errorf("%d fills for 16 concurrent identical reads, want 1", fills)
	}
}

// A read the result cache answers is still the session's previous
// statement: FOUND_ROWS() and SHOW WARNINGS after it read it, not the
// statement before. SQL_CALC_FOUND_ROWS reads and reads that warn are not
// cached: their state lives on the server's connection.
func TestResultCacheAndThePreviousStatement(t *testing.T) {
	env.Setup(t,
		"CREATE TABLE blog.cached_pages (id INT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO blog.cached_pages VALUES (1, 'a'), (2, 'b'), (3, '7x')")
	rules := strings.Replace(fmt.Sprintf(topology, "eventual"), "[cached_items, cached_view]", "[cached_items, cached_view, cached_pages]", 1)
	st, err := testenv.StartStrata(rules)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	db := testenv.Open(t, testenv.DSN(st.MySQLAddr(), "app", "app", "blog"))
	conn := testenv.Conn(t, db)
	for i := 0; i < 3; i++ {
		if rows := testenv.Strings(t, conn, "SELECT SQL_CALC_FOUND_ROWS id FROM cached_pages ORDER BY id LIMIT 1"); len(rows) != 1 {
			t.Fatalf("the page: %q", rows)
		}
		if got := testenv.Strings(t, conn, "SELECT FOUND_ROWS()"); len(got) != 1 || got[0] != "3" {
			t.Fatalf("try %d: FOUND_ROWS() = %q, want 3", i, got)
		}
	}
	for i := 0; i < 3; i++ {
		testenv.Strings(t, conn, "SELECT CAST(v AS SIGNED) FROM cached_pages WHERE id = 3")
		if got := testenv.Strings(t, conn, "SHOW WARNINGS"); len(got) != 1 || !strings.Contains(got[0], "'7x'") {
			t.Fatalf("try %d: SHOW WARNINGS after a read that warned = %q, want its warning", i, got)
		}
	}
	testenv.Strings(t, conn, "SELECT CAST('warn' AS SIGNED)") // the default pool: a warning there
	for i := 0; i < 3; i++ {
		testenv.Strings(t, conn, "SELECT v FROM cached_pages WHERE id = 1") // cached after the first
		if got := testenv.Strings(t, conn, "SHOW WARNINGS"); len(got) != 0 {
			t.Fatalf("try %d: SHOW WARNINGS after a cached read = %q, want none (not the statement before's)", i, got)
		}
		testenv.Strings(t, conn, "SELECT CAST('warn' AS SIGNED)")
	}
	if s := st.Env.Cache.Stats(); s.Hits == 0 {
		t.Errorf("cache stats %+v: the plain read never hit", s)
	}
}
