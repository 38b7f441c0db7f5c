package engine

import "testing"

// The expectations of the exact collations are the server's answers
// (STRCMP on MariaDB 10.11); test/collation_test.go compares many more
// strings with a live server.
func TestCollationCompare(t *testing.T) {
	tests := []struct {
		coll string
		a, b string
		want int
	}{
		{"binary", "a", "b", -1},
		{"binary", "a", "a ", -1}, // NO PAD
		{"binary", "B", "a", -1},
		{"utf8mb4_bin", "a", "a  ", 0}, // PAD SPACE
		{"utf8mb4_bin", "a\t", "a", -1},
		{"utf8mb4_bin", "a", "a\t", 1},
		{"utf8mb4_bin", "B", "a", -1},
		{"utf8mb4_bin", "é", "z", 1}, // code point order
		{"utf8mb4_general_ci", "abc", "ABC", 0},
		{"utf8mb4_general_ci", "abc", "ABD", -1},
		{"utf8mb4_general_ci", "a", "B", -1},
		{"utf8mb4_general_ci", "a ", "A", 0},
		{"utf8mb4_general_ci", "résumé", "RESUME", 0},
		{"utf8mb4_general_ci", "Ærø", "ÆRØ", 0},
		{"utf8mb4_general_ci", "Ærø", "ÆRO", 1},         // ø is not o in general_ci (the server's weights)
		{"utf8mb4_unicode_ci", "straße", "STRASSE", 0},  // ß = ss in UCA
		{"utf8mb4_unicode_ci", "a_b", "aab", -1},        // '_' sorts before letters in UCA
		{"utf8mb4_general_ci", "a_b", "aab", 1},         // and after letters in general_ci,
		{"utf8mb4_general_ci", "a_b", "aZb", 1},         // which weigh as upper case
		{"utf8mb4_unicode_520_ci", "😀", "😃", -1},        // UCA 5.2 weighs supplementary characters apart
		{"utf8mb4_unicode_ci", "😀", "😃", 0},             // UCA 4.0 does not
		{"utf8mb4_unicode_ci", "a\u00a0", "a", 0},       // a no-break space weighs as a space: padding
		{"utf8mb4_unicode_ci", "a\u0300", "à", 0},       // a combining accent weighs nothing
		{"utf8mb4_general_ci", "straße", "STRASSE", -1}, // ß = S, no expansion
		{"utf8mb4_general_ci", "😀", "😃", 0},             // supplementary chars weigh the same
		{"utf8mb4_0900_ai_ci", "😀", "😃", -1},
		{"utf8mb4_0900_ai_ci", "a", "a ", -1}, // NO PAD
		{"utf8mb4_0900_ai_ci", "Ä", "a", 0},
		{"utf8mb4_0900_as_ci", "Ä", "a", 1}, // accent sensitive
		{"utf8mb4_0900_as_ci", "Ä", "ä", 0},
		{"utf8mb4_unicode_ci", "zebra", "Apple", 1},
		{"latin1_swedish_ci", "\xe9t\xe9", "ETE", 0}, // latin1 bytes
		{"latin1_swedish_ci", "über", "yber", 0},     // ü = y in Swedish
		{"latin1_swedish_ci", "Åsa", "Zeta", 1},      // Å after Z
		{"latin1_general_cs", "a", "B", -1},
		{"latin1_general_cs", "B", "b", -1},
		{"latin1_general_cs", "b", "b ", 0},
		{"utf8mb4_general_nopad_ci", "a", "A ", -1},
	}
	for _, tt := range tests {
		c, err := CollationByName(tt.coll)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Compare([]byte(tt.a), []byte(tt.b))
		if got != tt.want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d", tt.coll, tt.a, tt.b, got, tt.want)
		}
		if back := c.Compare([]byte(tt.b), []byte(tt.a)); back != -tt.want {
			t.Errorf("%s: Compare(%q, %q) = %d, not antisymmetric", tt.coll, tt.b, tt.a, back)
		}
		keyEq := string(c.Key([]byte(tt.a))) == string(c.Key([]byte(tt.b)))
		if keyEq != (tt.want == 0) {
			t.Errorf("%s: Key(%q) == Key(%q) is %v, but Compare = %d", tt.coll, tt.a, tt.b, keyEq, tt.want)
		}
	}
}

func TestCollationLookup(t *testing.T) {
	for id, name := range collationNames {
		c, err := CollationByID(id)
		if err != nil || c.Name != name {
			t.Errorf("CollationByID(%d) = %v, %v; want %s", id, c.Name, err, name)
		}
	}
	if _, err := CollationByID(9999); err == nil {
		t.Errorf("unknown collation id accepted")
	}
	if _, err := CollationByName("utf8mb4_ja_0900_as_cs_ks"); err == nil {
		t.Errorf("unsupported collation name accepted")
	}
	if len(accentBase) != 0x180-0xC0 {
		t.Errorf("accentBase has %d entries, want %d", len(accentBase), 0x180-0xC0)
	}
	for r, want := range map[rune]rune{'é': 'E', 'Ł': 'L', 'ſ': 'S', 'ĳ': 'ĳ', 'Ž': 'Z', '×': '×'} {
		if got := stripAccent(r); got != want {
			t.Errorf("stripAccent(%q) = %q, want %q", r, got, want)
		}
	}
}

// UCA 14.0 weighs some sequences as one: a letter and a combining mark
// (И + U+0306 = Й), Thai's prevowel and its consonant (เก sorts as กเ),
// Tibetan's three-part vowel. The expectations are MariaDB 10.11's STRCMP
// under utf8mb4_uca1400_ai_ci; with a table per code point only, the
// Thai, Cyrillic and Tibetan rows come out otherwise.
func TestUCA1400WeighsContractionsAsTheServer(t *testing.T) {
	c, err := CollationByName("utf8mb4_uca1400_ai_ci")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Exact() {
		t.Error("uca1400_ai_ci not reported exact")
	}
	if _, err := KeyFold("utf8mb4_uca1400_nopad_ai_ci"); err != nil {
		t.Errorf("key_collation refused uca1400: %v", err)
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"й", "й", 0},
		{"й", "и", 1},
		{"เก", "กเ", 0},
		{"เก", "ข", -1},
		{"เ", "ข", 1},
		{"l·a", "la", 0},
		{"ྲཱྀ", "ྲྀ", 1},
		{"Straße", "STRASSE", 0},
		{"é", "E", 0},
	} {
		if got := c.Compare([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, the server says %d", tc.a, tc.b, got, tc.want)
		}
		if keyEq := string(c.Key([]byte(tc.a))) == string(c.Key([]byte(tc.b))); keyEq != (tc.want == 0) {
			t.Errorf("Key(%q) == Key(%q) is %v, the server says %d", tc.a, tc.b, keyEq, tc.want)
		}
	}
}

// The latin1 collations besides swedish are tables from the server too:
// german2 expands (Ä = AE), general_cs orders case apart, danish puts Æ
// after Z. Expectations from MariaDB 10.11's STRCMP.
func TestLatin1CollationsAreExact(t *testing.T) {
	for _, tc := range []struct {
		coll, a, b string
		want       int
	}{
		{"latin1_german2_ci", "Äpfel", "aepfel", 0},
		{"latin1_german1_ci", "Äpfel", "apfel", 0},
		{"latin1_general_cs", "a", "A", 1},
		{"latin1_general_ci", "a", "A", 0},
		{"latin1_danish_ci", "Æble", "zebra", 1},
	} {
		c, err := ExactCollation(tc.coll)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Compare([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("%s: Compare(%q, %q) = %d, the server says %d", tc.coll, tc.a, tc.b, got, tc.want)
		}
	}
}

// Every embedded weight table loads, and knows the space weight that PAD
// SPACE compares with.
func TestWeightTablesLoad(t *testing.T) {
	for name, tbl := range exactTables {
		tbl.load()
		if len(tbl.off) != 0x10001 || tbl.space == 0 {
			t.Errorf("%s: %d offsets, space weight %#x", name, len(tbl.off), tbl.space)
		}
	}
}

// Compare on the merge path: the exact tables against the approximation
// of a collation Strata has no table for.
func BenchmarkCollationCompare(b *testing.B) {
	for _, name := range []string{"utf8mb4_general_ci", "utf8mb4_unicode_ci", "utf8mb4_uca1400_ai_ci", "latin1_swedish_ci", "latin1_german2_ci", "utf8mb4_bin"} {
		c, err := CollationByName(name)
		if err != nil {
			b.Fatal(err)
		}
		x, y := []byte("Strata Résumé straße 42"), []byte("STRATA RESUME STRASSE 43")
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				c.Compare(x, y)
			}
		})
	}
}
