package sharding

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// SQL_CALC_FOUND_ROWS on one shard counts that shard's rows, which are all
// the statement's: FOUND_ROWS() after it reads them there. Over several
// shards each would count its own, so Strata refuses it with a clear error
// rather than let FOUND_ROWS() answer one shard's count.
func TestFoundRowsOnShards(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	conn := testenv.Conn(t, db)

	want := testenv.Strings(t, conn, "SELECT COUNT(*) FROM events WHERE id < 500")
	if rows := testenv.Strings(t, conn, "SELECT SQL_CALC_FOUND_ROWS id FROM events WHERE id < 500 ORDER BY id LIMIT 3"); len(rows) != 3 {
		t.Fatalf("the page on one shard: %d rows, want 3", len(rows))
	}
	if got := testenv.Strings(t, conn, "SELECT FOUND_ROWS()"); len(got) != 1 || len(want) != 1 || got[0] != want[0] || got[0] == "0" {
		t.Fatalf("FOUND_ROWS() after a page on one shard = %q, want the shard's count %q", got, want)
	}

	_, err := conn.QueryContext(testenv.Ctx(t), "SELECT SQL_CALC_FOUND_ROWS id FROM events ORDER BY id LIMIT 3")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "SQL_CALC_FOUND_ROWS") || !strings.Contains(err.Error(), "COUNT(*)") {
		t.Fatalf("SQL_CALC_FOUND_ROWS over every shard: %v, want error 1235 naming it and COUNT(*)", err)
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
