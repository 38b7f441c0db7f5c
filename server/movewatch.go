package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/shardops"
)

// watchMoves keeps this Strata in step with online moves that other
// Strata lead: every moveWatchEvery it reads the moves' marks on the
// shards (shardops.PendingMoves). A table another Strata moves is refused
// here — its keys change shards under that Strata's fence, which this one
// does not see — until the move ends; a move whose leader is gone (its
// lock released) is taken over and carried on here; and a table moved
// elsewhere to a layout this Strata's file does not give it stays
// refused until the file says so and is reloaded.
func (s *Strata) watchMoves(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(moveWatchEvery):
		}
		s.checkMoves(ctx)
	}
}

// checkMoves is one look of watchMoves.
func (s *Strata) checkMoves(ctx context.Context) {
	sh, cfg := s.shards.Load(), s.CurrentConfig()
	if sh == nil || cfg.Schema == "" {
		s.Env.Sharding.SetRefused(nil)
		return
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pending, err := shardops.PendingMoves(c, sh.dbs.Open, slices.Sorted(maps.Keys(cfg.Clusters)), cfg.Schema)
	if err != nil {
		s.Log.Debug("reading the marks of online rebalances failed; the refusals stay as they were", "err", err)
		return
	}
	refused := map[string]string{}
	seen := map[string]bool{}
	layout := s.Env.Sharding.Layout()
	for _, p := range pending {
		if t := layout.Table(p.Table); t == nil || t.Placement != shard.PlaceSharded {
			continue // not a sharded table here: its statements never use its shards' layout
		}
		for _, t := range p.Tables() {
			seen[t] = true
		}
		if mine := s.move.Load(); mine != nil && mine.table == p.Table && !mine.finished.Load() && !mine.lost.Load() {
			continue // this Strata leads it
		}
		if why := s.followMove(c, cfg, sh, p); why != "" {
			refused[p.Table] = why
			s.expectLayout(cfg, p.Table, p.To)
			for _, w := range p.With {
				refused[w.Table] = fmt.Sprintf("table %s moves with %s, sharded as it is: %s", w.Table, p.Table, why)
				s.expectLayout(cfg, w.Table, w.To)
			}
		}
	}
	s.moveMu.Lock()
	for table, to := range s.movedTo {
		switch {
		case seen[table]:
		case specOf(cfg.Tables[table]) == to:
			delete(s.movedTo, table) // the file (reloaded) places it as the move did
		default:
			refused[table] = fmt.Sprintf("table %s was moved to a new layout (an online rebalance), and this Strata's config file does not place it so: put the table's new shards: in the file and reload (%s)", table, to)
		}
	}
	s.moveMu.Unlock()
	if !maps.Equal(refused, s.Env.Sharding.RefusedTables()) {
		for table, why := range refused {
			if s.Env.Sharding.Refused(table) != why {
				s.Log.Warn("statements on a table are refused here", "table", table, "why", why)
			}
		}
		s.Env.Sharding.SetRefused(refused)
	}
}

// followMove takes up a move no Strata leads (its leader died) or says
// why this Strata refuses the table.
func (s *Strata) followMove(ctx context.Context, cfg *config.Config, sh *sharding, p shardops.PendingMove) string {
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	p, pending := s.stillPending(ctx, cfg, sh, p)
	if !pending {
		return ""
	}
	tm, why := s.adoptMove(ctx, cfg, sh, p)
	if why != "" {
		return why
	}
	if err := s.installMoving(tm); err != nil {
		tm.mover.ReleaseLead()
		tm.dbs.Close()
		return fmt.Sprintf("table %s is moving between shards (an online rebalance) that no Strata leads, and this one could not take it up: %v", p.Table, err)
	}
	s.move.Store(tm)
	s.Log.Warn("took up an online rebalance whose leader is gone: the table is placed as the move left it, and the move goes on here", "table", p.Table, "marks", tm.moving.Marks())
	s.runMove(tm)
	return ""
}

// installMoving places tm's table by its moving method, in the planner's
// layout and the control plane's.
func (s *Strata) installMoving(tm *tableMove) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	next, err := tm.placeMembers(s.Env.Sharding.Layout(), byMoving)
	if err != nil {
		return err
	}
	if sh := s.shards.Load(); sh != nil {
		if l, err := tm.placeMembers(sh.layout, byMoving); err == nil {
			c := *sh
			c.layout = l
			s.shards.Store(&c)
		}
	}
	s.Env.Sharding.SetLayout(next)
	return nil
}

// expectLayout records that a move of table ends in the layout spec to:
// when this Strata's file places the table otherwise, the table is refused
// after the move until the file is changed and reloaded, rather than
// placed by the file's stale layout at the next reload.
func (s *Strata) expectLayout(cfg *config.Config, table, to string) {
	if specOf(cfg.Tables[table]) == to {
		return
	}
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	if s.movedTo == nil {
		s.movedTo = map[string]string{}
	}
	s.movedTo[table] = to
}

// stillPending reads p's move again, now that moveMu is held: the move
// this Strata led may have ended while the look that found it waited for
// the lock (finishMove holds it while it forgets the marks and gives the
// lead up), and must not be taken up again as a move no Strata leads.
// When the marks cannot be read, p stands.
func (s *Strata) stillPending(ctx context.Context, cfg *config.Config, sh *sharding, p shardops.PendingMove) (shardops.PendingMove, bool) {
	pending, err := shardops.PendingMoves(ctx, sh.dbs.Open, slices.Sorted(maps.Keys(cfg.Clusters)), cfg.Schema)
	if err != nil {
		return p, true
	}
	for _, q := range pending {
		if q.Table == p.Table {
			return q, true
		}
	}
	return p, false
}
