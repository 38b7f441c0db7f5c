package sqlparse

import "testing"

// A statement depends on what a full-text index knows of the other rows
// when it reads MATCH's relevance, lets a natural-language WHERE order its
// rows, or expands the query; a MATCH that only filters does not.
func TestFullTextUse(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		uses bool
	}{
		{"SELECT id FROM t WHERE MATCH(b) AGAINST('x') ORDER BY id", false},
		{"SELECT COUNT(*) FROM t WHERE MATCH(b) AGAINST('x')", false},
		{"SELECT DISTINCT k FROM t WHERE MATCH(b) AGAINST('x')", false},
		{"SELECT id FROM t WHERE MATCH(b) AGAINST('+x' IN BOOLEAN MODE)", false},
		{"UPDATE t SET n = 1 WHERE MATCH(b) AGAINST('x')", false},
		{"SELECT id FROM t", false},
		{"SELECT id FROM t WHERE MATCH(b) AGAINST('x')", true},
		{"SELECT id FROM t WHERE MATCH(b) AGAINST('x') LIMIT 3", true},
		{"SELECT id, MATCH(b) AGAINST('x' IN BOOLEAN MODE) FROM t ORDER BY id", true},
		{"SELECT id FROM t WHERE k = 1 ORDER BY MATCH(b) AGAINST('x') DESC", true},
		{"SELECT id FROM t WHERE MATCH(b) AGAINST('x' WITH QUERY EXPANSION) ORDER BY id", true},
		{"SELECT id FROM u WHERE id IN (SELECT id FROM t WHERE MATCH(b) AGAINST('x') LIMIT 5)", true},
		{"DELETE FROM t WHERE MATCH(b) AGAINST('x' WITH QUERY EXPANSION)", true},
	} {
		stmts, err := (Mode{}).parseAST(tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if got := fullTextUse(stmts[0]); (got != "") != tc.uses {
			t.Errorf("%s: %q, want uses %v", tc.sql, got, tc.uses)
		}
	}
}
