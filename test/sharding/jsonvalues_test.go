package sharding

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// Values taken out of a JSON column — JSON_EXTRACT, JSON_VALUE,
// JSON_KEYS — compare as the document does (a JSON column's
// utf8mb4_bin), whatever their path: Strata merges groups, orders and
// MIN/MAX of them from several shards as one server does: JSON_VALUE(c,
// p) as c, not p. Before, it refused JSON_EXTRACT's and JSON_KEYS' (1235,
// "cannot tell which collation"). MIN(JSON_VALUE(c, p)) is 'a' as c
// compares (utf8mb4_bin, p's, would give 'B'), and no other row of c
// ties with it: of two equal spellings, which one MIN shows is the first
// the server reads, one server's scan order that Strata cannot know.
func TestJSONValuesMergeAsOneServer(t *testing.T) {
	got, want := modTable(t, "json_rows", "id INT NOT NULL PRIMARY KEY, j JSON NULL, c VARCHAR(60) COLLATE utf8mb4_general_ci NULL, p VARCHAR(10) COLLATE utf8mb4_bin NULL")
	for _, c := range []querier{got, want} {
		if _, err := runQuery(testenv.Ctx(t), c, `INSERT INTO json_rows (id, j, c, p) VALUES
			(1, '{"a": "b", "n": 1}', '{"a": "B"}', '$.a'),
			(2, '{"a": "B", "n": 2}', '{"a": "a"}', '$.a'),
			(3, '{"a": "a", "n": 10}', '{"a": "b"}', '$.a'),
			(4, '{"b": 1}', NULL, '$.b'),
			(5, '{"a": "A", "n": 2}', '{"a": "C"}', '$.a'),
			(6, NULL, '{"a": "c"}', NULL),
			(7, '{"a": "b", "z": 3}', '{"a": "D"}', '$.a'),
			(8, '[1, 2]', '{"b": 2}', '$[0]')`); err != nil {
			t.Fatal(err)
		}
	}
	sameRows(t, got, want,
		"SELECT JSON_EXTRACT(j, '$.a') x, COUNT(*) FROM json_rows GROUP BY x ORDER BY x",
		"SELECT id FROM json_rows ORDER BY JSON_EXTRACT(j, '$.a'), id",
		"SELECT JSON_VALUE(j, '$.a') v, COUNT(*) FROM json_rows GROUP BY v ORDER BY v",
		"SELECT DISTINCT JSON_VALUE(c, '$.a') v FROM json_rows ORDER BY v",
		"SELECT MIN(JSON_VALUE(c, p)), MAX(JSON_VALUE(c, p)), MAX(JSON_EXTRACT(j, '$.a')) FROM json_rows",
		"SELECT JSON_KEYS(j) k, COUNT(*) FROM json_rows GROUP BY k ORDER BY k",
		"SELECT JSON_TYPE(j) t, COUNT(*) FROM json_rows GROUP BY t ORDER BY t",
		"SELECT JSON_SET(j, '$.n', 0) s FROM json_rows ORDER BY s LIMIT 3",
	)
}
