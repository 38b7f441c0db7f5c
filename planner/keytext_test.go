package planner

import (
	"testing"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// A text key's literal is read in the character set it is written in:
// an introducer's, N's (utf8mb3), raw bytes for a bare hex literal, else
// the client's; Strata places it by its UTF-8.
func TestKeyLiteralsAreReadInTheirCharacterSet(t *testing.T) {
	for _, tt := range []struct {
		lit, client string
		want        string
		routed      bool
	}{
		{"'\x8aimon'", "latin1", "Šimon", true},
		{"'Šimon'", "utf8mb4", "Šimon", true},
		{"_latin1 X'8a696d6f6e'", "utf8mb4", "Šimon", true},
		{"_latin1'\x8aimon'", "utf8mb4", "Šimon", true},
		{"_utf8mb4'Šimon'", "latin1", "Šimon", true},
		{"N'Šimon'", "latin1", "Šimon", true},
		{"X'C5A0696D6F6E'", "latin1", "Šimon", true}, // bytes as they are
		{"'\xc0\xc1'", "cp1251", "АБ", true},
		{"'abc'", "gbk", "abc", true},
		{"'\xc4\xe3'", "gbk", "", false}, // a gbk character: not read
		{"'plain'", "", "plain", true},
	} {
		v, ok := value(sqlparse.Operand{Literal: tt.lit}, nil, shard.KeyTypeText, false, tt.client)
		if ok != tt.routed {
			t.Errorf("%q from a %s client: routed %v, want %v", tt.lit, tt.client, ok, tt.routed)
			continue
		}
		if got, _ := v.Str(); ok && got != tt.want {
			t.Errorf("%q from a %s client: placed as %q, want %q", tt.lit, tt.client, got, tt.want)
		}
	}
}
