package shard

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A range split: keys 500..999 move from s0 to s1 as the mark passes
// them; keys both placements agree on never change shard.
func TestMovingPlacesByTheMark(t *testing.T) {
	from, err := NewRange("events", "id", map[string]string{"s0": "..1000", "s1": "1000.."})
	if err != nil {
		t.Fatal(err)
	}
	to, err := NewRange("events", "id", map[string]string{"s0": "..500", "s1": "500.."})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMoving(from, to, IntegerOrder)
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		mark   Value // Null: no mark set yet
		finish bool
		key    Value
		want   string
	}
	steps := []step{
		{key: Int(10), want: "s0"},
		{key: Int(600), want: "s0"}, // not passed yet
		{key: Int(1500), want: "s1"},
		{mark: Int(700), key: Int(600), want: "s1"},
		{mark: Int(700), key: Int(700), want: "s1"}, // the mark itself has moved
		{mark: Int(700), key: Int(701), want: "s0"},
		{mark: Int(700), key: String("650"), want: "s1"}, // a quoted integer, as MariaDB compares it
		{mark: Int(700), key: Int(10), want: "s0"},       // never moves
		{finish: true, key: Int(999), want: "s1"},
		{finish: true, key: Int(10), want: "s0"},
	}
	for _, st := range steps {
		if !st.mark.IsNull() {
			if err := m.SetMark("s0", st.mark); err != nil {
				t.Fatal(err)
			}
		}
		if st.finish {
			m.Finish()
		}
		got, err := m.ShardFor(st.key)
		if err != nil || got != st.want {
			t.Errorf("marks %v done %v: ShardFor(%v) = %q, %v; want %q", m.Marks(), m.Done(), st.key, got, err, st.want)
		}
	}
	if err := m.SetMark("s0", Int(600)); err == nil {
		t.Error("the mark went down from 700 to 600")
	}
	if err := m.SetMark("s9", Int(600)); err == nil {
		t.Error("a mark was set for a shard the rows do not move from")
	}
	if got, want := m.Shards(), []string{"s0", "s1"}; !slices.Equal(got, want) {
		t.Errorf("Shards = %v, want %v", got, want)
	}
	if m.Ordered() {
		t.Error("a moving table walks its shards in key order")
	}
}

// A hash split to a new cluster: the union of both placements' shards is
// where a range or a scatter must read, and a key that is no integer is
// not placed (a read scatters, a write is refused) because the move's
// order is the integers'.
func TestMovingHashToANewCluster(t *testing.T) {
	from, _ := NewHash("events", "id", map[string]string{"s0": "-80", "s1": "80-"})
	to, _ := NewHash("events", "id", map[string]string{"s0": "-80", "s1": "80-c0", "s2": "c0-"})
	m, err := NewMoving(from, to, IntegerOrder)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Shards(), []string{"s0", "s1", "s2"}; !slices.Equal(got, want) {
		t.Errorf("Shards = %v, want %v", got, want)
	}
	got, err := m.ShardsForRange(Incl(Int(1)), Incl(Int(5)))
	if err != nil || len(got) != 3 {
		t.Errorf("ShardsForRange = %v, %v; want all three", got, err)
	}
	textMoves := 0
	for c := 'a'; c <= 'z'; c++ {
		text := "ab" + string(c)
		a, _ := from.ShardFor(String(text))
		b, _ := to.ShardFor(String(text))
		if a == b {
			continue
		}
		textMoves++
		if _, err := m.ShardFor(String(text)); !errors.Is(err, ErrKeyType) {
			t.Errorf("ShardFor(%q), which moves, error = %v, want ErrKeyType", text, err)
		}
	}
	if textMoves == 0 {
		t.Fatal("no text key of the sample moves")
	}
	var moving Value
	for i := int64(0); i < 1000 && moving.IsNull(); i++ {
		a, _ := from.ShardFor(Int(i))
		b, _ := to.ShardFor(Int(i))
		if a != b {
			moving = Int(i)
		}
	}
	if moving.IsNull() {
		t.Fatal("no key below 1000 moves")
	}
	if s, _ := m.ShardFor(moving); s != "s1" {
		t.Errorf("key %v before the mark: %s, want s1", moving, s)
	}
	m.Finish()
	if s, _ := m.ShardFor(moving); s != "s2" {
		t.Errorf("key %v after the move: %s, want s2", moving, s)
	}
}

func TestMovingRefuses(t *testing.T) {
	r, _ := NewRange("events", "id", map[string]string{"s0": "..1000", "s1": "1000.."})
	other, _ := NewRange("events", "user_id", map[string]string{"s0": "..1000", "s1": "1000.."})
	look, _ := NewLookupMethod("orders", Config{ShardKey: "customer_id", Method: MethodLookup, Shards: []string{"s0", "s1"}, LookupTable: "customer_shards", Lookup: mapLookup{}})
	moving, _ := NewMoving(r, r, IntegerOrder)
	tests := []struct {
		name     string
		from, to Method
	}{
		{"key column changes", r, other},
		{"lookup", look, r},
		{"already moving", moving, r},
	}
	for _, tt := range tests {
		if tt.from == nil || tt.to == nil {
			t.Fatalf("%s: a method did not build", tt.name)
		}
		if _, err := NewMoving(tt.from, tt.to, IntegerOrder); err == nil {
			t.Errorf("%s: NewMoving accepted it", tt.name)
		}
	}
}

// A text key moves in its collation's order: the mark places every
// spelling the collation finds equal alike, and a number, which MariaDB
// compares with a text column as a number, is not placed.
func TestMovingTextKeys(t *testing.T) {
	from, _ := NewKeyRange("members", "name", map[string]string{"s0": "..n", "s1": "n.."})
	to, _ := NewKeyRange("members", "name", map[string]string{"s0": "..g", "s1": "g.."})
	fold := func(a, b []byte) int { return strings.Compare(strings.ToLower(string(a)), strings.ToLower(string(b))) }
	m, err := NewMoving(from, to, TextOrder(fold))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMark("s0", String("hank")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  Value
		want string
	}{
		{String("hank"), "s1"}, // the mark itself has moved
		{String("ha"), "s1"},
		{String("kim"), "s0"},   // above the mark: not moved yet
		{String("alice"), "s0"}, // never moves
	}
	for _, tt := range tests {
		if got, err := m.ShardFor(tt.key); err != nil || got != tt.want {
			t.Errorf("ShardFor(%v) = %q, %v; want %q", tt.key, got, err, tt.want)
		}
	}
	if got, _ := m.Passed(String("HANK")); !got {
		t.Error("'HANK', equal to the mark in the key's collation, is not passed")
	}
	if err := m.SetMark("s0", String("Gus")); err == nil {
		t.Error("the mark went down from hank to Gus")
	}
	if _, err := m.Passed(Int(5)); !errors.Is(err, ErrKeyType) {
		t.Errorf("a number for a text key: %v, want ErrKeyType", err)
	}
	if got := m.Marks(); got["s0"] != "hank" || got["s1"] != "" {
		t.Errorf("Marks = %v", got)
	}
	m.FinishShard("s0")
	if _, _, all := m.MarkOf("s0"); !all || m.Marks()["s0"] != MarkAll || m.Done() {
		t.Errorf("after s0 finished: marks %v, done %v", m.Marks(), m.Done())
	}
}

// The fence lets statements in while open, holds new ones while a batch
// runs, and gives up on a batch whose wait for the statements inside
// runs out, opening again for them.
func TestFence(t *testing.T) {
	var f Fence
	ctx := context.Background()
	release, err := f.Enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(ctx, 20*time.Millisecond); !errors.Is(err, ErrFenceBusy) {
		t.Fatalf("Close with a statement inside = %v, want ErrFenceBusy", err)
	}
	second, err := f.Enter(ctx) // open again after the failed Close
	if err != nil {
		t.Fatal(err)
	}
	second()

	closed := make(chan error)
	go func() { closed <- f.Close(ctx, 5*time.Second) }()
	time.Sleep(20 * time.Millisecond)
	var entered atomic.Bool
	go func() {
		r, err := f.Enter(ctx)
		if err == nil {
			entered.Store(true)
			r()
		}
	}()
	time.Sleep(20 * time.Millisecond)
	if entered.Load() {
		t.Fatal("a statement entered while a batch waited to close the fence")
	}
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close after the statement left = %v", err)
	}
	time.Sleep(20 * time.Millisecond)
	if entered.Load() {
		t.Fatal("a statement entered while the fence was closed")
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := f.Enter(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Enter on a closed fence until ctx ends = %v", err)
	}
	f.Open()
	for deadline := time.Now().Add(time.Second); !entered.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the waiting statement did not enter after Open")
		}
	}
	if n := f.Inside(); n != 0 {
		t.Errorf("Inside = %d after every statement left", n)
	}
}

// Tables sharded alike move together: a key passes for both at once, and
// they share one fence.
func TestMovingWith(t *testing.T) {
	entriesFrom, _ := NewHash("entries", "id", map[string]string{"s0": "-80", "s1": "80-"})
	entriesTo, _ := NewHash("entries", "id", map[string]string{"s0": "-80", "s1": "80-c0", "s2": "c0-"})
	likesFrom, _ := NewHash("likes", "entry_id", map[string]string{"s0": "-80", "s1": "80-"})
	likesTo, _ := NewHash("likes", "entry_id", map[string]string{"s0": "-80", "s1": "80-c0", "s2": "c0-"})
	entries, err := NewMoving(entriesFrom, entriesTo, IntegerOrder)
	if err != nil {
		t.Fatal(err)
	}
	likes, err := entries.With(likesFrom, likesTo)
	if err != nil {
		t.Fatal(err)
	}
	if !entries.SameMove(likes) || likes.Fence() != entries.Fence() || likes.Key() != "entry_id" {
		t.Fatalf("likes does not move with entries: same %v, key %s", entries.SameMove(likes), likes.Key())
	}
	if err := entries.SetMark("s1", Int(1000)); err != nil {
		t.Fatal(err)
	}
	for k := int64(0); k <= 1000; k++ {
		a, _ := entries.ShardFor(Int(k))
		b, _ := likes.ShardFor(Int(k))
		if a != b {
			t.Fatalf("key %d: entries on %s, likes on %s", k, a, b)
		}
	}
	other, _ := NewMoving(likesFrom, likesTo, IntegerOrder)
	if entries.SameMove(other) {
		t.Error("two separate moves report the same move")
	}
	lonely, _ := NewHash("likes", "entry_id", map[string]string{"s0": "-80", "s2": "80-"})
	if _, err := entries.With(lonely, likesTo); err == nil {
		t.Error("a table over other shards joined the move")
	}
}
