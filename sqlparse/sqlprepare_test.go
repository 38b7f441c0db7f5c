package sqlparse

import (
	"reflect"
	"testing"
)

func TestParseSQLPrepare(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want *SQLPrepare
	}{
		{"PREPARE Q FROM 'SELECT ?'", &SQLPrepare{Verb: "PREPARE", Name: "q"}},
		{"prepare `my stmt` from @sql;", &SQLPrepare{Verb: "PREPARE", Name: "my stmt", FromVar: "@sql"}},
		{"EXECUTE q", &SQLPrepare{Verb: "EXECUTE", Name: "q"}},
		{"EXECUTE q USING @a, 'x,y', CONCAT(@b, ','), -1", &SQLPrepare{Verb: "EXECUTE", Name: "q", Using: []string{"@a", "'x,y'", "CONCAT(@b, ',')", "-1"}}},
		{"DEALLOCATE PREPARE q", &SQLPrepare{Verb: "DEALLOCATE", Name: "q"}},
		{"DROP PREPARE Q", &SQLPrepare{Verb: "DEALLOCATE", Name: "q"}},
		{"EXECUTE IMMEDIATE 'SELECT ?, ?' USING @a, 'x,y'", &SQLPrepare{Verb: "IMMEDIATE", Using: []string{"@a", "'x,y'"}}},
		{"EXECUTE IMMEDIATE CONCAT('SELECT ', 'USING') ", &SQLPrepare{Verb: "IMMEDIATE"}},
		{"EXECUTE IMMEDIATE @q USING", nil},
		{"EXECUTE q USING", nil},
		{"EXECUTE q USING @a,", nil},
		{"PREPARE q FROM CONCAT('a', 'b')", nil},
		{"DROP TABLE q", nil},
		{"SELECT 1", nil},
	} {
		got, ok := Mode{}.ParseSQLPrepare(tc.sql)
		if ok != (tc.want != nil) || tc.want != nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSQLPrepare(%q) = %+v, %v; want %+v", tc.sql, got, ok, tc.want)
		}
	}
}

// PreparedText reads the statement a PREPARE or EXECUTE IMMEDIATE
// runs: a literal decoded as the server decodes it, anything else as the
// expression the server computes it from, with where it lies.
func TestPreparedText(t *testing.T) {
	noBackslash := NewMode("NO_BACKSLASH_ESCAPES")
	for _, tc := range []struct {
		mode Mode
		sql  string
		want PreparedText
		ok   bool
	}{
		{Mode{}, "PREPARE s FROM 'RESET MASTER'", PreparedText{Text: "RESET MASTER", Start: 15, End: 29}, true},
		{Mode{}, `EXECUTE IMMEDIATE 'SELECT \'x\', ?' USING 5`, PreparedText{Text: "SELECT 'x', ?", Start: 18, End: 35}, true},
		{Mode{}, `execute immediate "KILL 5";`, PreparedText{Text: "KILL 5", Start: 18, End: 26}, true},
		{noBackslash, `EXECUTE IMMEDIATE 'SELECT ''a\b'''`, PreparedText{Text: `SELECT 'a\b'`, Start: 18, End: 34}, true},
		{Mode{}, "PREPARE s FROM ''", PreparedText{Start: 15, End: 17}, true},
		{Mode{}, "PREPARE s FROM @q", PreparedText{Expr: "@q", Start: 15, End: 17}, true},
		{Mode{}, "EXECUTE IMMEDIATE CONCAT('RESET ', 'MASTER') USING 1, 2", PreparedText{Expr: "CONCAT('RESET ', 'MASTER')", Start: 18, End: 44}, true},
		{Mode{}, "EXECUTE IMMEDIATE IF(@a, 'x USING y', @b)", PreparedText{Expr: "IF(@a, 'x USING y', @b)", Start: 18, End: 41}, true},
		{Mode{}, "PREPARE s FROM _utf8mb4'SELECT 1'", PreparedText{Expr: "_utf8mb4'SELECT 1'", Start: 15, End: 33}, true},
		{Mode{}, "EXECUTE s USING 1", PreparedText{}, false},
		{Mode{}, "DEALLOCATE PREPARE s", PreparedText{}, false},
		{Mode{}, "EXECUTE IMMEDIATE", PreparedText{}, false},
		{Mode{}, "SELECT 'PREPARE s FROM x'", PreparedText{}, false},
	} {
		got, ok := tc.mode.PreparedText(tc.sql)
		if ok != tc.ok || got != tc.want {
			t.Errorf("PreparedText(%q) = %+v, %v; want %+v, %v", tc.sql, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBindPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		args []string
		want string
		n    int
	}{
		{"SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?", []string{"1", "'x'"}, "SELECT * FROM t WHERE a = 1 AND b = '?' AND c = 'x'", 2},
		{"SELECT ? /* ? */ + `?`", []string{"NULL"}, "SELECT NULL /* ? */ + `?` AS `? /* ? */ + ``?```", 1},
		{"SELECT id, ?, ? + 1 AS n FROM t WHERE id = ?", []string{"'x'", "2", "3"}, "SELECT id, 'x' AS `?`, 2 + 1 AS n FROM t WHERE id = 3", 3},
		{"SELECT ?, ?", []string{"1"}, "", 2},
		{"SELECT 1", []string{"1"}, "", 0},
		// A LIMIT's counts as digits, a whole DOUBLE among them; a DOUBLE
		// elsewhere as it is.
		{"SELECT a FROM t WHERE b > ? LIMIT ?, ?", []string{"2e+00", "1e+01", "5"}, "SELECT a FROM t WHERE b > 2e+00 LIMIT 10, 5", 3},
		{"UPDATE t SET a = ? / 3 ORDER BY a LIMIT ? OFFSET ?", []string{"1e+00", "3e+00", "'2'"}, "UPDATE t SET a = 1e+00 / 3 ORDER BY a LIMIT 3 OFFSET 2", 3},
		{"SELECT a FROM t LIMIT 2, ?", []string{"4e+00"}, "SELECT a FROM t LIMIT 2, 4", 1},
	} {
		got, n := Mode{}.BindPlaceholders(tc.sql, tc.args)
		if n != tc.n || n == len(tc.args) && got != tc.want {
			t.Errorf("BindPlaceholders(%q, %q) = %q, %d; want %q, %d", tc.sql, tc.args, got, n, tc.want, tc.n)
		}
	}
}

func TestUsingItems(t *testing.T) {
	for expr, want := range map[string][2]bool{ // literal, user variable
		"42": {true, false}, "'a b'": {true, false}, "NULL": {true, false}, "@x": {false, true},
		"@`x y`": {false, true}, "1 + 1": {false, false}, "@x + 1": {false, false}, "NOW()": {false, false},
	} {
		if IsLiteral(expr) != want[0] || IsUserVar(expr) != want[1] {
			t.Errorf("%q: IsLiteral %v, IsUserVar %v; want %v", expr, IsLiteral(expr), IsUserVar(expr), want)
		}
	}
}

func TestSplitIntoVars(t *testing.T) {
	for _, tc := range []struct {
		sql, text string
		vars      []string
	}{
		{"SELECT COUNT(*) INTO @n FROM t WHERE a = 1", "SELECT COUNT(*) FROM t WHERE a = 1", []string{"@n"}},
		{"SELECT a, b FROM t WHERE id = 3 INTO @a, @`b c`;", "SELECT a, b FROM t WHERE id = 3", []string{"@a", "@`b c`"}},
		{"SELECT (SELECT x INTO @y FROM u) FROM t", "", nil},
		{"SELECT a INTO OUTFILE '/tmp/x' FROM t", "", nil},
		{"SELECT a INTO @a FROM t INTO @b", "", nil},
		{"UPDATE t SET a = 1", "", nil},
	} {
		text, vars, ok := Mode{}.SplitIntoVars(tc.sql)
		if ok != (tc.vars != nil) || ok && (text != tc.text || !reflect.DeepEqual(vars, tc.vars)) {
			t.Errorf("SplitIntoVars(%q) = %q, %q, %v; want %q, %q", tc.sql, text, vars, ok, tc.text, tc.vars)
		}
	}
}

func TestSelectLimitText(t *testing.T) {
	for sql, want := range map[string][2]bool{ // starts a SELECT, has its own LIMIT
		"SELECT * FROM t":                                      {true, false},
		"/* c */ select a FROM t LIMIT 3":                      {true, true},
		"(SELECT a FROM t LIMIT 1) UNION (SELECT b FROM u)":    {true, false},
		"WITH c AS (SELECT 1) SELECT * FROM c":                 {true, false},
		"SELECT * FROM t WHERE a IN (SELECT b FROM u LIMIT 2)": {true, false},
		"SELECT 'limit' FROM t":                                {true, false},
		"UPDATE t SET a = 1 LIMIT 2":                           {false, true},
	} {
		if StartsSelect(sql) != want[0] || HasTopLevelLimit(sql) != want[1] {
			t.Errorf("%q: StartsSelect %v, HasTopLevelLimit %v; want %v", sql, StartsSelect(sql), HasTopLevelLimit(sql), want)
		}
	}
}

// A bound value as a LIMIT count: digits, or a DOUBLE naming a whole,
// non-negative number.
func TestCountValue(t *testing.T) {
	for lit, want := range map[string]int64{"5": 5, "'7'": 7, "3e+00": 3, "1.2E+01": 12, "0e+00": 0} {
		if got, ok := CountValue(lit); !ok || got != want {
			t.Errorf("CountValue(%q) = %d, %v; want %d", lit, got, ok, want)
		}
	}
	for _, lit := range []string{"-1", "2.5e+00", "-3e+00", "x", "NULL", "1.5"} {
		if got, ok := CountValue(lit); ok {
			t.Errorf("CountValue(%q) = %d, want none", lit, got)
		}
	}
}
