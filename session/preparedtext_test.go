package session

import "testing"

// textLiteral writes a computed statement text as the literal Strata
// sends in its place: the server must read back the same bytes.
func TestTextLiteral(t *testing.T) {
	for _, tc := range []struct {
		text        string
		noBackslash bool
		want        string
	}{
		{"SELECT 1", false, "'SELECT 1'"},
		{"", false, "''"},
		{"SELECT 'it''s'", false, "'SELECT ''it''''s'''"},
		{`SELECT 'a\\b'`, false, `'SELECT ''a\\\\b'''`},
		{`SELECT 'a\b'`, true, `'SELECT ''a\b'''`},
		{"SELECT 'é'\n", false, "'SELECT ''é''\n'"},
		{"SELECT '\x00'", false, "X'53454c45435420270027'"},
		{"SELECT '\xff'", false, "X'53454c4543542027ff27'"},
	} {
		if got := string(textLiteral([]byte(tc.text), tc.noBackslash)); got != tc.want {
			t.Errorf("textLiteral(%q, %v) = %s, want %s", tc.text, tc.noBackslash, got, tc.want)
		}
	}
}
