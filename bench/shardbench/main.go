// Command shardbench measures what sharding costs and saves: a 4-shard
// scatter `ORDER BY … LIMIT 10` and `COUNT(*) … GROUP BY` through Strata
// against the same query on one server holding all the rows, and "the last
// 5 posts" of a date-sharded table read with Strata's ordered walk (early
// stop) against the same answer forced to a full scatter. Every Strata
// answer is first checked against the single server's. It appends a
// markdown section to -out (docs/BENCHMARKS.md by default), with two more:
// a save of one row found by another column than the shard key in a
// transaction of its own (narrowed to its shard), and transactions across
// shards with two-phase commit.
//
//	go run ./bench/shardbench -out docs/BENCHMARKS.md [-time 5s] [-rounds 2] [-clients 4]
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/bench/benchenv"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/shard"
)

const (
	items         = 100000
	groups        = 50
	months        = 24
	postsPerMonth = 2000
	batch         = 1000 // rows per multi-row INSERT
)

var shards = []string{"s0", "s1", "s2", "s3"}

var rounds = 2

// configYAML: %s are since and the three date boundaries (twice each).
const configYAML = `listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
default_cluster: main
schema: blog
monitor: {interval: 10s}
clusters:
  main:   {primary: 127.0.0.1:19400}
  s0:     {primary: 127.0.0.1:19401}
  s1:     {primary: 127.0.0.1:19402}
  s2:     {primary: 127.0.0.1:19403}
  s3:     {primary: 127.0.0.1:19404}
  single: {primary: 127.0.0.1:19405}
tables:
  items: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}
  named_items: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}, unique: [name]}
  posts: {shard_key: created_at, method: date, period: month, since: "%s", ahead: 0,
          shards: {s0: "..%s", s1: "%s..%s", s2: "%s..%s", s3: "%s.."}}
`

const (
	itemsDDL = "CREATE TABLE blog.items (id BIGINT PRIMARY KEY, grp INT, score INT, name VARCHAR(40), KEY(score), KEY(name))"
	postsDDL = "CREATE TABLE blog.posts (id BIGINT PRIMARY KEY, created_at DATETIME, title VARCHAR(60), KEY(created_at))"
	// named_items: items whose name unique: keeps unique across the
	// shards, so Strata remembers each name's shard (narrow.go).
	namedDDL = "CREATE TABLE blog.named_items (id BIGINT PRIMARY KEY, score INT, name VARCHAR(40), UNIQUE KEY(name))"
)

// query is one measured comparison: Strata runs strata, single runs base
// (the same statement).
type query struct {
	name   string
	strata string
	base   string
	sorted bool // no ORDER BY: compare answers as sets of rows
}

// stats of one measured run.
type stats struct {
	queries  int
	qps      float64
	p50, p95 time.Duration
}

// row is one line of the report.
type row struct {
	name, sql      string
	routes         int
	shardSelects   float64 // backend SELECTs on s0..s3 per Strata query
	single, strata stats
}

func main() {
	out := flag.String("out", "docs/BENCHMARKS.md", "markdown file to append the section to")
	dur := flag.Duration("time", 5*time.Second, "measuring time per query, target and round")
	flag.IntVar(&rounds, "rounds", 2, "rounds per query; each measures single and Strata, alternating which goes first")
	clients := flag.Int("clients", 4, "concurrent client connections per target")
	flag.Parse()
	if err := run(*out, *dur, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "shardbench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "shardbench: "+format+"\n", args...)
}

// times are the posts months: the 24 months ending with the current one.
type times struct {
	since  time.Time
	bounds [3]time.Time
}

func newTimes(now time.Time) times {
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	t := times{since: cur.AddDate(0, -(months - 1), 0)}
	for i := range t.bounds {
		t.bounds[i] = t.since.AddDate(0, 6*(i+1), 0)
	}
	return t
}

func (t times) yaml() string {
	d := func(x time.Time) string { return x.Format(time.DateOnly) }
	b := t.bounds
	return fmt.Sprintf(configYAML, d(t.since), d(b[0]), d(b[0]), d(b[1]), d(b[1]), d(b[2]), d(b[2]))
}

func run(outPath string, dur time.Duration, clients int) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tm := newTimes(time.Now())
	cfg, err := config.Parse([]byte(tm.yaml()))
	if err != nil {
		return err
	}
	layout, err := cfg.Layout(nil)
	if err != nil {
		return err
	}
	pt := layout.Table("posts")
	if pt == nil {
		return fmt.Errorf("posts is not in the layout")
	}
	dm, ok := pt.Method.(*shard.Date)
	if !ok {
		return fmt.Errorf("posts is not date-sharded")
	}
	periods := dm.DateTables(shard.Bound{}, shard.Bound{}) // newest first
	if len(periods) != months {
		return fmt.Errorf("posts has %d period tables, want %d", len(periods), months)
	}

	upCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	logf("starting sandbox (6 servers)")
	sb, down, err := benchenv.Sandbox(upCtx, "shardbench", cfg, "query_cache_type = 0", "query_cache_size = 0", "innodb_buffer_pool_size = 64M")
	if err != nil {
		return err
	}
	defer func() {
		logf("tearing down the sandbox")
		if derr := down(); derr != nil && err == nil {
			err = derr
		}
	}()

	direct := map[string]*sql.DB{}
	defer func() {
		for _, db := range direct {
			db.Close()
		}
	}()
	for _, c := range append(slices.Clone(shards), "single", "main") {
		p := sb.Primary(c)
		if p == nil {
			return fmt.Errorf("no server for cluster %s", c)
		}
		db, err := sql.Open("mysql", p.DSN("strata", "strata", ""))
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(clients)
		db.SetMaxIdleConns(clients)
		direct[c] = db
	}
	if err := createSchema(upCtx, direct, periods); err != nil {
		return err
	}

	st, err := server.Start(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return fmt.Errorf("start strata: %w", err)
	}
	defer st.Close()
	sdb, err := sql.Open("mysql", fmt.Sprintf("app:app@tcp(%s)/blog", st.MySQLAddr()))
	if err != nil {
		return err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(clients)
	sdb.SetMaxIdleConns(clients)
	single, err := sql.Open("mysql", sb.Primary("single").DSN("strata", "strata", "blog"))
	if err != nil {
		return err
	}
	defer single.Close()
	single.SetMaxOpenConns(clients)
	single.SetMaxIdleConns(clients)

	loadStart := time.Now()
	if err := load(upCtx, tm, single, sdb); err != nil {
		return err
	}
	if err := checkCounts(upCtx, direct, sdb); err != nil {
		return err
	}
	loadTime := time.Since(loadStart)
	logf("loaded %d items and %d posts in %s", items, months*postsPerMonth, loadTime.Round(time.Millisecond))
	if err := loadNamedItems(ctx, single, sdb); err != nil {
		return err
	}

	qs := []query{
		{name: "top 10 items by score (4-shard scatter, merge)",
			strata: "SELECT id, score FROM items ORDER BY score DESC, id LIMIT 10"},
		{name: "COUNT(*) GROUP BY grp (4-shard scatter, combine)",
			strata: "SELECT grp, COUNT(*) FROM items GROUP BY grp", sorted: true},
		{name: "an item by name (4-shard scatter)",
			strata: "SELECT id, score FROM items WHERE name = 'item-77'"},
		{name: "an item by a `unique:` name (its shard remembered)",
			strata: "SELECT id, score FROM named_items WHERE name = 'item-77'"},
		{name: "last 5 posts: ordered walk, early stop",
			strata: "SELECT id, title FROM posts ORDER BY created_at DESC LIMIT 5"},
		{name: "last 5 posts: forced full scatter",
			strata: "SELECT id, title FROM posts ORDER BY created_at + INTERVAL 0 SECOND DESC LIMIT 5"},
		{name: "three items by a list of names (4-shard scatter)",
			strata: "SELECT id, score FROM items WHERE name IN ('item-77', 'item-78', 'item-79') ORDER BY id"},
		{name: "three items by a list of `unique:` names (their shards remembered)",
			strata: "SELECT id, score FROM named_items WHERE name IN ('item-77', 'item-78', 'item-79') ORDER BY id"},
	}
	for i := range qs {
		qs[i].base = qs[i].strata
	}
	// The single server's answer every Strata answer must equal.
	for _, q := range qs {
		if err := checkAnswer(ctx, q, single, sdb); err != nil {
			return err
		}
	}
	// Walk and full scatter must agree with each other too.
	if err := sameAnswer(ctx, sdb, qs[4].strata, qs[5].strata, false); err != nil {
		return fmt.Errorf("walk vs full scatter through strata: %w", err)
	}
	logf("every Strata answer equals the single server's")

	warm := min(dur/5, time.Second)
	var rows []row
	for _, q := range qs {
		r := row{name: q.name, sql: q.strata}
		if r.routes, err = explainRoutes(ctx, sdb, q.strata); err != nil {
			return fmt.Errorf("EXPLAIN STRATA %s: %w", q.strata, err)
		}
		if _, err := measure(ctx, single, q.base, clients, warm); err != nil {
			return fmt.Errorf("single: %s: %w", q.base, err)
		}
		if _, err := measure(ctx, sdb, q.strata, clients, warm); err != nil {
			return fmt.Errorf("strata: %s: %w", q.strata, err)
		}
		// Rounds alternate the order of the targets, so a neighbour's load
		// on the shared machine falls on both.
		var onSingle, onStrata sample
		var selects int64
		for round := range rounds {
			for k := range 2 {
				if (k == 0) == (round%2 == 0) {
					sm, err := measure(ctx, single, q.base, clients, dur)
					if err != nil {
						return fmt.Errorf("single: %s: %w", q.base, err)
					}
					onSingle.add(sm)
					continue
				}
				before, err := shardSelects(ctx, direct)
				if err != nil {
					return err
				}
				sm, err := measure(ctx, sdb, q.strata, clients, dur)
				if err != nil {
					return fmt.Errorf("strata: %s: %w", q.strata, err)
				}
				after, err := shardSelects(ctx, direct)
				if err != nil {
					return err
				}
				// SHOW GLOBAL STATUS counts as Com_show_status, not here.
				selects += after - before
				onStrata.add(sm)
			}
		}
		r.single, r.strata = onSingle.stats(), onStrata.stats()
		r.shardSelects = float64(selects) / float64(r.strata.queries)
		logf("%s: routes %d, single %.0f qps p95 %s, strata %.0f qps p95 %s (%.2f×), %.2f shard selects/query",
			q.name, r.routes, r.single.qps, r.single.p95, r.strata.qps, r.strata.p95, r.strata.qps/r.single.qps, r.shardSelects)
		rows = append(rows, r)
	}
	if err := appendSection(outPath, tm, rows, dur, clients, loadTime); err != nil {
		return err
	}
	saves, err := measureSaves(ctx, direct, single, sdb, clients, dur)
	if err != nil {
		return fmt.Errorf("saves: %w", err)
	}
	if err := appendSaveSection(outPath, saves, dur, clients); err != nil {
		return err
	}
	txs, err := measureTransactions(ctx, cfg, direct, single, clients, dur)
	if err != nil {
		return fmt.Errorf("transactions: %w", err)
	}
	return appendTxSection(outPath, txs, dur, clients)
}

func createSchema(ctx context.Context, direct map[string]*sql.DB, periods []shard.DateTable) error {
	for c, db := range direct {
		if c == "main" { // the default cluster: only the schema clients log in to
			if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS blog"); err != nil {
				return fmt.Errorf("create database on main: %w", err)
			}
			continue
		}
		for _, s := range []string{"DROP DATABASE IF EXISTS blog", "CREATE DATABASE blog", itemsDDL, postsDDL, namedDDL} {
			if _, err := db.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s on %s: %w", s, c, err)
			}
		}
	}
	for _, p := range periods {
		s := fmt.Sprintf("CREATE TABLE blog.%s LIKE blog.posts", p.Table)
		if _, err := direct[p.Shard].ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s on %s: %w", s, p.Shard, err)
		}
	}
	return nil
}

// load writes the same rows to single directly and to the shards through
// Strata, in shuffled order so that every multi-row INSERT is split over
// all shards (and, for posts, over many period tables).
func load(ctx context.Context, tm times, single, strata *sql.DB) error {
	rng := rand.New(rand.NewPCG(1, 2))
	var itemRows []string
	for id := 1; id <= items; id++ {
		itemRows = append(itemRows, fmt.Sprintf("(%d,%d,%d,'item-%d')", id, id%groups, rng.IntN(1000000), id))
	}
	var postRows []string
	id := 0
	for m := 0; m < months; m++ {
		start := tm.since.AddDate(0, m, 0)
		step := int(start.AddDate(0, 1, 0).Sub(start)/time.Second) / postsPerMonth
		for j := 0; j < postsPerMonth; j++ {
			id++
			// Unique timestamps, so ORDER BY created_at has one answer.
			at := start.Add(time.Duration(j*step+rng.IntN(step)) * time.Second)
			postRows = append(postRows, fmt.Sprintf("(%d,'%s','post %d of %s')",
				id, at.Format(time.DateTime), j, start.Format("2006-01")))
		}
	}
	rng.Shuffle(len(itemRows), func(i, j int) { itemRows[i], itemRows[j] = itemRows[j], itemRows[i] })
	rng.Shuffle(len(postRows), func(i, j int) { postRows[i], postRows[j] = postRows[j], postRows[i] })

	insert := func(db *sql.DB, head string, rows []string, where string) error {
		for i := 0; i < len(rows); i += batch {
			s := head + strings.Join(rows[i:min(i+batch, len(rows))], ",")
			if _, err := db.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("insert into %s (rows %d..): %w", where, i, err)
			}
		}
		return nil
	}
	const ih, ph = "INSERT INTO items (id, grp, score, name) VALUES ", "INSERT INTO posts (id, created_at, title) VALUES "
	t0 := time.Now()
	if err := insert(single, ih, itemRows, "single items"); err != nil {
		return err
	}
	if err := insert(single, ph, postRows, "single posts"); err != nil {
		return err
	}
	logf("single loaded directly in %s", time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	if err := insert(strata, ih, itemRows, "strata items"); err != nil {
		return err
	}
	if err := insert(strata, ph, postRows, "strata posts"); err != nil {
		return err
	}
	logf("shards loaded through Strata in %s", time.Since(t0).Round(time.Millisecond))
	return nil
}

// checkCounts checks that the shards hold every row once.
func checkCounts(ctx context.Context, direct map[string]*sql.DB, strata *sql.DB) error {
	count := func(db *sql.DB, q string) (int, error) {
		var n int
		err := db.QueryRowContext(ctx, q).Scan(&n)
		return n, err
	}
	for _, c := range []struct {
		table string
		want  int
	}{{"items", items}, {"posts", months * postsPerMonth}} {
		n, err := count(strata, "SELECT COUNT(*) FROM "+c.table)
		if err != nil {
			return fmt.Errorf("count %s through strata: %w", c.table, err)
		}
		if n != c.want {
			return fmt.Errorf("strata counts %d rows in %s, want %d", n, c.table, c.want)
		}
	}
	var sum int
	for _, s := range shards {
		n, err := count(direct[s], "SELECT COUNT(*) FROM blog.items")
		if err != nil {
			return err
		}
		sum += n
	}
	if sum != items {
		return fmt.Errorf("shards hold %d items, want %d", sum, items)
	}
	return nil
}

// answer is a result set as strings, NULL as "NULL".
func answer(ctx context.Context, db *sql.DB, q string) ([][]string, error) {
	rs, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				r[i] = "NULL"
			} else {
				r[i] = string(v)
			}
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func sameAnswer(ctx context.Context, db *sql.DB, qa, qb string, sorted bool) error {
	a, err := answer(ctx, db, qa)
	if err != nil {
		return err
	}
	b, err := answer(ctx, db, qb)
	if err != nil {
		return err
	}
	return compare(a, b, sorted)
}

func compare(want, got [][]string, sorted bool) error {
	if sorted {
		cmp := func(x, y []string) int { return slices.Compare(x, y) }
		want, got = slices.Clone(want), slices.Clone(got)
		slices.SortFunc(want, cmp)
		slices.SortFunc(got, cmp)
	}
	if len(want) != len(got) {
		return fmt.Errorf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(want[i], got[i]) {
			return fmt.Errorf("row %d is %v, want %v", i+1, got[i], want[i])
		}
	}
	if len(want) == 0 {
		return errors.New("empty answer")
	}
	return nil
}

func checkAnswer(ctx context.Context, q query, single, strata *sql.DB) error {
	want, err := answer(ctx, single, q.base)
	if err != nil {
		return fmt.Errorf("single: %s: %w", q.base, err)
	}
	got, err := answer(ctx, strata, q.strata)
	if err != nil {
		return fmt.Errorf("strata: %s: %w", q.strata, err)
	}
	if err := compare(want, got, q.sorted); err != nil {
		return fmt.Errorf("strata's answer to %s differs from single's: %w", q.strata, err)
	}
	if q.sorted && compare(want, got, false) != nil {
		logf("note: %s: same rows as single, in another order (the statement has no ORDER BY)", q.strata)
	}
	return nil
}

// explainRoutes counts the shard queries of EXPLAIN STRATA's plan.
func explainRoutes(ctx context.Context, db *sql.DB, q string) (int, error) {
	plan, err := answer(ctx, db, "EXPLAIN STRATA "+q)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range plan {
		switch r[0] {
		case "route", "scatter", "walk":
			n++
		}
	}
	return n, nil
}

// shardSelects sums Com_select over the four shards.
func shardSelects(ctx context.Context, direct map[string]*sql.DB) (int64, error) {
	var sum int64
	for _, s := range shards {
		var name string
		var n int64
		if err := direct[s].QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Com_select'").Scan(&name, &n); err != nil {
			return 0, fmt.Errorf("Com_select on %s: %w", s, err)
		}
		sum += n
	}
	return sum, nil
}

// sample is what one measured run saw.
type sample struct {
	lat     []time.Duration
	elapsed time.Duration
}

func (s *sample) add(o sample) {
	s.lat = append(s.lat, o.lat...)
	s.elapsed += o.elapsed
}

func (s sample) stats() stats {
	st := stats{queries: len(s.lat)}
	all := slices.Clone(s.lat)
	slices.Sort(all)
	st.qps = float64(len(all)) / s.elapsed.Seconds()
	st.p50 = all[len(all)*50/100]
	st.p95 = all[min(len(all)*95/100, len(all)-1)]
	return st
}

// measure runs q on clients connections for dur and returns the latency
// of every query. Queries in flight at the deadline finish and count.
// Any error fails the run.
func measure(ctx context.Context, db *sql.DB, q string, clients int, dur time.Duration) (sample, error) {
	return measureEach(ctx, db, clients, dur, func(ctx context.Context, c *sql.Conn, _ int) error { return readAll(ctx, c, q) })
}

// readAll runs q and reads every row of its answer.
func readAll(ctx context.Context, c *sql.Conn, q string) error {
	rs, err := c.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for k := range vals {
		ptrs[k] = &vals[k]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return err
		}
	}
	return rs.Err()
}

// measureEach runs do in a loop on clients connections for dur and
// records how long each run took; do gets its client's number.
func measureEach(ctx context.Context, db *sql.DB, clients int, dur time.Duration, do func(context.Context, *sql.Conn, int) error) (sample, error) {
	var sm sample
	// Open the connections before the clock starts.
	conns := make([]*sql.Conn, clients)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			return sm, err
		}
		defer c.Close()
		conns[i] = c
	}
	lat := make([][]time.Duration, clients)
	var mu sync.Mutex
	var errCount int
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(dur)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				if err := do(ctx, c, i); err != nil {
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					errCount++
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	sm.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return sm, err
	}
	for i := range lat {
		sm.lat = append(sm.lat, lat[i]...)
	}
	if errCount > 0 {
		return sm, fmt.Errorf("%d errors, first: %w", errCount, firstErr)
	}
	if len(sm.lat) == 0 {
		return sm, errors.New("no query completed")
	}
	return sm, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func appendSection(path string, tm times, rows []row, dur time.Duration, clients int, loadTime time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Sharding (bench/shardbench)\n\n")
	fmt.Fprintf(&b, "Run %s. Four shard servers s0-s3 (127.0.0.1:19401-19404) behind Strata and\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "one server `single` (127.0.0.1:19405) holding all the rows, query cache off.\n")
	fmt.Fprintf(&b, "`items` (%d rows, `grp = id %% %d`, random `score`, `KEY(score)`, `name` `item-<id>` with `KEY(name)`) is hash-sharded\n", items, groups)
	fmt.Fprintf(&b, "by `id` (`-40`, `40-80`, `80-c0`, `c0-`); `posts` (%d months × %d rows, `KEY(created_at)`)\n", months, postsPerMonth)
	fmt.Fprintf(&b, "is date-sharded by `created_at`, one table per month since %s, six months per shard.\n", tm.since.Format(time.DateOnly))
	fmt.Fprintf(&b, "The shards were loaded through Strata with shuffled %d-row INSERTs (split per shard and\n", batch)
	fmt.Fprintf(&b, "period table; both tables loaded on single and the shards in %s). Before measuring,\n", loadTime.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "every Strata answer was checked equal to single's. %d go-sql-driver clients per target\n", clients)
	fmt.Fprintf(&b, "run one statement in a loop for %d rounds × %s per target (after a short warm-up; rounds\n", rounds, dur)
	fmt.Fprintf(&b, "alternate which target goes first; QPS and percentiles over all rounds); single is queried\n")
	fmt.Fprintf(&b, "directly, the shards through Strata. Routes are the shard queries in `EXPLAIN STRATA`'s\n")
	fmt.Fprintf(&b, "plan; shard SELECTs/query is what the shards' `Com_select` counted per Strata query\n")
	fmt.Fprintf(&b, "while measuring (what actually ran).\n\n")
	fmt.Fprintf(&b, "| query | routes | shard SELECTs/query | single QPS | single p50 / p95 | Strata QPS | Strata p50 / p95 | Strata / single QPS |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s<br>`%s` | %d | %.1f | %.0f | %s / %s | %.0f | %s / %s | %.2f× |\n",
			r.name, r.sql, r.routes, r.shardSelects, r.single.qps, ms(r.single.p50), ms(r.single.p95),
			r.strata.qps, ms(r.strata.p50), ms(r.strata.p95), r.strata.qps/r.single.qps)
	}
	byName, remembered := rows[2], rows[3]
	fmt.Fprintf(&b, "\nAn item by name: `items`' name is no shard key, so the read runs on every shard (%.1f shard\n", byName.shardSelects)
	fmt.Fprintf(&b, "SELECTs per query); `named_items` (%d rows: the first items, sharded as `items`) lists `name` in\n", namedItems)
	fmt.Fprintf(&b, "`unique:`, so Strata remembers the shard each name's row was written to and reads it there\n")
	fmt.Fprintf(&b, "alone (%.1f shard SELECTs per query): **%.2f×** the QPS of the read over every shard.\n",
		remembered.shardSelects, remembered.strata.qps/byName.strata.qps)
	byNames, rememberedList := rows[6], rows[7]
	fmt.Fprintf(&b, "\nThree items by a list of names (`name IN (...)`): over every shard on `items` (%.1f shard\n", byNames.shardSelects)
	fmt.Fprintf(&b, "SELECTs per query); on `named_items` Strata knows each name's shard and reads those alone\n")
	fmt.Fprintf(&b, "(%.1f shard SELECTs per query): **%.2f×** the QPS of the read over every shard.\n",
		rememberedList.shardSelects, rememberedList.strata.qps/byNames.strata.qps)
	walk, scatter := rows[4], rows[5]
	fmt.Fprintf(&b, "\nLast 5 posts through Strata, ordered walk vs the same answer forced to a full scatter\n")
	fmt.Fprintf(&b, "(`ORDER BY created_at + INTERVAL 0 SECOND`: an expression is not walkable, so all %d\n", months)
	fmt.Fprintf(&b, "period tables are read): **%.2f×** the QPS (%.0f vs %.0f), p95 %s vs %s.\n",
		walk.strata.qps/scatter.strata.qps, walk.strata.qps, scatter.strata.qps, ms(walk.strata.p95), ms(scatter.strata.p95))
	fmt.Fprintf(&b, "The walk plans all %d period tables (its routes) but ran %.1f shard SELECT per query:\n", walk.routes, walk.shardSelects)
	fmt.Fprintf(&b, "the newest month already holds five posts. On single, the forced-scatter statement\n")
	fmt.Fprintf(&b, "sorts all %d posts instead of reading the index; that is its baseline above.\n\n", months*postsPerMonth)
	model := cpuModel()
	if model != "" {
		model = " (" + model + ")"
	}
	fmt.Fprintf(&b, "The machine has %d CPUs%s, shared by the client, Strata and the five servers\n", runtime.NumCPU(), model)
	fmt.Fprintf(&b, "that answer (four shards and single): the four queries of a scatter compete with the\n")
	fmt.Fprintf(&b, "client and Strata for the same cores, and absolute numbers wander from run to run, so\n")
	fmt.Fprintf(&b, "compare the ratios. In this run Strata's 4-shard scatter ran at %.2f× (top 10) and\n",
		rows[0].strata.qps/rows[0].single.qps)
	fmt.Fprintf(&b, "%.2f× (GROUP BY) single's QPS; the walk, a cheap query where the extra hop dominates,\n",
		rows[1].strata.qps/rows[1].single.qps)
	fmt.Fprintf(&b, "at %.2f× single's; the forced full scatter at %.2f× single running the same statement.\n",
		walk.strata.qps/walk.single.qps, scatter.strata.qps/scatter.single.qps)

	return benchenv.AppendSection(path, b.String())
}
