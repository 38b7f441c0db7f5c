package planner

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/sqlparse"
)

// bulkInsert is a multi-row INSERT into comments longer than the caches
// keep, with its values written in (or placeholders for them).
func bulkInsert(rows, first int, placeholders bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO comments (id, entry_id, body) VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		if placeholders {
			b.WriteString("(?, ?, ?)")
			continue
		}
		fmt.Fprintf(&b, "(%d, %d, 'comment body number %d')", first+i, first+i, first+i)
	}
	return b.String()
}

// A long statement is parsed once: the shard analysis takes the tree its
// classification parsed, plans as from a fresh parse, and is not cached
// (a bulk load would otherwise keep every statement's tree).
func TestLongStatementParsedOnceAndNotCached(t *testing.T) {
	ctx := context.Background()
	p := New(nil)
	s := testSharding(t)
	for n := range 3 {
		sql := bulkInsert(1000, n*1000, false)
		if len(sql) <= maxCachedText {
			t.Fatalf("the test statement is %d bytes, not longer than the caches keep", len(sql))
		}
		parsed := p.ParseBytes([]byte(sql))
		if !parsed.Summary.HoldsTree() {
			t.Fatal("the planner's parse of a long statement kept no tree for the shard analysis")
		}
		got, err := s.Plan(ctx, sqlparse.Mode{}, parsed.SQL, parsed.Summary, nil)
		if err != nil {
			t.Fatal(err)
		}
		if parsed.Summary.HoldsTree() {
			t.Error("the shard analysis parsed the statement again instead of taking its tree")
		}
		fresh, err := sqlparse.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		want, err := testSharding(t).Plan(ctx, sqlparse.Mode{}, sql, fresh[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Routes, want.Routes) || len(got.Routes) != 3 {
			t.Fatalf("routes from the kept tree differ from a fresh parse's:\n%+v\n%+v", got.Routes, want.Routes)
		}
	}
	if n := s.n.Load(); n != 0 {
		t.Errorf("%d analyses of long statements with their values written in were cached", n)
	}
	// A long prepared statement's analysis is cached: it runs again and
	// again with other values.
	sql := bulkInsert(1000, 0, true)
	f, err := sqlparse.Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	args := make([]string, 3000)
	for i := range args {
		args[i] = fmt.Sprint(i/3 + 1)
	}
	if _, err := s.Plan(ctx, sqlparse.Mode{}, sql, f[0], args); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.stmts.Load(sql); !ok {
		t.Error("the analysis of a long prepared statement was not cached")
	}
}
