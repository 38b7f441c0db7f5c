package sqlparse

import (
	"slices"
	"strings"
	"testing"
)

func TestPreparedForm(t *testing.T) {
	tests := []struct {
		sql  string
		want string // "" for no prepared form
	}{
		{"SELECT c FROM sbtest1 WHERE id=5012", "SELECT c FROM sbtest1 WHERE id=?"},
		{"SELECT * FROM users WHERE name = 'bob' AND age >= 21", "SELECT * FROM users WHERE name = ? AND age >= ?"},
		{"SELECT id FROM t WHERE id IN (1, 2, 3) ORDER BY id LIMIT 10", "SELECT id FROM t WHERE id IN (?, ?, ?) ORDER BY id LIMIT ?"},
		{"SELECT id FROM t WHERE id BETWEEN 5 AND 9 LIMIT 2, 3", "SELECT id FROM t WHERE id BETWEEN ? AND ? LIMIT ?, ?"},
		{"SELECT id FROM t WHERE name LIKE 'a%' OR id <> 4", "SELECT id FROM t WHERE name LIKE ? OR id <> ?"},
		{"SELECT id FROM t WHERE id = -5", ""}, // the parser's unary minus
		{"SELECT id FROM t WHERE id > 5 LIMIT 3 OFFSET 6", "SELECT id FROM t WHERE id > ? LIMIT ? OFFSET ?"},
		{"SELECT (SELECT c FROM u LIMIT 1) FROM t WHERE id = 2", ""},
		{"SELECT id FROM t WHERE id IN (4, 5) LIMIT 1", "SELECT id FROM t WHERE id IN (?, ?) LIMIT ?"},
		{"SELECT a FROM t JOIN u ON u.t_id = t.id AND u.kind = 'x' WHERE t.id = 1", "SELECT a FROM t JOIN u ON u.t_id = t.id AND u.kind = ? WHERE t.id = ?"},
		{"SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE n > 3)", "SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE n > ?)"},
		{"SELECT kind, COUNT(*) FROM t GROUP BY kind HAVING COUNT(*) > 5", "SELECT kind, COUNT(*) FROM t GROUP BY kind HAVING COUNT(*) > ?"},
		{"SELECT c FROM t WHERE id = 1.5 AND k = 7", "SELECT c FROM t WHERE id = 1.5 AND k = ?"}, // 1.5 is kept as text
		{"SELECT c FROM t WHERE id = ? AND k = 7", ""},                                           // a marker in a text: a syntax error
		// Values that name or type a column, or change what a clause means.
		{"SELECT 1 FROM t WHERE id = 2", ""},
		{"SELECT id, 'x' AS tag FROM t WHERE id = 2", ""},
		{"SELECT id = 5 FROM t", ""},
		{"SELECT id FROM t ORDER BY 1", ""},
		{"SELECT id FROM t WHERE id = 3 GROUP BY 1", ""},
		{"SELECT LEFT(c, 3) FROM t WHERE id = 1", ""},
		{"SELECT c FROM t WHERE LEFT(c, 3) = 'abc'", ""},
		{"SELECT c FROM t WHERE id = 2 + 1", ""},
		{"SELECT c FROM t WHERE id = (2)", ""},
		{"SELECT c FROM t WHERE c = _latin1'x'", ""},
		{"SELECT c FROM t WHERE c = 'x' COLLATE utf8mb4_bin", ""},
		{"SELECT c FROM t WHERE c LIKE 'x!%' ESCAPE '!'", ""},
		{"SELECT c FROM t WHERE d > NOW() - INTERVAL 1 DAY", ""},
		{"SELECT c FROM t WHERE 1", ""},
		{"SELECT CAST(c AS CHAR(10)) FROM t WHERE id = 1", ""},
		{"SELECT ROW_NUMBER() OVER (ORDER BY id ROWS 2 PRECEDING) FROM t", ""},
		// Not a plain read, or nothing to bind.
		{"SELECT c FROM t WHERE id = 1 FOR UPDATE", ""},
		{"SELECT c FROM t WHERE id = 1 INTO OUTFILE '/tmp/x'", ""},
		{"SELECT c FROM t WHERE id = 1 UNION SELECT c FROM u WHERE id = 2", ""},
		{"UPDATE t SET c = 'x' WHERE id = 1", ""},
		{"SELECT c FROM t WHERE id = @x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			f, err := Classify(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if f.Prepared != nil {
				got = f.Prepared.SQL
			}
			if got != tt.want {
				t.Errorf("prepared form %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPreparedFormValues(t *testing.T) {
	f, err := Classify("SELECT c FROM t WHERE id = 1 AND name = 'a' LIMIT 5")
	if err != nil || f.Prepared == nil {
		t.Fatalf("no prepared form: %v", err)
	}
	tests := []struct {
		sql  string
		want []Literal // nil: not bindable
	}{
		{"SELECT c FROM t WHERE id = 77 AND name = 'it''s' LIMIT 10",
			[]Literal{{Text: "77"}, {Text: "it's", String: true}, {Text: "10"}}},
		{"SELECT c FROM t WHERE id = 18446744073709551615 AND name = '' LIMIT 0",
			[]Literal{{Text: "18446744073709551615"}, {Text: "", String: true}, {Text: "0"}}},
		{`SELECT c FROM t WHERE id = 1 AND name = "a" LIMIT 5`, nil},    // a name under ANSI_QUOTES
		{`SELECT c FROM t WHERE id = 1 AND name = 'a\'b' LIMIT 5`, nil}, // escapes depend on sql_mode
		{"SELECT c FROM t WHERE id = 1 LIMIT 5", nil},                   // not the shape
	}
	for _, tt := range tests {
		got, ok := f.Prepared.Values(nil, tt.sql)
		if !ok {
			got = nil
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Values(%q) = %v, want %v", tt.sql, got, tt.want)
		}
	}
}

func TestPreparedFormNotUnderOtherReadings(t *testing.T) {
	for _, mode := range []string{"ANSI_QUOTES", "NO_BACKSLASH_ESCAPES", "PIPES_AS_CONCAT", "EMPTY_STRING_IS_NULL"} {
		f, err := NewMode(mode).Classify("SELECT c FROM t WHERE id = 1")
		if err != nil {
			t.Fatal(err)
		}
		if f.Prepared != nil {
			t.Errorf("sql_mode %s: prepared form %q; a session reading text another way must send it as it is", mode, f.Prepared.SQL)
		}
	}
}

// FuzzPreparedFormFitsItsShape checks the promise a prepared form makes
// for every text of its shape: the form made from one text, with the
// values of another text of the shape bound, is that other text. A value
// bound in the wrong place, or a value of the first text left in the
// form, would answer another statement than the client's.
func FuzzPreparedFormFitsItsShape(f *testing.F) {
	for _, s := range []string{
		"SELECT c FROM sbtest1 WHERE id=5023",
		"SELECT id FROM t WHERE id IN (1, 2, 3) AND name LIKE 'a%' ORDER BY id LIMIT 10",
		"SELECT id FROM t WHERE id BETWEEN 5 AND 9 LIMIT 2, 3",
		"SELECT id FROM t WHERE id > 5 LIMIT 3 OFFSET 6",
		"SELECT a FROM t JOIN u ON u.t_id = t.id AND u.kind = 'x' WHERE t.id = 1",
		"SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE n > 3)",
		"SELECT kind, COUNT(*) FROM t GROUP BY kind HAVING COUNT(*) > 5",
		"SELECT c FROM t WHERE id = 1.5 AND k = 7 /* 8 */",
		`SELECT c FROM t WHERE name = "x" AND n <=> 4`,
		"SELECT c FROM t WHERE id = ? AND k = 7",
		"SELECT c FROM t WHERE id = 5 /*!50700 AND b = 7 */ /*!40101 AND d = 'x' */",
		"SELECT c FROM t WHERE id = 5 /*M!100000 AND b = 7 */ /*M!999999 AND e = 8 */ /*!1001001 */",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		facts, err := Classify(sql)
		if err != nil || facts.Prepared == nil {
			return
		}
		form := facts.Prepared
		for _, variant := range sameShapeVariants(sql, [2]string{"7", "'z'"}, [2]string{"0", "'it''s'"}, [2]string{"18446744073709551615", "''"}) {
			values, ok := form.Values(nil, variant)
			if !ok {
				t.Fatalf("%q: the values of %q, of its shape, do not bind to its form %q", sql, variant, form.SQL)
			}
			if got := inlineValues(t, form.SQL, values); got != variant {
				t.Fatalf("%q: its form %q with the values of %q is\n%q", sql, form.SQL, variant, got)
			}
		}
	})
}

// inlineValues writes form with each of its parameters replaced by its
// value as a literal: a number's digits, a string in single quotes.
func inlineValues(t *testing.T, form string, values []Literal) string {
	sc := newScanner(form)
	var b strings.Builder
	copied, n := 0, 0
	for tok := sc.next(); tok.kind != tokEOF; tok = sc.next() {
		if form[tok.start:tok.end] != "?" {
			continue
		}
		if n == len(values) {
			t.Fatalf("form %q has more parameters than its %d values", form, len(values))
		}
		b.WriteString(form[copied:tok.start])
		if v := values[n]; v.String {
			b.WriteString("'" + strings.ReplaceAll(v.Text, "'", "''") + "'")
		} else {
			b.WriteString(v.Text)
		}
		copied, n = tok.end, n+1
	}
	if n != len(values) {
		t.Fatalf("form %q has %d parameters for %d values", form, n, len(values))
	}
	return b.String() + form[copied:]
}
