package sharding

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// MariaDB refuses a NULL in a NOT NULL column of a one-row INSERT (1048)
// in every sql_mode, but for a row of a multi-row INSERT under a
// non-strict sql_mode it stores the type's zero with a warning. A legacy
// application under sql_mode = ” relies on that. Strata splits a
// multi-row INSERT by shard, and a shard given one such row answers as
// for several rows (the row is sent as INSERT ... SELECT), so the
// statement stores what one server stores and warns as it warns. Before,
// the shard refused its one row and the statement failed.
func TestNullsInSplitRowsAreStoredAsOneServerStoresThem(t *testing.T) {
	got, want := modTable(t, "nn_rows", "id INT NOT NULL PRIMARY KEY, note VARCHAR(10) NOT NULL, n INT NOT NULL, seen DATE NOT NULL, tag VARCHAR(10) NULL DEFAULT 'dflt'")
	ctx := testenv.Ctx(t)
	cols := "nn_rows (id, note, n, seen, tag) VALUES "
	for _, step := range []struct {
		mode string
		sql  string
		args []any
	}{
		// ids 1..4 land on four shards, one row each.
		{"''", "INSERT INTO " + cols + "(1, NULL, 5, '2024-01-01', 'a'), (2, 'b', NULL, NULL, NULL)", nil},
		{"''", "INSERT INTO " + cols + "(3, ?, ?, '2024-01-03', 'c'), (4, 'd', 4, ?, NULL)", []any{nil, nil, nil}},
		{"''", "INSERT INTO " + cols + "(5, NULL, 5, '2024-01-05', 'e'), (6, 'f', 6, '2024-01-06', 'f') ON DUPLICATE KEY UPDATE n = VALUES(n) + 1", nil},
		{"''", "INSERT INTO " + cols + "(5, 'g', NULL, '2024-01-05', 'g'), (7, 'h', 7, '2024-01-07', 'h') ON DUPLICATE KEY UPDATE n = VALUES(n) + 1", nil},
		{"''", "REPLACE INTO " + cols + "(1, 'r', 1, NULL, 'r'), (2, 'r', 2, '2024-02-02', 'r')", nil},
		// A column the row gives DEFAULT is left out of the select's column list.
		{"''", "INSERT INTO " + cols + "(8, NULL, 8, '2024-01-08', DEFAULT), (9, 'i', 9, '2024-01-09', DEFAULT)", nil},
		{"''", "INSERT INTO " + cols + "(10, ?, 10, '2024-01-10', DEFAULT), (15, 'o', ?, '2024-01-15', 'o')", []any{nil, nil}},
		{"''", "INSERT INTO " + cols + "(8, 'p', NULL, '2024-01-08', DEFAULT), (19, 'p', 19, '2024-01-19', 'p') ON DUPLICATE KEY UPDATE tag = CONCAT(VALUES(tag), '+'), n = VALUES(n) + 1", nil},
		{"DEFAULT", "INSERT INTO " + cols + "(11, NULL, 1, '2024-01-11', 'x'), (12, 'y', 2, '2024-01-12', 'y')", nil}, // 1048 on both
		{"DEFAULT", "INSERT INTO " + cols + "(17, NULL, 17, '2024-01-17', DEFAULT), (18, 'y', 2, '2024-01-18', 'y')", nil},
		{"DEFAULT", "INSERT IGNORE INTO " + cols + "(13, NULL, 1, '2024-01-13', 'x'), (14, 'y', NULL, '2024-01-14', 'y')", nil},
		// DEFAULT on a NOT NULL column without a default: the same rows
		// and warnings, the left-out column's warning (1364) first.
		{"''", "INSERT INTO " + cols + "(20, NULL, DEFAULT, '2024-01-20', 'q'), (21, 'r', 21, DEFAULT, 'r')", nil},
	} {
		for _, c := range []*sql.Conn{got, want} {
			if _, err := c.ExecContext(ctx, "SET SESSION sql_mode = "+step.mode); err != nil {
				t.Fatal(err)
			}
		}
		gotRes, gotErr := execIn(ctx, got, step.sql, len(step.args) > 0, step.args...)
		wantRes, wantErr := execIn(ctx, want, step.sql, len(step.args) > 0, step.args...)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Fatalf("%s: %s (Strata: %v, one server: %v)", step.sql, msg, gotErr, wantErr)
		}
		if len(step.args) == 0 {
			g, w := warnings(t, got), warnings(t, want)
			if strings.Contains(step.sql, "(20, NULL, DEFAULT") {
				slices.Sort(g)
				slices.Sort(w)
			}
			if !slices.Equal(g, w) {
				t.Errorf("%s: warnings through Strata\n%s\non one server\n%s", step.sql, strings.Join(g, "\n"), strings.Join(w, "\n"))
			}
		}
	}
	rows := "SELECT CONCAT_WS(' ', id, note, n, seen, IFNULL(tag, 'NULL')) FROM nn_rows ORDER BY id"
	if g, w := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); !slices.Equal(g, w) {
		t.Errorf("rows through Strata:\n%s\non one server:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// A SET between two statements of a transaction over shards runs on one
// connection of it; the transaction's connections on the other shards
// must follow it before they run the next statement, as one server's
// session would. Before, they kept the sql_mode they started with: a
// multi-row INSERT's NULL in a NOT NULL column, which the non-strict mode
// stores as ”, was refused there (1048), found by the write differential.
func TestASetInsideATransactionOverShardsReachesEveryShard(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.nn_tx (id INT NOT NULL PRIMARY KEY, note VARCHAR(10) NOT NULL)", "blog.nn_tx", append([]string{"single"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, "nn_tx: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", "transactions: {mode: twopc}\n"))
	got := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	want := singleConn(t)
	// A failure inside the transaction leaves it open on a pooled
	// connection, whose locks would hold the cleanup's DROP TABLE.
	t.Cleanup(func() {
		got.ExecContext(context.Background(), "ROLLBACK")
		want.ExecContext(context.Background(), "ROLLBACK")
	})
	ctx := testenv.Ctx(t)
	for _, q := range []string{
		"SET SESSION sql_mode = DEFAULT",
		"BEGIN",
		"INSERT INTO nn_tx (id, note) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')", // a branch on every shard
		"SET SESSION sql_mode = ''",
		"INSERT INTO nn_tx (id, note) VALUES (5, NULL), (6, 'f'), (9, 'i'), (10, NULL)", // two rows on s1, two on s2
		"SET SESSION sql_mode = DEFAULT",
		"INSERT INTO nn_tx (id, note) VALUES (7, NULL), (11, 'k')", // 1048 on both again
		"COMMIT",
	} {
		_, gotErr := got.ExecContext(ctx, q)
		_, wantErr := want.ExecContext(ctx, q)
		if testenv.MySQLErr(gotErr) != testenv.MySQLErr(wantErr) {
			t.Fatalf("%s: Strata %v, one server %v", q, gotErr, wantErr)
		}
	}
	rows := "SELECT CONCAT_WS(' ', id, note) FROM nn_tx ORDER BY id"
	if g, w := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); !slices.Equal(g, w) {
		t.Errorf("rows through Strata:\n%s\non one server:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// modTable creates blog.<name> (<columns>) on the four shards and on the
// single server, and starts a Strata of its own that shards it by id
// modulo four (ids 1..4 land on four shards): a connection through that
// Strata, and one to the single server holding every row, to compare.
func modTable(t *testing.T, name, columns string) (got, want *sql.Conn) {
	t.Helper()
	got = testenv.Conn(t, modTableDB(t, name, columns))
	t.Cleanup(func() { got.ExecContext(context.Background(), "SET SESSION sql_mode = DEFAULT, time_zone = DEFAULT") })
	return got, singleConn(t)
}

// modTableDB is modTable's table and Strata, as a pool of connections to
// that Strata: each connection a session of its own.
func modTableDB(t *testing.T, name, columns string) *sql.DB {
	t.Helper()
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog."+name+" ("+columns+")", "blog."+name, append([]string{"single"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, name+": {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	return openStrata(t, s.MySQLAddr())
}

// learnedModTable is modTable once its Strata has read the table's
// columns from the shards (names, primary key, collations), for tests of
// what Strata does with them.
func learnedModTable(t *testing.T, name, columns string) (got, want *sql.Conn) {
	t.Helper()
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog."+name+" ("+columns+")", "blog."+name, append([]string{"single"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, name+": {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	testenv.Eventually(t, "the columns of "+name+" read from the shards", func() bool { return s.Env.Sharding.TableColumns(name) != nil })
	return testenv.Conn(t, openStrata(t, s.MySQLAddr())), singleConn(t)
}

// singleConn is a connection to the single server whose session
// variables (sql_mode, time_zone) a test may set: they go back to the
// server's at its end, before the connection returns to the pool another
// test takes it from.
func singleConn(t *testing.T) *sql.Conn {
	t.Helper()
	c := testenv.Conn(t, singleBlog)
	t.Cleanup(func() { c.ExecContext(context.Background(), "SET SESSION sql_mode = DEFAULT, time_zone = DEFAULT") })
	return c
}

// Under MariaDB's EMPTY_STRING_IS_NULL sql_mode (set by applications
// ported from Oracle) the server reads ” as NULL, whether written or
// bound. Strata reads the values it routes and splits by the same way: a
// split row whose ” is a NULL in a NOT NULL column is stored as one
// server stores it (the type's zero, with a warning) and an empty key is
// a NULL key, which no shard holds. Before, Strata read ” as a string: the
// shard given that row alone refused it (1048) and the statement failed.
func TestEmptyStringsAreNullsUnderEmptyStringIsNull(t *testing.T) {
	got, want := modTable(t, "es_rows", "id INT NOT NULL PRIMARY KEY, note VARCHAR(10) NOT NULL, tag VARCHAR(10) NULL")
	ctx := testenv.Ctx(t)
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "SET SESSION sql_mode = 'EMPTY_STRING_IS_NULL'")
	}
	cols := "es_rows (id, note, tag) VALUES "
	for _, step := range []struct {
		sql  string
		args []any
	}{
		// ids 1..4 land on four shards, one row each.
		{"INSERT INTO " + cols + "(1, '', 'a'), (2, 'b', '')", nil},
		{"INSERT INTO " + cols + "(?, ?, ?), (?, ?, ?)", []any{3, "", "c", 4, "d", ""}},
		{"INSERT INTO " + cols + `(5, N'', _utf8mb4''), (6, x'', "")`, nil},
	} {
		gotRes, gotErr := execIn(ctx, got, step.sql, len(step.args) > 0, step.args...)
		wantRes, wantErr := execIn(ctx, want, step.sql, len(step.args) > 0, step.args...)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Fatalf("%s %v: %s (Strata: %v, one server: %v)", step.sql, step.args, msg, gotErr, wantErr)
		}
		if len(step.args) == 0 {
			if g, w := warnings(t, got), warnings(t, want); !slices.Equal(g, w) {
				t.Errorf("%s: warnings through Strata\n%s\non one server\n%s", step.sql, strings.Join(g, "\n"), strings.Join(w, "\n"))
			}
		}
	}
	// An empty key is NULL: one server refuses it in this NOT NULL column
	// (1048), and so does the shard Strata places it on (by the zero the
	// column would store for it).
	for _, args := range [][]any{nil, {""}} {
		q := "INSERT INTO " + cols + "('', 'k', 'k')"
		if args != nil {
			q = "INSERT INTO " + cols + "(?, 'k', 'k')"
		}
		_, gotErr := execIn(ctx, got, q, args != nil, args...)
		_, wantErr := execIn(ctx, want, q, args != nil, args...)
		if wantErr == nil || testenv.MySQLErr(gotErr) != testenv.MySQLErr(wantErr) {
			t.Errorf("%s %v: through Strata %v, want it refused as one server refuses it: %v", q, args, gotErr, wantErr)
		}
	}
	rows := "SELECT CONCAT_WS(' ', id, QUOTE(note), IFNULL(tag, 'NULL')) FROM es_rows ORDER BY id"
	if g, w := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); !slices.Equal(g, w) {
		t.Errorf("rows through Strata:\n%s\non one server:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}
