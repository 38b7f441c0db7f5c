package engine

import "testing"

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
		{"utf8mb4_general_ci", "Ærø", "ÆRO", 0},
		{"utf8mb4_general_ci", "straße", "STRASSE", -1}, // ß = S, no expansion
		{"utf8mb4_general_ci", "😀", "😃", 0},             // supplementary chars weigh the same
		{"utf8mb4_0900_ai_ci", "😀", "😃", -1},
		{"utf8mb4_0900_ai_ci", "a", "a ", -1}, // NO PAD
		{"utf8mb4_0900_ai_ci", "Ä", "a", 0},
		{"utf8mb4_0900_as_ci", "Ä", "a", 1}, // accent sensitive
		{"utf8mb4_0900_as_ci", "Ä", "ä", 0},
		{"utf8mb4_unicode_ci", "zebra", "Apple", 1},
		{"latin1_swedish_ci", "\xe9t\xe9", "ETE", 0}, // latin1 bytes
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
