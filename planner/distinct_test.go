package planner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/engine"
)

// A SELECT DISTINCT ordered by exactly its columns gets its rows merged
// in that order, so equal rows arrive together: it holds one row, not a
// set of every row it sent, and answers as the set would (one row per
// value equal under the column's collation). An ORDER BY with another
// collation, or one that leaves a column out, may sort equal rows apart,
// so those keep the set.
func TestDistinctOrderedByItsColumnsHoldsOneRow(t *testing.T) {
	s := testSharding(t)
	ci := engine.Column{Name: "author", Type: engine.TypeVarString, Charset: 45} // utf8mb4_general_ci
	id := engine.Column{Name: "entry_id", Type: engine.TypeLongLong, Charset: engine.CharsetBinary}
	merge := func(query string, cols []engine.Column, shards [][]engine.Row, budget *engine.Budget) (string, error) {
		t.Helper()
		p, err := plan(t, s, query)
		if err != nil {
			t.Fatal(err)
		}
		var sources []engine.Source
		for i, rows := range shards {
			sources = append(sources, &engine.SliceSource{SourceName: fmt.Sprint("s", i), Rows: rows})
		}
		stream, err := p.MergeStream(cols, sources, nil, budget)
		if err != nil {
			t.Fatal(err)
		}
		merged, err := engine.Collect(context.Background(), stream)
		out := make([]string, len(merged))
		for i, r := range merged {
			out[i] = string(bytes.Join(r, []byte(":")))
		}
		return strings.Join(out, " "), err
	}
	rows := func(s string) []engine.Row {
		var out []engine.Row
		for _, r := range strings.Fields(s) {
			var row engine.Row
			for _, v := range strings.Split(r, ":") {
				row = append(row, engine.Value(v))
			}
			out = append(out, row)
		}
		return out
	}

	// 30,000 distinct authors over 3 shards, each shard's rows sorted
	// (the shard query's ORDER BY): the set would hold about 2 MB.
	many := make([][]engine.Row, 3)
	for a := range 30_000 {
		name := engine.Value(fmt.Sprintf("author%06d", a))
		for i := range many {
			if a%(i+2) == 0 {
				many[i] = append(many[i], engine.Row{name})
			}
		}
	}
	small := engine.NewBudget("limits.max_merge_memory", 64<<10, nil)
	got, err := merge("SELECT DISTINCT author FROM comments ORDER BY author", []engine.Column{ci}, many, small)
	if n := strings.Count(got, " ") + 1; err != nil || n != countCovered(30_000) {
		t.Fatalf("DISTINCT ordered by its column within 64K: %d rows, %v; want %d rows", n, err, countCovered(30_000))
	}
	if small.Used() != 0 {
		t.Errorf("the ordered DISTINCT counted %d bytes against the budget; want none", small.Used())
	}

	tests := []struct {
		query  string
		cols   []engine.Column
		shards string // shards separated by |, rows by spaces, values by :
		want   string
		// streams: ordered by exactly its columns, so one row is held
		streams bool
	}{
		// Under general_ci 'a' and 'A' are one value, and sort together.
		{"SELECT DISTINCT author FROM comments ORDER BY author", []engine.Column{ci}, "A b | a B c", "A b c", true},
		// Sorted by bytes, 'A' 'B' 'a' 'b': the repeats are apart.
		{"SELECT DISTINCT author FROM comments ORDER BY author COLLATE utf8mb4_bin", []engine.Column{ci}, "A B a b | B", "A B", false},
		// Ordered by one of two columns: equal pairs may be apart.
		{"SELECT DISTINCT author, entry_id FROM comments ORDER BY author", []engine.Column{ci, id}, "a:1 a:2 a:1 | a:2", "a:1 a:2", false},
		{"SELECT DISTINCT author, entry_id FROM comments ORDER BY entry_id DESC, author", []engine.Column{ci, id}, "a:2 b:2 a:1 | A:2 a:1", "a:2 b:2 a:1", true},
	}
	for _, tt := range tests {
		p, err := plan(t, s, tt.query)
		if err != nil {
			t.Fatal(err)
		}
		wantStep := "distinct: remembers each row sent (within limits.max_merge_memory)"
		if tt.streams {
			wantStep = "distinct: repeats arrive together in this order, one row held"
		}
		if steps := strings.Join(MergeSteps(p), "; "); !strings.Contains(steps, wantStep) {
			t.Errorf("EXPLAIN STRATA of %s: %s; want %q", tt.query, steps, wantStep)
		}
		var shards [][]engine.Row
		for _, sh := range strings.Split(tt.shards, "|") {
			shards = append(shards, rows(sh))
		}
		if got, err := merge(tt.query, tt.cols, shards, nil); err != nil || got != tt.want {
			t.Errorf("%s over %q: %q, %v; want %q", tt.query, tt.shards, got, err, tt.want)
		}
	}

	// Not in that order, a 64K budget cannot hold the set.
	_, err = merge("SELECT DISTINCT author FROM comments", []engine.Column{ci}, many, engine.NewBudget("limits.max_merge_memory", 64<<10, nil))
	if !errors.Is(err, engine.ErrMemoryLimit) {
		t.Errorf("DISTINCT without an ORDER BY over 30,000 authors within 64K: %v; want the memory limit", err)
	}
}

// countCovered is how many of 0..n-1 are multiples of 2, 3 or 4 (the
// authors some shard holds in the test above).
func countCovered(n int) int {
	c := 0
	for a := range n {
		if a%2 == 0 || a%3 == 0 || a%4 == 0 {
			c++
		}
	}
	return c
}
