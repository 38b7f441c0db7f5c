package engine

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrMemoryLimit: a statement's merge would hold more of Strata's memory
// than its Budget allows. Strata cannot spill to disk as a server does
// with a temporary table, so the statement is refused instead of letting
// one report take the memory every other client's session needs.
var ErrMemoryLimit = errors.New("merge memory limit reached")

// Budget bounds the memory the steps of one statement's merge hold at
// once: the rows an in-memory sort keeps, the keys a DISTINCT or a
// DISTINCT aggregate remembers, a shard's answer read ahead. Steps that
// stream (a merge sort, a LIMIT, an aggregate over sorted groups) hold
// nothing and take nothing. A nil Budget, or one without a limit, bounds
// nothing. Its methods are safe for concurrent use: the sources of one
// merge may be read ahead side by side.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes (0 or less: no bound).
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Limit is the budget's bound in bytes (0: none).
func (b *Budget) Limit() int64 {
	if b == nil || b.limit <= 0 {
		return 0
	}
	return b.limit
}

// Used is how many bytes the steps hold now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Take accounts n more bytes held for what (a step, in words: "sorting
// the merged rows"). Past the limit it gives them back and returns an
// error wrapping ErrMemoryLimit that names the step and the limit.
func (b *Budget) Take(n int64, what string) error {
	if b == nil || b.limit <= 0 {
		return nil
	}
	if used := b.used.Add(n); used > b.limit {
		b.used.Add(-n)
		return fmt.Errorf("%w: %s needs more than %s", ErrMemoryLimit, what, FormatBytes(b.limit))
	}
	return nil
}

// Give returns n bytes a step no longer holds.
func (b *Budget) Give(n int64) {
	if b != nil && b.limit > 0 {
		b.used.Add(-n)
	}
}

// Sizes Go spends besides the bytes of the values: a slice header per
// value and per row, a map entry and its string header per remembered
// key. Estimates, so a budget is a bound on the order of the memory, not
// an exact count.
const (
	sliceHeaderBytes = 24
	mapEntryBytes    = 48
)

// RowBytes estimates the memory a row holds.
func RowBytes(r Row) int64 {
	n := int64(sliceHeaderBytes) + int64(sliceHeaderBytes)*int64(len(r))
	for _, v := range r {
		n += int64(len(v))
	}
	return n
}

// keyBytes estimates the memory a remembered key of k bytes holds.
func keyBytes(k int) int64 { return int64(mapEntryBytes + k) }

// FormatBytes writes n as the configuration writes sizes (256M, 64K, 100).
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dG", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
