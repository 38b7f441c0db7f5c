package sharding

import (
	"database/sql"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// FOUND_ROWS() reads the total of the statement before, as on one server:
// on one shard, that shard's count; after a page of SELECT
// SQL_CALC_FOUND_ROWS over several shards (WordPress's pagination), the
// sum of every shard's count without the LIMIT (of a join of tables that
// live apart, or of groups and DISTINCT over shards, the count of the
// statement Strata runs on one server over their rows); after a plain
// read Strata merged, the rows it sent.
func TestFoundRowsOnShards(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	conn := testenv.Conn(t, db)
	count := func(query string, args ...any) string {
		t.Helper()
		got := testenv.Strings(t, conn, query, args...)
		if len(got) != 1 {
			t.Fatalf("%s: %q", query, got)
		}
		return got[0]
	}
	steps := []struct {
		name, page string
		args       []any
		rows       int
		total      string // the statement that counts what FOUND_ROWS() must say
	}{
		{"one shard", "SELECT SQL_CALC_FOUND_ROWS id FROM events WHERE id < 500 ORDER BY id LIMIT 3", nil, 3,
			"SELECT COUNT(*) FROM events WHERE id < 500"},
		{"every range shard, ordered by the key", "SELECT SQL_CALC_FOUND_ROWS id FROM events ORDER BY id LIMIT 20, 5", nil, 5,
			"SELECT COUNT(*) FROM events"},
		{"two range shards", "SELECT SQL_CALC_FOUND_ROWS id, kind FROM events WHERE id BETWEEN 400 AND 2600 ORDER BY kind, id DESC LIMIT 4", nil, 4,
			"SELECT COUNT(*) FROM events WHERE id BETWEEN 400 AND 2600"},
		{"every hash shard, prepared", "SELECT SQL_CALC_FOUND_ROWS id FROM comments WHERE votes > ? ORDER BY id DESC LIMIT ?, ?", []any{3, 10, 5}, 5,
			"SELECT COUNT(*) FROM comments WHERE votes > 3"},
		{"whole groups (by the shard key)", "SELECT SQL_CALC_FOUND_ROWS entry_id, GROUP_CONCAT(id ORDER BY id) FROM comments GROUP BY entry_id ORDER BY entry_id LIMIT 2", nil, 2,
			"SELECT COUNT(DISTINCT entry_id) FROM comments"},
		{"tables that live apart, joined", "SELECT SQL_CALC_FOUND_ROWS m.username, c.id FROM members m JOIN comments c ON c.author = m.nick WHERE m.age > 30 ORDER BY m.username, c.id LIMIT 2, 3", nil, 3,
			"SELECT COUNT(*) FROM members m JOIN comments c ON c.author = m.nick WHERE m.age > 30"},
		{"DISTINCT over every shard (run on one server over the rows)", "SELECT SQL_CALC_FOUND_ROWS DISTINCT kind FROM events ORDER BY kind LIMIT 2", nil, 2,
			"SELECT COUNT(*) FROM (SELECT DISTINCT kind FROM events) d"},
		{"groups over every shard (run on one server over the rows)", "SELECT SQL_CALC_FOUND_ROWS kind, COUNT(*) FROM events GROUP BY kind ORDER BY kind LIMIT 1", nil, 1,
			"SELECT COUNT(*) FROM (SELECT kind FROM events GROUP BY kind) g"},
		{"a plain read merged", "SELECT id FROM comments WHERE votes = 7", nil, -1,
			"SELECT COUNT(*) FROM comments WHERE votes = 7"},
	}
	for _, st := range steps {
		want := count(st.total)
		rows := testenv.Strings(t, conn, st.page, st.args...)
		if st.rows >= 0 && len(rows) != st.rows {
			t.Fatalf("%s: the page has %d rows, want %d", st.name, len(rows), st.rows)
		}
		if got := count("SELECT FOUND_ROWS()"); got != want || got == "0" {
			t.Errorf("%s: FOUND_ROWS() = %s, want %s", st.name, got, want)
		}
	}
	// In an expression, and only right after the statement.
	total := count("SELECT COUNT(*) FROM comments")
	testenv.Strings(t, conn, "SELECT SQL_CALC_FOUND_ROWS id FROM comments LIMIT 1")
	if got, want := count("SELECT FOUND_ROWS() * 2 AS twice"), count("SELECT COUNT(*) * 2 FROM comments"); got != want {
		t.Errorf("SELECT FOUND_ROWS() * 2 right after the page = %s, want %s", got, want)
	}
	testenv.Strings(t, conn, "SELECT SQL_CALC_FOUND_ROWS id FROM comments LIMIT 1")
	testenv.Strings(t, conn, "SELECT 1 FROM DUAL")
	if got := count("SELECT FOUND_ROWS()"); got == total {
		t.Errorf("FOUND_ROWS() after a statement that came between = %s, the page's total: read too late", got)
	}

}

// A statement that reads the previous statement's state and a table runs
// on the table's cluster, not on the shard the previous statement ran on.
func TestPreviousStatementStateStaysOnItsTablesCluster(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	conn := testenv.Conn(t, db)
	if rows := testenv.Strings(t, conn, "SELECT id FROM events WHERE id = 1500"); len(rows) != 1 {
		t.Fatalf("the read on shard s1: %q", rows)
	}
	got := testenv.Strings(t, conn, "SELECT FOUND_ROWS() >= 0 FROM users LIMIT 1")
	if len(got) != 1 || got[0] != "1" {
		t.Fatalf("SELECT FOUND_ROWS() ... FROM users after a read on a shard = %q, want a row of users' cluster", got)
	}
}

// A session that holds user variables is pinned to a connection of the
// default cluster; a statement on one shard runs on that shard's, and
// what reads what it left there — SHOW WARNINGS, @@warning_count,
// ROW_COUNT() — reads it there, as on one server. Before, it read the
// pinned connection: no warnings, and ROW_COUNT() -1.
func TestPreviousStatementStateOfAShardInAPinnedSession(t *testing.T) {
	got, want := modTable(t, "pinned_rows", "id INT NOT NULL PRIMARY KEY, n INT NULL")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "INSERT INTO pinned_rows (id, n) VALUES (1, 10), (2, 20), (3, 30)")
		mustExec(t, c, "SET @seen = 5") // pins the session
	}
	ctx := testenv.Ctx(t)
	for _, step := range []struct{ stmt, reads string }{
		{"UPDATE pinned_rows SET n = 'abc' WHERE id = 1", "SHOW WARNINGS"}, // error 1366
		{"SELECT n / 0 FROM pinned_rows WHERE id = 2", "SHOW WARNINGS"},
		{"SELECT n / 0 FROM pinned_rows WHERE id = 2", "SELECT @@warning_count"},
		{"UPDATE pinned_rows SET n = n + 1 WHERE id = 3", "SELECT ROW_COUNT()"},
		{"DELETE FROM pinned_rows WHERE id = 3", "SELECT ROW_COUNT() AS deleted"},
		{"SELECT @seen := @seen + 1", "SELECT @seen"}, // the variable still reads on the pinned connection
	} {
		var outcome [2]string
		for i, c := range []*sql.Conn{got, want} {
			runQuery(ctx, c, step.stmt)
			res, err := runQuery(ctx, c, step.reads)
			outcome[i] = fmtResult(res, err)
		}
		// Strata names the shard in what it relays of a shard's message.
		if shardSuffix.ReplaceAllString(outcome[0], "") != outcome[1] {
			t.Errorf("%s after %s\nthrough Strata: %s\none server:     %s", step.reads, step.stmt, outcome[0], outcome[1])
		}
	}
}

// fmtResult is a result, or its error, as text to compare.
func fmtResult(r *result, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	return fmt.Sprint(r.cols, r.rows)
}

// shardSuffix is what Strata adds to a message a shard's server sent.
var shardSuffix = regexp.MustCompile(` \(on shard s[0-9]+\)`)

// sameOutcomes runs stmts one after another through Strata (got) and on
// the single server (want), and reports each whose answer (rows, column
// names, or error) differs, the shard Strata names in a server's
// message left aside.
func sameOutcomes(t *testing.T, got, want querier, stmts ...string) {
	t.Helper()
	ctx := testenv.Ctx(t)
	for _, q := range stmts {
		g, gErr := runQuery(ctx, got, q)
		w, wErr := runQuery(ctx, want, q)
		if gs, ws := fmtResult(g, gErr), fmtResult(w, wErr); shardSuffix.ReplaceAllString(gs, "") != ws {
			t.Errorf("%s\nthrough Strata: %s\none server:     %s", q, gs, ws)
		}
	}
}

// After a statement Strata answered from several shards, SHOW WARNINGS
// reads none — not the warnings of the statement before it, which are
// still on that statement's connection.
func TestWarningsAfterAScatterAreNotOlder(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	conn := testenv.Conn(t, db)
	testenv.Strings(t, conn, "SELECT CAST('9 lives' AS SIGNED)") // the default cluster, a warning
	if got := testenv.Strings(t, conn, "SHOW WARNINGS"); len(got) != 1 {
		t.Fatalf("SHOW WARNINGS after a read that warned = %q, want its warning", got)
	}
	testenv.Strings(t, conn, "SELECT COUNT(*) FROM events") // every shard, no warning
	if got := testenv.Strings(t, conn, "SHOW WARNINGS"); len(got) != 0 {
		t.Fatalf("SHOW WARNINGS after a scatter = %q, want none (not the statement before's)", got)
	}
	// After a statement Strata refused itself, its error, as a server
	// lists its own: in SHOW WARNINGS and SHOW ERRORS, again and again,
	// until another statement.
	testenv.Strings(t, conn, "SELECT CAST('9 lives' AS SIGNED)")
	_, err := conn.ExecContext(testenv.Ctx(t), "SELECT * FROM audit")
	if testenv.MySQLErr(err) != 1235 {
		t.Fatalf("a scatter of audit (scatter: deny): %v, want Strata's refusal 1235", err)
	}
	for _, q := range []string{"SHOW WARNINGS", "SHOW ERRORS", "SHOW WARNINGS LIMIT 5"} {
		got := testenv.Strings(t, conn, q)
		if len(got) != 1 || !strings.HasPrefix(got[0], "Error|1235|") || !strings.Contains(got[0], "scatter: deny") {
			t.Fatalf("%s after Strata refused a statement = %q, want its error 1235 (not the statement before's warning)", q, got)
		}
	}
	testenv.Strings(t, conn, "SELECT COUNT(*) FROM events")
	if got := testenv.Strings(t, conn, "SHOW WARNINGS"); len(got) != 0 {
		t.Fatalf("SHOW WARNINGS after a statement that followed the error = %q, want none", got)
	}
}

// A read merged from several shards reports their warnings as one server
// reports its own: the count in the result's end packet (the mariadb
// client's --show-warnings asks for the list only when it is not 0), and
// the list in SHOW WARNINGS, up to max_error_count, each naming its
// shard. Before, a merged read said 0 and listed none.
func TestWarningsOfAMergedRead(t *testing.T) {
	strataDB(t)
	const q = "SELECT COUNT(*) FROM entries WHERE title = 0"
	host, port, _ := net.SplitHostPort(strataAddr)
	out, errOut, err := runTool("mariadb", "-h", host, "-P", port, "-u", "app", "--password=app", "--skip-ssl", "--show-warnings", "blog", "-e", q)
	want := testenv.Strings(t, singleBlog, q)[0]
	if err != nil || !strings.Contains(out, want) || strings.Count(errOut+out, "Warning (Code 1292)") != 64 {
		t.Errorf("mariadb --show-warnings -e %q through Strata: %v\n%.600s\n%.600s\nwant %s and 64 warnings 1292 (max_error_count)", q, err, out, errOut, want)
	}
	conn := testenv.Conn(t, openStrata(t, strataAddr))
	testenv.Strings(t, conn, "SET max_error_count = 10")
	testenv.Strings(t, conn, q)
	got := testenv.Strings(t, conn, "SHOW WARNINGS")
	if len(got) != 10 || !strings.HasPrefix(got[0], "Warning|1292|Truncated incorrect DECIMAL value") || !strings.Contains(got[0], "(on shard s") {
		t.Errorf("SHOW WARNINGS after a merged read, max_error_count 10: %q, want 10 warnings 1292 naming their shard", got)
	}
}

// The counts of the diagnostics Strata holds (a merged read's warnings,
// a write's over shards, an error it answered) read as one server's:
// @@warning_count, @@error_count, SHOW COUNT(*) WARNINGS and ERRORS, and
// SHOW WARNINGS with a LIMIT, again and again until another statement.
// Before, the counts came from some server that ran none of it: 0.
func TestDiagnosticsCountsOverShards(t *testing.T) {
	db := strataDB(t)
	cleanup(t, "comments", "id BETWEEN 8810001 AND 8810009")
	singleBlog.Exec("DELETE FROM comments WHERE id BETWEEN 8810001 AND 8810009")
	t.Cleanup(func() { singleBlog.Exec("DELETE FROM comments WHERE id BETWEEN 8810001 AND 8810009") })
	counts := []string{
		"SELECT @@warning_count, @@error_count",
		"SHOW COUNT(*) WARNINGS",
		"SHOW COUNT(*) ERRORS",
		"SELECT @@SESSION.warning_count AS w, @@local.error_count",
	}
	var stmts []string
	for _, s := range []string{
		"SELECT COUNT(*) FROM entries WHERE title = 0", // a warning per row, on every shard
		"SELECT nosuchcol FROM entries",                // a shard's error
		"SELECT id FROM entries ORDER BY id LIMIT 1",   // none: the counts are 0 again
		"INSERT IGNORE INTO comments (id, entry_id, body) VALUES (8810001, 1000000001, 'a'), (8810001, 1000000001, 'b'), (8810002, 1000000002, 'c'), (8810002, 1000000002, 'd')", // a duplicate on each of two shards
	} {
		stmts = append(append(stmts, s), counts...)
	}
	// A statement that reads no table and raises nothing keeps them, on
	// one server too; one that raises a warning replaces them.
	stmts = append(stmts, "SELECT COUNT(*) FROM entries WHERE title = 0", "SET @a = 1", "DO 1", "SELECT 1 + 1")
	stmts = append(stmts, counts...)
	stmts = append(stmts, "SELECT 1/0")
	stmts = append(stmts, counts...)
	want := sameSessionAnswers(t, db, stmts)
	if want[1] != "[@@warning_count @@error_count] [[1081 0]]" || want[16] != "[@@warning_count @@error_count] [[2 0]]" ||
		want[24] != "[@@warning_count @@error_count] [[1081 0]]" || want[29] != "[@@warning_count @@error_count] [[1 0]]" {
		t.Errorf("the reference: %s after the merged read, want 1081 warnings; %s after the write, want 2; %s after SET, DO and SELECT 1 + 1, want 1081; %s after 1/0, want 1", want[1], want[16], want[24], want[29])
	}

	// SHOW WARNINGS lists as many as its LIMIT says (their order and
	// messages are the shards').
	conn := testenv.Conn(t, openStrata(t, strataAddr))
	testenv.Strings(t, conn, "SELECT COUNT(*) FROM entries WHERE title = 0")
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"SHOW WARNINGS LIMIT 3", 3},
		{"SHOW WARNINGS LIMIT 62, 5", 2}, // of max_error_count's 64
		{"SHOW WARNINGS LIMIT 2 OFFSET 1", 2},
		{"SHOW ERRORS", 0},
		{"SHOW WARNINGS", 64},
	} {
		if got := testenv.Strings(t, conn, tc.q); len(got) != tc.want {
			t.Errorf("%s after the merged read: %d rows, want %d", tc.q, len(got), tc.want)
		}
	}
	// GET DIAGNOSTICS would copy a server's own conditions, none of
	// these (before: NUMBER 0): it is refused, naming SHOW WARNINGS.
	_, err := conn.ExecContext(testenv.Ctx(t), "GET DIAGNOSTICS @n = NUMBER")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "SHOW WARNINGS") {
		t.Errorf("GET DIAGNOSTICS after the merged read: %v, want 1235 naming SHOW WARNINGS", err)
	}
	// Where a server holds them (a read of one shard), it answers.
	one := "SELECT id FROM entries WHERE title = 0 AND id = " + keysOn(ds.tables["entries"], "s1", 1)[0]
	testenv.Strings(t, conn, one)
	if _, err := conn.ExecContext(testenv.Ctx(t), "GET DIAGNOSTICS @n = NUMBER"); err != nil {
		t.Errorf("GET DIAGNOSTICS after a read of one shard: %v", err)
	}
	if got := testenv.Strings(t, conn, "SELECT @n"); !slices.Equal(got, []string{"1"}) {
		t.Errorf("GET DIAGNOSTICS after a read of one shard with a warning: @n = %v, want 1", got)
	}
}
