package planner

import (
	"context"
	"testing"

	"github.com/strata-proxy/strata/sqlparse"
)

// BenchmarkShardPlan is the planning cost Strata adds to a statement on a
// sharded table (analysis cached by text, as in Strata).
func BenchmarkShardPlan(b *testing.B) {
	s := testSharding(&testing.T{})
	for _, bb := range []struct{ name, sql string }{
		{"keyed", "SELECT id, body FROM comments WHERE entry_id = 7"},
		{"scatter order limit", "SELECT id, body FROM comments ORDER BY id DESC LIMIT 10"},
		{"date walk", "SELECT id FROM posts ORDER BY created_at DESC LIMIT 5"},
	} {
		facts, err := sqlparse.Parse(bb.sql)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Plan(context.Background(), sqlparse.Mode{}, bb.sql, facts[0], nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
