package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// Autocommit reads land on the replicas, spread over both; the primary
// reads nothing of the table. Proven from each server's own table counters.
func TestAutocommitReadsGoToReplicas(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"CREATE TABLE blog.rw_reads (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO blog.rw_reads VALUES (1,'one'),(2,'two')")
	db := openStrata(t)
	p0, r0 := readsByServer(t, "rw_reads")
	const n = 60
	for i := 0; i < n; i++ {
		got := queryStrings(t, db, "SELECT SQL_NO_CACHE v FROM rw_reads WHERE id = 1")
		if len(got) != 1 || got[0] != "one" {
			t.Fatalf("read %d = %v", i, got)
		}
	}
	p1, r1 := readsByServer(t, "rw_reads")
	if p1 != p0 {
		t.Errorf("primary read %d rows of rw_reads; autocommit reads must go to replicas", p1-p0)
	}
	if got := sum(r1) - sum(r0); got != n {
		t.Errorf("replicas read %d rows, want %d", got, n)
	}
	for i := range r1 {
		if r1[i] == r0[i] {
			t.Errorf("replica %s served none of %d reads: reads are not balanced", env.replicas[i].Addr, n)
		}
	}
}

// Writes, transactions, locking reads, autocommit=0 and the primary hint all
// run on the primary.
func TestWritesAndTransactionsGoToPrimary(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"CREATE TABLE blog.rw_tx (id INT PRIMARY KEY, v INT)",
		"INSERT INTO blog.rw_tx VALUES (1,0),(2,0)")
	cases := []struct {
		name  string
		stmts []string
	}{
		{"transaction", []string{"BEGIN", "SELECT SQL_NO_CACHE v FROM rw_tx WHERE id=1", "COMMIT"}},
		{"start transaction", []string{"START TRANSACTION", "SELECT SQL_NO_CACHE v FROM rw_tx WHERE id=1", "ROLLBACK"}},
		{"for update", []string{"SELECT SQL_NO_CACHE v FROM rw_tx WHERE id=1 FOR UPDATE"}},
		{"lock in share mode", []string{"SELECT SQL_NO_CACHE v FROM rw_tx WHERE id=1 LOCK IN SHARE MODE"}},
		{"hint", []string{"/* strata:primary */ SELECT SQL_NO_CACHE v FROM rw_tx WHERE id=1"}},
		{"autocommit off", []string{"SET autocommit=0", "SELECT SQL_NO_CACHE v FROM rw_tx WHERE id=1", "COMMIT", "SET autocommit=1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openStrata(t)
			db.SetMaxOpenConns(1)
			p0, r0 := readsByServer(t, "rw_tx")
			ctx := ctxFor(t)
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, s := range tc.stmts {
				if _, err := conn.ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			p1, r1 := readsByServer(t, "rw_tx")
			if p1 == p0 {
				t.Errorf("primary read no rows of rw_tx")
			}
			if sum(r1) != sum(r0) {
				t.Errorf("replicas read %d rows of rw_tx; this read belongs on the primary", sum(r1)-sum(r0))
			}
		})
	}
	t.Run("write", func(t *testing.T) {
		db := openStrata(t)
		res, err := db.Exec("UPDATE rw_tx SET v = v + 1 WHERE id = 2")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Errorf("rows affected = %d", n)
		}
		got := queryStrings(t, openDirect(t, env.primary, "blog"), "SELECT SQL_NO_CACHE v FROM rw_tx WHERE id=2")
		if len(got) != 1 || got[0] != "1" {
			t.Errorf("primary has v=%v after the write through Strata", got)
		}
	})
}

// Session variables set by the client follow the session to whichever
// replica serves each read.
func TestSessionVariablesFollowTheSession(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	db.SetMaxOpenConns(1)
	ctx := ctxFor(t)
	conn := testenv.Conn(t, db)
	for _, s := range []string{"SET time_zone = '+05:30'", "SET SESSION sql_mode = 'ANSI_QUOTES'"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	other := openStrata(t) // another client must not inherit them
	for i := 0; i < 20; i++ {
		got := queryStrings(t, conn, "SELECT @@time_zone, @@sql_mode")
		if len(got) != 1 || got[0] != "+05:30|ANSI_QUOTES" {
			t.Fatalf("read %d: session sees %v", i, got)
		}
		got = queryStrings(t, other, "SELECT @@time_zone")
		if len(got) != 1 || got[0] != "SYSTEM" {
			t.Fatalf("read %d: another session sees %v, leaked from the first", i, got)
		}
	}
}

// A setting whose value the server computes from the session's settings
// (PHP applications' SET sql_mode = CONCAT(@@sql_mode, ...)) follows the
// session with the value it had where it ran. Before, Strata replayed the
// expression on the next replica, where @@sql_mode was the server's
// default: the session's ANSI_QUOTES was lost on every other read.
func TestComputedSettingsFollowTheSession(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	db.SetMaxOpenConns(1)
	ctx := ctxFor(t)
	conn := testenv.Conn(t, db)
	settle := func(want string, stmts ...string) {
		t.Helper()
		for _, s := range stmts {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		for i := 0; i < 20; i++ { // over both replicas
			got := queryStrings(t, conn, "SELECT @@sql_mode, @@time_zone")
			if len(got) != 1 || got[0] != want {
				t.Fatalf("read %d after %q: session sees %v, want %s", i, stmts, got, want)
			}
		}
	}
	// Set in a transaction, on the primary: the replicas' connections
	// take the session's settings only from what Strata replays there.
	settle("ANSI_QUOTES,NO_ZERO_DATE|SYSTEM", "BEGIN", "SET SESSION sql_mode = 'ANSI_QUOTES'", "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_ZERO_DATE')", "COMMIT")
	settle("ANSI_QUOTES,NO_ZERO_DATE|+02:00", "BEGIN", "SET time_zone = IF(@@sql_mode LIKE 'ANSI%', '+02:00', '+07:00')", "COMMIT")
	// ANSI_QUOTES holds for Strata's own reading of the statements too.
	if got := queryStrings(t, conn, `SELECT 1 AS "one"`); len(got) != 1 || got[0] != "1" {
		t.Errorf(`SELECT 1 AS "one" under ANSI_QUOTES: %v`, got)
	}
}

// State that lives on one backend connection pins the session to it.
func TestPinnedSessionState(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.rw_pin (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10))")
	cases := []struct {
		name  string
		setup []string
		query string
		want  string
	}{
		{"temporary table", []string{"CREATE TEMPORARY TABLE tmp_pin (x INT)", "INSERT INTO tmp_pin VALUES (42)"}, "SELECT x FROM tmp_pin", "42"},
		{"user variable", []string{"SET @pin = 7"}, "SELECT @pin", "7"},
		{"named lock", []string{"DO GET_LOCK('strata_pin', 5)"}, "SELECT IS_USED_LOCK('strata_pin') = CONNECTION_ID()", "1"},
		{"last insert id", []string{"INSERT INTO rw_pin (v) VALUES ('x')"}, "SELECT LAST_INSERT_ID() > 0", "1"},
		{"found rows", []string{"SELECT SQL_CALC_FOUND_ROWS * FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) t LIMIT 1"}, "SELECT FOUND_ROWS()", "3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openStrata(t)
			ctx := ctxFor(t)
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, s := range tc.setup {
				if _, err := conn.ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			repeats := 10
			if tc.name == "last insert id" || tc.name == "found rows" {
				repeats = 1 // valid right after the statement that set them
			}
			for i := 0; i < repeats; i++ {
				got := queryStrings(t, conn, tc.query)
				if len(got) != 1 || got[0] != tc.want {
					t.Fatalf("%s (try %d) = %v, want %s", tc.query, i, got, tc.want)
				}
			}
		})
	}
}

// A session's LAST_INSERT_ID() is its own, even with other writers between.
func TestLastInsertIDIsPerSession(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.rw_ids (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10))")
	a, b := openStrata(t), openStrata(t)
	for i := 0; i < 10; i++ {
		ra, err := a.Exec("INSERT INTO rw_ids (who) VALUES ('a')")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Exec("INSERT INTO rw_ids (who) VALUES ('b')"); err != nil {
			t.Fatal(err)
		}
		id, _ := ra.LastInsertId()
		got := queryStrings(t, openDirect(t, env.primary, "blog"), "SELECT who FROM rw_ids WHERE id = ?", id)
		if len(got) != 1 || got[0] != "a" {
			t.Fatalf("LastInsertId %d of a's insert names row %v", id, got)
		}
	}
}

// Several statements in a row may read the last write's session values,
// even while other clients use the pool.
func TestSessionFunctionsAfterWriteUnderLoad(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.rw_sf (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
	stop := make(chan struct{})
	defer close(stop)
	noise := openStrata(t)
	for i := 0; i < 8; i++ {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
					_, _ = noise.Exec("INSERT INTO rw_sf (v) VALUES (0)")
				}
			}
		}()
	}
	db := openStrata(t)
	ctx := ctxFor(t)
	conn := testenv.Conn(t, db)
	for i := 0; i < 100; i++ {
		res, err := conn.ExecContext(ctx, "INSERT INTO rw_sf (v) VALUES (1)")
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		for _, q := range []string{"SELECT ROW_COUNT() = 1", "SELECT LAST_INSERT_ID()", "SELECT LAST_INSERT_ID()"} {
			got := queryStrings(t, conn, q)
			want := "1"
			if q != "SELECT ROW_COUNT() = 1" {
				want = fmt.Sprint(id)
			}
			if got[0] != want {
				t.Fatalf("round %d: %s = %s, want %s", i, q, got[0], want)
			}
		}
	}
}

// LAST_INSERT_ID() stays the session's own after other statements and
// after the client idles: Strata does not keep the write's connection for
// an idle client (other clients need it), so it carries the value over to
// whichever connection serves the session next — and never shows another
// client's value left on a pooled connection.
func TestLastInsertIDSurvivesOtherStatementsAndIdling(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.rw_lid (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
	for _, params := range [][]string{nil, {"tls=skip-verify"}} {
		t.Run(fmt.Sprint(params), func(t *testing.T) { lastInsertIDAfterIdling(t, params) })
	}
}

// lastInsertIDAfterIdling runs the check over a connection opened with
// params: idling ends in a read timeout inside Strata, which a TLS
// connection must survive too.
func lastInsertIDAfterIdling(t *testing.T, params []string) {
	ctx := ctxFor(t)
	other := openStrata(t)
	db := openStrata(t, params...)
	conn := testenv.Conn(t, db)
	res, err := conn.ExecContext(ctx, "INSERT INTO rw_lid (v) VALUES (1)")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	queryStrings(t, conn, "SELECT COUNT(*) FROM rw_lid") // not a session function: the write's connection goes back
	// Other clients write (their ids land on pooled primary connections,
	// the one this session wrote on among them).
	for range 5 {
		if _, err := other.Exec("INSERT INTO rw_lid (v) VALUES (2)"); err != nil {
			t.Fatal(err)
		}
	}
	if got := queryStrings(t, conn, "SELECT LAST_INSERT_ID()"); got[0] != fmt.Sprint(id) {
		t.Fatalf("after another statement LAST_INSERT_ID() = %s, want %d", got[0], id)
	}
	res, err = conn.ExecContext(ctx, "INSERT INTO rw_lid (v) VALUES (3)")
	if err != nil {
		t.Fatal(err)
	}
	id, _ = res.LastInsertId()
	time.Sleep(1500 * time.Millisecond) // idle: the connection is handed back
	for range 5 {
		if _, err := other.Exec("INSERT INTO rw_lid (v) VALUES (4)"); err != nil {
			t.Fatal(err)
		}
	}
	if got := queryStrings(t, conn, "SELECT LAST_INSERT_ID()"); got[0] != fmt.Sprint(id) {
		t.Fatalf("after idling LAST_INSERT_ID() = %s, want %d", got[0], id)
	}
}

// A client that turned autocommit off (Python's drivers do by default)
// leaves its backend connection between transactions with autocommit
// back on before another session uses it — otherwise that session's
// writes would be acknowledged and never committed — and its own next
// statements still run in a transaction, on whichever connection serves
// them.
func TestAutocommitOffStaysWithItsSession(t *testing.T) {
	t.Parallel()
	setupTables(t, "DROP TABLE IF EXISTS blog.rw_manual", "CREATE TABLE blog.rw_manual (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10))")
	db := openStrata(t)
	ctx := ctxFor(t)
	manual := testenv.Conn(t, db)
	for _, q := range []string{"SET autocommit = 0", "INSERT INTO rw_manual (who) VALUES ('manual')", "COMMIT"} {
		if _, err := manual.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Other sessions write in autocommit, on the primary connections the
	// manual session just left.
	const others = 5
	for i := 0; i < others; i++ {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, "INSERT INTO rw_manual (who) VALUES ('other')"); err != nil {
			t.Fatal(err)
		}
		if got := queryStrings(t, c, "SELECT /* strata:primary */ @@autocommit"); got[0] != "1" {
			t.Errorf("session %d runs with @@autocommit = %s, want 1", i, got[0])
		}
		defer c.Close()
	}
	count := func(who string) string {
		n, err := env.primary.QueryValue(ctxFor(t), "SELECT COUNT(*) FROM blog.rw_manual WHERE who = ?", who)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("other"); n != fmt.Sprint(others) {
		t.Errorf("%s of %d acknowledged autocommit writes are committed on the primary", n, others)
	}
	if _, err := manual.ExecContext(ctx, "INSERT INTO rw_manual (who) VALUES ('manual')"); err != nil {
		t.Fatal(err)
	}
	if n := count("manual"); n != "1" {
		t.Errorf("the manual session's second row is visible before its COMMIT (%s rows): it ran in autocommit", n)
	}
	if _, err := manual.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if n := count("manual"); n != "2" {
		t.Errorf("after COMMIT, %s manual rows, want 2", n)
	}
}

// SET SESSION TRANSACTION ISOLATION LEVEL (Django sets it on every
// connection) and READ ONLY stay with their session; the connections it
// leaves are brought back to the server's defaults for the next sessions,
// which run and write with no error (MariaDB 10.11 knows the variables as
// tx_isolation and tx_read_only only).
func TestIsolationLevelStaysWithItsSession(t *testing.T) {
	t.Parallel()
	db := openSmallStrata(t, 1) // one connection per server: the sessions take turns on it
	ctx := ctxFor(t)
	django := testenv.Conn(t, db)
	for _, q := range []string{"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", "SET SESSION TRANSACTION READ ONLY"} {
		if _, err := django.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if got := queryStrings(t, django, "SELECT /* strata:primary */ @@tx_isolation, @@tx_read_only"); got[0] != "READ-COMMITTED|1" {
		t.Errorf("the session that set READ COMMITTED, READ ONLY sees %s", got[0])
	}
	setupTables(t, "DROP TABLE IF EXISTS blog.rw_iso", "CREATE TABLE blog.rw_iso (id INT AUTO_INCREMENT PRIMARY KEY)")
	for i := 0; i < 5; i++ {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var level string
		var readOnly int
		if err := c.QueryRowContext(ctx, "SELECT /* strata:primary */ @@tx_isolation, @@tx_read_only").Scan(&level, &readOnly); err != nil || level != "REPEATABLE-READ" || readOnly != 0 {
			t.Errorf("session %d after the READ COMMITTED, READ ONLY one: %q %d, %v; want REPEATABLE-READ, 0 and no error", i, level, readOnly, err)
		}
		if _, err := c.ExecContext(ctx, "INSERT INTO rw_iso VALUES ()"); err != nil {
			t.Errorf("session %d cannot write after the READ ONLY one: %v", i, err)
		}
		c.Close() // the session ends: its connection is the next one's
	}
	if got := queryStrings(t, django, "SELECT /* strata:primary */ @@tx_isolation, @@tx_read_only"); got[0] != "READ-COMMITTED|1" {
		t.Errorf("the session that set READ COMMITTED, READ ONLY sees %s", got[0])
	}
}

// LAST_INSERT_ID() is the session's own wherever the session reads it:
// also inside a transaction begun after its insert, on a connection other
// sessions have inserted on since; and LAST_INSERT_ID(expr) sets it.
func TestLastInsertIDInALaterTransaction(t *testing.T) {
	t.Parallel()
	setupTables(t, "DROP TABLE IF EXISTS blog.rw_later", "CREATE TABLE blog.rw_later (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10))")
	db := openSmallStrata(t, 1) // one connection per server: the sessions take turns on it
	ctx := ctxFor(t)
	mine := testenv.Conn(t, db)
	res, err := mine.ExecContext(ctx, "INSERT INTO rw_later (who) VALUES ('mine')")
	if err != nil {
		t.Fatal(err)
	}
	myID, _ := res.LastInsertId()
	if _, err := mine.ExecContext(ctx, "DO 1"); err != nil { // hands the write's connection back
		t.Fatal(err)
	}
	other, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, "INSERT INTO rw_later (who) VALUES ('other')"); err != nil {
		t.Fatal(err)
	}
	other.Close()
	for _, q := range []string{"BEGIN", "SELECT LAST_INSERT_ID()", "COMMIT"} {
		if q != "SELECT LAST_INSERT_ID()" {
			if _, err := mine.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var got int64
		if err := mine.QueryRowContext(ctx, q).Scan(&got); err != nil || got != myID {
			t.Errorf("in a transaction after another session's insert: LAST_INSERT_ID() = %d (%v), want the session's %d", got, err, myID)
		}
	}
	var got int64
	if err := mine.QueryRowContext(ctx, "SELECT LAST_INSERT_ID(777)").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if _, err := mine.ExecContext(ctx, "DO 1"); err != nil { // a statement between
		t.Fatal(err)
	}
	if err := mine.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&got); err != nil || got != 777 {
		t.Errorf("after LAST_INSERT_ID(777): %d (%v)", got, err)
	}
}

// When every connection to the primary is in use, a write waits
// limits.pool_wait and then gets error 1040 saying so, not a claim that
// the primary is down; the primary is not reported failed, and the write
// goes through once a connection is free.
func TestPrimaryPoolBusyIsNotDown(t *testing.T) {
	t.Parallel()
	setupTables(t, "DROP TABLE IF EXISTS blog.rw_busy", "CREATE TABLE blog.rw_busy (id INT AUTO_INCREMENT PRIMARY KEY)")
	db := openSmallStrata(t, 1)
	ctx := ctxFor(t)
	holder := testenv.Conn(t, db)
	for _, q := range []string{"BEGIN", "INSERT INTO rw_busy VALUES ()"} {
		if _, err := holder.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	other := testenv.Conn(t, db)
	_, err := other.ExecContext(ctx, "INSERT INTO rw_busy VALUES ()")
	if testenv.MySQLErr(err) != 1040 || !strings.Contains(err.Error(), "busy") || strings.Contains(err.Error(), "unreachable") {
		t.Errorf("a write while the only primary connection is in a transaction: %v, want 1040 saying the connections are busy", err)
	}
	if _, err := holder.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, "INSERT INTO rw_busy VALUES ()"); err != nil {
		t.Errorf("the write once the connection is free: %v", err)
	}
}
