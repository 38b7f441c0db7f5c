package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Each merge step that holds rows in memory stops with ErrMemoryLimit,
// naming itself and the limit, once what it holds passes its budget; a
// step that holds a bounded number of rows (a top-N, a DISTINCT
// aggregate over sorted values) answers within the same budget, and
// every step answers as without a budget when the budget is large
// enough. A step that lets go of its rows gives their bytes back, so a
// statement's later steps get them.
func TestBudgetBoundsWhatMergeStepsHold(t *testing.T) {
	// 200 rows of about 1 KB: 200 KB held by a step that keeps them all.
	rows := make([]Row, 200)
	for i := range rows {
		rows[i] = Row{Value(fmt.Sprint(i % 20)), Value(fmt.Sprintf("%04d%s", 199-i, strings.Repeat("x", 1000)))}
	}
	cols := []Column{intCol, col("v", TypeVarString, 63)}
	byValue, err := NewComparator(cols, []SortKey{{Col: 1}})
	if err != nil {
		t.Fatal(err)
	}
	aggregate := func(in RowStream, sorted bool, b *Budget) RowStream {
		agg, err := NewAggregate(in, cols, AggregateSpec{
			GroupBy: []SortKey{{Col: 0}},
			Outputs: []AggOutput{{Func: AggKey, Col: 0}, {Func: AggCountDistinct, Col: 1, Sorted: sorted}},
			Budget:  b,
		})
		if err != nil {
			t.Fatal(err)
		}
		return agg
	}
	byGroup := func() RowStream { // rows sorted by group, then value: what a merge gives
		sorted, err := NewComparator(cols, []SortKey{{Col: 0}, {Col: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return NewSort(NewSliceStream(rows...), sorted, nil)
	}
	tests := []struct {
		name      string
		step      func(b *Budget) RowStream
		holdsAll  bool  // holds every row, so 50 KB cannot do
		keepsHeld bool  // still holds its keys after the last row (a DISTINCT's set)
		limit     int64 // the small budget
	}{
		{"sort", func(b *Budget) RowStream { return NewSort(NewSliceStream(rows...), byValue, b) }, true, false, 50 << 10},
		{"top 3", func(b *Budget) RowStream { return NewTopN(NewSliceStream(rows...), byValue, 3, b) }, false, false, 50 << 10},
		{"hash distinct", func(b *Budget) RowStream {
			d, err := NewHashDistinct(NewSliceStream(rows...), cols, b)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, true, true, 50 << 10},
		// One group of 10 values of 1 KB: 10 KB held at most, so 5 KB
		// cannot hold a group's set, 50 KB can.
		{"COUNT(DISTINCT) over unsorted values", func(b *Budget) RowStream { return aggregate(byGroup(), false, b) }, true, false, 5 << 10},
		{"COUNT(DISTINCT) over sorted values", func(b *Budget) RowStream { return aggregate(byGroup(), true, b) }, false, false, 5 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := collect(t, tt.step(nil))

			large := NewBudget("test", 1<<20, nil)
			if got := collect(t, tt.step(large)); got != want {
				t.Errorf("within a 1M budget: %.80s, want %.80s", got, want)
			}
			if held := large.Used(); (held > 0) != tt.keepsHeld {
				t.Errorf("after the last row the budget still counts %d bytes", held)
			}

			small := NewBudget("test", tt.limit, nil)
			rows, err := Collect(context.Background(), tt.step(small))
			got := show(rows)
			if !tt.holdsAll {
				if err != nil || got != want {
					t.Errorf("within %s: %.80s, %v; want %.80s (it holds only a few rows)", FormatBytes(tt.limit), got, err, want)
				}
				return
			}
			if !errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), FormatBytes(tt.limit)) {
				t.Fatalf("within %s: %d bytes of rows, then %v; want ErrMemoryLimit naming the limit", FormatBytes(tt.limit), len(got), err)
			}
			if small.Used() > tt.limit {
				t.Errorf("the budget counts %d bytes held, over its limit %d", small.Used(), tt.limit)
			}
		})
	}
}

func TestBudgetTakeAndGive(t *testing.T) {
	b := NewBudget("limits.max_merge_memory", 100, nil)
	if err := b.Take(60, "a step"); err != nil {
		t.Fatal(err)
	}
	err := b.Take(41, "sorting")
	if !errors.Is(err, ErrMemoryLimit) || err.Error() != "merge memory limit reached: sorting needs more than 100 bytes (limits.max_merge_memory)" {
		t.Errorf("Take past the limit: %v", err)
	}
	if b.Used() != 60 {
		t.Errorf("a refused Take stays counted: used %d, want 60", b.Used())
	}
	b.Give(60)
	if err := b.Take(100, "a step"); err != nil {
		t.Errorf("the bytes given back cannot be taken again: %v", err)
	}
	for _, unbounded := range []*Budget{nil, NewBudget("none", 0, nil)} {
		if err := unbounded.Take(1<<40, "a step"); err != nil || unbounded.Limit() != 0 {
			t.Errorf("a budget without a limit refused %v (limit %d)", err, unbounded.Limit())
		}
	}
}

// Statements' budgets draw on one shared by all: a statement within its
// own limit is refused when all of them together would pass the shared
// one, and what a statement held goes back to the shared budget when it
// ends, whether its steps gave it back or not.
func TestBudgetsShareTheirParent(t *testing.T) {
	total := NewBudget("limits.max_merge_memory_total", 150, nil)
	a := NewBudget("limits.max_merge_memory", 100, total)
	b := NewBudget("limits.max_merge_memory", 100, total)
	if err := a.Take(90, "sorting"); err != nil {
		t.Fatal(err)
	}
	err := b.Take(90, "sorting")
	if !errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), "more than 150 bytes (limits.max_merge_memory_total)") {
		t.Errorf("a second statement past the shared limit: %v; want the shared limit named", err)
	}
	if b.Used() != 0 || total.Used() != 90 {
		t.Errorf("after the refusal: statement %d, shared %d; want 0 and 90", b.Used(), total.Used())
	}
	a.Release()
	if total.Used() != 0 {
		t.Errorf("after the first statement ended the shared budget holds %d bytes", total.Used())
	}
	a.Give(90) // a step's late give after the end changes nothing
	if err := a.Take(40, "sorting"); err != nil || total.Used() != 0 {
		t.Errorf("a take after the end: %v, shared %d; want nothing taken", err, total.Used())
	}
	if err := b.Take(100, "sorting"); err != nil || total.Used() != 100 {
		t.Errorf("after the first statement ended: %v, shared %d", err, total.Used())
	}
	total.SetLimit(50)
	if err := b.Take(1, "sorting"); !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("after a lower shared limit (a reload): %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{256 << 20: "256M", 1 << 30: "1G", 64 << 10: "64K", 1500: "1500 bytes", (1 << 20) + 1: "1048577 bytes"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
