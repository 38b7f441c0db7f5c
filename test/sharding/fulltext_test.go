package sharding

import (
	"fmt"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// MATCH ... AGAINST over a sharded table: whether a row matches does not
// depend on the other rows, so a filter answers as one server; but the
// relevance weighs each word by how rare it is among the rows of the
// server, and each shard holds part of them, so a statement over several
// shards that reads the relevance (selects it, sorts by it, or lets a
// natural-language WHERE sort by it), or searches WITH QUERY EXPANSION,
// is refused (1235), naming why. Before, it answered other rows than one
// server, in another order, with other scores.
func TestFullTextSearchOverShards(t *testing.T) {
	got, want := modTable(t, "ft_rows", "id INT NOT NULL PRIMARY KEY, body TEXT NULL, FULLTEXT KEY ft_body (body)")
	var rows []string
	for i, w := range []string{"apple banana", "banana cherry", "apple apple apple", "cherry date", "apple date",
		"banana", "zebra apple", "date date cherry", "egg", "apple banana cherry"} {
		rows = append(rows, fmt.Sprintf("(%d, '%s')", i+1, w))
	}
	for _, c := range []querier{got, want} {
		if _, err := runQuery(testenv.Ctx(t), c, "INSERT INTO ft_rows (id, body) VALUES "+strings.Join(rows, ", ")); err != nil {
			t.Fatal(err)
		}
	}
	sameRows(t, got, want,
		"SELECT id FROM ft_rows WHERE MATCH(body) AGAINST('apple') ORDER BY id",
		"SELECT id FROM ft_rows WHERE MATCH(body) AGAINST('+apple -banana' IN BOOLEAN MODE) ORDER BY id",
		"SELECT id FROM ft_rows WHERE MATCH(body) AGAINST('cherry' IN BOOLEAN MODE) ORDER BY id DESC LIMIT 2",
		"SELECT COUNT(*) FROM ft_rows WHERE MATCH(body) AGAINST('apple' IN NATURAL LANGUAGE MODE)",
	)
	for _, q := range []string{
		"SELECT id, MATCH(body) AGAINST('apple') s FROM ft_rows ORDER BY s DESC, id LIMIT 4",
		"SELECT id FROM ft_rows ORDER BY MATCH(body) AGAINST('cherry date') DESC LIMIT 3",
		"SELECT id FROM ft_rows WHERE MATCH(body) AGAINST('apple') LIMIT 3",
		"SELECT id FROM ft_rows WHERE MATCH(body) AGAINST('apple' WITH QUERY EXPANSION) ORDER BY id",
		"SELECT id FROM (SELECT id, MATCH(body) AGAINST('apple') s FROM ft_rows) r WHERE s > 0.1",
	} {
		_, err := runQuery(testenv.Ctx(t), got, q)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "MATCH ... AGAINST") {
			t.Errorf("%s over four shards: %v, want error 1235 naming MATCH ... AGAINST", q, err)
		}
	}
	// On one shard the relevance is that shard's: answered.
	if res, err := runQuery(testenv.Ctx(t), got, "SELECT id, MATCH(body) AGAINST('apple') FROM ft_rows WHERE id = 3"); err != nil || len(res.rows) != 1 {
		t.Errorf("relevance on one shard: %v, %v", res, err)
	}
}
