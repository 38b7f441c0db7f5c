package planner

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/sqlparse"
)

func BenchmarkZZBigInsert(b *testing.B) {
	s := testSharding(&testing.T{})
	var sb strings.Builder
	sb.WriteString("INSERT INTO comments (id, entry_id, body, created_at) VALUES ")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(%d, %d, 'some comment body text number %d', '2025-01-02 03:04:05')", i, i*7, i)
	}
	sql := sb.String()
	b.SetBytes(int64(len(sql)))
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := sqlparse.Parse(sql); err != nil {
				b.Fatal(err)
			}
		}
	})
	facts, _ := sqlparse.Parse(sql)
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Plan(context.Background(), sqlparse.Mode{}, sql, facts[0], nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
