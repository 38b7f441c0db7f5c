package engine

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Collation says how string values compare. It is derived from the
// collation name, so any MySQL or MariaDB collation following the usual
// naming (_bin, _ci, _cs, _ai_ci, _as_ci, _0900_, nopad) is understood.
//
// Exact for: binary, *_bin (code point order), PAD SPACE vs NO PAD, and
// the collations whose weights are tables read from MariaDB (weights.go):
// utf8mb4/utf8mb3 general_ci, unicode_ci, unicode_520_ci and uca1400_ai_ci
// (with UCA 14.0's contractions: Thai's "เก" weighs as "กเ"), and the
// latin1 ones (swedish, general, general_cs, german1, german2, danish,
// spanish), each with its nopad variant. Approximate for the other
// case-insensitive collations (utf8mb4_swedish_ci, *_0900_ai_ci,
// uca1400's accent- or case-sensitive forms, ...): characters compare by
// their simple upper case, with accents of Latin-1 and Latin Extended-A
// letters removed (é = E) unless the name says _as_ (accent sensitive).
// Known limits:
//   - no UCA weights: punctuation and digits order by code point, so
//     '_' sorts after letters (as in general_ci) where unicode_ci sorts it
//     before them;
//   - no expansions or contractions: unicode_ci has ß = ss and æ = ae,
//     here ß = S and æ is its own letter;
//   - language tailorings (swedish, german2, ...) are ignored;
//   - *_cs collations compare case-insensitively first and break ties by
//     code point, which orders 'a' < 'B' < 'b' like MySQL for Latin text.
//
// Where the approximation and the server disagree, merging would misorder
// or misgroup rows with such keys, so the merge steps do not compare by
// it: columnCollation refuses a collation that is not Exact.
type Collation struct {
	Name string
	// fold: 0 = code point order, 1 = case-insensitive,
	// 2 = case-insensitive then code point (cs).
	fold      uint8
	accents   bool // fold Latin accents away (accent-insensitive)
	pad       bool // PAD SPACE: trailing spaces do not count
	suppEqual bool // legacy UCA 4.0.0/general: all chars above U+FFFF weigh the same
	// exact, when set, holds the server's weights of this collation.
	exact *weightTable
	// byteOrder, for the binary collation of a single-byte character
	// set, is that set: it orders by the byte of each character (latin1's
	// €, 0x80, before é).
	byteOrder *singleByte
	// input is how the values compared are encoded (columnCollation sets
	// it from the character set the connection receives them in).
	input textInput
}

const (
	foldNone uint8 = iota
	foldCase
	foldCaseThenBinary
)

// collationNames maps common collation ids to names. Ids not listed here
// can be given by name in SortKey.Collation.
var collationNames = map[uint16]string{
	5: "latin1_german1_ci", 8: "latin1_swedish_ci", 11: "ascii_general_ci",
	15: "latin1_danish_ci", 31: "latin1_german2_ci", 94: "latin1_spanish_ci",
	33: "utf8mb3_general_ci", 45: "utf8mb4_general_ci", 46: "utf8mb4_bin",
	47: "latin1_bin", 48: "latin1_general_ci", 49: "latin1_general_cs",
	63: "binary", 65: "ascii_bin", 83: "utf8mb3_bin",
	192: "utf8mb3_unicode_ci", 224: "utf8mb4_unicode_ci",
	246: "utf8mb4_unicode_520_ci", 255: "utf8mb4_0900_ai_ci",
	278: "utf8mb4_0900_as_cs", 305: "utf8mb4_0900_as_ci", 309: "utf8mb4_0900_bin",
	// MariaDB NO PAD variants are the PAD SPACE id + 1024.
	1032: "latin1_swedish_nopad_ci", 1057: "utf8mb3_general_nopad_ci",
	1069: "utf8mb4_general_nopad_ci", 1070: "utf8mb4_nopad_bin",
	1071: "latin1_nopad_bin", 1107: "utf8mb3_nopad_bin",
	1216: "utf8mb3_unicode_nopad_ci", 1248: "utf8mb4_unicode_nopad_ci",
}

// CollationByID returns the collation with MySQL collation id.
func CollationByID(id uint16) (Collation, error) {
	name, ok := collationNames[id]
	if !ok {
		return Collation{}, fmt.Errorf("unknown collation id %d (name it in SortKey.Collation)", id)
	}
	return CollationByName(name)
}

// CollationByName derives a collation's comparison from its name.
func CollationByName(name string) (Collation, error) {
	n := strings.ToLower(name)
	c := Collation{Name: n, pad: !strings.Contains(n, "_0900_") && !strings.Contains(n, "nopad")}
	switch {
	case n == "binary":
		c.pad = false
	case strings.HasSuffix(n, "_bin"):
		charset, _, _ := strings.Cut(n, "_")
		c.byteOrder = singleByteCharset(charset)
	case strings.HasSuffix(n, "_ci"):
		c.fold, c.accents = foldCase, !strings.HasSuffix(n, "_as_ci")
	case strings.HasSuffix(n, "_cs"):
		c.fold = foldCaseThenBinary
	default:
		return Collation{}, fmt.Errorf("unsupported collation %q", name)
	}
	c.suppEqual = c.fold != foldNone && !strings.Contains(n, "_0900_") &&
		!strings.Contains(n, "_520_") && !strings.Contains(n, "uca1400")
	if c.fold != foldNone {
		c.exact = exactTableFor(n)
	}
	return c, nil
}

// Exact reports whether Compare and Key are the server's for this
// collation (binary, _bin, and those with the server's weights), not an
// approximation.
func (c Collation) Exact() bool {
	return c.fold == foldNone || c.exact != nil
}

// KeyFold returns Key of the collation name, for placing text shard keys
// by it (config key_collation); an error for a collation Strata only
// approximates, where two keys the server finds equal could land apart.
func KeyFold(name string) (func([]byte) []byte, error) {
	c, err := ExactCollation(name)
	if err != nil {
		return nil, err
	}
	return c.Key, nil
}

// ExactCollation returns the collation name when Strata reproduces it
// exactly (Exact), an error naming the ones it does otherwise.
func ExactCollation(name string) (Collation, error) {
	c, err := CollationByName(name)
	if err != nil {
		return c, err
	}
	if !c.Exact() {
		return c, fmt.Errorf("Strata reproduces %s only approximately; use utf8mb4_general_ci, utf8mb4_unicode_ci, utf8mb4_unicode_520_ci, utf8mb4_uca1400_ai_ci (or their utf8mb3 and nopad forms), a latin1 collation or a _bin collation", name)
	}
	return c, nil
}

// ReadingUTF8 is c comparing text received in UTF-8, whatever character
// set c received its column's values in (ToUTF8 converts those).
func (c Collation) ReadingUTF8() Collation {
	c.input = textInput{}
	return c
}

// ToUTF8 is v, text as c receives it, in UTF-8.
func (c Collation) ToUTF8(v []byte) []byte {
	if c.input.cs == nil {
		return v
	}
	out := make([]byte, 0, len(v))
	for _, b := range v {
		out = utf8.AppendRune(out, c.input.cs.toUni[b])
	}
	return out
}

// Compare orders two non-NULL strings.
func (c Collation) Compare(a, b []byte) int {
	if c.exact != nil {
		return compareExact(c.exact, a, b, c.pad, c.input)
	}
	switch c.fold {
	case foldCase:
		return compareRunes(a, b, c.weight, c.pad, c.input)
	case foldCaseThenBinary:
		if r := compareRunes(a, b, c.weight, c.pad, c.input); r != 0 {
			return r
		}
	}
	if w := c.binaryWeight(); w != nil {
		return compareRunes(a, b, w, c.pad, c.input)
	}
	return compareBytes(a, b, c.pad)
}

// binaryWeight is what a binary-order collation orders characters by when
// the bytes as received do not order as the server's (latin1 bytes of a
// Unicode column, which orders by code point; UTF-8 of a latin1 column,
// which orders by latin1 byte); nil when they do.
func (c Collation) binaryWeight() func(rune) rune {
	switch {
	case c.Name == "binary", c.byteOrder == c.input.cs:
		return nil // never converted, or received in its own bytes
	case c.byteOrder != nil:
		return c.byteOrder.byteOf
	}
	return func(r rune) rune { return r } // code point order
}

// Key returns bytes that are equal exactly when Compare says the strings
// are equal, for hashing.
func (c Collation) Key(s []byte) []byte {
	if c.exact != nil {
		return keyExact(c.exact, s, c.pad, c.input)
	}
	if c.pad {
		s = bytes.TrimRight(s, " ")
	}
	if c.fold != foldCase {
		return s
	}
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		r, n := c.input.decode(s)
		out = utf8.AppendRune(out, c.weight(r))
		s = s[n:]
	}
	return out
}

// weight maps a rune to its case- (and accent-) insensitive weight.
func (c Collation) weight(r rune) rune {
	if c.suppEqual && r > 0xFFFF {
		return 0xFFFD
	}
	if c.accents {
		r = stripAccent(r)
	}
	return unicode.ToUpper(r)
}

// compareBytes orders strings by byte, which for UTF-8 is code point
// order. With pad, the shorter string is compared as if padded with
// spaces, so "a" = "a  " and "a\t" < "a".
func compareBytes(a, b []byte, pad bool) int {
	n := min(len(a), len(b))
	if c := bytes.Compare(a[:n], b[:n]); c != 0 || len(a) == len(b) {
		return c
	}
	if !pad {
		return cmp.Compare(len(a), len(b))
	}
	if len(a) > n {
		return tailVsSpaces(a[n:], func(r rune) rune { return r }, textInput{})
	}
	return -tailVsSpaces(b[n:], func(r rune) rune { return r }, textInput{})
}

// compareRunes orders strings rune by rune by weight, with the same PAD
// rule as compareBytes.
func compareRunes(a, b []byte, weight func(rune) rune, pad bool, in textInput) int {
	for len(a) > 0 && len(b) > 0 {
		ra, na := in.decode(a)
		rb, nb := in.decode(b)
		if wa, wb := weight(ra), weight(rb); wa != wb {
			return cmp.Compare(wa, wb)
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case len(a) == len(b):
		return 0
	case !pad:
		return cmp.Compare(len(a), len(b))
	case len(a) > 0:
		return tailVsSpaces(a, weight, in)
	}
	return -tailVsSpaces(b, weight, in)
}

// tailVsSpaces compares the rest of the longer string with spaces.
func tailVsSpaces(rest []byte, weight func(rune) rune, in textInput) int {
	for len(rest) > 0 {
		r, n := in.decode(rest)
		if w := weight(r); w != ' ' {
			return cmp.Compare(w, ' ')
		}
		rest = rest[n:]
	}
	return 0
}

// decodeRune decodes UTF-8, reading an invalid byte as a Latin-1 code
// point so latin1 text still compares sensibly.
func decodeRune(b []byte) (rune, int) {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n == 1 {
		return rune(b[0]), 1
	}
	return r, n
}

// accentBase gives the unaccented upper-case letter for U+00C0..U+017F;
// '.' keeps the character as it is.
const accentBase = "AAAAAA.CEEEEIIIIDNOOOOO.OUUUUY.S" + // U+00C0
	"AAAAAA.CEEEEIIIIDNOOOOO.OUUUUY.Y" + // U+00E0
	"AAAAAACCCCCCCCDDDDEEEEEEEEEEGGGGGGGGHHHHIIIIIIIIII..JJKK." + // U+0100
	"LLLLLLLLLLNNNNNN...OOOOOO..RRRRRRSSSSSSSSTTTTTTUUUUUUUUUUUUWWYYYZZZZZZS" // U+0139

func stripAccent(r rune) rune {
	if r < 0xC0 || r > 0x17F {
		return r
	}
	if b := accentBase[r-0xC0]; b != '.' {
		return rune(b)
	}
	return r
}
