package sharding

import (
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// A statement whose tables Strata reads first (a join with a table of
// another cluster, WITH ROLLUP, a window over several shards) reads the
// columns it names only. Before, it read every column, so a BIT column
// the statement never named (a flag column, common in older schemas) got
// it refused with 1235: Strata cannot write a BIT as a literal. A column
// the statement names that was added on the servers since Strata last
// read the table's columns has them read again first (at most once a
// second), so the read never lacks it.
func TestTablesReadFirstReadTheColumnsTheStatementNames(t *testing.T) {
	shardedData(t)
	got, want := learnedModTable(t, "read_cols", "id INT NOT NULL PRIMARY KEY, g INT NULL, d DECIMAL(10,2) NULL, body TEXT NULL, active BIT(1) NOT NULL DEFAULT b'1'")
	ctx := testenv.Ctx(t)
	for _, c := range []querier{got, want} {
		if _, err := runQuery(ctx, c, `INSERT INTO read_cols (id, g, d, body, active) VALUES
			(1, 1, 1.50, 'one', b'1'), (2, 1, 2.25, 'two', b'0'), (3, 2, NULL, 'three', b'1'),
			(4, 2, 4.00, NULL, b'1'), (5, 3, 0.75, 'five', b'0'), (6, 1, 6.00, 'six', b'1')`); err != nil {
			t.Fatal(err)
		}
	}
	sameOutcomes(t, got, want,
		"SELECT g, SUM(d) s, COUNT(*) FROM read_cols GROUP BY g WITH ROLLUP",
		"SELECT z.id, z.body, u.name FROM read_cols z JOIN users u ON u.id = z.g ORDER BY z.id",
		"SELECT u.name, COUNT(*), SUM(z.d) FROM read_cols z LEFT JOIN users u ON u.id = z.g GROUP BY u.name ORDER BY u.name",
		"SELECT COUNT(*) FROM read_cols z JOIN users u ON u.id = z.g",
		"SELECT id, g, SUM(d) OVER (ORDER BY id) running FROM read_cols ORDER BY id",
		"SELECT z.id, z.d * 2 AS twice FROM read_cols z JOIN users u ON u.id = z.g WHERE z.d > 1 ORDER BY twice",
	)
	// A column added on the servers directly, not yet read by Strata.
	createOn(t, "ALTER TABLE blog.read_cols ADD COLUMN added INT NULL DEFAULT 7", "blog.read_cols_added", append([]string{"single"}, shardNames...)...)
	sameOutcomes(t, got, want, "SELECT g, SUM(added) FROM read_cols GROUP BY g WITH ROLLUP")
	time.Sleep(1100 * time.Millisecond) // Strata reads the columns at most once a second on demand
	createOn(t, "ALTER TABLE blog.read_cols ADD COLUMN later INT NULL DEFAULT 8", "blog.read_cols_later", append([]string{"single"}, shardNames...)...)
	sameOutcomes(t, got, want, "SELECT z.id, z.later, u.name FROM read_cols z JOIN users u ON u.id = z.g ORDER BY z.id")
}
