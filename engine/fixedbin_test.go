package engine

import (
	"slices"
	"strings"
	"testing"
)

// UUID and INET6 values sort as MariaDB 10.11 sorts them, by the bytes it
// stores, not by their text: the orders below are the ones a server gave
// for ORDER BY over the same values.
func TestFixedBinaryValuesSortAsTheServerStoresThem(t *testing.T) {
	uuid := Column{Name: "u", Type: TypeString, Flags: FlagUnsigned | FlagBinary, Charset: 33, Length: 108}
	inet6 := Column{Name: "ip", Type: TypeString, Flags: FlagUnsigned, Charset: 45, Length: 156}
	for _, tc := range []struct {
		col  Column
		want []string // ascending, as a server sorts them
	}{
		{uuid, []string{
			// version 1 to 5 and the variant's high bit: by node, clock
			// sequence, version and high time, mid time, low time
			"ffffffff-0000-1000-8000-000000000001",
			"00000000-ffff-1000-8000-000000000002",
			"11111111-2222-1000-8000-000000000003",
			"33333333-3333-4000-8000-000000000005",
			"00000001-0000-4000-8000-000000000006",
			"aaaaaaaa-0000-1001-8000-000000000007",
			"aaaaaaaa-0000-1000-8000-000000000008",
			"11111111-2222-1000-c000-000000000012",
			"11111111-2222-1000-e000-000000000013",
			// any other (version 0 or 6, variant 0): as written
			"11111111-2222-0000-8000-000000000011",
			"11111111-2222-1000-0000-000000000009",
			"11111111-2222-6000-8000-000000000010",
		}},
		{inet6, []string{"::1", "::ffff:1.2.3.4", "::ffff:9.0.0.1", "::ffff:10.0.0.1", "::ffff:192.168.0.1", "a::1", "2001:db8::1", "fe80::1"}},
	} {
		cmp, err := ValueComparer(tc.col, "")
		if err != nil {
			t.Fatal(err)
		}
		values := make([]Value, len(tc.want))
		for i, s := range tc.want {
			values[len(values)-1-i] = Value(s) // reversed
		}
		slices.SortStableFunc(values, cmp)
		sorted := make([]string, len(values))
		for i, v := range values {
			sorted[i] = string(v)
		}
		if !slices.Equal(sorted, tc.want) {
			t.Errorf("%s sorted as\n%s\nwant\n%s", tc.col.Name, strings.Join(sorted, "\n"), strings.Join(tc.want, "\n"))
		}
		// DISTINCT folds equal values only: each value its own key.
		key, err := valueKey(tc.col)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, v := range values {
			seen[string(key(v))] = true
		}
		if len(seen) != len(values) {
			t.Errorf("%s: %d distinct keys for %d values", tc.col.Name, len(seen), len(values))
		}
	}
	// A CHAR column keeps its collation's order.
	text := Column{Name: "c", Type: TypeString, Charset: 33}
	if FixedBinary(text) {
		t.Error("a CHAR column taken for a UUID")
	}
}

// A UUID or INET6 value Strata writes into SQL is of its type, so a
// server compares and sorts it as the column, not as text.
func TestFixedBinaryLiterals(t *testing.T) {
	uuid := Column{Name: "u", Type: TypeString, Flags: FlagUnsigned, Charset: 33, Length: 108}
	inet6 := Column{Name: "ip", Type: TypeString, Flags: FlagUnsigned, Charset: 33, Length: 117}
	for _, tc := range []struct {
		col  Column
		v    Value
		want string
	}{
		{uuid, Value("aaaaaaaa-0000-1000-8000-000000000008"), "CAST(CONVERT(X'61616161616161612d303030302d313030302d383030302d303030303030303030303038' USING ascii) AS UUID)"},
		{uuid, nil, "CAST(NULL AS UUID)"},
		{inet6, Value("::1"), "CAST(CONVERT(X'3a3a31' USING ascii) AS INET6)"},
		{inet6, nil, "CAST(NULL AS INET6)"},
	} {
		got, err := Literal(tc.col, tc.v)
		if err != nil || got != tc.want {
			t.Errorf("Literal(%s, %q) = %s, %v; want %s", tc.col.Name, tc.v, got, err, tc.want)
		}
	}
}
