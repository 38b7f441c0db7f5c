package sqlparse

import (
	"reflect"
	"strings"
	"testing"
)

func TestAppendShapeKey(t *testing.T) {
	const L, S = "\x00", "\x01"
	cases := []struct {
		sql, key string
		literals bool
	}{
		{"SELECT c FROM sbtest1 WHERE id=5023", "SELECT c FROM sbtest1 WHERE id=" + L, true},
		{"SELECT c FROM sbtest1 WHERE id=17", "SELECT c FROM sbtest1 WHERE id=" + L, true},
		{"select * from t where name = 'O''Brien' and city = \"x\\\"y\"", "select * from t where name = " + S + " and city = " + S, true},
		{"INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')", "INSERT INTO t (a, b) VALUES (" + L + ", " + S + "), (" + L + ", " + S + ")", true},
		// Names that hold digits, numbers that are not plain digits, and a
		// word of digits after a '.' stay as written.
		{"SELECT t1.c2, 1e5, 0x1F, 2fa FROM db1.t1", "SELECT t1.c2, 1e5, 0x1F, 2fa FROM db1.t1", false},
		{"SELECT 1.5, 2", "SELECT 1.5, " + L, true},
		// Comments are copied whole, literals in them included, so hints
		// stay part of the shape.
		{"SELECT /* strata:pool=batch 7 */ a FROM t WHERE id = 7", "SELECT /* strata:pool=batch 7 */ a FROM t WHERE id = " + L, true},
		{"SELECT a FROM t -- 'x'\nWHERE b = 2", "SELECT a FROM t -- 'x'\nWHERE b = " + L, true},
		// Names in backquotes and variables are not literals.
		{"SELECT `1`, @a, @'b', @@sql_mode FROM t", "SELECT `1`, @a, @'b', @@sql_mode FROM t", false},
		{"SELECT a FROM t", "SELECT a FROM t", false},
	}
	for _, tc := range cases {
		key, literals := AppendShapeKey(nil, tc.sql)
		if string(key) != tc.key || literals != tc.literals {
			t.Errorf("AppendShapeKey(%q) = %q, %v; want %q, %v", tc.sql, key, literals, tc.key, tc.literals)
		}
	}
	// Appending keeps what dst held.
	if key, _ := AppendShapeKey([]byte("x:"), "SELECT 1"); string(key) != "x:SELECT "+L {
		t.Errorf("AppendShapeKey appended to %q", key)
	}
}

// The promise the planner relies on: texts of one shape, where SharesShape
// accepts the facts of one, have the same facts but for Text and Digest. Each case is
// parsed with several sets of values; where SharesShape refuses, the
// facts may differ (and for some do).
func TestShapesShareFacts(t *testing.T) {
	cases := []struct {
		template string // %d and %s (a quoted string) mark the values
		shares   bool
	}{
		{"SELECT c FROM sbtest1 WHERE id=%d", true},
		{"SELECT c FROM sbtest1 WHERE id BETWEEN %d AND %d ORDER BY c", true},
		{"SELECT DISTINCT c FROM sbtest1 WHERE k IN (%d, %d) FOR UPDATE", true},
		{"SELECT a, GET_LOCK(%s, %d) FROM t", true},
		{"SELECT LAST_INSERT_ID(%d)", true},
		{"SELECT f(%d), db.g(%s) FROM t JOIN u ON t.id = u.id WHERE u.x = %s", true},
		{"SELECT * FROM t WHERE a = %s INTO OUTFILE %s", true},
		{"SELECT @x := %d", true},
		{"INSERT INTO sbtest1 (id, k, c) VALUES (%d, %d, %s) ON DUPLICATE KEY UPDATE c = %s", true},
		{"UPDATE t SET a = %d WHERE b = %s LIMIT %d", true},
		{"DELETE FROM t WHERE id = %d", true},
		{"REPLACE INTO t VALUES (%d, %s)", true},
		{"/* strata:primary */ SELECT a FROM t WHERE id = %d", true},
		{"SET autocommit = %d", false},
		{"SET time_zone = %s", false},
		{"KILL %d", false},
		{"KILL QUERY %d", false},
		{"PREPARE s FROM %s", false},
		{"DO SLEEP(%d)", false},
	}
	values := [][2]string{{"1", "'a'"}, {"0", "'it''s'"}, {"99999", `"x\"y"`}}
	for _, tc := range cases {
		var first *Facts
		differs := false
		for _, v := range values {
			sql := strings.ReplaceAll(strings.ReplaceAll(tc.template, "%d", v[0]), "%s", v[1])
			f, err := Classify(sql)
			if err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
			if got := SharesShape(f); got != tc.shares {
				t.Errorf("SharesShape(%q) = %v, want %v", sql, got, tc.shares)
			}
			if first == nil {
				first = f
				continue
			}
			k1, _ := AppendShapeKey(nil, first.Text)
			k2, _ := AppendShapeKey(nil, sql)
			if string(k1) != string(k2) {
				t.Errorf("%q and %q have different shape keys %q, %q", first.Text, sql, k1, k2)
			}
			a, b := *first, *f
			a.Text, b.Text, a.Digest, b.Digest = "", "", "", ""
			if !reflect.DeepEqual(a, b) {
				differs = true
				if tc.shares {
					t.Errorf("%q and %q share a shape but not their facts:\n%+v\n%+v", first.Text, sql, a, b)
				}
			}
		}
		if !tc.shares && strings.HasPrefix(tc.template, "SET autocommit") && !differs {
			t.Errorf("%s: the facts of different values should differ (autocommit on and off)", tc.template)
		}
	}
}

// FuzzShapeSharesFacts checks the promise of TestShapesShareFacts on any
// text: when SharesShape accepts a statement's facts, every text of its
// shape that the parser reads (the literals swapped for other numbers and
// strings) has the same facts but for Text and Digest. A text of the shape the parser rejects is one the server will
// reject too, wherever it runs.
func FuzzShapeSharesFacts(f *testing.F) {
	for _, s := range []string{
		"SELECT c FROM sbtest1 WHERE id=5023",
		"SELECT a, 'b' FROM t WHERE x IN (1, 2, 3) AND y LIKE 'q%' LIMIT 10",
		"INSERT INTO t VALUES (1, 'x', NOW()) ON DUPLICATE KEY UPDATE b = 'y'",
		"UPDATE t SET a = a + 1 WHERE id = 7",
		"SELECT GET_LOCK('l', 10), LAST_INSERT_ID(5), @a := 1",
		"SELECT * FROM t WHERE d > DATE '2020-01-01' AND n = _utf8mb4'x' COLLATE utf8mb4_bin",
		"SELECT t.1, 1.5e3, 0x1F FROM db.t",
		"SELECT a FROM t WHERE id = 3 /*M!100000 FOR UPDATE */ /*M!999999 , 'x' */",
		"SELECT a, b FROM t WHERE c = 'x' GROUP BY 1, 2 ORDER BY 2 DESC LIMIT 5",
		"SELECT a FROM t GROUP BY (1, 2) HAVING COUNT(*) > 3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		facts, err := Classify(sql)
		if err != nil || !SharesShape(facts) {
			return
		}
		key, _ := AppendShapeKey(nil, sql)
		sharedDigest := SharesDigest(key, facts.Digest)
		for _, variant := range sameShapeVariants(sql, [2]string{"7", "'z'"}, [2]string{"'z'", "7"}, [2]string{"0", "''"}, [2]string{"9", "'*'"}) {
			other, err := Classify(variant)
			if err != nil {
				continue
			}
			a, b := *facts, *other
			a.Text, b.Text, a.Digest, b.Digest = "", "", "", ""
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%q and %q share a shape but not their facts:\n%+v\n%+v", sql, variant, a, b)
			}
			if sharedDigest && DigestOfShaped(other.Text, facts.Digest) != other.Digest {
				t.Fatalf("%q and %q share a shape whose digest SharesDigest says is shared, but digest to %q and %q", sql, variant, facts.Digest, other.Digest)
			}
		}
	})
}

// sameShapeVariants is sql with its literals swapped for others (each
// swap a number and a string, as replaceLiterals takes them), for the
// swaps that keep its shape: swapping a number for a string changes the
// shape, as does a number glued to a word.
func sameShapeVariants(sql string, swaps ...[2]string) []string {
	key, _ := AppendShapeKey(nil, sql)
	var variants []string
	for _, swap := range swaps {
		variant := replaceLiterals(sql, swap[0], swap[1])
		if k, _ := AppendShapeKey(nil, variant); string(k) == string(key) {
			variants = append(variants, variant)
		}
	}
	return variants
}

// replaceLiterals writes sql with each number literal replaced by num and
// each string literal by str (as AppendShapeKey finds them).
func replaceLiterals(sql, num, str string) string {
	sc := newScanner(sql)
	var b strings.Builder
	copied := 0
	for t := sc.next(); t.kind != tokEOF; t = sc.next() {
		if !isLiteral(sql, t) {
			continue
		}
		b.WriteString(sql[copied:t.start])
		if t.kind == tokString {
			b.WriteString(str)
		} else {
			b.WriteString(num)
		}
		copied = t.end
	}
	b.WriteString(sql[copied:])
	return b.String()
}

func TestModeReadsAsDefault(t *testing.T) {
	for _, tc := range []struct {
		sqlMode string
		want    bool
	}{
		{"", true},
		{"DEFAULT", true},
		{"STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION", true},
		{"NO_BACKSLASH_ESCAPES", false},
		{"strict_all_tables, ansi_quotes", false},
		{"ANSI", false}, // includes ANSI_QUOTES and PIPES_AS_CONCAT
		{"PIPES_AS_CONCAT", false},
		{"IGNORE_SPACE", false},
		{"HIGH_NOT_PRECEDENCE", false},
		{"STRICT_TRANS_TABLES,empty_string_is_null", false}, // '' means NULL
	} {
		if got := NewMode(tc.sqlMode).ReadsAsDefault(); got != tc.want {
			t.Errorf("NewMode(%q).ReadsAsDefault() = %v, want %v", tc.sqlMode, got, tc.want)
		}
	}
}

// Under EMPTY_STRING_IS_NULL a quoted empty string is NULL to the server,
// with or without a character set introducer; a hex literal is not, nor a
// string with anything in it.
func TestEmptyStringLiteral(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"''", true}, {`""`, true}, {"N''", true}, {"_utf8mb4''", true}, {" '' ", true},
		{"' '", false}, {"'a'", false}, {"x''", false}, {"X''", false}, {"0", false}, {"NULL", false}, {"''''", false},
	} {
		if got := EmptyStringLiteral(tc.text); got != tc.want {
			t.Errorf("EmptyStringLiteral(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	if !NewMode("ORACLE,EMPTY_STRING_IS_NULL").EmptyStringIsNull() || NewMode("ORACLE").EmptyStringIsNull() {
		t.Error("EmptyStringIsNull follows EMPTY_STRING_IS_NULL only")
	}
}

// A shape's digest stands for every text of the shape unless the digest
// keeps a literal as written: the parser keeps a number that names a
// position (ORDER BY 1, GROUP BY 2), which differs from text to text.
func TestSharesDigest(t *testing.T) {
	cases := []struct {
		sql    string
		shared bool
	}{
		{"SELECT c FROM sbtest1 WHERE id=5023", true},
		{"SELECT a FROM t WHERE b IN (1, 2, 3) AND c = 'x' LIMIT 10", true},
		{"UPDATE t SET a = -5, b = 'q' WHERE id = 7", true},
		{"INSERT INTO t VALUES (1, 'a'), (2, 'b')", true},
		{"SELECT a, b FROM t ORDER BY 2", false},
		{"SELECT a, COUNT(*) FROM t WHERE c > 10 GROUP BY 1", false},
		{"SELECT a FROM t GROUP BY (1, 2)", false},
		{"SELECT 'x' A", true}, // but not for '*', which DigestOfShaped sees
	}
	for _, tc := range cases {
		f, err := Classify(tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		key, ok := AppendShapeKey(nil, tc.sql)
		if !ok {
			t.Fatalf("%s: no literal to blank", tc.sql)
		}
		if got := SharesDigest(key, f.Digest); got != tc.shared {
			t.Errorf("SharesDigest(%q) = %v, want %v (digest %q)", tc.sql, got, tc.shared, f.Digest)
		}
	}
}

// A text of a shape that shares its digest still gets its own where the
// parser's digest keeps a string '*' as written.
func TestDigestOfShaped(t *testing.T) {
	shape, err := Classify("SELECT 'x' A, b FROM t WHERE c = 'y'")
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"SELECT 'q' A, b FROM t WHERE c = 'r'",
		"SELECT '*' A, b FROM t WHERE c = 'r'",
		"SELECT 'q' A, b FROM t WHERE c = '\\*'",
		`SELECT "*" A, b FROM t WHERE c = 'r'`,
	} {
		f, err := Classify(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := DigestOfShaped(f.Text, shape.Digest); got != f.Digest {
			t.Errorf("DigestOfShaped(%q) = %q, want %q", text, got, f.Digest)
		}
	}
}
