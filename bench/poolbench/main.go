// Command poolbench measures how a pool's balance mode and Strata's result
// cache interact with MariaDB's query cache: a primary and four replicas in
// one pool, a read-only mix of 400 repeated statements, run through Strata
// with random balancing, affinity balancing and random plus a cache rule.
// It appends a markdown section to -out (docs/BENCHMARKS.md by default).
//
//	go run ./bench/poolbench -out docs/BENCHMARKS.md
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/bench/benchenv"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/server"
)

const (
	rows       = 2000
	statements = 400
	workers    = 8
)

// base is the cluster every run shares; %s is the pool block, %s the routing.
const base = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users:
  - {name: app, password: app}
backend: {user: strata, password: strata}
monitor: {interval: 1s}
clusters:
  main:
    primary: 127.0.0.1:19306
    replicas:
      - {address: 127.0.0.1:19307, pool: primary}
      - {address: 127.0.0.1:19308, pool: primary}
      - {address: 127.0.0.1:19309, pool: primary}
      - {address: 127.0.0.1:19310, pool: primary}
    pools:
      primary: {balance: %s}
%s`

const cacheRule = `routing:
  - {match: {tables: [items]}, pool: primary, cache: 30s}
`

type variant struct {
	name    string
	balance string
	routing string
}

type result struct {
	name        string
	qps         float64
	queries     int64
	errors      int64
	qcHits      int64
	comSelect   int64
	perReplica  []int64 // Com_select per replica (it counts query-cache hits too)
	strataCache bool
	cacheHits   uint64
	cacheMisses uint64
}

func main() {
	out := flag.String("out", "docs/BENCHMARKS.md", "markdown file to append the section to")
	dur := flag.Duration("duration", 8*time.Second, "run time per configuration")
	flag.Parse()
	if err := run(*out, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "poolbench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "poolbench: "+format+"\n", args...)
}

func run(outPath string, dur time.Duration) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := config.Parse([]byte(fmt.Sprintf(base, "random", "")))
	if err != nil {
		return err
	}
	upCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	logf("starting sandbox")
	sb, down, err := benchenv.Sandbox(upCtx, "poolbench", cfg, "query_cache_size = 128K")
	if err != nil {
		return err
	}
	defer func() {
		if derr := down(); derr != nil && err == nil {
			err = derr
		}
	}()
	primary := sb.Primary(cfg.DefaultCluster)
	replicas := sb.Replicas(cfg.DefaultCluster)
	if err := load(upCtx, primary); err != nil {
		return err
	}
	if err := sb.WaitReplicated(upCtx); err != nil {
		return err
	}

	variants := []variant{
		{"(a) random", "random", ""},
		{"(b) affinity", "affinity", ""},
		{"(c) random + Strata cache 30s", "random", cacheRule},
	}
	var results []result
	for _, v := range variants {
		r, err := measure(ctx, v, replicas, dur)
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		logf("%s: %.0f qps, %d errors, qcache %d hits / %d selects, per replica %v",
			v.name, r.qps, r.errors, r.qcHits, r.comSelect, r.perReplica)
		results = append(results, r)
	}
	return appendSection(outPath, results, dur)
}

func load(ctx context.Context, p *sandbox.Server) error {
	stmts := []string{
		"CREATE DATABASE IF NOT EXISTS blog",
		"DROP TABLE IF EXISTS blog.items",
		"CREATE TABLE blog.items (id INT PRIMARY KEY, name VARCHAR(50), n INT)",
	}
	for _, s := range stmts {
		if err := p.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	for start := 1; start <= rows; start += 500 {
		var b strings.Builder
		b.WriteString("INSERT INTO blog.items (id, name, n) VALUES ")
		for id := start; id < start+500 && id <= rows; id++ {
			if id > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'item-%d',%d)", id, id, id*7%1000)
		}
		if err := p.Exec(ctx, b.String()); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	return nil
}

// queries are the 400 distinct statements of the mix.
func queries() []string {
	qs := make([]string, statements)
	for i := range qs {
		k := 1 + i*5
		qs[i] = fmt.Sprintf("SELECT name, n FROM items WHERE id BETWEEN %d AND %d", k, k+9)
	}
	return qs
}

type counters struct{ hits, selects []int64 }

func snapshot(ctx context.Context, replicas []*sandbox.Server) (counters, error) {
	c := counters{hits: make([]int64, len(replicas)), selects: make([]int64, len(replicas))}
	for i, r := range replicas {
		var err error
		if c.hits[i], err = r.GlobalStatus(ctx, "Qcache_hits"); err != nil {
			return c, err
		}
		if c.selects[i], err = r.GlobalStatus(ctx, "Com_select"); err != nil {
			return c, err
		}
	}
	return c, nil
}

func measure(ctx context.Context, v variant, replicas []*sandbox.Server, dur time.Duration) (result, error) {
	res := result{name: v.name}
	cfg, err := config.Parse([]byte(fmt.Sprintf(base, v.balance, v.routing)))
	if err != nil {
		return res, err
	}
	st, err := server.Start(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return res, err
	}
	defer st.Close()

	db, err := sql.Open("mysql", fmt.Sprintf("app:app@tcp(%s)/blog?interpolateParams=true", st.MySQLAddr()))
	if err != nil {
		return res, err
	}
	defer db.Close()
	db.SetMaxOpenConns(workers)
	db.SetMaxIdleConns(workers)
	// Open the connections before the clock starts.
	var warm sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		warm.Add(1)
		go func() {
			defer warm.Done()
			if err := db.PingContext(ctx); err != nil {
				errs <- err
			}
		}()
	}
	warm.Wait()
	select {
	case err := <-errs:
		return res, fmt.Errorf("connect through strata: %w", err)
	default:
	}

	// Every replica starts with a cold query cache.
	for _, r := range replicas {
		for _, s := range []string{"FLUSH QUERY CACHE", "RESET QUERY CACHE"} {
			if err := r.Exec(ctx, s); err != nil {
				return res, fmt.Errorf("%s on %s: %w", s, r.Addr, err)
			}
		}
	}
	before0 := statsOf(st)
	before, err := snapshot(ctx, replicas)
	if err != nil {
		return res, err
	}

	qs := queries()
	var done, failed atomic.Int64
	var firstErr atomic.Value
	runCtx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var name string
			var n int
			for runCtx.Err() == nil {
				rs, err := db.QueryContext(runCtx, qs[rand.IntN(len(qs))])
				if err != nil {
					if runCtx.Err() == nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
					continue
				}
				for rs.Next() {
					if err := rs.Scan(&name, &n); err != nil {
						break
					}
				}
				if err := rs.Err(); err != nil && runCtx.Err() == nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				rs.Close()
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	after, err := snapshot(ctx, replicas)
	if err != nil {
		return res, err
	}
	after0 := statsOf(st)

	res.queries, res.errors = done.Load(), failed.Load()
	if res.queries == 0 {
		return res, fmt.Errorf("no queries completed: %v", firstErr.Load())
	}
	if e := firstErr.Load(); e != nil {
		logf("%s: %d errors, first: %v", v.name, res.errors, e)
	}
	res.qps = float64(res.queries) / elapsed.Seconds()
	for i := range replicas {
		h := after.hits[i] - before.hits[i]
		s := after.selects[i] - before.selects[i]
		res.qcHits += h
		res.comSelect += s
		res.perReplica = append(res.perReplica, s)
	}
	if after0.ok {
		res.strataCache = v.routing != ""
		res.cacheHits = after0.hits - before0.hits
		res.cacheMisses = after0.misses - before0.misses
	}
	return res, nil
}

type cacheStats struct {
	ok           bool
	hits, misses uint64
}

func statsOf(st *server.Strata) cacheStats {
	if st.Env == nil || st.Env.Cache == nil {
		return cacheStats{}
	}
	s := st.Env.Cache.Stats()
	return cacheStats{ok: true, hits: s.Hits, misses: s.Misses}
}

func pct(num, den float64) string {
	if den <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*num/den)
}

// share describes how the replicas' selects were spread, largest first.
func share(per []int64) string {
	var total int64
	for _, n := range per {
		total += n
	}
	if total == 0 {
		return "–"
	}
	parts := make([]string, len(per))
	for i, n := range per {
		parts[i] = fmt.Sprintf("%.0f", 100*float64(n)/float64(total))
	}
	return strings.Join(parts, " / ") + " %"
}

func appendSection(path string, results []result, dur time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Pools: query-cache affinity and Strata's result cache\n\n")
	fmt.Fprintf(&b, "Run %s. A primary and four replicas (127.0.0.1:19306-19310, sandbox\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "`query_cache_type=1`, `query_cache_size=128K`: smaller than the mix), all four replicas in\n")
	fmt.Fprintf(&b, "pool `primary`; `blog.items` holds %d rows. %d goroutines through Strata\n", rows, workers)
	fmt.Fprintf(&b, "(go-sql-driver, `interpolateParams=true`) each pick uniformly at random among\n")
	fmt.Fprintf(&b, "%d distinct statements `SELECT name, n FROM items WHERE id BETWEEN k AND k+9`\n", statements)
	fmt.Fprintf(&b, "for %s per configuration. Every replica's query cache is flushed and reset\n", dur)
	fmt.Fprintf(&b, "before each configuration. MariaDB Qcache hit rate is the sum over replicas of\n")
	fmt.Fprintf(&b, "Qcache_hits delta / Com_select delta (MariaDB counts query-cache hits in\n")
	fmt.Fprintf(&b, "Com_select too; the monitor's own few selects are included); Strata cache hit\n")
	fmt.Fprintf(&b, "ratio is hits / (hits + misses) of Strata's result cache. Replica share is\n")
	fmt.Fprintf(&b, "each replica's part of the Com_select delta, in port order 19307-19310.\n\n")
	fmt.Fprintf(&b, "| config | QPS | MariaDB Qcache hit rate | Strata cache hit ratio | QPS vs random | replica share |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---|\n")
	var randomQPS float64
	for _, r := range results {
		if r.name == "(a) random" {
			randomQPS = r.qps
		}
	}
	row := func(name string, r result) {
		sc := "– (no cache rule)"
		if r.strataCache {
			sc = pct(float64(r.cacheHits), float64(r.cacheHits+r.cacheMisses))
		}
		ratio := "–"
		if randomQPS > 0 {
			ratio = fmt.Sprintf("%.2f×", r.qps/randomQPS)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s |\n", name, r.qps,
			pct(float64(r.qcHits), float64(r.comSelect)), sc, ratio, share(r.perReplica))
	}
	var d *result
	for i, r := range results {
		row(r.name, r)
		if r.name == "(a) random" {
			d = &results[i]
		}
	}
	if d != nil {
		row("(d) random, no Strata cache (= a)", *d)
	}
	b.WriteString(explanation)
	for _, r := range results {
		if r.name != "(b) affinity" || r.comSelect == 0 {
			continue
		}
		var top int64
		for _, n := range r.perReplica {
			top = max(top, n)
		}
		if float64(top) > 0.9*float64(r.comSelect) {
			fmt.Fprintf(&b, "\nIn this run affinity sent %.0f%% of the selects to one replica: the 400\n", 100*float64(top)/float64(r.comSelect))
			b.WriteString("affinity keys on the statement text, so a mix dominated by one statement\n")
			b.WriteString("concentrates on one replica.\n")
		}
	}
	return benchenv.AppendSection(path, b.String())
}

const explanation = `
With ` + "`balance: affinity`" + ` Strata picks the replica by rendezvous hashing of the
statement text, so a statement always lands on the same replica and each
replica's query cache only has to hold its quarter of the statements; with
` + "`random`" + ` every replica must cache every statement. The query cache here (128K per
replica) is smaller than the whole mix but larger than a quarter of it, which
is the situation the seed article describes: random balancing keeps evicting,
affinity keeps each replica's share resident. A Strata cache rule
(` + "`cache: 30s`" + ` on ` + "`items`" + `) answers repeats from Strata's memory without a
backend round trip at all: only the first read of each statement reaches a
replica, which is where its QPS gain comes from.
`
