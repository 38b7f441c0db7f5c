package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

const shardConfig = `
listen: 127.0.0.1:6033
admin_listen: 127.0.0.1:6080
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
default_cluster: main
clusters:
  main: {primary: 127.0.0.1:13306}
  accounts: {primary: 127.0.0.1:13316}
  s0: {primary: 127.0.0.1:13326}
  s1: {primary: 127.0.0.1:13336}
  s2: {primary: 127.0.0.1:13346}
tables:
  users:    {cluster: accounts}
  profiles: {cluster: accounts}
  comments: {shard_key: entry_id, method: modulo, shards: [s0, s1, s2]}
  entries:  {shard_key: id, method: hash, shards: {s0: "-80", s1: "80-"}, sequence: {column: id, name: entries_seq}}
  likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}
  events:   {shard_key: id, method: range, shards: {s0: "..1000", s1: "1000..2000", s2: "2000.."}}
  posts:    {shard_key: created_at, method: date, period: month, since: "2024-01-01", ahead: 0,
             shards: {s0: "..2024-04-01", s1: "2024-04-01.."}}
  members:  {shard_key: username, method: key_range, key_collation: utf8mb4_bin, shards: {s0: "..n", s1: "n.."}, scatter: deny}
  orders:   {shard_key: customer_id, method: lookup, lookup_table: order_customer, shards: [s0, s1]}
  countries: {reference: true}
sequences:
  entries_seq: {cluster: main}
`

// fakeLookup knows customers 1 (s0) and 2 (s1).
type fakeLookup struct{}

func (fakeLookup) Shard(_ context.Context, _ string, key shard.Value) (string, bool, error) {
	i, _ := key.Int64()
	switch i {
	case 1:
		return "s0", true, nil
	case 2:
		return "s1", true, nil
	}
	return "", false, nil
}

func testSharding(t *testing.T) *Sharding {
	t.Helper()
	s := NewSharding(layoutOf(t, shardConfig))
	next := int64(100)
	s.NextID = func(context.Context, string) (int64, error) { next++; return next, nil }
	s.Assign = func(_ context.Context, t *shard.Table, key shard.Value) (string, error) { return "s1", nil }
	return s
}

// layoutOf is the placement of a config's tables.
func layoutOf(t *testing.T, yaml string) *shard.Layout {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	l, err := cfg.Layout(fakeLookup{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func plan(t *testing.T, s *Sharding, sql string, args ...string) (*ShardPlan, error) {
	t.Helper()
	facts, err := sqlparse.Parse(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s.Plan(context.Background(), sqlparse.Mode{}, sql, facts[0], args)
}

func routeClusters(p *ShardPlan) []string {
	var out []string
	for _, r := range p.Routes {
		out = append(out, r.Cluster)
	}
	return out
}

func TestShardPlanRoutes(t *testing.T) {
	s := testSharding(t)
	// hash placement of a few ids, to state expectations without
	// repeating the hash here.
	shardOf := func(id int64) string {
		sh, err := s.Layout().Table("entries").Method.ShardFor(shard.Int(id))
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	tests := []struct {
		name, sql string
		args      []string
		kind      PlanKind
		clusters  []string
		sqlHas    []string // substrings of the first route's SQL
	}{
		{"table group relays to its cluster", "SELECT * FROM users JOIN profiles ON users.id = profiles.user_id", nil, PlanRelay, []string{"accounts"}, nil},
		{"modulo key equality is one shard", "SELECT * FROM comments WHERE entry_id = 7", nil, PlanRelay, []string{"s1"}, nil},
		{"SQL_CALC_FOUND_ROWS on one shard relays", "SELECT SQL_CALC_FOUND_ROWS * FROM comments WHERE entry_id = 7 LIMIT 2", nil, PlanRelay, []string{"s1"}, []string{"SQL_CALC_FOUND_ROWS"}},
		{"SQL_CALC_FOUND_ROWS over every shard keeps it in each", "SELECT SQL_CALC_FOUND_ROWS * FROM comments ORDER BY id LIMIT 10", nil, PlanMerge, []string{"s0", "s1", "s2"}, []string{"SQL_CALC_FOUND_ROWS", "LIMIT 10"}},
		{"modulo IN splits per shard", "SELECT * FROM comments WHERE entry_id IN (3, 4, 6)", nil, PlanMerge, []string{"s0", "s1"}, []string{"IN (3,6)"}},
		{"range bounds pick overlapping shards", "SELECT * FROM events WHERE id >= 1500 AND id < 2500", nil, PlanMerge, []string{"s1", "s2"}, nil},
		{"range equality", "SELECT * FROM events WHERE id = 999", nil, PlanRelay, []string{"s0"}, nil},
		{"no key scatters", "SELECT COUNT(*) FROM comments", nil, PlanMerge, []string{"s0", "s1", "s2"}, nil},
		{"prepared statement routes by its value", "SELECT * FROM entries WHERE id = ?", []string{"42"}, PlanRelay, []string{shardOf(42)}, []string{"=42"}},
		{"co-sharded join stays whole", "SELECT * FROM entries e JOIN likes l ON e.id = l.entry_id WHERE e.id = 42", nil, PlanRelay, []string{shardOf(42)}, nil},
		{"reference join follows the sharded table", "SELECT * FROM comments c JOIN countries k ON c.country = k.code WHERE c.entry_id = 3", nil, PlanRelay, []string{"s0"}, nil},
		{"reference read alone goes to one shard", "SELECT * FROM countries", nil, PlanRelay, []string{"s0"}, nil},
		{"reference write goes to every shard", "UPDATE countries SET name = 'x' WHERE code = 'de'", nil, PlanWrite, []string{"s0", "s1", "s2"}, nil},
		{"lookup by key", "SELECT * FROM orders WHERE customer_id = 2", nil, PlanRelay, []string{"s1"}, nil},
		{"date equality reads one period table", "SELECT * FROM posts WHERE created_at = '2024-05-03 10:00:00'", nil, PlanRelay, []string{"s1"}, []string{"posts_2024_05"}},
		{"key NULL answers from one shard", "SELECT COUNT(*) FROM comments WHERE entry_id IS NULL", nil, PlanRelay, []string{"s2"}, nil},
		{"update by key is one shard", "UPDATE comments SET body = 'x' WHERE entry_id = 5", nil, PlanRelay, []string{"s2"}, nil},
		{"delete without key scatters in a write", "DELETE FROM comments WHERE body = 'spam'", nil, PlanWrite, []string{"s0", "s1", "s2"}, nil},
		{"multi-row insert splits per shard", "INSERT INTO comments (entry_id, body) VALUES (1, 'a'), (2, 'b'), (4, 'c')", nil, PlanWrite, []string{"s1", "s2"}, []string{"(1,'a')", "(4,'c')"}},
		{"quoted canonical integer routes like the integer", "SELECT * FROM entries WHERE id = '42'", nil, PlanRelay, []string{shardOf(42)}, nil},
		{"quoted non-canonical number scatters", "SELECT * FROM entries WHERE id = '042'", nil, PlanMerge, []string{"s0", "s1"}, nil},
		{"a range on a scatter: deny table may cover every shard", "SELECT * FROM members WHERE username > 'm' AND username < 'p'", nil, PlanMerge, []string{"s0", "s1"}, nil},
		{"NOT BETWEEN is no range", "SELECT * FROM events WHERE id NOT BETWEEN 1000 AND 1999", nil, PlanMerge, []string{"s0", "s1", "s2"}, nil},
		{"OR gives no key", "SELECT * FROM events WHERE id = 5 OR kind = 'x'", nil, PlanMerge, []string{"s0", "s1", "s2"}, nil},
		{"a key inside an expression gives no key", "SELECT * FROM events WHERE id + 0 = 5", nil, PlanMerge, []string{"s0", "s1", "s2"}, nil},
		{"DDL runs on every shard", "ALTER TABLE comments ADD COLUMN x INT", nil, PlanWrite, []string{"s0", "s1", "s2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plan(t, s, tt.sql, tt.args...)
			if err != nil {
				t.Fatalf("%s: %v", tt.sql, err)
			}
			if p.Kind != tt.kind || !slices.Equal(routeClusters(p), tt.clusters) {
				t.Fatalf("%s: plan %s on %v, want %s on %v (%s)", tt.sql, p.Kind, routeClusters(p), tt.kind, tt.clusters, p.Reason)
			}
			for _, want := range tt.sqlHas {
				if !strings.Contains(p.Routes[0].SQL, want) {
					t.Errorf("%s: route SQL %q lacks %q", tt.sql, p.Routes[0].SQL, want)
				}
			}
		})
	}
}

func TestShardPlanRefusals(t *testing.T) {
	s := testSharding(t)
	tests := []struct{ sql, want string }{
		{"SELECT * FROM members WHERE city = 'x'", "table members is sharded by username and refuses scatter queries"},
		{"UPDATE comments SET entry_id = entry_id + 1 WHERE entry_id = 3", "to an expression or NULL"},
		{"UPDATE comments SET entry_id = NULL WHERE id = 3", "to an expression or NULL"},
		{"UPDATE comments SET entry_id = 9 WHERE entry_id = 4 LIMIT 1", "with ORDER BY or LIMIT"},
		{"UPDATE entries e JOIN likes l ON l.entry_id = e.id SET e.id = 9 WHERE e.id = 3", "only by a single-table UPDATE"},
		{"UPDATE IGNORE comments SET entry_id = 10 WHERE entry_id = 3", "leave out IGNORE"},
		{"UPDATE posts SET created_at = '2024-05-02' WHERE created_at = '2024-01-02'", "a row cannot move between period tables"},
		{"SELECT * FROM comments c JOIN entries e ON c.entry_id = e.id", "not sharded the same way"},
		{"SELECT * FROM entries e JOIN likes l ON e.author = l.user_id", "only on their shard keys"},
		{"SELECT * FROM comments JOIN blogs ON comments.blog_id = blogs.id", "sharded table comments cannot be joined with blogs"},
		{"SELECT * FROM users JOIN blogs ON users.id = blogs.owner", "live on different clusters"},
		{"INSERT INTO comments (body) VALUES ('x')", "must give entry_id"},
		{"DELETE FROM countries WHERE region = 'x' LIMIT 1", "the copies would differ"},
		{"SELECT * FROM comments WHERE entry_id IN (SELECT id FROM comments)", "comments"},
		{"CREATE TABLE posts SELECT 1 AS id", "one table per period"},
		{"ALTER TABLE posts ADD COLUMN x INT", "cannot list them now"}, // no TablesOn
		{"LOAD DATA INFILE '/tmp/c.csv' INTO TABLE comments", "use LOAD DATA LOCAL INFILE"},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments (id, body)", "does not name entry_id"},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments (id, @e) SET entry_id = @e + 1", "in its SET clause from an expression"},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments (id, body) SET entry_id = @e", "in its SET clause from an expression"},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments CHARACTER SET gbk", "not gbk"},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments LINES TERMINATED BY ''", "no line boundary"},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE posts", "one table per period"},
		{"LOCK TABLES comments WRITE", "LOCK TABLES on comments"},
		{"SELECT * FROM members WHERE city = 'x' OR username = 'a'", "refuses scatter queries"},
		{"SELECT SQL_CALC_FOUND_ROWS DISTINCT body FROM comments ORDER BY body LIMIT 10", "SQL_CALC_FOUND_ROWS over"},
		{"SELECT @r := @r + 1, body FROM comments ORDER BY body", "assigns user variables (@x := ...) and runs on 3 shard queries"},
		{"UPDATE comments SET votes = FLOOR(RAND(7) * 10)", "RAND(n) with a seed gives one sequence"},
		{"SELECT id, RAND(7) FROM comments", "each of which would start the sequence again"},
		{"DELETE FROM comments WHERE entry_id IN (1, 2) AND RAND(1) < 0.5", "DELETE over comments runs as 2 shard queries"},
		{"INSERT INTO comments (entry_id, body) VALUES (1, 'a'), (2, 'b') ON DUPLICATE KEY UPDATE entry_id = LAST_INSERT_ID(entry_id)", "sets LAST_INSERT_ID(expr) and runs on 2 shard queries"},
		{"UPDATE comments SET body = LAST_INSERT_ID(id) WHERE entry_id IN (1, 2, 3)", "sets LAST_INSERT_ID(expr) and runs on 3 shard queries"},
		{"SELECT SQL_CALC_FOUND_ROWS author, COUNT(*) FROM comments GROUP BY author LIMIT 10", "SQL_CALC_FOUND_ROWS over"},
	}
	for _, tt := range tests {
		_, err := plan(t, s, tt.sql)
		var rerr *RoutingError
		if !errors.As(err, &rerr) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want a routing error containing %q", tt.sql, err, tt.want)
		}
	}
}

// A schema change of a date table runs on its base table on every shard,
// then on each period table that exists there, named in its place.
func TestPlanDDLOfADateTable(t *testing.T) {
	s := testSharding(t)
	s.TablesOn = func(_ context.Context, cluster string, names []string) ([]string, error) {
		have := map[string][]string{"s0": {"posts_2024_01", "posts_2024_03"}, "s1": {"posts_2024_05", "posts_2099_01"}}[cluster]
		var out []string
		for _, n := range names {
			if slices.Contains(have, n) {
				out = append(out, n)
			}
		}
		return out, nil
	}
	p, err := plan(t, s, "ALTER TABLE posts ADD COLUMN x INT")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Routes {
		got = append(got, r.Cluster+": "+r.SQL)
	}
	want := []string{
		"s0: ALTER TABLE posts ADD COLUMN x INT",
		"s1: ALTER TABLE posts ADD COLUMN x INT",
		"s0: ALTER TABLE `posts_2024_03` ADD COLUMN x INT", // newest first, as DateTables lists them
		"s0: ALTER TABLE `posts_2024_01` ADD COLUMN x INT",
		"s1: ALTER TABLE `posts_2024_05` ADD COLUMN x INT",
	}
	if !p.Write || p.Kind != PlanWrite || !slices.Equal(got, want) {
		t.Errorf("routes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// EXPLAIN says how it runs: one table after the other, no transaction.
	if steps := strings.Join(MergeSteps(p), "; "); !p.SchemaChange || !strings.Contains(steps, "run on 5 tables of the shards one after the other") {
		t.Errorf("a schema change explained as %q", steps)
	}
	// CREATE TABLE: the base table on every shard, then every period
	// from since: LIKE it on the shard that owns it, oldest first.
	if p, err = plan(t, s, "CREATE TABLE posts (id INT, created_at DATETIME)"); err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, r := range p.Routes[:5] {
		got = append(got, r.Cluster+": "+r.SQL)
	}
	want = []string{
		"s0: CREATE TABLE posts (id INT, created_at DATETIME)",
		"s1: CREATE TABLE posts (id INT, created_at DATETIME)",
		"s0: CREATE TABLE IF NOT EXISTS `posts_2024_01` LIKE `posts`",
		"s0: CREATE TABLE IF NOT EXISTS `posts_2024_02` LIKE `posts`",
		"s0: CREATE TABLE IF NOT EXISTS `posts_2024_03` LIKE `posts`",
	}
	if !slices.Equal(got, want) || p.Routes[5].Cluster != "s1" {
		t.Errorf("CREATE TABLE routes:\n%s\nwant\n%s, then s1's", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// DROP TABLE: the period tables first, the base tables last.
	if p, err = plan(t, s, "DROP TABLE posts"); err != nil {
		t.Fatal(err)
	}
	if n := len(p.Routes); n != 5 || p.Routes[0].SQL != "DROP TABLE `posts_2024_03`" || p.Routes[n-1].SQL != "DROP TABLE posts" {
		t.Errorf("DROP TABLE routes: %+v", p.Routes)
	}
}

// LOAD DATA LOCAL into a sharded table starts on every shard, with the
// key's place in the column list; into a reference table on every shard
// cluster, as copies.
func TestShardPlanLoad(t *testing.T) {
	s := testSharding(t)
	for _, tt := range []struct {
		sql      string
		key      string
		field    int
		copies   bool
		clusters []string
	}{
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments FIELDS TERMINATED BY ',' (id, entry_id, body)", "entry_id", 1, false, nil},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments", "entry_id", -1, false, nil},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments (id, body, @e) SET entry_id = @e, body = TRIM(body)", "entry_id", 2, false, nil},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE countries", "", -1, true, nil},
	} {
		p, err := plan(t, s, tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if p.Kind != PlanLoad || p.Load == nil || p.Load.KeyColumn != tt.key || p.Load.KeyField != tt.field || p.Copies != tt.copies {
			t.Errorf("%s: kind %v, load %+v, copies %v; want load by %q at field %d, copies %v", tt.sql, p.Kind, p.Load, p.Copies, tt.key, tt.field, tt.copies)
		}
		if len(p.Routes) < 2 {
			t.Errorf("%s: %d routes, want one per shard", tt.sql, len(p.Routes))
		}
		if steps := MergeSteps(p); len(steps) != 1 || !strings.Contains(steps[0], "file to") {
			t.Errorf("%s: EXPLAIN STRATA steps %q, want the split of the file", tt.sql, steps)
		}
		for _, r := range p.Routes {
			if r.SQL != tt.sql {
				t.Errorf("%s: route %s runs %q, want the statement unchanged", tt.sql, r.Cluster, r.SQL)
			}
		}
	}
}

func TestShardPlanSequenceFillsInsert(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "INSERT INTO entries (title) VALUES ('a'), ('b')")
	if err != nil {
		t.Fatal(err)
	}
	if p.InsertID != 101 || p.Kind != PlanWrite {
		t.Fatalf("insert id %d kind %s, want 101 write", p.InsertID, p.Kind)
	}
	var all string
	for _, r := range p.Routes {
		all += r.SQL + ";"
	}
	for _, id := range []string{"101", "102"} {
		if !strings.Contains(all, id) {
			t.Errorf("routes %q do not insert id %s", all, id)
		}
	}
}

// Where each shard numbers a table's AUTO_INCREMENT column on its own and
// a unique key without the shard key holds it, an INSERT that leaves the
// column to the shards is refused: two shards would give the same id.
// One that gives the ids, or a sequence that fills them, runs.
func TestShardPlanRefusesIDsShardsWouldRepeat(t *testing.T) {
	s := testSharding(t)
	l := s.Layout()
	s.RefineLayout(l, l.WithKeyTypes(map[string]shard.KeyColumn{
		"comments": {Type: shard.KeyTypeInteger, LocalAutoIncrement: "id"},
		"entries":  {Type: shard.KeyTypeInteger, LocalAutoIncrement: "id"},
		"likes":    {Type: shard.KeyTypeInteger},
	}))
	for _, tt := range []struct {
		sql     string
		args    []string
		refused bool
	}{
		{"INSERT INTO comments (entry_id, body) VALUES (1, 'a'), (2, 'b')", nil, true},
		{"INSERT INTO comments (id, entry_id, body) VALUES (NULL, 1, 'a')", nil, true},
		{"INSERT INTO comments (id, entry_id, body) VALUES (7, 1, 'a'), (?, 2, 'b')", []string{"NULL"}, true},
		{"INSERT INTO comments (id, entry_id, body) VALUES (7, 1, 'a'), (?, 2, 'b')", []string{"8"}, false},
		{"INSERT INTO entries (title) VALUES ('a')", nil, false}, // its sequence fills id
		{"INSERT INTO likes (entry_id) VALUES (1)", nil, false},  // no such column
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments (entry_id, body)", nil, true},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments (id, entry_id, body)", nil, false},
	} {
		_, err := plan(t, s, tt.sql, tt.args...)
		var rerr *RoutingError
		refused := errors.As(err, &rerr) && strings.Contains(err.Error(), "each shard's AUTO_INCREMENT")
		if refused != tt.refused || !tt.refused && err != nil {
			t.Errorf("%s %v: %v, want refused %v", tt.sql, tt.args, err, tt.refused)
		}
	}
}

// A NULL id, which MariaDB's AUTO_INCREMENT would fill on each shard on
// its own, takes the sequence's next id too, and routes by it.
func TestShardPlanSequenceFillsNullIDs(t *testing.T) {
	s := testSharding(t)
	for _, tt := range []struct {
		sql   string
		args  []string
		first int64
		ids   []string // in the shards' statements
	}{
		{"INSERT INTO entries (id, title) VALUES (NULL, 'a'), (5, 'b'), (null, 'c')", nil, 101, []string{"101", "5", "102"}},
		{"INSERT INTO entries (id, title) VALUES (?, ?), (?, 'x')", []string{"NULL", "'a'", "7"}, 103, []string{"103", "7"}},
		{"INSERT INTO entries SET id = NULL, title = 'd'", nil, 104, []string{"104"}},
		{"INSERT INTO comments (id, entry_id) VALUES (NULL, 3)", nil, 0, []string{"NULL"}}, // no sequence: the shard's
	} {
		p, err := plan(t, s, tt.sql, tt.args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		var all string
		for _, r := range p.Routes {
			all += r.SQL + ";"
		}
		if p.InsertID != tt.first || (tt.first != 0 && strings.Contains(all, "NULL")) {
			t.Errorf("%s: insert id %d, routes %q; want insert id %d and no NULL id", tt.sql, p.InsertID, all, tt.first)
		}
		for _, id := range tt.ids {
			if !strings.Contains(all, "("+id+",") && !strings.Contains(all, "`id`="+id) {
				t.Errorf("%s: routes %q do not insert id %s", tt.sql, all, id)
			}
		}
	}
}

// A value MariaDB's AUTO_INCREMENT numbers itself (NULL, DEFAULT, or 0
// unless sql_mode has NO_AUTO_VALUE_ON_ZERO) takes a sequence's next id
// where the column has one. Where the column is the shard key without a
// sequence (events) or a unique key each shard numbers alone (comments),
// such a row is refused: Strata would place it by 0, or two shards would
// give the same id. Under NO_AUTO_VALUE_ON_ZERO the 0 is a value like
// any other, and a column that is not AUTO_INCREMENT keeps its 0.
func TestShardPlanZeroIDsAsTheServerNumbersThem(t *testing.T) {
	s := testSharding(t)
	l := s.Layout()
	s.RefineLayout(l, l.WithKeyTypes(map[string]shard.KeyColumn{
		"comments": {Type: shard.KeyTypeInteger, AutoIncrement: "id", LocalAutoIncrement: "id"},
		"entries":  {Type: shard.KeyTypeInteger, AutoIncrement: "id"},
		"events":   {Type: shard.KeyTypeInteger, AutoIncrement: "id"},
		"likes":    {Type: shard.KeyTypeInteger},
	}))
	keeps := sqlparse.NewMode("STRICT_TRANS_TABLES,NO_AUTO_VALUE_ON_ZERO")
	for _, tt := range []struct {
		mode    sqlparse.Mode
		sql     string
		args    []string
		filled  int    // rows given a sequence id
		refused string // in the error, "" when planned
	}{
		{sqlparse.Mode{}, "INSERT INTO entries (id, title) VALUES (0, 'a'), (DEFAULT, 'b'), ('0', 'c'), (0.2, 'd'), (9, 'e')", nil, 4, ""},
		{sqlparse.Mode{}, "INSERT INTO entries (id, title) VALUES (?, 'a')", []string{"0"}, 1, ""},
		{keeps, "INSERT INTO entries (id, title) VALUES (0, 'a'), (DEFAULT, 'b')", nil, 1, ""},
		{sqlparse.Mode{}, "INSERT INTO events (id, name) VALUES (0, 'a')", nil, 0, "the value 0"},
		{sqlparse.Mode{}, "INSERT INTO events (id, name) VALUES (5, 'a'), (?, 'b')", []string{"'0'"}, 0, "row 2 of the INSERT"},
		{keeps, "INSERT INTO events (id, name) VALUES (0, 'a')", nil, 0, ""},
		{sqlparse.Mode{}, "INSERT INTO comments (id, entry_id) VALUES (0, 1)", nil, 0, "each shard's AUTO_INCREMENT"},
		{sqlparse.Mode{}, "INSERT INTO comments (id, entry_id) VALUES (DEFAULT, 1)", nil, 0, "each shard's AUTO_INCREMENT"},
		{keeps, "INSERT INTO comments (id, entry_id) VALUES (0, 1)", nil, 0, ""},
		{keeps, "INSERT INTO comments (id, entry_id) VALUES (DEFAULT, 1)", nil, 0, "each shard's AUTO_INCREMENT"},
		{sqlparse.Mode{}, "INSERT INTO likes (entry_id, n) VALUES (1, 0)", nil, 0, ""}, // no AUTO_INCREMENT column
	} {
		facts, err := tt.mode.Parse(tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		p, err := s.Plan(context.Background(), tt.mode, tt.sql, facts[0], tt.args)
		var rerr *RoutingError
		switch {
		case tt.refused != "" && (!errors.As(err, &rerr) || !strings.Contains(err.Error(), tt.refused)):
			t.Errorf("%s %v: %v, want refused with %q", tt.sql, tt.args, err, tt.refused)
		case tt.refused == "" && err != nil:
			t.Errorf("%s %v: %v, want planned", tt.sql, tt.args, err)
		case err == nil:
			var all string
			for _, r := range p.Routes {
				all += r.SQL + ";"
			}
			if tt.filled > 0 && p.InsertID == 0 || tt.filled == 0 && p.InsertID != 0 {
				t.Errorf("%s: routes %q, insert id %d", tt.sql, all, p.InsertID)
			}
			for id := p.InsertID; tt.filled > 0 && id < p.InsertID+int64(tt.filled); id++ {
				if !strings.Contains(all, fmt.Sprintf("(%d,", id)) {
					t.Errorf("%s: routes %q do not insert the sequence's id %d", tt.sql, all, id)
				}
			}
		}
	}
	// A sequence column the shards do not number keeps its 0.
	l = s.Layout()
	s.RefineLayout(l, l.WithKeyTypes(map[string]shard.KeyColumn{"entries": {Type: shard.KeyTypeInteger}}))
	p, err := plan(t, s, "INSERT INTO entries (id, title) VALUES (0, 'a')")
	if err != nil || p.InsertID != 0 || len(p.Routes) != 1 || !strings.Contains(p.Routes[0].SQL, "(0,") {
		t.Errorf("a 0 in a sequence column that is not AUTO_INCREMENT: %v, %+v; want it kept", err, p)
	}
}

func TestShardPlanLookupAssignsNewKeys(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "INSERT INTO orders (customer_id, total) VALUES (77, 5)")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(routeClusters(p), []string{"s1"}) {
		t.Fatalf("new lookup key routed to %v, want the assigned s1", routeClusters(p))
	}
}

func TestShardPlanOrderedWalk(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "SELECT id FROM posts ORDER BY created_at DESC LIMIT 5")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Walk || p.Kind != PlanMerge {
		t.Fatalf("plan %s walk=%v, want an ordered walk (%s)", p.Kind, p.Walk, p.Reason)
	}
	// Newest period first: the routes' tables descend.
	var tables []string
	for _, r := range p.Routes {
		tables = append(tables, r.Tables[0])
	}
	if !slices.IsSortedFunc(tables, func(a, b string) int { return strings.Compare(b, a) }) || tables[len(tables)-1] != "posts_2024_01" {
		t.Fatalf("walk order %v, want newest first down to posts_2024_01", tables)
	}
	this := time.Now().Format("posts_2006_01")
	if tables[0] != this {
		t.Errorf("walk starts at %s, want the current period %s", tables[0], this)
	}
	asc, err := plan(t, s, "SELECT id FROM posts ORDER BY created_at LIMIT 5")
	if err != nil || asc.Routes[0].Tables[0] != "posts_2024_01" {
		t.Fatalf("ascending walk starts at %v (%v), want posts_2024_01", asc.Routes[0].Tables, err)
	}
	grouped, err := plan(t, s, "SELECT COUNT(*) FROM posts")
	if err != nil || grouped.Walk {
		t.Fatalf("COUNT(*) over posts: walk=%v err=%v, want a plain scatter", grouped.Walk, err)
	}
}

// An UPDATE or DELETE with LIMIT over several shards walks them one after
// the other with what is left of the LIMIT: in key order under ORDER BY
// the key of a range table, in any order without ORDER BY. Each route's
// statement ends with the LIMIT the walk rewrites.
func TestShardPlanLimitWalk(t *testing.T) {
	s := testSharding(t)
	tests := []struct {
		sql      string
		args     []string
		clusters []string
		limit    int64
	}{
		{"DELETE FROM comments WHERE body = 'x' LIMIT 5", nil, []string{"s0", "s1", "s2"}, 5},
		{"UPDATE comments SET votes = 0 WHERE votes < 0 LIMIT ?", []string{"7"}, []string{"s0", "s1", "s2"}, 7},
		{"DELETE FROM events WHERE kind = 'x' ORDER BY id LIMIT 10", nil, []string{"s0", "s1", "s2"}, 10},
		{"DELETE FROM events WHERE kind = 'x' ORDER BY id DESC, kind LIMIT 10", nil, []string{"s2", "s1", "s0"}, 10},
		{"UPDATE events SET kind = 'y' WHERE id > 1500 ORDER BY id DESC LIMIT 2", nil, []string{"s2", "s1"}, 2},
	}
	for _, tt := range tests {
		p, err := plan(t, s, tt.sql, tt.args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if !p.LimitWalk || p.Limit != tt.limit || !slices.Equal(routeClusters(p), tt.clusters) {
			t.Errorf("%s: walk=%v limit=%d over %v, want a walk of %d over %v (%s)", tt.sql, p.LimitWalk, p.Limit, routeClusters(p), tt.limit, tt.clusters, p.Reason)
			continue
		}
		if steps := strings.Join(MergeSteps(p), "; "); !strings.Contains(steps, fmt.Sprintf("one after the other, each with what the ones before left of LIMIT %d", tt.limit)) {
			t.Errorf("%s: EXPLAIN steps %q do not say the LIMIT is walked", tt.sql, steps)
		}
		r := p.Routes[0]
		if got := r.WithLimit(3, p.Limit); !strings.HasSuffix(got, " LIMIT 3") || got[:len(got)-1] != r.SQL[:len(r.SQL)-len(fmt.Sprint(p.Limit))] {
			t.Errorf("%s: with 3 left the route runs %q (planned %q)", tt.sql, got, r.SQL)
		}
	}
	// ORDER BY alone orders each shard's own rows: a plain write.
	p, err := plan(t, s, "UPDATE comments SET votes = votes + 1 ORDER BY votes DESC")
	if err != nil || p.LimitWalk || len(p.Routes) != 3 {
		t.Fatalf("ORDER BY without LIMIT: %+v, %v", p, err)
	}
	// With the shard key the LIMIT stays whole on its one shard.
	p, err = plan(t, s, "DELETE FROM events WHERE id = 1500 LIMIT 1")
	if err != nil || p.LimitWalk || p.Kind != PlanRelay || !strings.HasSuffix(p.Routes[0].SQL, "LIMIT 1") {
		t.Fatalf("LIMIT on one shard: %+v, %v", p, err)
	}
}

func TestShardPlanWalkOverInListFollowsKeyOrder(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "SELECT id FROM events WHERE id IN (404, 2385, 1476, 2815) ORDER BY id DESC LIMIT 3")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Walk || !slices.Equal(routeClusters(p), []string{"s2", "s1", "s0"}) {
		t.Fatalf("walk=%v over %v, want a walk over s2, s1, s0 (highest keys first)", p.Walk, routeClusters(p))
	}
}

// A prepared statement on one shard keeps a template with its
// placeholders, so the shard can prepare it and run the client's EXECUTE;
// a statement whose text depends on the values has none.
func TestShardPlanTemplates(t *testing.T) {
	s := testSharding(t)
	tests := []struct {
		sql      string
		args     []string
		template string // substring; "" means no template
	}{
		{"SELECT * FROM comments WHERE entry_id = ?", []string{"7"}, "`entry_id`=?"},
		{"SELECT * FROM posts WHERE created_at = ?", []string{"'2024-05-03 10:00:00'"}, "`posts_2024_05`"},
		{"UPDATE comments SET body = ? WHERE entry_id = ?", []string{"'x'", "5"}, "SET `body`=?"},
		{"INSERT INTO comments (entry_id, body) VALUES (?, ?)", []string{"4", "'x'"}, "VALUES (?,?)"},
		{"SELECT * FROM users WHERE id = ?", []string{"1"}, "SELECT * FROM users WHERE id = ?"},
		{"INSERT INTO entries (title) VALUES (?)", []string{"'t'"}, ""}, // the sequence id is added
		{"SELECT * FROM comments WHERE entry_id = 7", nil, ""},          // not prepared
	}
	for _, tt := range tests {
		p, err := plan(t, s, tt.sql, tt.args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		got := p.Routes[0].Template
		if tt.template == "" && got != "" || tt.template != "" && !strings.Contains(got, tt.template) {
			t.Errorf("%s: template %q, want one containing %q", tt.sql, got, tt.template)
		}
	}
}

// A sharded statement is planned and rendered as the session's sql_mode
// reads it: with NO_BACKSLASH_ESCAPES 'a\' ends the string, so the OR after
// it is a condition whose key lives on another shard, and a backslash in a
// value is rendered as one.
func TestShardPlanReadsWithTheSessionsSQLMode(t *testing.T) {
	s := testSharding(t)
	nbe := sqlparse.NewMode("STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES")
	planIn := func(m sqlparse.Mode, sql string) *ShardPlan {
		t.Helper()
		facts, err := m.Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		p, err := s.Plan(context.Background(), m, sql, facts[0], nil)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return p
	}
	const sel = `SELECT id FROM events WHERE id = 5 AND kind = 'a\' OR id = 1500 -- '`
	if got := routeClusters(planIn(nbe, sel)); !slices.Contains(got, "s0") || !slices.Contains(got, "s1") {
		t.Errorf("NO_BACKSLASH_ESCAPES: %s runs on %v, want s0 and s1 among them", sel, got)
	}
	if got := routeClusters(planIn(sqlparse.Mode{}, sel)); !slices.Equal(got, []string{"s0"}) {
		t.Errorf("default: %s runs on %v, want [s0] (one string after kind =)", sel, got)
	}

	p := planIn(nbe, `INSERT INTO events (id, kind) VALUES (5, 'x\'), (1500, 'y')`)
	for _, r := range p.Routes {
		if r.Cluster == "s0" && !strings.Contains(r.SQL, `'x\'`) || strings.Contains(r.SQL, `\\`) {
			t.Errorf("%s part: %s, want the value 'x\\' rendered with one backslash", r.Cluster, r.SQL)
		}
	}
	if len(p.Routes) != 2 {
		t.Errorf("INSERT over two shards: %d routes", len(p.Routes))
	}
}

// A statement the parser cannot read names its tables only as words:
// placed whole on one cluster, it goes there; sharded (or on two
// clusters), it is refused, never sent to the default cluster.
func TestShardPlanUnparsed(t *testing.T) {
	s := testSharding(t)
	tests := []struct {
		sql, cluster, refusal string
	}{
		{"SELECT CAST(id AS INT) FROM users LIMIT 1 ROWS EXAMINED 10", "accounts", ""},
		{"SELECT u.id FROM `Users` u JOIN profiles p ON p.user_id = u.id LIMIT ROWS EXAMINED 10", "accounts", ""},
		{"SELECT id FROM comments WHERE entry_id = 3 LIMIT ROWS EXAMINED 10", "", "names comments, a sharded table"},
		{"SELECT code FROM countries LIMIT 1 ROWS EXAMINED 10", "", "names countries, a reference table"},
		{"HANDLER \"events\" OPEN", "", "HANDLER on events, a sharded table, is not supported"},
		{"SELECT id FROM events LIMIT ROWS EXAMINED 10", "", "names events, a sharded table"},
		{"CREATE TRIGGER t BEFORE INSERT ON posts FOR EACH ROW SET NEW.title = NEW.title", "", "CREATE TRIGGER on posts, a date table"},
		{"SELECT u.id FROM users u, main_table m LIMIT ROWS EXAMINED 10", "accounts", ""},
		// MySQL forms the parser lacks get a refusal that says what to do.
		{"CHECKSUM TABLE comments", "", "supported only as a statement of its own"},
		{"SELECT id INTO @x FROM comments WHERE entry_id = 3", "", "SELECT @x := id FROM"},
		{"SELECT JSON_ARRAYAGG(DISTINCT author) FROM comments", "", "Use JSON_ARRAYAGG(x) without them"},
		{"SELECT GROUP_CONCAT(author ORDER BY id LIMIT 3) FROM comments", "", "GROUP_CONCAT with LIMIT inside"},
	}
	for _, tt := range tests {
		f := sqlparse.ClassifyFallback(tt.sql)
		if !s.Touches(f) {
			t.Errorf("%s: Touches = false, want true: it names a placed table", tt.sql)
			continue
		}
		p, err := s.Plan(context.Background(), sqlparse.Mode{}, tt.sql, f, nil)
		if tt.refusal != "" {
			var rerr *RoutingError
			if !errors.As(err, &rerr) || !strings.Contains(err.Error(), tt.refusal) {
				t.Errorf("%s: %v, want a refusal containing %q", tt.sql, err, tt.refusal)
			}
			continue
		}
		if err != nil || p.Kind != PlanRelay || len(p.Routes) != 1 || p.Routes[0].Cluster != tt.cluster || !p.Write {
			t.Errorf("%s: plan %+v, %v; want the whole statement on %s's primary", tt.sql, p, err, tt.cluster)
		}
	}
	if s.Touches(sqlparse.ClassifyFallback("SELECT CAST(id AS INT) FROM main_table")) {
		t.Errorf("an unparsed statement naming no placed table is placed")
	}
	// MariaDB's CAST(x AS INT) and OFFSET ... FETCH are planned from
	// MySQL's words for them, as any statement over shards.
	for sql, want := range map[string]string{
		"SELECT CAST(id AS INT) FROM comments WHERE entry_id = 3":                  "AS SIGNED",
		"SELECT id FROM comments ORDER BY id OFFSET 2 ROWS FETCH NEXT 3 ROWS ONLY": "LIMIT 5",
	} {
		p, err := s.Plan(context.Background(), sqlparse.Mode{}, sql, sqlparse.ClassifyFallback(sql), nil)
		if err != nil || p == nil || len(p.Routes) == 0 || !strings.Contains(p.Routes[0].SQL, want) {
			t.Errorf("%s: plan %+v, %v; want shard statements with %s", sql, p, err, want)
		}
	}
}

// MariaDB's extensions the parser lacks run over several shards where the
// shards compute them whole and Strata merges the rows as they are: each
// shard gets the client's call; anything the merge would fold, filter or
// sort by is refused.
func TestShardPlanStandInsOverShards(t *testing.T) {
	s := testSharding(t)
	tests := []struct {
		sql     string
		call    string // in every shard's statement; "" when refused
		refusal string
	}{
		{"SELECT entry_id, GROUP_CONCAT(id ORDER BY id DESC LIMIT 3) AS last FROM comments GROUP BY entry_id", "GROUP_CONCAT(id ORDER BY id DESC LIMIT 3)", ""},
		{"SELECT entry_id, JSON_ARRAYAGG(DISTINCT author ORDER BY author) FROM comments GROUP BY entry_id ORDER BY entry_id DESC LIMIT 5", "JSON_ARRAYAGG(DISTINCT author ORDER BY author)", ""},
		{"SELECT id, MEDIAN(votes) OVER (PARTITION BY entry_id) AS m FROM comments ORDER BY id", "MEDIAN(votes) OVER (PARTITION BY entry_id)", ""},
		{"SELECT e.id, jt.a FROM entries e, JSON_TABLE(e.tags, '$[*]' COLUMNS (a INT PATH '$')) AS jt ORDER BY e.id", "JSON_TABLE(e.tags, '$[*]' COLUMNS (a INT PATH '$'))", ""},
		// Groups or windows several shards hold.
		{"SELECT GROUP_CONCAT(id LIMIT 3) FROM comments", "", "GROUP_CONCAT with LIMIT inside"},
		{"SELECT author, GROUP_CONCAT(id LIMIT 3) FROM comments GROUP BY author", "", "GROUP_CONCAT with LIMIT inside"},
		{"SELECT id, MEDIAN(votes) OVER () FROM comments", "", "MEDIAN, PERCENTILE_CONT"},
		{"SELECT id, MEDIAN(votes) OVER (PARTITION BY author) FROM comments", "", "MEDIAN, PERCENTILE_CONT"},
		// Sorted, de-duplicated or filtered in Strata by a call's value.
		{"SELECT entry_id, GROUP_CONCAT(id LIMIT 3) AS g FROM comments GROUP BY entry_id ORDER BY g", "", "GROUP_CONCAT with LIMIT inside"},
		{"SELECT DISTINCT JSON_ARRAYAGG(DISTINCT votes) FROM comments GROUP BY entry_id", "", "JSON_ARRAYAGG with DISTINCT"},
		{"SELECT e.id, jt.a FROM entries e, JSON_TABLE(e.tags, '$[*]' COLUMNS (a INT PATH '$')) AS jt ORDER BY jt.a", "", "JSON_TABLE beside entries"},
		{"SELECT e.id, a FROM entries e, JSON_TABLE(e.tags, '$[*]' COLUMNS (a INT PATH '$')) AS jt ORDER BY a", "", "JSON_TABLE beside entries"},
		// Each shard's server would write a file of its own.
		{"SELECT body FROM comments WHERE entry_id = 1 INTO DUMPFILE '/tmp/x'", "", "INTO DUMPFILE from comments"},
		{"SELECT jt.a, COUNT(*) FROM entries e, JSON_TABLE(e.tags, '$[*]' COLUMNS (a INT PATH '$')) AS jt GROUP BY jt.a", "", "JSON_TABLE beside entries"},
	}
	for _, tt := range tests {
		p, err := s.Plan(context.Background(), sqlparse.Mode{}, tt.sql, sqlparse.ClassifyFallback(tt.sql), nil)
		if tt.call == "" {
			var rerr *RoutingError
			if !errors.As(err, &rerr) || !strings.Contains(err.Error(), tt.refusal) {
				t.Errorf("%s: %v, want a refusal containing %q", tt.sql, err, tt.refusal)
			}
			continue
		}
		if err != nil || p.Kind != PlanMerge || len(p.Routes) < 2 {
			t.Errorf("%s: plan %+v, %v; want a merge over the shards", tt.sql, p, err)
			continue
		}
		for _, r := range p.Routes {
			if !strings.Contains(r.SQL, tt.call) || strings.Contains(r.SQL, "strata-stand-in") {
				t.Errorf("%s: %s runs %s, want the client's %s", tt.sql, r.Cluster, r.SQL, tt.call)
			}
		}
	}
}

// An UPDATE that sets the shard key to a constant runs in place when the
// new key belongs to the shard the rows are on; otherwise the rows matched
// on other shards move to the new key's shard, whose own rows are updated
// in place.
func TestShardPlanKeyChange(t *testing.T) {
	s := testSharding(t)
	for _, tt := range []struct {
		sql      string
		kind     PlanKind
		clusters []string // routes, the destination last when it matched no rows
		sources  []string // where rows move from
		dest     string
	}{
		// 9 % 3 and 3 % 3 are both s0: nothing moves.
		{"UPDATE comments SET entry_id = 9, body = 'x' WHERE entry_id = 3", PlanRelay, []string{"s0"}, nil, ""},
		{"UPDATE comments SET entry_id = 10 WHERE entry_id = 3", PlanWrite, []string{"s0", "s1"}, []string{"s0"}, "s1"},
		// Without the key in WHERE every shard may hold matching rows.
		{"UPDATE comments SET body = 'y', entry_id = 5 WHERE id = 7", PlanWrite, []string{"s0", "s1", "s2"}, []string{"s0", "s1"}, "s2"},
		{"UPDATE events SET id = 1500 WHERE id IN (5, 2500)", PlanWrite, []string{"s0", "s2", "s1"}, []string{"s0", "s2"}, "s1"},
		{"UPDATE members SET username = 'zoe' WHERE username = 'adam'", PlanWrite, []string{"s0", "s1"}, []string{"s0"}, "s1"},
	} {
		p, err := plan(t, s, tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if p.Kind != tt.kind || !slices.Equal(routeClusters(p), tt.clusters) {
			t.Fatalf("%s: plan %s on %v, want %s on %v (%s)", tt.sql, p.Kind, routeClusters(p), tt.kind, tt.clusters, p.Reason)
		}
		if tt.dest == "" {
			if p.Move != nil {
				t.Fatalf("%s: moves rows to %s; the new key belongs to the rows' own shard", tt.sql, p.Move.Dest)
			}
			continue
		}
		m := p.Move
		if m == nil || m.Dest != tt.dest || !slices.Equal(m.Sources(p), tt.sources) {
			t.Fatalf("%s: move %+v, want from %v to %s", tt.sql, m, tt.sources, tt.dest)
		}
		sel, err := m.Select(tt.sources[0], []string{"`id`", "`entry_id`"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sel, "SELECT `id`, `entry_id` FROM ") || !strings.HasSuffix(sel, " FOR UPDATE") || !strings.Contains(sel, " WHERE ") {
			t.Errorf("%s: the rows that move are read by %q", tt.sql, sel)
		}
		if !strings.HasPrefix(m.Update, "UPDATE ") || strings.Contains(m.Update, "WHERE") {
			t.Errorf("%s: the moved rows' UPDATE %q must keep the SET and lose the WHERE", tt.sql, m.Update)
		}
	}
}

// A prepared UPDATE's bound values route the new key and are in the
// statements Strata runs for the moved rows.
func TestShardPlanKeyChangeBound(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "UPDATE comments SET entry_id = ?, body = ? WHERE entry_id = ?", "10", "'moved'", "3")
	if err != nil {
		t.Fatal(err)
	}
	m := p.Move
	if m == nil || m.Dest != "s1" || !slices.Equal(m.Sources(p), []string{"s0"}) {
		t.Fatalf("move %+v, want from s0 to s1", m)
	}
	if !strings.Contains(m.Update, "`entry_id`=10") || !strings.Contains(m.Update, "'moved'") {
		t.Errorf("the moved rows' UPDATE %q lacks the bound values", m.Update)
	}
	sel, err := m.Select("s0", nil)
	if err != nil || !strings.Contains(sel, "`entry_id`=3") {
		t.Errorf("the rows that move are read by %q (%v), want the bound key 3", sel, err)
	}
}

// A schema change naming a placed table and a table that lives elsewhere
// is refused with what to do for its own form, not the message about
// joins; one whose tables live together still runs.
func TestDDLApartRefusals(t *testing.T) {
	s := testSharding(t)
	for _, tt := range []struct{ sql, want string }{
		{"RENAME TABLE comments TO comments_old", "renaming comments, a sharded table, is not supported: the config places the table by its name"},
		{"ALTER TABLE countries RENAME TO nations", "renaming countries, a reference table"},
		{"RENAME TABLE users TO users_old", "renaming users, a table of cluster accounts"},
		{"CREATE TABLE c2 AS SELECT * FROM comments", "CREATE TABLE c2 ... SELECT from comments, a sharded table, is not supported"},
		{"CREATE TABLE c3 LIKE events", "CREATE TABLE c3 LIKE events, a sharded table, is not supported"},
		{"CREATE VIEW v AS SELECT * FROM comments WHERE entry_id = 3", "a view over comments, a sharded table, is not supported"},
		{"CREATE TABLE ref (id INT, cid INT, FOREIGN KEY (cid) REFERENCES countries (id))", "a FOREIGN KEY to a table on other servers"},
		{"DROP TABLE comments, blogs", "DROP TABLE of comments, a sharded table, together with blogs"},
		{"CREATE VIEW v2 AS SELECT * FROM users", "a view over users, a table of cluster accounts"},
		{"CREATE TABLE p2 LIKE profiles", "CREATE TABLE p2 LIKE profiles, a table of cluster accounts"},
	} {
		_, err := plan(t, s, tt.sql)
		var rerr *RoutingError
		if !errors.As(err, &rerr) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want a routing error containing %q", tt.sql, err, tt.want)
		}
	}
	for _, sql := range []string{"RENAME TABLE blogs TO blogs_old", "CREATE TABLE b2 LIKE blogs", "ALTER TABLE comments ADD COLUMN x INT"} {
		if _, err := plan(t, s, sql); err != nil {
			t.Errorf("%s: %v, want it planned", sql, err)
		}
	}
}

// A table's privileges go where the table is: a table group's cluster;
// on a sharded table GRANT is refused.
func TestGrantOnPlacedTables(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "GRANT SELECT ON users TO 'u'@'%'")
	if err != nil || !slices.Equal(routeClusters(p), []string{"accounts"}) {
		t.Errorf("GRANT on users (cluster accounts): %v, %v; want it run on accounts", p, err)
	}
	var rerr *RoutingError
	if _, err := plan(t, s, "REVOKE INSERT ON comments FROM 'u'@'%'"); !errors.As(err, &rerr) || !strings.Contains(err.Error(), "GRANT or REVOKE on comments, a sharded table") {
		t.Errorf("REVOKE on sharded comments: %v, want refused", err)
	}
}

// An UPDATE or DELETE with ORDER BY columns and LIMIT that no shard order
// gives selects each shard's candidates first (TopOrder): the SELECT of
// its ORDER BY columns over the rows it would write, in order, up to the
// LIMIT, locked; the write itself keeps a LIMIT Strata can lower.
func TestTopOrderWritePlan(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "UPDATE entries SET score = ? WHERE score > ? ORDER BY title DESC, id LIMIT ?", "1", "5", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !p.LimitWalk || p.Limit != 3 || !slices.Equal(p.TopOrder, []bool{true, false}) || len(p.Routes) < 2 {
		t.Fatalf("plan %+v, want a TopOrder walk of LIMIT 3 over every shard", p)
	}
	for _, r := range p.Routes {
		if want := "SELECT `title`,`id` FROM `entries` WHERE `score`>5 ORDER BY `title` DESC,`id` LIMIT 3 FOR UPDATE"; r.Candidates != want {
			t.Errorf("%s: candidates %q, want %q", r.Cluster, r.Candidates, want)
		}
		if got := r.WithLimit(1, p.Limit); !strings.HasSuffix(got, "ORDER BY `title` DESC,`id` LIMIT 1") {
			t.Errorf("%s: the write with its share of the LIMIT: %q", r.Cluster, got)
		}
	}
	// EXPLAIN STRATA says so.
	if steps := MergeSteps(p); len(steps) != 1 || !strings.Contains(steps[0], "FOR UPDATE; merge them by the ORDER BY") {
		t.Errorf("EXPLAIN STRATA steps %q", steps)
	}
}

// ORDER BY expressions (a batch purge by age, a text key folded) select
// the expressions as candidates, with their placeholders bound, and carry
// what each text expression's collation comes from, which the server
// does not report.
func TestTopOrderWriteByExpressions(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "DELETE FROM entries WHERE score > 0 ORDER BY ABS(score - ?) DESC, LOWER(title), id LIMIT 2", "7")
	if err != nil {
		t.Fatal(err)
	}
	if !p.LimitWalk || !slices.Equal(p.TopOrder, []bool{true, false, false}) || len(p.TopSources) != 3 {
		t.Fatalf("plan %+v, want a TopOrder walk with a source per ORDER BY item", p)
	}
	if p.TopSources[2] != nil {
		t.Errorf("the plain column id has source %+v, want none", p.TopSources[2])
	}
	if src := p.TopSources[1]; src == nil || len(src.Columns) != 1 || src.Columns[0].Column != "title" || src.Opaque {
		t.Errorf("LOWER(title) has source %+v, want title's collation", src)
	}
	want := "SELECT ABS(`score`-7),LOWER(`title`),`id` FROM `entries` WHERE `score`>0 ORDER BY ABS(`score`-7) DESC,LOWER(`title`),`id` LIMIT 2 FOR UPDATE"
	if got := p.Routes[0].Candidates; got != want {
		t.Errorf("candidates %q, want %q", got, want)
	}
}

// A prepared write with RETURNING binds its values to the write's
// placeholders first, then to the clause's, as the server does: each
// route's text carries the clause with its values, the template keeps
// the placeholders for the shard's own EXECUTE.
func TestReturningBindsItsOwnPlaceholders(t *testing.T) {
	s := testSharding(t)
	tests := []struct {
		sql      string
		args     []string
		clusters []string
		sqlHas   []string // in the first route's SQL
		template string   // the first route's template, "" for none
	}{
		{"INSERT INTO events (id, kind) VALUES (?, 'a'), (?, 'b') RETURNING id, ? AS tag", []string{"5", "1500", "'t'"},
			[]string{"s0", "s1"}, []string{"(5,'a')", "RETURNING id, 't' AS tag"}, ""},
		{"DELETE FROM events WHERE id = ? RETURNING id + ?", []string{"5", "1"},
			[]string{"s0"}, []string{"5", "RETURNING id + 1"}, "DELETE FROM `events` WHERE `id`=? RETURNING id + ?"},
		// A period table has no alias: the clause's qualifier names it
		// (Django's INSERT ... RETURNING posts.id).
		{"INSERT INTO posts (id, created_at) VALUES (?, ?) RETURNING posts.id, `posts`.created_at", []string{"7", "'2024-05-03 10:00:00'"},
			[]string{"s1"}, []string{"INSERT INTO `posts_2024_05`", "RETURNING `posts_2024_05`.id, `posts_2024_05`.created_at"},
			"INSERT INTO `posts_2024_05` (`id`,`created_at`) VALUES (?,?) RETURNING `posts_2024_05`.id, `posts_2024_05`.created_at"},
		{"DELETE FROM posts WHERE created_at = ? RETURNING posts.id", []string{"'2024-02-01 00:00:00'"},
			[]string{"s0"}, []string{"RETURNING `posts_2024_02`.id"}, "DELETE FROM `posts_2024_02` WHERE `created_at`=? RETURNING `posts_2024_02`.id"},
	}
	for _, tt := range tests {
		facts, _ := sqlparse.ParseOrFallback(tt.sql) // the TiDB grammar lacks RETURNING: read without it
		if facts[0].Returning == "" {
			t.Fatalf("%s: read without its RETURNING clause", tt.sql)
		}
		p, err := s.Plan(context.Background(), sqlparse.Mode{}, tt.sql, facts[0], tt.args)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if !p.Returning || !slices.Equal(routeClusters(p), tt.clusters) {
			t.Fatalf("%s: plan on %v (returning %v), want on %v", tt.sql, routeClusters(p), p.Returning, tt.clusters)
		}
		for _, want := range tt.sqlHas {
			if !strings.Contains(p.Routes[0].SQL, want) {
				t.Errorf("%s: route SQL %q lacks %q", tt.sql, p.Routes[0].SQL, want)
			}
		}
		if p.Routes[0].Template != tt.template {
			t.Errorf("%s: template %q, want %q", tt.sql, p.Routes[0].Template, tt.template)
		}
	}
}

// A DISTINCT aggregate whose argument follows the group keys in the
// shards' merge order sees equal values together and keeps only the last
// (no memory per value); a second one, whose values interleave, keeps a
// set. A walk or a concatenation promises no such order.
func TestDistinctAggregateOverSortedRowsKeepsNoSet(t *testing.T) {
	s := testSharding(t)
	tests := []struct {
		sql    string
		sorted []bool // by DISTINCT aggregate, in select-list order
	}{
		{"SELECT user_id, COUNT(DISTINCT body) FROM comments GROUP BY user_id", []bool{true}},
		{"SELECT COUNT(DISTINCT user_id) FROM comments", []bool{true}},
		{"SELECT COUNT(DISTINCT user_id), SUM(DISTINCT id) FROM comments", []bool{true, false}},
		{"SELECT user_id, AVG(DISTINCT id), COUNT(DISTINCT body) FROM comments GROUP BY user_id", []bool{true, false}},
	}
	for _, tt := range tests {
		p, err := plan(t, s, tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		sel := p.Select.Resolve(64)
		outs := aggOutputs(sel, 64, true)
		var got []bool
		for _, a := range sel.Aggs {
			switch a.Func {
			case sqlparse.AggCountDistinct, sqlparse.AggSumDistinct, sqlparse.AggAvgDistinct:
				got = append(got, outs[a.Col].Sorted)
			}
		}
		if !slices.Equal(got, tt.sorted) {
			t.Errorf("%s: sorted = %v, want %v", tt.sql, got, tt.sorted)
		}
		for _, o := range aggOutputs(sel, 64, false) {
			if o.Sorted {
				t.Errorf("%s: a DISTINCT aggregate over rows not merged in order is marked sorted", tt.sql)
			}
		}
	}
}

// A write to a sharded table whose key type is not known yet has the
// table learned before it is planned (LearnTables), with the layout it
// is planned by; reads, schema changes and tables learned already do not
// wait for it.
func TestWritesLearnUnknownTablesFirst(t *testing.T) {
	s := testSharding(t)
	s.RefineLayout(s.Layout(), s.Layout().WithKeyTypes(map[string]shard.KeyColumn{"likes": {Type: shard.KeyTypeInteger}}))
	var asked [][]string
	s.LearnTables = func(_ context.Context, l *shard.Layout, tables []*shard.Table) error {
		var names []string
		for _, tb := range tables {
			names = append(names, tb.Name)
		}
		asked = append(asked, names)
		if l != s.Layout() {
			t.Errorf("learning %v with another layout than the one in force", names)
		}
		return nil
	}
	for _, tt := range []struct {
		sql   string
		asked string
	}{
		{"INSERT INTO comments (entry_id, body) VALUES (1, 'a')", "[[comments]]"},
		{"UPDATE comments SET body = 'b' WHERE entry_id = 1", "[[comments]]"},
		{"DELETE FROM events WHERE id = 5", "[[events]]"},
		{"REPLACE INTO comments (id, entry_id) VALUES (1, 1)", "[[comments]]"},
		{"LOAD DATA LOCAL INFILE 'c.csv' INTO TABLE comments (id, entry_id)", "[[comments]]"},
		{"UPDATE comments c JOIN events e ON e.id = c.entry_id SET c.body = e.name, e.name = 'x' WHERE c.entry_id = 1", "[[comments events]]"},
		{"INSERT INTO likes (entry_id) VALUES (1)", "[]"},    // learned
		{"INSERT INTO users (id) VALUES (1)", "[]"},          // a table group's: no key
		{"INSERT INTO countries (code) VALUES ('fr')", "[]"}, // reference
		{"SELECT * FROM comments WHERE entry_id = 1", "[]"},  // a read
		{"ALTER TABLE comments ADD COLUMN note INT", "[]"},   // learned after it
	} {
		asked = nil
		plan(t, s, tt.sql)
		if got := fmt.Sprint(asked); got != tt.asked {
			t.Errorf("%s: learned %s first, want %s", tt.sql, got, tt.asked)
		}
	}
}

// An INSERT whose row has more or fewer values than its column list
// gets MariaDB's error (1136, SQLSTATE 21S01), not a refusal about a
// key or unique: value Strata looked for where the row has none.
func TestInsertValueCountIsTheServersError(t *testing.T) {
	s := testSharding(t)
	for _, sql := range []string{
		"INSERT INTO comments (id, entry_id, body) VALUES (1, 2)",
		"INSERT INTO comments (id, entry_id) VALUES (1, 2), (3, 4, 5)",
		"INSERT INTO comments (entry_id, id) VALUES (1)",
	} {
		_, err := plan(t, s, sql)
		var werr *wire.Error
		if !errors.As(err, &werr) || werr.Code != 1136 || werr.State != "21S01" || !strings.HasPrefix(werr.Message, "Column count doesn't match value count at row ") {
			t.Errorf("%s: %v, want error 1136 (21S01)", sql, err)
		}
	}
}
