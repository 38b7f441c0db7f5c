package engine

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestMergeSort(t *testing.T) {
	tests := []struct {
		name string
		cols []Column
		keys []SortKey
		data []string
		want string
	}{
		{"ints asc", []Column{intCol}, []SortKey{{Col: 0}},
			[]string{"1;4;7", "2;5;8", "3;6;9"}, "1;2;3;4;5;6;7;8;9"},
		{"numeric not text order", []Column{intCol}, []SortKey{{Col: 0}},
			[]string{"-10;9;100", "-9;10"}, "-10;-9;9;10;100"},
		{"nulls first asc", []Column{intCol}, []SortKey{{Col: 0}},
			[]string{"NULL;2", "NULL;1;3"}, "NULL;NULL;1;2;3"},
		{"nulls last desc", []Column{intCol}, []SortKey{{Col: 0, Desc: true}},
			[]string{"3;1;NULL", "2;NULL"}, "3;2;1;NULL;NULL"},
		{"empty and single", []Column{intCol}, []SortKey{{Col: 0}},
			[]string{"", "5", ""}, "5"},
		{"no sources", []Column{intCol}, []SortKey{{Col: 0}}, nil, ""},
		{"ties keep source order", []Column{intCol, ciCol}, []SortKey{{Col: 0}},
			[]string{"1,a;2,c", "1,b;2,d"}, "1,a;1,b;2,c;2,d"},
		{"multi-column mixed", []Column{ciCol, decCol}, []SortKey{{Col: 0}, {Col: 1, Desc: true}},
			[]string{"a,2.5;b,10", "A,3;B,9.99;c,1"}, "A,3;a,2.5;b,10;B,9.99;c,1"},
		{"case-insensitive", []Column{ciCol}, []SortKey{{Col: 0}},
			[]string{"apple;Cherry", "Banana;date"}, "apple;Banana;Cherry;date"},
		{"binary collation", []Column{binStrCol}, []SortKey{{Col: 0}},
			[]string{"Banana;apple", "Cherry;date"}, "Banana;Cherry;apple;date"},
		{"decimal", []Column{decCol}, []SortKey{{Col: 0}},
			[]string{"-1.5;0.05;2", "-0.5;0.5;10.00"}, "-1.5;-0.5;0.05;0.5;2;10.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmp, err := NewComparator(tt.cols, tt.keys)
			if err != nil {
				t.Fatal(err)
			}
			srcs, _ := sources(tt.data...)
			if got := collect(t, NewMergeSort(cmp, srcs...)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMergeSortErrors(t *testing.T) {
	cmp, _ := NewComparator([]Column{intCol}, []SortKey{{Col: 0}})
	boom := errors.New("connection lost")
	tests := []struct {
		name  string
		srcs  []Source
		check bool
		want  string
	}{
		{"read error", []Source{
			&SliceSource{SourceName: "s0", Rows: parse("1;3")},
			&SliceSource{SourceName: "s1", Rows: parse("2"), Err: boom},
		}, false, "source s1: connection lost"},
		{"open error", []Source{
			&SliceSource{SourceName: "s0", Rows: parse("1")},
			&SliceSource{SourceName: "s1", OpenErr: boom},
		}, false, "source s1: connection lost"},
		{"short row", []Source{
			&SliceSource{SourceName: "s0", Rows: []Row{{}}},
		}, false, "source s0: row has 0 columns"},
		{"out of order", []Source{
			&SliceSource{SourceName: "s0", Rows: parse("1;3;2")},
		}, true, "source s0: rows not in ORDER BY order"},
	}
	for _, tt := range tests {
		m := NewMergeSort(cmp, tt.srcs...)
		m.CheckOrder = tt.check
		_, err := Collect(context.Background(), m)
		var se *SourceError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &se) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
		if _, again := m.Next(context.Background()); again == nil || again == io.EOF {
			t.Errorf("%s: Next after error = %v, want the error again", tt.name, again)
		}
	}
}

// TestMergeSortReadsLazily checks that under a Limit the merge reads at
// most one row past the last returned row per source.
func TestMergeSortReadsLazily(t *testing.T) {
	cmp, _ := NewComparator([]Column{intCol}, []SortKey{{Col: 0}})
	srcs, slices := sources("1;2;3;4;5", "10;11;12")
	m := NewMergeSort(cmp, srcs...)
	if got := collect(t, NewLimit(m, 0, 2)); got != "1;2" {
		t.Fatalf("got %s", got)
	}
	if r0, r1 := slices[0].Stream().Read(), slices[1].Stream().Read(); r0 != 2 || r1 != 1 {
		t.Errorf("rows read = %d, %d; want 2, 1", r0, r1)
	}
	if !slices[0].Stream().Closed() || !slices[1].Stream().Closed() {
		t.Errorf("Close did not close the sources")
	}
}
