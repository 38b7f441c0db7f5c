package engine

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// exactCollations are the collations merges compare and group by
// (columnCollation refuses the others).
var exactCollations = []string{
	"binary", "utf8mb4_bin", "utf8mb4_nopad_bin", "latin1_bin",
	"utf8mb4_general_ci", "utf8mb4_general_nopad_ci", "utf8mb3_general_ci",
	"utf8mb4_unicode_ci", "utf8mb4_unicode_nopad_ci", "utf8mb4_unicode_520_ci", "utf8mb4_uca1400_ai_ci",
	"latin1_swedish_ci", "latin1_general_ci", "latin1_general_cs", "latin1_german2_ci", "latin1_danish_ci", "latin1_spanish_ci",
}

// FuzzCollationsOrderConsistently checks what a merge relies on in every
// exact collation, for any three strings: Key is equal exactly where
// Compare says equal (a DISTINCT or GROUP BY hashes by Key, ORDER BY
// compares), and Compare is an order (antisymmetric and transitive), so a
// merge of sorted shard results is sorted and the same rows group
// together wherever they come from.
func FuzzCollationsOrderConsistently(f *testing.F) {
	for _, s := range [][3]string{
		{"a", "A", "a "}, {"ß", "ss", "s"}, {"Å", "AA", "aa"}, {"é", "e", "E\t"}, {"เก", "กเ", "ก"},
		{"ch", "c", "d"}, {"ll", "l", "m"}, {"ä", "ae", "Æ"}, {"😀", "😁", "\uFFFD"}, {"a\x00", "a", "a\x01"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	collations := make([]Collation, 0, len(exactCollations))
	for _, name := range exactCollations {
		c, err := CollationByName(name)
		if err != nil || !c.Exact() {
			f.Fatalf("%s: %v, exact %v", name, err, c.Exact())
		}
		collations = append(collations, c)
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || !utf8.ValidString(c) {
			return // the values arrive in their column's character set
		}
		x, y, z := []byte(a), []byte(b), []byte(c)
		for _, coll := range collations {
			if !holdsAll(coll, a, b, c) {
				continue
			}
			ab, ba, bc, ac := coll.Compare(x, y), coll.Compare(y, x), coll.Compare(y, z), coll.Compare(x, z)
			if sign(ab) != -sign(ba) {
				t.Fatalf("%s: Compare(%q, %q) = %d but Compare(%q, %q) = %d", coll.Name, a, b, ab, b, a, ba)
			}
			if keyEq := bytes.Equal(coll.Key(x), coll.Key(y)); keyEq != (ab == 0) {
				t.Fatalf("%s: Key(%q) == Key(%q) is %v, but Compare = %d", coll.Name, a, b, keyEq, ab)
			}
			if ab <= 0 && bc <= 0 && ac > 0 {
				t.Fatalf("%s: %q <= %q <= %q, but Compare(%q, %q) = %d", coll.Name, a, b, c, a, c, ac)
			}
		}
	})
}

// holdsAll reports whether a column of coll can hold every string: a
// latin1 column holds the characters of Windows-1252 only (the server
// stores any other as '?').
func holdsAll(coll Collation, strs ...string) bool {
	charset, _, _ := strings.Cut(coll.Name, "_")
	cs := singleByteCharset(charset)
	if cs == nil {
		return true
	}
	for _, s := range strs {
		for _, r := range s {
			if _, ok := cs.fromUni[r]; !ok {
				return false
			}
		}
	}
	return true
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
