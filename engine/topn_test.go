package engine

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// TopN gives exactly the rows NewSort then NewLimit give, ties in input
// order included, for any n: the ORDER BY ... LIMIT of merged groups
// answers as before, holding n rows.
func TestTopNIsSortThenLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	cols := []Column{intCol, ciCol}
	keys := [][]SortKey{{{Col: 0}}, {{Col: 0, Desc: true}}, {{Col: 1}, {Col: 0, Desc: true}}}
	for round := range 300 {
		rows := make([]Row, r.IntN(40))
		for i := range rows {
			v := Value(fmt.Sprint(r.IntN(8))) // many ties
			if r.IntN(10) == 0 {
				v = nil
			}
			rows[i] = Row{v, Value(string(rune('a' + r.IntN(3)))), Value(fmt.Sprint(i))}
		}
		cmp, err := NewComparator(cols, keys[round%len(keys)])
		if err != nil {
			t.Fatal(err)
		}
		n := int64(r.IntN(45))
		want := collect(t, NewLimit(NewSort(NewSliceStream(rows...), cmp, nil), 0, n))
		if got := collect(t, NewTopN(NewSliceStream(rows...), cmp, n, nil)); got != want {
			t.Fatalf("round %d, n=%d:\n top-N %s\n sort  %s", round, n, got, want)
		}
	}
}

// A shard's error, or a row too short for the sort keys, ends the stream
// with that error, as NewSort's does.
func TestTopNErrors(t *testing.T) {
	cmp, err := NewComparator([]Column{intCol, intCol}, []SortKey{{Col: 1}})
	if err != nil {
		t.Fatal(err)
	}
	boom := fmt.Errorf("shard down")
	for name, in := range map[string]RowStream{
		"input error": FailingSliceStream(boom, parse("1,1;2,2")...),
		"short row":   NewSliceStream(parse("1,1;2")...),
	} {
		s := NewTopN(in, cmp, 1, nil)
		if _, err := s.Next(context.Background()); err == nil || err == io.EOF {
			t.Errorf("%s: Next = %v, want the error", name, err)
		}
		if _, err := s.Next(context.Background()); err == nil || err == io.EOF {
			t.Errorf("%s: Next after the error = %v, want it again", name, err)
		}
	}
}

// countingStream makes n rows as they are read, so only what a reader
// keeps stays in memory.
type countingStream struct{ i, n int }

func (c *countingStream) Next(context.Context) (Row, error) {
	if c.i >= c.n {
		return nil, io.EOF
	}
	c.i++
	return Row{Value(fmt.Sprintf("%09d", c.i)), Value("some text to make a row of a group")}, nil
}

func (c *countingStream) Close() error { return nil }

// The first rows of an ORDER BY ... LIMIT 10 over 200,000 merged groups
// come out while Strata holds about ten rows, not every group.
func TestTopNHoldsOnlyItsRows(t *testing.T) {
	cmp, err := NewComparator([]Column{intCol, ciCol}, []SortKey{{Col: 0, Desc: true}})
	if err != nil {
		t.Fatal(err)
	}
	const groups = 200_000
	held := func(s RowStream) (first string, bytes int64) {
		before := heapInUse()
		r, err := s.Next(context.Background()) // reads every row
		if err != nil {
			t.Fatal(err)
		}
		after := heapInUse()
		defer s.Close()
		return string(r[0]), after - before
	}
	topFirst, topBytes := held(NewTopN(&countingStream{n: groups}, cmp, 10, nil))
	sortFirst, sortBytes := held(NewSort(&countingStream{n: groups}, cmp, nil))
	if want := fmt.Sprintf("%09d", groups); topFirst != want || sortFirst != want {
		t.Fatalf("first rows %s (top-N) and %s (sort), want %s", topFirst, sortFirst, want)
	}
	if topBytes > 1<<20 {
		t.Errorf("top 10 of %d rows held %d bytes (a full sort: %d); want about ten rows", groups, topBytes, sortBytes)
	}
}
