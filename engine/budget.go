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
// nothing and take nothing. A statement's budget may draw on a parent
// shared by all statements, so that many reports at once cannot take
// the process's memory either. A nil Budget bounds and counts nothing;
// one with a limit of 0 counts without a bound. Its methods are safe for
// concurrent use: the sources of one merge may be read ahead side by
// side, and a parent serves every session.
type Budget struct {
	name     string // the setting the limit comes from, for errors
	limit    atomic.Int64
	used     atomic.Int64
	parent   *Budget
	released atomic.Bool
}

// NewBudget returns a budget of limit bytes (0 or less: no bound) set by
// the setting name, drawing on parent (nil: none).
func NewBudget(name string, limit int64, parent *Budget) *Budget {
	b := &Budget{name: name, parent: parent}
	b.limit.Store(max(limit, 0))
	return b
}

// SetLimit changes the bound (a config reload); bytes already held stay
// held, and only further Takes see it.
func (b *Budget) SetLimit(limit int64) { b.limit.Store(max(limit, 0)) }

// Limit is the budget's bound in bytes (0: none).
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit.Load()
}

// Used is how many bytes the steps hold now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Take accounts n more bytes held for what (a step, in words: "sorting
// the merged rows"), here and in the parent. Past either's limit it
// takes nothing and returns an error wrapping ErrMemoryLimit that names
// the step, the limit and its setting. After Release it accounts
// nothing: its statement has ended, and nothing would give the bytes
// back to the parent.
func (b *Budget) Take(n int64, what string) error {
	if b == nil || b.released.Load() {
		return nil
	}
	if used := b.used.Add(n); b.overLimit(used) {
		b.used.Add(-n)
		return fmt.Errorf("%w: %s needs more than %s (%s)", ErrMemoryLimit, what, FormatBytes(b.Limit()), b.name)
	}
	if err := b.parent.Take(n, what); err != nil {
		b.used.Add(-n)
		return err
	}
	return nil
}

func (b *Budget) overLimit(used int64) bool {
	limit := b.limit.Load()
	return limit > 0 && used > limit
}

// Give returns n bytes a step no longer holds.
func (b *Budget) Give(n int64) {
	if b == nil || b.released.Load() {
		return
	}
	b.used.Add(-n)
	b.parent.Give(n)
}

// Release gives back everything the budget still holds, when its
// statement ends: a DISTINCT's set is dropped with its stream, not
// given back key by key. Gives after it are ignored.
func (b *Budget) Release() {
	if b == nil || b.released.Swap(true) {
		return
	}
	b.parent.Give(b.used.Swap(0))
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
