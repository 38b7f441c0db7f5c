package engine

import (
	"errors"
	"testing"
)

// Text arrives in the connection's character set, not the column's: a
// latin1 client reads a utf8mb4 column as latin1 bytes (MariaDB's latin1
// is Windows-1252: 0x8A is Š, 0x80 €, 0x91 ‘), a utf8mb4 client reads a
// latin1 column as UTF-8. Expectations are MariaDB 10.11's ORDER BY.
func TestTextComparesInTheConnectionsCharacterSet(t *testing.T) {
	const latin1, utf8mb4, gbk, cp1251 = 8, 45, 28, 51
	text := func(id uint16, collation string) Column {
		c := col("s", TypeVarString, id)
		c.Collation = collation
		return c
	}
	for _, tc := range []struct {
		what string
		col  Column
		a, b string
		want int
	}{
		{"Š is S in general_ci, read as latin1", text(latin1, "utf8mb4_general_ci"), "\x8aimon", "Zed", -1},
		{"Š = S, read as latin1", text(latin1, "utf8mb4_general_ci"), "\x8aam", "sam", 0},
		{"‘ after letters, read as latin1", text(latin1, "utf8mb4_unicode_ci"), "\x91q", "z", -1},
		{"€ (U+20AC) after é (U+00E9) in utf8mb4_bin, read as latin1", text(latin1, "utf8mb4_bin"), "\x80", "\xe9", 1},
		{"€ (0x80) before é (0xE9) in latin1_bin, read as UTF-8", text(utf8mb4, "latin1_bin"), "€", "é", -1},
		{"latin1_bin read as latin1: its bytes", text(latin1, "latin1_bin"), "\x80", "\xe9", -1},
		{"utf8mb4_bin read as UTF-8: its bytes", text(utf8mb4, "utf8mb4_bin"), "€", "é", 1},
		{"ё = Е in general_ci, read as cp1251", text(cp1251, "utf8mb4_general_ci"), "\xb8", "\xc5", 0},
		{"ж before Жа, read as cp1251", text(cp1251, "utf8mb4_general_ci"), "\xe6", "\xc6\xe0", -1},
		{"я after Ю in unicode_ci, read as cp1251", text(cp1251, "utf8mb4_unicode_ci"), "\xff", "\xde", 1},
		{"Ўа before ф in unicode_ci, read as cp1251", text(cp1251, "utf8mb4_unicode_ci"), "\xa1\xe0", "\xf4", -1},
		{"ё (0xB8) before а (0xE0) in cp1251_bin, read as UTF-8", text(utf8mb4, "cp1251_bin"), "ё", "а", -1},
		{"the stored bytes (character_set_results binary) of a latin1 column: Š after s", text(63, "latin1_german1_ci"), "\x8aam", "sam", 1},
	} {
		f, err := ValueComparer(tc.col, "")
		if err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		if got := f(Value(tc.a), Value(tc.b)); got != tc.want {
			t.Errorf("%s: compare(%q, %q) = %d, want %d", tc.what, tc.a, tc.b, got, tc.want)
		}
		coll, err := ColumnCollation(tc.col)
		if err != nil {
			t.Fatal(err)
		}
		if keyEq := string(coll.Key([]byte(tc.a))) == string(coll.Key([]byte(tc.b))); keyEq != (tc.want == 0) {
			t.Errorf("%s: keys equal %v, want %v", tc.what, keyEq, tc.want == 0)
		}
	}
	// Bytes of a character set Strata does not read are not compared.
	_, err := ValueComparer(text(gbk, "utf8mb4_general_ci"), "")
	var cerr *CollationUnknownError
	if !errors.As(err, &cerr) {
		t.Errorf("text received in gbk: %v, want a refusal", err)
	}
}

// Every single-byte character set loads as MariaDB converts it.
func TestSingleByteCharsetsLoad(t *testing.T) {
	for _, tc := range []struct {
		charset string
		b       byte
		want    rune
	}{
		{"latin1", 0x80, '€'}, {"latin1", 0x8A, 'Š'}, {"latin1", 0xE9, 'é'},
		{"cp1251", 0xC0, 'А'}, {"cp1251", 0xB8, 'ё'}, {"koi8r", 0xC1, 'а'},
		{"latin2", 0xB1, 'ą'}, {"greek", 0xE1, 'α'},
	} {
		cs := singleByteCharset(tc.charset)
		if cs == nil {
			t.Fatalf("%s not loaded", tc.charset)
		}
		if got := cs.toUni[tc.b]; got != tc.want {
			t.Errorf("%s byte %#x = %q, want %q", tc.charset, tc.b, got, tc.want)
		}
		if got := cs.byteOf(tc.want); got != rune(tc.b) {
			t.Errorf("%s stores %q as %#x, want %#x", tc.charset, tc.want, got, tc.b)
		}
	}
	if singleByteCharset("utf8mb4") != nil || singleByteCharset("gbk") != nil {
		t.Error("a multi-byte character set taken for a single-byte one")
	}
}
