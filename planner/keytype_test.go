package planner

import (
	"slices"
	"strings"
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
		{"SELECT * FROM entries WHERE id = '\t42\n'", all("entries"), []string{shardOf("entries", shard.Int(42))}},
		// MariaDB skips ASCII white space only: after a no-break space
		// the text is 0, so it scatters.
		{"SELECT * FROM entries WHERE id = '\u00a042'", all("entries"), all("entries")},
		{"SELECT * FROM entries WHERE id = '42\u3000'", all("entries"), all("entries")},
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
		// 0x2A and b'101010' are 42 to an integer key and bytes to a text
		// one, so they wait for the key's type; X'2A' is the string '*'
		// to both.
		{"SELECT * FROM entries WHERE id = 0x2A", all("entries"), []string{shardOf("entries", shard.Int(42))}},
		{"SELECT * FROM entries WHERE id = b'101010'", all("entries"), []string{shardOf("entries", shard.Int(42))}},
		{"SELECT * FROM entries WHERE id IN (0x2A, 7)", all("entries"), []string{shardOf("entries", shard.Int(42)), shardOf("entries", shard.Int(7))}},
		{"SELECT * FROM entries WHERE id = X'2A'", []string{shardOf("entries", shard.String("*"))}, all("entries")},
		{"SELECT * FROM entries WHERE id = _binary 0x2A", []string{shardOf("entries", shard.String("*"))}, all("entries")},
		{"INSERT INTO entries (id, title) VALUES (0x2A, 'x')", nil, []string{shardOf("entries", shard.Int(42))}},
		{"SELECT * FROM members WHERE username = 0x616263", nil, []string{shardOf("members", shard.String("abc"))}},
		{"INSERT INTO members (username) VALUES (0x616263)", nil, []string{shardOf("members", shard.String("abc"))}},
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

// A range of a key_range key narrows to shards, and an ORDER BY key LIMIT
// walks shards in key order, only when the shards' order is the server's:
// a _bin key placed by bytes, or a key_collation equal to the column's.
// Under a _ci column placed by bytes, 'Nancy' sorts among the n's but is
// stored below "n" with the capitals: the range scatters, and the
// ordered LIMIT merges every shard.
func TestKeyRangeNarrowsOnlyInTheServersOrder(t *testing.T) {
	layout := func(keyCollation, learned string) *shard.Layout {
		yaml := strings.Replace(shardConfig, "key_collation: utf8mb4_bin, ", keyCollation, 1)
		yaml = strings.Replace(yaml, ", scatter: deny}", "}", 1)
		l := layoutOf(t, yaml)
		if learned != "" {
			l = l.WithKeyTypes(map[string]shard.KeyColumn{"members": {Type: shard.KeyTypeText, Collation: learned}})
		}
		return l
	}
	cases := []struct {
		name                  string
		keyCollation, learned string
		narrowed              bool
	}{
		{"bytes, collation not learned yet", "", "", false},
		{"bytes, a _ci column", "", "utf8mb4_general_ci", false},
		{"bytes, a _bin column", "", "utf8mb4_bin", true},
		{"key_collation, not learned yet", "key_collation: utf8mb4_general_ci, ", "", true},
		{"key_collation, the column's", "key_collation: utf8mb4_general_ci, ", "utf8mb4_general_ci", true},
		{"key_collation, not the column's", "key_collation: utf8mb4_general_ci, ", "utf8mb4_unicode_ci", false},
	}
	for _, c := range cases {
		s := NewSharding(layout(c.keyCollation, c.learned))
		p, err := plan(t, s, "SELECT * FROM members WHERE username >= 'o' AND username < 'p'")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := len(routeClusters(p)) == 1; got != c.narrowed {
			t.Errorf("%s: a range routed to %v; narrowed to one shard: %v, want %v", c.name, routeClusters(p), got, c.narrowed)
		}
		p, err = plan(t, s, "SELECT * FROM members ORDER BY username LIMIT 3")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.Walk != c.narrowed {
			t.Errorf("%s: ORDER BY username LIMIT 3 walks shards in key order: %v, want %v", c.name, p.Walk, c.narrowed)
		}
	}
}
