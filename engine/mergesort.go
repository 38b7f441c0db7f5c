package engine

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
)

// MergeSort merges sources that are each sorted by the same ORDER BY into
// one sorted stream (k-way merge on a heap). Rows that compare equal come
// out in source order, so the result is deterministic.
//
// All sources are opened and their first rows read on the first Next, one
// after another: sources should send their query when opened and buffer,
// so those first reads overlap. A source is only read again after its
// previous row was returned, so a Limit above stops the reads.
type MergeSort struct {
	cmp     *Comparator
	sources []Source
	streams []RowStream
	h       mergeHeap
	started bool
	refill  int // source whose row was returned last, to be read next; -1 none
	err     error
	// CheckOrder makes Next fail when a source returns a row that sorts
	// before its previous one, which happens when the shards' collation
	// and the Comparator's approximation disagree. Without it such rows
	// are merged slightly out of order.
	CheckOrder bool
	last       []Row
}

// NewMergeSort merges sources ordered by cmp.
func NewMergeSort(cmp *Comparator, sources ...Source) *MergeSort {
	return &MergeSort{cmp: cmp, sources: sources, refill: -1, h: mergeHeap{cmp: cmp}}
}

// Next returns the smallest remaining row.
func (m *MergeSort) Next(ctx context.Context) (Row, error) {
	if m.err != nil {
		return nil, m.err
	}
	if err := m.advance(ctx); err != nil {
		m.err = err
		return nil, err
	}
	if m.h.Len() == 0 {
		return nil, io.EOF
	}
	it := heap.Pop(&m.h).(mergeItem)
	m.refill = it.src
	return it.row, nil
}

// advance opens the sources on the first call and afterwards reads the
// next row of the source whose row was just returned.
func (m *MergeSort) advance(ctx context.Context) error {
	if !m.started {
		m.started = true
		m.last = make([]Row, len(m.sources))
		for i, src := range m.sources {
			s, err := src.Open(ctx)
			if err != nil {
				return sourceErr(src.Name(), err)
			}
			m.streams = append(m.streams, s)
			if err := m.pull(ctx, i); err != nil {
				return err
			}
		}
		return nil
	}
	if m.refill >= 0 {
		i := m.refill
		m.refill = -1
		return m.pull(ctx, i)
	}
	return nil
}

// pull reads source i's next row onto the heap.
func (m *MergeSort) pull(ctx context.Context, i int) error {
	row, err := m.streams[i].Next(ctx)
	if err == io.EOF {
		return nil
	}
	if err == nil {
		err = m.cmp.check(row)
	}
	if err == nil && m.CheckOrder {
		err = m.checkOrder(i, row)
	}
	if err != nil {
		return sourceErr(m.sources[i].Name(), err)
	}
	heap.Push(&m.h, mergeItem{row: row, src: i})
	return nil
}

func (m *MergeSort) checkOrder(i int, row Row) error {
	if prev := m.last[i]; prev != nil && m.cmp.Compare(prev, row) > 0 {
		return fmt.Errorf("rows not in ORDER BY order: %w", ErrUnsorted)
	}
	m.last[i] = row
	return nil
}

// Close closes every opened source.
func (m *MergeSort) Close() error {
	var errs []error
	for i, s := range m.streams {
		if err := s.Close(); err != nil {
			errs = append(errs, sourceErr(m.sources[i].Name(), err))
		}
	}
	m.streams = nil
	return errors.Join(errs...)
}

type mergeItem struct {
	row Row
	src int
}

// mergeHeap is a min-heap of each source's current row.
type mergeHeap struct {
	items []mergeItem
	cmp   *Comparator
}

func (h *mergeHeap) Len() int { return len(h.items) }

func (h *mergeHeap) Less(i, j int) bool {
	if c := h.cmp.Compare(h.items[i].row, h.items[j].row); c != 0 {
		return c < 0
	}
	return h.items[i].src < h.items[j].src
}

func (h *mergeHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap) Push(x any)    { h.items = append(h.items, x.(mergeItem)) }

func (h *mergeHeap) Pop() any {
	n := len(h.items) - 1
	it := h.items[n]
	h.items = h.items[:n]
	return it
}
