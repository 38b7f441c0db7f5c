package sqlparse

import (
	"reflect"
	"testing"
)

// A merged column that is an expression says what its collation comes
// from: an explicit COLLATE, the columns a collation-keeping function
// passes on, or columns behind functions Strata does not follow.
func TestTextSources(t *testing.T) {
	posts := func(cols ...string) []ColumnRef {
		var out []ColumnRef
		for _, c := range cols {
			out = append(out, ColumnRef{Tables: []string{"posts"}, Column: c})
		}
		return out
	}
	for _, tc := range []struct {
		sql  string
		want []*TextSource // by shard query column
	}{
		{"SELECT title, id FROM posts ORDER BY title", nil}, // plain columns: their definitions name them
		{"SELECT MIN(title), MAX(p.title) FROM posts p", []*TextSource{{Columns: posts("title")}, {Columns: posts("title")}}},
		{"SELECT MIN(title COLLATE utf8mb4_bin) FROM posts", []*TextSource{{Collate: "utf8mb4_bin"}}},
		{"SELECT title COLLATE utf8mb4_bin AS t FROM posts GROUP BY t", []*TextSource{{Collate: "utf8mb4_bin"}}},
		{"SELECT UPPER(CONCAT(title, '-', 'x')) u FROM posts ORDER BY u", []*TextSource{{Columns: posts("title")}}},
		{"SELECT MAX(IFNULL(title, body)) FROM posts", []*TextSource{{Columns: posts("title", "body")}}},
		{"SELECT CONVERT(title USING utf8mb4) h FROM posts ORDER BY h", []*TextSource{{Columns: posts("title"), Opaque: true}}},
		{"SELECT CASE WHEN body > '' THEN title ELSE 'none' END c FROM posts ORDER BY c", []*TextSource{{Columns: posts("title")}}},
		{"SELECT MAX(IF(body = 'x', title, NULL)) FROM posts", []*TextSource{{Columns: posts("title")}}},
		{"SELECT MIN(CONCAT(HEX(body), title)) FROM posts", []*TextSource{{Columns: posts("title")}}},
		{"SELECT MIN(HEX(title)) FROM posts", nil}, // the connection's collation
		{"SELECT CAST(title AS CHAR) c FROM posts ORDER BY c", nil},
		{"SELECT CAST(title AS CHAR CHARACTER SET latin1) c FROM posts ORDER BY c", []*TextSource{{Columns: posts("title"), Opaque: true}}},
		{"SELECT JSON_UNQUOTE(body) j FROM posts ORDER BY j", []*TextSource{{Collate: "utf8mb4_bin"}}},
		// A JSON function's result compares as its document, whatever
		// its path and values; JSON_ARRAY and JSON_OBJECT as all their
		// arguments, as CONCAT does.
		{"SELECT JSON_EXTRACT(body, title) j FROM posts ORDER BY j", []*TextSource{{Columns: posts("body")}}},
		{"SELECT JSON_SET(body, '$.a', title) j, JSON_VALUE(title, '$.a') v FROM posts ORDER BY j, v", []*TextSource{{Columns: posts("body")}, {Columns: posts("title")}}},
		{"SELECT JSON_OBJECT('k', title, 'b', body) j FROM posts ORDER BY j", []*TextSource{{Columns: posts("title", "body")}}},
		{"SELECT JSON_TYPE(body) j, JSON_NORMALIZE(title) n FROM posts ORDER BY j, n", []*TextSource{{Collate: "utf8mb3_general_ci"}, {Collate: "utf8mb4_bin"}}},
		{"SELECT SOUNDEX(title) s FROM posts GROUP BY s", []*TextSource{{Columns: posts("title")}}},
		{"SELECT LEFT(title, 3) = body AS same FROM posts ORDER BY same", []*TextSource{{Columns: posts("title", "body"), Opaque: true}}},
		{"SELECT id + 1 AS n FROM posts ORDER BY n", []*TextSource{{Columns: posts("id"), Opaque: true}}},
		{"SELECT COUNT(*), 'x' FROM posts", nil},
		// A hidden column: GROUP_CONCAT's MIN(x), which says how x compares.
		{"SELECT GROUP_CONCAT(title ORDER BY title) FROM posts", nil},
	} {
		s := mustAnalyze(t, tc.sql)
		if s.Unsupported != "" || s.Select == nil {
			t.Errorf("%s: unsupported %q", tc.sql, s.Unsupported)
			continue
		}
		got := s.Select.Sources
		if tc.sql == "SELECT GROUP_CONCAT(title ORDER BY title) FROM posts" {
			key := s.Select.Aggs[0].GroupConcat.KeyCol
			if key >= len(got) || got[key] == nil || !reflect.DeepEqual(got[key].Columns, posts("title")) {
				t.Errorf("%s: sources %+v, want title's at the key column %d", tc.sql, got, key)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: sources", tc.sql)
			for i, g := range got {
				t.Logf("  column %d: %+v", i, g)
			}
		}
	}
}
