package planner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/shard"
)

// A statement without the shard key that sets a unique: column equal to
// a value names the one row it can touch (ShardPlan.Locate), where the
// comparison is the unique key's own: a value of the column's kind, of
// an integer or text column, the only table of the statement, not while
// its rows move between shards.
func TestShardPlanLocatesTheRowOfAUniqueValue(t *testing.T) {
	l := notesLayout(t)
	s := NewSharding(l)
	for _, tt := range []struct {
		sql  string
		args []string
		want string // column=value; "" for none
	}{
		{"UPDATE notes2 SET body = 'x' WHERE id = 7", nil, "id=7"},
		{"DELETE FROM notes2 WHERE id = ?", []string{"7"}, "id=7"},
		{"SELECT * FROM notes2 WHERE id = ? LIMIT 1 FOR UPDATE", []string{"'7'"}, "id=7"},
		{"SELECT * FROM notes2 n WHERE n.id = 00007 AND body > 'a'", nil, "id=7"},
		{"UPDATE notes2 SET body = 'x' WHERE email = 'Ann@example.com'", nil, "email=Ann@example.com"},
		{"UPDATE notes2 SET body = 'x' WHERE email = ?", []string{"'ann@example.com'"}, "email=ann@example.com"},
		// With the shard key, the statement has its shard already.
		{"UPDATE notes2 SET body = 'x' WHERE id = 7 AND owner = 2", nil, ""},
		// A number against a text column matches every spelling of it
		// ('5', '05', 'x' for 0): not one row.
		{"UPDATE notes2 SET body = 'x' WHERE email = 0", nil, ""},
		{"UPDATE notes2 SET body = 'x' WHERE email = ?", []string{"5"}, ""},
		// A quoted number of more digits than a double holds exactly.
		{"UPDATE notes2 SET body = 'x' WHERE id = '12345678901234567'", nil, ""},
		{"UPDATE notes2 SET body = 'x' WHERE id = 12345678901234567", nil, "id=12345678901234567"},
		// Not a column kept unique alone, or of a type not compared so.
		{"UPDATE notes2 SET body = 'x' WHERE site = 3", nil, ""},
		{"UPDATE notes2 SET body = 'x' WHERE made = '2024-06-01'", nil, ""},
		{"UPDATE notes2 SET body = 'x' WHERE body = 'a'", nil, ""},
		// No one value.
		{"UPDATE notes2 SET body = 'x' WHERE id IN (7, 8)", nil, ""},
		{"UPDATE notes2 SET body = 'x' WHERE id IN (7, '7')", nil, "id=7"}, // one value
		{"UPDATE notes2 SET body = 'x' WHERE id = NULL", nil, ""},
		{"UPDATE notes2 SET body = 'x' WHERE id > 7", nil, ""},
		// Another table in the statement.
		{"SELECT * FROM notes2 JOIN countries c ON c.id = notes2.id WHERE notes2.id = 7", nil, ""},
	} {
		p, err := plan(t, s, tt.sql, tt.args...)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		got := ""
		if p.Locate != nil {
			if p.Locate.Table != "notes2" {
				t.Errorf("%s: located in table %q", tt.sql, p.Locate.Table)
			}
			got = p.Locate.Column + "=" + p.Locate.Value
		}
		if got != tt.want {
			t.Errorf("%s %v: Locate %q, want %q", tt.sql, tt.args, got, tt.want)
		}
	}

	// While the table's rows move between shards, a row may be on two.
	moving, err := shard.NewMoving(l.Table("notes2").Method, l.Table("notes2").Method, shard.IntegerOrder)
	if err != nil {
		t.Fatal(err)
	}
	ml, err := l.WithMethod("notes2", moving)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan(t, NewSharding(ml), "UPDATE notes2 SET body = 'x' WHERE id = 7")
	if err != nil || p.Locate != nil {
		t.Errorf("while moving: Locate %+v (%v), want none", p.Locate, err)
	}
}

// A statement that lists values of a unique: column in an IN list, and
// not its shard key, names a row per value (ShardPlan.LocateEach), each
// keyed as an equality's value is.
func TestShardPlanLocatesTheRowsOfAnInList(t *testing.T) {
	s := NewSharding(notesLayout(t))
	for _, tt := range []struct {
		sql  string
		args []string
		want []string // column=value
	}{
		{"SELECT * FROM notes2 WHERE id IN (7, 8, 007)", nil, []string{"id=7", "id=8"}},
		{"SELECT body FROM notes2 n WHERE n.id IN (?, ?) ORDER BY body", []string{"'9'", "10"}, []string{"id=9", "id=10"}},
		{"SELECT * FROM notes2 WHERE email IN ('a@x', 'B@x')", nil, []string{"email=a@x", "email=B@x"}},
		{"DELETE FROM notes2 WHERE id IN (7, 8)", nil, []string{"id=7", "id=8"}},
		// An equality is located alone.
		{"SELECT * FROM notes2 WHERE id IN (7, 8) AND email = 'a@x'", nil, nil},
		// A value that names no row of its own: every one, or none.
		{"SELECT * FROM notes2 WHERE id IN (7, NULL)", nil, nil},
		{"SELECT * FROM notes2 WHERE email IN ('a@x', 0)", nil, nil},
		{"SELECT * FROM notes2 WHERE id IN (7, '12345678901234567')", nil, nil},
		// With the shard key; not a unique: column; NOT IN.
		{"SELECT * FROM notes2 WHERE id IN (7, 8) AND owner = 2", nil, nil},
		{"SELECT * FROM notes2 WHERE site IN (7, 8)", nil, nil},
		{"SELECT * FROM notes2 WHERE id NOT IN (7, 8)", nil, nil},
	} {
		p, err := plan(t, s, tt.sql, tt.args...)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		var got []string
		for _, k := range p.LocateEach {
			if k.Table != "notes2" {
				t.Errorf("%s: located in table %q", tt.sql, k.Table)
			}
			got = append(got, k.Column+"="+k.Value)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %v: LocateEach %q, want %q", tt.sql, tt.args, got, tt.want)
		}
	}
}

// An INSERT into a table with unique: columns says which shard each
// value's row goes to (ShardPlan.Places), keyed as a WHERE's value is.
func TestShardPlanPlacesTheRowsOfUniqueValues(t *testing.T) {
	l := notesLayout(t)
	s := NewSharding(l)
	for _, tt := range []struct {
		sql  string
		args []string
		want []string // column=value@shard
	}{
		{"INSERT INTO notes2 (id, owner, email, made, site, slug) VALUES (7, 1, 'a@x', '2024-06-01', 3, 'x'), (8, 2, NULL, NULL, NULL, NULL)", nil,
			[]string{"id=7@s1", "email=a@x@s1", "id=8@s2"}},
		{"INSERT INTO notes2 (id, owner, email) VALUES (?, ?, ?)", []string{"9", "5", "'b@x'"}, []string{"id=9@s2", "email=b@x@s2"}},
		// One value on two shards is a duplicate, refused when checked.
		{"INSERT INTO notes2 (id, owner) VALUES (10, 1), (10, 2)", nil, nil},
		{"UPDATE notes2 SET email = 'c@x' WHERE id = 7", nil, nil},
	} {
		p, err := plan(t, s, tt.sql, tt.args...)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		got := placesOf(p)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %v: places %q, want %q", tt.sql, tt.args, got, tt.want)
		}
	}
}

// Ids a sequence fills in are unique: where unique: lists their column,
// an INSERT says which shard each id's row goes to, at no check's cost.
func TestShardPlanPlacesSequenceIDs(t *testing.T) {
	l := layoutOf(t, strings.Replace(shardConfig,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}`,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}
  notes2: {shard_key: owner, method: modulo, shards: [s0, s1, s2], unique: [id], sequence: {column: id, name: entries_seq}}
  notes3: {shard_key: owner, method: modulo, shards: [s0, s1, s2], sequence: {column: id, name: entries_seq}}`, 1))
	l = l.WithKeyTypes(map[string]shard.KeyColumn{"notes2": {Type: shard.KeyTypeInteger, UniqueColumns: map[string]shard.UniqueColumn{
		"id": {Type: shard.KeyTypeInteger}}}, "notes3": {Type: shard.KeyTypeInteger}})
	s := NewSharding(l)
	next := int64(100)
	s.NextID = func(context.Context, string) (int64, error) { next++; return next, nil }
	for _, tt := range []struct {
		sql  string
		want []string
	}{
		{"INSERT INTO notes2 (owner, body) VALUES (1, 'a'), (2, 'b')", []string{"id=101@s1", "id=102@s2"}},
		{"INSERT INTO notes2 (id, owner, body) VALUES (NULL, 4, 'a')", []string{"id=103@s1"}},
		{"INSERT INTO notes2 (id, owner, body) VALUES (5, 2, 'a')", []string{"id=5@s2"}}, // its own id, checked
		{"INSERT INTO notes3 (owner, body) VALUES (1, 'a')", nil},                        // id not in unique:
	} {
		p, err := plan(t, s, tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		if got := placesOf(p); !slices.Equal(got, tt.want) {
			t.Errorf("%s: places %q, want %q", tt.sql, got, tt.want)
		}
	}
}

// placesOf is p's Places as column=value@shard, sorted.
func placesOf(p *ShardPlan) []string {
	var out []string
	for _, pl := range p.Places {
		out = append(out, pl.Key.Column+"="+pl.Key.Value+"@"+pl.Shard)
	}
	slices.Sort(out)
	return out
}

// notesLayout is the test config with notes2, sharded by owner, whose
// id, email, made, and site with slug are unique across its shards, and
// the types of those columns learned.
func notesLayout(t *testing.T) *shard.Layout {
	t.Helper()
	l := layoutOf(t, strings.Replace(shardConfig,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}`,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}
  notes2: {shard_key: owner, method: modulo, shards: [s0, s1, s2], unique: [id, email, made, [site, slug]]}`, 1))
	l = l.WithKeyTypes(map[string]shard.KeyColumn{"notes2": {Type: shard.KeyTypeInteger, UniqueColumns: map[string]shard.UniqueColumn{
		"id": {Type: shard.KeyTypeInteger}, "email": {Type: shard.KeyTypeText}, "made": {Type: shard.KeyTypeOther},
		"site": {Type: shard.KeyTypeInteger}, "slug": {Type: shard.KeyTypeText},
	}}})
	return l
}

// An UPDATE that gives a unique: column a value names the row it changes
// by it (ShardPlan.Updated), keyed as a WHERE's value is.
func TestShardPlanNamesTheUpdatedValues(t *testing.T) {
	s := NewSharding(notesLayout(t))
	for _, tt := range []struct {
		sql  string
		args []string
		want []string
	}{
		{"UPDATE notes2 SET email = 'c@x', body = 'b' WHERE id = 7", nil, []string{"email=c@x"}},
		{"UPDATE notes2 SET id = ?, email = NULL WHERE owner = 1", []string{"'00012'"}, []string{"id=12"}},
		{"UPDATE notes2 SET site = 3, slug = 'a' WHERE id = 7", nil, nil}, // a key of two columns
		{"UPDATE notes2 SET made = '2024-06-01' WHERE id = 7", nil, nil},  // a type not located
		{"UPDATE notes2 SET body = 'b' WHERE id = 7", nil, nil},
		{"INSERT INTO notes2 (id, owner) VALUES (8, 1)", nil, nil}, // its Places
	} {
		p, err := plan(t, s, tt.sql, tt.args...)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		var got []string
		for _, k := range p.Updated {
			got = append(got, k.Column+"="+k.Value)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %v: updated %q, want %q", tt.sql, tt.args, got, tt.want)
		}
	}
}

func TestShardPlanOnClusters(t *testing.T) {
	p := &ShardPlan{Kind: PlanWrite, Write: true, Routes: []ShardRoute{{Cluster: "s0", SQL: "a"}, {Cluster: "s1", SQL: "b"}, {Cluster: "s1", SQL: "c"}, {Cluster: "s2", SQL: "d"}}}
	tests := []struct {
		clusters []string
		want     []string // the routes' SQL; nil: no plan
	}{
		{[]string{"s1"}, []string{"b", "c"}},
		{[]string{"s2", "s0"}, []string{"a", "d"}},
		{[]string{"s9"}, nil},
	}
	for _, tt := range tests {
		got := p.OnClusters(tt.clusters...)
		if tt.want == nil {
			if got != nil {
				t.Errorf("OnClusters(%v) = %+v, want nil", tt.clusters, got)
			}
			continue
		}
		var sqls []string
		for _, r := range got.Routes {
			sqls = append(sqls, r.SQL)
		}
		if !slices.Equal(sqls, tt.want) || got.Kind != PlanWrite || !got.Write {
			t.Errorf("OnClusters(%v) = %+v, want routes %v", tt.clusters, got, tt.want)
		}
	}
	if len(p.Routes) != 4 {
		t.Fatal("OnClusters changed the plan")
	}
}
