package sqlparse

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// A statement that may nest deeper than the parser's bound, or whose
// side-by-side string literals the parser would take hours to join, is
// never given to the parser (whose passes recurse once per level: deep
// enough, Go's stack limit stops the whole process); a long but flat
// statement still is, and what the parser reads as a string or comment
// does not nest.
func TestUnread(t *testing.T) {
	deep := maxNesting + 10
	parens := strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep)
	tests := []struct {
		name string
		mode Mode
		sql  string
		want Unread
	}{
		{"short", Mode{}, "SELECT ((1))", ReadFully},
		{"nested parentheses", Mode{}, "SELECT " + parens, UnreadTooDeep},
		{"an operator chain", Mode{}, "SELECT 1" + strings.Repeat("+1", deep), UnreadTooDeep},
		{"NOT NOT NOT", Mode{}, "SELECT 1 FROM t WHERE " + strings.Repeat("NOT ", deep) + "0", UnreadTooDeep},
		{"in an executable comment", Mode{}, "SELECT /*!" + parens + " */", UnreadTooDeep},
		{"many rows", Mode{}, "INSERT INTO t VALUES " + strings.Repeat("(-1, 'a', NOW()),", deep) + "(2, 'b', NOW())", ReadFully},
		{"a long IN list", Mode{}, "SELECT * FROM t WHERE id IN (" + strings.Repeat("-7,", deep) + "8)", ReadFully},
		{"many columns", Mode{}, "SELECT " + strings.Repeat("a + 1, ", deep) + "b FROM t", ReadFully},
		{"in a string", Mode{}, "SELECT '" + parens + "'", ReadFully},
		{"in a comment", Mode{}, "SELECT 1 /* " + parens + " */", ReadFully},
		{"in a quoted name", Mode{}, "SELECT 1 AS `" + parens + "`", ReadFully},
		{"after a backslash that ends a string", Mode{noBackslash: true}, `SELECT 'a\', ` + parens + `, '\'`, UnreadTooDeep},
		{"after a backslash that ends a quoted name", Mode{sqlMode: mysql.ModeANSIQuotes}, `SELECT "a\" + ` + parens + ` + "b\"`, UnreadTooDeep},
		{"an OR chain of comparisons", Mode{}, "SELECT * FROM t WHERE " + strings.Repeat("id = 5 OR ", 80_000) + "id = 6", ReadFully},
		{"an OR chain of names", Mode{}, "SELECT * FROM t WHERE " + strings.Repeat("a OR ", deep) + "b", UnreadTooDeep},
		{"thousands of strings side by side", Mode{}, "SELECT " + strings.Repeat("'xxxxxxxx' ", 3000), UnreadJoinedStrings},
		{"alternating quotes, no space", Mode{}, "SELECT " + strings.Repeat(`'x'"y"`, 4100), UnreadJoinedStrings},
		{"with comments between", Mode{}, "SELECT " + strings.Repeat("'xxxxxxx' /* c */ ", 3500), UnreadJoinedStrings},
		{"a thousand short strings side by side", Mode{}, "SELECT " + strings.Repeat("'xxxxxxxx' ", 1000), ReadFully},
		{"long literals split in three", Mode{}, "SELECT " + strings.Repeat("'"+strings.Repeat("x", 1<<20)+"' ", 3), ReadFully},
		{"thousands of strings in a list", Mode{}, "SELECT " + strings.Repeat("'xxxxxxxx', ", 100_000) + "'x'", ReadFully},
		{"a doubled quote in one string", Mode{}, "SELECT '" + strings.Repeat("x''", 100_000) + "'", ReadFully},
	}
	for _, tt := range tests {
		if got := tt.mode.unread(tt.sql); got != tt.want {
			t.Errorf("%s: unread = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Ten million nested parentheses (20 MB, under the largest packet Strata
// takes) stopped Strata with a stack overflow in the parser. Now neither
// the parser nor the reading by words (a token per byte) sees them: the
// facts say UnreadTooDeep, for the session to refuse. Each statement of a
// script counts on its own. So with two million string literals side by
// side, which the parser would have taken days to join.
func TestTooDeepStatementsAreMarked(t *testing.T) {
	n := 10_000_000
	for _, sql := range []string{
		"SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"SELECT 1" + strings.Repeat("+1", n),
	} {
		facts, _ := Mode{}.ParseKeepingTree(sql)
		if len(facts) != 1 || facts[0].Unread != UnreadTooDeep || facts[0].Digest == "" {
			t.Fatalf("%.20s...: facts %+v, want one UnreadTooDeep", sql, facts)
		}
	}
	strs := "SELECT " + strings.Repeat("'xxxxxxxx' ", 2_000_000)
	if facts, _ := (Mode{}).ParseKeepingTree(strs); len(facts) != 1 || facts[0].Unread != UnreadJoinedStrings {
		t.Fatalf("2,000,000 strings side by side: facts %+v, want one UnreadJoinedStrings", facts)
	}
	ors := "SELECT * FROM t WHERE " + strings.Repeat("id = 5 OR ", 80_000) + "id = 6"
	if facts, err := (Mode{}).ParseKeepingTree(ors); err != nil || len(facts) != 1 || facts[0].Kind != KindSelect || facts[0].Fallback {
		t.Fatalf("a WHERE of 80,000 ORs: facts %+v, %v; want it parsed", facts, err)
	}
	script := strings.Repeat("UPDATE t SET a = a + 1 WHERE id = 5;\n", maxNesting/10)
	facts, _ := Mode{}.ParseOrFallback(script)
	if len(facts) != maxNesting/10 || facts[0].Unread != ReadFully || facts[0].Kind != KindUpdate || facts[0].Fallback {
		t.Fatalf("a script of %d statements: %d facts, the first %+v; want each parsed", maxNesting/10, len(facts), facts[0])
	}
}
