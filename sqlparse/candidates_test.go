package sqlparse

import "testing"

// An UPDATE or DELETE with ORDER BY and LIMIT renders as the SELECT of its
// ORDER BY items over the rows it would write first, locked; other
// statements do not.
func TestRenderCandidates(t *testing.T) {
	for _, tc := range []struct {
		sql, want string
		args      []string
	}{
		{"UPDATE posts SET a = ? WHERE b > ? AND user_id IN (1, 2) ORDER BY title DESC, id LIMIT ?",
			"SELECT `title`,`id` FROM `posts` WHERE `b`>2 AND `user_id` IN (1,2) ORDER BY `title` DESC,`id` LIMIT 3 FOR UPDATE", []string{"1", "2", "3"}},
		{"DELETE FROM posts AS p WHERE p.b = 'x' ORDER BY p.id LIMIT 5",
			"SELECT `p`.`id` FROM `posts` AS `p` WHERE `p`.`b`='x' ORDER BY `p`.`id` LIMIT 5 FOR UPDATE", nil},
		{"DELETE FROM posts ORDER BY id LIMIT 5", "SELECT `id` FROM `posts` ORDER BY `id` LIMIT 5 FOR UPDATE", nil},
		{"UPDATE posts SET a = 1 WHERE b = 2", "", nil}, // no ORDER BY and LIMIT
	} {
		s := mustAnalyze(t, tc.sql)
		got, err := s.Render(Rewrite{Candidates: true, Args: tc.args})
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s: rendered %q, want an error", tc.sql, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s:\n got %q, %v\nwant %q", tc.sql, got, err, tc.want)
		}
	}
}
