package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/shardops"
)

// fakeMove is an admin API's online rebalance: a move of "entries" runs
// for two status reads, then is done; one of "broken" fails.
func fakeMove() (func(context.Context, string, int) (any, error), func(context.Context) (any, error)) {
	var mu sync.Mutex
	var st *shardops.MoveStatus
	reads := 0
	start := func(_ context.Context, table string, batch int) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		if table == "members" {
			return nil, errors.New("table members has a text shard key")
		}
		st = &shardops.MoveStatus{Table: table, With: []string{"likes"}, From: "hash over s0, s1", To: "hash over s0, s1, s2", State: shardops.MoveRunning,
			Marks: map[string]string{"s0": "", "s1": ""}}
		reads = 0
		return *st, nil
	}
	status := func(context.Context) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		if st == nil {
			return nil, admin.ErrNoRebalance
		}
		reads++
		switch {
		case reads == 1:
			st.Marks["s0"], st.Moved, st.Batches, st.PauseMaxMs = "500", 120, 2, 7.4
		case st.Table == "broken":
			st.State, st.Error = shardops.MoveFailed, "Error 1146: Table 'blog.broken' doesn't exist on s2"
		default:
			st.State, st.Marks["s0"], st.Marks["s1"], st.Moved, st.Batches = shardops.MoveDone, "all", "all", 250, 5
		}
		return *st, nil
	}
	return start, status
}

// strata shards rebalance -online starts the move in the running Strata
// and follows it to its end, one line per change.
func TestRebalanceOnlineCommand(t *testing.T) {
	e := newCLIEnv(t)
	if out, err := run(t, runShards, "rebalance", "-online", "-status", "-c", e.path); err == nil || !strings.Contains(err.Error(), "no online rebalance ran") {
		t.Errorf("-status before any move: %v\n%s", err, out)
	}
	out := mustRun(t, runShards, "rebalance", "-online", "-c", e.path, "-table", "entries")
	wantLines(t, out,
		"moving entries (with likes, sharded alike): from hash over s0, s1 to hash over s0, s1, s2\n",
		"entries: running, 120 rows moved (0 already there), 2 batches, 0 retries, statements held up to 7 ms; moved up to: s0 500, s1 -\n",
		"entries: done, 250 rows moved (0 already there), 5 batches, 0 retries, statements held up to 7 ms; moved up to: s0 all, s1 all\n")

	out, err := run(t, runShards, "rebalance", "-online", "-c", e.path, "-table", "broken")
	if err == nil || !strings.Contains(err.Error(), "run the command again to resume it") || !strings.Contains(out, "error: Error 1146") {
		t.Errorf("a failed move: %v\n%s", err, out)
	}
	if out, err := run(t, runShards, "rebalance", "-online", "-c", e.path, "-table", "members"); err == nil || !strings.Contains(err.Error(), "text shard key") {
		t.Errorf("a refused move: %v\n%s", err, out)
	}
	if out, err := run(t, runShards, "rebalance", "-online", "-c", e.path); err == nil || !strings.Contains(err.Error(), "missing -table") {
		t.Errorf("without -table: %v\n%s", err, out)
	}
	// The refused move changed nothing: the status is still the failed
	// one, and says so in the exit status too.
	out, err = run(t, runShards, "rebalance", "-online", "-status", "-json", "-c", e.path)
	if err == nil || !strings.Contains(out, `"state": "failed"`) || !strings.Contains(out, `"table": "broken"`) {
		t.Errorf("-status -json after the failed move: %v\n%s", err, out)
	}
}
