package engine

import (
	"context"
	"io"
)

// OrderedWalk reads sources one after another, in the order given, and
// stops as soon as limit rows are out, without opening the rest. When the
// sources hold disjoint key ranges in key order (range shards, or period
// tables newest first for ORDER BY created_at DESC), and each returns its
// rows sorted, the output is sorted and "LIMIT 5" usually touches one
// source.
type OrderedWalk struct {
	sources []Source
	limit   int64
	next    int // index of the next source to open
	cur     RowStream
	curName string
	sent    int64
	err     error
}

// NewOrderedWalk walks sources in order; limit < 0 reads them all (a
// sequential concatenation).
func NewOrderedWalk(sources []Source, limit int64) *OrderedWalk {
	return &OrderedWalk{sources: sources, limit: limit}
}

// Next returns the next row of the current source, moving to the next
// source at its end.
func (w *OrderedWalk) Next(ctx context.Context) (Row, error) {
	for w.err == nil {
		if w.limit >= 0 && w.sent >= w.limit {
			w.err = w.closeCurrent()
			if w.err == nil {
				return nil, io.EOF
			}
			break
		}
		r, err := w.step(ctx)
		if err == nil && r != nil {
			w.sent++
			return r, nil
		}
		w.err = err
	}
	return nil, w.err
}

// step returns a row, or nil at the end of a source, or io.EOF after the
// last source.
func (w *OrderedWalk) step(ctx context.Context) (Row, error) {
	if w.cur == nil {
		if w.next == len(w.sources) {
			return nil, io.EOF
		}
		src := w.sources[w.next]
		w.next++
		s, err := src.Open(ctx)
		if err != nil {
			return nil, sourceErr(src.Name(), err)
		}
		w.cur, w.curName = s, src.Name()
	}
	r, err := w.cur.Next(ctx)
	switch {
	case err == io.EOF:
		return nil, w.closeCurrent()
	case err != nil:
		return nil, sourceErr(w.curName, err)
	}
	return r, nil
}

func (w *OrderedWalk) closeCurrent() error {
	if w.cur == nil {
		return nil
	}
	err := w.cur.Close()
	w.cur = nil
	if err != nil {
		return sourceErr(w.curName, err)
	}
	return nil
}

// Opened reports how many sources were opened, for plans and tests.
func (w *OrderedWalk) Opened() int { return w.next }

// Close closes the current source, if any.
func (w *OrderedWalk) Close() error { return w.closeCurrent() }
