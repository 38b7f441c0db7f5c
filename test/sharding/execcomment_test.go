package sharding

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// MariaDB skips a /*! ... */ comment of a MySQL 5.7-and-later version
// (50700 to 99999), runs one of an older version, and runs MariaDB's own
// /*M! ... */ of any version up to its own. Strata reads a statement over
// shards as the servers do: a condition or a row in a skipped comment
// routes nothing and writes nothing. Before, Strata read every such
// comment as code: WHERE id = 5 /*!50700 AND id = 6 */ matched no shard,
// and one shard answered an empty result where one server finds row 5.
func TestExecutableCommentsOverShardsReadAsOneServerReadsThem(t *testing.T) {
	got, want := modTable(t, "xc_rows", "id INT NOT NULL PRIMARY KEY, v VARCHAR(10)")
	for _, c := range []querier{got, want} {
		for _, q := range []string{
			"INSERT INTO xc_rows VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')",
			"INSERT INTO xc_rows VALUES (6, 'f') /*!50700 , (7, 'g') */",
			"INSERT INTO xc_rows VALUES (8, 'h') /*!40101 , (9, 'i') */",
			"UPDATE xc_rows SET v = 'x' WHERE id = 2 /*!80000 OR id = 3 */",
			"DELETE FROM xc_rows WHERE id = 4 /*!99999 OR id = 5 */",
		} {
			if _, err := runQuery(testenv.Ctx(t), c, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	sameRows(t, got, want,
		"SELECT id, v FROM xc_rows ORDER BY id",
		"SELECT id FROM xc_rows WHERE id = 5 /*!50700 AND id = 6 */",
		"SELECT id FROM xc_rows WHERE id = 1 /*!99999 OR id = 8 */ ORDER BY id",
		"SELECT id FROM xc_rows WHERE id = 1 /*!50699 OR id = 8 */ ORDER BY id",
		"SELECT id FROM xc_rows WHERE id = 1 /*M!50700 OR id = 8 */ ORDER BY id",
	)
}
