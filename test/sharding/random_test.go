package sharding

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// ORDER BY RAND() [LIMIT n] over shards ("a random post") runs on the
// shards, each sorting its rows by the random value it sends, and Strata
// merges by that value: every row is as likely to come first as on one
// server. Before, Strata read every row (at most limits.max_pulled_rows)
// and sorted them on one server.
func TestRandomOrderOverShards(t *testing.T) {
	db := strataDB(t)
	events := ds.tables["events"]
	q := "SELECT id FROM events ORDER BY RAND() LIMIT 1"
	plan := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA "+q), "\n")
	if strings.Contains(plan, "reads each table's rows") || !strings.Contains(plan, "RAND() AS `strata_h0`") {
		t.Fatalf("not merged from the shards' own random order:\n%s", plan)
	}
	// Each shard's share of the picks follows its share of the rows.
	perShard := map[string]int{}
	for _, r := range events.rows {
		perShard[events.ownerOfKey(r[0])]++
	}
	const draws = 300
	picked := map[string]int{}
	for range draws {
		got := testenv.Strings(t, db, q)
		if len(got) != 1 {
			t.Fatalf("%s: %q", q, got)
		}
		picked[events.ownerOfKey(got[0])]++
	}
	for s, n := range perShard {
		want := float64(draws*n) / float64(len(events.rows))
		if got := float64(picked[s]); got < 0.6*want || got > 1.4*want {
			t.Errorf("shard %s holds %d of %d rows but gave %v of %d random picks, want about %.0f", s, n, len(events.rows), got, draws, want)
		}
	}
	// LIMIT n: n different rows; without LIMIT: every matching row once.
	three := testenv.Strings(t, db, "SELECT id FROM events ORDER BY RAND() LIMIT 3")
	if slices.Sort(three); len(slices.Compact(three)) != 3 {
		t.Fatalf("ORDER BY RAND() LIMIT 3: %q", three)
	}
	q = "SELECT id, kind FROM events WHERE qty = 2 ORDER BY RAND()"
	got, want := testenv.Strings(t, db, q), testenv.Strings(t, singleBlog, q)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) < 10 {
		t.Fatalf("%s: %d rows, single server %d, or other rows", q, len(got), len(want))
	}
	// Two shuffles differ (the chance they match is nil for this many rows).
	if a, b := testenv.Strings(t, db, q), testenv.Strings(t, db, q); slices.Equal(a, b) {
		t.Fatalf("%s: two runs gave the same order of %d rows", q, len(a))
	}
	// A seeded RAND(n) is one server's sequence: read from pulled rows.
	plan = strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA SELECT id FROM events ORDER BY RAND(7) LIMIT 2"), "\n")
	if !strings.Contains(plan, "reads each table's rows") {
		t.Fatalf("ORDER BY RAND(7) merged from shards:\n%s", plan)
	}
}
