package planner

import (
	"bytes"
	"context"
	"strconv"
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

// BenchmarkBulkInsertPlan is what Strata spends to route a 1000-row
// INSERT with its values written in (a dump's, a batch job's) over
// shards: the classification parse and the shard plan, whose analysis
// takes the parse's tree. Each statement differs from the one before (its
// first id), as in a bulk load, so no cache answers it.
func BenchmarkBulkInsertPlan(b *testing.B) {
	s := testSharding(&testing.T{})
	p := New(nil)
	sql := []byte(bulkInsert(1000, 100_000_000, false))
	first := bytes.Index(sql, []byte("100000000"))
	b.SetBytes(int64(len(sql)))
	n := 100_000_000
	for b.Loop() {
		n++
		strconv.AppendInt(sql[:first], int64(n), 10)
		parsed := p.ParseBytes(sql)
		if _, err := s.Plan(context.Background(), sqlparse.Mode{}, parsed.SQL, parsed.Summary, nil); err != nil {
			b.Fatal(err)
		}
	}
}
