package sqlparse

import (
	"strings"
	"testing"
)

// A table read first is read with the columns the statement names, and
// whole wherever a column it needs could be missing from that list.
func TestMaterializeReadsTheColumnsTheStatementNames(t *testing.T) {
	columns := map[string]map[string]bool{
		"posts":    {"id": true, "status": true, "score": true, "body": true, "flags": true},
		"comments": {"id": true, "post_id": true, "body": true, "votes": true},
	}
	lookup := func(table string) map[string]bool { return columns[strings.ToLower(table)] }
	tests := []struct {
		sql  string
		want []string // each table's read, in Tables order
	}{
		{"SELECT status, COUNT(*) FROM posts GROUP BY status WITH ROLLUP",
			[]string{"SELECT `posts`.`status` FROM `posts` AS `posts`"}},
		{"SELECT p.status, SUM(p.score) s FROM posts p WHERE p.id > 3 GROUP BY p.status WITH ROLLUP",
			[]string{"SELECT `p`.`id`, `p`.`score`, `p`.`status` FROM `posts` AS `p` WHERE `p`.`id`>3"}},
		// Only the rows count.
		{"SELECT COUNT(*) FROM posts p JOIN comments c ON c.post_id = c.id", []string{"SELECT `c`.`id`, `c`.`post_id` FROM `comments` AS `c` WHERE `c`.`post_id`=`c`.`id`", "SELECT 1 FROM `posts` AS `p`"}},
		// Qualified names go to their table; an unqualified one to every
		// table that has it.
		{"SELECT p.body, c.votes, id FROM posts p JOIN comments c ON c.post_id = p.id",
			[]string{"SELECT `p`.`body`, `p`.`id` FROM `posts` AS `p`", "SELECT `c`.`id`, `c`.`post_id`, `c`.`votes` FROM `comments` AS `c`"}},
		// An alias is no column.
		{"SELECT p.score * 2 AS twice FROM posts p JOIN comments c ON c.post_id = p.id ORDER BY twice",
			[]string{"SELECT `p`.`id`, `p`.`score` FROM `posts` AS `p`", "SELECT `c`.`post_id` FROM `comments` AS `c`"}},
		// Read whole: a *, a t.*, a NATURAL JOIN.
		{"SELECT * FROM posts p JOIN comments c ON c.post_id = p.id",
			[]string{"SELECT * FROM `posts` AS `p`", "SELECT * FROM `comments` AS `c`"}},
		{"SELECT p.*, c.votes FROM posts p JOIN comments c ON c.post_id = p.id",
			[]string{"SELECT * FROM `posts` AS `p`", "SELECT `c`.`post_id`, `c`.`votes` FROM `comments` AS `c`"}},
		{"SELECT id FROM posts NATURAL JOIN comments",
			[]string{"SELECT * FROM `posts` AS `posts`", "SELECT * FROM `comments` AS `comments`"}},
		// A name of no known column: one added since the columns were
		// read, or a column of a table whose columns are not known.
		{"SELECT p.added, c.votes FROM posts p JOIN comments c ON c.post_id = p.id",
			[]string{"SELECT * FROM `posts` AS `p`", "SELECT `c`.`post_id`, `c`.`votes` FROM `comments` AS `c`"}},
		{"SELECT name, p.score FROM posts p JOIN users u ON u.id = p.id",
			[]string{"SELECT * FROM `posts` AS `p`", "SELECT * FROM `users` AS `u`"}},
		{"SELECT u.name, p.score FROM posts p JOIN users u ON u.id = p.id",
			[]string{"SELECT `p`.`id`, `p`.`score` FROM `posts` AS `p`", "SELECT * FROM `users` AS `u`"}},
	}
	for _, tt := range tests {
		m, err := Mode{}.Materialize(tt.sql, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		m.Columns = lookup
		if len(m.Tables) != len(tt.want) {
			t.Fatalf("%s: %d tables, want %d", tt.sql, len(m.Tables), len(tt.want))
		}
		for i, want := range tt.want {
			if got := m.Query(i, nil); got != want {
				t.Errorf("%s: table %d read by\n %s\nwant\n %s", tt.sql, i, got, want)
			}
		}
	}
	// Without the columns known, every table is read whole.
	m, err := Mode{}.Materialize("SELECT status FROM posts GROUP BY status WITH ROLLUP", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Query(0, nil); got != "SELECT * FROM `posts` AS `posts`" {
		t.Errorf("columns not known: %s", got)
	}
}
