package sqlparse

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMaterialize(t *testing.T) {
	type table struct {
		alias   string
		filters []string
		keys    []MatKey
	}
	tests := []struct {
		name   string
		sql    string
		tables []table
	}{
		{
			"a sharded table's rows narrow the other table's by the join key",
			"SELECT c.body, u.name FROM users u JOIN comments c ON u.id = c.user_id WHERE c.entry_id = 42 AND entry_id > 0 ORDER BY c.id",
			[]table{
				{"c", []string{"`c`.`entry_id`=42"}, nil},
				{"u", nil, []MatKey{{Column: "id", Other: 0, OtherColumn: "user_id"}}},
			},
		},
		{
			// A LEFT JOIN's ON filters its inner side only; WHERE does
			// not reach the inner side, and the outer side is never
			// narrowed by the inner one.
			"outer join",
			"SELECT * FROM users u LEFT JOIN comments c ON c.user_id = u.id AND c.votes > 3 AND u.karma < 0 WHERE u.karma > 5 AND c.id IS NULL",
			[]table{
				{"u", []string{"`u`.`karma`>5"}, nil},
				{"c", []string{"`c`.`votes`>3"}, []MatKey{{Column: "user_id", Other: 0, OtherColumn: "id"}}},
			},
		},
		{
			// USING between two tables narrows as the ON it stands for;
			// NATURAL, whose columns only the schema knows, does not.
			// Tables another narrows are read after it.
			"USING and NATURAL joins",
			"SELECT * FROM comments c LEFT JOIN users u USING (id, zone) NATURAL JOIN likes l WHERE c.votes > 1",
			[]table{
				{"c", []string{"`c`.`votes`>1"}, nil},
				{"l", nil, nil},
				{"u", nil, []MatKey{{Column: "id", Other: 0, OtherColumn: "id"}, {Column: "zone", Other: 0, OtherColumn: "zone"}}},
			},
		},
		{
			// A correlated subquery's table is read last, with its own
			// qualified conditions, narrowed by the outer column it is
			// matched with; the outer table is never narrowed by it.
			"correlated subquery",
			"SELECT e.id FROM entries e WHERE e.score > 3 AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.entry_id = e.user_id AND c.votes > 5 AND author = 'x' AND e.id > 7)",
			[]table{
				{"e", []string{"`e`.`score`>3"}, nil},
				{"c", []string{"`c`.`votes`>5"}, []MatKey{{Column: "entry_id", Other: 0, OtherColumn: "user_id"}}},
			},
		},
		{
			// Sibling subqueries may name their tables alike: a name is
			// looked up in its own block first.
			"one alias in two subqueries",
			"SELECT e.id FROM entries e WHERE EXISTS (SELECT 1 FROM likes l WHERE l.user_id = e.user_id AND l.w > 2) AND e.id IN (SELECT l.entry_id FROM likes l WHERE l.user_id = e.user_id)",
			[]table{
				{"e", nil, nil},
				{"l", []string{"`l`.`w`>2"}, []MatKey{{Column: "user_id", Other: 0, OtherColumn: "user_id"}}},
				{"l", nil, []MatKey{{Column: "user_id", Other: 0, OtherColumn: "user_id"}}},
			},
		},
		{
			// A subquery without tables needs nothing read.
			"a subquery without tables",
			"SELECT u.name FROM users u JOIN comments c ON c.user_id = u.id WHERE c.votes > (SELECT 1)",
			[]table{
				{"u", nil, nil},
				{"c", nil, []MatKey{{Column: "user_id", Other: 0, OtherColumn: "id"}}},
			},
		},
		{
			// RIGHT JOIN: the left side is the inner one.
			"right join",
			"SELECT * FROM comments c RIGHT JOIN members m ON c.author = m.nick AND c.votes > 9 AND m.age < 0 WHERE m.karma = 5 AND c.id > 3",
			[]table{
				{"m", []string{"`m`.`karma`=5"}, nil},
				{"c", []string{"`c`.`votes`>9"}, []MatKey{{Column: "author", Other: 0, OtherColumn: "nick"}}},
			},
		},
		{
			// Rows already in the text (a derived table Strata ran first,
			// as an ORM's `(SELECT ... LIMIT 10) AS e LEFT JOIN likes`
			// becomes) are read first, whatever their place, and narrow
			// the outer join's inner side.
			"a derived table of literals",
			"SELECT e.*, l.id FROM (SELECT 5 AS id UNION ALL SELECT 9) AS e LEFT JOIN likes AS l ON e.id = l.entry_id AND l.w > 1 JOIN users u ON u.id = l.user_id",
			[]table{
				{"e", nil, nil},
				{"u", nil, nil},
				{"l", []string{"`l`.`w`>1"}, []MatKey{{Column: "entry_id", Other: 0, OtherColumn: "id"}}},
			},
		},
		{
			// A condition of a correlated subquery holding subqueries
			// that name no table but the subquery's (and their own) is
			// read with that table: its servers run them.
			"a subquery's own subquery goes with its table",
			"SELECT * FROM comments c WHERE EXISTS (SELECT 1 FROM tags t WHERE t.c = c.id AND t.id IN (SELECT u.id FROM users u))",
			[]table{
				{"c", nil, nil},
				{"t", []string{"`t`.`id` IN (SELECT `u`.`id` FROM `users` AS `u`)"}, []MatKey{{Column: "c", Other: 0, OtherColumn: "id"}}},
			},
		},
		{
			// Laravel's whereHas('entries.likes'): unqualified names
			// inside the inner subquery bind there or to entries, on
			// entries' servers as on one server.
			"nested whereHas",
			"SELECT * FROM users WHERE EXISTS (SELECT * FROM entries WHERE users.id = entries.user_id AND EXISTS (SELECT * FROM likes WHERE entries.id = likes.entry_id AND weight > 3))",
			[]table{
				{"users", nil, nil},
				{"entries", []string{"EXISTS (SELECT * FROM `likes` WHERE `entries`.`id`=`likes`.`entry_id` AND `weight`>3)"}, []MatKey{{Column: "user_id", Other: 0, OtherColumn: "id"}}},
			},
		},
		{
			// An inner subquery that names the statement's table cannot
			// go with the subquery's: its tables are read too, last,
			// narrowed by the tables around it, never the reverse.
			"an inner subquery naming the outer statement",
			"SELECT e.id FROM entries e WHERE EXISTS (SELECT 1 FROM likes l WHERE l.entry_id = e.id AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id AND u.karma = e.score AND u.name > 'b'))",
			[]table{
				{"e", nil, nil},
				{"l", nil, []MatKey{{Column: "entry_id", Other: 0, OtherColumn: "id"}}},
				{"u", []string{"`u`.`name`>'b'"}, []MatKey{{Column: "id", Other: 1, OtherColumn: "user_id"}, {Column: "karma", Other: 0, OtherColumn: "score"}}},
			},
		},
		{
			"a table without an alias, a cross join narrowed from WHERE",
			"SELECT COUNT(*) FROM comments, users WHERE users.id = comments.user_id AND users.name LIKE 'a%'",
			[]table{
				{"users", []string{"`users`.`name` LIKE 'a%'"}, nil},
				{"comments", nil, []MatKey{{Column: "user_id", Other: 0, OtherColumn: "id"}}},
			},
		},
	}
	for _, tt := range tests {
		m, err := Mode{}.Materialize(tt.sql, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var got []table
		for _, mt := range m.Tables {
			got = append(got, table{mt.Alias, mt.Filters, mt.Keys})
		}
		if !reflect.DeepEqual(got, tt.tables) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.name, got, tt.tables)
		}
	}
	// One table: every condition of WHERE is its own, qualified or not.
	one, err := Mode{}.Materialize("SELECT status, COUNT(*) FROM posts p WHERE score > 3 AND p.id < 100 GROUP BY status WITH ROLLUP", nil)
	if err != nil || len(one.Tables) != 1 || !reflect.DeepEqual(one.Tables[0].Filters, []string{"`score`>3", "`p`.`id`<100"}) {
		t.Errorf("one table: %+v, %v", one, err)
	}
	m, err := Mode{}.Materialize("SELECT c.body, u.name FROM users u JOIN comments c ON u.id = c.user_id WHERE c.entry_id = ? ORDER BY c.id", []string{"42"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Query(0, nil); got != "SELECT * FROM `comments` AS `c` WHERE `c`.`entry_id`=42" {
		t.Errorf("Query(0) = %s", got)
	}
	if got := m.Query(1, [][]string{{"3", "7"}}); got != "SELECT * FROM `users` AS `u` WHERE `u`.`id` IN (3,7)" {
		t.Errorf("Query(1) = %s", got)
	}
	if got := m.Query(1, [][]string{{}}); got != "SELECT * FROM `users` AS `u` WHERE 0" {
		t.Errorf("Query(1) without keys = %s", got)
	}
	lit, err := Mode{}.Materialize("SELECT * FROM entries x RIGHT JOIN (SELECT CAST(X'31' AS SIGNED) AS `id`) AS e ON x.id = e.id WHERE e.id > 0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lit.Query(0, nil), "SELECT * FROM (SELECT CAST(X'31' AS SIGNED) AS `id`) AS `e` WHERE `e`.`id`>0"; got != want || lit.Tables[0].Describe() != "the derived table e" {
		t.Errorf("the read of a derived table of literals:\ngot  %s (%s)\nwant %s", got, lit.Tables[0].Describe(), want)
	}
	// Conditions with OR keep their own parentheses in the read.
	or, err := Mode{}.Materialize("SELECT * FROM audit WHERE id = 150 AND (at < '2025-09-12' OR actor <= 'x') AND (id < 3 XOR id > 9)", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := or.Query(0, nil), "SELECT * FROM `audit` AS `audit` WHERE (`id`=150) AND (`at`<'2025-09-12' OR `actor`<='x') AND (`id`<3 XOR `id`>9)"; got != want {
		t.Errorf("the read of conditions with OR:\ngot  %s\nwant %s", got, want)
	}
	rows := func(col string) PulledTable {
		return PulledTable{Columns: []string{col}, Nulls: []string{"NULL"}, Rows: [][]string{{"1"}}}
	}
	got, err := m.Render([]PulledTable{rows("body"), rows("name")})
	if want := "SELECT `c`.`body`,`u`.`name` FROM (SELECT 1 AS `name`) AS `u` JOIN (SELECT 1 AS `body`) AS `c` ON `u`.`id`=`c`.`user_id` WHERE `c`.`entry_id`=42 ORDER BY `c`.`id`"; err != nil || got != want {
		t.Errorf("Render = %s (%v)\nwant     %s", got, err, want)
	}
	// The condition read with its table is 1 in the statement: every row
	// read satisfies it, and the server that runs the statement may not
	// have its tables.
	nested, err := Mode{}.Materialize("SELECT id FROM users WHERE EXISTS (SELECT * FROM entries WHERE users.id = entries.user_id AND EXISTS (SELECT * FROM likes WHERE entries.id = likes.entry_id))", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err = nested.Render([]PulledTable{rows("id"), rows("user_id")})
	if want := "SELECT `id` FROM (SELECT 1 AS `id`) AS `users` WHERE EXISTS (SELECT * FROM (SELECT 1 AS `user_id`) AS `entries` WHERE `users`.`id`=`entries`.`user_id` AND 1)"; err != nil || got != want {
		t.Errorf("Render of a statement with a condition read with its table = %s (%v)\nwant %s", got, err, want)
	}
	for _, sql := range []string{
		"SELECT 1",
		"SELECT * FROM comments c WHERE c.id IN (SELECT id FROM (SELECT id FROM tags) t)",
		"SELECT * FROM comments c WHERE c.id IN (SELECT a FROM t UNION SELECT b FROM u)",
		"SELECT * FROM comments c JOIN users u ON u.id = c.user_id FOR UPDATE",
		// A derived table that reads a table is not rows in the text.
		"SELECT * FROM (SELECT id FROM tags) t LEFT JOIN comments c ON c.tag = t.id",
		"SELECT * FROM (SELECT 1 AS id FROM DUAL WHERE EXISTS (SELECT 1 FROM tags)) t LEFT JOIN comments c ON c.tag = t.id",
		"UPDATE comments c JOIN users u ON u.id = c.user_id SET c.votes = 1",
	} {
		if _, err := (Mode{}).Materialize(sql, nil); !errors.Is(err, ErrNotMaterialized) {
			t.Errorf("%s: err = %v, want ErrNotMaterialized", sql, err)
		}
	}
}

// A CTE of rows is read where the statement names it, as a derived table
// that reads it with the clause it belongs to (its column list and the
// CTEs before it); the statement keeps no WITH. A CTE over a table is
// not one of rows: such a statement is not materialized.
func TestMaterializeReadsCTEsOfRowsAsDerivedTables(t *testing.T) {
	m, err := Mode{}.Materialize("WITH a (k) AS (SELECT 1), d AS (SELECT k + 1 AS x FROM a) SELECT d.x, COUNT(z.id) FROM d LEFT JOIN rows_t z ON z.g = d.x GROUP BY d.x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tables) != 2 || m.Tables[0].Alias != "d" || m.Tables[1].Alias != "z" ||
		!reflect.DeepEqual(m.Tables[1].Keys, []MatKey{{Column: "g", Other: 0, OtherColumn: "x"}}) {
		t.Fatalf("tables %+v", m.Tables)
	}
	if got, want := m.Query(0, nil), "SELECT * FROM (WITH `a` (`k`) AS (SELECT 1), `d` AS (SELECT `k`+1 AS `x` FROM `a`) SELECT * FROM `d`) AS `d`"; got != want {
		t.Errorf("the read of the CTE:\ngot  %s\nwant %s", got, want)
	}
	out, err := m.Render([]PulledTable{
		{Columns: []string{"x"}, Nulls: []string{"NULL"}, Rows: [][]string{{"2"}}},
		{Columns: []string{"id", "g"}, Nulls: []string{"NULL", "NULL"}},
	})
	if want := "SELECT `d`.`x`,COUNT(`z`.`id`) AS `COUNT(z.id)` FROM (SELECT 2 AS `x`) AS `d` LEFT JOIN (SELECT NULL AS `id`, NULL AS `g` FROM DUAL WHERE 0) AS `z` ON `z`.`g`=`d`.`x` GROUP BY `d`.`x`"; err != nil || out != want {
		t.Errorf("Render = %s (%v)\nwant     %s", out, err, want)
	}
	recursive, err := Mode{}.Materialize("WITH RECURSIVE r AS (SELECT 1 AS x UNION ALL SELECT x + 1 FROM r WHERE x < 3) SELECT * FROM r a JOIN r b ON b.x = a.x LEFT JOIN rows_t z ON z.g = a.x", nil)
	if err != nil || len(recursive.Tables) != 3 || recursive.Tables[0].Derived == "" || recursive.Tables[1].Derived == "" {
		t.Errorf("a recursive CTE read twice: %+v, %v", recursive, err)
	}
	if _, err := (Mode{}).Materialize("WITH d AS (SELECT g FROM other_t) SELECT * FROM d LEFT JOIN rows_t z ON z.g = d.g", nil); !errors.Is(err, ErrNotMaterialized) {
		t.Errorf("a CTE over a table: %v, want ErrNotMaterialized", err)
	}
}

// A derived table that starts a running user variable stays in the
// statement (it must assign where the statement runs); one of plain rows
// is read first.
func TestMaterializeLeavesVariableStartsInPlace(t *testing.T) {
	m, err := Mode{}.Materialize("SELECT @n := @n + 1 AS r, id FROM posts, (SELECT @n := 0) init ORDER BY id", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tables) != 1 || m.Tables[0].Name != "posts" {
		t.Fatalf("tables read first: %+v, want posts only", m.Tables)
	}
	out, err := m.Render([]PulledTable{{Columns: []string{"id"}, Nulls: []string{"NULL"}, Rows: [][]string{{"1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "(SELECT @`n`:=0) AS `init`") {
		t.Errorf("rendered without the variable's start: %s", out)
	}
	m, err = Mode{}.Materialize("SELECT d.x, p.id FROM posts p, (SELECT 1 AS x) d", nil)
	if err != nil || len(m.Tables) != 2 {
		t.Fatalf("a derived table of plain rows: %v, %d tables, want 2", err, len(m.Tables))
	}
}
