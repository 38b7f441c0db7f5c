package sharding

import (
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// statsUpdated lists the tables of blog on a shard whose persistent
// statistics were written at or after since.
func statsUpdated(t *testing.T, shard string, since time.Time) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, name := range testenv.Strings(t, direct[shard], "SELECT table_name FROM mysql.innodb_table_stats WHERE database_name = 'blog' AND last_update >= ?", since.Format(time.DateTime)) {
		out[name] = true
	}
	return out
}

// postsCopies counts the copies of posts: each shard's base table and
// the period tables there.
func postsCopies(t *testing.T) int {
	t.Helper()
	copies := 0
	for _, sh := range shardNames {
		copies += 1 + len(testenv.Strings(t, direct[sh], "SELECT table_name FROM information_schema.tables WHERE table_schema = 'blog' AND table_name LIKE 'posts\\_%'"))
	}
	return copies
}

// ANALYZE, OPTIMIZE, CHECK and REPAIR TABLE of a placed table act on
// every copy of it (each shard's table, a date table's base and period
// tables), on the primaries, and answer as one server would: a row every
// copy gave once, one only some gave per copy, named. Before, they ran on
// the first shard only (ANALYZE, OPTIMIZE) or were refused (CHECK,
// REPAIR: the SQL parser reads neither).
func TestMaintenanceRunsOnEveryCopy(t *testing.T) {
	db := strataDB(t)
	var now string
	if err := direct["s0"].QueryRow("SELECT NOW()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	since, _ := time.Parse(time.DateTime, now)
	time.Sleep(1100 * time.Millisecond) // last_update has whole seconds
	for _, q := range []string{"ANALYZE TABLE events", "ANALYZE TABLE posts"} {
		if got, want := testenv.Strings(t, db, q), testenv.Strings(t, singleBlog, q); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s = %q, one server answers %q", q, got, want)
		}
	}
	since = since.Add(time.Second)
	// EXPLAIN STRATA shows every copy it runs on.
	copies := postsCopies(t)
	explained := testenv.Strings(t, db, "EXPLAIN STRATA ANALYZE TABLE posts")
	if writes := countPrefix(explained, "write|"); writes != copies || !strings.Contains(strings.Join(explained, "\n"), "on every copy") {
		t.Errorf("EXPLAIN STRATA ANALYZE TABLE posts: %d copies, want %d:\n%s", writes, copies, strings.Join(explained, "\n"))
	}
	for _, sh := range shardNames {
		updated := statsUpdated(t, sh, since)
		if !updated["events"] || !updated["posts"] {
			t.Errorf("ANALYZE did not reach events and posts on %s: %v", sh, updated)
		}
		for _, period := range testenv.Strings(t, direct[sh], "SELECT table_name FROM information_schema.tables WHERE table_schema = 'blog' AND table_name LIKE 'posts\\_%'") {
			if !updated[period] {
				t.Errorf("ANALYZE TABLE posts did not reach the period table %s on %s", period, sh)
			}
		}
	}

	// Several tables, placed or not, one missing: each answered in turn.
	q := "CHECK TABLE comments, users, blog.nosuch, countries EXTENDED"
	if got, want := testenv.Strings(t, db, q), testenv.Strings(t, singleBlog, q); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s = %q, one server answers %q", q, got, want)
	}

	// Copies that answer differently are each named: events is MyISAM on
	// s2 only, which REPAIR repairs while InnoDB does not.
	mustExec(t, direct["s2"], "ALTER TABLE blog.events ENGINE=MyISAM")
	t.Cleanup(func() { direct["s2"].Exec("ALTER TABLE blog.events ENGINE=InnoDB") })
	got := testenv.Strings(t, db, "REPAIR TABLE events")
	want := []string{
		"blog.events|repair|note|s0 (events): The storage engine for the table doesn't support repair",
		"blog.events|repair|note|s1 (events): The storage engine for the table doesn't support repair",
		"blog.events|repair|note|s3 (events): The storage engine for the table doesn't support repair",
		"blog.events|repair|status|s2 (events): OK",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("REPAIR TABLE events with one MyISAM copy = %q, want %q", got, want)
	}
	mustExec(t, direct["s2"], "ALTER TABLE blog.events ENGINE=InnoDB")

	// In a transaction it commits first, as on one server.
	ctx := testenv.Ctx(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cleanup(t, "events", "id = 1999999")
	for _, stmt := range []string{"BEGIN", "INSERT INTO events (id, kind, amount, qty, happened) VALUES (1999999, 'maint', 1, 1, NOW())", "OPTIMIZE TABLE events", "ROLLBACK"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM events WHERE id = 1999999"); got[0] != "1" {
		t.Errorf("the row inserted before OPTIMIZE TABLE in a transaction: %v, want it committed", got)
	}
}

// flushes reads a shard's count of FLUSH statements.
func flushes(t *testing.T, shard string) int {
	t.Helper()
	var name string
	var n int
	if err := direct[shard].QueryRow("SHOW GLOBAL STATUS LIKE 'Com_flush'").Scan(&name, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// FLUSH TABLES of a sharded table closes it on every shard that keeps it
// open, a date table's period tables too; before, the first shard only.
func TestFlushTablesReachesEveryCopy(t *testing.T) {
	db := strataDB(t)
	for _, tc := range []struct {
		sql, table string
	}{{"FLUSH TABLES events", "events"}, {"FLUSH TABLE blog.posts", "posts"}} {
		before := map[string]int{}
		want := map[string]int{}
		for _, sh := range shardNames {
			before[sh] = flushes(t, sh)
			want[sh] = 1
			if tc.table == "posts" {
				want[sh] += len(testenv.Strings(t, direct[sh], "SELECT table_name FROM information_schema.tables WHERE table_schema = 'blog' AND table_name LIKE 'posts\\_%'"))
			}
		}
		mustExec(t, db, tc.sql)
		for _, sh := range shardNames {
			if got := flushes(t, sh) - before[sh]; got != want[sh] {
				t.Errorf("%s: %d flushes on %s, want %d (the table and each period table there)", tc.sql, got, sh, want[sh])
			}
		}
	}
	// The locking forms would lock one shard's part: refused, as LOCK
	// TABLES is.
	for _, q := range []string{"FLUSH TABLES events WITH READ LOCK", "FLUSH TABLES posts FOR EXPORT"} {
		if _, err := db.Exec(q); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "cannot lock them together") {
			t.Errorf("%s: %v, want error 1235 saying the shards cannot be locked together", q, err)
		}
	}
}

// CHECKSUM TABLE of a placed table answers what one server holding all
// its rows answers: a server sums its rows' checksums (modulo 2^32), so
// Strata sums those of every shard's part and period table. That lets an
// operator compare a table before and after a move to shards, or with a
// copy elsewhere. Before, it was refused.
func TestChecksumTableSumsTheShards(t *testing.T) {
	db := strataDB(t)
	for _, q := range []string{
		"CHECKSUM TABLE entries",
		"CHECKSUM TABLE comments, posts EXTENDED",
		"CHECKSUM TABLE events, users, countries, blog.nosuch",
		"checksum tables members quick",
	} {
		got, want := testenv.Strings(t, db, q), testenv.Strings(t, singleBlog, q)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s = %q, one server answers %q", q, got, want)
		}
		if strings.Contains(q, "entries") && got[0] == "blog.entries|0" {
			t.Errorf("%s: a checksum of 0 for a table with rows", q)
		}
	}

	// A table named twice is refused as one server refuses it, whatever
	// the statement (before, each copy answered twice).
	for _, q := range []string{"CHECKSUM TABLE events, blog.events", "ANALYZE TABLE users, comments, users"} {
		_, err := db.Exec(q)
		_, want := singleBlog.Exec(q)
		if testenv.MySQLErr(err) != 1066 || err.Error() != want.Error() {
			t.Errorf("%s: %v, one server: %v", q, err, want)
		}
	}

	// EXPLAIN STRATA shows every copy it reads.
	copies := postsCopies(t)
	explained := testenv.Strings(t, db, "EXPLAIN STRATA CHECKSUM TABLE posts")
	if routes := countPrefix(explained, "route|"); routes != copies || !strings.Contains(strings.Join(explained, "\n"), "sum of its parts") {
		t.Errorf("EXPLAIN STRATA CHECKSUM TABLE posts: %d copies, want %d:\n%s", routes, copies, strings.Join(explained, "\n"))
	}

	// In a transaction it reads as the transaction does: its own
	// uncommitted row counts, and no implicit commit.
	before := testenv.Strings(t, db, "CHECKSUM TABLE entries")[0]
	ctx := testenv.Ctx(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cleanup(t, "entries", "id = 1999999")
	for _, stmt := range []string{"BEGIN", "INSERT INTO entries (id, user_id, title, status) VALUES (1999999, 1, 'checksum', 'draft')"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var name, inTx string
	if err := conn.QueryRowContext(ctx, "CHECKSUM TABLE entries").Scan(&name, &inTx); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if after := testenv.Strings(t, db, "CHECKSUM TABLE entries")[0]; name+"|"+inTx == before || after != before {
		t.Errorf("CHECKSUM TABLE entries: %s before, %s|%s in a transaction with a new row, %s after its ROLLBACK; want the row counted in it only", before, name, inTx, after)
	}

	// A reference table whose copies differ has no one checksum: an
	// error names the copies, never one copy's figure.
	mustExec(t, direct["s2"], "UPDATE blog.countries SET name = CONCAT(name, '!') ORDER BY code LIMIT 1")
	t.Cleanup(func() {
		direct["s2"].Exec("UPDATE blog.countries SET name = LEFT(name, CHAR_LENGTH(name) - 1) WHERE name LIKE '%!'")
	})
	_, err = db.Exec("CHECKSUM TABLE countries")
	if testenv.MySQLErr(err) != 1105 || !strings.Contains(err.Error(), "copies of this reference table differ") || !strings.Contains(err.Error(), "s2: ") {
		t.Errorf("CHECKSUM TABLE of a reference table whose s2 copy differs: %v, want error 1105 naming s2", err)
	}
}
