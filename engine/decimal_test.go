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
		if got := d.div(big.NewInt(tt.count), divPrecisionIncrement).String(); got != tt.want {
			t.Errorf("%s / %d = %s, want %s", tt.sum, tt.count, got, tt.want)
		}
	}
	// Other div_precision_increment values: a scale that fills whole
	// 9-digit words is cut where the server's computation ends.
	for _, tt := range []struct {
		sum       string
		count     int64
		increment int
		want      string
	}{
		{"35", 2, 0, "17"},                 // 17.5, cut
		{"-35", 2, 0, "-17"},               // toward zero
		{"22047", 1200, 2, "18.37"},        // rounded
		{"22047", 1200, 9, "18.372500000"}, // exact
		{"1", 3, 9, "0.333333333"},         // cut
		{"2", 3, 9, "0.666666666"},         // cut, not rounded up
		{"2", 3, 8, "0.66666667"},          // rounded from the ninth digit
		{"2.00", 3, 0, "0.67"},             // scale 2: rounded from 9 digits
		{"2.00", 3, 7, "0.666666666"},      // scale 9: cut
		{"2", 3, 10, "0.6666666667"},       // 18 digits computed, rounded
	} {
		d, _ := parseDecimal([]byte(tt.sum))
		if got := d.div(big.NewInt(tt.count), tt.increment).String(); got != tt.want {
			t.Errorf("%s / %d with increment %d = %s, want %s", tt.sum, tt.count, tt.increment, got, tt.want)
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

// A sum or average kept with more digits than the server shows is
// rounded half away from zero to the shown scale.
func TestDecimalRoundToAndDivHeld(t *testing.T) {
	for _, tt := range []struct {
		in    string
		scale int
		want  string
	}{
		{"4972.285714285000000000000000000000", 4, "4972.2857"},
		{"2272.666666666700000000", 4, "2272.6667"},
		{"-0.000050000", 4, "-0.0001"},
		{"12.5", 0, "13"},
		{"7.25", 4, "7.2500"},
	} {
		d, err := parseDecimal([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := d.roundTo(tt.scale).String(); got != tt.want {
			t.Errorf("roundTo(%s, %d) = %s, want %s", tt.in, tt.scale, got, tt.want)
		}
	}
	// An average of exact sums (the shards' CAST(SUM(x / 7) AS
	// DECIMAL(65,30))): divided as the server divides the sum it holds.
	for _, tt := range []struct {
		sum              string
		n                int64
		shown, increment int
		want             string
	}{
		{"30.000000000000000000000000000000", 9, 4, 4, "3.33333333"},
		// Summed row by row: nine digits held, eighteen in the quotient
		// (one server: 2.624622977438579654, shown 2.62462298).
		{"2734.857142491000000000000000000000", 1042, 4, 4, "2.62462298"},
		// Summed into a grouped query's table: four held, nine in the
		// quotient, 2.665345816 (the eighteen would be 2.665345816733).
		{"669.001800000000000000000000000000", 251, 4, 4, "2.66534582"},
		{"669.001800000000000000000000000000", 251, 4, 8, "2.665345816733"},
		// div_precision_increment 0: every quotient cut to a whole number.
		{"2.000000000000000000000000000000", 3, 0, 0, "0"},
		{"-20.000000000", 3, 0, 4, "-6.6667"},
		{"1", 2, 0, 0, "0"},
	} {
		d, err := parseDecimal([]byte(tt.sum))
		if err != nil {
			t.Fatal(err)
		}
		if got := d.divHeld(big.NewInt(tt.n), tt.shown, tt.increment).String(); got != tt.want {
			t.Errorf("divHeld(%s / %d, shown %d, increment %d) = %s, want %s", tt.sum, tt.n, tt.shown, tt.increment, got, tt.want)
		}
	}
}
