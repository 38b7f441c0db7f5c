package config

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/shard"
	"gopkg.in/yaml.v3"
)

// shardedBase has clusters for every example table. It ends on line 14,
// so tables: or sequences: is line 15 and the first key under it line 16.
const shardedBase = `
listen: 127.0.0.1:6033
admin_listen: 127.0.0.1:6080
users:
  - {name: app, password: app}
backend: {user: strata, password: strata}
default_cluster: main
clusters:
  main: {primary: 127.0.0.1:13306}
  accounts: {primary: 127.0.0.1:13316}
  s0: {primary: 127.0.0.1:13326}
  s1: {primary: 127.0.0.1:13336}
  s2: {primary: 127.0.0.1:13346}
  archive: {primary: 127.0.0.1:13356}
`

const exampleTables = `tables:
  users:    {cluster: accounts}
  comments: {shard_key: entry_id, method: modulo, shards: [s0, s1, s2]}
  Entries:  {shard_key: id, method: hash, shards: {s0: "-80", s1: "80-"}, sequence: {column: id, name: entries_seq}}
  events:   {shard_key: id, method: range, shards: {s0: "..1000000", s1: "1000000.."}, capacity_warn: 0.9}
  posts:    {shard_key: created_at, method: date, period: month, since: "2023-01-01",
             shards: {archive: "..2024-01-01", s0: "2024-01-01.."}}
  members:  {shard_key: username, method: key_range, shards: {s0: "..n", s1: "n.."}, scatter: deny}
  orders:   {shard_key: customer_id, method: lookup, lookup_table: order_customer, shards: [s0, s1]}
  countries: {reference: true}
sequences:
  entries_seq: {cluster: main, table: strata_sequences, block: 100}
  other_seq: {}
`

func TestTablesParse(t *testing.T) {
	cfg, err := Parse([]byte(shardedBase + exampleTables))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.TableNames(); !slices.Equal(got, []string{"comments", "countries", "entries", "events", "members", "orders", "posts", "users"}) {
		t.Fatalf("tables = %v", got)
	}
	tb := cfg.Tables
	if tb["users"].Cluster != "accounts" || !tb["countries"].Reference {
		t.Errorf("users %+v countries %+v", tb["users"], tb["countries"])
	}
	if !slices.Equal(tb["comments"].Shards, []string{"s0", "s1", "s2"}) || tb["comments"].Ranges != nil {
		t.Errorf("comments shards = %v ranges = %v", tb["comments"].Shards, tb["comments"].Ranges)
	}
	if tb["entries"].Ranges["s1"] != "80-" || tb["entries"].Sequence.Name != "entries_seq" || tb["entries"].Sequence.Column != "id" {
		t.Errorf("entries = %+v", tb["entries"])
	}
	// Defaults.
	if tb["posts"].Ahead != DefaultDateAhead || tb["comments"].Scatter != ScatterAllow || tb["members"].Scatter != ScatterDeny {
		t.Errorf("posts ahead %d, comments scatter %q, members scatter %q", tb["posts"].Ahead, tb["comments"].Scatter, tb["members"].Scatter)
	}
	if tb["events"].CapacityWarn != 0.9 || tb["orders"].LookupCluster != "main" {
		t.Errorf("events warn %v, orders lookup cluster %q", tb["events"].CapacityWarn, tb["orders"].LookupCluster)
	}
	if s := cfg.Sequences["other_seq"]; s.Cluster != "main" || s.Table != DefaultSequenceTable || s.Block != DefaultSequenceBlock {
		t.Errorf("sequence defaults = %+v", s)
	}
	if s := cfg.Sequences["entries_seq"]; s.Block != 100 {
		t.Errorf("entries_seq = %+v", s)
	}
	clone := cfg.Clone()
	clone.Tables["comments"].Shards[0] = "x"
	clone.Tables["entries"].Ranges["s1"] = "x"
	clone.Sequences["entries_seq"].Block = 1
	if cfg.Tables["comments"].Shards[0] != "s0" || cfg.Tables["entries"].Ranges["s1"] != "80-" || cfg.Sequences["entries_seq"].Block != 100 {
		t.Error("Clone shares tables or sequences")
	}
}

func TestTablesAheadZero(t *testing.T) {
	cfg, err := Parse([]byte(shardedBase + `tables:
  posts: {shard_key: d, method: date, period: day, since: "2024-01-01", ahead: 0, shards: {s0: ".."}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tables["posts"].Ahead != 0 {
		t.Errorf("explicit ahead: 0 became %d", cfg.Tables["posts"].Ahead)
	}
}

type fakeLookup struct{}

func (fakeLookup) Shard(context.Context, string, shard.Value) (string, bool, error) {
	return "s1", true, nil
}

func TestConfigLayout(t *testing.T) {
	cfg, err := Parse([]byte(shardedBase + exampleTables))
	if err != nil {
		t.Fatal(err)
	}
	l, err := cfg.Layout(fakeLookup{})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.ShardClusters(); !slices.Equal(got, []string{"archive", "s0", "s1", "s2"}) {
		t.Errorf("ShardClusters = %v", got)
	}
	if u := l.Table("Users"); u == nil || u.Placement != shard.PlaceCluster || u.Cluster != "accounts" {
		t.Errorf("users = %+v", u)
	}
	if c := l.Table("countries"); c == nil || c.Placement != shard.PlaceReference {
		t.Errorf("countries = %+v", c)
	}
	e := l.Table("entries")
	if e == nil || e.Placement != shard.PlaceSharded || e.Method.Name() != shard.MethodHash || e.Sequence == nil || e.Sequence.Name != "entries_seq" {
		t.Fatalf("entries = %+v", e)
	}
	if ev := l.Table("events"); ev.CapacityWarn != 0.9 {
		t.Errorf("events = %+v", ev)
	}
	if m := l.Table("members"); !m.ScatterDeny {
		t.Errorf("members scatter not denied")
	}
	o := l.Table("orders")
	if o.LookupTable != "order_customer" || o.LookupCluster != "main" {
		t.Errorf("orders = %+v", o)
	}
	if s, err := o.Method.ShardForContext(context.Background(), shard.Int(5)); err != nil || s != "s1" {
		t.Errorf("orders lookup = %q, %v", s, err)
	}
	if s, err := l.Table("events").Method.ShardFor(shard.Int(1000000)); err != nil || s != "s1" {
		t.Errorf("events shard = %q, %v", s, err)
	}
	if l.Table("nope") != nil {
		t.Error("unlisted table found")
	}
	empty, err := (&Config{DefaultCluster: "main"}).Layout(nil)
	if err != nil || !empty.Empty() {
		t.Errorf("no tables: %v %v", empty, err)
	}
}

func TestTablesRejectWithLine(t *testing.T) {
	// Line 16 is the first table of the snippet (shardedBase ends on line 15).
	tbl := func(s string) string { return shardedBase + "tables:\n" + s }
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", tbl("  t: {cluster: main, sharding: x}\n"), "line 16: field sharding not found in Table"},
		{"unknown sequence key", tbl("  t: {shard_key: id, method: modulo, shards: [s0], sequence: {col: id}}\n"), "line 16: field col not found in TableSequence"},
		{"shards scalar", tbl("  t: {shard_key: id, method: modulo, shards: s0}\n"), "line 16: shards is a list"},
		{"empty", tbl("  t: {}\n"), "line 16: tables.t: say where the table lives"},
		{"mixed", tbl("  t: {cluster: main, reference: true}\n"), "line 16: tables.t: is exactly one of"},
		{"mixed sharded", tbl("  t: {cluster: main, shard_key: id}\n"), "line 16: tables.t: is exactly one of"},
		{"unknown cluster", tbl("  t: {cluster: nowhere}\n"), "line 16: tables.t.cluster: names no cluster (\"nowhere\")"},
		{"case twice", tbl("  t: {cluster: main}\n  T: {cluster: main}\n"), "line 17: tables.T: is the table t again"},
		{"bad name", tbl("  a.b: {cluster: main}\n"), "line 16: tables.a.b: \"a.b\" is not a plain table name"},
		{"no shard key", tbl("  t: {method: modulo, shards: [s0]}\n"), "line 16: tables.t.shard_key: is required"},
		{"no method", tbl("  t: {shard_key: id, shards: [s0]}\n"), "line 16: tables.t.method: is required"},
		{"bad method", tbl("  t: {shard_key: id, method: mod, shards: [s0]}\n"), "line 16: tables.t.method: \"mod\" is not one of"},
		{"no shards", tbl("  t: {shard_key: id, method: modulo}\n"), "line 16: tables.t.shards: is required"},
		{"list shard unknown", tbl("  t: {shard_key: id, method: modulo,\n      shards: [s0, s9]}\n"), "line 17: tables.t.shards.1: names no cluster (\"s9\")"},
		{"map shard unknown", tbl("  t:\n    shard_key: id\n    method: range\n    shards:\n      s0: \"..10\"\n      s9: \"10..\"\n"), "line 21: tables.t.shards.s9: names no cluster (\"s9\")"},
		{"map for modulo", tbl("  t: {shard_key: id, method: modulo, shards: {s0: \"..\"}}\n"), "line 16: tables.t.shards: modulo takes a list of shards"},
		{"range gap", tbl("  t:\n    shard_key: id\n    method: range\n    shards: {s0: \"..10\", s1: \"20..\"}\n"), "line 19: tables.t.shards: ranges \"..10\" and \"20..\" leave a gap [10, 20)"},
		{"range overlap", tbl("  t: {shard_key: id, method: range, shards: {s0: \"..20\", s1: \"10..\"}}\n"), "tables.t.shards: ranges \"..20\" and \"10..\" overlap"},
		{"hash hole", tbl("  t: {shard_key: id, method: hash, shards: {s0: \"-40\", s1: \"80-\"}}\n"), "tables.t.shards: ranges \"-40\" and \"80-\" leave a gap"},
		{"key range uncovered", tbl("  t: {shard_key: id, method: key_range, shards: {s0: \"a..\"}}\n"), "tables.t.shards: no range covers keys below"},
		{"date no since", tbl("  t: {shard_key: d, method: date, period: month, shards: {s0: \"..\"}}\n"), "line 16: tables.t.since: is required for the date method"},
		{"date bad since", tbl("  t: {shard_key: d, method: date, period: month, since: soon, shards: {s0: \"..\"}}\n"), "line 16: tables.t.since: since \"soon\" is not a date"},
		{"date no period", tbl("  t: {shard_key: d, method: date, since: \"2024-01-01\", shards: {s0: \"..\"}}\n"), "tables.t.period: is required"},
		{"date bad period", tbl("  t: {shard_key: d, method: date, period: week, since: \"2024-01-01\", shards: {s0: \"..\"}}\n"), "tables.t.period: \"week\" is not day, month or year"},
		{"date unaligned", tbl("  t: {shard_key: d, method: date, period: month, since: \"2024-01-01\", shards: {s0: \"..2024-01-15\", s1: \"2024-01-15..\"}}\n"), "tables.t.shards: range \"2024-01-15..\" starts at 2024-01-15, inside a month"},
		{"date negative ahead", tbl("  t: {shard_key: d, method: date, period: month, since: \"2024-01-01\", ahead: -1, shards: {s0: \"..\"}}\n"), "tables.t.ahead: must not be negative"},
		{"date negative keep", tbl("  t: {shard_key: d, method: date, period: month, since: \"2024-01-01\", keep: -2, shards: {s0: \"..\"}}\n"), "tables.t.keep: must not be negative"},
		{"keep on hash", tbl("  t: {shard_key: id, method: hash, keep: 3, shards: {s0: \"-\"}}\n"), "tables.t.keep: only applies to the date method"},
		{"period on range", tbl("  t: {shard_key: id, method: range, period: month, shards: {s0: \"..\"}}\n"), "tables.t.period: only applies to the date method"},
		{"lookup no table", tbl("  t: {shard_key: id, method: lookup, shards: [s0]}\n"), "tables.t.lookup_table: is required for the lookup method"},
		{"lookup bad cluster", tbl("  t: {shard_key: id, method: lookup, lookup_table: m, lookup_cluster: x, shards: [s0]}\n"), "tables.t.lookup_cluster: names no cluster (\"x\")"},
		{"capacity on hash", tbl("  t: {shard_key: id, method: hash, capacity_warn: 0.5, shards: {s0: \"-\"}}\n"), "tables.t.capacity_warn: only applies to the range method"},
		{"key collation on modulo", tbl("  t: {shard_key: name, method: modulo, key_collation: utf8mb4_general_ci, shards: [s0]}\n"), "line 16: tables.t.key_collation: only applies to the hash and key_range methods"},
		{"key collation approximated", tbl("  t: {shard_key: name, method: hash, key_collation: utf8mb4_swedish_ci, shards: {s0: \"-\"}}\n"), "line 16: tables.t.key_collation: Strata reproduces utf8mb4_swedish_ci only approximately"},
		{"key collation unknown", tbl("  t: {shard_key: name, method: hash, key_collation: klingon_ci_x, shards: {s0: \"-\"}}\n"), "tables.t.key_collation: unsupported collation"},
		{"key collation on cluster table", tbl("  t: {cluster: main, key_collation: utf8mb4_bin}\n"), "line 16: tables.t.key_collation: only applies to sharded tables"},
		{"unique on cluster table", tbl("  t: {cluster: main, unique: [email]}\n"), "line 16: tables.t.unique: only applies to sharded tables"},
		{"unique shard key", tbl("  t: {shard_key: id, method: modulo, shards: [s0], unique: [email, [site, ID]]}\n"), "tables.t.unique[1]: holds the shard key (ID)"},
		{"unique twice", tbl("  t: {shard_key: id, method: modulo, shards: [s0], unique: [[site, slug], [Slug, site]]}\n"), "tables.t.unique[1]: repeats a key listed before (Slug, site)"},
		{"unique column twice", tbl("  t: {shard_key: id, method: modulo, shards: [s0], unique: [[slug, Slug]]}\n"), "tables.t.unique[0]: names Slug twice"},
		{"unique empty", tbl("  t: {shard_key: id, method: modulo, shards: [s0], unique: ['']}\n"), "tables.t.unique[0]: has an empty column name"},
		{"unique empty list", tbl("  t: {shard_key: id, method: modulo, shards: [s0], unique: [[]]}\n"), "tables.t.unique[0]: is empty"},
		{"unique map", tbl("  t: {shard_key: id, method: modulo, shards: [s0], unique: [{a: b}]}\n"), "unique: an entry is a column or a list of columns"},
		{"unique on date", tbl("  t: {shard_key: d, method: date, period: month, since: '2024-01-01', shards: {s0: '..'}, unique: [email]}\n"), "tables.t.unique: does not apply to the date method"},
		{"bad scatter", tbl("  t: {shard_key: id, method: modulo, shards: [s0], scatter: never}\n"), "line 16: tables.t.scatter: \"never\" is not allow or deny"},
		{"unknown sequence", tbl("  t: {shard_key: id, method: modulo, shards: [s0], sequence: {column: id, name: nope}}\n"), "line 16: tables.t.sequence.name: names no sequence"},
		{"sequence no column", tbl("  t: {shard_key: id, method: modulo, shards: [s0], sequence: {name: q}}\nsequences: {q: {}}\n"), "line 16: tables.t.sequence.column: is required"},
		{"option on cluster table", tbl("  t: {cluster: main, scatter: deny}\n"), "line 16: tables.t.scatter: only applies to sharded tables"},
		{"reference alone", tbl("  countries: {reference: true}\n"), "line 16: tables.countries.reference: reference tables are copied to the clusters of the sharded tables, but no table is sharded"},
		{"sequence cluster", shardedBase + "sequences:\n  q: {cluster: nowhere}\n", "line 16: sequences.q.cluster: names no cluster"},
		{"sequence block", shardedBase + "sequences:\n  q: {block: -5}\n", "line 16: sequences.q.block: must be at least 1"},
		{"sequence unknown key", shardedBase + "sequences:\n  q: {blocks: 5}\n", "line 16: field blocks not found in Sequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTableMarshalYAML(t *testing.T) {
	cfg, err := Parse([]byte(shardedBase + exampleTables))
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(map[string]*Table{"comments": cfg.Tables["comments"], "entries": cfg.Tables["entries"]})
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]*Table
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !slices.Equal(back["comments"].Shards, []string{"s0", "s1", "s2"}) || back["entries"].Ranges["s0"] != "-80" {
		t.Errorf("round trip:\n%s", out)
	}
}
