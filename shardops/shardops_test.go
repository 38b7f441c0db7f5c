package shardops

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
)

const unitYAML = `
users: [{name: app, password: app}]
backend: {user: strata, password: pw}
default_cluster: main
clusters:
  main: {primary: 127.0.0.1:1}
  s0: {primary: 127.0.0.1:2}
  s1: {primary: 127.0.0.1:3}
tables:
  orders: {shard_key: customer_id, method: lookup, lookup_table: Order_Customer, shards: [s0, s1]}
  carts: {shard_key: cart_id, method: lookup, lookup_table: cart_map, lookup_cluster: s1, shards: [s0, s1]}
  events: {shard_key: id, method: range, shards: {s0: "..100", s1: "100.."}}
sequences:
  ids: {block: 10}
  other: {cluster: s1, table: seqs.t}
`

func TestLookupSpecs(t *testing.T) {
	cfg, err := config.Parse([]byte(unitYAML))
	if err != nil {
		t.Fatal(err)
	}
	got := LookupSpecs(cfg)
	want := map[string]LookupSpec{
		"order_customer": {Cluster: "main", KeyColumn: "customer_id"},
		"cart_map":       {Cluster: "s1", KeyColumn: "cart_id"},
	}
	if len(got) != len(want) {
		t.Fatalf("LookupSpecs = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("LookupSpecs[%s] = %+v, want %+v", k, got[k], v)
		}
	}
}

func TestPickShard(t *testing.T) {
	shards := []string{"s0", "s1", "s2"}
	seen := map[string]bool{}
	for i := range int64(300) {
		s := PickShard(shards, shard.Int(i))
		if !slices.Contains(shards, s) {
			t.Fatalf("PickShard(%d) = %q", i, s)
		}
		if again := PickShard(shards, shard.Int(i)); again != s {
			t.Fatalf("PickShard(%d) is not stable: %q then %q", i, s, again)
		}
		seen[s] = true
	}
	if len(seen) != 3 {
		t.Errorf("300 keys went to %v only", seen)
	}
	if PickShard(nil, shard.Int(1)) != "" || PickShard(shards, shard.Null()) != "" {
		t.Error("no shards or NULL key should give no shard")
	}
}

// noDB is an Opener for tests that must not reach a server.
func noDB(cluster string) (*sql.DB, error) { return nil, errors.New("no server in unit tests") }

func TestLookupReaderCache(t *testing.T) {
	r := NewLookupReader(noDB, "blog", map[string]LookupSpec{"M": {Cluster: "main", KeyColumn: "k"}})
	r.SetCacheSize(2)
	r.remember(cacheKey("m", shard.Int(1)), "s0")
	r.remember(cacheKey("m", shard.Int(2)), "s1")
	if s, ok, err := r.Shard(context.Background(), "M", shard.Int(1)); err != nil || !ok || s != "s0" {
		t.Fatalf("cached Shard = %q %v %v", s, ok, err)
	}
	r.remember(cacheKey("m", shard.Int(3)), "s0") // evicts 2, the least recently used
	if _, ok := r.cached(cacheKey("m", shard.Int(2))); ok {
		t.Error("key 2 should have been evicted")
	}
	if _, ok := r.cached(cacheKey("m", shard.Int(1))); !ok {
		t.Error("key 1 was used recently and should stay")
	}
	if r.CacheLen() != 2 {
		t.Errorf("cache holds %d keys", r.CacheLen())
	}
	if _, ok := r.cached(cacheKey("m", shard.String("1"))); ok {
		t.Error("a string key hit an integer key's entry")
	}
	// Misses go to the server; here the Opener fails and says so.
	if _, _, err := r.Shard(context.Background(), "m", shard.Int(9)); err == nil || !strings.Contains(err.Error(), "no server") {
		t.Errorf("miss error = %v", err)
	}
	if _, _, err := r.Shard(context.Background(), "other", shard.Int(9)); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Errorf("unknown table error = %v", err)
	}
	if _, _, err := r.Shard(context.Background(), "m", shard.Null()); !errors.Is(err, shard.ErrNullKey) {
		t.Errorf("NULL key error = %v", err)
	}
	// Forget drops every key: the next statement reads the table again
	// (here the Opener fails, so the cached s0 is no longer answered).
	if n := r.Forget(); n != 2 || r.CacheLen() != 0 {
		t.Errorf("Forget = %d, %d keys left; want 2 forgotten", n, r.CacheLen())
	}
	if _, _, err := r.Shard(context.Background(), "M", shard.Int(1)); err == nil {
		t.Error("a forgotten key was answered from the cache")
	}
	r.remember(cacheKey("m", shard.Int(1)), "s2")
	if s, _, _ := r.Shard(context.Background(), "M", shard.Int(1)); s != "s2" {
		t.Errorf("after Forget the cache holds %q, want what was read again", s)
	}
	r.SetCacheSize(0)
	if r.CacheLen() != 0 {
		t.Error("cache size 0 should empty the cache")
	}
}

func TestSequenceSourceTable(t *testing.T) {
	s := NewSequenceSource(nil, "")
	if s.schema != "strata" || s.table != "strata_sequences" {
		t.Errorf("default table = %s.%s", s.schema, s.table)
	}
	s = NewSequenceSource(nil, "ops.seq")
	if s.schema != "ops" || s.table != "seq" {
		t.Errorf("qualified table = %s.%s", s.schema, s.table)
	}
	if _, err := s.NextBlock(context.Background(), "x", 0); err == nil {
		t.Error("block size 0 accepted")
	}
}

func TestNewSequences(t *testing.T) {
	cfg, err := config.Parse([]byte(unitYAML))
	if err != nil {
		t.Fatal(err)
	}
	var opened []string
	open := func(c string) (*sql.DB, error) { opened = append(opened, c); return nil, nil }
	seqs, err := NewSequences(cfg, open)
	if err != nil || len(seqs) != 2 || seqs["ids"] == nil || seqs["other"] == nil {
		t.Fatalf("NewSequences = %v, %v", seqs, err)
	}
	slices.Sort(opened)
	if !slices.Equal(opened, []string{"main", "s1"}) {
		t.Errorf("opened %v", opened)
	}
}

func TestCapacityWithoutServers(t *testing.T) {
	cfg, err := config.Parse([]byte(unitYAML))
	if err != nil {
		t.Fatal(err)
	}
	l, err := cfg.Layout(NewLookupReader(noDB, "blog", LookupSpecs(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	if !RangeTables(l) || RangeTables(nil) {
		t.Error("RangeTables")
	}
	reps := Capacity(context.Background(), l, noDB, "blog")
	if len(reps) != 1 {
		t.Fatalf("reports = %+v", reps)
	}
	r := reps[0]
	if r.Table != "events" || r.Shard != "s1" || r.LastRangeStart != 100 || r.WarnAt != 0.8 || !strings.Contains(r.Error, "no server") {
		t.Errorf("report = %+v", r)
	}
	if got := Capacity(context.Background(), nil, noDB, "blog"); got == nil || len(got) != 0 {
		t.Errorf("nil layout = %v", got)
	}
	// No date tables: nothing to create.
	if got, err := PrecreateAll(context.Background(), l, noDB, "blog", time.Now(), 0); err != nil || len(got) != 0 {
		t.Errorf("PrecreateAll = %v, %v", got, err)
	}
}

func TestDSN(t *testing.T) {
	got := DSN("127.0.0.1:3306", "u", "p@ss", 2*time.Second)
	if !strings.HasPrefix(got, "u:p@ss@tcp(127.0.0.1:3306)/") || !strings.Contains(got, "timeout=2s") {
		t.Errorf("DSN = %s", got)
	}
	if q := qualified("a`b", "t"); q != "`a``b`.`t`" {
		t.Errorf("qualified = %s", q)
	}
}

// The control plane follows the running topology's primary (a switchover
// or failover moved it), not the one the config was loaded with.
func TestDBsFollowThePrimary(t *testing.T) {
	cfg, err := config.Parse([]byte(`
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
clusters:
  main: {primary: 127.0.0.1:13306, replicas: [{address: 127.0.0.1:13307}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDBs(cfg)
	defer d.Close()
	primary := ""
	d.PrimaryOf = func(string) string { return primary }
	first, err := d.Open("main")
	if err != nil || d.addrs["main"] != "127.0.0.1:13306" {
		t.Fatalf("without a topology answer: %v, reaches %s", err, d.addrs["main"])
	}
	if again, _ := d.Open("main"); again != first {
		t.Fatal("the pool is not reused while the primary stays")
	}
	primary = "127.0.0.1:13307"
	moved, err := d.Open("main")
	if err != nil || moved == first || d.addrs["main"] != "127.0.0.1:13307" {
		t.Fatalf("after the primary moved: %v, same pool %v, reaches %s", err, moved == first, d.addrs["main"])
	}
	if _, err := d.Open("nope"); err == nil {
		t.Fatal("an unknown cluster opened")
	}
}

// A move's status names both layouts by their config, so two layouts
// over the same shards read apart.
func TestDescribeSpec(t *testing.T) {
	hash, err := shard.NewHash("entries", "id", map[string]string{"s0": "-80", "s1": "80-"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ spec, want string }{
		{`{"Method":"hash","ShardKey":"id","Ranges":{"s1":"55-aa","s0":"-55","s2":"aa-"}}`, "hash s0 -55, s1 55-aa, s2 aa-"},
		{`{"Method":"range","ShardKey":"id","Ranges":{"s1":"200..","s0":"..100","s2":"100..200"}}`, "range s0 ..100, s2 100..200, s1 200.."},
		{`{"Method":"modulo","ShardKey":"id","Shards":["s1","s0"]}`, "modulo over s1, s0"},
		{`not json`, "hash over s0, s1"},
	}
	for _, tt := range tests {
		if got := describeSpec(tt.spec, hash); got != tt.want {
			t.Errorf("describeSpec(%s) = %q, want %q", tt.spec, got, tt.want)
		}
	}
}
