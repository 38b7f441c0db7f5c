package session

import (
	"testing"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
)

func TestPlainEnd(t *testing.T) {
	tests := []struct {
		text, word string
		want       bool
	}{
		{"COMMIT", "COMMIT", true},
		{"commit work;", "COMMIT", true},
		{"/* app: checkout */ COMMIT", "COMMIT", true},
		{"COMMIT -- done\n", "COMMIT", true},
		{"COMMIT AND NO CHAIN NO RELEASE", "COMMIT", true},
		{"ROLLBACK WORK NO RELEASE", "ROLLBACK", true},
		{"COMMIT AND CHAIN", "COMMIT", false},
		{"COMMIT RELEASE", "COMMIT", false},
		{"ROLLBACK TO SAVEPOINT a", "ROLLBACK", false},
		{"ROLLBACK", "COMMIT", false},
		{"/* unterminated COMMIT", "COMMIT", false},
	}
	for _, tt := range tests {
		if got := plainEnd(tt.text, tt.word); got != tt.want {
			t.Errorf("plainEnd(%q, %s) = %v, want %v", tt.text, tt.word, got, tt.want)
		}
	}
}

// Which writes of a transaction across clusters roll back at once the
// branches they joined and changed nothing on: those whose OKs say where
// they changed rows; not a move, a unique: check (its locks keep a value
// unique until the end), a LIMIT walk, RETURNING, or a reference table.
func TestEndsEmptyBranches(t *testing.T) {
	update := &sqlparse.Facts{Kind: sqlparse.KindUpdate}
	plain := func(change func(p *planner.ShardPlan)) *planner.ShardPlan {
		p := &planner.ShardPlan{Kind: planner.PlanWrite, Write: true}
		if change != nil {
			change(p)
		}
		return p
	}
	tests := []struct {
		name  string
		facts *sqlparse.Facts
		plan  *planner.ShardPlan
		want  bool
	}{
		{"UPDATE", update, plain(nil), true},
		{"DELETE", &sqlparse.Facts{Kind: sqlparse.KindDelete}, plain(nil), true},
		{"INSERT", &sqlparse.Facts{Kind: sqlparse.KindInsert}, plain(nil), true},
		{"a locking read", &sqlparse.Facts{Kind: sqlparse.KindSelect, Locking: true}, &planner.ShardPlan{Kind: planner.PlanMerge}, false},
		{"a schema change", &sqlparse.Facts{Kind: sqlparse.KindDDL, ImplicitCommit: true}, plain(nil), false},
		{"a move", update, plain(func(p *planner.ShardPlan) { p.Move = &planner.MovePlan{} }), false},
		{"a unique: check", update, plain(func(p *planner.ShardPlan) { p.Unique = []planner.UniqueCheck{{}} }), false},
		{"a LIMIT walk", update, plain(func(p *planner.ShardPlan) { p.LimitWalk = true }), false},
		{"RETURNING", update, plain(func(p *planner.ShardPlan) { p.Returning = true }), false},
		{"a reference table", update, plain(func(p *planner.ShardPlan) { p.Copies = true }), false},
	}
	for _, tt := range tests {
		if got := endsEmptyBranches(tt.facts, tt.plan); got != tt.want {
			t.Errorf("%s: endsEmptyBranches = %v, want %v", tt.name, got, tt.want)
		}
	}
}
