package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
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
	// with are the tables sharded as table is, which move with it.
	with []member
	// running while the mover works (guarded by Strata.moveMu);
	// finished once the layout places the tables by the new placement
	// alone.
	running  bool
	finished atomic.Bool
	// lost: the mover lost the lead lock (its connection went), so
	// another Strata may lead the move now; this one refuses the table.
	lost atomic.Bool
}

// member is one table of a move with the layout it moves to.
type member struct {
	table  string
	from   string // its entry in the running config when the move began (specOf)
	target string // its entry in the file when the move began
	moving *shard.Moving
}

// members are the move's tables, the lead's first.
func (tm *tableMove) members() []member {
	return append([]member{{table: tm.table, target: tm.target, moving: tm.moving}}, tm.with...)
}

// placeMembers returns l with each of the move's tables placed by the
// method pick gives it.
func (tm *tableMove) placeMembers(l *shard.Layout, pick func(member) shard.Method) (*shard.Layout, error) {
	for _, m := range tm.members() {
		var err error
		if l, err = l.WithMethod(m.table, pick(m)); err != nil {
			return nil, fmt.Errorf("table %s: %w", m.table, err)
		}
	}
	return l, nil
}

// byMoving and byNewLayout pick a member's method for placeMembers.
func byMoving(m member) shard.Method    { return m.moving }
func byNewLayout(m member) shard.Method { return m.moving.To }

// moveAnnounce is how long a new move waits before its first batch, so
// every other Strata sees it (watchMoves looks every moveWatchEvery) and
// refuses the table's statements instead of placing them by a layout the
// batches change.
const (
	moveWatchEvery = 2 * time.Second
	moveAnnounce   = 2*moveWatchEvery + time.Second
)

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
	if why := s.Env.Sharding.Refused(table); why != "" {
		return nil, fmt.Errorf("%s", why)
	}
	if tm := s.move.Load(); tm != nil && !tm.finished.Load() && !tm.lost.Load() {
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
	if err := s.lead(tm); err != nil {
		tm.dbs.Close()
		return nil, err
	}
	tm.mover.Announce = moveAnnounce
	prev := s.move.Swap(tm)
	if _, _, err := s.ReloadFile(); err != nil {
		s.move.Store(prev)
		tm.mover.ReleaseLead()
		tm.dbs.Close()
		return nil, fmt.Errorf("applying the config file: %w", err)
	}
	if !tm.installedIn(s.Env.Sharding.Layout()) {
		// reloadShards logs its errors; the layout stayed as it was.
		s.move.Store(prev)
		tm.mover.ReleaseLead()
		tm.dbs.Close()
		return nil, fmt.Errorf("the file's tables: section could not be applied (see the log); nothing moves")
	}
	s.Log.Info("online rebalance started", "table", table, "with", tm.mover.Status().With, "from", shardops.Describe(tm.moving.From), "to", shardops.Describe(tm.moving.To))
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
	}
	order, orderName, err := keyOrder(cur)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w; use the offline steps in docs/sharding.md", table, err)
	}
	if _, err := shard.NewMoving(cur.Method, cur.Method, order); err != nil {
		return nil, fmt.Errorf("table %s: %w; use the offline steps in docs/sharding.md", table, err)
	}
	if specOf(s.CurrentConfig().Tables[table]) == specOf(target) {
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
	moving, err := shard.NewMoving(cur.Method, nt.Method, order)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	with, err := s.movesWith(cfg, next, cur, nt, moving)
	if err != nil {
		return nil, err
	}
	tm := s.newTableMove(cfg, table, moving, specOf(s.CurrentConfig().Tables[table]), specOf(target), orderName, batch, with)
	ctx, cancel := context.WithTimeout(s.shardCtxOr(), 10*time.Second)
	defer cancel()
	for _, m := range tm.members() {
		if err := shardops.CheckShards(ctx, tm.dbs.Open, cfg.Schema, m.table, m.moving.Shards()); err != nil {
			tm.dbs.Close()
			return nil, err
		}
	}
	return tm, nil
}

// movesWith finds the tables sharded as cur is (a join of them with it on
// the key runs on one shard): they must move with it, to a placement the
// file gives them alike with cur's new one (nt), or the join would find
// rows on two shards. Each moves with moving (shard.Moving.With).
func (s *Strata) movesWith(cfg *config.Config, next *shard.Layout, cur, nt *shard.Table, moving *shard.Moving) ([]member, error) {
	var with []member
	for _, u := range s.Env.Sharding.Layout().Tables() {
		if u.Name == cur.Name || u.Placement != shard.PlaceSharded || !planner.SameSharding(u.Method, cur.Method) {
			continue
		}
		nu := next.Table(u.Name)
		if nu == nil || nu.Placement != shard.PlaceSharded || !planner.SameSharding(nu.Method, nt.Method) {
			return nil, fmt.Errorf("table %s is sharded as %s is (their joins on the key run on one shard), so they move together: give %s the same new shards: in the file", u.Name, cur.Name, u.Name)
		}
		if u.KeyType != cur.KeyType || u.KeyCollation != cur.KeyCollation {
			return nil, fmt.Errorf("table %s moves with %s, but its key (%s %s) does not order as %s's (%s %s)", u.Name, cur.Name, u.KeyType, u.KeyCollation, cur.Name, cur.KeyType, cur.KeyCollation)
		}
		m, err := moving.With(u.Method, nu.Method)
		if err != nil {
			return nil, fmt.Errorf("table %s, which moves with %s: %w", u.Name, cur.Name, err)
		}
		with = append(with, member{table: u.Name, from: specOf(s.CurrentConfig().Tables[u.Name]), target: specOf(cfg.Tables[u.Name]), moving: m})
	}
	return with, nil
}

// keyOrder is the order an online move walks t's key in, and its name
// (recorded with the marks): the servers' order, which Strata must
// reproduce exactly — integers, and text in a collation it has the
// server's weights of.
func keyOrder(t *shard.Table) (shard.KeyOrder, string, error) {
	switch t.KeyType {
	case shard.KeyTypeInteger:
		return shard.IntegerOrder, shardops.IntegerKeys, nil
	case shard.KeyTypeText:
		o, err := orderNamed(t.KeyCollation)
		return o, t.KeyCollation, err
	}
	return nil, "", fmt.Errorf("its shard key (%s) cannot be walked in the servers' order: online moves take integer keys and text keys in an exactly reproduced collation", t.KeyType)
}

// orderNamed is the key order a move recorded by name.
func orderNamed(name string) (shard.KeyOrder, error) {
	if name == shardops.IntegerKeys {
		return shard.IntegerOrder, nil
	}
	c, err := engine.ExactCollation(name)
	if err != nil {
		return nil, fmt.Errorf("its text key's collation %s: %w", name, err)
	}
	return shard.TextOrder(c.Compare), nil
}

func (s *Strata) newTableMove(cfg *config.Config, table string, moving *shard.Moving, fromSpec, toSpec, keyOrder string, batch int, with []member) *tableMove {
	dbs := shardops.NewDBs(cfg)
	dbs.PrimaryOf = s.primaryOf
	mover := &shardops.OnlineMove{Open: dbs.Open, Schema: cfg.Schema, Table: table, Moving: moving, Batch: batch, KeyOrder: keyOrder,
		FromSpec: fromSpec, ToSpec: toSpec, Moved: func(n int64) { s.Metrics.RebalancedRows(table, n) },
		Paused: func(d time.Duration) { s.Metrics.RebalancePause(table, d) }}
	for _, w := range with {
		mover.With = append(mover.With, shardops.MoveTable{Table: w.table, Moving: w.moving, FromSpec: w.from, ToSpec: w.target})
	}
	return &tableMove{table: table, target: toSpec, moving: moving, mover: mover, dbs: dbs, with: with}
}

// installedIn reports whether l places every table of the move by its
// moving method.
func (tm *tableMove) installedIn(l *shard.Layout) bool {
	for _, m := range tm.members() {
		if t := l.Table(m.table); t == nil || t.Method != m.moving {
			return false
		}
	}
	return true
}

// lead takes the lead lock of tm's move (shardops.TakeLead) for its mover.
func (s *Strata) lead(tm *tableMove) error {
	src := tm.moving.From.Shards()[0]
	db, err := tm.dbs.Open(src)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.shardCtxOr(), 10*time.Second)
	defer cancel()
	lead, holder, err := shardops.TakeLead(ctx, db, tm.mover.Schema, tm.table)
	if err != nil {
		return err
	}
	if lead == nil {
		return fmt.Errorf("another Strata leads a move of %s (its connection %d on cluster %s holds the lock %s)", tm.table, holder, src, shardops.LeadLockName(tm.mover.Schema, tm.table))
	}
	tm.mover.Lead = lead
	return nil
}

// shardCtxOr is the control plane's context, or a background one before
// Start made it.
func (s *Strata) shardCtxOr() context.Context {
	if s.shardCtx != nil {
		return s.shardCtx
	}
	return context.Background()
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
		switch {
		case errors.Is(err, shardops.ErrLostLead):
			tm.lost.Store(true)
			tm.mover.ReleaseLead()
			for _, m := range tm.members() {
				s.refuseNow(m.table, fmt.Sprintf("table %s is moving between shards, and this Strata lost the lead of the move (its lock connection went): another Strata may lead it now; this one refuses the table's statements until it sees who does", m.table))
			}
			s.Log.Error("online rebalance: lost the lead of the move; the table's statements are refused here until the move's leader is known", "table", tm.table, "err", err)
			return
		case err != nil && s.shardCtxOr().Err() != nil:
			s.Log.Info("online rebalance paused: Strata is stopping; the next Strata to start, or another one running, takes it up", "table", tm.table, "marks", tm.moving.Marks())
			return
		case err != nil:
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
	if l := s.Env.Sharding.Layout(); tm.installedIn(l) {
		next, err := tm.placeMembers(l, byNewLayout)
		if err != nil {
			s.Log.Error("online rebalance: placing the tables by their new layout failed", "table", tm.table, "err", err)
			return
		}
		s.Env.Sharding.SetLayout(next)
	}
	if sh := s.shards.Load(); sh != nil && tm.installedIn(sh.layout) {
		if next, err := tm.placeMembers(sh.layout, byNewLayout); err == nil {
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
	tm.mover.ReleaseLead() // after the marks: no other Strata takes up a move that is done
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
	for _, m := range tm.members() {
		if specOf(cfg.Tables[m.table]) != m.target {
			return fmt.Errorf("table %s is moving online to the placement the file gave it when the move began; put that placement back in the file (or let the move end) before changing it", m.table)
		}
	}
	next, err := tm.placeMembers(sh.layout, byMoving)
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
