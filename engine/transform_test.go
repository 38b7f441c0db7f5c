package engine

import (
	"context"
	"errors"
	"io"
	"testing"
)

func TestSort(t *testing.T) {
	cols := []Column{intCol, ciCol}
	tests := []struct {
		name string
		keys []SortKey
		in   string
		want string
	}{
		{"empty", []SortKey{{Col: 0}}, "", ""},
		{"asc numeric", []SortKey{{Col: 0}}, "10,a;9,b;-1,c;NULL,d", "NULL,d;-1,c;9,b;10,a"},
		{"desc", []SortKey{{Col: 0, Desc: true}}, "10,a;9,b;-1,c;NULL,d", "10,a;9,b;-1,c;NULL,d"},
		{"stable on ties", []SortKey{{Col: 0}}, "2,x;1,y;2,a;1,b;2,m", "1,y;1,b;2,x;2,a;2,m"},
		{"collation then number", []SortKey{{Col: 1}, {Col: 0, Desc: true}}, "1,B;2,a;3,b;4,A", "4,A;2,a;3,b;1,B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmp, err := NewComparator(cols, tt.keys)
			if err != nil {
				t.Fatal(err)
			}
			in := NewSliceStream(parse(tt.in)...)
			if got := collect(t, NewSort(in, cmp, nil)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if !in.Closed() {
				t.Error("input not closed")
			}
		})
	}
}

func TestSortErrors(t *testing.T) {
	cmp, err := NewComparator([]Column{intCol, intCol}, []SortKey{{Col: 1}})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	s := NewSort(FailingSliceStream(boom, parse("1,2;3,4")...), cmp, nil)
	if _, err := s.Next(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("second Next err = %v, want boom again, never EOF", err)
	}
	s = NewSort(NewSliceStream(parse("1,2;3")...), cmp, nil)
	if _, err := s.Next(context.Background()); err == nil || err == io.EOF {
		t.Fatalf("short row: err = %v", err)
	}
}

func TestProject(t *testing.T) {
	tests := []struct {
		n    int
		in   string
		want string
	}{
		{2, "a,b,c;d,e,f", "a,b;d,e"},
		{3, "a,NULL,c", "a,NULL,c"},
		{1, "", ""},
	}
	for _, tt := range tests {
		if got := collect(t, NewProject(NewSliceStream(parse(tt.in)...), tt.n)); got != tt.want {
			t.Errorf("NewProject(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	// A projected row cannot be grown back over a hidden column.
	p := NewProject(NewSliceStream(row("a", "hidden")), 1)
	r, err := p.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cap(r) != 1 {
		t.Errorf("cap = %d, want 1", cap(r))
	}
	if _, err := NewProject(NewSliceStream(row("a")), 2).Next(context.Background()); err == nil {
		t.Error("short row accepted")
	}
}

func TestFilter(t *testing.T) {
	keepOdd := func(r Row) (bool, error) { return len(r[0])%2 == 1, nil }
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"a;bb;ccc;dddd", "a;ccc"},
		{"bb;dd", ""},
	}
	for _, tt := range tests {
		in := NewSliceStream(parse(tt.in)...)
		if got := collect(t, NewFilter(in, keepOdd)); got != tt.want {
			t.Errorf("filter %q = %q, want %q", tt.in, got, tt.want)
		}
		if !in.Closed() {
			t.Error("input not closed")
		}
	}
	boom := errors.New("boom")
	f := NewFilter(NewSliceStream(parse("a;b")...), func(Row) (bool, error) { return false, boom })
	if _, err := f.Next(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}

// A binary answer takes a STDDEV's full copy in place of the printed one,
// in a new row: the stream below keeps the rows it returned.
func TestCopyColumnsTakesTheFullCopy(t *testing.T) {
	src := Row{[]byte("7"), []byte("4.0415"), []byte("4.041451884327381")}
	s := NewCopyColumns(NewSliceStream(src), map[int]int{1: 2})
	got, err := s.Next(context.Background())
	if err != nil || string(got[1]) != "4.041451884327381" || string(got[0]) != "7" {
		t.Fatalf("copied row %q, %v", got, err)
	}
	if string(src[1]) != "4.0415" {
		t.Errorf("the source row became %q", src)
	}
	bad := NewCopyColumns(NewSliceStream(Row{[]byte("1")}), map[int]int{0: 3})
	if _, err := bad.Next(context.Background()); err == nil {
		t.Error("a copy from a column past the row: no error")
	}
}
