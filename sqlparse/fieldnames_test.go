package sqlparse

import "testing"

// Each select-list field a replacement changes keeps its column's name,
// its text as written, as alias; fields with an alias, clauses other
// than the select list and statements without one stay as they are.
func TestReplaceKeepsFieldNames(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"SELECT @v + n FROM t", "SELECT 7 + n AS `@v + n` FROM t"},
		{"SELECT id, @v FROM t WHERE n = @v ORDER BY @v", "SELECT id, 7 AS `@v` FROM t WHERE n = 7 ORDER BY 7"},
		{"SELECT DISTINCT @v, n FROM t", "SELECT DISTINCT 7 AS `@v`, n FROM t"},
		{"SELECT SQL_NO_CACHE @v FROM t", "SELECT SQL_NO_CACHE 7 AS `@v` FROM t"},
		{"SELECT @v total, @v AS t2, @v 'lit', CONCAT(@v, 'x') c FROM t", "SELECT 7 total, 7 AS t2, 7 'lit', CONCAT(7, 'x') c FROM t"},
		{"SELECT n IS NULL OR @v, n COLLATE utf8mb4_bin = @v FROM t", "SELECT n IS NULL OR 7 AS `n IS NULL OR @v`, n COLLATE utf8mb4_bin = 7 AS `n COLLATE utf8mb4_bin = @v` FROM t"},
		{"SELECT (SELECT @v), x FROM (SELECT @v AS x) d", "SELECT (SELECT 7 AS `@v`) AS `(SELECT @v)`, x FROM (SELECT 7 AS x) d"},
		{"SELECT CASE WHEN @v THEN 1 END FROM t", "SELECT CASE WHEN 7 THEN 1 END FROM t"}, // END after an operand reads as an alias: left alone
		{"SELECT @v UNION SELECT @v + 1", "SELECT 7 AS `@v` UNION SELECT 7 + 1 AS `@v + 1`"},
		{"UPDATE t SET n = @v WHERE id = @v", "UPDATE t SET n = 7 WHERE id = 7"},
		{"INSERT INTO t (a) SELECT @v FROM u", "INSERT INTO t (a) SELECT 7 AS `@v` FROM u"},
		{"SELECT `@v`, '@v', @v FROM t", "SELECT `@v`, '@v', 7 AS `@v` FROM t"},
		{"SELECT @v;", "SELECT 7 AS `@v`;"},
		{"INSERT INTO t (a) SELECT @v ON DUPLICATE KEY UPDATE a = @v", "INSERT INTO t (a) SELECT 7 AS `@v` ON DUPLICATE KEY UPDATE a = 7"},
		{"INSERT INTO t (a) SELECT @v RETURNING a, @v", "INSERT INTO t (a) SELECT 7 AS `@v` RETURNING a, 7"},
		{"SELECT @v OFFSET 0 ROWS", "SELECT 7 AS `@v` OFFSET 0 ROWS"},
	} {
		var rs []Replacement
		for _, sp := range (Mode{}).UserVars(tc.sql) {
			rs = append(rs, Replacement{Start: sp.Start, End: sp.End, Text: "7"})
		}
		if got := (Mode{}).Replace(tc.sql, tc.sql, rs); got != tc.want {
			t.Errorf("Replace(%q)\n got %q\nwant %q", tc.sql, got, tc.want)
		}
	}
}
