package engine

import (
	"context"
	"strings"
	"testing"
)

func TestDistinctSorted(t *testing.T) {
	cols := []Column{ciCol, decCol}
	tests := []struct {
		data []string
		want string
	}{
		{[]string{"a,1;b,2", "A,1.0;b,2;c,NULL", "c,NULL"}, "a,1;b,2;c,NULL"},
		{[]string{"", ""}, ""},
		{[]string{"a ,1", "a,1"}, "a ,1"}, // PAD SPACE: trailing space ignored
		{[]string{"NULL,NULL", "NULL,NULL;NULL,1"}, "NULL,NULL;NULL,1"},
	}
	for _, tt := range tests {
		cmp, _ := NewComparator(cols, []SortKey{{Col: 0}, {Col: 1}})
		srcs, _ := sources(tt.data...)
		if got := collect(t, NewDistinct(NewMergeSort(cmp, srcs...), cmp)); got != tt.want {
			t.Errorf("Distinct(%v) = %s, want %s", tt.data, got, tt.want)
		}
	}
	cmp, _ := NewComparator(cols, []SortKey{{Col: 0}, {Col: 1}})
	d := NewDistinct(NewSliceStream(parse("b,1;a,1")...), cmp)
	if _, err := Collect(context.Background(), d); err == nil || !strings.Contains(err.Error(), "not sorted") {
		t.Errorf("unsorted input error = %v", err)
	}
	if _, err := d.Next(context.Background()); err == nil {
		t.Errorf("Next after error succeeded")
	}
}

func TestHashDistinct(t *testing.T) {
	tests := []struct {
		cols []Column
		in   string
		want string
	}{
		{[]Column{ciCol, intCol}, "b,1;a,2;B,1;a ,2;a,3", "b,1;a,2;a,3"},
		{[]Column{decCol}, "1.50;1.5;-0;0.00;2", "1.50;-0;2"},
		{[]Column{dblCol}, "1e3;1000;-0;0", "1e3;-0"},
		{[]Column{col("t", TypeTime, CharsetBinary)}, "01:00:00;1:00:00;-01:00:00", "01:00:00;-01:00:00"},
		{[]Column{binStrCol, binStrCol}, "a,NULL;NULL,a;a,NULL;A,NULL", "a,NULL;NULL,a;A,NULL"},
		{[]Column{nopadCol}, "a;a ;A", "a;a "},
		{[]Column{col("d", TypeDate, CharsetBinary)}, "2024-01-01;2024-01-02;2024-01-01", "2024-01-01;2024-01-02"},
	}
	for _, tt := range tests {
		h, err := NewHashDistinct(NewSliceStream(parse(tt.in)...), tt.cols, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, h); got != tt.want {
			t.Errorf("HashDistinct(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if _, err := NewHashDistinct(NewSliceStream(), []Column{col("s", TypeVarString, 9999)}, nil); err == nil {
		t.Errorf("unknown collation accepted")
	}
	h, _ := NewHashDistinct(NewSliceStream(Row{}), []Column{intCol}, nil)
	if _, err := Collect(context.Background(), h); err == nil {
		t.Errorf("short row accepted")
	}
}

// A RowSet remembers its rows across calls: a recursive CTE under UNION
// adds a round's row only when no earlier round found one equal to it.
func TestRowSetAcrossRounds(t *testing.T) {
	s, err := NewRowSet([]Column{ciCol, decCol})
	if err != nil {
		t.Fatal(err)
	}
	rounds := []struct{ in, added string }{
		{"a,1;b,2", "a,1;b,2"},
		{"A,1.00;c,3;c,3.0", "c,3"},
		{"B ,2;a,NULL", "a,NULL"},
		{"a,NULL", ""},
	}
	for i, r := range rounds {
		var added []Row
		for _, row := range parse(r.in) {
			ok, err := s.Add(row)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				added = append(added, row)
			}
		}
		if got := collect(t, NewSliceStream(added...)); got != r.added {
			t.Errorf("round %d: added %s, want %s", i+1, got, r.added)
		}
	}
}
