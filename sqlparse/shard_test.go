package sqlparse

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testKeys: posts and orders are sharded by user_id, users by id, accounts
// by id; everything else is not sharded.
var testKeys = map[string]string{"posts": "user_id", "orders": "user_id", "users": "id", "accounts": "id"}

func testKeyOf(t TableRef) (string, bool) {
	k, ok := testKeys[t.Name]
	return k, ok
}

func mustAnalyze(t *testing.T, sql string) *ShardStmt {
	t.Helper()
	s, err := AnalyzeShard(sql, testKeyOf)
	if err != nil {
		t.Fatalf("AnalyzeShard(%q): %v", sql, err)
	}
	return s
}

func lit(s string) Operand { return Operand{Literal: s} }
func par(i int) Operand    { return Operand{Param: i} }

func TestShardFilters(t *testing.T) {
	incl := func(o Operand) *RangeBound { return &RangeBound{Value: o, Inclusive: true} }
	excl := func(o Operand) *RangeBound { return &RangeBound{Value: o} }
	tests := []struct {
		sql  string
		use  int
		want KeyFilter
	}{
		{"SELECT * FROM posts WHERE user_id = 5", 0, KeyFilter{In: []Operand{lit("5")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE 5 = user_id", 0, KeyFilter{In: []Operand{lit("5")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = -5", 0, KeyFilter{In: []Operand{lit("-5")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = 'abc'", 0, KeyFilter{In: []Operand{lit("'abc'")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = DATE '2024-06-01'", 0, KeyFilter{In: []Operand{lit("DATE '2024-06-01'")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = TIMESTAMP '2024-06-01 10:00:00'", 0, KeyFilter{In: []Operand{lit("TIMESTAMP '2024-06-01 10:00:00'")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = 0x41", 0, KeyFilter{In: []Operand{lit("0x41")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = NULL", 0, KeyFilter{In: []Operand{lit("NULL")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = TRUE", 0, KeyFilter{In: []Operand{lit("TRUE")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = ?", 0, KeyFilter{In: []Operand{par(1)}, InIndex: -1}},
		{"SELECT * FROM posts WHERE a = ? AND user_id = ?", 0, KeyFilter{In: []Operand{par(2)}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = NOW()", 0, KeyFilter{InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = 1 + 1", 0, KeyFilter{InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id IN (1, 2, 3)", 0, KeyFilter{In: []Operand{lit("1"), lit("2"), lit("3")}, InIndex: 0}},
		{"SELECT * FROM posts WHERE a IN (7) AND user_id IN (1, ?)", 0, KeyFilter{In: []Operand{lit("1"), par(1)}, InIndex: 1}},
		{"SELECT * FROM posts WHERE user_id IN (1, a)", 0, KeyFilter{InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id NOT IN (1, 2)", 0, KeyFilter{InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id IN (1, 2, 3) AND user_id IN (2, 3, 4)", 0, KeyFilter{In: []Operand{lit("2"), lit("3")}, InIndex: 0}},
		{"SELECT * FROM posts WHERE user_id = 2 AND user_id IN (1, 2)", 0, KeyFilter{In: []Operand{lit("2")}, InIndex: 0}},
		{"SELECT * FROM posts WHERE user_id IN (1, 2) AND user_id = ?", 0, KeyFilter{In: []Operand{lit("1"), lit("2")}, InIndex: 0}},
		{"SELECT * FROM posts WHERE user_id = 1 AND user_id = 2", 0, KeyFilter{In: []Operand{lit("1")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id BETWEEN 10 AND 20", 0, KeyFilter{InIndex: -1, Lo: incl(lit("10")), Hi: incl(lit("20"))}},
		{"SELECT * FROM posts WHERE user_id > 10 AND user_id <= ?", 0, KeyFilter{InIndex: -1, Lo: excl(lit("10")), Hi: incl(par(1))}},
		{"SELECT * FROM posts WHERE 10 < user_id AND 20 >= user_id", 0, KeyFilter{InIndex: -1, Lo: excl(lit("10")), Hi: incl(lit("20"))}},
		{"SELECT * FROM posts WHERE user_id >= 10 AND user_id < 20", 0, KeyFilter{InIndex: -1, Lo: incl(lit("10")), Hi: excl(lit("20"))}},
		{"SELECT * FROM posts WHERE user_id IS NULL", 0, KeyFilter{InIndex: -1, Null: true}},
		{"SELECT * FROM posts WHERE user_id IS NOT NULL", 0, KeyFilter{InIndex: -1}},
		{"SELECT * FROM posts WHERE user_id = 1 OR user_id = 2", 0, KeyFilter{InIndex: -1}},
		{"SELECT * FROM posts WHERE (user_id = 1) AND (a = 1 OR b = 2)", 0, KeyFilter{In: []Operand{lit("1")}, InIndex: -1}},
		{"SELECT * FROM posts p WHERE p.user_id = 3", 0, KeyFilter{In: []Operand{lit("3")}, InIndex: -1}},
		{"SELECT * FROM posts WHERE posts.user_id = 3", 0, KeyFilter{In: []Operand{lit("3")}, InIndex: -1}},
		{"SELECT * FROM posts p WHERE x.user_id = 3", 0, KeyFilter{InIndex: -1}},
		// Qualified refs pick their table; unqualified refs apply to every
		// sharded use keyed by that name.
		{"SELECT * FROM posts p JOIN orders o ON o.a = p.a WHERE o.user_id = 3", 0, KeyFilter{InIndex: -1}},
		{"SELECT * FROM posts p JOIN orders o ON o.a = p.a WHERE o.user_id = 3", 1, KeyFilter{In: []Operand{lit("3")}, InIndex: -1}},
		{"SELECT * FROM posts p JOIN orders o ON o.a = p.a WHERE user_id = 3", 0, KeyFilter{In: []Operand{lit("3")}, InIndex: -1}},
		{"SELECT * FROM posts p JOIN orders o ON o.a = p.a WHERE user_id = 3", 1, KeyFilter{In: []Operand{lit("3")}, InIndex: -1}},
		// Inner-join ON conditions count; outer-join ON conditions do not.
		{"SELECT * FROM users u JOIN posts p ON p.user_id = 4", 1, KeyFilter{In: []Operand{lit("4")}, InIndex: -1}},
		{"SELECT * FROM users u LEFT JOIN tags t ON u.id = 4 AND t.x = u.id", 0, KeyFilter{InIndex: -1}},
		// Subquery tables are not at the top level.
		{"SELECT * FROM posts WHERE user_id = 1 AND a IN (SELECT a FROM tags WHERE user_id = 9)", 0, KeyFilter{In: []Operand{lit("1")}, InIndex: -1}},
		{"UPDATE posts SET a = 1 WHERE user_id = 7", 0, KeyFilter{In: []Operand{lit("7")}, InIndex: -1}},
		{"DELETE FROM posts WHERE user_id IN (7, 8)", 0, KeyFilter{In: []Operand{lit("7"), lit("8")}, InIndex: 0}},
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		if got := s.Uses[tt.use].Filter; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s\nuse %d filter = %+v\nwant %+v", tt.sql, tt.use, fmtFilter(got), fmtFilter(tt.want))
		}
	}
}

func fmtFilter(f KeyFilter) string {
	var b strings.Builder
	b.WriteString("{In:[")
	for _, o := range f.In {
		b.WriteString(" " + fmtOp(o))
	}
	b.WriteString(" ] InIndex:" + itoa(f.InIndex))
	if f.Lo != nil {
		b.WriteString(" Lo:" + fmtOp(f.Lo.Value))
		if f.Lo.Inclusive {
			b.WriteString("=")
		}
	}
	if f.Hi != nil {
		b.WriteString(" Hi:" + fmtOp(f.Hi.Value))
		if f.Hi.Inclusive {
			b.WriteString("=")
		}
	}
	if f.Null {
		b.WriteString(" Null")
	}
	return b.String() + "}"
}

func fmtOp(o Operand) string {
	switch {
	case o.Param > 0:
		return "?" + itoa(o.Param)
	case o.Expr:
		return "<expr>"
	}
	return o.Literal
}

func itoa(i int) string {
	if i < 0 {
		return "-" + itoa(-i)
	}
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestShardUsesAndJoins(t *testing.T) {
	tests := []struct {
		sql      string
		uses     []TableUse
		keyJoins [][2]int
	}{
		{
			"SELECT * FROM Posts AS P JOIN db.Orders o ON P.user_id = o.user_id JOIN tags ON tags.id = p.id",
			[]TableUse{{Ref: TableRef{Name: "posts"}, Alias: "p"}, {Ref: TableRef{Schema: "db", Name: "orders"}, Alias: "o"}, {Ref: TableRef{Name: "tags"}}},
			[][2]int{{0, 1}},
		},
		{
			"SELECT * FROM posts p, orders o WHERE o.user_id = p.user_id AND p.user_id = 3",
			[]TableUse{{Ref: TableRef{Name: "posts"}, Alias: "p"}, {Ref: TableRef{Name: "orders"}, Alias: "o"}},
			[][2]int{{0, 1}},
		},
		{
			"SELECT * FROM posts JOIN orders USING (user_id)",
			[]TableUse{{Ref: TableRef{Name: "posts"}}, {Ref: TableRef{Name: "orders"}}},
			[][2]int{{0, 1}},
		},
		{
			"SELECT * FROM users u LEFT JOIN posts p ON p.user_id = u.id",
			[]TableUse{{Ref: TableRef{Name: "users"}, Alias: "u"}, {Ref: TableRef{Name: "posts"}, Alias: "p"}},
			[][2]int{{0, 1}},
		},
		{
			"SELECT * FROM posts p JOIN orders o ON p.a = o.user_id",
			[]TableUse{{Ref: TableRef{Name: "posts"}, Alias: "p"}, {Ref: TableRef{Name: "orders"}, Alias: "o"}},
			nil,
		},
		{
			"INSERT INTO posts (id, user_id) SELECT id, user_id FROM tags",
			[]TableUse{{Ref: TableRef{Name: "posts"}}, {Ref: TableRef{Name: "tags"}, Nested: true}},
			nil,
		},
		{
			"WITH c AS (SELECT * FROM tags) SELECT * FROM posts JOIN c ON c.id = posts.id",
			[]TableUse{{Ref: TableRef{Name: "tags"}, Nested: true}, {Ref: TableRef{Name: "posts"}}},
			nil,
		},
		{
			"ALTER TABLE posts ADD COLUMN x INT",
			[]TableUse{{Ref: TableRef{Name: "posts"}}},
			nil,
		},
		{
			// A subquery that matches its shard key to the outer row's
			// joins it on the key, as a join would.
			"SELECT p.id, (SELECT COUNT(*) FROM orders o WHERE o.user_id = p.user_id AND o.x > 1) FROM posts p WHERE EXISTS (SELECT 1 FROM orders WHERE p.user_id = user_id)",
			[]TableUse{{Ref: TableRef{Name: "orders"}, Alias: "o", Nested: true}, {Ref: TableRef{Name: "posts"}, Alias: "p"}, {Ref: TableRef{Name: "orders"}, Nested: true}},
			[][2]int{{1, 0}, {1, 2}},
		},
		{
			// Matched on another column, or to the subquery's own table.
			"SELECT p.id, (SELECT COUNT(*) FROM orders o WHERE o.x = p.user_id) FROM posts p WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = o.user_id)",
			[]TableUse{{Ref: TableRef{Name: "orders"}, Alias: "o", Nested: true}, {Ref: TableRef{Name: "posts"}, Alias: "p"}, {Ref: TableRef{Name: "orders"}, Alias: "o", Nested: true}},
			nil,
		},
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		var uses []TableUse
		for _, u := range s.Uses {
			uses = append(uses, TableUse{Ref: u.Ref, Alias: u.Alias, Nested: u.Nested})
		}
		if !reflect.DeepEqual(uses, tt.uses) {
			t.Errorf("%s\nuses = %+v\nwant %+v", tt.sql, uses, tt.uses)
		}
		if !reflect.DeepEqual(s.KeyJoins, tt.keyJoins) {
			t.Errorf("%s\nkey joins = %v, want %v", tt.sql, s.KeyJoins, tt.keyJoins)
		}
	}
}

// TestShardSoleEqualities: the columns a statement of one sharded table
// sets equal to a value, by which Strata may guess the shard of a row of
// a column kept unique across shards.
func TestShardSoleEqualities(t *testing.T) {
	tests := []struct {
		sql  string
		want map[string]Operand
	}{
		{"UPDATE posts SET a = 1 WHERE id = 7", map[string]Operand{"id": lit("7")}},
		{"UPDATE posts SET a = 1 WHERE 7 = ID AND b > 2", map[string]Operand{"id": lit("7")}},
		{"DELETE FROM posts WHERE posts.slug = ? AND user_id = 3", map[string]Operand{"slug": par(1), "user_id": lit("3")}},
		{"SELECT * FROM posts p WHERE p.id = 'x' LIMIT 1 FOR UPDATE", map[string]Operand{"id": lit("'x'")}},
		{"SELECT * FROM posts WHERE id = 7 AND id = 8", map[string]Operand{"id": lit("7")}},
		// Not an equality to one value.
		{"SELECT * FROM posts WHERE id = 7 OR id = 8", nil},
		{"SELECT * FROM posts WHERE id IN (7, 8)", nil},
		{"SELECT * FROM posts WHERE id = a", nil},
		{"SELECT * FROM posts WHERE id = 1 + 1", nil},
		{"SELECT * FROM posts WHERE id > 7", nil},
		{"SELECT * FROM posts WHERE id <=> 7", nil},
		// Another table's column, or another table in the statement.
		{"SELECT * FROM posts WHERE other.id = 7", nil},
		{"SELECT * FROM posts JOIN orders USING (user_id) WHERE posts.id = 7", nil},
		{"SELECT * FROM posts WHERE id = 7 AND user_id IN (SELECT id FROM tags)", nil},
		// Not a sharded table.
		{"UPDATE tags SET a = 1 WHERE id = 7", nil},
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		var got map[string]Operand
		for _, u := range s.Uses {
			if !u.Nested && u.Equal != nil {
				got = u.Equal
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s\nequal = %+v\nwant %+v", tt.sql, got, tt.want)
		}
	}
}

// TestShardSoleInLists: the columns a statement of one sharded table
// lists in an IN list of values, each of which names at most one row of
// a column kept unique across shards.
func TestShardSoleInLists(t *testing.T) {
	tests := []struct {
		sql  string
		want map[string][]Operand
	}{
		{"SELECT * FROM posts WHERE id IN (7, 8)", map[string][]Operand{"id": {lit("7"), lit("8")}}},
		{"SELECT * FROM posts p WHERE p.slug IN (?, 'b') AND user_id IN (1)", map[string][]Operand{"slug": {par(1), lit("'b'")}, "user_id": {lit("1")}}},
		{"DELETE FROM posts WHERE ID IN (1, 2) AND id IN (2)", map[string][]Operand{"id": {lit("1"), lit("2")}}},
		// Not a list of values, not at the top level, or not the only table.
		{"SELECT * FROM posts WHERE id NOT IN (7, 8)", nil},
		{"SELECT * FROM posts WHERE id IN (7, a)", nil},
		{"SELECT * FROM posts WHERE id IN (7, 8) OR a = 1", nil},
		{"SELECT * FROM posts WHERE id IN (SELECT id FROM tags)", nil},
		{"SELECT * FROM posts JOIN orders USING (user_id) WHERE posts.id IN (7, 8)", nil},
		{"SELECT * FROM tags WHERE id IN (7, 8)", nil},
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		var got map[string][]Operand
		for _, u := range s.Uses {
			if !u.Nested && u.In != nil {
				got = u.In
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s\nin = %+v\nwant %+v", tt.sql, got, tt.want)
		}
	}
}

func TestShardUnsupported(t *testing.T) {
	tests := []struct {
		sql  string
		want string // substring of Unsupported; "" for supported
	}{
		{"SELECT * FROM tags WHERE id IN (SELECT id FROM posts)", "sharded table posts is read in a subquery"},
		{"SELECT (SELECT COUNT(*) FROM posts) FROM tags", "posts is read in a subquery"},
		{"SELECT * FROM (SELECT * FROM posts) d", "posts is read in a derived table"},
		{"WITH c AS (SELECT * FROM posts) SELECT * FROM c", "posts is read in a CTE"},
		{"SELECT id FROM posts UNION SELECT id FROM tags", "posts is read in a UNION"},
		{"SELECT * FROM users u LEFT JOIN posts p ON p.a = u.a", "posts is the inner side of an outer join"},
		{"SELECT * FROM tags t LEFT JOIN posts p ON p.user_id = t.user_id", "posts is the inner side of an outer join"},
		{"SELECT * FROM posts p RIGHT JOIN users u ON p.a = u.id", "posts is the inner side of an outer join"},
		{"INSERT INTO posts (id, user_id) SELECT id, user_id FROM tags", "INSERT ... SELECT into sharded table posts"},
		{"INSERT INTO tags (id) SELECT id FROM posts", "posts is read in the SELECT of an INSERT ... SELECT"},
		{"INSERT INTO posts VALUES (1, 2)", "INSERT without a column list into sharded table posts"},
		{"SELECT GROUP_CONCAT(a, b) FROM posts", "GROUP_CONCAT of several expressions cannot be merged"},
		// Expressions over aggregates are evaluated after the merge, from
		// group keys and aggregates only.
		{"SELECT COUNT(*) + a FROM posts", "column `a` inside an expression over aggregates is not in GROUP BY"},
		{"SELECT a, RAND() * COUNT(*) FROM posts GROUP BY a", "RAND() inside an expression over aggregates"},
		{"SELECT (SELECT MAX(x) FROM t) + COUNT(*) FROM posts", "subquery"},
		{"SELECT GROUP_CONCAT(a) + COUNT(*) FROM posts", "GROUP_CONCAT() cannot be merged"},
		{"SELECT a, COUNT(*) FROM posts GROUP BY a WITH ROLLUP", "WITH ROLLUP"},
		{"SELECT *, COUNT(*) FROM posts", "SELECT * with GROUP BY or aggregates"},
		{"SELECT a FROM posts GROUP BY a HAVING UPPER(b) = 'x'", "HAVING"},
		{"SELECT a FROM posts ORDER BY RAND(5)", "random"},
		{"SELECT a FROM posts ORDER BY RAND() * 2", "random"},
		{"SELECT a FROM posts ORDER BY RAND()", ""},
		{"SELECT a, ROW_NUMBER() OVER (ORDER BY a) FROM posts", "window functions (unless every window is PARTITION BY the shard key)"},
		{"SELECT a, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY a), SUM(b) OVER (PARTITION BY a) FROM posts", "window functions"},
		{"SELECT a, RANK() OVER w FROM posts WINDOW w AS (PARTITION BY a)", "window functions"},
		{"SELECT a, COUNT(*), ROW_NUMBER() OVER (PARTITION BY user_id) FROM posts GROUP BY a", "window functions over groups Strata merges"},
		// Supported.
		{"SELECT * FROM tags WHERE id IN (SELECT id FROM labels)", ""},
		{"SELECT * FROM posts WHERE a IN (SELECT a FROM tags)", ""},
		{"SELECT * FROM users u LEFT JOIN posts p ON p.user_id = u.id", ""},
		{"SELECT * FROM posts p LEFT JOIN tags t ON t.a = p.a", ""},
		{"SELECT SQL_CALC_FOUND_ROWS * FROM posts WHERE user_id = 1 FOR UPDATE", ""},
		{"SELECT id FROM tags UNION SELECT id FROM labels", ""},
		{"INSERT INTO tags SELECT * FROM labels", ""},
		{"GROUP_CONCAT", ""},
	}
	for _, tt := range tests {
		if tt.sql == "GROUP_CONCAT" {
			tt.sql = "SELECT GROUP_CONCAT(a) FROM tags"
		}
		s := mustAnalyze(t, tt.sql)
		switch {
		case tt.want == "" && s.Unsupported != "":
			t.Errorf("%s: unexpectedly unsupported: %s", tt.sql, s.Unsupported)
		case tt.want != "" && !strings.Contains(s.Unsupported, tt.want):
			t.Errorf("%s: Unsupported = %q, want it to contain %q", tt.sql, s.Unsupported, tt.want)
		}
	}
}

func TestShardStatements(t *testing.T) {
	s := mustAnalyze(t, "ALTER TABLE posts ADD COLUMN x INT")
	if s.Kind != KindDDL || s.Unsupported != "" || s.Select != nil {
		t.Errorf("DDL: %+v", s)
	}
	s = mustAnalyze(t, "UPDATE posts SET user_id = 3, a = 1 WHERE id = 1")
	if !s.SetsShardKey || s.HasLimit {
		t.Errorf("UPDATE sets key: %+v", s)
	}
	s = mustAnalyze(t, "UPDATE posts p JOIN tags t ON t.id = p.id SET p.a = t.user_id WHERE p.user_id = 1 ORDER BY p.id LIMIT 1")
	if s.SetsShardKey || !s.HasLimit || s.Unsupported != "" {
		t.Errorf("UPDATE not setting key: %+v", s)
	}
	s = mustAnalyze(t, "UPDATE posts p, tags t SET t.user_id = 1")
	if s.SetsShardKey {
		t.Errorf("UPDATE of tags.user_id: SetsShardKey")
	}
	s = mustAnalyze(t, "DELETE FROM posts WHERE user_id = 1 LIMIT 10")
	if !s.HasLimit || s.Kind != KindDelete {
		t.Errorf("DELETE LIMIT: %+v", s)
	}
	s = mustAnalyze(t, "INSERT INTO posts (id, user_id, body) VALUES (1, 2, 'x'), (?, -3, NOW()), (4, ?, DEFAULT) ON DUPLICATE KEY UPDATE user_id = VALUES(user_id) + 1")
	want := &InsertRows{
		Columns: []string{"id", "user_id", "body"},
		KeyCol:  1,
		Rows: [][]Operand{
			{lit("1"), lit("2"), lit("'x'")},
			{par(1), lit("-3"), {Expr: true}},
			{lit("4"), par(2), {Expr: true, Default: true}},
		},
		OnDuplicateSetsKey: true,
	}
	if !reflect.DeepEqual(s.Insert, want) || s.Params != 2 || s.Kind != KindInsert {
		t.Errorf("INSERT rows = %+v, want %+v", s.Insert, want)
	}
	// The key assigned its own value (MySQL's id = LAST_INSERT_ID(id)
	// idiom) or the inserted row's (an ORM's upsert) moves no row; any
	// other value may.
	for sql, sets := range map[string]bool{
		"INSERT INTO posts (id, user_id) VALUES (1, 2) ON DUPLICATE KEY UPDATE user_id = LAST_INSERT_ID(user_id)":       false,
		"INSERT INTO posts (id, user_id) VALUES (1, 2) ON DUPLICATE KEY UPDATE posts.user_id = (posts.user_id), id = 3": false,
		"INSERT INTO posts (id, user_id) VALUES (1, 2) ON DUPLICATE KEY UPDATE user_id = LAST_INSERT_ID(user_id + 1)":   true,
		"INSERT INTO posts (id, user_id) VALUES (1, 2) ON DUPLICATE KEY UPDATE user_id = LAST_INSERT_ID(id)":            true,
		"INSERT INTO posts (id, user_id) VALUES (1, 2) ON DUPLICATE KEY UPDATE user_id = VALUES(user_id)":               false,
		"INSERT INTO posts (id, user_id) VALUES (1, 2) ON DUPLICATE KEY UPDATE user_id = (VALUES(`USER_ID`))":           false,
		"INSERT INTO posts (id, user_id) VALUES (1, 2) ON DUPLICATE KEY UPDATE user_id = VALUES(user_id) + 1":           true,
		"INSERT INTO posts (id, user_id) VALUES (1, 2) ON DUPLICATE KEY UPDATE user_id = VALUES(id)":                    true,
	} {
		if got := mustAnalyze(t, sql).Insert.OnDuplicateSetsKey; got != sets {
			t.Errorf("%s: OnDuplicateSetsKey %v, want %v", sql, got, sets)
		}
	}
	s = mustAnalyze(t, "REPLACE INTO posts SET body = 'b', user_id = 9")
	want = &InsertRows{Columns: []string{"body", "user_id"}, KeyCol: 1, Rows: [][]Operand{{lit("'b'"), lit("9")}}}
	if !reflect.DeepEqual(s.Insert, want) || s.Kind != KindReplace {
		t.Errorf("REPLACE SET rows = %+v, want %+v", s.Insert, want)
	}

	if _, err := AnalyzeShard("SELECT FROM WHERE", testKeyOf); err == nil {
		t.Error("syntax error not reported")
	} else {
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("error %T, want *SyntaxError", err)
		}
	}
	if _, err := AnalyzeShard("SELECT 1; SELECT 2", testKeyOf); !errors.Is(err, ErrMultipleStatements) {
		t.Errorf("two statements: %v", err)
	}
}

func TestShardScatterSelect(t *testing.T) {
	asc := func(c int) Order { return Order{Col: c} }
	desc := func(c int) Order { return Order{Col: c, Desc: true} }
	col := func(c int) *Expr { return &Expr{Op: ExprColumn, Col: c} }
	litE := func(s string) *Expr { return &Expr{Op: ExprLiteral, Literal: s} }
	tests := []struct {
		sql     string
		want    ScatterSelect
		scatter string // the shard query; "" to skip
	}{
		{
			"SELECT id, title FROM posts ORDER BY created DESC, id LIMIT 20, 10",
			ScatterSelect{Visible: 2, Hidden: 1, OrderBy: []Order{desc(2), asc(0)}, MergeOrder: []Order{desc(2), asc(0)}, Limit: 10, Offset: 20},
			"SELECT `id`,`title`,`created` AS `strata_h0` FROM `posts` ORDER BY `created` DESC,`id` LIMIT 30",
		},
		{
			"SELECT id AS i, title FROM posts ORDER BY i, 2 DESC, title COLLATE utf8mb4_bin LIMIT ?, ?",
			ScatterSelect{Visible: 2, OrderBy: []Order{asc(0), desc(1), {Col: 1, Collation: "utf8mb4_bin"}},
				MergeOrder: []Order{asc(0), desc(1), {Col: 1, Collation: "utf8mb4_bin"}}, Limit: 0, LimitParam: 2, OffsetParam: 1},
			"",
		},
		{
			// An alias after a *: its position is not known, and a select
			// list cannot name its own alias, so the hidden column repeats
			// the expression.
			"SELECT *, a + 1 AS x FROM posts ORDER BY x DESC LIMIT 3",
			ScatterSelect{Visible: -1, Hidden: 1, OrderBy: []Order{desc(-1)}, MergeOrder: []Order{desc(-1)}, Limit: 3},
			"SELECT *,`a`+1 AS `x`,`a`+1 AS `strata_h0` FROM `posts` ORDER BY `x` DESC LIMIT 3",
		},
		{
			"SELECT id FROM posts",
			ScatterSelect{Visible: 1, Limit: -1},
			"SELECT `id` FROM `posts`",
		},
		{
			// A random row: each shard sorts by the random value it sends.
			"SELECT id, title FROM posts ORDER BY RAND() LIMIT 2",
			ScatterSelect{Visible: 2, Hidden: 1, OrderBy: []Order{asc(2)}, MergeOrder: []Order{asc(2)}, Limit: 2},
			"SELECT `id`,`title`,RAND() AS `strata_h0` FROM `posts` ORDER BY `strata_h0` LIMIT 2",
		},
		{
			"SELECT id FROM posts ORDER BY NULL LIMIT 3",
			ScatterSelect{Visible: 1, Limit: 3},
			"SELECT `id` FROM `posts` ORDER BY NULL LIMIT 3",
		},
		{
			"SELECT a, COUNT(*), SUM(b), MIN(c), MAX(d), AVG(e) FROM posts GROUP BY a",
			ScatterSelect{Visible: 6, Hidden: 2, Aggregated: true, GroupBy: []Order{asc(0)}, MergeOrder: []Order{asc(0)},
				Aggs:  []Agg{{Col: 1, Func: AggCount}, {Col: 2, Func: AggSum}, {Col: 3, Func: AggMin}, {Col: 4, Func: AggMax}, {Col: 5, Func: AggAvg, CountCol: 6, PrecCol: 7}},
				Limit: -1},
			"SELECT `a`,COUNT(1) AS `COUNT(*)`,SUM(`b`) AS `SUM(b)`,MIN(`c`) AS `MIN(c)`,MAX(`d`) AS `MAX(d)`,SUM(`e`) AS `AVG(e)`,COUNT(`e`) AS `strata_h0`,MAX(@@div_precision_increment) AS `strata_h1` FROM `posts` GROUP BY `a` ORDER BY 1",
		},
		{
			"SELECT COUNT(*) AS n FROM posts WHERE user_id > 3 LIMIT 1",
			ScatterSelect{Visible: 1, Aggregated: true, Aggs: []Agg{{Col: 0, Func: AggCount}}, Limit: 1},
			"SELECT COUNT(1) AS `n` FROM `posts` WHERE `user_id`>3",
		},
		{
			"SELECT COUNT(*) FROM posts GROUP BY b, a ORDER BY a DESC",
			ScatterSelect{Visible: 1, Hidden: 2, Aggregated: true, GroupBy: []Order{asc(1), asc(2)}, MergeOrder: []Order{asc(1), asc(2)},
				Aggs: []Agg{{Col: 0, Func: AggCount}}, OrderBy: []Order{desc(2)}, Limit: -1},
			"SELECT COUNT(1) AS `COUNT(*)`,`b` AS `strata_h0`,`a` AS `strata_h1` FROM `posts` GROUP BY `b`,`a` ORDER BY 2,3",
		},
		{
			"SELECT a, AVG(b) AS av FROM posts GROUP BY 1 HAVING av > 3 AND COUNT(*) >= ? ORDER BY SUM(c) DESC, a LIMIT 5",
			ScatterSelect{Visible: 2, Hidden: 4, Aggregated: true, GroupBy: []Order{asc(0)}, MergeOrder: []Order{asc(0)},
				Aggs: []Agg{{Col: 1, Func: AggAvg, CountCol: 2, PrecCol: 3}, {Col: 4, Func: AggCount}, {Col: 5, Func: AggSum}},
				Having: &Expr{Op: ExprAnd, Args: []*Expr{
					{Op: ExprGT, Args: []*Expr{col(1), litE("3")}},
					{Op: ExprGE, Args: []*Expr{col(4), {Op: ExprParam, Param: 1}}},
				}},
				OrderBy: []Order{desc(5), asc(0)}, Limit: 5},
			"SELECT `a`,SUM(`b`) AS `av`,COUNT(`b`) AS `strata_h0`,MAX(@@div_precision_increment) AS `strata_h1`,COUNT(1) AS `strata_h2`,SUM(`c`) AS `strata_h3` FROM `posts` GROUP BY 1 ORDER BY 1",
		},
		{
			"SELECT a FROM posts GROUP BY a HAVING AVG(b) > -1.5 OR NOT a IS NULL",
			ScatterSelect{Visible: 1, Hidden: 3, Aggregated: true, GroupBy: []Order{asc(0)}, MergeOrder: []Order{asc(0)},
				Aggs: []Agg{{Col: 1, Func: AggAvg, CountCol: 2, PrecCol: 3}},
				Having: &Expr{Op: ExprOr, Args: []*Expr{
					{Op: ExprGT, Args: []*Expr{col(1), litE("-1.5")}},
					{Op: ExprNot, Args: []*Expr{{Op: ExprIsNull, Args: []*Expr{col(0)}}}},
				}},
				Limit: -1},
			"SELECT `a`,SUM(`b`) AS `strata_h0`,COUNT(`b`) AS `strata_h1`,MAX(@@div_precision_increment) AS `strata_h2` FROM `posts` GROUP BY `a` ORDER BY 1",
		},
		{
			"SELECT a, COUNT(DISTINCT b) AS nb, COUNT(*) FROM posts GROUP BY a ORDER BY nb DESC",
			ScatterSelect{Visible: 3, Aggregated: true, GroupBy: []Order{asc(0)}, MergeOrder: []Order{asc(0), asc(1)},
				Aggs: []Agg{{Col: 1, Func: AggCountDistinct}, {Col: 2, Func: AggCount}}, OrderBy: []Order{desc(1)}, Limit: -1},
			"SELECT `a`,`b` AS `nb`,COUNT(1) AS `COUNT(*)` FROM `posts` GROUP BY `a`,`b` ORDER BY 1,2",
		},
		{
			"SELECT COUNT(DISTINCT b) FROM posts",
			ScatterSelect{Visible: 1, Aggregated: true, MergeOrder: []Order{asc(0)}, Aggs: []Agg{{Col: 0, Func: AggCountDistinct}}, Limit: -1},
			"SELECT `b` AS `COUNT(DISTINCT b)` FROM `posts` GROUP BY `b` ORDER BY 1",
		},
		{
			"SELECT DISTINCT a, b FROM posts ORDER BY b LIMIT 10",
			ScatterSelect{Visible: 2, Distinct: true, OrderBy: []Order{asc(1)}, MergeOrder: []Order{asc(1)}, Limit: 10},
			"SELECT DISTINCT `a`,`b` FROM `posts` ORDER BY `b` LIMIT 10",
		},
		{
			"SELECT DISTINCT a, COUNT(*) FROM posts GROUP BY a",
			ScatterSelect{Visible: 2, Distinct: true, Aggregated: true, GroupBy: []Order{asc(0)}, MergeOrder: []Order{asc(0)}, Aggs: []Agg{{Col: 1, Func: AggCount}}, Limit: -1},
			"SELECT `a`,COUNT(1) AS `COUNT(*)` FROM `posts` GROUP BY `a` ORDER BY 1",
		},
		{
			"SELECT * FROM posts ORDER BY created DESC LIMIT 5",
			ScatterSelect{Visible: -1, Hidden: 1, OrderBy: []Order{desc(-1)}, MergeOrder: []Order{desc(-1)}, Limit: 5},
			"SELECT *,`created` AS `strata_h0` FROM `posts` ORDER BY `created` DESC LIMIT 5",
		},
		{
			"SELECT id, p.* FROM posts p ORDER BY id, 3",
			ScatterSelect{Visible: -1, OrderBy: []Order{asc(0), asc(2)}, MergeOrder: []Order{asc(0), asc(2)}, Limit: -1},
			"SELECT `id`,`p`.* FROM `posts` AS `p` ORDER BY `id`,3",
		},
		{
			"SELECT a + 1 FROM posts ORDER BY a + 1, UPPER(b)",
			ScatterSelect{Visible: 1, Hidden: 1, OrderBy: []Order{asc(0), asc(1)}, MergeOrder: []Order{asc(0), asc(1)}, Limit: -1},
			"SELECT `a`+1 AS `a + 1`,UPPER(`b`) AS `strata_h0` FROM `posts` ORDER BY `a`+1,UPPER(`b`)",
		},
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		if s.Unsupported != "" || s.Select == nil {
			t.Errorf("%s: unsupported: %s", tt.sql, s.Unsupported)
			continue
		}
		if got := withoutColumnNames(*s.Select); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s\nselect = %+v\nwant     %+v", tt.sql, got, tt.want)
		}
		got, err := s.Render(Rewrite{Scatter: true})
		if s.Params > 0 {
			args := make([]string, s.Params)
			for i := range args {
				args[i] = itoa(i + 10)
			}
			got, err = s.Render(Rewrite{Scatter: true, Args: args})
		}
		if err != nil {
			t.Errorf("%s: render: %v", tt.sql, err)
			continue
		}
		if tt.scatter != "" && got != tt.scatter {
			t.Errorf("%s\nscatter = %s\nwant      %s", tt.sql, got, tt.scatter)
		}
		// The shard query parses again.
		if _, err := AnalyzeShard(got, testKeyOf); err != nil {
			t.Errorf("%s: scatter %q does not parse: %v", tt.sql, got, err)
		}
	}
}

// Select-list expressions over aggregates become Computed columns: their
// aggregates are merged in hidden columns, and the expression's text is
// kept around them for MariaDB to evaluate over the merged values.
func TestShardScatterComputed(t *testing.T) {
	text := func(s string) ComputedPart { return ComputedPart{Kind: PartText, Text: s} }
	col := func(c int) ComputedPart { return ComputedPart{Kind: PartColumn, Col: c} }
	tests := []struct {
		sql      string
		computed []Computed
		aggs     []Agg
		orderBy  []Order
		having   *Expr
		scatter  string
	}{
		{
			sql:      "SELECT a, SUM(b) / COUNT(*) AS r FROM posts GROUP BY a ORDER BY r DESC",
			computed: []Computed{{Col: 1, Parts: []ComputedPart{col(2), text("/"), col(3)}}},
			aggs:     []Agg{{Col: 2, Func: AggSum}, {Col: 3, Func: AggCount}},
			orderBy:  []Order{{Col: 1, Desc: true, Column: "r"}},
			// The shards describe the column but do not compute it: over
			// one shard's partials it could fail where the merged ones do
			// not (MAX(b) - 3 of an UNSIGNED b whose shard's MAX is 2).
			scatter: "SELECT `a`,IF(0, SUM(`b`)/COUNT(1), NULL) AS `r`,SUM(`b`) AS `strata_h0`,COUNT(1) AS `strata_h1` FROM `posts` GROUP BY `a` ORDER BY 1",
		},
		{
			// AVG inside is SUM / COUNT, as MariaDB's AVG computes it;
			// a placeholder is the bound value.
			sql: "SELECT ROUND(AVG(b), ?) FROM posts",
			computed: []Computed{{Col: 0, Parts: []ComputedPart{text("ROUND("), {Kind: PartAvg, Col: 1, CountCol: 2, PrecCol: 3},
				text(", "), {Kind: PartParam, Param: 1}, text(")")}}},
			aggs: []Agg{{Col: 1, Func: AggSum}, {Col: 2, Func: AggCount}},
		},
		{
			// A sum of a division's values: evaluated from every digit
			// the server kept, with the session's increment.
			sql:      "SELECT SUM(b / 7) * 7 FROM posts",
			computed: []Computed{{Col: 0, Parts: []ComputedPart{{Kind: PartColumn, Col: 1, ExactCol: 2, PrecCol: 3}, text("*7")}}},
			aggs:     []Agg{{Col: 1, Func: AggSum, ExactCol: 2}},
		},
		{
			// A group key inside, and an aggregate the select list has.
			sql:      "SELECT a, a * COUNT(*), COUNT(*) FROM posts GROUP BY a",
			computed: []Computed{{Col: 1, Parts: []ComputedPart{col(0), text("*"), col(2)}}},
			aggs:     []Agg{{Col: 2, Func: AggCount}},
		},
		{
			// A DISTINCT aggregate inside: its argument is grouped by on
			// the shards, in a hidden column.
			sql:      "SELECT COUNT(*) / COUNT(DISTINCT b) FROM posts",
			computed: []Computed{{Col: 0, Parts: []ComputedPart{col(1), text("/"), col(2)}}},
			aggs:     []Agg{{Col: 1, Func: AggCount}, {Col: 2, Func: AggCountDistinct}},
			scatter:  "SELECT COUNT(1)/COUNT(DISTINCT `b`) AS `COUNT(*) / COUNT(DISTINCT b)`,COUNT(1) AS `strata_h0`,`b` AS `strata_h1` FROM `posts` GROUP BY `b` ORDER BY 3",
		},
		{
			// HAVING on the alias filters on the expression itself.
			sql:      "SELECT a, MAX(b) - MIN(b) AS spread FROM posts GROUP BY a HAVING spread > 3",
			computed: []Computed{{Col: 1, Parts: []ComputedPart{col(2), text("-"), col(3)}}},
			aggs:     []Agg{{Col: 2, Func: AggMax}, {Col: 3, Func: AggMin}},
			scatter:  "SELECT `a`,IF(0, MAX(`b`)-MIN(`b`), NULL) AS `spread`,MAX(`b`) AS `strata_h0`,MIN(`b`) AS `strata_h1` FROM `posts` GROUP BY `a` ORDER BY 1",
			having: &Expr{Op: ExprGT, Args: []*Expr{{Op: ExprMinus, Args: []*Expr{{Op: ExprColumn, Col: 2}, {Op: ExprColumn, Col: 3}}},
				{Op: ExprLiteral, Literal: "3"}}},
		},
	}
	// With a DISTINCT aggregate and an ORDER BY other than the groups',
	// MariaDB evaluates the select list over aggregates it stored rounded
	// to their scale: an AVG inside is the merged AVG then, else SUM / COUNT.
	avg := func(where, order string) []Computed {
		s := mustAnalyze(t, "SELECT a, AVG(b) * 100 AS x, COUNT(DISTINCT c) FROM posts WHERE b > 0"+where+" GROUP BY a"+order)
		if s.Select == nil {
			t.Fatalf("%s: Unsupported %q", order, s.Unsupported)
		}
		return s.Select.Computed
	}
	if got := avg("", " ORDER BY x"); len(got) != 1 || got[0].Parts[0] != col(3) {
		t.Errorf("ORDER BY x: Computed = %+v, want the merged AVG in column 3", got)
	}
	if got := avg(" AND a = 3", " ORDER BY x"); len(got) != 1 || got[0].Parts[0].Kind != PartAvg {
		t.Errorf("group column fixed by WHERE: Computed = %+v, want SUM / COUNT (MariaDB drops the grouping)", got)
	}
	for _, order := range []string{"", " ORDER BY a DESC", " ORDER BY 1"} {
		if got := avg("", order); len(got) != 1 || got[0].Parts[0].Kind != PartAvg {
			t.Errorf("%q: Computed = %+v, want SUM / COUNT", order, got)
		}
	}
	// Two group columns: the GROUP BY's order or a leading part of it
	// keeps exact values; the group columns in another order round them.
	for order, rounded := range map[string]bool{" ORDER BY a": false, " ORDER BY a DESC, d": false, " ORDER BY d": true, " ORDER BY d, a": true, " ORDER BY a, d, x": true} {
		s := mustAnalyze(t, "SELECT a, d, AVG(b) * 100 AS x, COUNT(DISTINCT c) FROM posts GROUP BY a, d"+order)
		if s.Select == nil || len(s.Select.Computed) != 1 {
			t.Fatalf("%s: %+v, Unsupported %q", order, s.Select, s.Unsupported)
		}
		if got := s.Select.Computed[0].Parts[0].Kind != PartAvg; got != rounded {
			t.Errorf("GROUP BY a, d%s: rounded AVG = %v, want %v (%+v)", order, got, rounded, s.Select.Computed)
		}
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		if s.Unsupported != "" || s.Select == nil {
			t.Errorf("%s: Unsupported %q", tt.sql, s.Unsupported)
			continue
		}
		sel := s.Select
		if !reflect.DeepEqual(sel.Computed, tt.computed) {
			t.Errorf("%s:\nComputed = %+v\nwant       %+v", tt.sql, sel.Computed, tt.computed)
		}
		if !reflect.DeepEqual(sel.Aggs, tt.aggs) {
			t.Errorf("%s: Aggs = %+v, want %+v", tt.sql, sel.Aggs, tt.aggs)
		}
		if !reflect.DeepEqual(sel.OrderBy, tt.orderBy) {
			t.Errorf("%s: OrderBy = %+v, want %+v", tt.sql, sel.OrderBy, tt.orderBy)
		}
		if !reflect.DeepEqual(sel.Having, tt.having) {
			t.Errorf("%s: Having = %+v, want %+v", tt.sql, sel.Having, tt.having)
		}
		if tt.scatter != "" {
			got, err := s.Render(Rewrite{Scatter: true})
			if err != nil || got != tt.scatter {
				t.Errorf("%s\nscatter = %s (%v)\nwant      %s", tt.sql, got, err, tt.scatter)
			}
		}
	}
}

// An aggregated SELECT that groups by the shard key has every group whole
// on one shard: when its aggregates cannot be merged from partials
// (GROUP_CONCAT, STDDEV, BIT_OR), the shards run it as written and Strata
// merges the groups' rows as a plain SELECT's.
func TestShardWholeGroups(t *testing.T) {
	tests := []struct {
		sql     string
		want    ScatterSelect
		scatter string
	}{
		{
			"SELECT user_id, GROUP_CONCAT(title ORDER BY title SEPARATOR '|') FROM posts GROUP BY user_id",
			ScatterSelect{WholeGroups: true, Visible: 2, Limit: -1, OrderBy: []Order{{Col: 0, Column: "user_id"}}, MergeOrder: []Order{{Col: 0, Column: "user_id"}}},
			"SELECT `user_id`,GROUP_CONCAT(`title` ORDER BY `title` SEPARATOR '|') AS `GROUP_CONCAT(title ORDER BY title SEPARATOR '|')` FROM `posts` GROUP BY `user_id` ORDER BY `user_id`",
		},
		{
			"SELECT user_id, STDDEV(x) AS sd FROM posts WHERE y > 1 GROUP BY user_id HAVING BIT_OR(z) > 0 ORDER BY sd DESC LIMIT 5 OFFSET 2",
			// The server prints a STDDEV with 4 decimals but sorts by the
			// whole double: the merge compares a copy printed in full,
			// which a binary answer sends (FullCopies).
			ScatterSelect{WholeGroups: true, Visible: 2, Hidden: 1, Limit: 5, Offset: 2, OrderBy: []Order{{Col: 2, Desc: true, Column: "sd"}}, MergeOrder: []Order{{Col: 2, Desc: true, Column: "sd"}},
				FullCopies: []FullCopy{{Col: 1, Full: 2}}},
			"SELECT `user_id`,STDDEV_POP(`x`) AS `sd`,(STDDEV_POP(`x`))+0e0 AS `strata_h0` FROM `posts` WHERE `y`>1 GROUP BY `user_id` HAVING BIT_OR(`z`)>0 ORDER BY `sd` DESC LIMIT 7",
		},
		{
			// Co-sharded join, ordered by an aggregate not selected.
			"SELECT p.user_id, GROUP_CONCAT(o.id) FROM posts p JOIN orders o ON p.user_id = o.user_id GROUP BY p.user_id ORDER BY VARIANCE(o.total)",
			ScatterSelect{WholeGroups: true, Visible: 2, Hidden: 1, Limit: -1, OrderBy: []Order{{Col: 2}}, MergeOrder: []Order{{Col: 2}}},
			"",
		},
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		if s.Unsupported != "" || s.Select == nil {
			t.Errorf("%s: Unsupported %q", tt.sql, s.Unsupported)
			continue
		}
		got := *s.Select
		got.Sources = nil // TestTextSources
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\nSelect = %+v\nwant     %+v", tt.sql, *s.Select, tt.want)
		}
		if tt.scatter != "" {
			if got, err := s.Render(Rewrite{Scatter: true}); err != nil || got != tt.scatter {
				t.Errorf("%s\nscatter = %s (%v)\nwant      %s", tt.sql, got, err, tt.scatter)
			}
		}
	}
	// Windows partitioned by the shard key are whole on each shard too.
	for _, sql := range []string{
		"SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id) AS n FROM posts ORDER BY user_id, n LIMIT 10",
		"SELECT id, RANK() OVER w, SUM(x) OVER (w ORDER BY id) FROM posts WINDOW w AS (PARTITION BY user_id, a)",
		"SELECT user_id, GROUP_CONCAT(id), ROW_NUMBER() OVER (PARTITION BY user_id) FROM posts GROUP BY user_id",
	} {
		if s := mustAnalyze(t, sql); s.Unsupported != "" || s.Select == nil || s.Select.Aggregated {
			t.Errorf("%s: Unsupported %q; want the shards to compute the windows", sql, s.Unsupported)
		}
	}
	// Groups that may span shards still need merging, and these cannot be.
	for _, sql := range []string{
		"SELECT title, GROUP_CONCAT(id ORDER BY user_id) FROM posts GROUP BY title",
		"SELECT title, GROUP_CONCAT(id, user_id) FROM posts GROUP BY title",
		"SELECT user_id, GROUP_CONCAT(id) FROM posts GROUP BY user_id WITH ROLLUP",
		"SELECT p.user_id, GROUP_CONCAT(u.name ORDER BY p.id) FROM posts p JOIN users u ON p.title = u.name GROUP BY p.user_id",
		"SELECT user_id, GROUP_CONCAT(id) FROM posts GROUP BY user_id ORDER BY RAND(3)",
	} {
		if s := mustAnalyze(t, sql); s.Unsupported == "" {
			t.Errorf("%s: supported, want refused", sql)
		}
	}
}

func TestShardResolve(t *testing.T) {
	s := mustAnalyze(t, "SELECT * FROM posts ORDER BY created DESC, 2")
	r := s.Select.Resolve(7)
	want := []Order{{Col: 6, Desc: true, Column: "created"}, {Col: 1}}
	if r.Visible != 6 || !reflect.DeepEqual(r.OrderBy, want) || !reflect.DeepEqual(r.MergeOrder, want) {
		t.Errorf("Resolve = %+v", r)
	}
	if s.Select.OrderBy[0].Col != -1 {
		t.Error("Resolve changed its receiver")
	}
}

func TestShardRender(t *testing.T) {
	posts := TableRef{Name: "posts"}
	tests := []struct {
		sql  string
		r    Rewrite
		want string
	}{
		{"SELECT id FROM posts WHERE user_id = 1", Rewrite{}, "SELECT `id` FROM `posts` WHERE `user_id`=1"},
		{"/* hint */ SELECT COUNT(*) FROM posts", Rewrite{}, "SELECT COUNT(1) AS `COUNT(*)` FROM `posts`"},
		{
			"SELECT posts.id FROM posts WHERE posts.user_id = 1",
			Rewrite{Tables: map[TableRef]string{posts: "posts_2024_06"}},
			"SELECT `posts`.`id` FROM `posts_2024_06` AS `posts` WHERE `posts`.`user_id`=1",
		},
		{
			"SELECT p.id FROM posts p JOIN tags t ON t.id = p.id",
			Rewrite{Tables: map[TableRef]string{posts: "posts_2024_06"}},
			"SELECT `p`.`id` FROM `posts_2024_06` AS `p` JOIN `tags` AS `t` ON `t`.`id`=`p`.`id`",
		},
		{
			"SELECT db.posts.id FROM db.posts",
			Rewrite{Tables: map[TableRef]string{{Schema: "db", Name: "posts"}: "posts_1"}},
			"SELECT `posts`.`id` FROM `db`.`posts_1` AS `posts`",
		},
		{
			"UPDATE posts SET a = 1 WHERE posts.user_id = 2",
			Rewrite{Tables: map[TableRef]string{posts: "posts_1"}},
			"UPDATE `posts_1` AS `posts` SET `a`=1 WHERE `posts`.`user_id`=2",
		},
		{
			"DELETE FROM posts WHERE posts.user_id = 2",
			Rewrite{Tables: map[TableRef]string{posts: "posts_1"}},
			"DELETE FROM `posts_1` WHERE `posts_1`.`user_id`=2",
		},
		{
			"SELECT id FROM posts WHERE a IN (9, 8) AND user_id IN (1, 2, 3, ?)",
			Rewrite{In: map[int][]Operand{1: {lit("3"), par(1)}}, Args: []string{"'x'"}},
			"SELECT `id` FROM `posts` WHERE `a` IN (9,8) AND `user_id` IN (3,'x')",
		},
		{
			"SELECT id FROM posts WHERE user_id IN (1, 2, 3)",
			Rewrite{In: map[int][]Operand{0: {lit("2")}}},
			"SELECT `id` FROM `posts` WHERE `user_id` IN (2)",
		},
		{
			"SELECT id FROM posts WHERE user_id = ? AND body = ? LIMIT ?",
			Rewrite{Args: []string{"7", "'it''s'", "10"}},
			"SELECT `id` FROM `posts` WHERE `user_id`=7 AND `body`='it''s' LIMIT 10",
		},
		{
			"SELECT id FROM posts WHERE user_id = ? ORDER BY id LIMIT ?, ?",
			Rewrite{Scatter: true, Args: []string{"7", "20", "10"}},
			"SELECT `id` FROM `posts` WHERE `user_id`=7 ORDER BY `id` LIMIT 30",
		},
		{
			"SELECT id FROM posts ORDER BY id LIMIT ?",
			Rewrite{Scatter: true},
			"SELECT `id` FROM `posts` ORDER BY `id` LIMIT ?",
		},
		{
			"INSERT INTO posts (user_id, body) VALUES (1, 'a'), (2, ?), (3, 'c')",
			Rewrite{Rows: []int{0, 2}, AddColumn: "id", AddValues: []string{"100", "101"}, Tables: map[TableRef]string{posts: "posts_2024_06"}},
			"INSERT INTO `posts_2024_06` (`user_id`,`body`,`id`) VALUES (1,'a',100),(3,'c',101)",
		},
		{
			"INSERT INTO posts (user_id, body) VALUES (1, 'a'), (2, ?)",
			Rewrite{Rows: []int{1}, Args: []string{"'b'"}},
			"INSERT INTO `posts` (`user_id`,`body`) VALUES (2,'b')",
		},
		{
			"INSERT INTO posts SET user_id = 1, body = ?",
			Rewrite{AddColumn: "id", AddValues: []string{"5"}, Args: []string{"'b'"}},
			"INSERT INTO `posts` SET `user_id`=1,`body`='b',`id`=5",
		},
		{
			"INSERT INTO posts (user_id, n) VALUES (1, 2) ON DUPLICATE KEY UPDATE n = posts.n + 1",
			Rewrite{Tables: map[TableRef]string{posts: "posts_1"}},
			"INSERT INTO `posts_1` (`user_id`,`n`) VALUES (1,2) ON DUPLICATE KEY UPDATE `n`=`posts_1`.`n`+1",
		},
		{
			"SELECT a, AVG(b) FROM posts WHERE user_id IN (1, 2) GROUP BY a",
			Rewrite{Scatter: true, In: map[int][]Operand{0: {lit("2")}}, Tables: map[TableRef]string{posts: "posts_x"}},
			"SELECT `a`,SUM(`b`) AS `AVG(b)`,COUNT(`b`) AS `strata_h0`,MAX(@@div_precision_increment) AS `strata_h1` FROM `posts_x` AS `posts` WHERE `user_id` IN (2) GROUP BY `a` ORDER BY 1",
		},
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		got, err := s.Render(tt.r)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s\nrender = %s\nwant     %s", tt.sql, got, tt.want)
		}
		// Changes are undone: a plain render is the statement again.
		plain, err := s.Render(Rewrite{})
		if err != nil || strings.Contains(plain, "posts_") || strings.Contains(plain, "strata_h") {
			t.Errorf("%s: render after rewrite = %s, %v", tt.sql, plain, err)
		}
		if _, err := AnalyzeShard(got, testKeyOf); err != nil {
			t.Errorf("%s: rendered %q does not parse: %v", tt.sql, got, err)
		}
	}
}

func TestShardRenderErrors(t *testing.T) {
	s := mustAnalyze(t, "SELECT id FROM posts WHERE user_id = ? LIMIT ?, ?")
	if _, err := s.Render(Rewrite{Args: []string{"1"}}); err == nil {
		t.Error("wrong number of Args accepted")
	}
	if _, err := s.Render(Rewrite{Scatter: true}); err == nil {
		t.Error("pushed-down LIMIT with placeholders rendered without Args")
	}
	if _, err := s.Render(Rewrite{In: map[int][]Operand{3: {lit("1")}}}); err == nil {
		t.Error("unknown IN list accepted")
	}
	s = mustAnalyze(t, "UPDATE posts SET a = 1")
	if _, err := s.Render(Rewrite{Scatter: true}); err == nil {
		t.Error("Scatter of an UPDATE accepted")
	}
}

func TestShardRenderConcurrent(t *testing.T) {
	s := mustAnalyze(t, "SELECT id, AVG(x) FROM posts WHERE user_id IN (1, 2, 3, 4) AND b = ? GROUP BY id")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "posts_" + itoa(g)
			v := itoa(g)
			want := "SELECT `id`,SUM(`x`) AS `AVG(x)`,COUNT(`x`) AS `strata_h0`,MAX(@@div_precision_increment) AS `strata_h1` FROM `" + name + "` AS `posts` WHERE `user_id` IN (" + v + ") AND `b`='" + v + "' GROUP BY `id` ORDER BY 1"
			for range 200 {
				got, err := s.Render(Rewrite{
					Scatter: true,
					Tables:  map[TableRef]string{{Name: "posts"}: name},
					In:      map[int][]Operand{0: {lit(v)}},
					Args:    []string{"'" + v + "'"},
				})
				if err != nil || got != want {
					t.Errorf("render = %s, %v; want %s", got, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// withoutColumnNames clears Order.Column, which TestShardOrderColumnName
// checks on its own.
func withoutColumnNames(sel ScatterSelect) ScatterSelect {
	strip := func(os []Order) []Order {
		out := append([]Order(nil), os...)
		for i := range out {
			out[i].Column = ""
		}
		return out
	}
	if sel.GroupBy != nil {
		sel.GroupBy = strip(sel.GroupBy)
	}
	if sel.OrderBy != nil {
		sel.OrderBy = strip(sel.OrderBy)
	}
	if sel.MergeOrder != nil {
		sel.MergeOrder = strip(sel.MergeOrder)
	}
	sel.Sources = nil // TestTextSources
	return sel
}

func TestShardOrderColumnName(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT id FROM posts ORDER BY created DESC LIMIT 5", []string{"created"}},
		{"SELECT id FROM posts p ORDER BY p.created, id + 1", []string{"created", ""}},
	}
	for _, tt := range tests {
		s := mustAnalyze(t, tt.sql)
		var got []string
		for _, o := range s.Select.OrderBy {
			got = append(got, o.Column)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: order columns %q, want %q", tt.sql, got, tt.want)
		}
	}
}

// Several COUNT(DISTINCT) columns: each argument becomes a group column of
// the shard query, and the merge keeps the groups together.
func TestShardSeveralCountDistinct(t *testing.T) {
	s := mustAnalyze(t, "SELECT g, COUNT(DISTINCT a), COUNT(DISTINCT b) FROM posts GROUP BY g")
	if s.Unsupported != "" || s.Select == nil {
		t.Fatalf("unsupported: %s", s.Unsupported)
	}
	sel := s.Select
	if len(sel.Aggs) != 2 || sel.Aggs[0].Func != AggCountDistinct || sel.Aggs[1].Func != AggCountDistinct {
		t.Fatalf("aggs = %+v", sel.Aggs)
	}
	if len(sel.GroupBy) != 1 || len(sel.MergeOrder) != 3 {
		t.Fatalf("group by %+v, merge order %+v; want the key, then both arguments in the merge order", sel.GroupBy, sel.MergeOrder)
	}
	got, err := s.Render(Rewrite{Scatter: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "GROUP BY `g`,`a`,`b`") {
		t.Errorf("scatter %s does not group by g, a and b", got)
	}
}

// SET STATEMENT ... FOR splits into its assignments and its statement,
// whatever the case, comments and strings that hold the word FOR.
func TestSplitSetStatement(t *testing.T) {
	for _, tc := range []struct {
		text, assignments, stmt string
		ok                      bool
	}{
		{"SET STATEMENT max_statement_time=1 FOR SELECT 1", "max_statement_time=1", "SELECT 1", true},
		{"set statement a = 1, b = 'x FOR y' for select * from t for update", "a = 1, b = 'x FOR y'", "select * from t for update", true},
		{"/* c */ SET /* d */ STATEMENT a=(SELECT 1 FOR UPDATE) FOR DELETE FROM t", "a=(SELECT 1 FOR UPDATE)", "DELETE FROM t", true},
		{"SET STATEMENT a=1", "", "", false},
		{"SET a = 1", "", "", false},
		{"SELECT 1", "", "", false},
	} {
		a, s, ok := Mode{}.SplitSetStatement(tc.text)
		if a != tc.assignments || s != tc.stmt || ok != tc.ok {
			t.Errorf("SplitSetStatement(%q) = %q, %q, %v; want %q, %q, %v", tc.text, a, s, ok, tc.assignments, tc.stmt, tc.ok)
		}
	}
}

// A template keeps each placeholder where the client's text has it, so a
// shard can take the client's values in their order: LIMIT ? OFFSET ?
// stays so (the parser writes every LIMIT as offset, count), in the
// statement and in its subqueries; the values still bind by position
// when rendered in.
func TestShardRenderTemplateKeepsPlaceholderOrder(t *testing.T) {
	tests := []struct{ sql, want string }{
		{"SELECT id FROM posts WHERE user_id = ? ORDER BY id LIMIT ? OFFSET ?",
			"SELECT `id` FROM `posts` WHERE `user_id`=? ORDER BY `id` LIMIT ? OFFSET ?"},
		{"SELECT id FROM posts WHERE user_id = ? ORDER BY id LIMIT ?, ?",
			"SELECT `id` FROM `posts` WHERE `user_id`=? ORDER BY `id` LIMIT ?,?"},
		{"SELECT id FROM (SELECT id FROM posts WHERE a > ? LIMIT ? OFFSET ?) d WHERE id < ? LIMIT ?",
			"SELECT `id` FROM (SELECT `id` FROM `posts` WHERE `a`>? LIMIT ? OFFSET ?) AS `d` WHERE `id`<? LIMIT ?"},
		{"SELECT id FROM posts LIMIT 5 OFFSET ?", "SELECT `id` FROM `posts` LIMIT ?,5"},
	}
	for _, tt := range tests {
		st, err := AnalyzeShard(tt.sql, testKeyOf)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		got, err := st.RenderTemplate(Rewrite{})
		if err != nil || got != tt.want {
			t.Errorf("RenderTemplate(%s) = %q, %v; want %q", tt.sql, got, err, tt.want)
		}
		// Rendered with values, the parser's own LIMIT form, values in place.
		args := make([]string, st.Params)
		for i := range args {
			args[i] = strconv.Itoa(i + 1)
		}
		if got, err := st.Render(Rewrite{Args: args}); err != nil || strings.Contains(got, "?") {
			t.Errorf("Render(%s, %v) = %q, %v", tt.sql, args, got, err)
		}
	}
	st, err := AnalyzeShard("SELECT id FROM posts WHERE a = ? LIMIT ? OFFSET ?", testKeyOf)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Render(Rewrite{Args: []string{"7", "10", "20"}}); got != "SELECT `id` FROM `posts` WHERE `a`=7 LIMIT 20,10" {
		t.Errorf("rendered with values: %q", got)
	}
}

// A SUM or AVG whose argument divides asks each shard for its sum with
// every digit the server kept (Agg.ExactCol), beside the shown one; other
// sums do not.
func TestScatterExactSumsOfDivisions(t *testing.T) {
	s, err := AnalyzeShard("SELECT SUM(a / 7), AVG(b / ?), SUM(c * 2) FROM posts", testKeyOf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Render(Rewrite{Scatter: true, Args: []string{"3"}})
	want := "SELECT SUM(`a`/7) AS `SUM(a / 7)`,SUM(`b`/3) AS `AVG(b / ?)`,SUM(`c`*2) AS `SUM(c * 2)`,CAST(SUM(`a`/7) AS DECIMAL(65,30)) AS `strata_h0`,COUNT(`b`/3) AS `strata_h1`,MAX(@@div_precision_increment) AS `strata_h2`,CAST(SUM(`b`/3) AS DECIMAL(65,30)) AS `strata_h3` FROM `posts`"
	if err != nil || got != want {
		t.Fatalf("scatter:\n%s, %v\nwant\n%s", got, err, want)
	}
	exact := map[int]int{}
	for _, a := range s.Select.Aggs {
		exact[a.Col] = a.ExactCol
	}
	if exact[0] != 3 || exact[1] != 6 || exact[2] != 0 {
		t.Errorf("exact columns by aggregate column: %v, want 0→3, 1→6, 2→none", exact)
	}
}
