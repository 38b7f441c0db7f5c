package sqlparse

import "testing"

// An ALTER TABLE that takes the shard key column away, by renaming or
// dropping it, is told apart from one that keeps it.
func TestKeyColumnChange(t *testing.T) {
	tests := []struct {
		sql, want string
	}{
		{"ALTER TABLE comments RENAME COLUMN entry_id TO eid", "renames"},
		{"alter table blog.comments change `Entry_ID` eid BIGINT NOT NULL", "renames"},
		{"ALTER TABLE comments ADD COLUMN x INT, DROP COLUMN entry_id", "drops"},
		{"ALTER TABLE comments DROP entry_id", "drops"},
		{"ALTER TABLE comments CHANGE entry_id entry_id BIGINT NOT NULL", ""},
		{"ALTER TABLE comments RENAME COLUMN entry_id TO ENTRY_ID", ""},
		{"ALTER TABLE comments MODIFY entry_id BIGINT NOT NULL", ""},
		{"ALTER TABLE comments RENAME COLUMN body TO text, DROP COLUMN votes", ""},
		{"ALTER TABLE other RENAME COLUMN entry_id TO eid", ""},
		{"SELECT entry_id FROM comments", ""},
	}
	for _, tt := range tests {
		if got := (Mode{}).KeyColumnChange(tt.sql, "comments", "entry_id"); got != tt.want {
			t.Errorf("KeyColumnChange(%s) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}
