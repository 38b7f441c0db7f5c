package planner

import (
	"slices"
	"testing"

	"github.com/strata-proxy/strata/shard"
)

// Once the key column's type is known, a quoted number routes as MariaDB
// compares it: for an integer key '042' is 42; for a text key it is the
// text '042', and a bare number (which matches '5', '05', ...) scatters.
// Until then such values are not routed: reads scatter, writes are
// refused.
func TestKeyTypeDecidesQuotedNumbers(t *testing.T) {
	s := testSharding(t)
	unknown := s.Layout()
	learned := unknown.WithKeyTypes(map[string]shard.KeyColumn{"entries": {Type: shard.KeyTypeInteger}, "members": {Type: shard.KeyTypeText}, "comments": {Type: shard.KeyTypeInteger}})
	shardOf := func(table string, v shard.Value) string {
		sh, err := unknown.Table(table).Method.ShardFor(v)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	all := func(table string) []string { return unknown.Table(table).Method.Shards() }
	cases := []struct {
		sql     string
		unknown []string // nil: refused
		learned []string
	}{
		{"SELECT * FROM entries WHERE id = '0042'", all("entries"), []string{shardOf("entries", shard.Int(42))}},
		{"SELECT * FROM entries WHERE id = ' +42 '", all("entries"), []string{shardOf("entries", shard.Int(42))}},
		{"SELECT * FROM entries WHERE id = '42'", []string{shardOf("entries", shard.Int(42))}, []string{shardOf("entries", shard.Int(42))}},
		{"SELECT * FROM entries WHERE id = 'abc'", []string{shardOf("entries", shard.String("abc"))}, all("entries")},
		{"SELECT * FROM entries WHERE id = '4.0'", all("entries"), all("entries")},
		{"SELECT * FROM comments WHERE entry_id IN ('07', 8)", all("comments"), []string{shardOf("comments", shard.Int(7)), shardOf("comments", shard.Int(8))}},
		{"INSERT INTO entries (id, title) VALUES ('0042', 'x')", nil, []string{shardOf("entries", shard.Int(42))}},
		{"INSERT INTO members (username) VALUES ('+4917600000')", nil, []string{shardOf("members", shard.String("+4917600000"))}},
		{"UPDATE members SET age = 1 WHERE username = '007'", nil, []string{shardOf("members", shard.String("007"))}},
		{"UPDATE members SET age = 1 WHERE username = 7", nil, nil}, // scatter: deny
		{"INSERT INTO members (username) VALUES (7)", nil, []string{shardOf("members", shard.String("7"))}},
		{"SELECT * FROM members WHERE username >= '05' AND username < '06'", nil, []string{"s0"}},
	}
	for _, c := range cases {
		for _, side := range []struct {
			name   string
			layout *shard.Layout
			want   []string
		}{{"unknown", unknown, c.unknown}, {"learned", learned, c.learned}} {
			s.SetLayout(side.layout)
			p, err := plan(t, s, c.sql)
			if side.want == nil {
				if err == nil {
					t.Errorf("%s (key type %s): routed to %v, want refused", c.sql, side.name, routeClusters(p))
				}
				continue
			}
			if err != nil {
				t.Errorf("%s (key type %s): %v", c.sql, side.name, err)
				continue
			}
			got := routeClusters(p)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(side.want))
			want = slices.Compact(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s (key type %s): routed to %v, want %v", c.sql, side.name, got, want)
			}
		}
	}
}

func TestRefineLayoutLosesToAReload(t *testing.T) {
	s := testSharding(t)
	old := s.Layout()
	reloaded := old.WithKeyTypes(nil)
	s.SetLayout(reloaded)
	if s.RefineLayout(old, old.WithKeyTypes(map[string]shard.KeyColumn{"entries": {Type: shard.KeyTypeInteger}})) {
		t.Fatal("a refinement of the layout before a reload replaced the reloaded one")
	}
	if !s.RefineLayout(reloaded, reloaded.WithKeyTypes(map[string]shard.KeyColumn{"entries": {Type: shard.KeyTypeInteger}})) {
		t.Fatal("refining the current layout failed")
	}
	if kt := s.Layout().Table("entries").KeyType; kt != shard.KeyTypeInteger {
		t.Fatalf("entries key type %s after refining", kt)
	}
}
