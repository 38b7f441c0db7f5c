package engine

import (
	"context"
	"fmt"
	"slices"
)

// NewSort reads all of in on the first Next, sorts the rows stably by cmp
// and streams them: the ORDER BY of a merged GROUP BY, whose groups come
// out in group order. It holds the whole result in memory; NewTopN is the
// same sort with a LIMIT, holding only the rows the LIMIT keeps. The rows
// it holds are accounted in budget (nil: no bound).
func NewSort(in RowStream, cmp *Comparator, budget *Budget) RowStream {
	return &topN{in: in, n: -1, kept: worstFirst{cmp: cmp}, budget: budget}
}

// projectStream is NewProject's stream.
type projectStream struct {
	in RowStream
	n  int
}

// NewProject keeps the first n columns of every row, dropping the hidden
// helper columns a plan added (sort keys, AVG counts). Rows with fewer
// columns are an error.
func NewProject(in RowStream, n int) RowStream {
	return &projectStream{in: in, n: n}
}

func (p *projectStream) Next(ctx context.Context) (Row, error) {
	r, err := p.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	if len(r) < p.n {
		return nil, fmt.Errorf("project: row has %d columns, keeping %d", len(r), p.n)
	}
	// Cap the capacity so appending to the row cannot bring back the
	// dropped values.
	return r[:p.n:p.n], nil
}

func (p *projectStream) Close() error { return p.in.Close() }

// NewCopyColumns gives each row's column to the value of column from, for
// every to ← from of copies, in a new row (the stream below may hold the
// one it returned).
func NewCopyColumns(in RowStream, copies map[int]int) RowStream {
	return &copyStream{RowStream: in, copies: copies}
}

type copyStream struct {
	RowStream
	copies map[int]int
}

func (c *copyStream) Next(ctx context.Context) (Row, error) {
	r, err := c.RowStream.Next(ctx)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(r)
	for to, from := range c.copies {
		if to >= len(out) || from >= len(out) {
			return nil, fmt.Errorf("copy columns: row has %d columns, copying %d to %d", len(out), from, to)
		}
		out[to] = r[from]
	}
	return out, nil
}

// FoundRows passes on the count of a Limit below, or -1 without one.
func (c *copyStream) FoundRows() int64 {
	if f, ok := c.RowStream.(FoundRowser); ok {
		return f.FoundRows()
	}
	return -1
}

// FoundRows passes on the count of a Limit below, or -1 without one.
func (p *projectStream) FoundRows() int64 {
	if f, ok := p.in.(FoundRowser); ok {
		return f.FoundRows()
	}
	return -1
}

// filterStream is NewFilter's stream.
type filterStream struct {
	in   RowStream
	keep func(Row) (bool, error)
}

// NewFilter passes on the rows of in for which keep reports true (HAVING
// after a merge); an error from keep ends the stream with it.
func NewFilter(in RowStream, keep func(Row) (bool, error)) RowStream {
	return &filterStream{in: in, keep: keep}
}

func (f *filterStream) Next(ctx context.Context) (Row, error) {
	for {
		r, err := f.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		ok, err := f.keep(r)
		if err != nil {
			return nil, err
		}
		if ok {
			return r, nil
		}
	}
}

func (f *filterStream) Close() error { return f.in.Close() }
