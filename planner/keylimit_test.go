package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// A row whose key the column cannot hold as given (an integer past its
// type, a text longer than the column) holds the key the column stores,
// so Strata places it by that key: on the shard a read by the stored key
// reaches. Where the key type is not learned yet, the given key places
// it.
func TestRowsArePlacedByTheKeyTheColumnStores(t *testing.T) {
	config := strings.Replace(shardConfig, "tables:\n", "tables:\n  tags: {shard_key: name, method: hash, shards: {s0: \"-80\", s1: \"80-\"}}\n", 1)
	s := NewSharding(layoutOf(t, config))
	unknown := s.Layout()
	learned := unknown.WithKeyTypes(map[string]shard.KeyColumn{
		"comments": {Type: shard.KeyTypeInteger, Limit: shard.KeyLimitOf("tinyint(4)")},
		"tags":     {Type: shard.KeyTypeText, Limit: shard.KeyLimitOf("varchar(4)")},
	})
	shardOf := func(table string, v shard.Value) string {
		sh, err := unknown.Table(table).Method.ShardFor(v)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	// A text whose first four characters hash to another shard than it.
	long := ""
	for i := 0; long == ""; i++ {
		if c := fmt.Sprint("abcd", i); shardOf("tags", shard.String(c)) != shardOf("tags", shard.String("abcd")) {
			long = c
		}
	}
	if shardOf("comments", shard.Int(128)) == shardOf("comments", shard.Int(127)) {
		t.Fatal("the test needs keys 127 and 128 on different shards")
	}
	cases := []struct {
		sql            string
		args           []string
		given, learned []string
	}{
		{"INSERT INTO comments (entry_id, body) VALUES (128, 'x')", nil, []string{"s2"}, []string{"s1"}},
		{"INSERT IGNORE INTO comments (entry_id, body) VALUES (?, 'x'), (4, 'y')", []string{"'999'"}, []string{"s0", "s1"}, []string{"s1"}},
		{"INSERT INTO comments (entry_id, body) VALUES (-130, 'x')", nil, []string{"s2"}, []string{"s1"}}, // stored as -128
		{"INSERT INTO tags (name) VALUES ('" + long + "')", nil, []string{shardOf("tags", shard.String(long))}, []string{shardOf("tags", shard.String("abcd"))}},
		{"REPLACE INTO tags (name) VALUES (?)", []string{"'" + long + "'"}, []string{shardOf("tags", shard.String(long))}, []string{shardOf("tags", shard.String("abcd"))}},
		{"INSERT INTO tags (name) VALUES ('abcd')", nil, []string{shardOf("tags", shard.String("abcd"))}, []string{shardOf("tags", shard.String("abcd"))}},
	}
	for _, c := range cases {
		for _, side := range []struct {
			name   string
			layout *shard.Layout
			want   []string
		}{{"not learned", unknown, c.given}, {"learned", learned, c.learned}} {
			s.SetLayout(side.layout)
			p, err := plan(t, s, c.sql, c.args...)
			if err != nil {
				t.Errorf("%s (%s): %v", c.sql, side.name, err)
				continue
			}
			if got := slices.Sorted(slices.Values(routeClusters(p))); !slices.Equal(got, side.want) {
				t.Errorf("%s (key type %s): routed to %v, want %v", c.sql, side.name, got, side.want)
			}
		}
	}
	s.SetLayout(learned)
	p, err := plan(t, s, "UPDATE comments SET entry_id = 200 WHERE entry_id = 5")
	if err != nil {
		t.Fatal(err)
	}
	if p.Move == nil || p.Move.Dest != shardOf("comments", shard.Int(127)) {
		t.Errorf("an UPDATE setting the key to 200 in a TINYINT moves rows by %+v, want to the shard of 127", p.Move)
	}
}

// A shard given one row of a multi-row INSERT, a row with a NULL, gets it
// as INSERT ... SELECT, which MariaDB answers as a row of several (a
// NULL in a NOT NULL column stores the zero under a non-strict
// sql_mode), with a column it gives DEFAULT left out of the column list
// (a select list cannot hold DEFAULT); a row without NULL, one with
// DEFAULT(col) of another column, or a group of several rows, goes as
// VALUES.
func TestOneRowOfSeveralWithANullGoesAsSelect(t *testing.T) {
	s := testSharding(t)
	cases := []struct {
		sql     string
		args    []string
		selects []bool // per route, in the order of the rows
	}{
		{"INSERT INTO comments (id, entry_id, body) VALUES (1, 0, NULL), (2, 1, 'b')", nil, []bool{true, false}},
		{"INSERT INTO comments (id, entry_id, body) VALUES (1, 0, ?), (2, 1, ?)", []string{"'a'", "NULL"}, []bool{false, true}},
		{"INSERT INTO comments (id, entry_id, body) VALUES (1, 0, NULL), (2, 3, NULL), (3, 1, 'c')", nil, []bool{false, false}},
		{"INSERT INTO comments (id, entry_id, body) VALUES (DEFAULT, 0, NULL), (2, 1, 'b')", nil, []bool{true, false}},
		{"INSERT INTO comments (id, entry_id, body) VALUES (DEFAULT(id), 0, NULL), (2, 1, 'b')", nil, []bool{true, false}},
		{"INSERT INTO comments (id, entry_id, body) VALUES (DEFAULT(body), 0, NULL), (2, 1, 'b')", nil, []bool{false, false}},
		{"INSERT INTO comments (id, entry_id, body) VALUES (1, 0, NULL)", nil, []bool{false}},
	}
	for _, c := range cases {
		p, err := plan(t, s, c.sql, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if len(p.Routes) != len(c.selects) {
			t.Fatalf("%s: %d routes, want %d", c.sql, len(p.Routes), len(c.selects))
		}
		for i, r := range p.Routes {
			if got := strings.Contains(r.SQL, "SELECT"); got != c.selects[i] || !strings.HasPrefix(r.SQL, "INSERT INTO") {
				t.Errorf("%s: route %d runs %q, want a SELECT %v", c.sql, i, r.SQL, c.selects[i])
			}
		}
	}
	p, err := plan(t, s, "INSERT INTO comments (id, entry_id, body) VALUES (1, 0, NULL), (DEFAULT, 1, NULL)")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Routes) != 2 || !strings.Contains(p.Routes[1].SQL, "(`entry_id`,`body`) SELECT 1,NULL") {
		t.Errorf("a row with DEFAULT runs %+v, want the DEFAULT column left out of the column list", p.Routes)
	}
}

// A date table keyed by a TIMESTAMP places a session's literals by the
// moment they name in its time_zone, as the servers' zone writes it
// (FromZone): the row and the reads of it reach the same period table
// from any zone. A DATETIME key, and a session in the servers' zone, are
// placed as written; a literal the servers cannot read is refused.
func TestTimestampDateKeysArePlacedInTheServersZone(t *testing.T) {
	s := testSharding(t)
	plain := s.Layout()
	stamped := plain.WithKeyTypes(map[string]shard.KeyColumn{"posts": {Type: shard.KeyTypeOther, Limit: shard.KeyLimitOf("timestamp")}})
	var asked []string
	s.FromZone = func(_ context.Context, _ *shard.Table, literal, zone string) (string, error) {
		asked = append(asked, zone+" "+literal)
		if zone != "+02:00" {
			return "", errors.New("unknown zone")
		}
		at, err := time.Parse(time.DateTime, literal)
		if err != nil {
			return "", err
		}
		return at.Add(-2 * time.Hour).Format(time.DateTime), nil
	}
	cases := []struct {
		layout *shard.Layout
		zone   string
		sql    string
		tables []string // nil: refused
	}{
		{stamped, "+02:00", "INSERT INTO posts (id, created_at) VALUES (1, '2024-04-01 01:30:00')", []string{"posts_2024_03"}},
		{stamped, "+02:00", "SELECT * FROM posts WHERE created_at = '2024-04-01 01:30:00'", []string{"posts_2024_03"}},
		{stamped, "+02:00", "SELECT * FROM posts WHERE created_at >= '2024-04-01 00:00:00' AND created_at < '2024-04-01 03:00:00'", []string{"posts_2024_03", "posts_2024_04"}},
		{stamped, "", "SELECT * FROM posts WHERE created_at = '2024-04-01 01:30:00'", []string{"posts_2024_04"}},
		{plain, "+02:00", "SELECT * FROM posts WHERE created_at = '2024-04-01 01:30:00'", []string{"posts_2024_04"}},
		{stamped, "", "SET STATEMENT time_zone = '+02:00' FOR SELECT * FROM posts WHERE created_at = '2024-04-01 01:30:00'", []string{"posts_2024_03"}},
		{stamped, "+02:00", "SET STATEMENT time_zone = DEFAULT FOR SELECT * FROM posts WHERE created_at = '2024-04-01 01:30:00'", []string{"posts_2024_04"}},
		{stamped, "Mars/Olympus", "SELECT * FROM posts WHERE created_at = '2024-04-01 01:30:00'", nil},
	}
	for _, c := range cases {
		s.SetLayout(c.layout)
		_, inner, _ := strings.Cut(c.sql, " FOR ") // SET STATEMENT's facts are its statement's
		if inner == "" {
			inner = c.sql
		}
		facts, err := sqlparse.Parse(inner)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Plan(context.Background(), sqlparse.Mode{}.WithZone(c.zone), c.sql, facts[0], nil)
		if c.tables == nil {
			if err == nil || !strings.Contains(err.Error(), "time_zone Mars/Olympus") {
				t.Errorf("%s in %q: %v, want refused naming the zone", c.sql, c.zone, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s in %q: %v", c.sql, c.zone, err)
		}
		var tables []string
		for _, r := range p.Routes {
			tables = append(tables, r.Tables...)
		}
		if slices.Sort(tables); !slices.Equal(tables, c.tables) {
			t.Errorf("%s in %q: reads %v, want %v", c.sql, c.zone, tables, c.tables)
		}
	}
	if len(asked) == 0 {
		t.Error("FromZone was never asked")
	}
}
