package sharding

import (
	"database/sql"
	"fmt"
	"slices"
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

// An UPDATE or DELETE with ORDER BY an expression and LIMIT over shards
// (a batch job that purges the rows furthest from a target, or renames
// the first names in byte order) writes the very rows one server writes:
// each shard's first rows by the expressions are merged as the server
// compares them, text by the collation MariaDB derives for it, read in
// UTF-8 whatever the client's character set. Before, such writes were
// refused with 1235 unless the shard key was given.
func TestWritesOrderedByAnExpressionTakeOneServersRows(t *testing.T) {
	strataDB(t)
	const table = "coll_writes"
	ddl := "CREATE TABLE IF NOT EXISTS blog." + table + " (id INT PRIMARY KEY, n INT, " +
		"b VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, " +
		"g VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, " +
		"l VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_bin)"
	createOn(t, ddl, "blog."+table, append([]string{"main"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, table+": {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	testenv.Eventually(t, "Strata reads the table's collations", func() bool { return s.Env.Sharding.ColumnCollation(table, "l") != "" })
	utf8Strata := openStrata(t, s.MySQLAddr())
	reference := testenv.Open(t, "root@tcp("+clusterAddr["main"]+")/blog")
	words := []string{"apple", "Apple", "APPLE", "Äpfel", "banana", "Banana", "zebra", "Zebra", "éclair", "Éclair", "Ωmega", "Жанна", "中文", "mango"}
	fill := func(t *testing.T) {
		t.Helper()
		for _, target := range []*sql.DB{utf8Strata, reference} {
			if _, err := target.Exec("DELETE FROM blog." + table); err != nil {
				t.Fatal(err)
			}
		}
		for i, w := range words {
			latin := w
			if strings.ContainsAny(w, "ΩЖ中") {
				latin = fmt.Sprintf("x%d", i)
			}
			for k := range 3 {
				id, n := i*3+k, (i*7+k*5)%23
				for _, target := range []*sql.DB{utf8Strata, reference} {
					if _, err := target.Exec("INSERT INTO blog."+table+" (id, n, b, g, l) VALUES (?, ?, ?, ?, ?)", id, n, w, w, latin); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	writes := []struct {
		query string
		args  []any
	}{
		// _bin text: 'Zebra' < 'apple' in bytes, the other way round in
		// the connection's collation.
		{"UPDATE coll_writes SET n = n + 100 ORDER BY CONCAT(b, '') DESC, id LIMIT 5", nil},
		{"UPDATE coll_writes SET n = n + 1 ORDER BY CONCAT(l, '-') DESC, id LIMIT 4", nil}, // latin1_bin, reported as the connection's
		{"UPDATE coll_writes SET n = n * 3 ORDER BY LOWER(g) DESC, id LIMIT 7", nil},       // Ωmega > Жанна > 中文 > zebra: '?' to a latin1 client
		{"UPDATE coll_writes SET g = CONCAT(g, '!') ORDER BY UPPER(b), id DESC LIMIT 4", nil},
		{"DELETE FROM coll_writes ORDER BY ABS(n - 20), id LIMIT 4", nil},
		{"DELETE FROM coll_writes ORDER BY g DESC, id LIMIT 2", nil},
		// prepared: placeholders inside the ORDER BY and the LIMIT
		{"UPDATE coll_writes SET n = -n ORDER BY LEFT(g, ?) DESC, n % ?, id LIMIT ?", []any{2, 4, 6}},
		{"DELETE FROM coll_writes WHERE n > ? ORDER BY IF(n > 50, n, -n), id LIMIT ?", []any{3, 5}},
	}
	const contents = "SELECT id, n, b, g, l FROM coll_writes ORDER BY id"
	for _, params := range []string{"charset=utf8mb4", "charset=latin1"} {
		t.Run(params, func(t *testing.T) {
			fill(t)
			db := testenv.Open(t, "app:app@tcp("+s.MySQLAddr()+")/blog?"+params)
			ref := testenv.Open(t, "root@tcp("+clusterAddr["main"]+")/blog?"+params)
			for _, w := range writes {
				var counts [2]int64
				for i, target := range []*sql.DB{db, ref} {
					res, err := target.Exec(w.query, w.args...)
					if err != nil {
						t.Fatalf("%s: %v", w.query, err)
					}
					counts[i], _ = res.RowsAffected()
				}
				if counts[0] != counts[1] {
					t.Errorf("%s: %d rows affected through Strata, %d on one server", w.query, counts[0], counts[1])
				}
				if got, want := testenv.Strings(t, utf8Strata, contents), testenv.Strings(t, reference, contents); !slices.Equal(got, want) {
					t.Fatalf("after %s\nthrough Strata: %v\none server:     %v", w.query, got, want)
				}
			}
		})
	}

	// Where Strata cannot tell the expression's collation, the write is
	// refused, naming why, and changes nothing.
	fill(t)
	_, err := utf8Strata.Exec("UPDATE coll_writes SET n = 0 ORDER BY CONVERT(b USING utf8mb4) LIMIT 2")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "COLLATE") {
		t.Errorf("ORDER BY CONVERT(b USING utf8mb4) LIMIT 2 over shards: %v, want 1235 asking for an explicit COLLATE", err)
	}
	sameRows(t, utf8Strata, reference, contents)
}
