package test

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// With NO_BACKSLASH_ESCAPES a backslash does not escape a quote, so text
// that the default reading takes for the inside of one string is a second
// statement to the server. Strata reads a session's statements with its
// sql_mode, set plainly or computed by the server (CONCAT(@@sql_mode,
// ...)): the INSERT hidden that way reaches the primary, not a read-only
// replica. Under ANSI_QUOTES "t" is a table, read from a replica.
func TestSessionSQLModeChangesHowStatementsRead(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.rw_mode (id INT PRIMARY KEY, v VARCHAR(20))")
	db := openStrata(t, "multiStatements=true")
	direct := openDirect(t, env.primary, "blog")
	ctx := ctxFor(t)
	for i, set := range []string{
		"SET sql_mode = 'NO_BACKSLASH_ESCAPES'",
		"SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')",
	} {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SET sql_mode = DEFAULT"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, set); err != nil {
			t.Fatalf("%s: %v", set, err)
		}
		// Read with backslash escapes this is one SELECT of a string; the
		// server runs a SELECT, an INSERT and a comment.
		stmt := `SELECT 'a\'; INSERT INTO rw_mode VALUES (` + string(rune('1'+i)) + `, NULL); -- '`
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("after %s, %s: %v", set, stmt, err)
		}
		var n int
		if err := direct.QueryRow("SELECT COUNT(*) FROM rw_mode WHERE id = ?", i+1).Scan(&n); err != nil || n != 1 {
			t.Fatalf("after %s: the hidden INSERT is not on the primary (%d rows, %v)", set, n, err)
		}
	}

	if err := env.SB.WaitReplicated(ctx); err != nil { // the replicas have both rows
		t.Fatal(err)
	}
	conn := testenv.Conn(t, db)
	if _, err := conn.ExecContext(ctx, "SET sql_mode = 'ANSI_QUOTES'"); err != nil {
		t.Fatal(err)
	}
	before, _ := readsByServer(t, "rw_mode")
	if got := queryStrings(t, conn, `SELECT COUNT(*) FROM "rw_mode"`); len(got) != 1 || got[0] != "2" {
		t.Fatalf(`ANSI_QUOTES: SELECT COUNT(*) FROM "rw_mode" = %v, want 2`, got)
	}
	if after, _ := readsByServer(t, "rw_mode"); after != before {
		t.Errorf("ANSI_QUOTES: a read of a quoted table ran on the primary (%d rows read there before, %d after), want a replica", before, after)
	}
}
