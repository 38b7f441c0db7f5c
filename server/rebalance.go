package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/shardops"
)

// tableMove is an online rebalance of one table (strata shards
// rebalance -online): the file's new placement of the table, the moving
// method the planner routes it by meanwhile, and the mover.
type tableMove struct {
	table string
	// target is the table's entry in the file when the move began, as
	// JSON (specOf): a reload must keep it while the table moves.
	target string
	moving *shard.Moving
	mover  *shardops.OnlineMove
	dbs    *shardops.DBs
	// running while the mover works (guarded by Strata.moveMu);
	// finished once the layout places the table by the new placement
	// alone.
	running  bool
	finished atomic.Bool
}

// RebalanceOnline starts moving table to the placement the config file
// now gives it, while Strata serves it: the file is applied as by a
// reload, except that the table is placed by a moving method (each key
// by the old placement until its row has moved, then by the new), and a
// background walk moves the rows batch by batch (shardops.OnlineMove).
// When every row has moved, the table is placed by the new placement
// alone. A failed move stays in place, each row where its mark places
// it; calling RebalanceOnline again for the table resumes it. batch is
// rows per batch (0: 500).
func (s *Strata) RebalanceOnline(_ context.Context, table string, batch int) (any, error) {
	table = strings.ToLower(table)
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	if tm := s.move.Load(); tm != nil && !tm.finished.Load() {
		switch {
		case tm.running:
			return tm.mover.Status(), fmt.Errorf("table %s is moving now; GET /api/rebalance shows its progress", tm.table)
		case tm.table != table:
			return tm.mover.Status(), fmt.Errorf("the move of table %s failed and is not finished: resume it first (strata shards rebalance -online -table %s)", tm.table, tm.table)
		}
		s.Log.Info("resuming the online rebalance", "table", table, "marks", tm.moving.Marks())
		s.runMove(tm)
		return tm.mover.Status(), nil
	}
	tm, err := s.prepareMove(table, batch)
	if err != nil {
		return nil, err
	}
	s.move.Store(tm)
	if _, _, err := s.ReloadFile(); err != nil {
		s.move.Store(nil)
		return nil, fmt.Errorf("applying the config file: %w", err)
	}
	if t := s.Env.Sharding.Layout().Table(table); t == nil || t.Method != tm.moving {
		// reloadShards logs its errors; the layout stayed as it was.
		s.move.Store(nil)
		return nil, fmt.Errorf("the file's tables: section could not be applied (see the log); nothing moves")
	}
	s.Log.Info("online rebalance started", "table", table, "from", shardops.Describe(tm.moving.From), "to", shardops.Describe(tm.moving.To))
	s.runMove(tm)
	return tm.mover.Status(), nil
}

// prepareMove checks that table can move online to the placement the
// config file gives it and builds the move.
func (s *Strata) prepareMove(table string, batch int) (*tableMove, error) {
	cfg, err := config.Load(s.CurrentConfig().Path)
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	cur := s.Env.Sharding.Layout().Table(table)
	target := cfg.Tables[table]
	switch {
	case cfg.Schema == "":
		return nil, fmt.Errorf("the config has no schema: (the database the sharded tables are in), which a move needs to find the rows")
	case cur == nil || cur.Placement != shard.PlaceSharded:
		return nil, fmt.Errorf("table %s is not sharded in the running layout", table)
	case target == nil:
		return nil, fmt.Errorf("the config file does not list table %s", table)
	case cur.KeyType == shard.KeyTypeUnknown:
		return nil, fmt.Errorf("the type of the shard key of %s is not known yet (Strata asks a shard for it after start and after a reload): try again in a few seconds", table)
	case cur.KeyType != shard.KeyTypeInteger:
		return nil, fmt.Errorf("table %s has a %s shard key: online moves walk integer keys only (the servers' order of other keys is not one Strata reproduces exactly); use the offline steps in docs/sharding.md", table, cur.KeyType)
	case specOf(s.CurrentConfig().Tables[table]) == specOf(target):
		return nil, fmt.Errorf("the config file places table %s as Strata does now: change its shards: in the file first", table)
	}
	var lookup shard.Lookup // only built into lookup methods here, not read
	if sh := s.shards.Load(); sh != nil {
		lookup = sh.lookup
	}
	next, err := cfg.Layout(lookup)
	if err != nil {
		return nil, fmt.Errorf("the file's tables: %w", err)
	}
	nt := next.Table(table)
	if nt == nil || nt.Placement != shard.PlaceSharded {
		return nil, fmt.Errorf("the config file does not shard table %s: online moves go from one sharded layout to another", table)
	}
	moving, err := shard.NewMoving(cur.Method, nt.Method)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	return s.newTableMove(cfg, table, moving, specOf(s.CurrentConfig().Tables[table]), specOf(target), batch), nil
}

func (s *Strata) newTableMove(cfg *config.Config, table string, moving *shard.Moving, fromSpec, toSpec string, batch int) *tableMove {
	dbs := shardops.NewDBs(cfg)
	dbs.PrimaryOf = s.primaryOf
	mover := &shardops.OnlineMove{Open: dbs.Open, Schema: cfg.Schema, Table: table, Moving: moving, Batch: batch,
		FromSpec: fromSpec, ToSpec: toSpec, Moved: func(n int64) { s.Metrics.RebalancedRows(table, n) }}
	return &tableMove{table: table, target: toSpec, moving: moving, mover: mover, dbs: dbs}
}

// specOf is a table's config entry as JSON: how a move records its two
// placements, and compares the file's.
func specOf(t *config.Table) string {
	if t == nil {
		return ""
	}
	data, err := json.Marshal(t)
	if err != nil {
		return ""
	}
	return string(data)
}

// methodOf builds the method a recorded placement (specOf) places table
// by, with the rest of cfg as it is.
func methodOf(cfg *config.Config, lookup shard.Lookup, table, spec string) (shard.Method, error) {
	var t config.Table
	if err := json.Unmarshal([]byte(spec), &t); err != nil {
		return nil, fmt.Errorf("reading the recorded layout of %s: %w", table, err)
	}
	c := *cfg
	c.Tables = maps.Clone(cfg.Tables)
	c.Tables[table] = &t
	l, err := c.Layout(lookup)
	if err != nil {
		return nil, fmt.Errorf("the recorded layout of %s: %w", table, err)
	}
	if lt := l.Table(table); lt != nil && lt.Placement == shard.PlaceSharded {
		return lt.Method, nil
	}
	return nil, fmt.Errorf("the recorded layout of %s does not shard it", table)
}

// restoreMoves finds an online move that a Strata before this one began
// and did not end (its marks on the shards, shardops.PendingMoves), and
// places its table as the move left it: each key by the old layout until
// its source's mark, by the new after. The move carries on once Strata
// runs (resumeMoves). It runs before Strata takes clients.
func (s *Strata) restoreMoves(ctx context.Context, cfg *config.Config, sh *sharding) error {
	if sh == nil || cfg.Schema == "" {
		return nil
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pending, err := shardops.PendingMoves(c, sh.dbs.Open, slices.Sorted(maps.Keys(cfg.Clusters)), cfg.Schema)
	if err != nil {
		s.Log.Error("reading the marks of unfinished online rebalances failed: a table that was moving is placed by the file's layout until a restart reads them", "err", err)
	}
	for _, p := range pending {
		if s.move.Load() != nil {
			s.Log.Error("more than one online rebalance is unfinished; only the first resumes", "table", p.Table)
			continue
		}
		from, err := methodOf(cfg, sh.lookup, p.Table, p.From)
		if err != nil {
			return err
		}
		to, err := methodOf(cfg, sh.lookup, p.Table, p.To)
		if err != nil {
			return err
		}
		moving, err := shard.NewMoving(from, to)
		if err != nil {
			return fmt.Errorf("table %s: %w", p.Table, err)
		}
		if err := p.Restore(moving); err != nil {
			return fmt.Errorf("table %s: %w", p.Table, err)
		}
		if sh.layout, err = sh.layout.WithMethod(p.Table, moving); err != nil {
			return fmt.Errorf("table %s: %w", p.Table, err)
		}
		if specOf(cfg.Tables[p.Table]) != p.To {
			s.Log.Error("the config file places a table that was moving unlike the move's new layout: Strata places it as the move left it and finishes the move; change the file afterwards", "table", p.Table, "move_to", p.To)
		}
		s.move.Store(s.newTableMove(cfg, p.Table, moving, p.From, p.To, 0))
		s.Log.Warn("an online rebalance did not finish before this start: the table is placed as it left it, and the move resumes", "table", p.Table, "marks", moving.Marks())
	}
	return nil
}

// resumeMoves carries on the move restoreMoves found.
func (s *Strata) resumeMoves() {
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	if tm := s.move.Load(); tm != nil && !tm.running && !tm.finished.Load() {
		s.runMove(tm)
	}
}

// runMove runs the mover in the background; when it is done the table is
// placed by the new placement alone.
func (s *Strata) runMove(tm *tableMove) {
	tm.running = true
	s.movers.Add(1)
	go func() {
		defer s.movers.Done()
		err := tm.mover.Run(s.shardCtx)
		if err == nil {
			s.catchUpReplicas(tm)
		}
		s.moveMu.Lock()
		defer s.moveMu.Unlock()
		tm.running = false
		if err != nil {
			s.Log.Error("online rebalance stopped; each row stays where its mark places it: fix the cause, then resume with strata shards rebalance -online", "table", tm.table, "err", err, "marks", tm.moving.Marks())
			return
		}
		s.finishMove(tm)
	}()
}

// catchUpReplicas waits, after the last batch, until the replicas of
// every cluster the rows moved between have applied the moves: statements
// on the moving table read primaries, and once it is placed by the new
// layout alone its reads go to replicas again, which must not show a row
// on both shards or on neither.
func (s *Strata) catchUpReplicas(tm *tableMove) {
	snap := s.Topology.Load()
	for _, name := range tm.moving.Shards() {
		cl := snap.Cluster(name)
		if cl == nil || len(cl.Replicas) == 0 {
			continue
		}
		primary, err := tm.dbs.Open(name)
		if err != nil {
			s.Log.Warn("online rebalance: cannot reach a primary to wait for its replicas", "cluster", name, "err", err)
			continue
		}
		replicas := map[string]*sql.DB{}
		for _, r := range cl.Replicas {
			if !r.Routable() {
				continue
			}
			if db, err := tm.dbs.OpenServer(r.Addr); err == nil {
				replicas[r.Addr] = db
				defer db.Close()
			}
		}
		ctx, cancel := context.WithTimeout(s.shardCtx, 30*time.Second)
		if err := shardops.CatchUp(ctx, primary, replicas, 10*time.Second); err != nil {
			s.Log.Warn("online rebalance: a replica did not apply the moved rows in time; reads it serves may show them on their old shard for a while", "cluster", name, "err", err)
		}
		cancel()
	}
}

// finishMove places the table by the new placement alone.
func (s *Strata) finishMove(tm *tableMove) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if l := s.Env.Sharding.Layout(); l.Table(tm.table) != nil && l.Table(tm.table).Method == tm.moving {
		next, err := l.WithMethod(tm.table, tm.moving.To)
		if err != nil {
			s.Log.Error("online rebalance: placing the table by its new layout failed", "table", tm.table, "err", err)
			return
		}
		s.Env.Sharding.SetLayout(next)
	}
	if sh := s.shards.Load(); sh != nil && sh.layout.Table(tm.table) != nil && sh.layout.Table(tm.table).Method == tm.moving {
		if next, err := sh.layout.WithMethod(tm.table, tm.moving.To); err == nil {
			c := *sh
			c.layout = next
			s.shards.Store(&c)
		}
	}
	tm.finished.Store(true)
	ctx, cancel := context.WithTimeout(s.shardCtx, 10*time.Second)
	if err := shardops.ForgetMove(ctx, tm.dbs.Open, tm.moving.From.Shards(), tm.mover.Schema, tm.table); err != nil {
		s.Log.Warn("online rebalance: the move's marks stay on a shard; the next start finds the move done and forgets them", "table", tm.table, "err", err)
	}
	cancel()
	tm.dbs.Close()
	st := tm.mover.Status()
	s.Log.Info("online rebalance done", "table", tm.table, "moved_rows", st.Moved, "batches", st.Batches, "retries", st.Retries)
}

// keepMoving puts the moving method back in a layout a reload built
// while a table moves: the file must still place the table as it did
// when the move began.
func (s *Strata) keepMoving(sh *sharding, cfg *config.Config) error {
	tm := s.move.Load()
	if tm == nil || tm.finished.Load() {
		return nil
	}
	if specOf(cfg.Tables[tm.table]) != tm.target {
		return fmt.Errorf("table %s is moving online to the placement the file gave it when the move began; put that placement back in the file (or let the move end) before changing it", tm.table)
	}
	next, err := sh.layout.WithMethod(tm.table, tm.moving)
	if err != nil {
		return err
	}
	sh.layout = next
	return nil
}

// rebalanceStatus answers GET /api/rebalance: the last online move.
func (s *Strata) rebalanceStatus(context.Context) (any, error) {
	tm := s.move.Load()
	if tm == nil {
		return nil, admin.ErrNoRebalance
	}
	return tm.mover.Status(), nil
}
