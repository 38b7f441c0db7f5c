package engine

import (
	"bytes"
	"fmt"
	"math/big"
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

// FuzzDecimalTextComparesAsItsValue checks the ORDER BY of a merged
// DECIMAL or integer column: the text of two values compares as their
// exact values do, whatever their digits, zeros and signs.
func FuzzDecimalTextComparesAsItsValue(f *testing.F) {
	for _, s := range [][2]string{{"1", "1.0"}, {"-0", "0.00"}, {"010", "9.99"}, {"-1.5", "-1.50"}, {"99999999999999999999.1", "1e2"},
		{"-0.001", "0"}, {"+3", "3"}, {"1.", ".5"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		x, okA := new(big.Rat).SetString(a)
		y, okB := new(big.Rat).SetString(b)
		if !okA || !okB || !decimalText(a) || !decimalText(b) {
			return // a server sends DECIMAL and integers as plain digits
		}
		if got, want := sign(compareDecimalText([]byte(a), []byte(b))), x.Cmp(y); got != want {
			t.Fatalf("compareDecimalText(%q, %q) = %d, their values compare %d", a, b, got, want)
		}
	})
}

// decimalText reports whether s is written as a server writes a DECIMAL
// or an integer: a sign, digits, and a point with digits.
func decimalText(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	digits := func(p string) bool {
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return len(whole)+len(frac) > 0 && digits(whole) && digits(frac)
}

// FuzzDecimalSumIsExact checks a merged SUM of DECIMAL partials: two
// values' text add up exactly, written with the larger scale, as MariaDB
// writes a DECIMAL sum (no float rounding of cents or of integers past
// 2^53).
func FuzzDecimalSumIsExact(f *testing.F) {
	for _, s := range [][2]string{{"0.1", "0.2"}, {"-1.50", "1.5"}, {"9007199254740993", "1"}, {"99999999999999999999.99", "0.01"}, {"-0.001", "0"}, {"+3", "-3.000"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !decimalText(a) || !decimalText(b) || len(a) > 80 || len(b) > 80 {
			return
		}
		x, errA := parseDecimal([]byte(a))
		y, errB := parseDecimal([]byte(b))
		if errA != nil || errB != nil {
			t.Fatalf("parseDecimal(%q), parseDecimal(%q): %v, %v", a, b, errA, errB)
		}
		ra, _ := new(big.Rat).SetString(a)
		rb, _ := new(big.Rat).SetString(b)
		scale := max(fracDigitsOf(a), fracDigitsOf(b))
		x.add(y)
		if want := new(big.Rat).Add(ra, rb).FloatString(scale); x.String() != want {
			t.Fatalf("%s + %s = %s, want %s", a, b, x, want)
		}
	})
}

func fracDigitsOf(s string) int {
	_, frac, _ := strings.Cut(s, ".")
	return len(frac)
}

// FuzzTimeTextComparesAsItsValue checks the ORDER BY of a merged TIME
// column: the server's text of two values of one column (hours of any
// width, a sign, the column's fractional digits) compares as the times
// do.
func FuzzTimeTextComparesAsItsValue(f *testing.F) {
	const limit = (838*3600 + 59*60 + 59) * 1_000_000 // MariaDB's TIME range, ± 838:59:59
	for _, s := range [][3]int64{{0, 1, 0}, {-1, 0, 6}, {-3_600_000_000, 36_000_000_000, 0}, {limit, -limit, 6}, {99 * 3_600_000_000, 100 * 3_600_000_000, 2}} {
		f.Add(s[0], s[1], uint8(s[2]))
	}
	f.Fuzz(func(t *testing.T, a, b int64, digits uint8) {
		frac := int(digits % 7)
		unit := int64(1)
		for range 6 - frac {
			unit *= 10
		}
		a, b = a%(limit+1)/unit*unit, b%(limit+1)/unit*unit // what a TIME(frac) column holds
		x, y := timeText(a, frac), timeText(b, frac)
		if got, want := sign(compareTimeText([]byte(x), []byte(y))), sign(int(max(min(a-b, 1), -1))); got != want {
			t.Fatalf("compareTimeText(%q, %q) = %d, the times compare %d", x, y, got, want)
		}
	})
}

// timeText writes a TIME of micros microseconds as the server does, with
// frac fractional digits.
func timeText(micros int64, frac int) string {
	sign := ""
	if micros < 0 {
		sign, micros = "-", -micros
	}
	s := micros / 1_000_000
	text := fmt.Sprintf("%s%02d:%02d:%02d", sign, s/3600, s/60%60, s%60)
	if frac > 0 {
		text += fmt.Sprintf(".%06d", micros%1_000_000)[:frac+1]
	}
	return text
}
