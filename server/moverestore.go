package server

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/shardops"
)

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
func (s *Strata) restoreMoves(ctx context.Context, cfg *config.Config, sh *sharding) (refused map[string]string, err error) {
	if sh == nil || cfg.Schema == "" {
		return nil, nil
	}
	refused = map[string]string{}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pending, err := shardops.PendingMoves(c, sh.dbs.Open, slices.Sorted(maps.Keys(cfg.Clusters)), cfg.Schema)
	if err != nil {
		s.Log.Error("reading the marks of unfinished online rebalances failed: a table that was moving is placed by the file's layout until a restart reads them", "err", err)
	}
	for _, p := range pending {
		tm, why := s.adoptMove(c, cfg, sh, p)
		if why != "" {
			refused[p.Table] = why
			continue
		}
		if sh.layout, err = tm.placeMembers(sh.layout, byMoving); err != nil {
			tm.mover.ReleaseLead()
			return nil, err
		}
		s.move.Store(tm)
		s.Log.Warn("an online rebalance did not finish before this start: the table is placed as it left it, and the move resumes", "table", p.Table, "marks", tm.moving.Marks())
	}
	return refused, nil
}

// adoptMove makes this Strata the leader of a move no Strata leads (it
// takes the lead lock, and builds the moving method the move's marks
// describe), or says why the table's statements are refused here: another
// Strata leads it, or this one cannot read it.
func (s *Strata) adoptMove(ctx context.Context, cfg *config.Config, sh *sharding, p shardops.PendingMove) (*tableMove, string) {
	from, err := methodOf(cfg, sh.lookup, p.Table, p.From)
	if err != nil {
		return nil, fmt.Sprintf("table %s is moving between shards (an online rebalance), and this Strata cannot read the move's layout: %v", p.Table, err)
	}
	to, err := methodOf(cfg, sh.lookup, p.Table, p.To)
	if err != nil {
		return nil, fmt.Sprintf("table %s is moving between shards (an online rebalance), and this Strata cannot read the move's new layout: %v", p.Table, err)
	}
	order, err := orderNamed(p.KeyOrder)
	var moving *shard.Moving
	if err == nil {
		moving, err = shard.NewMoving(from, to, order)
	}
	if err == nil {
		err = p.Restore(moving)
	}
	if err != nil {
		return nil, fmt.Sprintf("table %s is moving between shards (an online rebalance), and this Strata cannot follow it: %v", p.Table, err)
	}
	if mine := s.move.Load(); mine != nil && !mine.finished.Load() && !mine.lost.Load() && mine.table != p.Table {
		return nil, fmt.Sprintf("table %s is moving between shards (an online rebalance) that no Strata leads, and this one leads the move of %s: it takes this one up when that ends", p.Table, mine.table)
	}
	var with []member
	for _, w := range p.With {
		wf, err := methodOf(cfg, sh.lookup, w.Table, w.From)
		var wt shard.Method
		if err == nil {
			wt, err = methodOf(cfg, sh.lookup, w.Table, w.To)
		}
		var wm *shard.Moving
		if err == nil {
			wm, err = moving.With(wf, wt)
		}
		if err != nil {
			return nil, fmt.Sprintf("table %s is moving between shards (an online rebalance) with %s, and this Strata cannot follow it: %v", p.Table, w.Table, err)
		}
		with = append(with, member{table: w.Table, from: w.From, target: w.To, moving: wm})
	}
	tm := s.newTableMove(cfg, p.Table, moving, p.From, p.To, p.KeyOrder, 0, with)
	if err := s.lead(tm); err != nil {
		tm.dbs.Close()
		return nil, fmt.Sprintf("table %s is moving between shards (an online rebalance) led by another Strata: send its statements through that Strata until the move ends (%v)", p.Table, err)
	}
	for _, m := range tm.members() {
		if specOf(cfg.Tables[m.table]) == m.target {
			continue
		}
		s.Log.Error("the config file places a table that was moving unlike the move's new layout: Strata places it as the move left it and finishes the move, then refuses it until the file is changed and reloaded", "table", m.table, "move_to", m.target)
		if s.movedTo == nil {
			s.movedTo = map[string]string{}
		}
		s.movedTo[m.table] = m.target // the caller holds moveMu, or Strata is starting
	}
	return tm, ""
}

// refuseNow adds a refusal to the planner's at once, until watchMoves
// next decides.
func (s *Strata) refuseNow(table, why string) {
	m := s.Env.Sharding.RefusedTables()
	m[table] = why
	s.Env.Sharding.SetRefused(m)
}

// resumeMoves carries on the move restoreMoves found.
func (s *Strata) resumeMoves() {
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	if tm := s.move.Load(); tm != nil && !tm.running && !tm.finished.Load() {
		s.runMove(tm)
	}
}
