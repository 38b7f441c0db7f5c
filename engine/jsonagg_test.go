package engine

import (
	"context"
	"errors"
	"testing"
)

// The shards' JSON_ARRAYAGG arrays and JSON_OBJECTAGG objects join into
// one, each element kept as its server wrote it; a value a shard may have
// cut, or a join one server would cut, is refused.
func TestJSONAggMerge(t *testing.T) {
	cols := []Column{ciCol, intCol} // the value, group_concat_max_len
	tests := []struct {
		name string
		fn   AggFunc
		rows []Row
		want string // "" for ErrNotMergeable
	}{
		{"arrays", AggJSONArray, []Row{row(`[1,null]`, "100"), row(`["a\"b",{"k": [1, 2]}]`, "100")}, `[1,null,"a\"b",{"k": [1, 2]}]`},
		{"a shard without rows", AggJSONArray, []Row{row(nil, "100"), row(`[1.50]`, "100"), row(nil, "100")}, `[1.50]`},
		{"no rows at all", AggJSONArray, []Row{row(nil, "100")}, "NULL"},
		{"objects", AggJSONObject, []Row{row(`{"a":1, "b":null}`, "100"), row(`{"c":"x"}`, "100")}, `{"a":1, "b":null, "c":"x"}`},
		{"an empty array", AggJSONArray, []Row{row(`[]`, "100"), row(`[2]`, "100")}, `[2]`},
		{"a shard's value may be cut", AggJSONArray, []Row{row(`["abcde"]`, "12")}, ""},
		{"the join is longer than max_len", AggJSONArray, []Row{row(`["ab"]`, "13"), row(`["cd"]`, "13")}, ""},
		{"the join fits max_len", AggJSONArray, []Row{row(`["ab"]`, "15"), row(`["cd"]`, "15")}, `["ab","cd"]`},
		{"not an array", AggJSONArray, []Row{row(`{"a":1}`, "100")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agg, err := NewAggregate(NewSliceStream(tt.rows...), cols, AggregateSpec{Outputs: []AggOutput{{Func: tt.fn, Col: 0, LenCol: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			out, err := Collect(context.Background(), agg)
			if tt.want == "" {
				if !errors.Is(err, ErrNotMergeable) {
					t.Fatalf("got %v, want ErrNotMergeable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := "NULL"
			if out[0][0] != nil {
				got = string(out[0][0])
			}
			if got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}
