package sharding

import (
	"slices"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A CTE whose rows are in its text — a list of ids, a calendar made by a
// recursive CTE — outer-joined with a sharded table on another column
// than its shard key: every shard would answer the CTE's rows that find
// no match on it, so Strata reads the CTE first, then the sharded rows
// its keys match, and runs the join on one server, as it does for a
// derived table. Before, refused with 1235 ("the inner side of an outer
// join"), while the same rows as a derived table were answered; a CTE
// that read an earlier one was run alone and failed with 1146.
func TestCTEsOfRowsJoinShardedTablesAsOneServer(t *testing.T) {
	shardedData(t)
	got, want := modTable(t, "cte_rows", "id INT NOT NULL PRIMARY KEY, g INT NULL, n INT NULL, t DATETIME NULL")
	for _, c := range []querier{got, want} {
		if _, err := runQuery(testenv.Ctx(t), c, `INSERT INTO cte_rows (id, g, n, t) VALUES
			(1, 1, 10, '2024-01-01 10:00:00'), (2, 1, 20, '2024-01-02 11:00:00'), (3, 2, 30, '2024-02-01 00:00:00'),
			(4, 2, NULL, NULL), (5, 3, 50, '2023-12-31 23:59:59'), (6, 3, 60, '2024-01-03 12:00:00'),
			(7, 1, 70, '2024-01-01 18:00:00'), (8, 2, 80, '2024-01-03 08:30:00')`); err != nil {
			t.Fatal(err)
		}
	}
	sameRows(t, got, want,
		"WITH d AS (SELECT 1 x UNION SELECT 5) SELECT d.x, COUNT(z.id) FROM d LEFT JOIN cte_rows z ON z.g = d.x GROUP BY d.x ORDER BY d.x",
		"WITH d AS (SELECT 1 x UNION SELECT 2) SELECT d.x, COUNT(z.id) FROM d LEFT JOIN cte_rows z ON z.g = d.x AND z.n > 15 GROUP BY d.x ORDER BY d.x",
		"WITH d AS (SELECT 1 x UNION SELECT 2) SELECT d.x, SUM(z.n) FROM d LEFT JOIN cte_rows z ON z.g = d.x WHERE z.n > 15 OR z.n IS NULL GROUP BY d.x ORDER BY d.x",
		// A calendar: the days with no row are counted 0.
		"WITH RECURSIVE days AS (SELECT DATE('2024-01-01') d UNION ALL SELECT d + INTERVAL 1 DAY FROM days WHERE d < '2024-01-05') SELECT days.d, COUNT(z.id) FROM days LEFT JOIN cte_rows z ON DATE(z.t) = days.d GROUP BY days.d ORDER BY days.d",
		"WITH RECURSIVE r (x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 5) SELECT r.x, COUNT(z.id), SUM(z.n) FROM r LEFT JOIN cte_rows z ON z.g = r.x GROUP BY r.x ORDER BY r.x",
		"WITH d (x, y) AS (SELECT 1, 'a' UNION ALL SELECT 9, 'b') SELECT d.y, z.id FROM d LEFT JOIN cte_rows z ON z.g = d.x ORDER BY d.y, z.id",
		"WITH a AS (SELECT 1 k), b AS (SELECT k + 1 k FROM a UNION ALL SELECT k FROM a) SELECT b.k, z.id FROM b LEFT JOIN cte_rows z ON z.g = b.k ORDER BY b.k, z.id",
		"WITH d AS (SELECT 1 x UNION SELECT 2) SELECT a.x, b.x, COUNT(z.id) FROM d a JOIN d b ON b.x = a.x + 1 LEFT JOIN cte_rows z ON z.g = b.x GROUP BY a.x, b.x",
		"WITH d AS (SELECT 2 x) SELECT z.id FROM cte_rows z RIGHT JOIN d ON d.x = z.g ORDER BY z.id",
		// A CTE over a table of another cluster: its rows are read
		// first, then the sharded table's that its ids match.
		"WITH u AS (SELECT id FROM users WHERE id <= 3) SELECT u.id, COUNT(e.id) FROM u LEFT JOIN entries e ON e.user_id = u.id GROUP BY u.id ORDER BY u.id",
	)
	const bound = "WITH d AS (SELECT ? x UNION SELECT ?) SELECT d.x, COUNT(z.id) FROM d LEFT JOIN cte_rows z ON z.g = d.x AND z.n > ? GROUP BY d.x ORDER BY d.x"
	ctx := testenv.Ctx(t)
	g, gErr := runQueryArgs(ctx, got, bound, 1, 5, 15)
	w, wErr := runQueryArgs(ctx, want, bound, 1, 5, 15)
	if gErr != nil || wErr != nil || !slices.EqualFunc(g.rows, w.rows, slices.Equal) {
		t.Errorf("prepared %s\nthrough Strata: %v %v\none server:     %v %v", bound, g, gErr, w, wErr)
	}
}
