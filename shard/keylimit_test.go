package shard

import "testing"

// A key the column cannot hold as given is placed by what MariaDB stores:
// an integer as its type's nearest bound, a text cut to the column's
// characters (bytes for a binary column); one it holds is kept.
func TestKeyLimitGivesTheStoredKey(t *testing.T) {
	for _, c := range []struct {
		columnType, given, want string
		changed                 bool
	}{
		{"int(11)", "2147483647", "2147483647", false},
		{"int(11)", "2147483648", "2147483647", true},
		{"int(11)", "-2147483649", "-2147483648", true},
		{"int(10) unsigned", "4294967295", "4294967295", false},
		{"int(10) unsigned", "4294967296", "4294967295", true},
		{"int(10) unsigned", "-1", "0", true},
		{"tinyint(4)", "+127", "127", false},
		{"tinyint(4)", "128", "127", true},
		{"tinyint(3) unsigned", "-128", "0", true},
		{"smallint(5) unsigned", "65536", "65535", true},
		{"mediumint(9)", "-8388608", "-8388608", false},
		{"mediumint(9)", "-8388609", "-8388608", true},
		{"bigint(20)", "9223372036854775807", "9223372036854775807", false},
		{"bigint(20)", "9223372036854775808", "9223372036854775807", true},
		{"bigint(20)", "-99999999999999999999", "-9223372036854775808", true},
		{"bigint(20) unsigned", "18446744073709551615", "18446744073709551615", false},
		{"bigint(20) unsigned", "99999999999999999999", "18446744073709551615", true},
		{"bigint(20) unsigned", "-5", "0", true},
		{"varchar(4)", "abcd", "abcd", false},
		{"varchar(4)", "ab€d", "ab€d", false}, // characters, not bytes
		{"varchar(4)", "abcde", "abcd", true},
		{"varchar(4)", "ab€de", "ab€d", true},
		{"varchar(3)", "ab   ", "ab ", true}, // spaces are cut as any character
		{"char(2)", "abc", "ab", true},
		{"varbinary(4)", "abcdef", "abcd", true},
		{"binary(2)", "ab", "ab", false},
		{"text", "anything long", "anything long", false},
		{"decimal(10,2)", "1e99", "1e99", false},
		{"timestamp", "2024-03-31 23:30:00", "2024-03-31 23:30:00", false},
	} {
		l := KeyLimitOf(c.columnType)
		got, changed, ok := l.Stored(String(c.given))
		if l.Integer {
			got, changed, ok = l.StoredInteger(c.given)
		}
		if !ok || string(got.Canonical()) != c.want || changed != c.changed {
			t.Errorf("%s given %q: stored %s (changed %v, ok %v), want %s (changed %v)", c.columnType, c.given, got, changed, ok, c.want, c.changed)
		}
	}
}

// Strata cannot cut a binary column's text of characters past ASCII (the
// column holds the client's bytes, Strata has the text as UTF-8), nor
// read a text that is no integer for an integer column: it says so.
func TestKeyLimitSaysWhatItCannotTell(t *testing.T) {
	if _, _, ok := KeyLimitOf("varbinary(2)").Stored(String("é€")); ok {
		t.Error("a cut binary text past ASCII was stored without saying Strata cannot tell")
	}
	if _, _, ok := KeyLimitOf("varbinary(8)").Stored(String("é€")); !ok {
		t.Error("a binary text the column holds whole was refused")
	}
	for _, text := range []string{"abc", "1.5", "--5", "+-5", "", " 5"} {
		if _, _, ok := KeyLimitOf("int(11)").StoredInteger(text); ok {
			t.Errorf("StoredInteger(%q) read a whole number", text)
		}
	}
}

// An operator reads what Strata learned of the key column.
func TestKeyLimitSaysWhatTheColumnHolds(t *testing.T) {
	for columnType, want := range map[string]string{
		"tinyint(4)":          "8-bit signed integer",
		"bigint(20) unsigned": "64-bit unsigned integer",
		"varchar(40)":         "40 characters",
		"varbinary(16)":       "16 bytes",
		"timestamp":           "a moment (TIMESTAMP)",
		"datetime":            "",
	} {
		if got := KeyLimitOf(columnType).String(); got != want {
			t.Errorf("%s holds %q, want %q", columnType, got, want)
		}
	}
}
