package sharding

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// MariaDB's SET STATEMENT var = value FOR stmt (its per-statement
// timeout, among others) over sharded tables: each shard's statement
// gets the same variables, and the answer is one server's. Before, the
// parser read no such statement and Strata answered error 1064, a syntax
// error for valid MariaDB. Variables that change how Strata itself reads
// the statement or merges its answer are refused, naming the variable.
func TestSetStatementForRunsOverShards(t *testing.T) {
	db := strataDB(t)
	single := openDirect(t, "single", "blog")
	sameRows(t, db, single,
		"SET STATEMENT max_statement_time = 10 FOR SELECT status, COUNT(*) FROM entries GROUP BY status ORDER BY status",
		"set statement div_precision_increment = 1, max_statement_time = 10 for SELECT AVG(score) FROM entries",
		"SET STATEMENT max_statement_time = 10 FOR SELECT DISTINCT status FROM entries ORDER BY status DESC LIMIT 2",
		// A subquery over another cluster's table is read first, and the
		// statement left keeps its variables.
		"SET STATEMENT max_statement_time = 10 FOR SELECT COUNT(*) FROM users WHERE id IN (SELECT entry_id FROM comments WHERE votes > 3)")
	if got, want := testenv.Strings(t, db, "SET STATEMENT max_statement_time = 10 FOR SELECT COUNT(*) FROM users WHERE id IN (SELECT entry_id FROM comments WHERE votes > ?)", 3),
		testenv.Strings(t, single, "SELECT COUNT(*) FROM users WHERE id IN (SELECT entry_id FROM comments WHERE votes > ?)", 3); !slices.Equal(got, want) {
		t.Errorf("prepared SET STATEMENT ... FOR with a subquery over shards: %q, one server %q", got, want)
	}

	// A write by key reaches the key's shard with its variables.
	cleanup(t, "members", "username LIKE '%\\_setst'")
	conn := testenv.Conn(t, db)
	mustExec(t, conn, "SET STATEMENT max_statement_time = 10 FOR INSERT INTO members (username, nick) VALUES ('a_setst', 'x'), ('b_setst', 'y')")
	mustExec(t, conn, "SET STATEMENT max_statement_time = 10 FOR UPDATE members SET nick = 'z' WHERE username = 'a_setst'")
	if got := testenv.Strings(t, conn, "SELECT username, nick FROM members WHERE username LIKE '%\\_setst' ORDER BY username"); strings.Join(got, ",") != "a_setst|z,b_setst|y" {
		t.Errorf("after the writes: %q", got)
	}

	// Prepared and landing on one shard, the statement prepared there
	// keeps its variables too.
	if _, err := db.Exec("SET STATEMENT max_statement_time = 0.2 FOR SELECT SLEEP(2), id FROM entries WHERE id = ?", 1000000001); testenv.MySQLErr(err) != 1969 {
		t.Errorf("a prepared statement on one shard past its max_statement_time: %v, want error 1969", err)
	}

	// The variables apply on each shard: a timeout stops the statement
	// there, and the client gets MariaDB's error for it.
	_, err := db.Exec("SET STATEMENT max_statement_time = 0.2 FOR SELECT SLEEP(2), id FROM entries ORDER BY id LIMIT 1")
	if testenv.MySQLErr(err) != 1969 {
		t.Errorf("a shard statement past its max_statement_time: %v, want error 1969", err)
	}

	for _, v := range []string{"sql_select_limit = 1", "sql_mode = 'ANSI_QUOTES'", "character_set_results = latin1"} {
		_, err := db.Query("SET STATEMENT " + v + " FOR SELECT title FROM entries ORDER BY title LIMIT 2")
		name, _, _ := strings.Cut(v, " ")
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), name) {
			t.Errorf("SET STATEMENT %s FOR a merge: %v, want error 1235 naming %s", v, err, name)
		}
	}
}

// MariaDB's words for what MySQL's grammar says otherwise — CAST(x AS
// INT), OFFSET n ROWS FETCH NEXT m ROWS ONLY — run over shards as their
// MySQL forms would, with one server's answers. Before, Strata's parser
// read neither and refused them on sharded tables (error 1235).
func TestMariaDBFormsRunOverShards(t *testing.T) {
	db := strataDB(t)
	single := openDirect(t, "single", "blog")
	sameRows(t, db, single,
		"SELECT CAST(score AS INT) AS s, COUNT(*) FROM entries GROUP BY s ORDER BY s",
		"SELECT id, CAST(id AS UNSIGNED INTEGER) FROM entries ORDER BY id OFFSET 3 ROWS FETCH NEXT 4 ROWS ONLY",
		"SELECT id FROM entries ORDER BY id DESC FETCH FIRST 2 ROWS ONLY",
		"SET STATEMENT max_statement_time = 10 FOR SELECT MAX(CAST(score AS INTEGER)) FROM entries")
	// Bound values for OFFSET and FETCH, in a server-side prepared statement.
	q := "SELECT id FROM entries ORDER BY id OFFSET ? ROWS FETCH FIRST ? ROWS ONLY"
	if got, want := testenv.Strings(t, db, q, 5, 3), testenv.Strings(t, single, q, 5, 3); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s with 5, 3: %q through Strata, %q on one server", q, got, want)
	}
}

// MariaDB's LOCK IN SHARE MODE NOWAIT and SKIP LOCKED over sharded tables
// (a job queue's reader that must not wait on rows another worker holds)
// run on every shard with the same words: a row another transaction
// locks on one shard is skipped, or NOWAIT answers at once with MariaDB's
// lock error. Before, both were refused with 1235.
func TestSharedLocksWithNowaitAndSkipLockedOverShards(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	entries := ds.tables["entries"]
	held := entries.rows[5][0] // its shard's transaction below locks it
	locker, err := direct[entries.ownerOfKey(held)].Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	mustExec(t, locker, "BEGIN")
	defer locker.ExecContext(ctx, "ROLLBACK")
	mustExec(t, locker, "SELECT id FROM blog.entries WHERE id = "+held+" FOR UPDATE")

	all := testenv.Strings(t, db, "SELECT id FROM entries WHERE id <= "+held+" ORDER BY id")
	skipped := testenv.Strings(t, db, "SELECT id FROM entries WHERE id <= "+held+" ORDER BY id LOCK IN SHARE MODE SKIP LOCKED")
	if want := slices.DeleteFunc(slices.Clone(all), func(id string) bool { return id == held }); !slices.Equal(skipped, want) || len(want) == 0 {
		t.Errorf("LOCK IN SHARE MODE SKIP LOCKED read %v, want every row but the locked %s: %v", skipped, held, want)
	}
	start := time.Now()
	_, err = db.ExecContext(ctx, "SELECT id FROM entries WHERE id <= "+held+" ORDER BY id LOCK IN SHARE MODE NOWAIT")
	if testenv.MySQLErr(err) != 1205 || time.Since(start) > 5*time.Second {
		t.Errorf("LOCK IN SHARE MODE NOWAIT on a locked row: %v after %s, want error 1205 at once", err, time.Since(start))
	}
	explain := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA SELECT id FROM entries WHERE score > 3 LOCK IN SHARE MODE SKIP LOCKED"), "\n")
	if !strings.Contains(explain, "LOCK IN SHARE MODE SKIP LOCKED") {
		t.Errorf("the shards' statements do not keep SKIP LOCKED:\n%s", explain)
	}
}
