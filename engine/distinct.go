package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
)

// Distinct drops duplicate rows from input sorted on all its columns (the
// shards run SELECT DISTINCT ... ORDER BY every column, or GROUP BY every
// column, and MergeSort merges them). It holds one row; duplicates are
// judged by the comparator, so 'a' and 'A' are one row under a _ci
// collation, as in MySQL.
type Distinct struct {
	in   RowStream
	cmp  *Comparator
	last Row
	err  error
}

// NewDistinct de-duplicates sorted input; cmp must cover every column.
func NewDistinct(in RowStream, cmp *Comparator) *Distinct {
	return &Distinct{in: in, cmp: cmp}
}

// Next returns the next row that differs from the previous one.
func (d *Distinct) Next(ctx context.Context) (Row, error) {
	for d.err == nil {
		r, err := d.in.Next(ctx)
		if err == io.EOF {
			return nil, io.EOF
		}
		if err == nil {
			err = d.cmp.check(r)
		}
		if err != nil {
			d.err = err
			break
		}
		c := -1
		if d.last != nil {
			c = d.cmp.Compare(d.last, r)
		}
		switch {
		case c < 0:
			d.last = r
			return r, nil
		case c > 0:
			d.err = fmt.Errorf("distinct: input not sorted: %w", ErrUnsorted)
		}
	}
	return nil, d.err
}

// Close closes the input.
func (d *Distinct) Close() error { return d.in.Close() }

// HashDistinct drops duplicate rows from unsorted input, such as a
// Concat. It remembers a key for every distinct row, so memory grows with
// the number of distinct rows (bounded by its Budget); prefer Distinct
// over sorted input.
type HashDistinct struct {
	in     RowStream
	seen   *RowSet
	budget *Budget
}

// NewHashDistinct de-duplicates rows described by cols, remembering their
// keys within budget (nil: no bound). Values equal to MySQL are equal
// here: 1.50 = 1.5 in DECIMAL, 'a' = 'A ' under a PAD SPACE _ci collation.
func NewHashDistinct(in RowStream, cols []Column, budget *Budget) (*HashDistinct, error) {
	seen, err := NewRowSet(cols)
	if err != nil {
		return nil, err
	}
	return &HashDistinct{in: in, seen: seen, budget: budget}, nil
}

// Next returns the next row not seen before.
func (h *HashDistinct) Next(ctx context.Context) (Row, error) {
	for {
		r, err := h.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		added, size, err := h.seen.add(r)
		if err != nil {
			return nil, err
		}
		if !added {
			continue
		}
		if err := h.budget.Take(keyBytes(size), "remembering the rows SELECT DISTINCT sent"); err != nil {
			return nil, err
		}
		return r, nil
	}
}

// Close closes the input.
func (h *HashDistinct) Close() error { return h.in.Close() }

// RowSet is a set of rows described by one list of columns, whose members
// are distinct as MySQL's DISTINCT and UNION judge them (1.50 = 1.5 in
// DECIMAL, 'a' = 'A ' under a PAD SPACE _ci collation).
type RowSet struct {
	keys []func(Value) []byte
	seen map[string]struct{}
}

// NewRowSet makes an empty set of rows described by cols.
func NewRowSet(cols []Column) (*RowSet, error) {
	s := &RowSet{seen: map[string]struct{}{}}
	for _, col := range cols {
		k, err := valueKey(col)
		if err != nil {
			return nil, fmt.Errorf("distinct: column %s: %w", col.Name, err)
		}
		s.keys = append(s.keys, k)
	}
	return s, nil
}

// Add puts r in the set and reports whether it was new.
func (s *RowSet) Add(r Row) (bool, error) {
	added, _, err := s.add(r)
	return added, err
}

// add is Add that also says how many bytes the remembered key has.
func (s *RowSet) add(r Row) (bool, int, error) {
	if len(r) != len(s.keys) {
		return false, 0, fmt.Errorf("distinct: row has %d columns, want %d", len(r), len(s.keys))
	}
	k := s.rowKey(r)
	if _, dup := s.seen[k]; dup {
		return false, 0, nil
	}
	s.seen[k] = struct{}{}
	return true, len(k), nil
}

// rowKey joins the column keys, length-prefixed, with NULL distinct from
// every string.
func (s *RowSet) rowKey(r Row) string {
	var b []byte
	for i, v := range r {
		if v == nil {
			b = append(b, 0)
			continue
		}
		k := s.keys[i](v)
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
	}
	return string(b)
}

// valueKey returns a function giving equal bytes for values that compare
// equal under ValueComparer.
func valueKey(col Column) (func(Value) []byte, error) {
	if FixedBinary(col) {
		return func(v Value) []byte { return fixedBinaryKey(v) }, nil
	}
	if BitAsNumber(col) {
		return decimalKey, nil
	}
	switch classOf(col.Type) {
	case classDecimal:
		return decimalKey, nil
	case classFloat:
		return floatKey, nil
	case classTime:
		return timeKey, nil
	case classBytes:
		return func(v Value) []byte { return v }, nil
	}
	c, err := columnCollation(col, "")
	if err != nil {
		return nil, err
	}
	return c.Key, nil
}

func decimalKey(v Value) []byte {
	n, ok := splitNumber(v)
	if !ok {
		return floatKey(v)
	}
	k := []byte{'+'}
	if n.neg {
		k[0] = '-'
	}
	k = append(k, n.whole...)
	k = append(k, '.')
	return append(k, n.frac...)
}

func floatKey(v Value) []byte {
	if f, err := strconv.ParseFloat(string(v), 64); err == nil {
		return strconv.AppendFloat([]byte{'f'}, f+0, 'g', -1, 64) // +0 folds -0 into 0
	}
	return append([]byte{'s'}, v...)
}

func timeKey(v Value) []byte {
	if us, ok := timeMicros(v); ok {
		return strconv.AppendInt([]byte{'t'}, us, 10)
	}
	return append([]byte{'s'}, v...)
}
