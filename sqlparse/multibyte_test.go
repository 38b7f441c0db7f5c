package sqlparse

import (
	"testing"

	"github.com/strata-proxy/strata/engine"
)

func TestMultibyteMask(t *testing.T) {
	tests := []struct {
		charset, text, want string
		masked              bool
	}{
		{"sjis", "SELECT '\x95\x5c'", "SELECT '" + mask + "'", true},               // 表: 0x5C second byte
		{"SJIS", "SELECT `\x83\x60` FROM t", "SELECT `" + mask + "` FROM t", true}, // a backquote second byte
		{"cp932", "SELECT 'x\x95\x5cy\x95\x40'", "SELECT 'x" + mask + "y" + mask + "'", true},
		{"sjis", "SELECT '\x82\xa0'", "SELECT '\x82\xa0'", false},         // あ: two high bytes read alike
		{"sjis", "SELECT '\x95\x95\x5c'", "SELECT '\x95\x95\x5c'", false}, // pairs from the left: 0x9595, then a real backslash
		{"sjis", "SELECT '\xa0\x5c'", "SELECT '\xa0\x5c'", false},         // 0xA0 starts no character
		{"sjis", "SELECT '\x95", "SELECT '\x95", false},                   // a lead byte at the end
		{"gbk", "SELECT '\xbf\x5c'", "SELECT '" + mask + "'", true},
		{"big5", "SELECT '\xa5\x5c'", "SELECT '" + mask + "'", true}, // 功
		{"big5", "SELECT '\x95\x5c'", "SELECT '\x95\x5c'", false},    // 0x95 starts no big5 character
		{"sjis", "SELECT 1", "SELECT 1", false},
	}
	for _, tc := range tests {
		m := MultibyteCharset(tc.charset)
		if m == nil {
			t.Fatalf("%s: not a multibyte charset", tc.charset)
		}
		got, masked := m.Mask(tc.text)
		if got != tc.want || masked != tc.masked {
			t.Errorf("%s %q: %q, %v; want %q, %v", tc.charset, tc.text, got, masked, tc.want, tc.masked)
		}
	}
	for _, name := range []string{"utf8mb4", "utf8", "latin1", "ujis", "euckr", "gb2312", "binary", ""} {
		if MultibyteCharset(name) != nil {
			t.Errorf("%s is read byte for byte as the server reads it, but Mask would run", name)
		}
	}
	// A handshake's collation id, as the session reads it.
	for id, want := range map[uint16]string{13: "sjis", 95: "cp932", 28: "gbk", 1: "big5", 45: "", 224: "", 8: ""} {
		got := ""
		if m := MultibyteCharset(engine.CharsetOfCollation(id)); m != nil {
			got = m.Name()
		}
		if got != want {
			t.Errorf("collation %d: %q, want %q", id, got, want)
		}
	}
}

// Masked, a statement reads as the server reads it: the write that
// follows a string ending in 表 is seen.
func TestMaskedTextReadsAsTheServer(t *testing.T) {
	text := "SELECT '\x95\x5c' AS a; INSERT INTO t VALUES (1); -- '"
	if f, err := Parse(text); err != nil || len(f) != 1 || !f[0].ReadOnly {
		t.Fatalf("the premise: read byte for byte, %q is one read (%d statements, %v)", text, len(f), err)
	}
	masked, _ := MultibyteCharset("sjis").Mask(text)
	f, err := Parse(masked)
	if err != nil || len(f) != 2 || f[1].ReadOnly {
		t.Fatalf("masked %q: %d statements (%v), want a SELECT and an INSERT", masked, len(f), err)
	}
}
