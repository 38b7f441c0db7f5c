package shard

import (
	"math"
	"testing"
	"time"
)

func TestParseLiteral(t *testing.T) {
	june3 := time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want Value
	}{
		{"NULL", Null()},
		{" null ", Null()},
		{"123", Int(123)},
		{"-5", Int(-5)},
		{"+7", Int(7)},
		{"-0", Int(0)},
		{"007", Int(7)},
		{"9223372036854775807", Int(math.MaxInt64)},
		{"18446744073709551615", Uint(math.MaxUint64)},
		{"TRUE", Int(1)},
		{"false", Int(0)},
		{"'abc'", String("abc")},
		{`"abc"`, String("abc")},
		{"''", String("")},
		{`'it''s'`, String("it's")},
		{`'it\'s'`, String("it's")},
		{`'a\nb\\c\0'`, String("a\nb\\c\x00")},
		{`'50\%'`, String(`50\%`)},
		{"_utf8mb4'abc'", String("abc")},
		{"N'abc'", String("abc")},
		{"X'616263'", String("abc")},
		{"0x616263", String("abc")},
		{"0x1", String("\x01")},
		{"'2024-06-03 10:00:00'", String("2024-06-03 10:00:00")},
		{"2024-06-03 10:00:00", Time(june3)},
		{"2024-06-03", Time(time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC))},
		{"DATE '2024-06-03'", Time(time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC))},
		{"timestamp '2024-06-03 10:00:00'", Time(june3)},
		{"2024-06-03 10:00:00.25", Time(june3.Add(250 * time.Millisecond))},
	}
	for _, tt := range tests {
		got, err := ParseLiteral(tt.in)
		if err != nil {
			t.Errorf("ParseLiteral(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseLiteral(%q) = %v (%v), want %v (%v)", tt.in, got, got.Kind(), tt.want, tt.want.Kind())
		}
	}
}

func TestParseLiteralErrors(t *testing.T) {
	for _, in := range []string{
		"", "1.5", "1e3", "'abc", "'a'b'", "abc", "X'6'", "0xZZ", "DATE 'nope'",
		"99999999999999999999999",
	} {
		if v, err := ParseLiteral(in); err == nil {
			t.Errorf("ParseLiteral(%q) = %v, want error", in, v)
		}
	}
}

func TestValueCanonical(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Int(-5), "-5"},
		{Uint(5), "5"},
		{Uint(math.MaxUint64), "18446744073709551615"},
		{String("abc"), "abc"},
		{Time(time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)), "2024-06-03 10:00:00"},
		{Time(time.Date(2024, 6, 3, 10, 0, 0, 1000, time.UTC)), "2024-06-03 10:00:00.000001"},
		{Null(), ""},
	}
	for _, tt := range tests {
		if got := string(tt.v.Canonical()); got != tt.want {
			t.Errorf("%v.Canonical() = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestTimeDropsLocation(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	local := Time(time.Date(2024, 6, 3, 10, 0, 0, 0, tokyo))
	utc := Time(time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC))
	if local != utc {
		t.Fatalf("Time keeps the wall clock: got %v, want %v", local, utc)
	}
}
