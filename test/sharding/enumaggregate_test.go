package sharding

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// MIN and MAX of an ENUM or SET column compare its values as text (by the
// column's collation), yet the column they give keeps the ENUM or SET
// type, and a server sorts it by member number: ENUM('y','x','a') has
// MAX 'y' of 'y' and 'x', and ORDER BY that MAX puts 'y' before 'x'.
// Over shards Strata merges the partial MIN and MAX as text and sorts the
// merged column by the members of the column it is made of. Before, a
// grouped MIN or MAX of an ENUM was refused with 1235 (Strata did not
// know the members of the expression's column, and would have merged
// them by member number).
func TestMinMaxOfEnumAndSetMergeAsOneServer(t *testing.T) {
	got, want := learnedModTable(t, "enum_minmax", "id INT NOT NULL PRIMARY KEY, g INT NULL, e ENUM('y','x','a') NULL, st SET('q','p') NULL")
	for _, c := range []querier{got, want} {
		if _, err := runQuery(testenv.Ctx(t), c, `INSERT INTO enum_minmax VALUES
			(1, 1, 'y', 'q'), (2, 1, 'x', 'p'), (3, 2, 'a', 'q,p'), (4, 2, 'x', 'p'),
			(5, 3, 'y', 'q'), (6, 2, 'x', ''), (7, 4, 'x', 'p'), (8, 4, 'a', 'p')`); err != nil {
			t.Fatal(err)
		}
	}
	sameOutcomes(t, got, want,
		"SELECT MAX(e), MIN(e), MAX(st), MIN(st) FROM enum_minmax",
		"SELECT g, MAX(e), MIN(e), MAX(st), MIN(st) FROM enum_minmax GROUP BY g",
		"SELECT g, MAX(e) m FROM enum_minmax GROUP BY g ORDER BY m, g",
		"SELECT g, MIN(e) m FROM enum_minmax GROUP BY g ORDER BY m DESC, g",
		"SELECT g, MAX(e) FROM enum_minmax GROUP BY g ORDER BY MAX(e), g",
		"SELECT g, MAX(st) m FROM enum_minmax GROUP BY g ORDER BY m, g",
		"SELECT g, MIN(e) m FROM enum_minmax GROUP BY g HAVING m > 'b' ORDER BY g",
		"SELECT e, COUNT(*), MAX(st) FROM enum_minmax GROUP BY e",
	)
}
