package test

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/test/testenv"
)

// Reads in MariaDB's own syntax, which the parser does not know (CAST AS
// INT, LIMIT ROWS EXAMINED, OFFSET ... FETCH), are still reads: replicas
// answer them, with the primary's answer. One that calls a stored
// function, which may write, runs on the primary.
func TestMariaDBOnlyReadsRunOnReplicas(t *testing.T) {
	t.Parallel()
	numberedTable(t, "mariadb_reads", 20)
	setupTables(t, "CREATE TABLE blog.mariadb_log (n INT)",
		"CREATE FUNCTION blog.logged(x INT) RETURNS INT DETERMINISTIC MODIFIES SQL DATA BEGIN INSERT INTO blog.mariadb_log VALUES (x); RETURN x; END")
	db, direct := openStrata(t), openDirect(t, env.primary, "blog")

	for _, q := range []string{
		"SELECT CAST(n AS INT) + id FROM mariadb_reads WHERE id IN (3, 4) ORDER BY id LIMIT ROWS EXAMINED 100",
		"SELECT id FROM mariadb_reads ORDER BY id OFFSET 5 ROWS FETCH FIRST 3 ROWS ONLY",
	} {
		if _, err := sqlparse.Classify(q); err == nil {
			t.Fatalf("the parser reads %q: the test needs a statement it cannot read", q)
		}
		primaryBefore, before := readsByServer(t, "mariadb_reads")
		got := queryStrings(t, db, q)
		testenv.Eventually(t, "the read ran on a replica", func() bool {
			_, after := readsByServer(t, "mariadb_reads")
			return sum(after) > sum(before)
		})
		if primaryAfter, _ := readsByServer(t, "mariadb_reads"); primaryAfter != primaryBefore {
			t.Fatalf("%s: the primary read %d rows too", q, primaryAfter-primaryBefore)
		}
		if want := queryStrings(t, direct, q); len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: through Strata %q, on the primary %q", q, got, want)
		}
	}

	logged := "SELECT logged(id) FROM mariadb_reads WHERE id = 7 LIMIT ROWS EXAMINED 100"
	if got := queryStrings(t, db, logged); len(got) != 1 || got[0] != "7" {
		t.Fatalf("%s = %q, want 7", logged, got)
	}
	if got := queryStrings(t, direct, "SELECT n FROM mariadb_log"); len(got) != 1 || got[0] != "7" {
		t.Fatalf("the stored function's write on the primary: %q, want 7", got)
	}
}

// INSERT/DELETE ... RETURNING on an unsharded cluster: a write, so the
// primary runs it, and the client gets its rows (text and prepared), with
// LAST_INSERT_ID() in the clause read on the connection that inserted.
func TestReturningRunsOnThePrimary(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.returning_rows (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10))")
	db, direct := openStrata(t), openDirect(t, env.primary, "blog")
	if got := queryStrings(t, db, "INSERT INTO returning_rows (v) VALUES ('a'), ('b') RETURNING id, v"); strings.Join(got, ",") != "1|a,2|b" {
		t.Fatalf("INSERT ... RETURNING = %q, want 1|a,2|b", got)
	}
	if got := queryStrings(t, db, "INSERT INTO returning_rows (v) VALUES (?) RETURNING id, UPPER(v)", "c"); strings.Join(got, ",") != "3|C" {
		t.Fatalf("prepared INSERT ... RETURNING = %q, want 3|C", got)
	}
	if got := queryStrings(t, db, "DELETE FROM returning_rows WHERE id < 3 RETURNING v"); strings.Join(got, ",") != "a,b" {
		t.Fatalf("DELETE ... RETURNING = %q, want a,b", got)
	}
	if got := queryStrings(t, direct, "SELECT id, v FROM returning_rows"); strings.Join(got, ",") != "3|c" {
		t.Fatalf("the primary holds %q, want 3|c", got)
	}
}
