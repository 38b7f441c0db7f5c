package sqlparse

import (
	"slices"
	"testing"
)

// A write ending with MariaDB's RETURNING is read as the write without the
// clause (its tables and kind, so it routes as itself), with the clause
// kept; the flags of the clause are the session's to honour.
func TestReturningFacts(t *testing.T) {
	tests := []struct {
		sql       string
		kind      Kind
		tables    []string
		returning string
		session   bool // the clause reads session state
	}{
		{"INSERT INTO t (a) VALUES (1), (2) RETURNING a, b * 2 AS c", KindInsert, []string{"t"}, "RETURNING a, b * 2 AS c", false},
		{"/* strata:primary */ REPLACE INTO blog.t VALUES (1) RETURNING *;", KindReplace, []string{"t"}, "RETURNING *", false},
		{"DELETE FROM t WHERE id IN (SELECT x FROM u) RETURNING id", KindDelete, []string{"t", "u"}, "RETURNING id", false},
		// A column named returning before the clause: the first
		// RETURNING after which the write parses.
		{"DELETE FROM t WHERE returning = 1 RETURNING id", KindDelete, []string{"t"}, "RETURNING id", false},
		{"INSERT INTO t (a) VALUES (1) RETURNING LAST_INSERT_ID(), @x", KindInsert, []string{"t"}, "RETURNING LAST_INSERT_ID(), @x", true},
	}
	for _, tt := range tests {
		facts, _ := ParseOrFallback(tt.sql)
		if len(facts) != 1 {
			t.Fatalf("%q: %d statements", tt.sql, len(facts))
		}
		f := facts[0]
		var tables []string
		for _, r := range f.Tables {
			tables = append(tables, r.Name)
		}
		if f.Fallback || f.Kind != tt.kind || f.Returning != tt.returning || !slices.Equal(tables, tt.tables) || f.ReadOnly {
			t.Errorf("%q: %s", tt.sql, dump(*f))
		}
		if got := f.SessionFunctions || f.ReadsUserVars; got != tt.session {
			t.Errorf("%q: reads session state %v, want %v", tt.sql, got, tt.session)
		}
		if f.Digest == "" || f.Text == "" || f.Text[len(f.Text)-1] == ';' {
			t.Errorf("%q: text %q, digest %q", tt.sql, f.Text, f.Digest)
		}
		if at := (Mode{}).ReturningOffset(tt.sql); at < 0 || tt.sql[at:at+9] != "RETURNING" {
			t.Errorf("%q: offset %d", tt.sql, at)
		}
	}
	if f := facts1(t, "INSERT INTO t (a) VALUES (1) RETURNING a"); f.Hint.Primary {
		t.Errorf("hint read where there is none: %s", dump(*f))
	}
	if f := facts1(t, "/* strata:primary */ INSERT INTO t (a) VALUES (1) RETURNING a"); !f.Hint.Primary {
		t.Errorf("the hint of the whole statement is lost: %s", dump(*f))
	}

	// Not a RETURNING clause: inside a string or a comment, or a
	// statement kind that has none.
	for _, sql := range []string{
		"INSERT INTO t VALUES ('RETURNING x')",
		"INSERT INTO t VALUES (1) /* RETURNING x */",
		"SELECT a AS returning FROM t",
		"UPDATE t SET a = 1 RETURNING a",
	} {
		if at := (Mode{}).ReturningOffset(sql); at >= 0 {
			t.Errorf("%q: RETURNING found at %d", sql, at)
		}
		facts, _ := ParseOrFallback(sql)
		if facts[0].Returning != "" {
			t.Errorf("%q: %s", sql, dump(*facts[0]))
		}
	}
}

func TestHasPlaceholder(t *testing.T) {
	for sql, want := range map[string]bool{
		"RETURNING id + ?":       true,
		"RETURNING id, '?'":      false,
		"RETURNING id /* ? */":   false,
		"RETURNING `a?`, id":     false,
		"RETURNING id":           false,
		"RETURNING IFNULL(?, 1)": true,
	} {
		if got := HasPlaceholder(sql); got != want {
			t.Errorf("%q: %v, want %v", sql, got, want)
		}
	}
}

func facts1(t *testing.T, sql string) *Facts {
	t.Helper()
	facts, _ := ParseOrFallback(sql)
	if len(facts) != 1 {
		t.Fatalf("%q: %d statements", sql, len(facts))
	}
	return facts[0]
}

// A RETURNING clause follows its write to a period table: references
// qualified by the table the client named name the period table.
func TestRenameQualifier(t *testing.T) {
	tests := []struct{ clause, want string }{
		{"RETURNING posts.id, title", "RETURNING `posts_2025_05`.id, title"},
		{"RETURNING `posts`.`id`, blog.posts.title, posts.*", "RETURNING `posts_2025_05`.`id`, blog.`posts_2025_05`.title, `posts_2025_05`.*"},
		{"RETURNING POSTS . id AS p", "RETURNING `posts_2025_05` . id AS p"},
		{"RETURNING id, posts, other.posts, posts.posts.id", "RETURNING id, posts, other.posts, posts.`posts_2025_05`.id"},
		{"RETURNING 'posts.id', CONCAT(posts.title, '.')", "RETURNING 'posts.id', CONCAT(`posts_2025_05`.title, '.')"},
		{"RETURNING id /* posts.id */", "RETURNING id /* posts.id */"},
	}
	for _, tt := range tests {
		if got := (Mode{}).RenameQualifier(tt.clause, "posts", "posts_2025_05"); got != tt.want {
			t.Errorf("RenameQualifier(%q) = %q, want %q", tt.clause, got, tt.want)
		}
	}
}
