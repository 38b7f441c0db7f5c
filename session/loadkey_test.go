package session

import "testing"

// A key field the column would store otherwise than the file gives it
// (cut short, or the nearest integer the type holds) is found, with the
// column's limit read from its COLUMN_TYPE; one it holds is not.
func TestKeyLimitFindsKeysTheColumnWouldChange(t *testing.T) {
	for _, c := range []struct {
		columnType, field string
		outside           bool
	}{
		{"int(11)", "2147483647", false},
		{"int(11)", "2147483648", true},
		{"int(11)", "-2147483649", true},
		{"int(10) unsigned", "4294967295", false},
		{"int(10) unsigned", "-1", true},
		{"tinyint(4)", "+127", false},
		{"tinyint(4)", "128", true},
		{"smallint(5) unsigned", "65536", true},
		{"mediumint(9)", "-8388608", false},
		{"bigint(20)", "9223372036854775807", false},
		{"bigint(20)", "9223372036854775808", true},
		{"bigint(20) unsigned", "18446744073709551615", false},
		{"bigint(20) unsigned", "-5", true},
		{"int(11)", "abc", false}, // no integer: refused elsewhere
		{"varchar(4)", "abcd", false},
		{"varchar(4)", "ab€d", false}, // characters, not bytes
		{"varchar(4)", "abcde", true},
		{"varbinary(4)", "ab€", true}, // bytes
		{"char(2)", "abc", true},
		{"text", "anything long", false},
		{"decimal(10,2)", "1e99", false},
	} {
		l := keyLimitOf(c.columnType)
		why := l.outside([]byte(c.field), c.field)
		if (why != "") != c.outside {
			t.Errorf("%s holding %q: outside %q, want outside %v", c.columnType, c.field, why, c.outside)
		}
	}
}
