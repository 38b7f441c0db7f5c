package shard

import (
	"math"
	"strings"
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

func TestParseHybrid(t *testing.T) {
	for _, c := range []struct {
		text  string
		n     uint64
		bytes string
		ok    bool
	}{
		{"0x10", 16, "\x10", true},
		{"0x3", 3, "\x03", true},
		{" 0x00ff ", 255, "\x00\xff", true},
		{"0x414243", 0x414243, "ABC", true},
		{"0xFFFFFFFFFFFFFFFF", 1<<64 - 1, strings.Repeat("\xff", 8), true},
		{"b'11'", 3, "\x03", true},
		{"b'1000001'", 65, "A", true},
		{"B'0000000000000001'", 1, "\x00\x01", true},
		{"0b101", 5, "\x05", true},
		{"b''", 0, "", true},
		{"0x1FFFFFFFFFFFFFFFF", 0, "", false}, // beyond 64 bits
		{"X'10'", 0, "", false},               // a string in MariaDB
		{"x'10'", 0, "", false},
		{"_binary 0x10", 0, "", false}, // an introducer makes it a string
		{"16", 0, "", false},
		{"'0x10'", 0, "", false},
		{"0x", 0, "", false},
		{"0xg1", 0, "", false},
		{"b'12'", 0, "", false},
	} {
		n, b, ok := ParseHybrid(c.text)
		if n != c.n || b != c.bytes || ok != c.ok {
			t.Errorf("ParseHybrid(%q) = %d, %q, %v; want %d, %q, %v", c.text, n, b, ok, c.n, c.bytes, c.ok)
		}
	}
}
