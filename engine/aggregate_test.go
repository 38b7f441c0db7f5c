package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestAggregate(t *testing.T) {
	// Pushed down: SELECT g, COUNT(*), SUM(x), MIN(x), MAX(x), SUM(x), COUNT(x)
	// FROM t GROUP BY g ORDER BY g.
	groupCols := []Column{ciCol, intCol, decCol, decCol, decCol, decCol, intCol}
	all := []AggOutput{
		{Func: AggKey, Col: 0},
		{Func: AggCount, Col: 1},
		{Func: AggSum, Col: 2},
		{Func: AggMin, Col: 3},
		{Func: AggMax, Col: 4},
		{Func: AggAvg, Col: 5, CountCol: 6},
	}
	dec2 := decCol // DECIMAL(x,2)
	dec2.Decimals = 2
	minus := func(n int64) func(Row) (bool, error) {
		return func(r Row) (bool, error) { return compareDecimalText(r[1], []byte{byte('0' + n)}) > 0, nil }
	}
	tests := []struct {
		name string
		cols []Column
		spec AggregateSpec
		data []string
		want string
	}{
		{"group by over shards", groupCols,
			AggregateSpec{GroupBy: []SortKey{{Col: 0}}, Outputs: all},
			[]string{
				"a,2,3.50,1.00,2.50,3.50,2;c,1,-1,-1,-1,-1,1",
				"A,1,0.25,0.25,0.25,0.25,1;b,4,10,1,4,10,4",
			},
			"a,3,3.75,0.25,2.50,1.250000;b,4,10,1,4,2.5000;c,1,-1,-1,-1,-1.0000"},
		{"having after combining", groupCols,
			AggregateSpec{GroupBy: []SortKey{{Col: 0}}, Outputs: all, Having: minus(2)},
			[]string{"a,2,1,1,1,1,2;b,1,1,1,1,1,1", "a,1,1,1,1,1,1;b,1,1,1,1,1,1"},
			"a,3,2,1,1,0.6667"},
		{"null partials", groupCols,
			AggregateSpec{GroupBy: []SortKey{{Col: 0}}, Outputs: all},
			[]string{"a,1,NULL,NULL,NULL,NULL,0", "a,2,5,2,3,5,2"},
			"a,3,5,2,3,2.5000"},
		{"all partials null", groupCols,
			AggregateSpec{GroupBy: []SortKey{{Col: 0}}, Outputs: all},
			[]string{"a,1,NULL,NULL,NULL,NULL,0", "a,2,NULL,NULL,NULL,NULL,0"},
			"a,3,NULL,NULL,NULL,NULL"},
		{"count(*) without group by", []Column{intCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggCount, Col: 0}}},
			[]string{"10", "0", "32", "7"}, "49"},
		{"empty without group by", []Column{intCol, decCol, decCol, decCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggCount, Col: 0}, {Func: AggSum, Col: 1},
				{Func: AggMin, Col: 2}, {Func: AggAvg, Col: 1, CountCol: 0}, {Func: AggCountDistinct, Col: 3}}},
			[]string{"", ""}, "0,NULL,NULL,NULL,0"},
		{"IFNULL(SUM(x), 0) over no rows: zero with the column's decimals", []Column{intCol, dec2, intCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggSumZero, Col: 1}, {Func: AggSumZero, Col: 2}}},
			[]string{"", ""}, "0.00,0"},
		{"IFNULL(SUM(x), 0) over shards", []Column{decCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggSumZero, Col: 0}}},
			[]string{"0.00", "2.50", "1.25"}, "3.75"},
		{"empty shards without group by", []Column{intCol, decCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggCount, Col: 0}, {Func: AggSum, Col: 1}}},
			[]string{"0,NULL", "0,NULL"}, "0,NULL"},
		{"empty with group by", groupCols,
			AggregateSpec{GroupBy: []SortKey{{Col: 0}}, Outputs: all}, []string{"", ""}, ""},
		{"exact decimal sum", []Column{decCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggSum, Col: 0}}},
			[]string{"0.10", "0.20", "9007199254740993", "-0.05"}, "9007199254740993.25"},
		{"huge integer sum", []Column{intCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggSum, Col: 0}}},
			[]string{"9223372036854775807", "9223372036854775807", "2"}, "18446744073709551616"},
		{"double sum and avg", []Column{dblCol, intCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggSum, Col: 0}, {Func: AggAvg, Col: 0, CountCol: 1}}},
			[]string{"1.5,1", "2.5,3"}, "4,1"},
		{"min max of strings by collation", []Column{ciCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggMin, Col: 0}, {Func: AggMax, Col: 0}}},
			[]string{"banana", "Apple", "cherry"}, "Apple,cherry"},
		{"min max of an ENUM by text, not by member number", []Column{{Name: "MAX(e)", Type: TypeString, Flags: FlagEnum, Collation: "utf8mb4_general_ci", Members: []string{"y", "x", "a"}}},
			AggregateSpec{Outputs: []AggOutput{{Func: AggMin, Col: 0}, {Func: AggMax, Col: 0}}},
			[]string{"x", "a", "y"}, "a,y"},
		{"min max of ints numerically", []Column{intCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggMin, Col: 0}, {Func: AggMax, Col: 0}}},
			[]string{"9", "10", "-3"}, "-3,10"},
		{"bit aggregates over shards", []Column{ciCol, intCol, intCol, intCol},
			AggregateSpec{GroupBy: []SortKey{{Col: 0}}, Outputs: []AggOutput{
				{Func: AggKey, Col: 0}, {Func: AggBitAnd, Col: 1}, {Func: AggBitOr, Col: 2}, {Func: AggBitXor, Col: 3}}},
			// a: 12 & 10 = 8, 12 | 3 = 15, 6 ^ 5 = 3; b on one shard only.
			[]string{"a,12,12,6;b,7,1,18446744073709551615", "A,10,3,5"},
			"a,8,15,3;b,7,1,18446744073709551615"},
		{"bit aggregates over no rows: each operation's identity", []Column{intCol, intCol, intCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggBitAnd, Col: 0}, {Func: AggBitOr, Col: 1}, {Func: AggBitXor, Col: 2}}},
			[]string{"", ""}, "18446744073709551615,0,0"},
		{"distinct via group by keys", []Column{ciCol, intCol},
			AggregateSpec{GroupBy: []SortKey{{Col: 0}, {Col: 1}}, Outputs: []AggOutput{
				{Func: AggKey, Col: 0}, {Func: AggKey, Col: 1}}},
			[]string{"a,1;b,2", "A,1;b,3"}, "a,1;b,2;b,3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmp, err := NewComparator(tt.cols, tt.spec.GroupBy)
			if err != nil {
				t.Fatal(err)
			}
			srcs, _ := sources(tt.data...)
			agg, err := NewAggregate(NewMergeSort(cmp, srcs...), tt.cols, tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := collect(t, agg); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestAggregateCountDistinct: SELECT g, COUNT(DISTINCT x), COUNT(*) is
// pushed down as SELECT g, x, COUNT(*) ... GROUP BY g, x ORDER BY g, x.
func TestAggregateCountDistinct(t *testing.T) {
	cols := []Column{ciCol, ciCol, intCol}
	cmp, _ := NewComparator(cols, []SortKey{{Col: 0}, {Col: 1}})
	srcs, _ := sources("a,x,2;a,y,1;b,NULL,4", "a,X,1;a,z,1;b,q,1")
	agg, err := NewAggregate(NewMergeSort(cmp, srcs...), cols, AggregateSpec{
		GroupBy: []SortKey{{Col: 0}},
		Outputs: []AggOutput{{Func: AggKey, Col: 0}, {Func: AggCountDistinct, Col: 1}, {Func: AggCount, Col: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// x and X are one value under utf8mb4_general_ci; NULL is not counted.
	if got := collect(t, agg); got != "a,3,5;b,1,5" {
		t.Errorf("got %s, want a,3,5;b,1,5", got)
	}
}

func TestAggregateErrors(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("shard down")
	tests := []struct {
		name string
		in   RowStream
		cols []Column
		spec AggregateSpec
		want string
	}{
		{"unsorted groups", NewSliceStream(parse("b,1;a,1")...), []Column{ciCol, intCol},
			AggregateSpec{GroupBy: []SortKey{{Col: 0}}, Outputs: []AggOutput{{Func: AggCount, Col: 1}}},
			"not sorted by the group keys"},
		{"bad number", NewSliceStream(parse("x")...), []Column{decCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggSum, Col: 0}}}, "not a decimal"},
		{"short row", NewSliceStream(Row{}), []Column{decCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggSum, Col: 0}}}, "row has 0 columns"},
		{"input error", FailingSliceStream(boom, parse("1")...), []Column{intCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggCount, Col: 0}}}, "shard down"},
		{"having error", NewSliceStream(parse("1")...), []Column{intCol},
			AggregateSpec{Outputs: []AggOutput{{Func: AggCount, Col: 0}},
				Having: func(Row) (bool, error) { return false, boom }}, "shard down"},
	}
	for _, tt := range tests {
		agg, err := NewAggregate(tt.in, tt.cols, tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Collect(ctx, agg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
		if _, again := agg.Next(ctx); again == nil {
			t.Errorf("%s: Next after error succeeded", tt.name)
		}
	}
	badSpecs := []AggregateSpec{
		{Outputs: []AggOutput{{Func: AggSum, Col: 3}}},
		{Outputs: []AggOutput{{Func: AggAvg, Col: 0, CountCol: 9}}},
		{Outputs: []AggOutput{{Func: 99, Col: 0}}},
		{GroupBy: []SortKey{{Col: 5}}},
	}
	for _, spec := range badSpecs {
		if _, err := NewAggregate(NewSliceStream(), []Column{intCol}, spec); err == nil {
			t.Errorf("NewAggregate(%+v) accepted", spec)
		}
	}
}

// COUNT(DISTINCT) counts values equal under the column's comparison once,
// in any input order, and several such columns combine in one query (the
// shards group by each of their arguments).
func TestAggregateSeveralCountDistinct(t *testing.T) {
	rows := parse("g,a,1;g,B,2;g,A,1;g,b,3;h,x,NULL;h,X,4")
	agg, err := NewAggregate(NewSliceStream(rows...), []Column{ciCol, ciCol, intCol}, AggregateSpec{
		GroupBy: []SortKey{{Col: 0}},
		Outputs: []AggOutput{{Func: AggKey, Col: 0}, {Func: AggCountDistinct, Col: 1}, {Func: AggCountDistinct, Col: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Collect(context.Background(), agg)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"g", "2", "3"}, {"h", "1", "1"}}
	if len(got) != len(want) {
		t.Fatalf("got %d groups, want %d", len(got), len(want))
	}
	for i := range want {
		for j := range want[i] {
			if string(got[i][j]) != want[i][j] {
				t.Errorf("group %d column %d = %s, want %s", i, j, got[i][j], want[i][j])
			}
		}
	}
}

// SUM(DISTINCT) and AVG(DISTINCT) add each distinct value once; AVG keeps
// MySQL's 4 extra decimals.
func TestAggregateSumAndAvgDistinct(t *testing.T) {
	rows := parse("g,2;g,2;g,3;g,NULL;h,NULL")
	agg, err := NewAggregate(NewSliceStream(rows...), []Column{ciCol, intCol}, AggregateSpec{
		GroupBy: []SortKey{{Col: 0}},
		Outputs: []AggOutput{{Func: AggKey, Col: 0}, {Func: AggSumDistinct, Col: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Collect(context.Background(), agg)
	if err != nil || len(got) != 2 || string(got[0][1]) != "5" || got[1][1] != nil {
		t.Fatalf("SUM(DISTINCT) = %q, %v; want 5 for g and NULL for h", got, err)
	}
	agg, err = NewAggregate(NewSliceStream(rows...), []Column{ciCol, intCol}, AggregateSpec{
		GroupBy: []SortKey{{Col: 0}},
		Outputs: []AggOutput{{Func: AggKey, Col: 0}, {Func: AggAvgDistinct, Col: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = Collect(context.Background(), agg)
	if err != nil || len(got) != 2 || string(got[0][1]) != "2.5000" || got[1][1] != nil {
		t.Fatalf("AVG(DISTINCT) = %q, %v; want 2.5000 for g and NULL for h", got, err)
	}
}
