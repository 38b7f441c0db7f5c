package sharding

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// EXPLAIN of a statement over sharded tables (an ORM's query log, a DBA
// looking for a missing index) explains each query the statement sends
// to the shards, on the shard it runs on, as one result with the
// server's own columns; in text and prepared statements, with EXPLAIN's
// options. Before, it was refused with a misleading message.
func TestExplainRunsOnTheShards(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	owner := ds.tables["events"].ownerOfKey("5")

	// One shard: its own EXPLAIN of the statement.
	q := "EXPLAIN SELECT * FROM events WHERE id = 5"
	got, want := testenv.Strings(t, db, q), testenv.Strings(t, direct[owner], strings.Replace(q, "events", "blog.events", 1))
	if !slices.Equal(got, want) || len(want) != 1 || !strings.Contains(want[0], "|const|") {
		t.Fatalf("%s: %q, shard %s explains %q", q, got, owner, want)
	}
	// Prepared, by its bound value: the shard of 1500.
	rows, err := db.QueryContext(ctx, "EXPLAIN SELECT kind FROM events WHERE id = ?", 1500)
	if err != nil {
		t.Fatal(err)
	}
	got, err = testenv.ResultStrings(rows)
	rows.Close()
	want = testenv.Strings(t, direct[ds.tables["events"].ownerOfKey("1500")], "EXPLAIN SELECT kind FROM blog.events WHERE id = 1500")
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("prepared EXPLAIN: %q (%v), the shard explains %q", got, err, want)
	}
	// A scatter: every shard's plan, in shard order.
	q = "EXPLAIN SELECT kind, COUNT(*) FROM events WHERE qty = 5 GROUP BY kind"
	got = testenv.Strings(t, db, q)
	if len(got) != len(shardNames) {
		t.Fatalf("%s: %d rows %q, want one per shard (%d)", q, len(got), got, len(shardNames))
	}
	for i, s := range shardNames {
		// The shards run the merge's own statement; its scan is the same.
		scan := strings.Split(testenv.Strings(t, direct[s], "EXPLAIN SELECT * FROM blog.events WHERE qty = 5")[0], "|")[:4]
		if g := strings.Split(got[i], "|")[:4]; !slices.Equal(g, scan) {
			t.Fatalf("%s: row %d is %q, shard %s scans %q", q, i, g, s, scan)
		}
	}
	// EXPLAIN's options reach the shards.
	got = testenv.Strings(t, db, "EXPLAIN FORMAT=JSON UPDATE events SET qty = 1 WHERE id = 5")
	if len(got) != 1 || !strings.Contains(got[0], `"table_name": "events"`) {
		t.Fatalf("EXPLAIN FORMAT=JSON: %q", got)
	}
	// A date table: each period table the walk may read.
	got = testenv.Strings(t, db, "EXPLAIN SELECT id FROM posts WHERE created_at >= NOW() - INTERVAL 40 DAY ORDER BY created_at DESC LIMIT 5")
	if len(got) < 2 {
		t.Fatalf("EXPLAIN over two or more period tables: %q", got)
	}
	// DESCRIBE (EXPLAIN of a table) is the table's columns, as before.
	if got = testenv.Strings(t, db, "DESCRIBE events"); len(got) != 5 || !strings.HasPrefix(got[0], "id|bigint") {
		t.Fatalf("DESCRIBE events: %q", got)
	}
	// The shard's error names it; a statement Strata does not send to the
	// shards as it is points to EXPLAIN STRATA.
	if err := queryErr(t, db, "EXPLAIN SELECT nosuch FROM events WHERE id = 5"); testenv.MySQLErr(err) != 1054 || !strings.Contains(err.Error(), "on shard "+owner) {
		t.Fatalf("EXPLAIN of an unknown column: %v, want 1054 naming shard %s", err, owner)
	}
	err = queryErr(t, db, "EXPLAIN SELECT * FROM events e JOIN comments c ON c.id = e.id")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "EXPLAIN STRATA") {
		t.Fatalf("EXPLAIN of a join of tables sharded apart: %v, want 1235 pointing to EXPLAIN STRATA", err)
	}
}

// MariaDB's ANALYZE of a read over shards runs each shard's query and
// shows its plan with the rows each step read, as EXPLAIN shows the plans
// (before: refused with a message about syntax); ANALYZE of a write,
// which would run the write outside Strata's write path, is refused.
func TestAnalyzeStatementOnShards(t *testing.T) {
	db := strataDB(t)
	r, err := runQuery(testenv.Ctx(t), db, "ANALYZE SELECT COUNT(*) FROM entries WHERE score > 10")
	if err != nil {
		t.Fatal(err)
	}
	one, err := runQuery(testenv.Ctx(t), singleBlog, "ANALYZE SELECT COUNT(*) FROM entries WHERE score > 10")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.rows) != len(shardNames) || strings.Join(r.cols, ",") != strings.Join(one.cols, ",") || !slices.Contains(r.cols, "r_rows") {
		t.Errorf("ANALYZE SELECT over entries: %d rows of %v, want one per shard (%d) of one server's columns %v", len(r.rows), r.cols, len(shardNames), one.cols)
	}
	var read float64
	for _, row := range r.rows {
		v, _ := strconv.ParseFloat(row[slices.Index(r.cols, "r_rows")], 64)
		read += v
	}
	if read != 1200 {
		t.Errorf("ANALYZE SELECT over entries: the shards read %v rows in all, want every row of entries (1200)", read)
	}
	js := testenv.Strings(t, db, "ANALYZE FORMAT=JSON SELECT * FROM entries WHERE id = 1000000001")
	if len(js) != 1 || !strings.Contains(js[0], `"r_rows"`) {
		t.Errorf("ANALYZE FORMAT=JSON of a one-shard read: %q, want one shard's JSON plan", js)
	}
	_, err = db.Exec("ANALYZE UPDATE entries SET score = score WHERE id = 7")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "ANALYZE of a write") {
		t.Errorf("ANALYZE UPDATE of a sharded table: %v, want 1235", err)
	}
}
