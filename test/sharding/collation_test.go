package sharding

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// Words that one server groups, de-duplicates and orders by its
// collation's weights — ß = ss and ligatures in UCA, ø apart from o in
// general_ci, combining accents, padding, emoji — spread over four
// shards: Strata's merge of the shards' answers must equal one server's
// answer over all the rows (the same table on main, read directly), for
// a column of each collation Strata holds the server's weights of.
func TestTextMergesByTheServersCollation(t *testing.T) {
	strataDB(t) // the data and the shards
	words := []string{"straße", "STRASSE", "Strasse ", "strasze", "ﬁle", "file", "FILE", "a_b", "aab", "aZb",
		"Ærø", "ÆRO", "ærø", "😀", "😃", "e\u0301", "é", "E", "zoë", "ZOE", "ǆ", "Ǆ", "dž", "_", "-", "9"}
	ddl := "CREATE TABLE IF NOT EXISTS blog.coll_words (id INT PRIMARY KEY, " +
		"u VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, " +
		"g VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, " +
		"u520 VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci)"
	for _, c := range append([]string{"main"}, shardNames...) {
		if _, err := direct[c].Exec(ddl); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { direct[c].Exec("DROP TABLE IF EXISTS blog.coll_words") })
	}
	yaml := strings.Replace(times.strataYAML("127.0.0.1:0", "127.0.0.1:0"), "tables:\n",
		"tables:\n  coll_words: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}\n", 1)
	cfg, err := parseConfig(yaml)
	if err != nil {
		t.Fatal(err)
	}
	s, err := startConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for deadline := time.Now().Add(10 * time.Second); s.Env.Sharding.ColumnCollation("coll_words", "u") != "utf8mb4_unicode_ci"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Strata did not read the collations of coll_words' columns within 10 s")
		}
	}
	db := openStrata(t, s.MySQLAddr())
	for i, w := range words {
		// Each word three times under different ids, so every shard holds
		// some of each group.
		for k := range 3 {
			id := i*3 + k
			q := "INSERT INTO coll_words (id, u, g, u520) VALUES (?, ?, ?, ?)"
			if _, err := db.Exec(q, id, w, w, w); err != nil {
				t.Fatalf("insert %q through Strata: %v", w, err)
			}
			if _, err := direct["main"].Exec("INSERT INTO blog.coll_words VALUES (?, ?, ?, ?)", id, w, w, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	reference := testenv.Open(t, "root@tcp("+clusterAddr["main"]+")/blog")
	for _, col := range []string{"u", "g", "u520"} {
		for _, q := range []struct {
			sql     string
			ordered bool // the rows' order is the answer
		}{
			{"SELECT COUNT(DISTINCT %s) FROM coll_words", true},
			{"SELECT COUNT(*) FROM coll_words GROUP BY %s ORDER BY COUNT(*), MIN(id)", true},
			{"SELECT COUNT(*) FROM (SELECT DISTINCT %s FROM coll_words) d", true},
			{"SELECT id FROM coll_words ORDER BY %s, id", true},
			{"SELECT id FROM coll_words ORDER BY %s DESC, id LIMIT 10", true},
			{"SELECT MIN(id), MAX(id) FROM coll_words WHERE %s = 'STRASSE'", true},
		} {
			query := fmt.Sprintf(q.sql, col)
			got := testenv.Strings(t, db, query)
			want := testenv.Strings(t, reference, query)
			if !q.ordered {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s\nthrough Strata: %v\none server:     %v", query, got, want)
			}
		}
	}
}
