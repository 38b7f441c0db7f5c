package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// sessionAnswers runs statements one after another on one connection and
// gives each one's answer as text: its rows, or its error's code.
func sessionAnswers(t *testing.T, db *sql.DB, stmts []string) []string {
	t.Helper()
	ctx := testenv.Ctx(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out []string
	for _, q := range stmts {
		r, err := runQuery(ctx, connQuerier{conn}, q)
		if err != nil {
			out = append(out, fmt.Sprintf("error %d", testenv.MySQLErr(err)))
			continue
		}
		out = append(out, fmt.Sprint(r.cols, r.rows)) // the columns' names too: a client reads them
	}
	return out
}

// sameSessionAnswers runs stmts in one session through db and in one on
// the single server, and reports each answer that differs; it returns the
// single server's.
func sameSessionAnswers(t *testing.T, db *sql.DB, stmts []string) []string {
	t.Helper()
	got, want := sessionAnswers(t, db, stmts), sessionAnswers(t, singleBlog, stmts)
	for i := range stmts {
		if got[i] != want[i] {
			t.Errorf("%s: %s through Strata, one server: %s", stmts[i], got[i], want[i])
		}
	}
	return want
}

type connQuerier struct{ c *sql.Conn }

func (q connQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.c.QueryContext(ctx, query, args...)
}

// SQL-level prepared statements (PREPARE ... FROM, EXECUTE ... USING,
// DEALLOCATE PREPARE) over sharded tables answer as on one server:
// Strata keeps them and runs each EXECUTE as the statement with its
// values written in. Before, PREPARE went to the default cluster, which
// has no such table (1146).
func TestSQLPreparedStatementsOverShards(t *testing.T) {
	db := strataDB(t)
	cleanup(t, "comments", "id BETWEEN 8800001 AND 8800009")
	singleBlog.Exec("DELETE FROM comments WHERE id BETWEEN 8800001 AND 8800009")
	t.Cleanup(func() { singleBlog.Exec("DELETE FROM comments WHERE id BETWEEN 8800001 AND 8800009") })
	for _, tc := range []struct {
		name  string
		stmts []string
	}{
		{"literal text, values in variables and literals", []string{
			"PREPARE q FROM 'SELECT COUNT(*), SUM(score) FROM entries WHERE id > ? AND status <> ?'",
			"SET @lo = 1000001000, @st = 'draft'",
			"EXECUTE q USING @lo, @st",
			"EXECUTE q USING 1000002000, 'x'",
			"EXECUTE q USING @lo",
			"DEALLOCATE PREPARE q",
			"EXECUTE q USING @lo, @st",
		}},
		{"text from a variable, a write routed by its key", []string{
			"SET @ins = 'INSERT INTO comments (id, entry_id, body) VALUES (?, ?, ?)'",
			"PREPARE ins FROM @ins",
			"SET @id = 8800001, @e = 7, @b = 'prepared'",
			"EXECUTE ins USING @id, @e, @b",
			"SET @id = 8800002, @e = 8",
			"EXECUTE ins USING @id, @e, @b",
			"SELECT id, entry_id, body FROM comments WHERE id BETWEEN 8800001 AND 8800009 ORDER BY id",
			"DROP PREPARE ins",
		}},
		{"no variables set in the session", []string{
			"PREPARE c FROM 'SELECT title FROM entries WHERE id = ?'",
			"EXECUTE c USING 1000000042",
			"EXECUTE c USING @unset",
			"PREPARE one FROM 'SELECT 1 + ?'",
			"EXECUTE one USING 2",
		}},
		// The columns of placeholders are named as the server names
		// them, "?" and "score + ?" (before, by the values written in).
		{"placeholders in the select list", []string{
			"PREPARE named FROM 'SELECT id, ?, score + ? FROM entries WHERE id = ?'",
			"EXECUTE named USING 'x', 1, 1000000042",
			"PREPARE grouped FROM 'SELECT status, COUNT(*), ? FROM entries WHERE id > ? GROUP BY status ORDER BY status'",
			"EXECUTE grouped USING 7, 1000001000",
		}},
		// EXECUTE IMMEDIATE: PREPARE, EXECUTE and DEALLOCATE at once.
		{"execute immediate", []string{
			"EXECUTE IMMEDIATE 'SELECT COUNT(*), SUM(score) FROM entries WHERE id > ? AND status <> ?' USING 1000001000, 'draft'",
			"SET @q = 'SELECT title FROM entries WHERE id = ?', @id = 1000000042",
			"EXECUTE IMMEDIATE @q USING @id",
			"EXECUTE IMMEDIATE CONCAT('SELECT COUNT(*) FROM ', 'entries WHERE id > ', @id)",
			"EXECUTE IMMEDIATE 'SELECT 1 + ?' USING 2",
			"EXECUTE IMMEDIATE 'SELEC * FROM entries'",
		}},
		{"a text with a syntax error", []string{
			"PREPARE bad FROM 'SELEC * FROM entries'",
			"EXECUTE bad",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { sameSessionAnswers(t, db, tc.stmts) })
	}
	// The rows are on the shards their keys name (entry_id mod 4).
	for id, sh := range map[int]string{8800001: "s3", 8800002: "s0"} {
		if n := testenv.Strings(t, direct[sh], fmt.Sprintf("SELECT COUNT(*) FROM blog.comments WHERE id = %d", id)); n[0] != "1" {
			t.Errorf("comment %d is not on %s", id, sh)
		}
	}
	// An expression in USING, in a session with no variables to evaluate
	// it by.
	ctx := testenv.Ctx(t)
	conn, err := openStrata(t, strataAddr).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err = conn.ExecContext(ctx, "PREPARE e FROM 'SELECT COUNT(*) FROM entries WHERE id > ?'"); err == nil {
		_, err = conn.ExecContext(ctx, "EXECUTE e USING 1 + 1")
	}
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "user variables or literals") {
		t.Errorf("EXECUTE ... USING 1 + 1 without variables: %v, want 1235 saying to use a variable", err)
	}
}

// SELECT ... INTO @variables over shards assigns what one server would:
// Strata runs the SELECT over the shards and assigns the row it gave
// where the session keeps its variables, so later statements read them.
// Before, it was refused: the SQL parser does not read INTO @var.
func TestSelectIntoVariablesOverShards(t *testing.T) {
	db := strataDB(t)
	stmts := []string{
		"SELECT COUNT(*), MAX(score), SUM(rating) INTO @n, @m, @r FROM entries",
		"SELECT @n, @m, @r, @r + 0.001",
		"SELECT SUM(score) FROM entries WHERE status = 'draft' INTO @s",
		"SELECT @s",
		"SELECT title INTO @t FROM entries WHERE id = 1000000001",
		"SELECT @t",
		"SELECT title INTO @t FROM entries WHERE id = -1",
		"SHOW WARNINGS",
		"SELECT @t",
		"SELECT title INTO @t FROM entries WHERE score > 0",
		"SELECT @t",
		"SELECT id, title INTO @x FROM entries WHERE id = 1000000001",
		"SELECT COUNT(*) FROM entries WHERE score > @m - 10",
	}
	want := sameSessionAnswers(t, db, stmts)
	if strings.HasSuffix(want[1], "[[<nil> <nil> <nil> <nil>]]") || !strings.Contains(want[7], "1329") {
		t.Errorf("the reference answers assign nothing: %q", want)
	}
}

// A SELECT over several shards that assigns user variables (the running
// rank of old MySQL code, @x := id ... LIMIT 1) answers and assigns as one
// server: Strata reads the rows first and runs the statement where the
// session keeps its variables, with a derived table that starts the rank
// ((SELECT @n := 0) AS init) left in it. Before, each shard assigned its own
// (ranks restarting on each, silently) on a connection that went back to
// its pool, so the variable was gone afterwards.
func TestUserVariableAssignmentsOverShards(t *testing.T) {
	strataDB(t)
	stmts := []string{
		"SET @rank = 0",
		"SELECT @rank := @rank + 1 AS r, id, score FROM entries ORDER BY score DESC, id LIMIT 5",
		"SELECT @rank",
		"SELECT @x := id FROM entries ORDER BY id DESC LIMIT 1",
		"SELECT @x",
		"SET @t = 0",
		"SELECT id, @t := @t + score FROM entries WHERE status = 'draft' ORDER BY id LIMIT 3",
		"SELECT @t",
		"SELECT @e := COUNT(*) FROM entries",
		"SELECT @e",
		// The rank started in a derived table of the statement itself,
		// per group too: it stays in the statement, which sets the
		// variables before the rows are read (before: refused).
		"SELECT @n := @n + 1 AS r, id FROM entries, (SELECT @n := 0) init ORDER BY score DESC, id LIMIT 4",
		"SELECT @n",
		"SELECT id, @g := IF(@prev = status, @g + 1, 1) AS r, @prev := status FROM entries CROSS JOIN (SELECT @g := 0, @prev := NULL) AS v ORDER BY status, id LIMIT 6",
		"SELECT @g, @prev",
	}
	if want := sameSessionAnswers(t, openStrata(t, strataAddr), stmts); want[2] != "[@rank] [[5]]" || want[11] != "[@n] [[4]]" {
		t.Errorf("the reference: @rank = %s after five ranked rows", want[2])
	}
	// As a prepared statement (binary protocol) it is refused: the rows
	// would come from a text statement. Before, each shard assigned its
	// own here too.
	_, err := openStrata(t, strataAddr).Query("SELECT @r := @r + 1, id FROM entries WHERE score > ? ORDER BY id", 10)
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "send it as a text query") {
		t.Errorf("prepared SELECT assigning @r over several shards: %v, want 1235", err)
	}
	// A write over several shards that assigns one is refused: each shard
	// would assign its own.
	_, err = openStrata(t, strataAddr).Exec("UPDATE entries SET score = score WHERE (@u := 1) = 1 AND id IN (1000000001, 1000000005, 1000000009, 1000000013)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "assigns user variables") {
		t.Errorf("UPDATE over several shards assigning @u: %v, want 1235", err)
	}
}

// A session's sql_select_limit caps a merged answer as one server caps
// its own, and never the reads Strata makes for itself. Before, each
// shard capped its part (four shards: four times the rows), and a
// COUNT(*) over a derived table counted the capped rows (12, not 1200).
func TestSelectLimitOfTheSession(t *testing.T) {
	strataDB(t)
	stmts := []string{
		"SET SESSION sql_select_limit = 3",
		"SELECT id FROM entries ORDER BY id",
		"SELECT COUNT(*) FROM (SELECT id FROM entries) t",
		"SELECT id FROM entries ORDER BY id LIMIT 5",
		"SELECT status, COUNT(*) FROM entries GROUP BY status ORDER BY 1 DESC",
		"SELECT c.name FROM members m JOIN countries c ON c.code = m.country ORDER BY 1",
		"SELECT SQL_CALC_FOUND_ROWS id FROM entries ORDER BY id",
		"SELECT FOUND_ROWS()",
		"SET sql_select_limit = DEFAULT",
		"SELECT COUNT(*) FROM (SELECT id FROM entries WHERE id > 1000001000) t",
	}
	sameSessionAnswers(t, openStrata(t, strataAddr), stmts)
	// mariadb --safe-updates sets sql_select_limit = 1000.
	host, port, _ := net.SplitHostPort(strataAddr)
	out, errOut, err := runTool("mariadb", "-h", host, "-P", port, "-u", "app", "--password=app", "--skip-ssl", "--safe-updates", "-N", "blog", "-e", "SELECT id FROM entries ORDER BY id; SELECT COUNT(*) FROM (SELECT id FROM entries) t")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); err != nil || len(lines) != 1001 || lines[1000] != "1200" {
		t.Errorf("mariadb --safe-updates through Strata: %v %s, %d lines, want 1000 ids and a count of 1200", err, errOut, len(lines))
	}
}

// The statements Strata keeps for PREPARE count against
// limits.max_prepared_statements, as COM_STMT_PREPARE's do: a session that
// prepares names without deallocating them gets MariaDB's 1461, and
// preparing a name again, or after DEALLOCATE, still works.
func TestSQLPreparedStatementsAreBounded(t *testing.T) {
	strataDB(t)
	s := startOwn(t, ownConfig(t, "", "limits: {max_prepared_statements: 2}\n"))
	conn := testenv.Conn(t, testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog")))
	ctx := testenv.Ctx(t)
	for _, q := range []string{
		"PREPARE a FROM 'SELECT COUNT(*) FROM entries'",
		"PREPARE b FROM 'SELECT COUNT(*) FROM comments'",
		"PREPARE a FROM 'SELECT COUNT(*) FROM events'",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "PREPARE c FROM 'SELECT COUNT(*) FROM posts'"); testenv.MySQLErr(err) != 1461 {
		t.Errorf("a third statement with max_prepared_statements 2: %v, want 1461", err)
	}
	for _, q := range []string{"DEALLOCATE PREPARE b", "PREPARE c FROM 'SELECT COUNT(*) FROM posts'", "EXECUTE c"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}
