package planner

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// movingEvents places events by a move of its range boundary 1000 down to
// 500 (s0 gives keys 500..999 to s1), marked up to markKey on s0.
func movingEvents(t *testing.T, s *Sharding, markKey int64) *shard.Moving {
	t.Helper()
	l := s.Layout()
	to, err := shard.NewRange("events", "id", map[string]string{"s0": "..500", "s1": "500..2000", "s2": "2000.."})
	if err != nil {
		t.Fatal(err)
	}
	m, err := shard.NewMoving(l.Table("events").Method, to, shard.IntegerOrder)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMark("s0", shard.Int(markKey)); err != nil {
		t.Fatal(err)
	}
	next, err := l.WithMethod("events", m)
	if err != nil {
		t.Fatal(err)
	}
	s.SetLayout(next)
	return m
}

// While a table moves, keys route by the mark, ranges read every shard of
// both layouts, and a join with a table that does not move is refused.
func TestPlanWhileATableMoves(t *testing.T) {
	s := testSharding(t)
	movingEvents(t, s, 700)
	tests := []struct {
		name, sql string
		clusters  []string
		refused   string
	}{
		{"a moved key goes to its new shard", "SELECT * FROM events WHERE id = 650", []string{"s1"}, ""},
		{"a key not moved yet stays", "SELECT * FROM events WHERE id = 800", []string{"s0"}, ""},
		{"an insert of a moved key goes to its new shard", "INSERT INTO events (id, kind) VALUES (600, 'x')", []string{"s1"}, ""},
		{"a key that never moves", "UPDATE events SET kind = 'y' WHERE id = 10", []string{"s0"}, ""},
		{"a range reads every shard", "SELECT * FROM events WHERE id BETWEEN 10 AND 20", []string{"s0", "s1", "s2"}, ""},
		{"IN splits by the mark", "SELECT * FROM events WHERE id IN (650, 800)", []string{"s1", "s0"}, ""},
	}
	for _, tt := range tests {
		p, err := plan(t, s, tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got := routeClusters(p)
		if !sameSet(got, tt.clusters) {
			t.Errorf("%s: %s runs on %v, want %v", tt.name, tt.sql, got, tt.clusters)
		}
	}
	if p, err := plan(t, s, "SELECT * FROM events WHERE id = 650"); err != nil {
		t.Error(err)
	} else if !strings.Contains(p.Reason, "moving to a new layout") || !strings.Contains(p.Reason, "s0 700") {
		t.Errorf("EXPLAIN's reason for a moving table does not say so: %q", p.Reason)
	}
	if !s.Layout().HasMoving() {
		t.Fatal("the layout does not know a table moves")
	}

	// entries and likes are co-sharded; were entries moving, likes' rows
	// would not follow.
	l := s.Layout()
	to, _ := shard.NewHash("entries", "id", map[string]string{"s0": "-80", "s1": "80-c0", "s2": "c0-"})
	m, _ := shard.NewMoving(l.Table("entries").Method, to, shard.IntegerOrder)
	next, _ := l.WithMethod("entries", m)
	s.SetLayout(next)
	join := "SELECT * FROM entries e JOIN likes l ON e.id = l.entry_id WHERE e.id = 42"
	if _, err := plan(t, s, join); err == nil || !strings.Contains(err.Error(), "not sharded the same way") {
		t.Errorf("a join of a moving table with a co-sharded one: %v, want refused", err)
	}
	// Moving together, they join on each shard again.
	likesTo, _ := shard.NewHash("likes", "entry_id", map[string]string{"s0": "-80", "s1": "80-c0", "s2": "c0-"})
	likes, err := m.With(next.Table("likes").Method, likesTo)
	if err != nil {
		t.Fatal(err)
	}
	both, _ := next.WithMethod("likes", likes)
	s.SetLayout(both)
	if p, err := plan(t, s, join); err != nil || p.Kind != PlanRelay {
		t.Errorf("a join of two tables moving together: %v, %v; want one shard", p, err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Enter holds a statement on a moving table out while a batch runs, and
// lets every other statement through without waiting.
func TestEnterWaitsForTheMovingTablesFence(t *testing.T) {
	s := testSharding(t)
	facts := func(sql string) *sqlparse.Facts {
		f, err := sqlparse.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		return f[0]
	}
	if r, err := s.Enter(context.Background(), facts("SELECT * FROM events WHERE id = 5")); r != nil || err != nil {
		t.Fatalf("no table moves: release %v, %v; want none", r != nil, err)
	}
	m := movingEvents(t, s, 700)
	if err := m.Fence().Close(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Enter(context.Background(), facts("SELECT * FROM comments WHERE entry_id = 5")); r != nil || err != nil {
		t.Errorf("a statement on another table: release %v, %v; want none, at once", r != nil, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	for _, sql := range []string{"SELECT * FROM events WHERE id = 5", "DELETE FROM events WHERE id = 5", "INSERT INTO comments SELECT * FROM events"} {
		if _, err := s.Enter(ctx, facts(sql)); err == nil {
			t.Errorf("%s entered while the batch ran", sql)
		}
	}
	m.Fence().Open()
	r, err := s.Enter(context.Background(), facts("SELECT * FROM events WHERE id = 5"))
	if err != nil || r == nil {
		t.Fatalf("after the batch: release %v, %v", r != nil, err)
	}
	if m.Fence().Inside() != 1 {
		t.Errorf("%d statements inside, want 1", m.Fence().Inside())
	}
	r()
}
