package session

import (
	"fmt"
	"slices"
	"testing"

	"github.com/strata-proxy/strata/planner"
)

// The values a LOAD DATA file gives unique: keys come back from the log
// as they went in, in order, as checks of their keys with the shard
// their row went to, at most
// uniqueBatch at a time; an error of the caller stops the reading.
func TestUniqueLogGivesBackEveryValueInBatches(t *testing.T) {
	lp := &planner.LoadPlan{UniqueTable: "`m`", UniqueKey: "`id`", Unique: []planner.LoadUnique{
		{Columns: []string{"email"}},
		{Columns: []string{"site", "slug"}},
	}}
	for _, n := range []int{0, 1, uniqueBatch, 2*uniqueBatch + 50} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var log uniqueLog
			defer log.close()
			var want []planner.UniqueCheck
			for i := range n {
				c := planner.UniqueCheck{Table: "`m`", Key: "`id`", Columns: lp.Unique[i%2].Columns, Shards: []string{fmt.Sprint("s", i%3)}}
				for j := range c.Columns {
					c.Values = append(c.Values, fmt.Sprintf("_utf8mb4 X'%02x%d'", i, j))
					c.Shown = append(c.Shown, fmt.Sprintf("v%d-%d", i, j))
				}
				if err := log.add(i%2, c.Shards[0], c.Values, c.Shown); err != nil {
					t.Fatal(err)
				}
				want = append(want, c)
			}
			var got []planner.UniqueCheck
			err := log.batches(lp)(func(b []planner.UniqueCheck) error {
				if len(b) == 0 || len(b) > uniqueBatch {
					t.Errorf("a batch of %d checks, want 1 to %d", len(b), uniqueBatch)
				}
				for _, c := range b { // the batch's slice is reused
					got = append(got, planner.UniqueCheck{Table: c.Table, Key: c.Key, Columns: c.Columns, Values: slices.Clone(c.Values), Shown: slices.Clone(c.Shown), Shards: slices.Clone(c.Shards)})
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("read back %d checks, want the %d written:\n got %v\nwant %v", len(got), len(want), got, want)
			}
			if n > uniqueBatch {
				stop := fmt.Errorf("duplicate")
				calls := 0
				if err := log.batches(lp)(func([]planner.UniqueCheck) error { calls++; return stop }); err != stop || calls != 1 {
					t.Errorf("batches after an error: %v in %d calls, want the error after 1", err, calls)
				}
			}
		})
	}
}
