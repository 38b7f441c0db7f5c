package engine

import (
	"fmt"
	"runtime"
	"testing"
)

// COUNT(DISTINCT) over rows sorted by its argument within the group (the
// first DISTINCT argument of the shards' merge order) counts as a set
// does, equal values under the collation once, yet keeps one value, not
// every value: a COUNT(DISTINCT user_id) over millions of rows must not
// grow Strata's memory with them.
func TestSortedDistinctCountsWithoutASet(t *testing.T) {
	rows := parse("g,a;g,A;g,b;g,NULL;g,c;g,C;h,a;h,a")
	for _, sorted := range []bool{false, true} {
		agg, err := NewAggregate(NewSliceStream(rows...), []Column{ciCol, ciCol}, AggregateSpec{
			GroupBy: []SortKey{{Col: 0}},
			Outputs: []AggOutput{{Func: AggKey, Col: 0}, {Func: AggCountDistinct, Col: 1, Sorted: sorted}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, agg); got != "g,3;h,1" {
			t.Errorf("sorted=%v: got %s, want g,3;h,1 (a and A, c and C are one value under general_ci)", sorted, got)
		}
	}

	const n = 200_000
	grew := func(sorted bool) (count string, bytes int64) {
		agg, err := NewAggregate(NewSliceStream(), []Column{intCol}, AggregateSpec{})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := agg.newAccumulator(AggOutput{Func: AggCountDistinct, Col: 0, Sorted: sorted})
		if err != nil {
			t.Fatal(err)
		}
		before := heapInUse()
		for i := range n {
			if err := acc.add(Row{Value(fmt.Sprintf("%09d", i))}); err != nil {
				t.Fatal(err)
			}
		}
		after := heapInUse()
		count = string(acc.result())
		runtime.KeepAlive(acc)
		return count, after - before
	}
	setCount, setBytes := grew(false)
	sortedCount, sortedBytes := grew(true)
	if setCount != fmt.Sprint(n) || sortedCount != fmt.Sprint(n) {
		t.Fatalf("counted %s (set) and %s (sorted), want %d", setCount, sortedCount, n)
	}
	if sortedBytes > 1<<20 {
		t.Errorf("sorted COUNT(DISTINCT) of %d values grew the heap by %d bytes (a set of them: %d); want it to keep one value", n, sortedBytes, setBytes)
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
