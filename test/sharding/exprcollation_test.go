package sharding

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A merged text value that is an expression compares by the collation
// the shards give it, not by the connection's, which is all a server
// reports for it: MIN(b) of a utf8mb4_bin column is its smallest bytes,
// whatever the client's collation. Where Strata cannot tell the
// collation, a merge that compares the value is refused, naming why.
// Before, MIN, MAX, GROUP BY and ORDER BY of such values merged the
// shards' answers in the connection's collation: silently another row.
func TestMergedExpressionsCompareByTheirCollation(t *testing.T) {
	strataDB(t) // the data and the shards
	ddl := "CREATE TABLE IF NOT EXISTS blog.coll_exprs (id INT PRIMARY KEY, " +
		"b VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, " +
		"g VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci)"
	db, reference := ownModuloTable(t, ddl, "coll_exprs", "b")
	words := []string{"apple", "Apple", "APPLE", "Äpfel", "banana", "Banana", "zebra", "Zebra", "éclair", "eclair", "Éclair", "mango"}
	for i, w := range words {
		// One row per word and shard, so each shard holds every spelling.
		for k := range 4 {
			id := i*4 + k
			if _, err := db.Exec("INSERT INTO coll_exprs (id, b, g) VALUES (?, ?, ?)", id, w, w); err != nil {
				t.Fatalf("insert %q through Strata: %v", w, err)
			}
			if _, err := reference.Exec("INSERT INTO coll_exprs VALUES (?, ?, ?)", id, w, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	sameRows(t, db, reference,
		"SELECT MIN(b), MAX(b) FROM coll_exprs",                                         // MIN of a column: the column's collation
		"SELECT MIN(CONCAT(b, '-')), MAX(UPPER(b)) FROM coll_exprs",                     // functions that keep it
		"SELECT MAX(IF(id > 8, b, NULL)), MIN(COALESCE(b, 'x')) FROM coll_exprs",        // conditions do not give it
		"SELECT MIN(g COLLATE utf8mb4_bin), MAX(g COLLATE utf8mb4_bin) FROM coll_exprs", // an explicit COLLATE
		"SELECT CONCAT(b, '') c FROM coll_exprs GROUP BY c ORDER BY c",
		"SELECT DISTINCT LEFT(b, 3) l FROM coll_exprs ORDER BY l",
		"SELECT CONCAT(g, b) m FROM coll_exprs GROUP BY m ORDER BY m", // of general_ci and _bin: _bin wins
		"SELECT MIN(HEX(b)), MAX(HEX(g)) FROM coll_exprs",             // the connection's, as reported
		"SELECT COUNT(*), MIN(id) FROM coll_exprs GROUP BY g COLLATE utf8mb4_bin ORDER BY MIN(id)",
		// Strata computes these over the merged MIN and MAX: the values
		// keep their collation ('APPLE' = 'apple' is false for b's).
		"SELECT MIN(b) = 'apple', MAX(g) = 'ZEBRA', CONCAT(MIN(b), '') < 'Apple' FROM coll_exprs",
	)

	// CONVERT ... USING: Strata does not follow its result's collation,
	// and b is not in the connection's, so the merge is refused, saying
	// what to do.
	_, err := db.Query("SELECT CONVERT(b USING utf8mb4) c FROM coll_exprs GROUP BY c ORDER BY c")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "COLLATE") {
		t.Errorf("GROUP BY CONVERT(b USING utf8mb4) over shards: %v, want 1235 asking for an explicit COLLATE", err)
	}
	sameRows(t, db, reference, "SELECT CONVERT(b USING utf8mb4) COLLATE utf8mb4_general_ci c FROM coll_exprs GROUP BY c ORDER BY c",
		"SELECT SOUNDEX(b) s, COUNT(*) FROM coll_exprs GROUP BY s ORDER BY s",        // SOUNDEX keeps b's
		"SELECT JSON_UNQUOTE(JSON_QUOTE(g)) j FROM coll_exprs GROUP BY j ORDER BY j", // utf8mb4_bin, always
		"SELECT CAST(b AS CHAR) c, COUNT(*) FROM coll_exprs GROUP BY c ORDER BY c")   // the connection's

	// A schema change through Strata is followed at once: g's merges
	// compare by its new collation in the next statement, not a minute
	// later when Strata reads the collations again anyway.
	alter := "ALTER TABLE coll_exprs MODIFY g VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
	if _, err := db.Exec(alter); err != nil {
		t.Fatal(err)
	}
	if _, err := reference.Exec(alter); err != nil {
		t.Fatal(err)
	}
	sameRows(t, db, reference, "SELECT MIN(g), MAX(g) FROM coll_exprs", "SELECT g FROM coll_exprs GROUP BY g ORDER BY g")
}
