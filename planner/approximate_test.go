package planner

import "testing"

// A DOUBLE literal that names a whole number is that number's key (a
// bound DOUBLE is written so, and Node's mysql2 binds every number as
// one); any other literal is not read this way.
func TestApproximateInteger(t *testing.T) {
	tests := []struct {
		lit  string
		want string
		ok   bool
	}{
		{"6e+00", "6", true},
		{"-1.2E+01", "-12", true},
		{" 5e0 ", "5", true},
		{"9.99999999999999e+14", "999999999999999", true},
		{"1e+15", "", false}, // a text column writes it 1e15
		{"2.5e+00", "", false},
		{"1e-01", "", false},
		{"6", "", false},
		{"6.0", "", false},
		{"'6e0'", "", false},
		{"0x1e", "", false},
		{"X'1e'", "", false},
		{"-0e+00", "0", true},
	}
	for _, tt := range tests {
		got, ok := approximateInteger(tt.lit)
		if got != tt.want || ok != tt.ok {
			t.Errorf("approximateInteger(%q) = %q, %v; want %q, %v", tt.lit, got, ok, tt.want, tt.ok)
		}
	}
}

// A DOUBLE literal as the digits a DECIMAL key column stores.
func TestApproximateDigits(t *testing.T) {
	for lit, want := range map[string]string{"2.5e+00": "2.5", "-1.25E+01": "-12.5", "1e-01": "0.1", "6e+00": "6"} {
		if got, ok := approximateDigits(lit); !ok || got != want {
			t.Errorf("approximateDigits(%q) = %q, %v; want %q", lit, got, ok, want)
		}
	}
	for _, lit := range []string{"2.5", "'2.5e0'", "1e+15", "0x2e"} {
		if got, ok := approximateDigits(lit); ok {
			t.Errorf("approximateDigits(%q) = %q, want none", lit, got)
		}
	}
}

// A typed temporal literal's quoted text, which a key placed by its text
// is placed by.
func TestTemporalText(t *testing.T) {
	for lit, want := range map[string]string{"DATE '2024-06-03'": "'2024-06-03'", "timestamp '2024-06-03 10:20:30.5'": "'2024-06-03 10:20:30.5'", " TIME '10:20' ": "'10:20'"} {
		if got, ok := temporalText(lit); !ok || got != want {
			t.Errorf("temporalText(%q) = %q, %v; want %q", lit, got, ok, want)
		}
	}
	for _, lit := range []string{"'2024-06-03'", "DATE", "DATE 5", "INTERVAL '1' DAY", "DATEX '2024-06-03'"} {
		if got, ok := temporalText(lit); ok {
			t.Errorf("temporalText(%q) = %q, want none", lit, got)
		}
	}
}

func TestShownValue(t *testing.T) {
	for _, tt := range []struct{ lit, want string }{
		{"00000000000000000001", "1"},
		{"-00000041", "-41"},
		{"'Hello'", "Hello"},
		{"DATE '2024-06-03'", "2024-06-03"},
		{"TIMESTAMP '2024-06-03 10:20:30'", "2024-06-03 10:20:30"},
		{"18446744073709551615", "18446744073709551615"},
	} {
		if got := shownValue(tt.lit); got != tt.want {
			t.Errorf("shownValue(%q) = %q, want %q", tt.lit, got, tt.want)
		}
	}
}

func TestOneRowDuplicates(t *testing.T) {
	for _, tt := range []struct {
		form     InsertForm
		affected uint64
		want     uint64
	}{
		{InsertPlain, 1, 0},
		{InsertIgnore, 1, 0},
		{InsertIgnore, 0, 1},
		{InsertReplace, 1, 0},
		{InsertReplace, 2, 1},
		{InsertReplace, 3, 2}, // a row that met two unique keys
		{InsertUpsert, 1, 0},
		{InsertUpsert, 2, 1},
		{InsertUpsert, 0, 0}, // met a row it left as it was
	} {
		if got := tt.form.OneRowDuplicates(tt.affected); got != tt.want {
			t.Errorf("form %d, %d affected: %d duplicates, want %d", tt.form, tt.affected, got, tt.want)
		}
	}
}
