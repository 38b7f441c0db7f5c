package shardops

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/shard"
)

// Port 26306 belongs to the shardops package's tests: one MariaDB stands
// in for every cluster (the Opener maps them all to it).
const itYAML = `
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
default_cluster: main
clusters:
  main: {primary: 127.0.0.1:26306}
`

var it struct {
	once sync.Once
	sb   *sandbox.Sandbox
	dir  string
	db   *sql.DB
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if it.sb != nil {
		it.sb.Down(context.Background())
	}
	if it.dir != "" {
		os.RemoveAll(it.dir)
	}
	os.Exit(code)
}

// server starts the shared MariaDB on first use and returns a pool to it as
// the backend account; it skips when MariaDB is missing unless
// STRATA_REQUIRE_MARIADB is set.
func server(t *testing.T) *sql.DB {
	t.Helper()
	if !sandbox.MariaDBInstalled() {
		if os.Getenv("STRATA_REQUIRE_MARIADB") != "" {
			t.Fatal("mariadbd not found and STRATA_REQUIRE_MARIADB is set: run make deps")
		}
		t.Skip("mariadbd not installed (make deps installs it)")
	}
	it.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cfg, err := config.Parse([]byte(itYAML))
		if err != nil {
			it.err = err
			return
		}
		if it.dir, it.err = os.MkdirTemp("", "strata-shardops-"); it.err != nil {
			return
		}
		it.sb, it.err = sandbox.Up(ctx, cfg, sandbox.Options{Dir: it.dir + "/sb", KillWithParent: true})
		if it.err != nil {
			return
		}
		primary := it.sb.Primary("main")
		if it.err = primary.Exec(ctx, "CREATE DATABASE IF NOT EXISTS blog"); it.err != nil {
			return
		}
		it.db, it.err = sql.Open("mysql", DSN(primary.Addr, "strata", "strata", 10*time.Second))
	})
	if it.err != nil {
		t.Fatal("starting MariaDB:", it.err)
	}
	return it.db
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.ExecContext(ctxT(t), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// one maps every cluster to the one server.
func one(db *sql.DB) Opener { return func(string) (*sql.DB, error) { return db, nil } }

func TestSequenceBlocksDisjoint(t *testing.T) {
	db := server(t)
	ctx := ctxT(t)
	// Two proxies: two sources, each with its own pool, on one table.
	db2, err := sql.Open("mysql", DSN(it.sb.Primary("main").Addr, "strata", "strata", 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var seqs []*shard.Sequence
	for _, d := range []*sql.DB{db, db2} {
		seq, err := shard.NewSequence(NewSequenceSource(d, ""), "entries_seq", 7)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	const perGoroutine = 200
	var mu sync.Mutex
	var all []int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for _, seq := range seqs {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids := make([]int64, 0, perGoroutine)
				for range perGoroutine {
					id, err := seq.Next(ctx)
					if err != nil {
						errs <- err
						return
					}
					ids = append(ids, id)
				}
				mu.Lock()
				all = append(all, ids...)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(all) != 2*4*perGoroutine {
		t.Fatalf("got %d ids", len(all))
	}
	slices.Sort(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("id %d handed out twice", all[i])
		}
	}
	if all[0] < 1 {
		t.Errorf("first id %d; sequences start at 1", all[0])
	}
	var next int64
	if err := db.QueryRowContext(ctx, "SELECT next_id FROM strata.strata_sequences WHERE name = 'entries_seq'").Scan(&next); err != nil {
		t.Fatal(err)
	}
	if next <= all[len(all)-1] {
		t.Errorf("next_id %d is not past the last id %d", next, all[len(all)-1])
	}
}

func TestLookupAssignAndShard(t *testing.T) {
	db := server(t)
	ctx := ctxT(t)
	exec(t, db, "DROP TABLE IF EXISTS blog.order_customer",
		"CREATE TABLE blog.order_customer (customer_id BIGINT PRIMARY KEY, shard VARCHAR(64) NOT NULL)",
		"INSERT INTO blog.order_customer VALUES (7, 's1')")
	r := NewLookupReader(one(db), "blog", map[string]LookupSpec{"order_customer": {Cluster: "main", KeyColumn: "customer_id"}})
	if s, ok, err := r.Shard(ctx, "order_customer", shard.Int(7)); err != nil || !ok || s != "s1" {
		t.Fatalf("Shard(7) = %q %v %v", s, ok, err)
	}
	if _, ok, err := r.Shard(ctx, "order_customer", shard.Int(8)); err != nil || ok {
		t.Fatalf("Shard(8) = %v %v; want not found", ok, err)
	}
	if r.CacheLen() != 1 {
		t.Errorf("cache holds %d keys; only found keys are cached", r.CacheLen())
	}
	shards := []string{"s0", "s1"}
	pick := PickShard(shards, shard.Int(8))
	got, err := r.Assign(ctx, "order_customer", shard.Int(8), pick)
	if err != nil || got != pick {
		t.Fatalf("Assign(8, %s) = %q, %v", pick, got, err)
	}
	// A second proxy proposing another shard gets the first mapping.
	other := NewLookupReader(one(db), "blog", map[string]LookupSpec{"order_customer": {Cluster: "main", KeyColumn: "customer_id"}})
	alt := "s0"
	if pick == "s0" {
		alt = "s1"
	}
	if got, err := other.Assign(ctx, "order_customer", shard.Int(8), alt); err != nil || got != pick {
		t.Fatalf("second Assign = %q, %v; want the first mapping %s", got, err, pick)
	}
	if s, ok, err := other.Shard(ctx, "order_customer", shard.Uint(8)); err != nil || !ok || s != pick {
		t.Fatalf("Shard(8) after Assign = %q %v %v", s, ok, err)
	}
	// Through the shard package, as the router uses it.
	m, err := shard.New("orders", shard.Config{ShardKey: "customer_id", Method: shard.MethodLookup,
		LookupTable: "order_customer", Lookup: r, Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := m.ShardForContext(ctx, shard.Int(7)); err != nil || s != "s1" {
		t.Errorf("method ShardFor(7) = %q, %v", s, err)
	}
}

func TestPrecreateAndCapacity(t *testing.T) {
	db := server(t)
	ctx := ctxT(t)
	exec(t, db, "DROP TABLE IF EXISTS blog.posts", "DROP TABLE IF EXISTS blog.events",
		"CREATE TABLE blog.posts (id BIGINT PRIMARY KEY, created_at DATETIME NOT NULL, title VARCHAR(100))",
		"CREATE TABLE blog.events (id BIGINT PRIMARY KEY)",
		"INSERT INTO blog.events VALUES (5), (1000000), (1000700)")
	cfg, err := config.Parse([]byte(itYAML + `  s0: {primary: 127.0.0.1:26307}
  archive: {primary: 127.0.0.1:26308}
tables:
  posts: {shard_key: created_at, method: date, period: month, since: "2023-01-01", ahead: 2,
          shards: {archive: "..2024-01-01", s0: "2024-01-01.."}}
  events: {shard_key: id, method: range, shards: {archive: "..1000000", s0: "1000000.."}, capacity_warn: 0.0005}
`))
	if err != nil {
		t.Fatal(err)
	}
	layout, err := cfg.Layout(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	got, err := PrecreateAll(ctx, layout, one(db), "blog", now, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pt := range got {
		if !pt.Created || pt.Shard != "s0" || pt.Base != "posts" {
			t.Errorf("precreated %+v", pt)
		}
		names = append(names, pt.Table)
	}
	want := []string{"posts_2025_11", "posts_2025_12", "posts_2026_01"}
	if !slices.Equal(names, want) {
		t.Errorf("precreated %v, want %v", names, want)
	}
	tables := map[string]bool{}
	rows, err := db.QueryContext(ctx, "SHOW TABLES FROM blog LIKE 'posts%'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables[n] = true
	}
	rows.Close()
	for _, n := range want {
		if !tables[n] {
			t.Errorf("SHOW TABLES has no %s (has %v)", n, tables)
		}
	}
	var create string
	if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE blog.posts_2025_12").Scan(new(string), &create); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(create, "`title` varchar(100)") {
		t.Errorf("posts_2025_12 is not LIKE posts:\n%s", create)
	}
	// Again: everything exists, nothing is created.
	again, err := PrecreateAll(ctx, layout, one(db), "blog", now, 1)
	if err != nil || len(again) != 1 || again[0].Created {
		t.Errorf("second run = %+v, %v", again, err)
	}
	// A shard without the template table is reported, not skipped.
	d := layout.Table("posts").Method.(*shard.Date)
	later := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Precreate(ctx, one(db), "blog", d, "nosuch", later, 1); err == nil || !strings.Contains(err.Error(), "template table blog.nosuch") {
		t.Errorf("missing template error = %v", err)
	}

	reps := Capacity(ctx, layout, one(db), "blog")
	if len(reps) != 1 {
		t.Fatalf("capacity = %+v", reps)
	}
	r := reps[0]
	// The last range starts at 1000000 and holds up to 1000700: 701 of the
	// previous range's 1000000 keys.
	if r.Error != "" || r.Shard != "s0" || r.LastRangeStart != 1000000 || r.MaxKey == nil || *r.MaxKey != 1000700 ||
		fmt.Sprintf("%.6f", r.Fraction) != "0.000701" || !r.Warn {
		t.Errorf("capacity report = %+v (max %v)", r, r.MaxKey)
	}
	exec(t, db, "DELETE FROM blog.events")
	if r := Capacity(ctx, layout, one(db), "blog")[0]; r.MaxKey != nil || r.Fraction != 0 || r.Warn || r.Error != "" {
		t.Errorf("empty table report = %+v", r)
	}
}

// A sequence's start raises a new or lagging sequence (ids of rows loaded
// before Strata are skipped) and never lowers one that is past it.
func TestSequenceStartRaisesNeverLowers(t *testing.T) {
	db := server(t)
	ctx := ctxT(t)
	next := func(start int64) int64 {
		t.Helper()
		src := NewSequenceSource(db, "")
		src.Starts = map[string]int64{"start_seq": start}
		seq, err := shard.NewSequence(src, "start_seq", 10)
		if err != nil {
			t.Fatal(err)
		}
		id, err := seq.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if id := next(5001); id != 5001 {
		t.Fatalf("new sequence with start 5001 gave %d", id)
	}
	if id := next(100); id != 5011 {
		t.Fatalf("start 100 below the sequence gave %d, want 5011 (the next block, not lowered)", id)
	}
	if id := next(9000); id != 9000 {
		t.Fatalf("start 9000 above the sequence gave %d, want 9000", id)
	}
}

// AllPeriods creates the history too: every period from since through the
// current one plus ahead, oldest first, each on its owning shard.
func TestPrecreateAllPeriodsCreatesHistory(t *testing.T) {
	db := server(t)
	ctx := ctxT(t)
	exec(t, db, "DROP TABLE IF EXISTS blog.hist", "CREATE TABLE blog.hist (id BIGINT PRIMARY KEY, at DATETIME NOT NULL)")
	now := time.Now()
	since := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -5, 0)
	cfg, err := config.Parse([]byte(itYAML + `  s0: {primary: 127.0.0.1:26307}
tables:
  hist: {shard_key: at, method: date, period: month, since: "` + since.Format("2006-01-02") + `", ahead: 1, shards: {main: "..2999-01-01", s0: "2999-01-01.."}}
`))
	if err != nil {
		t.Fatal(err)
	}
	layout, err := cfg.Layout(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := PrecreateAll(ctx, layout, one(db), "blog", now, AllPeriods)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pt := range got {
		if !pt.Created {
			t.Errorf("not created: %+v", pt)
		}
		names = append(names, pt.Table)
	}
	first, last := since.Format("hist_2006_01"), since.AddDate(0, 6, 0).Format("hist_2006_01")
	if len(names) != 7 || names[0] != first || names[6] != last {
		t.Fatalf("created %v, want 7 tables %s .. %s", names, first, last)
	}
}
