package sqlparse

import "testing"

// A SELECT Strata runs first over shards takes the order one server
// reads its table in, its primary key's, where it leaves the order open;
// one that orders, groups or joins is left as written.
func TestInKeyOrder(t *testing.T) {
	key := func(table string) []string {
		return map[string][]string{"comments": {"entry_id", "id"}, "blog.comments": {"entry_id", "id"}}[table]
	}
	for _, tc := range []struct{ sql, want string }{
		{"SELECT id, body FROM comments WHERE votes > 3 LIMIT 10", "SELECT `id`,`body` FROM `comments` WHERE `votes`>3 ORDER BY `comments`.`entry_id`,`comments`.`id` LIMIT 10"},
		{"SELECT c.id FROM blog.comments AS c", "SELECT `c`.`id` FROM `blog`.`comments` AS `c` ORDER BY `c`.`entry_id`,`c`.`id`"},
		{"SELECT id, (SELECT 1) FROM comments", "SELECT `id`,(SELECT 1) FROM `comments` ORDER BY `comments`.`entry_id`,`comments`.`id`"},
		// Left as written:
		{"SELECT id FROM comments ORDER BY votes LIMIT 3", ""},
		{"SELECT entry_id, COUNT(*) FROM comments GROUP BY entry_id", ""},
		{"SELECT COUNT(*) FROM comments", ""},
		{"SELECT DISTINCT entry_id FROM comments", ""},
		{"SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM comments", ""},
		{"SELECT c.id FROM comments c JOIN entries e ON e.id = c.entry_id", ""},
		{"SELECT id FROM comments UNION SELECT id FROM comments", ""},
		{"SELECT id FROM entries", ""}, // key not known
		{"SELECT id FROM comments FOR UPDATE", ""},
	} {
		got, ok := Mode{}.InKeyOrder(tc.sql, key)
		if want := tc.want != ""; ok != want || ok && got != tc.want || !ok && got != tc.sql {
			t.Errorf("InKeyOrder(%s) = %s, %v; want %q", tc.sql, got, ok, tc.want)
		}
	}
}
