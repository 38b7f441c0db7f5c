package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/shard"
)

const learnYAML = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
default_cluster: main
clusters:
  main: {primary: 127.0.0.1:24326}
  s0: {primary: 127.0.0.1:24327}
  s1: {primary: 127.0.0.1:24328}
tables:
  notes: {shard_key: id, method: modulo, shards: [s0, s1]}
  lines: {shard_key: note_id, method: modulo, shards: [s0, s1]}
  audit: {shard_key: id, method: modulo, shards: [s0, s1]}
`

func learnLayout(t *testing.T, yaml string) *shard.Layout {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	l, err := cfg.Layout(nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Key types learned from a layout another learning has refined since (a
// write's learning of the tables it names, while the periodic read
// learned every table) are added to the layout in force, not dropped:
// before, the periodic read lost its whole round to a write's learning
// during the first writes, and a table no write named stayed unknown
// for its next round. A table learned since keeps what it has, and a
// table whose key a reload changed is not given the old key's type.
func TestLearnedKeyTypesAreNotLostToAnotherLearning(t *testing.T) {
	read := learnLayout(t, learnYAML)
	s := &Strata{Env: &session.Env{Sharding: planner.NewSharding(read)}}
	integer, text := shard.KeyColumn{Type: shard.KeyTypeInteger}, shard.KeyColumn{Type: shard.KeyTypeText}
	// A write's learning of notes refines the layout first.
	s.Env.Sharding.RefineLayout(read, read.WithKeyTypes(map[string]shard.KeyColumn{"notes": integer}))
	added := s.refineWith(read, map[string]shard.KeyColumn{"notes": text, "lines": integer, "audit": integer})
	if want := []string{"audit", "lines"}; !slices.Equal(added, want) {
		t.Errorf("added %q, want %q", added, want)
	}
	l := s.Env.Sharding.Layout()
	for name, want := range map[string]shard.KeyType{"notes": shard.KeyTypeInteger, "lines": shard.KeyTypeInteger, "audit": shard.KeyTypeInteger} {
		if got := l.Table(name).KeyType; got != want {
			t.Errorf("%s: key type %v, want %v", name, got, want)
		}
	}
	// A reload shards lines by another column: what was learned of
	// note_id is not its key's type.
	reloaded := learnLayout(t, strings.Replace(learnYAML, "shard_key: note_id", "shard_key: line_no", 1))
	s.Env.Sharding.SetLayout(reloaded)
	if added := s.refineWith(read, map[string]shard.KeyColumn{"lines": text, "audit": integer}); !slices.Equal(added, []string{"audit"}) {
		t.Errorf("after the reload, added %q, want [audit]", added)
	}
	if got := s.Env.Sharding.Layout().Table("lines").KeyType; got != shard.KeyTypeUnknown {
		t.Errorf("after the reload, lines has key type %v, want unknown", got)
	}
}
