package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Each shard sends its GROUP_CONCAT list joined by 0x1F, the number of
// values in it, MIN(x) (its column says how values compare) and its
// group_concat_max_len; Strata merges the lists as one server orders them.
func TestGroupConcatMerge(t *testing.T) {
	// Columns: list, count, min (the value's type), max_len.
	num := []Column{ciCol, intCol, intCol, intCol}
	text := []Column{ciCol, intCol, ciCol, intCol}
	l := func(vals ...string) string { return strings.Join(vals, "\x1f") }
	tests := []struct {
		name string
		cols []Column
		spec GroupConcatSpec
		rows []Row
		want string
	}{
		{"ordered numbers, as numbers", num, GroupConcatSpec{Sep: "|", Ordered: true},
			[]Row{row(l("2", "10", "30"), "3", "2", "100"), row(l("9", "11"), "2", "9", "100")}, "2|9|10|11|30"},
		{"descending", num, GroupConcatSpec{Sep: "|", Ordered: true, Desc: true},
			[]Row{row(l("30", "10", "2"), "3", "2", "100"), row(l("11", "9"), "2", "9", "100")}, "30|11|10|9|2"},
		{"distinct and ordered by collation", text, GroupConcatSpec{Sep: "|", Ordered: true, Distinct: true},
			[]Row{row(l("apple", "Pear"), "2", "apple", "100"), row(l("Apple", "fig", "pear"), "3", "Apple", "100")}, "apple|fig|Pear"},
		{"distinct, unordered", text, GroupConcatSpec{Sep: "|", Distinct: true},
			[]Row{row(l("b", "a"), "2", "a", "100"), row(l("A", "c"), "2", "A", "100")}, "b|a|c"},
		{"unordered: the shards' order", num, GroupConcatSpec{Sep: ", "},
			[]Row{row(l("5", "1"), "2", "1", "100"), row(nil, "0", nil, "100"), row(l("3"), "1", "3", "100")}, "5, 1, 3"},
		{"no values", num, GroupConcatSpec{Sep: "|"},
			[]Row{row(nil, "0", nil, "100")}, "NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mergeGroupConcat(tt.cols, tt.spec, tt.rows)
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}

	// A list that does not split into its count, or a merge longer than
	// group_concat_max_len, is refused, never sent cut or mixed up.
	for name, rows := range map[string][]Row{
		"a value holds 0x1F":   {row(l("a", "b\x1fc"), "2", "a", "100")},
		"a shard cut its list": {row(l("aaaa", "bb"), "3", "a", "8")},
		"a list out of order":  {row(l("b", "a"), "2", "a", "100")},
		"longer than max_len":  {row(l("aaaa", "bb"), "2", "a", "9"), row(l("cccc"), "1", "c", "9")},
	} {
		if _, err := mergeGroupConcat(text, GroupConcatSpec{Sep: ",", Ordered: true}, rows); !errors.Is(err, ErrNotMergeable) {
			t.Errorf("%s: %v, want ErrNotMergeable", name, err)
		}
	}
}

// mergeGroupConcat runs rows, one group's partials, through an Aggregate
// without GROUP BY.
func mergeGroupConcat(cols []Column, spec GroupConcatSpec, rows []Row) (string, error) {
	spec.KeyCol, spec.LenCol = 2, 3
	agg, err := NewAggregate(NewSliceStream(rows...), cols, AggregateSpec{Outputs: []AggOutput{
		{Func: AggGroupConcat, Col: 0, CountCol: 1, GroupConcat: &spec}}})
	if err != nil {
		return "", err
	}
	out, err := Collect(context.Background(), agg)
	if err != nil {
		return "", err
	}
	if out[0][0] == nil {
		return "NULL", nil
	}
	return string(out[0][0]), nil
}
