package sqlparse

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestPullOut(t *testing.T) {
	tests := []struct {
		sql    string
		subs   []string
		values [][]string
		want   string
	}{
		{
			"SELECT id FROM posts WHERE user_id IN (SELECT id FROM users WHERE karma > 3) AND title <> 'x'",
			[]string{"SELECT `id` FROM `users` WHERE `karma`>3"},
			[][]string{{"1", "7"}},
			"SELECT `id` FROM `posts` WHERE `user_id` IN (1,7) AND `title`!='x'",
		},
		{
			// Only the outer subqueries: the inner one runs with its own.
			"SELECT COUNT(*) FROM posts WHERE a NOT IN (SELECT b FROM t WHERE c IN (SELECT d FROM u)) HAVING MAX(e) IN (SELECT f FROM v)",
			[]string{"SELECT `b` FROM `t` WHERE `c` IN (SELECT `d` FROM `u`)", "SELECT `f` FROM `v`"},
			[][]string{{"'a'", "NULL"}, {"2"}},
			"SELECT COUNT(1) AS `COUNT(*)` FROM `posts` WHERE `a` NOT IN ('a',NULL) HAVING MAX(`e`) IN (2)",
		},
		{
			// No rows: IN is false and NOT IN true, whatever the left side.
			"SELECT a FROM posts WHERE a IN (SELECT b FROM t) OR NOT c NOT IN (SELECT d FROM u)",
			[]string{"SELECT `b` FROM `t`", "SELECT `d` FROM `u`"},
			[][]string{nil, nil},
			"SELECT `a` FROM `posts` WHERE 0 OR NOT 1",
		},
		{
			// Scalar values and EXISTS: one value (NULL without rows),
			// whether there is a row.
			"SELECT a, COUNT(*) * 100 / (SELECT COUNT(*) FROM t) FROM posts WHERE EXISTS (SELECT * FROM u WHERE c IN (SELECT d FROM v)) AND NOT EXISTS (SELECT 1 FROM w) AND b = (SELECT MAX(e) FROM x) GROUP BY a",
			[]string{"SELECT COUNT(1) FROM `t`", "SELECT * FROM `u` WHERE `c` IN (SELECT `d` FROM `v`)", "SELECT 1 FROM `w`", "SELECT MAX(`e`) FROM `x`"},
			[][]string{{"40"}, {"1"}, nil, nil},
			"SELECT `a`,COUNT(1)*100/(40) AS `COUNT(*) * 100 / (SELECT COUNT(*) FROM t)` FROM `posts` WHERE 1 AND 1 AND `b`=NULL GROUP BY `a`",
		},
	}
	tests = append(tests, struct {
		sql    string
		subs   []string
		values [][]string
		want   string
	}{
		// A list of one subquery in parentheses is the subquery's rows,
		// as MariaDB reads it, not its one value.
		"SELECT a FROM posts WHERE a IN ((SELECT b FROM t)) AND c NOT IN (((SELECT d FROM u)))",
		[]string{"SELECT `b` FROM `t`", "SELECT `d` FROM `u`"},
		[][]string{{"1", "2"}, {"3"}},
		"SELECT `a` FROM `posts` WHERE `a` IN (1,2) AND `c` NOT IN (3)",
	}, struct {
		sql    string
		subs   []string
		values [][]string
		want   string
	}{
		// A join's ON, before WHERE, as written.
		"SELECT u.id FROM users u LEFT JOIN posts p ON p.user_id = u.id AND p.id IN (SELECT post_id FROM likes) WHERE u.karma > (SELECT 1 FROM t)",
		[]string{"SELECT `post_id` FROM `likes`", "SELECT 1 FROM `t`"},
		[][]string{{"4"}, {"2"}},
		"SELECT `u`.`id` FROM `users` AS `u` LEFT JOIN `posts` AS `p` ON `p`.`user_id`=`u`.`id` AND `p`.`id` IN (4) WHERE `u`.`karma`>(2)",
	})
	for _, tt := range tests {
		p, err := Mode{}.PullOut(tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		if !reflect.DeepEqual(p.Subqueries, tt.subs) {
			t.Errorf("%s: Subqueries = %q, want %q", tt.sql, p.Subqueries, tt.subs)
		}
		if got, err := p.Render(tt.values); err != nil || got != tt.want {
			t.Errorf("%s:\nRender = %s (%v)\nwant     %s", tt.sql, got, err, tt.want)
		}
	}
	// A prepared statement's bound values go into the subquery and around.
	p, err := Mode{}.PullOutArgs("SELECT a FROM posts WHERE b > ? AND a IN (SELECT c FROM t WHERE d = ?) LIMIT ?", []string{"1", "'x'", "5"})
	if err != nil || !reflect.DeepEqual(p.Subqueries, []string{"SELECT `c` FROM `t` WHERE `d`='x'"}) {
		t.Fatalf("PullOutArgs: %+v, %v", p, err)
	}
	if got, err := p.Render([][]string{{"7"}}); err != nil || got != "SELECT `a` FROM `posts` WHERE `b`>1 AND `a` IN (7) LIMIT 5" {
		t.Errorf("PullOutArgs Render = %s, %v", got, err)
	}
	if _, err := (Mode{}).PullOutArgs("SELECT a FROM posts WHERE a IN (SELECT c FROM t WHERE d = ?)", nil); err != nil {
		t.Errorf("without values the markers stay: %v", err)
	}
	if _, err := (Mode{}).PullOutArgs("SELECT a FROM posts WHERE a IN (SELECT c FROM t WHERE d = ?)", []string{"1", "2"}); err == nil {
		t.Error("two values for one placeholder were accepted")
	}
	for _, sql := range []string{
		"SELECT a FROM posts WHERE a = 1",
		"INSERT INTO posts VALUES (1)",
	} {
		if _, err := (Mode{}).PullOut(sql); !errors.Is(err, ErrNoPullout) {
			t.Errorf("%s: err = %v, want ErrNoPullout", sql, err)
		}
	}
}

func TestPullOutTables(t *testing.T) {
	one := PulledTable{Columns: []string{"user_id", "n"}, Nulls: []string{"CAST(NULL AS SIGNED)", "CAST(NULL AS SIGNED)"}, Rows: [][]string{{"1", "2"}, {"3", "4"}}}
	empty := PulledTable{Columns: []string{"id"}, Nulls: []string{"CAST(NULL AS SIGNED)"}}
	tests := []struct {
		name   string
		sql    string
		subs   []string
		kinds  []PullKind
		tables map[int]PulledTable
		want   string
	}{
		{
			// The ORM's count of a grouped query's rows.
			"derived table",
			"SELECT COUNT(*) AS aggregate FROM (SELECT user_id, COUNT(*) AS n FROM posts GROUP BY user_id) AS t",
			[]string{"SELECT `user_id`,COUNT(1) AS `n` FROM `posts` GROUP BY `user_id`"},
			[]PullKind{PullTable},
			map[int]PulledTable{0: one},
			"SELECT COUNT(1) AS `aggregate` FROM (SELECT 1 AS `user_id`, 2 AS `n` UNION ALL SELECT 3, 4) AS `t`",
		},
		{
			// Derived tables inside joins; one left as written (not
			// given), the subquery of the WHERE after them.
			"derived tables in joins",
			"SELECT u.name FROM users u JOIN (SELECT id FROM posts) p ON p.id = u.id LEFT JOIN (SELECT 1 AS x) k ON 1 WHERE u.id IN (SELECT id FROM tags)",
			[]string{"SELECT `id` FROM `posts`", "SELECT 1 AS `x`", "SELECT `id` FROM `tags`"},
			[]PullKind{PullTable, PullTable, PullIn},
			map[int]PulledTable{0: empty},
			"SELECT `u`.`name` FROM (`users` AS `u` JOIN (SELECT CAST(NULL AS SIGNED) AS `id` FROM DUAL WHERE 0) AS `p` ON `p`.`id`=`u`.`id`) LEFT JOIN (SELECT 1 AS `x`) AS `k` ON 1 WHERE `u`.`id` IN (9)",
		},
		{
			// An ORDER BY without LIMIT is dropped, as MariaDB drops it.
			"ORDER BY in a derived table",
			"SELECT COUNT(*) FROM (SELECT a FROM posts ORDER BY a) t JOIN (SELECT b FROM tags ORDER BY b LIMIT 2) u ON 1",
			[]string{"SELECT `a` FROM `posts`", "SELECT `b` FROM `tags` ORDER BY `b` LIMIT 2"},
			[]PullKind{PullTable, PullTable},
			map[int]PulledTable{},
			"SELECT COUNT(1) AS `COUNT(*)` FROM (SELECT `a` FROM `posts` ORDER BY `a`) AS `t` JOIN (SELECT `b` FROM `tags` ORDER BY `b` LIMIT 2) AS `u` ON 1",
		},
		{
			"CTE",
			"WITH c AS (SELECT user_id, COUNT(*) AS n FROM posts GROUP BY user_id) SELECT MAX(n) FROM c",
			[]string{"SELECT `user_id`,COUNT(1) AS `n` FROM `posts` GROUP BY `user_id`"},
			[]PullKind{PullTable},
			map[int]PulledTable{0: one},
			"WITH `c` AS (SELECT 1 AS `user_id`, 2 AS `n` UNION ALL SELECT 3, 4) SELECT MAX(`n`) AS `MAX(n)` FROM `c`",
		},
		{
			// A CTE that reads one before it runs with it: alone, its
			// name would be a table's.
			"a CTE over an earlier CTE",
			"WITH a AS (SELECT 1 AS k), b AS (SELECT k FROM a JOIN posts p ON p.id = a.k) SELECT * FROM b",
			[]string{"SELECT 1 AS `k`", "WITH `a` AS (SELECT 1 AS `k`) SELECT `k` FROM `a` JOIN `posts` AS `p` ON `p`.`id`=`a`.`k`"},
			[]PullKind{PullTable, PullTable},
			map[int]PulledTable{1: one},
			"WITH `a` AS (SELECT 1 AS `k`), `b` AS (SELECT 1 AS `user_id`, 2 AS `n` UNION ALL SELECT 3, 4) SELECT * FROM `b`",
		},
		{
			// Each branch runs alone; the server combines them, with the
			// UNION's ORDER BY and LIMIT (not the last branch's). A
			// branch's derived table numbers its columns (a branch may
			// name two alike) and the branch names them.
			"UNION",
			"SELECT user_id, id FROM posts WHERE id < 5 UNION ALL (SELECT 7, 8) UNION SELECT user_id, id FROM posts WHERE id > 9 ORDER BY 1 LIMIT 3",
			[]string{"SELECT `user_id`,`id` FROM `posts` WHERE `id`<5", "SELECT 7,8", "SELECT `user_id`,`id` FROM `posts` WHERE `id`>9"},
			[]PullKind{PullTable, PullTable, PullTable},
			map[int]PulledTable{0: one, 2: empty},
			"SELECT `_1` AS `user_id`,`_2` AS `n` FROM (SELECT 1 AS `_1`, 2 AS `_2` UNION ALL SELECT 3, 4) AS `_strata_union_0` UNION ALL (SELECT 7,8) UNION SELECT `_1` AS `id` FROM (SELECT CAST(NULL AS SIGNED) AS `_1` FROM DUAL WHERE 0) AS `_strata_union_2` ORDER BY 1 LIMIT 3",
		},
		{
			// Other subqueries in expressions: the server compares with
			// the rows, in numbered columns (two may share a name).
			"ANY, ALL, rows",
			"SELECT a FROM posts WHERE a > ANY (SELECT b FROM t) AND (a, b) IN (SELECT c, d FROM u) AND a IN (SELECT * FROM v) AND (a, b) = (SELECT 1, 2)",
			[]string{"SELECT `b` FROM `t`", "SELECT `c`,`d` FROM `u`", "SELECT * FROM `v`", "SELECT 1,2"},
			[]PullKind{PullRows, PullRows, PullRows, PullRows},
			map[int]PulledTable{0: empty, 1: one},
			"SELECT `a` FROM `posts` WHERE `a`>ANY (SELECT `_1` AS `id` FROM (SELECT CAST(NULL AS SIGNED) AS `_1` FROM DUAL WHERE 0) AS `_strata_sub_0`) AND ROW(`a`,`b`) IN (SELECT `_1` AS `user_id`, `_2` AS `n` FROM (SELECT 1 AS `_1`, 2 AS `_2` UNION ALL SELECT 3, 4) AS `_strata_sub_1`) AND `a` IN (SELECT * FROM `v`) AND ROW(`a`,`b`)=(SELECT 1,2)",
		},
	}
	for _, tt := range tests {
		p, err := Mode{}.PullOut(tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(p.Subqueries, tt.subs) || !reflect.DeepEqual(p.Kinds, tt.kinds) {
			t.Errorf("%s: Subqueries = %q %v, want %q %v", tt.name, p.Subqueries, p.Kinds, tt.subs, tt.kinds)
		}
		values := make([][]string, len(p.Subqueries))
		for i, k := range p.Kinds {
			if k == PullIn {
				values[i] = []string{"9"}
			}
		}
		for i, table := range tt.tables {
			p.SetTable(i, table)
		}
		if got, err := p.Render(values); err != nil || got != tt.want {
			t.Errorf("%s:\nRender = %s (%v)\nwant     %s", tt.name, got, err, tt.want)
		}
	}
	// SELECT COUNT(*) FROM (...) t needs only the number of rows: the
	// count replaces the statement's table, a BIGINT as COUNT(*) is.
	p, err := Mode{}.PullOut("SELECT COUNT(*) AS aggregate FROM (SELECT user_id FROM posts GROUP BY user_id) AS t")
	if err != nil || !p.CountsRowsOf(0) {
		t.Fatalf("count of a derived table: %v, CountsRowsOf = %v", err, err == nil && p.CountsRowsOf(0))
	}
	p.SetTable(0, PulledTable{Counted: true, Count: 12345})
	if got, err := p.Render(nil); err != nil || got != "SELECT CAST(X'"+hexDigits("00000000000000012345")+"' AS SIGNED) AS `aggregate`" {
		t.Errorf("counted Render = %s, %v", got, err)
	}
	for _, sql := range []string{
		"SELECT COUNT(*) FROM (SELECT id FROM posts) t WHERE id > 3",
		"SELECT COUNT(id) FROM (SELECT id FROM posts) t",
		"SELECT COUNT(DISTINCT id) FROM (SELECT id FROM posts) t",
		"SELECT COUNT(*), 1 FROM (SELECT id FROM posts) t",
		"SELECT COUNT(*) FROM (SELECT id FROM posts) t LIMIT 0",
		"SELECT COUNT(*) FROM (SELECT id FROM posts) t JOIN u",
		"SELECT COUNT(*) FROM (SELECT id FROM posts) t WHERE 1 IN (SELECT a FROM u)",
	} {
		if p, err := (Mode{}).PullOut(sql); err != nil || p.CountsRowsOf(0) {
			t.Errorf("%s: CountsRowsOf = true (%v), want false", sql, err)
		}
	}
	// A recursive CTE reads itself: it cannot run alone, and Strata runs
	// its rounds instead (TestRecursiveCTESplit).
	if p, err := (Mode{}).PullOut("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r"); err != nil || !reflect.DeepEqual(p.Kinds, []PullKind{PullRecursive}) {
		t.Errorf("recursive CTE: %v, want one PullRecursive", err)
	}
}

// An UPDATE's SET values and WHERE and a DELETE's WHERE have their
// subqueries run first too, so the write routes by their values.
func TestPullOutOfWrites(t *testing.T) {
	tests := []struct {
		sql    string
		subs   []string
		values [][]string
		want   string
	}{
		{
			"UPDATE posts SET score = (SELECT MAX(votes) FROM t), title = 'x' WHERE id IN (SELECT post_id FROM u WHERE w > 3)",
			[]string{"SELECT MAX(`votes`) FROM `t`", "SELECT `post_id` FROM `u` WHERE `w`>3"},
			[][]string{{"12"}, {"4", "5"}},
			"UPDATE `posts` SET `score`=(12), `title`='x' WHERE `id` IN (4,5)",
		},
		{
			"DELETE FROM posts WHERE id IN (SELECT post_id FROM u) AND NOT EXISTS (SELECT 1 FROM v)",
			[]string{"SELECT `post_id` FROM `u`", "SELECT 1 FROM `v`"},
			[][]string{nil, nil},
			"DELETE FROM `posts` WHERE 0 AND 1",
		},
		{
			// A multi-table write's ON, before SET and WHERE.
			"UPDATE posts p JOIN likes l ON l.post_id = p.id AND l.user_id IN (SELECT id FROM users WHERE karma = 1) SET p.score = (SELECT 2 FROM t)",
			[]string{"SELECT `id` FROM `users` WHERE `karma`=1", "SELECT 2 FROM `t`"},
			[][]string{{"8"}, {"2"}},
			"UPDATE `posts` AS `p` JOIN `likes` AS `l` ON `l`.`post_id`=`p`.`id` AND `l`.`user_id` IN (8) SET `p`.`score`=(2)",
		},
		{
			"DELETE l FROM likes l JOIN posts p ON p.id = l.post_id AND p.user_id IN (SELECT id FROM users) WHERE l.w > 1",
			[]string{"SELECT `id` FROM `users`"},
			[][]string{{"3", "4"}},
			"DELETE `l` FROM `likes` AS `l` JOIN `posts` AS `p` ON `p`.`id`=`l`.`post_id` AND `p`.`user_id` IN (3,4) WHERE `l`.`w`>1",
		},
	}
	for _, tt := range tests {
		p, err := Mode{}.PullOut(tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if !reflect.DeepEqual(p.Subqueries, tt.subs) {
			t.Errorf("%s: Subqueries = %q, want %q", tt.sql, p.Subqueries, tt.subs)
		}
		if got, err := p.Render(tt.values); err != nil || got != tt.want {
			t.Errorf("%s:\nRender = %s (%v)\nwant     %s", tt.sql, got, err, tt.want)
		}
	}
	// A multi-table UPDATE or DELETE joined with a derived table: its
	// rows first, then the subqueries of SET and WHERE.
	for _, tc := range []struct{ sql, want string }{
		{"UPDATE posts p JOIN (SELECT post_id, COUNT(*) AS n FROM likes GROUP BY post_id) l ON l.post_id = p.id SET p.likes = l.n WHERE p.id IN (SELECT post_id FROM u)",
			"UPDATE `posts` AS `p` JOIN (SELECT 1 AS `user_id`, 2 AS `n` UNION ALL SELECT 3, 4) AS `l` ON `l`.`post_id`=`p`.`id` SET `p`.`likes`=`l`.`n` WHERE `p`.`id` IN (7)"},
		{"DELETE p FROM posts p JOIN (SELECT post_id, COUNT(*) AS n FROM likes GROUP BY post_id) l ON l.post_id = p.id WHERE p.id IN (SELECT post_id FROM u)",
			"DELETE `p` FROM `posts` AS `p` JOIN (SELECT 1 AS `user_id`, 2 AS `n` UNION ALL SELECT 3, 4) AS `l` ON `l`.`post_id`=`p`.`id` WHERE `p`.`id` IN (7)"},
	} {
		p, err := Mode{}.PullOut(tc.sql)
		if err != nil || !reflect.DeepEqual(p.Kinds, []PullKind{PullTable, PullIn}) || p.Subqueries[0] != "SELECT `post_id`,COUNT(1) AS `n` FROM `likes` GROUP BY `post_id`" {
			t.Fatalf("%s: %+v, %v", tc.sql, p, err)
		}
		p.SetTable(0, PulledTable{Columns: []string{"user_id", "n"}, Rows: [][]string{{"1", "2"}, {"3", "4"}}})
		if got, err := p.Render([][]string{nil, {"7"}}); err != nil || got != tc.want {
			t.Errorf("%s:\nRender = %s (%v)\nwant     %s", tc.sql, got, err, tc.want)
		}
	}
	// INSERT ... SELECT: the rows become VALUES; none is nothing to do.
	p, err := Mode{}.PullOut("INSERT INTO posts (id, title) SELECT id, title FROM drafts WHERE ok ORDER BY id ON DUPLICATE KEY UPDATE title = VALUES(title)")
	if err != nil || !reflect.DeepEqual(p.Subqueries, []string{"SELECT `id`,`title` FROM `drafts` WHERE `ok` ORDER BY `id`"}) || p.Kinds[0] != PullInsert {
		t.Fatalf("INSERT ... SELECT: %+v, %v", p, err)
	}
	p.SetTable(0, PulledTable{Rows: [][]string{{"1", "'a'"}, {"2", "NULL"}}})
	if got, err := p.Render(nil); err != nil || got != "INSERT INTO `posts` (`id`,`title`) VALUES (1,'a'),(2,NULL) ON DUPLICATE KEY UPDATE `title`=VALUES(`title`)" {
		t.Errorf("INSERT ... SELECT Render = %s, %v", got, err)
	}
	// ON DUPLICATE KEY UPDATE reading the SELECT's columns: the one it
	// inserts as it is becomes the VALUES of its column; the target's
	// own columns stay; one computed from is refused.
	p, err = Mode{}.PullOut("INSERT INTO posts (id, title, n) SELECT d.id, d.title, d.n + 1 FROM drafts d JOIN x ON x.id = d.id ON DUPLICATE KEY UPDATE title = CONCAT(d.title, posts.title), n = posts.n + 1")
	if err != nil {
		t.Fatal(err)
	}
	p.SetTable(0, PulledTable{Rows: [][]string{{"1", "'a'", "2"}}})
	if got, err := p.Render(nil); err != nil || got != "INSERT INTO `posts` (`id`,`title`,`n`) VALUES (1,'a',2) ON DUPLICATE KEY UPDATE `title`=CONCAT(VALUES(`title`), `posts`.`title`),`n`=`posts`.`n`+1" {
		t.Errorf("ON DUPLICATE KEY UPDATE from the SELECT's columns: Render = %s, %v", got, err)
	}
	p, _ = Mode{}.PullOut("INSERT INTO posts (id, n) SELECT d.id, d.n + 1 FROM drafts d ON DUPLICATE KEY UPDATE n = d.n")
	p.SetTable(0, PulledTable{Rows: [][]string{{"1", "2"}}})
	var unsupported *UnsupportedError
	if _, err := p.Render(nil); !errors.As(err, &unsupported) {
		t.Errorf("ON DUPLICATE KEY UPDATE from a column the SELECT computes from: %v, want UnsupportedError", err)
	}
	p, _ = Mode{}.PullOut("INSERT INTO posts SELECT * FROM drafts")
	p.SetTable(0, PulledTable{})
	if _, err := p.Render(nil); !errors.Is(err, ErrNothingToInsert) {
		t.Errorf("INSERT ... SELECT of no rows: %v, want ErrNothingToInsert", err)
	}
	if _, err := (Mode{}).PullOut("DELETE FROM posts WHERE id = 3"); !errors.Is(err, ErrNoPullout) {
		t.Errorf("a DELETE without subqueries: err = %v, want ErrNoPullout", err)
	}
}

func hexDigits(s string) string { return fmt.Sprintf("%x", s) }

// A correlated subquery stays in the statement with its own subqueries'
// values in place (Rewrite); a derived table cannot be rewritten so.
func TestRewriteACorrelatedSubquery(t *testing.T) {
	p, err := Mode{}.PullOut("SELECT e.id, (SELECT COUNT(*) FROM likes l WHERE l.entry_id = e.id AND l.user_id IN (SELECT id FROM users WHERE karma = 9)) AS n FROM (SELECT id FROM entries) e WHERE EXISTS (SELECT 1 FROM tags WHERE tags.e = e.id)")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Subqueries) != 3 || p.Kinds[0] != PullTable {
		t.Fatalf("Subqueries %q, kinds %v: want the derived table and two subqueries", p.Subqueries, p.Kinds)
	}
	if err := p.Rewrite(0, "SELECT 1"); err == nil {
		t.Error("Rewrite of a derived table: no error")
	}
	p.SetTable(0, PulledTable{Columns: []string{"id"}, Nulls: []string{"NULL"}, Rows: [][]string{{"5"}}})
	if err := p.Rewrite(1, "SELECT COUNT(1) FROM `likes` AS `l` WHERE `l`.`entry_id`=`e`.`id` AND `l`.`user_id` IN (3,4)"); err != nil {
		t.Fatal(err)
	}
	p.Keep(2)
	got, err := p.Render(nil)
	want := "SELECT `e`.`id`,(SELECT COUNT(1) FROM `likes` AS `l` WHERE `l`.`entry_id`=`e`.`id` AND `l`.`user_id` IN (3,4)) AS `n` FROM (SELECT 5 AS `id`) AS `e` WHERE EXISTS (SELECT 1 FROM `tags` WHERE `tags`.`e`=`e`.`id`)"
	if err != nil || got != want {
		t.Errorf("Render = %s (%v)\nwant     %s", got, err, want)
	}
}

func TestNamesOuterTable(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT 1 FROM likes l WHERE l.entry_id = e.id":                               true,
		"SELECT 1 FROM likes WHERE likes.entry_id = entries.id":                       true,
		"SELECT 1 FROM likes l WHERE l.entry_id = 5":                                  false,
		"SELECT 1 FROM likes WHERE likes.entry_id IN (SELECT u.id FROM users u)":      false,
		"SELECT 1 FROM likes l WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = x.a)": true,
		"SELECT 1 FROM likes WHERE entry_id = id":                                     false, // unqualified: only running it tells
	} {
		if got := (Mode{}).NamesOuterTable(sql); got != want {
			t.Errorf("NamesOuterTable(%s) = %v, want %v", sql, got, want)
		}
	}
}

// An INSERT ... SELECT's ON DUPLICATE KEY UPDATE names columns of the
// inserted table and of the SELECT's tables alike, as on one server: a
// name two of them have is error 1052 (the statement once ran through
// Strata, reading n as the inserted table's, where MariaDB refuses it),
// and a bare name only the SELECT's table has is that table's column.
func TestUpsertColumnNamesResolveAsOneServer(t *testing.T) {
	columns := func(table string) map[string]bool {
		return map[string]map[string]bool{
			"posts":  {"id": true, "title": true, "n": true},
			"drafts": {"id": true, "title": true, "weight": true},
		}[table]
	}
	for _, tc := range []struct {
		sql      string
		columns  func(string) map[string]bool
		want     string // the rendered statement, or the error
		wantCode uint16 // a ServerError's code; 0: no ServerError
	}{
		{"INSERT INTO posts (id, n) SELECT id, n FROM posts WHERE id < 3 ON DUPLICATE KEY UPDATE n = n + 1", columns,
			"Column 'n' in UPDATE is ambiguous", ErrCodeNonUniq},
		{"INSERT INTO posts (id, n) SELECT id, n FROM posts WHERE id < 3 ON DUPLICATE KEY UPDATE n = posts.n + 1", columns,
			"Column 'posts.n' in UPDATE is ambiguous", ErrCodeNonUniq},
		// Not knowing the columns, a qualified self-reference is still one.
		{"INSERT INTO posts (id, n) SELECT id, n FROM posts WHERE id < 3 ON DUPLICATE KEY UPDATE n = posts.n + 1", nil,
			"Column 'posts.n' in UPDATE is ambiguous", ErrCodeNonUniq},
		{"INSERT INTO posts (id, title) SELECT d.id, d.title FROM drafts d ON DUPLICATE KEY UPDATE title = title", columns,
			"Column 'title' in UPDATE is ambiguous", ErrCodeNonUniq},
		{"INSERT INTO posts (id, title) SELECT id, title FROM (SELECT id, title FROM drafts) AS d ON DUPLICATE KEY UPDATE title = title", columns,
			"Column 'title' in UPDATE is ambiguous", ErrCodeNonUniq},
		// An alias of the SELECT's own table leaves posts.n the inserted row's.
		{"INSERT INTO posts (id, n) SELECT s.id, s.n FROM posts s ON DUPLICATE KEY UPDATE n = posts.n + s.n", columns,
			"INSERT INTO `posts` (`id`,`n`) VALUES (1,2) ON DUPLICATE KEY UPDATE `n`=`posts`.`n`+VALUES(`n`)", 0},
		// A bare name only the SELECT's table has is its column.
		{"INSERT INTO posts (id, n) SELECT id, weight FROM drafts ON DUPLICATE KEY UPDATE n = weight", columns,
			"INSERT INTO `posts` (`id`,`n`) VALUES (1,2) ON DUPLICATE KEY UPDATE `n`=VALUES(`n`)", 0},
		{"INSERT INTO posts (id, n) SELECT id, weight + 1 FROM drafts ON DUPLICATE KEY UPDATE n = weight", columns,
			"reads drafts.weight, which the SELECT does not insert as it is", 0},
		// Only the inserted table has it; VALUES() reads the row's value.
		{"INSERT INTO posts (id, n) SELECT id, weight FROM drafts ON DUPLICATE KEY UPDATE n = n + VALUES(n)", columns,
			"INSERT INTO `posts` (`id`,`n`) VALUES (1,2) ON DUPLICATE KEY UPDATE `n`=`n`+VALUES(`n`)", 0},
		// A bare name inside a subquery is its own tables' first.
		{"INSERT INTO posts (id, n) SELECT id, weight FROM drafts ON DUPLICATE KEY UPDATE n = (SELECT MAX(title) FROM drafts)", columns,
			"INSERT INTO `posts` (`id`,`n`) VALUES (1,2) ON DUPLICATE KEY UPDATE `n`=(SELECT MAX(`title`) FROM `drafts`)", 0},
		// Columns not known: a bare name is the inserted table's, as before.
		{"INSERT INTO posts (id, title) SELECT id, title FROM drafts ON DUPLICATE KEY UPDATE title = title", nil,
			"INSERT INTO `posts` (`id`,`title`) VALUES (1,2) ON DUPLICATE KEY UPDATE `title`=`title`", 0},
	} {
		p, err := Mode{}.PullOut(tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		p.Columns = tc.columns
		p.SetTable(0, PulledTable{Rows: [][]string{{"1", "2"}}})
		got, err := p.Render(nil)
		var serr *ServerError
		switch {
		case tc.wantCode != 0:
			if !errors.As(err, &serr) || serr.Code != tc.wantCode || serr.SQLState != "23000" || serr.Msg != tc.want {
				t.Errorf("%s: %q, %v; want error %d %q", tc.sql, got, err, tc.wantCode, tc.want)
			}
		case err != nil:
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v; want %q", tc.sql, err, tc.want)
			}
		case got != tc.want:
			t.Errorf("%s:\nRender = %s\nwant     %s", tc.sql, got, tc.want)
		}
	}
}

// MariaDB does not run a subquery with a LIMIT of its own under IN, ANY,
// ALL or SOME; PullOut gives its error rather than running it first. A
// LIMIT inside a derived table the subquery reads is run.
func TestPullOutRefusesALimitUnderIn(t *testing.T) {
	tests := []struct {
		sql     string
		refused bool
	}{
		{"SELECT a FROM posts WHERE a IN (SELECT b FROM t LIMIT 2)", true},
		{"SELECT a FROM posts WHERE a NOT IN (SELECT b FROM t ORDER BY b LIMIT 1 OFFSET 2)", true},
		{"SELECT a FROM posts WHERE a IN ((SELECT b FROM t LIMIT 2))", true},
		{"SELECT a FROM posts WHERE (a, c) IN (SELECT b, d FROM t LIMIT 2)", true},
		{"SELECT a FROM posts WHERE a > ANY (SELECT b FROM t LIMIT 2)", true},
		{"SELECT a FROM posts WHERE a <> ALL (SELECT b FROM t UNION SELECT 1 LIMIT 2)", true},
		{"DELETE FROM posts WHERE a IN (SELECT b FROM t LIMIT 1)", true},
		{"UPDATE posts SET c = 1 WHERE a IN (SELECT b FROM t LIMIT 1)", true},
		{"SELECT a FROM posts p JOIN u ON u.x = p.a AND u.y IN (SELECT b FROM t LIMIT 3)", true},
		{"SELECT a FROM posts WHERE a IN (SELECT * FROM (SELECT b FROM t LIMIT 2) d)", false},
		{"SELECT a FROM posts WHERE a = (SELECT b FROM t LIMIT 1)", false},
		{"SELECT a FROM posts WHERE EXISTS (SELECT b FROM t LIMIT 1)", false},
	}
	for _, tt := range tests {
		_, err := Mode{}.PullOut(tt.sql)
		if refused := errors.Is(err, ErrLimitInSubquery); refused != tt.refused {
			t.Errorf("%s: err %v, refused as MariaDB does: %v", tt.sql, err, tt.refused)
		}
	}
}
