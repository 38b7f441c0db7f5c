package engine

import (
	"container/heap"
	"context"
	"io"
	"slices"
)

// NewTopN is NewSort followed by a LIMIT of n rows (n: the statement's
// offset plus its row count): while it reads in, it keeps only the n
// first rows by cmp, so the ORDER BY COUNT(*) DESC LIMIT 10 of a merged
// GROUP BY over a million groups holds ten rows, not a million. Rows
// that compare equal keep their input order, as NewSort's stable sort
// keeps them, so the rows out are the first n NewSort would give. The
// rows it keeps are accounted in budget (nil: no bound).
func NewTopN(in RowStream, cmp *Comparator, n int64, budget *Budget) RowStream {
	return &topN{in: in, n: max(n, 0), kept: worstFirst{cmp: cmp}, budget: budget}
}

// sortingRows names topN's use of a Budget in its error.
const sortingRows = "sorting the merged rows for ORDER BY"

type topN struct {
	in     RowStream
	n      int64 // -1: every row (NewSort)
	budget *Budget
	kept   worstFirst
	seq    int64
	loaded bool
	out    []Row
	err    error
}

func (t *topN) Next(ctx context.Context) (Row, error) {
	if t.err != nil {
		return nil, t.err
	}
	if !t.loaded {
		if err := t.load(ctx); err != nil {
			t.err, t.kept.rows, t.out = err, nil, nil
			return nil, err
		}
	}
	if len(t.out) == 0 {
		return nil, io.EOF
	}
	r := t.out[0]
	t.out[0] = nil
	t.out = t.out[1:]
	t.budget.Give(RowBytes(r)) // the client's now
	return r, nil
}

func (t *topN) load(ctx context.Context) error {
	for {
		r, err := t.in.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := t.kept.cmp.check(r); err != nil {
			return err
		}
		if err := t.offer(seqRow{row: r, seq: t.seq}); err != nil {
			return err
		}
		t.seq++
	}
	// Best first, ties in input order: a stable sort.
	slices.SortFunc(t.kept.rows, t.kept.compare)
	t.out = make([]Row, len(t.kept.rows))
	for i, sr := range t.kept.rows {
		t.out[i] = sr.row
	}
	t.kept.rows, t.loaded = nil, true
	return nil
}

// offer keeps r if it is among the n first rows seen so far; an error
// when the budget cannot hold it.
func (t *topN) offer(r seqRow) error {
	switch {
	case t.n < 0: // every row: sorted once at the end
		if err := t.budget.Take(RowBytes(r.row), sortingRows); err != nil {
			return err
		}
		t.kept.rows = append(t.kept.rows, r)
	case int64(len(t.kept.rows)) < t.n:
		if err := t.budget.Take(RowBytes(r.row), sortingRows); err != nil {
			return err
		}
		heap.Push(&t.kept, r)
	case len(t.kept.rows) > 0 && t.kept.compare(r, t.kept.rows[0]) < 0:
		dropped := RowBytes(t.kept.rows[0].row)
		if err := t.budget.Take(RowBytes(r.row)-dropped, sortingRows); err != nil {
			return err
		}
		t.kept.rows[0] = r
		heap.Fix(&t.kept, 0)
	}
	return nil
}

func (t *topN) Close() error {
	t.kept.rows, t.out = nil, nil
	return t.in.Close()
}

// seqRow is a row and its place in the input, which orders rows that
// compare equal.
type seqRow struct {
	row Row
	seq int64
}

// worstFirst is a heap whose top is the row that sorts last: the one to
// drop when a better row comes.
type worstFirst struct {
	cmp  *Comparator
	rows []seqRow
}

// compare orders rows by cmp, then by their place in the input.
func (h *worstFirst) compare(a, b seqRow) int {
	if c := h.cmp.Compare(a.row, b.row); c != 0 {
		return c
	}
	switch {
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

func (h *worstFirst) Len() int           { return len(h.rows) }
func (h *worstFirst) Less(i, j int) bool { return h.compare(h.rows[i], h.rows[j]) > 0 }
func (h *worstFirst) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *worstFirst) Push(x any)         { h.rows = append(h.rows, x.(seqRow)) }
func (h *worstFirst) Pop() any {
	last := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return last
}
