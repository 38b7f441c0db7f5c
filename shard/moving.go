package shard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Moving is the method of a sharded table whose rows move from the
// placement of From to that of To while Strata serves the table (an
// online rebalance). The move walks the key upward in batches; a key the
// walk has passed (Mark) is placed by To, a key it has not by From, so
// each row has one owner at every moment. Keys both methods place alike
// never move.
//
// The walk reads the next batch with "key > mark ORDER BY key" on the
// servers, so Strata must order keys exactly as they do (KeyOrder):
// integers, and text in a collation Strata reproduces exactly.
type Moving struct {
	From, To Method
	shards   []string
	*move    // shared by the tables that move together (With)
}

// move is the walk tables sharded alike share when they move together,
// so rows joined on the key stay on one shard at every moment.
type move struct {
	order KeyOrder
	// marks holds, per shard of From, how far the walk of its rows got:
	// each source shard is walked on its own, so a failed batch on one
	// leaves the others' placement as it is.
	marks map[string]*atomic.Pointer[mark]
	fence Fence
}

// mark is a source shard's progress: every key up to key has moved (all:
// every key has).
type mark struct {
	key Value
	all bool
}

// KeyOrder compares two shard-key values as the servers order the key
// column; an error for a value the order cannot place (a number for a
// text key, which MariaDB compares as a number).
type KeyOrder func(a, b Value) (int, error)

// IntegerOrder orders integer keys (and quoted integers, as MariaDB
// compares them with an integer column).
func IntegerOrder(a, b Value) (int, error) {
	x, err := a.asInt()
	if err != nil {
		return 0, err
	}
	y, err := b.asInt()
	if err != nil {
		return 0, err
	}
	return x.compare(y), nil
}

// TextOrder orders text keys by compare, the key column's collation as
// the servers compare it.
func TextOrder(compare func(a, b []byte) int) KeyOrder {
	return func(a, b Value) (int, error) {
		x, err := a.asString()
		if err != nil {
			return 0, err
		}
		y, err := b.asString()
		if err != nil {
			return 0, err
		}
		return compare([]byte(x), []byte(y)), nil
	}
}

// NewMoving starts a move from one method to another for the same key
// column, whose keys order compares. Lookup and date methods do not move
// online: a lookup table's keys move by editing its entries, and date
// tables live in period tables.
func NewMoving(from, to Method, order KeyOrder) (*Moving, error) {
	for _, m := range []Method{from, to} {
		switch m.(type) {
		case *Moving:
			return nil, errors.New("the table is already moving")
		case Periodic:
			return nil, errors.New("date tables do not move online: their rows live in period tables")
		}
		if m.Name() == MethodLookup {
			return nil, errors.New("lookup tables do not move online: a key's shard is its entry in the lookup table")
		}
	}
	if from.Key() != to.Key() {
		return nil, fmt.Errorf("the shard key changes from %s to %s: a move keeps the key column", from.Key(), to.Key())
	}
	if order == nil {
		return nil, errors.New("no order of the shard key to walk it by")
	}
	shards := slices.Clone(from.Shards())
	for _, s := range to.Shards() {
		if !slices.Contains(shards, s) {
			shards = append(shards, s)
		}
	}
	marks := map[string]*atomic.Pointer[mark]{}
	for _, s := range from.Shards() {
		marks[s] = new(atomic.Pointer[mark])
	}
	return &Moving{From: from, To: to, shards: shards, move: &move{order: order, marks: marks}}, nil
}

// With is the move of another table sharded as m's is (a table joined
// with m's on the key) from from to to, sharing m's marks and fence: its
// keys go by the new layout exactly when m's do, so joins on the key stay
// on one shard. Its old layout must have m's shards.
func (m *Moving) With(from, to Method) (*Moving, error) {
	o, err := NewMoving(from, to, m.order)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(from.Shards(), m.From.Shards()) {
		return nil, fmt.Errorf("its shards %v are not those of the table it moves with (%v)", from.Shards(), m.From.Shards())
	}
	o.move = m.move
	return o, nil
}

// SameMove reports whether o moves together with m (With).
func (m *Moving) SameMove(o *Moving) bool { return m.move == o.move }

// Name is the method's name in the new placement.
func (m *Moving) Name() string { return m.To.Name() }

// Key is the shard-key column.
func (m *Moving) Key() string { return m.From.Key() }

// Shards lists the shards of both placements, From's first.
func (m *Moving) Shards() []string { return m.shards }

// Ordered is false: while rows move, a shard's keys are no contiguous
// run of either placement.
func (m *Moving) Ordered() bool { return false }

// ShardFor places v by To once the move has passed it, else by From.
func (m *Moving) ShardFor(v Value) (string, error) {
	from, err := m.From.ShardFor(v)
	if err != nil {
		return "", err
	}
	to, err := m.To.ShardFor(v)
	if err != nil || to == from {
		return to, err
	}
	passed, err := m.passed(from, v)
	switch {
	case err != nil:
		return "", err
	case passed:
		return to, nil
	}
	return from, nil
}

// ShardForContext is ShardFor; neither placement does I/O.
func (m *Moving) ShardForContext(_ context.Context, v Value) (string, error) { return m.ShardFor(v) }

// ShardsForRange is every shard either placement may hold the range on.
func (m *Moving) ShardsForRange(lo, hi Bound) ([]string, error) {
	a, err := m.From.ShardsForRange(lo, hi)
	if err != nil {
		return nil, err
	}
	b, err := m.To.ShardsForRange(lo, hi)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Passed reports whether the move has passed key v on the shard From
// places it on: its row, if any, is where To places it.
func (m *Moving) Passed(v Value) (bool, error) {
	from, err := m.From.ShardFor(v)
	if err != nil {
		return false, err
	}
	return m.passed(from, v)
}

func (m *Moving) passed(from string, v Value) (bool, error) {
	mk := m.marks[from]
	if mk == nil {
		return false, fmt.Errorf("shard %s is not a shard of the placement the rows move from", from)
	}
	p := mk.Load()
	switch {
	case p == nil:
		if _, err := m.order(v, v); err != nil {
			return false, err // not a key this walk can place
		}
		return false, nil
	case p.all:
		return true, nil
	}
	c, err := m.order(v, p.key)
	return err == nil && c <= 0, err
}

// SetMark records that every key up to v of the rows on shard from (a
// shard of From) is placed by To. Call it only while the fence is
// closed, after those rows have moved; the mark only rises.
func (m *Moving) SetMark(from string, v Value) error {
	mk := m.marks[from]
	if mk == nil {
		return fmt.Errorf("shard %s is not a shard of the placement the rows move from", from)
	}
	if _, err := m.order(v, v); err != nil {
		return fmt.Errorf("moving mark %s: %w", v, err)
	}
	if old := mk.Load(); old != nil {
		c, err := m.order(v, old.key)
		if old.all || err != nil || c < 0 {
			return fmt.Errorf("moving mark %s of shard %s is below its current mark", v, from)
		}
	}
	mk.Store(&mark{key: v})
	return nil
}

// FinishShard records that every key of shard from's rows is placed by
// To (the last batch there had no upper bound).
func (m *Moving) FinishShard(from string) {
	if mk := m.marks[from]; mk != nil {
		mk.Store(&mark{all: true})
	}
}

// Finish records that every key is placed by To.
func (m *Moving) Finish() {
	for s := range m.marks {
		m.FinishShard(s)
	}
}

// Done reports whether every source shard is finished.
func (m *Moving) Done() bool {
	for _, mk := range m.marks {
		if p := mk.Load(); p == nil || !p.all {
			return false
		}
	}
	return true
}

// MarkOf is shard from's progress: the highest key moved off it (set
// false before its first batch), or all when every key has.
func (m *Moving) MarkOf(from string) (key Value, set, all bool) {
	mk := m.marks[from]
	if mk == nil {
		return Value{}, false, false
	}
	p := mk.Load()
	if p == nil {
		return Value{}, false, false
	}
	return p.key, true, p.all
}

// Marks shows each source shard's mark: "" before its first batch,
// "(all)" once finished, else the highest key moved.
func (m *Moving) Marks() map[string]string {
	out := make(map[string]string, len(m.marks))
	for s, mk := range m.marks {
		switch p := mk.Load(); {
		case p == nil:
			out[s] = ""
		case p.all:
			out[s] = MarkAll
		default:
			out[s] = string(p.key.Canonical())
		}
	}
	return out
}

// MarkAll is how Marks shows a finished source shard.
const MarkAll = "(all)"

// Fence is the gate statements on the table pass while it moves.
func (m *Moving) Fence() *Fence { return &m.fence }

// ErrFenceBusy: statements on a moving table did not finish within the
// wait, so the batch that needed them out did not start.
var ErrFenceBusy = errors.New("statements on the table did not finish in time")

// Fence keeps statements on a moving table out while a batch of its rows
// changes shards, so no statement sees a row on both shards or on
// neither, and no write lands by a placement that changes under it.
// Statements Enter and release; a batch Closes the fence, which makes
// new statements wait and waits for those inside, and Opens it after.
type Fence struct {
	mu      sync.Mutex
	inside  int
	closed  chan struct{} // non-nil while closed: closed when it opens
	drained chan struct{} // closed when the last statement inside leaves
}

// Enter waits while the fence is closed, then counts a statement in
// until release is called. It fails only when ctx ends first.
func (f *Fence) Enter(ctx context.Context) (release func(), err error) {
	for {
		f.mu.Lock()
		wait := f.closed
		if wait == nil {
			f.inside++
			f.mu.Unlock()
			return f.leave, nil
		}
		f.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *Fence) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inside--
	if f.inside == 0 && f.drained != nil {
		close(f.drained)
		f.drained = nil
	}
}

// Close stops new statements and waits up to wait for those inside to
// leave. When they do not, it opens again and returns ErrFenceBusy: a
// long statement (or a transaction waiting on the batch's row locks)
// must not stall the table's other statements for long.
func (f *Fence) Close(ctx context.Context, wait time.Duration) error {
	f.mu.Lock()
	if f.closed != nil {
		f.mu.Unlock()
		return errors.New("the fence is already closed")
	}
	f.closed = make(chan struct{})
	if f.inside == 0 {
		f.mu.Unlock()
		return nil
	}
	drained := make(chan struct{})
	f.drained = drained
	f.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-drained:
		return nil
	case <-t.C:
		f.Open()
		return fmt.Errorf("%w (%s)", ErrFenceBusy, wait)
	case <-ctx.Done():
		f.Open()
		return ctx.Err()
	}
}

// Open lets statements in again.
func (f *Fence) Open() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed != nil {
		close(f.closed)
		f.closed, f.drained = nil, nil
	}
}

// Inside is how many statements are inside the fence.
func (f *Fence) Inside() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inside
}
