package session

import (
	"slices"
	"testing"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
)

// Which statements of a transaction may run on each of their shards to
// find the ones their rows are on (narrow.go): a plain write over several
// shards, the transaction's first with no state that could not follow it,
// or a later one that reads no session state.
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
	lockingRead := &sqlparse.Facts{Kind: sqlparse.KindSelect, Locking: true}
	merged := func(change func(p *planner.ShardPlan)) *planner.ShardPlan {
		p := &planner.ShardPlan{Kind: planner.PlanMerge, Routes: routes, Select: &sqlparse.ScatterSelect{}}
		if change != nil {
			change(p)
		}
		return p
	}
	tests := []struct {
		name    string
		facts   *sqlparse.Facts
		plan    *planner.ShardPlan
		session func(s *Session)
		want    narrowKind
	}{
		{"UPDATE first in a transaction", update, spread(nil), fresh, narrowFresh},
		{"DELETE first in a transaction", &sqlparse.Facts{Kind: sqlparse.KindDelete}, spread(nil), fresh, narrowFresh},
		{"first with autocommit off", update, spread(nil), func(s *Session) { s.autocommit = false }, narrowFresh},
		{"with SET TRANSACTION settings", update, spread(nil), func(s *Session) {
			fresh(s)
			s.holds["next transaction settings"] = true
		}, narrowFresh},
		{"outside a transaction", update, spread(nil), func(*Session) {}, notNarrowed},
		{"after another statement", update, spread(nil), func(s *Session) { fresh(s); s.txFresh = false }, narrowInTx},
		{"after another statement, reading a user variable", &sqlparse.Facts{Kind: sqlparse.KindUpdate, ReadsUserVars: true}, spread(nil),
			func(s *Session) { fresh(s); s.txFresh = false }, notNarrowed},
		{"after another statement, with a temporary table", update, spread(nil),
			func(s *Session) { fresh(s); s.txFresh = false; s.holds["temporary tables"] = true }, notNarrowed},
		{"with user variables held", update, spread(nil), func(s *Session) { fresh(s); s.holds["user variables"] = true }, notNarrowed},
		{"with a temporary table held", update, spread(nil), func(s *Session) { fresh(s); s.holds["temporary tables"] = true }, notNarrowed},
		{"autocommit off on a pinned connection", update, spread(nil), func(s *Session) { s.autocommit = false; s.pinned = &backend.Conn{} }, narrowFresh},
		{"autocommit off in a transaction", update, spread(nil), func(s *Session) { s.autocommit = false; s.inTx = true; s.pinned = &backend.Conn{} }, narrowInTx},
		{"one shard", update, spread(func(p *planner.ShardPlan) { p.Routes = routes[:1] }), fresh, notNarrowed},
		{"INSERT", &sqlparse.Facts{Kind: sqlparse.KindInsert}, spread(nil), fresh, narrowFresh},
		{"REPLACE", &sqlparse.Facts{Kind: sqlparse.KindReplace}, spread(nil), fresh, narrowFresh},
		{"a schema change", &sqlparse.Facts{Kind: sqlparse.KindDDL, ImplicitCommit: true}, spread(nil), fresh, notNarrowed},
		{"a read", &sqlparse.Facts{Kind: sqlparse.KindSelect}, spread(func(p *planner.ShardPlan) { p.Write = false }), fresh, notNarrowed},
		{"reference table copies", update, spread(func(p *planner.ShardPlan) { p.Copies = true }), fresh, notNarrowed},
		{"LIMIT walk", update, spread(func(p *planner.ShardPlan) { p.LimitWalk = true }), fresh, notNarrowed},
		{"DELETE ... RETURNING", &sqlparse.Facts{Kind: sqlparse.KindDelete}, spread(func(p *planner.ShardPlan) { p.Returning = true }), fresh, narrowFresh},
		{"unique across shards", update, spread(func(p *planner.ShardPlan) { p.Unique = []planner.UniqueCheck{{}} }), fresh, notNarrowed},
		{"an UPDATE of the shard key", update, spread(func(p *planner.ShardPlan) { p.Move = &planner.MovePlan{} }), fresh, narrowFresh},
		// A locking read holds its rows until every shard has answered
		// (narrowread.go), where they say what it locked.
		{"a locking read first", lockingRead, merged(nil), fresh, narrowFresh},
		{"a locking read later", lockingRead, merged(nil), func(s *Session) { fresh(s); s.txFresh = false }, narrowInTx},
		{"a locking read outside a transaction", lockingRead, merged(nil), func(*Session) {}, notNarrowed},
		{"a locking read of one shard", lockingRead, merged(func(p *planner.ShardPlan) { p.Routes = routes[:1] }), fresh, notNarrowed},
		{"a locking COUNT(*): a row from every shard", lockingRead, merged(func(p *planner.ShardPlan) { p.Select.Aggregated = true }), fresh, notNarrowed},
		{"a locking read grouped", lockingRead, merged(func(p *planner.ShardPlan) {
			p.Select.Aggregated, p.Select.GroupBy = true, []sqlparse.Order{{}}
		}), fresh, narrowFresh},
		// transactions.mode twopc, until the transaction joins a branch:
		// a statement with rows on other shards widens it across them.
		{"twopc: first", update, spread(nil), func(s *Session) { fresh(s); s.tp = &TwoPhase{} }, narrowFresh},
		{"twopc: a locking read first", lockingRead, merged(nil), func(s *Session) { fresh(s); s.tp = &TwoPhase{} }, narrowFresh},
		{"twopc: later", update, spread(nil), func(s *Session) { fresh(s); s.txFresh = false; s.tp = &TwoPhase{} }, narrowInTx},
		{"twopc: later, branches joined", update, spread(nil), func(s *Session) {
			fresh(s)
			s.txFresh, s.tp, s.branches = false, &TwoPhase{}, map[string]*backend.Conn{"s1": {}}
		}, notNarrowed},
		{"twopc: RETURNING first, its rows sent before it could widen", &sqlparse.Facts{Kind: sqlparse.KindDelete}, spread(func(p *planner.ShardPlan) { p.Returning = true }),
			func(s *Session) { fresh(s); s.tp = &TwoPhase{} }, notNarrowed},
		{"branches joined", update, spread(nil), func(s *Session) { fresh(s); s.branches = map[string]*backend.Conn{"s1": {}} }, notNarrowed},
		{"a locking read of reference table copies", lockingRead, merged(func(p *planner.ShardPlan) { p.Copies = true }), fresh, notNarrowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newBareSession(t, &Env{Registry: NewRegistry()}, 7)
			tt.session(s)
			if got := s.narrows(tt.facts, tt.plan); got != tt.want {
				t.Errorf("narrows = %v, want %v", got, tt.want)
			}
		})
	}
}

// The rows a write's statement matched on a shard: an UPDATE's "Rows
// matched", or none where the server found its WHERE impossible and sent
// no info (Strata's UPDATE ... WHERE 0 after a subquery it ran first came
// back empty); another write's affected rows.
func TestMatchedRows(t *testing.T) {
	tests := []struct {
		res    backend.QueryResult
		update bool
		want   uint64
	}{
		{backend.QueryResult{AffectedRows: 1, Info: "Rows matched: 3  Changed: 1  Warnings: 0"}, true, 3},
		{backend.QueryResult{Info: "Rows matched: 0  Changed: 0  Warnings: 0"}, true, 0},
		{backend.QueryResult{}, true, 0},
		{backend.QueryResult{AffectedRows: 2, Info: "Records: 2  Duplicates: 0  Warnings: 0"}, false, 2},
	}
	for _, tt := range tests {
		if got, err := matchedRows(tt.res, tt.update); err != nil || got != tt.want {
			t.Errorf("matchedRows(%+v, %v) = %d, %v; want %d", tt.res, tt.update, got, err, tt.want)
		}
	}
}

// A narrowing read's routes run side by side by connection, and one after
// another where they share one (a shard's period tables in a transaction).
func TestRoutesByConn(t *testing.T) {
	a, b := &backend.Conn{}, &backend.Conn{}
	tests := []struct {
		name  string
		conns []*backend.Conn
		want  [][]int
	}{
		{"one each", []*backend.Conn{a, b}, [][]int{{0}, {1}}},
		{"shared, in order", []*backend.Conn{a, b, a, a}, [][]int{{0, 2, 3}, {1}}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conns []*shardConn
			for _, c := range tt.conns {
				conns = append(conns, &shardConn{conn: c})
			}
			if got := routesByConn(conns); !slices.EqualFunc(got, tt.want, slices.Equal[[]int]) {
				t.Errorf("routesByConn = %v, want %v", got, tt.want)
			}
		})
	}
}
