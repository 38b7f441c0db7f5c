package sharding

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// CREATE [TEMPORARY] TABLE t AS SELECT ... over a sharded table (a
// report's table of totals) creates t on the default cluster with the
// columns one server gives it — their types, NOT NULL and all, from a
// shard that runs the SELECT with LIMIT 0 — and the rows the SELECT
// returns over every shard, as one server would. Before, it was refused
// (1235), asking for a CREATE TABLE and an INSERT ... SELECT.
func TestCreateTableSelectOverShards(t *testing.T) {
	got, want := modTable(t, "cts_rows", "id INT NOT NULL PRIMARY KEY, g INT NULL, n INT NULL, s VARCHAR(20) NULL")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "INSERT INTO cts_rows (id, g, n, s) VALUES (1, 1, 10, 'a'), (2, 1, 20, 'b'), (3, 2, 30, 'c'), (4, 2, NULL, NULL), (5, 3, 50, 'e'), (6, 3, 60, 'f'), (7, 1, 70, 'g'), (8, 2, 80, 'h')")
	}
	sameOutcomes(t, got, want,
		"CREATE TEMPORARY TABLE cts_totals AS SELECT g, SUM(n) total, MAX(s) ms, COUNT(*) c FROM cts_rows GROUP BY g",
		"SELECT * FROM cts_totals ORDER BY g",
		"SHOW CREATE TABLE cts_totals",
		// The temporary table lives on the session's connection: joined
		// with the sharded table, written to.
		"SELECT z.id, t.total FROM cts_rows z JOIN cts_totals t ON t.g = z.g WHERE z.id < 5 ORDER BY z.id",
		"INSERT INTO cts_totals (g, total, ms, c) VALUES (9, 1, 'a longer text than any before', 1)",
		"SELECT ms FROM cts_totals WHERE g = 9",
		"CREATE TEMPORARY TABLE IF NOT EXISTS cts_totals SELECT id FROM cts_rows",
		"SHOW WARNINGS",
		"CREATE TEMPORARY TABLE cts_top SELECT g, COUNT(*) c FROM cts_rows GROUP BY g ORDER BY c DESC, g LIMIT 2",
		"SHOW CREATE TABLE cts_top",
		"SELECT * FROM cts_top",
		"CREATE TEMPORARY TABLE cts_none SELECT id, s FROM cts_rows WHERE id > 100",
		"SHOW CREATE TABLE cts_none",
		"CREATE TABLE cts_kept AS SELECT DISTINCT s FROM cts_rows WHERE s IS NOT NULL",
		"SELECT * FROM cts_kept ORDER BY s",
		"DROP TABLE cts_kept",
		// The server's own errors, from the shard that typed the columns.
		"CREATE TEMPORARY TABLE cts_bad SELECT nosuch FROM cts_rows",
		"CREATE TEMPORARY TABLE cts_dup SELECT id, id FROM cts_rows",
	)
	// Prepared, with a bound value (PDO's native prepares).
	for _, c := range []querier{got, want} {
		if _, err := runQueryArgs(testenv.Ctx(t), c, "CREATE TEMPORARY TABLE cts_bound AS SELECT g, SUM(n) s FROM cts_rows WHERE n > ? GROUP BY g", 15); err != nil {
			t.Fatalf("a prepared CREATE TABLE ... SELECT: %v", err)
		}
	}
	sameOutcomes(t, got, want, "SELECT * FROM cts_bound ORDER BY g", "SHOW CREATE TABLE cts_bound")
	// A SELECT no shard can run alone (a table of the default cluster)
	// is still refused, saying what to do.
	_, err := got.ExecContext(testenv.Ctx(t), "CREATE TEMPORARY TABLE cts_apart SELECT z.id FROM cts_rows z JOIN order_customer o ON o.customer_id = z.id")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "INSERT INTO") {
		t.Errorf("CREATE TABLE ... SELECT of tables apart: %v, want 1235 naming CREATE TABLE and INSERT ... SELECT", err)
	}
}
