package sharding

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A statement Strata's parser cannot read (MariaDB's CAST(x AS INT), or
// LIMIT ROWS EXAMINED) names its tables only as words. On a table group
// it runs whole on the group's cluster; on a sharded table it is planned
// from MySQL's words for it where there are such (CAST(x AS SIGNED)),
// and otherwise refused with an error that says what to write instead —
// never sent to the default cluster, which does not hold the table (or
// holds other rows of it).
func TestUnparsedStatementsOnPlacedTables(t *testing.T) {
	shardedData(t)
	db := strataDB(t)

	want := testenv.Strings(t, db, "SELECT CAST(id AS SIGNED) FROM users ORDER BY id LIMIT 3")
	got := testenv.Strings(t, db, "SELECT CAST(id AS INT) FROM users ORDER BY id LIMIT 3")
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Fatalf("an unparsed read of a table group = %q, want %q (its cluster's rows)", got, want)
	}

	if got := testenv.Strings(t, db, "SELECT CAST(id AS INT) FROM users WHERE id = ?", want[1]); len(got) != 1 || got[0] != want[1] {
		t.Fatalf("an unparsed prepared read of a table group = %q, want %q", got, want[1])
	}

	if got := testenv.Strings(t, db, "SELECT CAST(id AS INT) FROM events WHERE id = 1500"); !slices.Equal(got, []string{"1500"}) {
		t.Fatalf("CAST(id AS INT) over a sharded table = %q, want 1500", got)
	}
	_, err := db.QueryContext(testenv.Ctx(t), "SELECT id FROM events WHERE id = 1500 LIMIT ROWS EXAMINED 10")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "events, a sharded table") || !strings.Contains(err.Error(), "LIMIT without ROWS EXAMINED") {
		t.Fatalf("an unparsed read of a sharded table: %v, want error 1235 naming the table and what to write", err)
	}
	// Server-side prepared, the same.
	_, err = db.QueryContext(testenv.Ctx(t), "SELECT id FROM events WHERE id = ? LIMIT ROWS EXAMINED 10", 1500)
	if testenv.MySQLErr(err) != 1235 {
		t.Fatalf("an unparsed prepared read of a sharded table: %v, want error 1235", err)
	}
}

// Statements Strata cannot run on a sharded table are refused with what
// stands in the way and what to do, not with a server's misleading error
// (GRANT reached the default cluster, which has no such table: 1142 or
// 1146) or a message about syntax (MariaDB's percentile functions).
func TestRefusalsNameTheReason(t *testing.T) {
	db := strataDB(t)
	for _, tc := range []struct{ sql, want string }{
		{"GRANT SELECT ON blog.entries TO 'strata'@'%'", "GRANT or REVOKE on entries, a sharded table"},
		{"REVOKE SELECT ON TABLE entries FROM 'reports'@'%'", "GRANT or REVOKE on entries, a sharded table"},
		{"SELECT MEDIAN(score) OVER () FROM entries", "MEDIAN, PERCENTILE_CONT and PERCENTILE_DISC"},
		{"SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY score) OVER (PARTITION BY status) FROM entries", "take the percentile in the application"},
		{"SELECT e.id, jt.a FROM entries e, JSON_TABLE(CONCAT('[', e.score, ']'), '$[*]' COLUMNS (a INT PATH '$')) AS jt ORDER BY jt.a", "JSON_TABLE beside entries, a sharded table"},
		{"LOAD XML LOCAL INFILE 'Reader::never-read' INTO TABLE comments", "LOAD XML into comments, a sharded table"},
	} {
		if _, err := db.Exec(tc.sql); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want error 1235 containing %q", tc.sql, err, tc.want)
		}
	}
	// A file of a server's host, for a user without a server account of
	// its own: refused before routing (1227, session.errServerFiles).
	dump := "SELECT title FROM entries WHERE id = 1000000001 INTO DUMPFILE '/tmp/strata-never-written'"
	if _, err := db.Exec(dump); testenv.MySQLErr(err) != 1227 || !strings.Contains(err.Error(), "FILE privilege") {
		t.Errorf("%s: %v, want error 1227 naming the FILE privilege", dump, err)
	}
}

// MariaDB's extensions of aggregate and window calls, and JSON_TABLE,
// which Strata's parser does not read, run as written where the shards
// compute them whole: the statement reads one shard (by its shard key),
// or each group or window is the shard key's and Strata merges the rows
// as they are. Planned from a stand-in, each shard gets them as the
// client wrote them. Where Strata would have to fold, filter or sort by
// their values, they stay refused, saying so.
func TestMariaDBExtensionsRunWhereTheShardsComputeThemWhole(t *testing.T) {
	db := strataDB(t)
	scored := testenv.Strings(t, testenv.Conn(t, singleBlog), "SELECT id FROM entries WHERE score IS NOT NULL ORDER BY id LIMIT 1")
	if len(scored) != 1 {
		t.Fatal("no entry with a score")
	}
	sameAsOneServerCases(t, db, []oneServerCase{
		{name: "GROUP_CONCAT with LIMIT", minRows: 1, query: "SELECT GROUP_CONCAT(id ORDER BY id DESC LIMIT 2) AS last_two FROM comments WHERE entry_id = 5"},
		{name: "GROUP_CONCAT with LIMIT, prepared", minRows: 1, args: []any{6}, query: "SELECT entry_id, GROUP_CONCAT(votes ORDER BY votes, id SEPARATOR '|' LIMIT 1, 2) FROM comments WHERE entry_id = ? GROUP BY entry_id"},
		{name: "JSON_ARRAYAGG ordered", minRows: 1, query: "SELECT JSON_ARRAYAGG(DISTINCT votes ORDER BY votes) FROM comments WHERE entry_id = 7"},
		{name: "MEDIAN over a partition", minRows: 2, query: "SELECT id, MEDIAN(votes) OVER (PARTITION BY entry_id) AS m FROM comments WHERE entry_id = 5 ORDER BY id"},
		{name: "PERCENTILE_CONT within a group", minRows: 2, query: "SELECT id, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY votes) OVER (PARTITION BY entry_id) AS p FROM comments WHERE entry_id = 5 ORDER BY id"},
		{name: "JSON_TABLE over a row's column", minRows: 2, args: []any{scored[0]},
			query: "SELECT e.id, jt.a FROM entries e, JSON_TABLE(CONCAT('[', e.score, ',', e.score + 1, ']'), '$[*]' COLUMNS (a INT PATH '$')) AS jt WHERE e.id = ? ORDER BY jt.a"},
		// Over every shard: each entry's comments are on one shard.
		{name: "last two comments of each entry", minRows: 20, query: "SELECT entry_id, GROUP_CONCAT(id ORDER BY id DESC LIMIT 2) AS last_two FROM comments GROUP BY entry_id"},
		{name: "JSON_ARRAYAGG per entry, a page", minRows: 7, query: "SELECT entry_id, JSON_ARRAYAGG(DISTINCT votes ORDER BY votes LIMIT 3) AS v, COUNT(*) FROM comments GROUP BY entry_id HAVING COUNT(*) > 1 ORDER BY entry_id DESC LIMIT 7"},
		{name: "GROUP_CONCAT per entry, prepared", minRows: 10, args: []any{2}, query: "SELECT entry_id, GROUP_CONCAT(votes ORDER BY votes, id SEPARATOR '|' LIMIT 2) AS g FROM comments WHERE votes > ? GROUP BY entry_id ORDER BY COUNT(*), entry_id"},
		{name: "MEDIAN of each entry's votes", minRows: 50, query: "SELECT id, entry_id, MEDIAN(votes) OVER (PARTITION BY entry_id) AS m FROM comments ORDER BY id"},
		{name: "PERCENTILE_DISC of each entry, a page", minRows: 50, query: "SELECT id, PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY votes) OVER (PARTITION BY entry_id) AS p FROM comments ORDER BY id DESC LIMIT 60"},
		{name: "JSON_TABLE beside every entry", minRows: 10,
			query: "SELECT e.id, jt.a * 2 AS twice FROM entries e, JSON_TABLE(CONCAT('[', e.score, ']'), '$[*]' COLUMNS (a INT PATH '$')) AS jt ORDER BY e.id"},
	})
	if _, err := db.QueryContext(testenv.Ctx(t), "SELECT e.id, jt.a FROM entries e, JSON_TABLE(CONCAT('[', e.score, ']'), '$[*]' COLUMNS (a INT PATH '$')) AS jt ORDER BY jt.a"); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "JSON_TABLE beside entries") {
		t.Fatalf("JSON_TABLE beside every shard of entries, sorted by its column: %v, want error 1235 naming JSON_TABLE", err)
	}
	// A plain EXPLAIN of one is the shard's plan of the statement.
	if plan := testenv.Strings(t, db, "EXPLAIN SELECT GROUP_CONCAT(id ORDER BY id LIMIT 2) FROM comments WHERE entry_id = 5"); len(plan) != 1 || !strings.Contains(plan[0], "|comments|") {
		t.Errorf("EXPLAIN of GROUP_CONCAT with LIMIT on one shard: %q, want the shard's one row for comments", plan)
	}
	for _, q := range []string{
		"SELECT author, GROUP_CONCAT(id LIMIT 2) FROM comments WHERE entry_id IN (5, 6, 7) GROUP BY author",
		"SELECT entry_id, GROUP_CONCAT(id LIMIT 2) AS g FROM comments GROUP BY entry_id ORDER BY g",
	} {
		if _, err := db.QueryContext(testenv.Ctx(t), q); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "supported only where the shards compute it whole") {
			t.Errorf("%s: %v, want error 1235 saying where it is supported", q, err)
		}
	}
}

// A statement on a sharded table that MariaDB cannot read either (a typo)
// gets MariaDB's own syntax error, which points at the spot, in text and
// prepared statements — not Strata's refusal, which would suggest
// MariaDB syntax Strata lacks. Statements MariaDB reads keep the refusal.
func TestTyposOnShardedTablesGetTheServersSyntaxError(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	for _, q := range []string{"SELEC * FROM entries", "SELECT * FROM entries WHERE id = 1 AND AND score > 2", "UPDATE comments SET votes = WHERE entry_id = 5"} {
		_, err := db.ExecContext(ctx, q)
		_, single := testenv.Conn(t, singleBlog).ExecContext(ctx, q)
		if testenv.MySQLErr(err) != 1064 || testenv.MySQLErr(single) != 1064 || err.Error() != single.Error() {
			t.Errorf("%s: %v, want the single server's %v", q, err, single)
		}
		if _, err := db.PrepareContext(ctx, q); testenv.MySQLErr(err) != 1064 {
			t.Errorf("prepare %s: %v, want error 1064", q, err)
		}
	}
	if _, err := db.ExecContext(ctx, "SELECT id FROM events WHERE id = 1500 LIMIT ROWS EXAMINED 10"); testenv.MySQLErr(err) != 1235 {
		t.Errorf("LIMIT ROWS EXAMINED over a sharded table: %v, want Strata's refusal (1235)", err)
	}
}
