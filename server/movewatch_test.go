package server

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/shardops"
)

// Ports of the move-watch sandbox; no other test uses them.
const movesYAML = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
schema: blog
default_cluster: main
clusters:
  main: {primary: 127.0.0.1:24326}
  s0: {primary: 127.0.0.1:24327}
  s1: {primary: 127.0.0.1:24328}
tables:
  moves: {shard_key: id, method: hash, shards: {s0: "-80", s1: "80-"}}
`

// A move this Strata's watcher found pending, and that ended before the
// watcher got to follow it (the move's own finish held the lock while it
// forgot the marks), is not taken up again: the watcher reads the marks
// once more. Before, it took the finished move up as one no Strata led
// and ran it again, and GET /api/rebalance showed that empty run.
func TestAMoveThatEndedIsNotTakenUpAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sb, cfg := upSandbox(ctx, t, movesYAML)
	to := strings.Replace(specOf(cfg.Tables["moves"]), `"-80"`, `"-40"`, 1)
	to = strings.Replace(to, `"80-"`, `"40-"`, 1)
	s, _ := startFromFile(t, movesYAML)
	sh := s.shards.Load()
	cur := s.CurrentConfig()
	// The watcher must not see the marks on its own meanwhile: it follows
	// a move under moveMu, which this holds.
	s.moveMu.Lock()
	for _, shard := range []string{"s0", "s1"} {
		for _, q := range []string{
			"CREATE DATABASE IF NOT EXISTS blog",
			"CREATE TABLE IF NOT EXISTS blog.moves (id BIGINT PRIMARY KEY, v INT)",
			"CREATE DATABASE IF NOT EXISTS strata",
			"CREATE TABLE IF NOT EXISTS strata.rebalance_marks (schema_name VARCHAR(64) NOT NULL, table_name VARCHAR(64) NOT NULL, from_layout TEXT NOT NULL, to_layout TEXT NOT NULL, key_order VARCHAR(64) NOT NULL, with_tables TEXT NOT NULL, mark VARBINARY(3072) NULL, finished BOOL NOT NULL DEFAULT FALSE, PRIMARY KEY (schema_name, table_name)) ENGINE=InnoDB",
			// A move whose every batch is done, its marks not forgotten yet.
			"INSERT INTO strata.rebalance_marks VALUES ('blog', 'moves', '" + specOf(cfg.Tables["moves"]) + "', '" + to + "', 'integer', '[]', NULL, TRUE)",
		} {
			if err := sb.Primary(shard).Exec(ctx, q); err != nil {
				s.moveMu.Unlock()
				t.Fatal(err)
			}
		}
	}
	pending, err := shardops.PendingMoves(ctx, sh.dbs.Open, slices.Sorted(maps.Keys(cur.Clusters)), cur.Schema)
	if err == nil && len(pending) == 1 {
		// The move ends (its marks forgotten) before anyone follows it.
		err = shardops.ForgetMove(ctx, sh.dbs.Open, []string{"s0", "s1"}, "blog", "moves")
	}
	s.moveMu.Unlock()
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending moves %+v, %v; want the one recorded, then forgotten", pending, err)
	}
	if why := s.followMove(ctx, cur, sh, pending[0]); why != "" {
		t.Errorf("following a move that ended: %q, want nothing to refuse", why)
	}
	time.Sleep(moveWatchEvery + 500*time.Millisecond) // the watcher's next look
	if tm := s.move.Load(); tm != nil {
		t.Errorf("a move that ended was taken up again (table %s)", tm.table)
	}
}
