package planner

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/shard"
)

// A row that gives no key (leaves the key column out, or gives DEFAULT)
// is placed by the key column's constant default, or, where the column
// is NOT NULL without one, by its type's zero; so is a row that gives a
// NOT NULL key NULL (the zero, not the default). That is what the server
// stores where it takes the row. Where Strata cannot tell (a nullable
// key, a date or lookup table, a key not learned yet) the row is refused.
func TestRowsWithoutAKeyArePlacedByWhatTheColumnStores(t *testing.T) {
	s := NewSharding(layoutOf(t, shardConfig))
	unknown := s.Layout()
	learned := unknown.WithKeyTypes(map[string]shard.KeyColumn{
		"comments": {Type: shard.KeyTypeInteger, StoredAlone: shard.StoredAlone{NotNull: true, Zero: "0"}},
		"members":  {Type: shard.KeyTypeText, StoredAlone: shard.StoredAlone{Default: "'zed'", NotNull: true, Zero: "''"}},
		"likes":    {Type: shard.KeyTypeInteger},
		"posts":    {Type: shard.KeyTypeOther, StoredAlone: shard.StoredAlone{NotNull: true, Zero: "'0000-00-00 00:00:00'"}},
		"orders":   {Type: shard.KeyTypeInteger, StoredAlone: shard.StoredAlone{NotNull: true, Zero: "0"}},
		"events":   {Type: shard.KeyTypeInteger, StoredAlone: shard.StoredAlone{ExprDefault: true, NotNull: true, Zero: "0"}},
	})
	shardOf := func(table string, v shard.Value) []string {
		sh, err := unknown.Table(table).Method.ShardFor(v)
		if err != nil {
			t.Fatal(err)
		}
		return []string{sh}
	}
	cases := []struct {
		sql  string
		args []string
		want []string // nil: refused
	}{
		{"INSERT INTO comments (id, body) VALUES (1, 'x')", nil, shardOf("comments", shard.Int(0))},
		{"INSERT INTO comments (id, entry_id, body) VALUES (1, NULL, 'x')", nil, shardOf("comments", shard.Int(0))},
		{"INSERT INTO comments (id, entry_id, body) VALUES (1, ?, 'x')", []string{"NULL"}, shardOf("comments", shard.Int(0))},
		{"INSERT INTO comments (id, entry_id, body) VALUES (1, DEFAULT, 'x'), (2, 1, 'y')", nil, slices.Sorted(slices.Values(append(shardOf("comments", shard.Int(0)), shardOf("comments", shard.Int(1))...)))},
		{"INSERT INTO members (email) VALUES ('x')", nil, shardOf("members", shard.String("zed"))},
		{"INSERT INTO members (username, email) VALUES (DEFAULT(username), 'x')", nil, shardOf("members", shard.String("zed"))},
		{"INSERT INTO members (username, email) VALUES (NULL, 'x')", nil, shardOf("members", shard.String(""))},
		{"INSERT INTO likes (id) VALUES (1)", nil, nil},
		{"INSERT INTO likes (id, entry_id) VALUES (1, NULL)", nil, nil},
		{"INSERT INTO posts (id, created_at) VALUES (1, NULL)", nil, nil},
		{"INSERT INTO orders (id) VALUES (1)", nil, nil},
		// A default the server evaluates (a sequence's NEXTVAL, say) is
		// no key Strata knows; a NULL is still stored as the zero.
		{"INSERT INTO events (note) VALUES ('x')", nil, nil},
		{"INSERT INTO events (id, note) VALUES (NULL, 'x')", nil, shardOf("events", shard.Int(0))},
	}
	for _, c := range cases {
		for _, layout := range []*shard.Layout{learned, unknown} {
			s.SetLayout(layout)
			want, side := c.want, "learned"
			if layout == unknown {
				want, side = nil, "not learned"
			}
			p, err := plan(t, s, c.sql, c.args...)
			var refused *RoutingError
			switch {
			case want == nil && !errors.As(err, &refused):
				t.Errorf("%s (%s): %v, %v; want refused", c.sql, side, p, err)
			case want != nil && err != nil:
				t.Errorf("%s (%s): %v", c.sql, side, err)
			case want != nil:
				if got := slices.Sorted(slices.Values(routeClusters(p))); !slices.Equal(got, want) {
					t.Errorf("%s (%s): routed to %v, want %v", c.sql, side, got, want)
				}
				// The row goes as written: the shard stores or refuses it.
				if sent := p.Routes[0].SQL; strings.Contains(c.sql, "NULL)") && !strings.Contains(sent, "NULL") {
					t.Errorf("%s: sent as %s, want its NULL as written", c.sql, sent)
				}
			}
		}
	}
}
