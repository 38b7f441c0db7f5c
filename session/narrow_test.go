package session

import (
	"testing"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
)

// Which statements of a transaction may run on every shard to find the
// one their rows are on (narrow.go): a fresh transaction's first UPDATE
// or DELETE over several shards of a plain write, with no state that
// could not follow it.
func TestNarrowsFreshTx(t *testing.T) {
	update := &sqlparse.Facts{Kind: sqlparse.KindUpdate}
	routes := []planner.ShardRoute{{Cluster: "s0"}, {Cluster: "s1"}}
	spread := func(change func(p *planner.ShardPlan)) *planner.ShardPlan {
		p := &planner.ShardPlan{Kind: planner.PlanWrite, Write: true, Routes: routes}
		if change != nil {
			change(p)
		}
		return p
	}
	fresh := func(s *Session) { s.inTx, s.txFresh, s.pinned = true, true, &backend.Conn{} }
	tests := []struct {
		name    string
		facts   *sqlparse.Facts
		plan    *planner.ShardPlan
		session func(s *Session)
		want    bool
	}{
		{"UPDATE first in a transaction", update, spread(nil), fresh, true},
		{"DELETE first in a transaction", &sqlparse.Facts{Kind: sqlparse.KindDelete}, spread(nil), fresh, true},
		{"first with autocommit off", update, spread(nil), func(s *Session) { s.autocommit = false }, true},
		{"with SET TRANSACTION settings", update, spread(nil), func(s *Session) {
			fresh(s)
			s.holds["next transaction settings"] = true
		}, true},
		{"outside a transaction", update, spread(nil), func(*Session) {}, false},
		{"after another statement", update, spread(nil), func(s *Session) { fresh(s); s.txFresh = false }, false},
		{"with user variables held", update, spread(nil), func(s *Session) { fresh(s); s.holds["user variables"] = true }, false},
		{"with a temporary table held", update, spread(nil), func(s *Session) { fresh(s); s.holds["temporary tables"] = true }, false},
		{"autocommit off with a pinned connection", update, spread(nil), func(s *Session) { s.autocommit = false; s.pinned = &backend.Conn{} }, false},
		{"one shard", update, spread(func(p *planner.ShardPlan) { p.Routes = routes[:1] }), fresh, false},
		{"INSERT", &sqlparse.Facts{Kind: sqlparse.KindInsert}, spread(nil), fresh, false},
		{"reference table copies", update, spread(func(p *planner.ShardPlan) { p.Copies = true }), fresh, false},
		{"LIMIT walk", update, spread(func(p *planner.ShardPlan) { p.LimitWalk = true }), fresh, false},
		{"RETURNING", update, spread(func(p *planner.ShardPlan) { p.Returning = true }), fresh, false},
		{"unique across shards", update, spread(func(p *planner.ShardPlan) { p.Unique = []planner.UniqueCheck{{}} }), fresh, false},
		{"a row move", update, spread(func(p *planner.ShardPlan) { p.Move = &planner.MovePlan{} }), fresh, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newBareSession(t, &Env{Registry: NewRegistry()}, 7)
			tt.session(s)
			if got := s.narrowsFreshTx(tt.facts, tt.plan); got != tt.want {
				t.Errorf("narrowsFreshTx = %v, want %v", got, tt.want)
			}
		})
	}
}
