package planner

import (
	"slices"
	"testing"

	"github.com/strata-proxy/strata/shard"
)

// PrimaryKey is what Strata orders a table's rows read first by: the
// key as read from the shards, a date table's from its period tables,
// and none where a merge by it would be refused (text in a collation
// Strata only approximates) or the name is another schema's.
func TestPrimaryKeyOrdersRowsReadFirst(t *testing.T) {
	s := testSharding(t)
	s.SetColumns("blog", shard.Columns{
		Names: map[string]map[string]bool{
			"comments": {"entry_id": true, "id": true, "body": true}, "members": {"username": true},
			"posts_2024_06": {"id": true, "title": true}, "countries": {"code": true},
		},
		Collations: map[string]string{"comments.body": "utf8mb4_general_ci", "members.username": "utf8mb4_swedish_ci", "posts_2024_06.title": "utf8mb4_bin"},
		Primary: map[string][]string{
			"comments":      {"entry_id", "id"},
			"members":       {"username"},
			"posts_2024_06": {"id"},
			"countries":     {"code"},
		},
	})
	for _, tc := range []struct {
		table string
		want  []string
	}{
		{"comments", []string{"entry_id", "id"}},
		{"Comments", []string{"entry_id", "id"}},
		{"blog.comments", []string{"entry_id", "id"}},
		{"information_schema.comments", nil},
		{"posts", []string{"id"}},       // a date table: its period tables' key
		{"members", nil},                // Swedish text: merged only approximately
		{"countries", []string{"code"}}, // no collation read: not text
		{"unknown", nil},
	} {
		if got := s.PrimaryKey(tc.table); !slices.Equal(got, tc.want) {
			t.Errorf("PrimaryKey(%q) = %q, want %q", tc.table, got, tc.want)
		}
	}
}

// TableColumns names a table's columns, a date table's from its period
// tables: an INSERT ... SELECT's ON DUPLICATE KEY UPDATE resolves names
// by them.
func TestTableColumnsOfADateTable(t *testing.T) {
	s := testSharding(t)
	s.SetColumns("blog", shard.Columns{Names: map[string]map[string]bool{"posts_2024_06": {"id": true, "title": true}, "comments": {"id": true}}})
	for table, want := range map[string]bool{"posts": true, "blog.posts": true, "comments": true, "other.comments": false, "unknown": false} {
		if got := s.TableColumns(table)["id"]; got != want {
			t.Errorf("TableColumns(%q) has id: %v, want %v", table, got, want)
		}
	}
}
