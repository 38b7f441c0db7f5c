package session

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// Which statements run first on the shard their row was last seen on
// (locate.go): an UPDATE or DELETE, or a read whose rows say whether it
// found the row, outside a transaction (not a locking read there) or
// narrowing one; never one whose second run could differ from its first
// (a move, a unique: check, a LIMIT walk, RETURNING, a stored function).
func TestGuessedPlan(t *testing.T) {
	known := shard.LocationKey{Table: "comments", Column: "id", Value: "7"}
	unknown := shard.LocationKey{Table: "comments", Column: "id", Value: "8"}
	elsewhere := shard.LocationKey{Table: "comments", Column: "id", Value: "9"}
	onS1 := shard.LocationKey{Table: "comments", Column: "id", Value: "10"}
	onS2 := shard.LocationKey{Table: "comments", Column: "id", Value: "11"}
	onS0 := shard.LocationKey{Table: "comments", Column: "id", Value: "12"}
	each := func(keys ...shard.LocationKey) func(p *planner.ShardPlan) {
		return func(p *planner.ShardPlan) { p.Locate, p.LocateEach = nil, keys }
	}
	routes := []planner.ShardRoute{{Cluster: "s0"}, {Cluster: "s1"}, {Cluster: "s2"}}
	write := func(change func(p *planner.ShardPlan)) *planner.ShardPlan {
		p := &planner.ShardPlan{Kind: planner.PlanWrite, Write: true, Routes: routes, Locate: &known}
		if change != nil {
			change(p)
		}
		return p
	}
	read := func(change func(p *planner.ShardPlan)) *planner.ShardPlan {
		p := &planner.ShardPlan{Kind: planner.PlanMerge, Routes: routes, Select: &sqlparse.ScatterSelect{Limit: -1}, Locate: &known}
		if change != nil {
			change(p)
		}
		return p
	}
	update := &sqlparse.Facts{Kind: sqlparse.KindUpdate}
	selectRow := &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true}
	lockRow := &sqlparse.Facts{Kind: sqlparse.KindSelect, Locking: true}
	autocommit := func(*Session) {}
	inTx := func(s *Session) { s.inTx, s.pinned = true, &backend.Conn{} }
	tests := []struct {
		name      string
		facts     *sqlparse.Facts
		plan      *planner.ShardPlan
		session   func(*Session)
		narrowing narrowKind
		want      string // the clusters of the guessed plan; "" for none
	}{
		{"UPDATE in autocommit", update, write(nil), autocommit, notNarrowed, "s1"},
		{"DELETE in autocommit", &sqlparse.Facts{Kind: sqlparse.KindDelete}, write(nil), autocommit, notNarrowed, "s1"},
		{"a read in autocommit", selectRow, read(nil), autocommit, notNarrowed, "s1"},
		{"a grouped aggregate", selectRow, read(func(p *planner.ShardPlan) { p.Select.Aggregated, p.Select.GroupBy = true, []sqlparse.Order{{}} }), autocommit, notNarrowed, "s1"},
		{"a transaction's first UPDATE", update, write(nil), inTx, narrowFresh, "s1"},
		{"a transaction's later locking read", lockRow, read(nil), inTx, narrowInTx, "s1"},
		{"a value Strata has not seen", update, write(func(p *planner.ShardPlan) { p.Locate = &unknown }), autocommit, notNarrowed, ""},
		{"seen on a shard the plan does not run on", update, write(func(p *planner.ShardPlan) { p.Locate = &elsewhere }), autocommit, notNarrowed, ""},
		{"no unique: value", update, write(func(p *planner.ShardPlan) { p.Locate = nil }), autocommit, notNarrowed, ""},
		{"a locking read in autocommit", lockRow, read(nil), autocommit, notNarrowed, ""},
		{"a read in a transaction", selectRow, read(nil), inTx, notNarrowed, "s1"},
		{"a read of a user variable", &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true, ReadsUserVars: true}, read(nil), autocommit, notNarrowed, ""},
		{"a read of a session pinned to a connection", selectRow, read(nil), func(s *Session) { s.pinned = &backend.Conn{} }, notNarrowed, "s1"},
		{"a write in a transaction that does not narrow", update, write(nil), inTx, notNarrowed, ""},
		{"a session pinned to a connection", update, write(nil), func(s *Session) { s.pinned = &backend.Conn{} }, notNarrowed, ""},
		{"COUNT(*): a row from every shard", selectRow, read(func(p *planner.ShardPlan) { p.Select.Aggregated = true }), autocommit, notNarrowed, ""},
		{"an ordered walk", selectRow, read(func(p *planner.ShardPlan) { p.Walk = true }), autocommit, notNarrowed, ""},
		{"a move", update, write(func(p *planner.ShardPlan) { p.Move = &planner.MovePlan{} }), autocommit, notNarrowed, ""},
		{"a unique: check", update, write(func(p *planner.ShardPlan) { p.Unique = []planner.UniqueCheck{{}} }), autocommit, notNarrowed, ""},
		{"a LIMIT walk", update, write(func(p *planner.ShardPlan) { p.LimitWalk = true }), autocommit, notNarrowed, ""},
		{"RETURNING", update, write(func(p *planner.ShardPlan) { p.Returning = true }), autocommit, notNarrowed, ""},
		{"a stored function", &sqlparse.Facts{Kind: sqlparse.KindUpdate, StoredFunctions: true}, write(nil), autocommit, notNarrowed, ""},
		{"a reference table", update, write(func(p *planner.ShardPlan) { p.Copies = true }), autocommit, notNarrowed, ""},
		// An IN list's values: a plain read, on the shards of all of them.
		{"a read of an IN list", selectRow, read(each(known, onS2, onS1)), autocommit, notNarrowed, "s1,s2"},
		{"a read of an IN list on one shard", selectRow, read(each(known, onS1)), inTx, notNarrowed, "s1"},
		{"an IN list with a value Strata has not seen", selectRow, read(each(known, unknown)), autocommit, notNarrowed, ""},
		{"an IN list over every shard", selectRow, read(each(known, onS2, onS0)), autocommit, notNarrowed, ""},
		{"an UPDATE of an IN list", update, write(each(known, onS1)), autocommit, notNarrowed, "s1"},
		{"a DELETE of an IN list", &sqlparse.Facts{Kind: sqlparse.KindDelete}, write(each(onS2, known)), autocommit, notNarrowed, "s1,s2"},
		{"an UPDATE of an IN list narrowing a transaction", update, write(each(known, onS1)), inTx, narrowInTx, "s1"},
		{"an UPDATE of an IN list in a transaction that does not narrow", update, write(each(known, onS1)), inTx, notNarrowed, ""},
		{"a locking read of an IN list narrowing a transaction", lockRow, read(each(known, onS1)), inTx, narrowInTx, "s1"},
		{"a locking read of an IN list in autocommit", lockRow, read(each(known, onS1)), autocommit, notNarrowed, ""},
		{"an IN list with a LIMIT of fewer rows", selectRow, read(func(p *planner.ShardPlan) { each(known, onS2)(p); p.Select.Limit = 1 }), autocommit, notNarrowed, ""},
		{"an IN list with a LIMIT of as many rows", selectRow, read(func(p *planner.ShardPlan) { each(known, onS2)(p); p.Select.Limit, p.Select.Offset = 1, 1 }), autocommit, notNarrowed, "s1,s2"},
		{"COUNT(*) of an IN list", selectRow, read(func(p *planner.ShardPlan) { each(known, onS2)(p); p.Select.Aggregated = true }), autocommit, notNarrowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{Registry: NewRegistry(), Sharding: planner.NewSharding(nil)}
			env.Sharding.Locations().SetMax(10)
			env.Sharding.Locations().Learn(known, "s1")
			env.Sharding.Locations().Learn(elsewhere, "s9")
			env.Sharding.Locations().Learn(onS1, "s1")
			env.Sharding.Locations().Learn(onS2, "s2")
			env.Sharding.Locations().Learn(onS0, "s0")
			s := newBareSession(t, env, 7)
			tt.session(s)
			var clusters []string
			if g := s.guessedPlan(tt.facts, tt.plan, tt.narrowing); g != nil {
				for _, r := range g.Routes {
					clusters = append(clusters, r.Cluster)
				}
			}
			got := strings.Join(clusters, ",")
			if got != tt.want {
				t.Errorf("guessed plan on %q, want %q", got, tt.want)
			}
		})
	}
}

// A statement that did not find its row on the remembered shard makes
// Strata forget the location when it is a write or a locking read, which
// ran on the primary; not when it is a plain read, whose replica may be
// behind the primary that wrote the row.
func TestCountGuessForgetsWhatThePrimarySaid(t *testing.T) {
	k := shard.LocationKey{Table: "comments", Column: "id", Value: "7"}
	tests := []struct {
		name   string
		facts  *sqlparse.Facts
		err    error
		forget bool
	}{
		{"a write missed", &sqlparse.Facts{Kind: sqlparse.KindUpdate}, errGuessMissed, true},
		{"a locking read missed", &sqlparse.Facts{Kind: sqlparse.KindSelect, Locking: true}, errGuessMissed, true},
		{"a read missed", &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true}, errGuessMissed, false},
		{"a write hit", &sqlparse.Facts{Kind: sqlparse.KindUpdate}, nil, false},
		{"a write widened", &sqlparse.Facts{Kind: sqlparse.KindUpdate}, errWidenAcross, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{Registry: NewRegistry(), Sharding: planner.NewSharding(nil), Metrics: metrics.New()}
			env.Sharding.Locations().SetMax(10)
			env.Sharding.Locations().Learn(k, "s1")
			s := newBareSession(t, env, 7)
			s.locate = &k
			s.countGuess(tt.facts, tt.err)
			if _, known := env.Sharding.Locations().Lookup(k); known == tt.forget {
				t.Errorf("after it the location is known: %v, want %v", known, !tt.forget)
			}
		})
	}
}
