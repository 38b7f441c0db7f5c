package planner

import (
	"context"
	"testing"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// A merge has the columns read first when it compares text of a sharded
// or reference table whose columns were not read; not for numbers, a
// table read, a table of one cluster, or twice within onDemandGap.
func TestMergeColumnsReadsUnreadTablesFirst(t *testing.T) {
	s := testSharding(t)
	reads := 0
	s.ReadColumns = func(context.Context) error { reads++; return nil }
	text := func(table string) engine.Column {
		return engine.Column{Schema: "blog", OrgTable: table, OrgName: "c", Name: "c", Charset: 45}
	}
	number := engine.Column{Schema: "blog", OrgTable: "comments", OrgName: "id", Name: "id", Charset: engine.CharsetBinary}
	s.MergeColumns(context.Background(), []engine.Column{text("comments")}, nil)
	if reads != 1 {
		t.Fatalf("before any read, a text column of comments: %d reads, want 1", reads)
	}
	s.SetColumns("blog", shard.Columns{Names: map[string]map[string]bool{"comments": {"c": true}, "posts_2024_06": {"c": true}}})
	s.now.last = s.now.last.Add(-onDemandGap) // as if a second went by
	for _, tc := range []struct {
		name    string
		cols    []engine.Column
		sources []*sqlparse.TextSource
		unread  bool
	}{
		{"a table read", []engine.Column{text("comments")}, nil, false},
		{"a period table read", []engine.Column{text("posts_2024_06")}, nil, false},
		{"a period table not read (created since)", []engine.Column{text("posts_2024_07")}, nil, true},
		{"numbers", []engine.Column{number}, nil, false},
		{"a table of one cluster", []engine.Column{text("users")}, nil, false},
		{"another schema", []engine.Column{{Schema: "other", OrgTable: "events", OrgName: "c", Charset: 45}}, nil, false},
		{"a sharded table not read", []engine.Column{text("events")}, nil, true},
		{"an expression over one", []engine.Column{{Name: "u", Charset: 45}}, []*sqlparse.TextSource{{Columns: []sqlparse.ColumnRef{{Tables: []string{"events"}, Column: "kind"}}}}, true},
	} {
		if got := s.columnsUnread(tc.cols, tc.sources); got != tc.unread {
			t.Errorf("%s: unread %v, want %v", tc.name, got, tc.unread)
		}
	}
	s.MergeColumns(context.Background(), []engine.Column{text("events")}, nil)
	s.MergeColumns(context.Background(), []engine.Column{text("events")}, nil)
	if reads != 2 {
		t.Errorf("two merges of a table not read within a second: %d reads in all, want 2", reads)
	}
	// A statement that reads a table's rows first asks for its columns
	// (its primary key) the same way.
	s.now.last = s.now.last.Add(-onDemandGap)
	s.ReadColumnsOf(context.Background(), "comments")
	s.ReadColumnsOf(context.Background(), "users")
	if reads != 2 {
		t.Errorf("rows read first of a table read, and of one cluster's: %d reads in all, want 2", reads)
	}
	s.ReadColumnsOf(context.Background(), "events")
	if reads != 3 {
		t.Errorf("rows read first of a sharded table not read: %d reads in all, want 3", reads)
	}
}
