package sqlparse

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/format"
)

// CHAR(...) and INSERT(...) are written back as such, not as the
// parser's own char_func and insert_func, which no server knows, with
// their arguments still seen by the analysis.
func TestRenamedFunctionsAreWrittenBackByTheirSQLNames(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT CHAR(65, 66) FROM t":                 "CHAR(65, 66)",
		"SELECT CHAR(77 USING utf8mb4) FROM t":       "CHAR(77 USING UTF8MB4)",
		"SELECT a FROM t WHERE b = CHAR(?)":          "CHAR(?)",
		"INSERT INTO t (a) VALUES (CHAR(0x61, 98))":  "CHAR(0x61, 98)", // 0x61 is 97 here, x'61' would be 'a', 0
		"SELECT CHAR((SELECT MAX(c) FROM u)) FROM t": "CHAR((SELECT MAX(`c`) FROM `u`))",
		"SELECT INSERT(a, 2, 3, 'xy') FROM t":        "INSERT(`a`, 2, 3, _UTF8MB4'xy')",
		// MySQLForm's stand-ins of CASTs to MariaDB's own types.
		"SELECT CAST(u AS UUID) FROM t":               "CAST(`u` AS UUID)",
		"SELECT a FROM t WHERE ip = CAST(? AS INET6)": "CAST(? AS INET6)",
	} {
		if form, ok := (Mode{}).MySQLForm(sql); ok {
			sql = form
		}
		stmts, err := Mode{}.parseAST(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var b strings.Builder
		if err := stmts[0].Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if text := b.String(); !strings.Contains(text, want) || strings.Contains(strings.ToLower(text), "_func") || strings.Contains(text, castFuncPrefix) {
			t.Errorf("%s: written back as %s, want %s in it", sql, text, want)
		}
	}
	// The subquery inside CHAR() is still seen: its table is read.
	f, err := Classify("SELECT CHAR((SELECT MAX(c) FROM u)) FROM t")
	if err != nil || len(f.Tables) != 2 {
		t.Fatalf("tables of a subquery inside CHAR(): %+v, %v", f.Tables, err)
	}
}

// A shared lock is written as MariaDB reads it, LOCK IN SHARE MODE, not
// as MySQL 8's FOR SHARE.
func TestShareLockIsWrittenForMariaDB(t *testing.T) {
	s := mustAnalyze(t, "SELECT id FROM posts WHERE user_id = 3 ORDER BY id LIMIT 2 LOCK IN SHARE MODE")
	for _, r := range []Rewrite{{}, {Scatter: true}} {
		got, err := s.Render(r)
		if err != nil || !strings.HasSuffix(got, "LIMIT 2 LOCK IN SHARE MODE") || strings.Contains(got, "FOR SHARE") {
			t.Errorf("rendered %q, %v", got, err)
		}
	}
	// The statement's own AST is left as it was: a second render agrees.
	if again, _ := s.Render(Rewrite{}); !strings.HasSuffix(again, "LOCK IN SHARE MODE") {
		t.Errorf("second render %q", again)
	}
}
