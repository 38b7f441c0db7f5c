package sqlparse

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// A statement that may nest deeper than the parser's bound is read by its
// words, never given to the parser (whose passes recurse once per level:
// deep enough, Go's stack limit stops the whole process); a long but flat
// statement still is, and what the parser reads as a string or comment
// does not count.
func TestNestsTooDeep(t *testing.T) {
	deep := maxNesting + 10
	parens := strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep)
	tests := []struct {
		name string
		mode Mode
		sql  string
		want bool
	}{
		{"short", Mode{}, "SELECT ((1))", false},
		{"nested parentheses", Mode{}, "SELECT " + parens, true},
		{"an operator chain", Mode{}, "SELECT 1" + strings.Repeat("+1", deep/2+1), true},
		{"NOT NOT NOT", Mode{}, "SELECT 1 FROM t WHERE " + strings.Repeat("NOT ", deep) + "0", true},
		{"in an executable comment", Mode{}, "SELECT /*!" + parens + " */", true},
		{"many rows", Mode{}, "INSERT INTO t VALUES " + strings.Repeat("(-1, 'a', NOW()),", deep) + "(2, 'b', NOW())", false},
		{"a long IN list", Mode{}, "SELECT * FROM t WHERE id IN (" + strings.Repeat("-7,", deep) + "8)", false},
		{"many columns", Mode{}, "SELECT " + strings.Repeat("a + 1, ", deep) + "b FROM t", false},
		{"in a string", Mode{}, "SELECT '" + parens + "'", false},
		{"in a comment", Mode{}, "SELECT 1 /* " + parens + " */", false},
		{"in a quoted name", Mode{}, "SELECT 1 AS `" + parens + "`", false},
		{"after a backslash that ends a string", Mode{noBackslash: true}, `SELECT 'a\', ` + parens + `, '\'`, true},
		{"after a backslash that ends a quoted name", Mode{sqlMode: mysql.ModeANSIQuotes}, `SELECT "a\" + ` + parens + ` + "b\"`, true},
	}
	for _, tt := range tests {
		if got := tt.mode.nestsTooDeep(tt.sql); got != tt.want {
			t.Errorf("%s: nestsTooDeep = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Ten million nested parentheses (20 MB, under the largest packet Strata
// takes) stopped Strata with a stack overflow in the parser. Now neither
// the parser nor the reading by words (a token per byte) sees them: the
// facts say TooDeep, for the session to refuse. Each statement of a
// script counts on its own.
func TestTooDeepStatementsAreMarked(t *testing.T) {
	n := 10_000_000
	for _, sql := range []string{
		"SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"SELECT 1" + strings.Repeat("+1", n),
	} {
		facts, _ := Mode{}.ParseKeepingTree(sql)
		if len(facts) != 1 || !facts[0].TooDeep || facts[0].Digest == "" {
			t.Fatalf("%.20s...: facts %+v, want one TooDeep", sql, facts)
		}
	}
	script := strings.Repeat("UPDATE t SET a = a + 1 WHERE id = 5;\n", maxNesting/10)
	facts, _ := Mode{}.ParseOrFallback(script)
	if len(facts) != maxNesting/10 || facts[0].TooDeep || facts[0].Kind != KindUpdate || facts[0].Fallback {
		t.Fatalf("a script of %d statements: %d facts, the first %+v; want each parsed", maxNesting/10, len(facts), facts[0])
	}
}
