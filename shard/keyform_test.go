package shard

import "testing"

// A key of a type Strata does not model is routed by a text-placing method
// only when spelled as the server prints it; a BINARY key is placed as
// the server stores it, padded with zero bytes.
func TestKeyFormsKnowTheServersSpelling(t *testing.T) {
	for _, tc := range []struct {
		columnType string
		printed    []string
		other      []string
	}{
		{"date", []string{"2024-03-02", "1999-12-31"}, []string{"2024-3-2", "20240302", "2024/03/02", "2024-03-02 00:00:00", "2024-02-30", "0000-00-00"}},
		{"datetime", []string{"2024-03-02 10:00:00"}, []string{"2024-03-02 10:00", "2024-03-02T10:00:00", "2024-03-02 10:00:00.0", "2024-03-02"}},
		{"datetime(3)", []string{"2024-03-02 10:00:00.120"}, []string{"2024-03-02 10:00:00.12", "2024-03-02 10:00:00"}},
		{"year(4)", []string{"2024", "1901", "2155", "0000"}, []string{"24", "99", "0", "1900", "2156", "02024"}},
		{"decimal(6,2)", []string{"1.50", "0.00", "-3.25", "1234.00"}, []string{"1.5", "2", "01.50", "-0.00", "+1.50", "1.500", ".50", "1e1"}},
		{"decimal(10,0)", []string{"12", "0", "-7"}, []string{"12.0", "012", "-0"}},
		{"enum('a','it''s','B')", []string{"a", "it's", "B"}, []string{"A", "b", "1", "it''s", ""}},
		{"blob", []string{"anything", "\x00\x01"}, nil},
		{"double", nil, []string{"1.5", "2"}},
		{"timestamp", nil, []string{"2024-03-02 10:00:00"}},
		{"bit(8)", nil, []string{"1"}},
	} {
		l := KeyLimitOf(tc.columnType)
		for _, s := range tc.printed {
			if !l.Printed(s) {
				t.Errorf("%s: %q is how the server prints it, taken as not", tc.columnType, s)
			}
		}
		for _, s := range tc.other {
			if l.Printed(s) {
				t.Errorf("%s: %q is not how the server prints it, taken as it", tc.columnType, s)
			}
		}
	}
	for _, tc := range []struct {
		columnType, in, want string
		changed              bool
	}{
		{"binary(4)", "c", "c\x00\x00\x00", true},
		{"binary(4)", "abcd", "abcd", false},
		{"binary(4)", "abcdef", "abcd", true},
		{"varbinary(4)", "c", "c", false},
	} {
		got, changed, ok := KeyLimitOf(tc.columnType).Stored(String(tc.in))
		if s, _ := got.Str(); !ok || s != tc.want || changed != tc.changed {
			t.Errorf("%s stores %q as %q (changed %v, ok %v), want %q (changed %v)", tc.columnType, tc.in, s, changed, ok, tc.want, tc.changed)
		}
	}
}
