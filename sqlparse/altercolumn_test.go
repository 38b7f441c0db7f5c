package sqlparse

import "testing"

// An ALTER TABLE that takes the shard key column away, by renaming or
// dropping it, is told apart from one that keeps it, and a CREATE TABLE
// without it from one with it.
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
		{"CREATE TABLE comments (id BIGINT PRIMARY KEY, body TEXT)", "lacks"},
		{"CREATE TABLE IF NOT EXISTS blog.comments (id BIGINT PRIMARY KEY, Entry_Id BIGINT NOT NULL)", ""},
		{"CREATE TABLE comments LIKE other", ""},
		{"CREATE TABLE other (id BIGINT PRIMARY KEY)", ""},
	}
	for _, tt := range tests {
		if got := (Mode{}).KeyColumnChange(tt.sql, "comments", "entry_id"); got != tt.want {
			t.Errorf("KeyColumnChange(%s) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}
