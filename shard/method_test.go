package shard

import (
	"context"
	"strings"
	"testing"
	"time"
)

// exampleConfigs is the example layout from the design notes.
func exampleConfigs() map[string]Config {
	return map[string]Config{
		"comments": {ShardKey: "entry_id", Method: "modulo", Shards: []string{"s0", "s1", "s2"}},
		"entries":  {ShardKey: "id", Method: "hash", Ranges: map[string]string{"s0": "-80", "s1": "80-"}},
		"events":   {ShardKey: "id", Method: "range", Ranges: map[string]string{"s0": "..1000000", "s1": "1000000.."}},
		"posts": {ShardKey: "created_at", Method: "date", Period: "month", Since: "2020-01-01",
			Ranges: map[string]string{"archive": "..2024-01-01", "s0": "2024-01-01.."}},
		"members": {ShardKey: "username", Method: "key_range", Ranges: map[string]string{"s0": "..n", "s1": "n.."}},
		"orders": {ShardKey: "customer_id", Method: "lookup", LookupTable: "order_customer",
			Lookup: mapLookup{}, Shards: []string{"s0", "s1"}},
	}
}

func TestNewExampleConfigs(t *testing.T) {
	want := map[string]struct {
		name    string
		ordered bool
		shards  string
	}{
		"comments": {"modulo", false, "s0 s1 s2"},
		"entries":  {"hash", false, "s0 s1"},
		"events":   {"range", true, "s0 s1"},
		"posts":    {"date", true, "archive s0"},
		"members":  {"key_range", true, "s0 s1"},
		"orders":   {"lookup", false, "s0 s1"},
	}
	for table, c := range exampleConfigs() {
		m, err := New(table, c)
		if err != nil {
			t.Errorf("New(%s): %v", table, err)
			continue
		}
		w := want[table]
		if m.Name() != w.name || m.Ordered() != w.ordered || strings.Join(m.Shards(), " ") != w.shards || m.Key() != c.ShardKey {
			t.Errorf("New(%s) = %s ordered=%v shards=%v key=%s, want %+v",
				table, m.Name(), m.Ordered(), m.Shards(), m.Key(), w)
		}
	}
	posts, _ := New("posts", exampleConfigs()["posts"])
	if _, ok := posts.(Periodic); !ok {
		t.Errorf("date method does not implement Periodic")
	}
}

func TestNewValidation(t *testing.T) {
	r := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"gap", Config{Method: "range", Ranges: r("s0", "..1000", "s1", "2000..")},
			`table t: ranges "..1000" and "2000.." leave a gap [1000, 2000)`},
		{"overlap", Config{Method: "range", Ranges: r("s0", "..2000", "s1", "1000..")},
			`table t: ranges "..2000" and "1000.." overlap on [1000, 2000)`},
		{"overlap inside", Config{Method: "range", Ranges: r("s0", "..10", "s1", "10..100", "s2", "20..30", "s3", "100..")},
			`table t: ranges "10..100" and "20..30" overlap on [20, 30)`},
		{"two open ends", Config{Method: "range", Ranges: r("s0", "..10", "s1", "10..", "s2", "20..")},
			`table t: ranges "10.." and "20.." overlap on [20, ..)`},
		{"two open starts", Config{Method: "range", Ranges: r("s0", "..10", "s1", "..20", "s2", "20..")},
			`table t: ranges "..10" and "..20" overlap on [.., 10)`},
		{"no start", Config{Method: "range", Ranges: r("s0", "10..")},
			`table t: no range covers keys below 10 (lowest range is "10..")`},
		{"no end", Config{Method: "range", Ranges: r("s0", "..10")},
			`table t: no range covers keys from 10 up (highest range is "..10")`},
		{"empty range", Config{Method: "range", Ranges: r("s0", "..5", "s1", "5..3", "s2", "3..")},
			`table t: shard s1: range "5..3" is empty`},
		{"bad int", Config{Method: "range", Ranges: r("s0", "..x", "s1", "x..")}, `range "..x"`},
		{"no separator", Config{Method: "range", Ranges: r("s0", "1000")}, `has no ".."`},
		{"no shards", Config{Method: "range"}, "table t: no shards configured"},
		{"hash gap", Config{Method: "hash", Ranges: r("s0", "-40", "s1", "80-")},
			`table t: ranges "-40" and "80-" leave a gap [40, 80)`},
		{"hash no end", Config{Method: "hash", Ranges: r("s0", "-80", "s1", "80-c0")},
			`no range covers keys from c0 up`},
		{"hash odd hex", Config{Method: "hash", Ranges: r("s0", "-8", "s1", "8-")}, "whole hex bytes"},
		{"hash not hex", Config{Method: "hash", Ranges: r("s0", "-zz", "s1", "zz-")}, "not hex"},
		{"modulo empty", Config{Method: "modulo"}, "modulo needs at least one shard"},
		{"modulo repeat", Config{Method: "modulo", Shards: []string{"s0", "s0"}}, "repeated"},
		{"date period", Config{Method: "date", Period: "week", Since: "2020-01-01", Ranges: r("s0", "..")},
			`date period "week" must be day, month or year`},
		{"date unaligned", Config{Method: "date", Period: "month", Since: "2020-01-01",
			Ranges: r("s0", "..2024-01-15", "s1", "2024-01-15..")},
			`range "2024-01-15.." starts at 2024-01-15, inside a month: table t_2024_01 would span two shards`},
		{"date no since", Config{Method: "date", Period: "day", Ranges: r("s0", "..")}, "needs since"},
		{"date bad since", Config{Method: "date", Period: "day", Since: "soon", Ranges: r("s0", "..")}, `since "soon"`},
		{"date negative ahead", Config{Method: "date", Period: "day", Since: "2020-01-01", Ahead: -1, Ranges: r("s0", "..")}, "ahead -1"},
		{"date bad bound", Config{Method: "date", Period: "day", Since: "2020-01-01", Ranges: r("s0", "..june", "s1", "june..")}, "not a date"},
		{"key_range gap", Config{Method: "key_range", Ranges: r("s0", "..m", "s1", "n..")},
			`table t: ranges "..m" and "n.." leave a gap ["m", "n")`},
		{"lookup no table", Config{Method: "lookup", Lookup: mapLookup{}}, "needs lookup_table"},
		{"lookup no reader", Config{Method: "lookup", LookupTable: "lt"}, "no Lookup reader"},
		{"list for range", Config{Method: "range", Shards: []string{"s0"}}, "range takes a map of shard: range"},
		{"map for modulo", Config{Method: "modulo", Ranges: r("s0", "..")}, "modulo takes a list of shards"},
		{"unknown", Config{Method: "consistent"}, `unknown sharding method "consistent"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.c.ShardKey == "" {
				tt.c.ShardKey = "id"
			}
			_, err := New("t", tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := New("t", Config{Method: "modulo", Shards: []string{"s0"}}); err == nil ||
		!strings.Contains(err.Error(), "shard_key is empty") {
		t.Errorf("New without shard_key: %v", err)
	}
}

// TestRoutingByExample routes the same literal text through every example
// table, as the planner would.
func TestRoutingByExample(t *testing.T) {
	methods := map[string]Method{}
	for table, c := range exampleConfigs() {
		c.Now = func() time.Time { return time.Date(2024, 6, 15, 0, 0, 0, 0, time.UTC) }
		m, err := New(table, c)
		if err != nil {
			t.Fatal(err)
		}
		methods[table] = m
	}
	tests := []struct {
		table, literal, want string
	}{
		{"comments", "3", "s0"},
		{"comments", "4", "s1"},
		{"comments", "'5'", "s2"},
		{"events", "999999", "s0"},
		{"events", "1000000", "s1"},
		{"posts", "'2023-12-31 23:59:59'", "archive"},
		{"posts", "2024-01-01 00:00:00", "s0"},
		{"members", "'mallory'", "s0"},
		{"members", "'nancy'", "s1"},
		{"orders", "42", "s1"},
	}
	for _, tt := range tests {
		v, err := ParseLiteral(tt.literal)
		if err != nil {
			t.Fatal(err)
		}
		got, err := methods[tt.table].ShardForContext(context.Background(), v)
		if err != nil || got != tt.want {
			t.Errorf("%s: ShardFor(%s) = %q, %v; want %q", tt.table, tt.literal, got, err, tt.want)
		}
	}
}
