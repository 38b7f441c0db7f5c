package engine

import (
	"math/big"
	"testing"
)

func TestDecimalSum(t *testing.T) {
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"0.1", "0.2"}, "0.3"},
		{[]string{"1.50", "2.5"}, "4.00"},
		{[]string{"-1.25", "1"}, "-0.25"},
		{[]string{"9223372036854775807", "9223372036854775807"}, "18446744073709551614"},
		{[]string{"0.001", "-0.001"}, "0.000"},
		{[]string{"-0.05"}, "-0.05"},
		{[]string{"007"}, "7"},
	}
	for _, tt := range tests {
		var sum decimal
		for _, p := range tt.parts {
			d, err := parseDecimal([]byte(p))
			if err != nil {
				t.Fatal(err)
			}
			sum.add(d)
		}
		if got := sum.String(); got != tt.want {
			t.Errorf("sum %v = %s, want %s", tt.parts, got, tt.want)
		}
	}
	for _, bad := range []string{"", "-", "1e5", "1.2.3", "abc"} {
		if _, err := parseDecimal([]byte(bad)); err == nil {
			t.Errorf("parseDecimal(%q) accepted", bad)
		}
	}
}

func TestDecimalDiv(t *testing.T) {
	tests := []struct {
		sum   string
		count int64
		want  string
	}{
		{"10", 4, "2.5000"},
		{"2", 3, "0.6667"},
		{"-2", 3, "-0.6667"},
		{"1", 8, "0.1250"},
		{"0.00005", 1, "0.000050000"},
		{"1.00", 3, "0.333333"},
		{"5", 2000000, "0.0000"}, // 0.0000025 rounds down
		{"1", 20000, "0.0001"},   // 0.00005: half rounds away from zero
		{"-1", 20000, "-0.0001"},
	}
	for _, tt := range tests {
		d, _ := parseDecimal([]byte(tt.sum))
		if got := d.div(big.NewInt(tt.count)).String(); got != tt.want {
			t.Errorf("%s / %d = %s, want %s", tt.sum, tt.count, got, tt.want)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	tenth, fifth := 0.1, 0.2
	tests := []struct {
		f    float64
		want string
	}{
		{3, "3"},
		{1.5, "1.5"},
		{-0.25, "-0.25"},
		{1e21, "1e21"},
		{1.5e-7, "1.5e-7"},
		{1000000, "1000000"},
		{tenth + fifth, "0.30000000000000004"},
	}
	for _, tt := range tests {
		if got := formatFloat(tt.f); got != tt.want {
			t.Errorf("formatFloat(%v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}
