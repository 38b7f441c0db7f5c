// Package sharding tests sharding end to end: four shard clusters behind
// Strata, every sharding method, a differential test against one plain
// MariaDB holding the same rows, and the servers' own counters proving
// which shards and tables each statement touched.
//
// Run: go test ./test/sharding/ -v [-run TestDifferential]
// Env: STRATA_DIFF_SEED, STRATA_DIFF_QUERIES, STRATA_DIFF_CHARSET, STRATA_DIFF_PREPARED (=1: prepared; =args: with values bound) (differentials), STRATA_TEST_LOG
// (Strata debug log), STRATA_REQUIRE_MARIADB (fail instead of skip).
package sharding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/shard"
)

// Servers: one per cluster, no replicas.
var clusterAddr = map[string]string{
	"main": "127.0.0.1:25306", "accounts": "127.0.0.1:25308",
	"s0": "127.0.0.1:25310", "s1": "127.0.0.1:25311", "s2": "127.0.0.1:25312", "s3": "127.0.0.1:25313",
	"single": "127.0.0.1:25320",
}

const (
	strataAddr  = "127.0.0.1:25400"
	strataAdmin = "127.0.0.1:25480"
	// The second instance (sequence test) shares the config but listens here.
	strata2Addr  = "127.0.0.1:25401"
	strata2Admin = "127.0.0.1:25481"
)

const clustersYAML = `listen: %s
admin_listen: %s
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
default_cluster: main
schema: blog
monitor: {interval: 10s}
clusters:
  main:     {primary: 127.0.0.1:25306}
  accounts: {primary: 127.0.0.1:25308}
  s0: {primary: 127.0.0.1:25310}
  s1: {primary: 127.0.0.1:25311}
  s2: {primary: 127.0.0.1:25312}
  s3: {primary: 127.0.0.1:25313}
  single: {primary: 127.0.0.1:25320}
`

const tablesYAML = `tables:
  users:    {cluster: accounts}
  profiles: {cluster: accounts}
  comments: {shard_key: entry_id, method: modulo, shards: [s0, s1, s2, s3]}
  entries:  {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}, sequence: {column: id, name: entries_seq}}
  entry_likes: {shard_key: entry_id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}
  events:   {shard_key: id, method: range, shards: {s0: "..1000", s1: "1000..2000", s2: "2000..3000", s3: "3000.."}}
  posts:    {shard_key: created_at, method: date, period: month, since: "%s", ahead: 1,
             shards: {s0: "..%s", s1: "%s..%s", s2: "%s..%s", s3: "%s.."}}
  members:  {shard_key: username, method: key_range, shards: {s0: "..g", s1: "g..n", s2: "n..t", s3: "t.."}}
  orders:   {shard_key: customer_id, method: lookup, lookup_table: order_customer, lookup_cluster: main, shards: [s0, s1, s2, s3]}
  audit:    {shard_key: id, method: modulo, shards: [s0, s1, s2, s3], scatter: deny}
  countries: {reference: true}
sequences:
  entries_seq: {cluster: main, block: 50}
`

// topologyTimes are the posts dates, computed from the clock at start so
// the data always covers the 24 months ending with the current one.
type topologyTimes struct {
	now    time.Time
	since  time.Time   // first of the month 23 months ago
	months []time.Time // the 24 data months, oldest first
	bounds [3]time.Time
}

func newTopologyTimes(now time.Time) *topologyTimes {
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	tt := &topologyTimes{now: now, since: cur.AddDate(0, -23, 0)}
	for i := 0; i < 24; i++ {
		tt.months = append(tt.months, tt.since.AddDate(0, i, 0))
	}
	for i := range tt.bounds {
		tt.bounds[i] = tt.since.AddDate(0, 6*(i+1), 0)
	}
	return tt
}

func (tt *topologyTimes) postsConfig() shard.Config {
	d := func(t time.Time) string { return t.Format(time.DateOnly) }
	b := tt.bounds
	return shard.Config{ShardKey: "created_at", Method: "date", Period: "month", Since: d(tt.since), Ahead: 1,
		Now: func() time.Time { return tt.now },
		Ranges: map[string]string{"s0": ".." + d(b[0]), "s1": d(b[0]) + ".." + d(b[1]),
			"s2": d(b[1]) + ".." + d(b[2]), "s3": d(b[2]) + ".."}}
}

func (tt *topologyTimes) postsMethod() shard.Method { return mustMethod("posts", tt.postsConfig()) }

// postsTables are the period tables from since through current + ahead.
func (tt *topologyTimes) postsTables() []shard.DateTable {
	d := tt.postsMethod().(*shard.Date)
	return d.DateTables(shard.Bound{}, shard.Bound{}) // newest first
}

// strataYAML is the full config for an instance listening on addr/admin.
func (tt *topologyTimes) strataYAML(addr, admin string) string {
	d := func(t time.Time) string { return t.Format(time.DateOnly) }
	b := tt.bounds
	return fmt.Sprintf(clustersYAML, addr, admin) +
		fmt.Sprintf(tablesYAML, d(tt.since), d(b[0]), d(b[0]), d(b[1]), d(b[1]), d(b[2]), d(b[2]))
}

// --- the environment --------------------------------------------------

var (
	times  *topologyTimes
	ds     *dataSet
	sb     *sandbox.Sandbox
	direct = map[string]*sql.DB{} // cluster -> root handle on its server (no default database)
	// singleBlog is root on single with database blog: the reference answers.
	singleBlog *sql.DB
	setupAt    time.Duration
)

func TestMain(m *testing.M) {
	if !sandbox.MariaDBInstalled() {
		if os.Getenv("STRATA_REQUIRE_MARIADB") != "" {
			fmt.Fprintln(os.Stderr, "mariadbd not found and STRATA_REQUIRE_MARIADB is set: run make deps")
			os.Exit(1)
		}
		fmt.Println("skipping sharding tests: mariadbd not installed (make deps installs it)")
		os.Exit(0)
	}
	start := time.Now()
	times = newTopologyTimes(time.Now())
	ds = newDataSet(times)
	dir, err := os.MkdirTemp("", "strata-sharding-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, "sharding setup:", err)
	} else {
		setupAt = time.Since(start)
		fmt.Printf("sharding sandbox: 7 servers, schema and single's data in %s\n", setupAt.Round(time.Millisecond))
		code = m.Run()
	}
	stopStrata()
	for _, db := range direct {
		db.Close()
	}
	if sb != nil {
		sb.Down(context.Background())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func setup(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The sandbox only needs the clusters; the config package may not know
	// tables:/sequences: while sharding is being written.
	cfg, err := config.Parse([]byte(fmt.Sprintf(clustersYAML, "127.0.0.1:0", "127.0.0.1:0")))
	if err != nil {
		return err
	}
	var logw *os.File
	if os.Getenv("STRATA_TEST_LOG") != "" {
		logw = os.Stderr
	}
	opts := sandbox.Options{Dir: dir + "/sb", KillWithParent: true,
		// Counters must see every SELECT: no query cache hits.
		ExtraConfig: []string{"query_cache_type = 0", "query_cache_size = 0", "innodb_buffer_pool_size = 16M"}}
	if logw != nil {
		opts.Log = logw
	}
	if sb, err = sandbox.Up(ctx, cfg, opts); err != nil {
		return err
	}
	for cluster, addr := range clusterAddr {
		db, err := sql.Open("mysql", "root@tcp("+addr+")/?multiStatements=true&maxAllowedPacket=0")
		if err != nil {
			return err
		}
		db.SetMaxIdleConns(4)
		direct[cluster] = db
	}
	if singleBlog, err = sql.Open("mysql", "root@tcp("+clusterAddr["single"]+")/blog"); err != nil {
		return err
	}
	return parallel(clusterNames(), func(cluster string) error {
		return createSchema(ctx, cluster)
	})
}

func clusterNames() []string {
	return []string{"main", "accounts", "s0", "s1", "s2", "s3", "single"}
}

func parallel(items []string, f func(string) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(items))
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(it)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func execAll(ctx context.Context, db *sql.DB, stmts ...string) error {
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			short := s
			if len(short) > 200 {
				short = short[:200] + "..."
			}
			return fmt.Errorf("%s: %w", short, err)
		}
	}
	return nil
}

// createSchema makes database blog and the tables of one cluster; on
// single it also loads every table (and the shuffled copy blog_check).
func createSchema(ctx context.Context, cluster string) error {
	db := direct[cluster]
	stmts := []string{"CREATE DATABASE IF NOT EXISTS blog"}
	tbl := func(t *tableDef, name string) { stmts = append(stmts, fmt.Sprintf(t.ddl, "blog."+name)) }
	switch cluster {
	case "main":
		stmts = append(stmts, "CREATE TABLE blog.order_customer (customer_id BIGINT PRIMARY KEY, shard VARCHAR(64) NOT NULL)")
		var vals []string
		for cust, s := range ds.custOf {
			vals = append(vals, fmt.Sprintf("(%d, '%s')", cust, s))
		}
		stmts = append(stmts, "INSERT INTO blog.order_customer (customer_id, shard) VALUES "+strings.Join(vals, ", "))
	case "accounts":
		tbl(ds.tables["users"], "users")
		tbl(ds.tables["profiles"], "profiles")
	case "single":
		stmts = append(stmts, "CREATE DATABASE IF NOT EXISTS blog_check")
		for _, name := range ds.order {
			t := ds.tables[name]
			tbl(t, name)
			stmts = append(stmts, t.insertStmts("blog."+name, t.rows, 200)...)
			// blog_check: the same rows in another engine and order, for the
			// generator's self-check (a query whose answer depends on the
			// physical order shows up as a difference).
			stmts = append(stmts, fmt.Sprintf(t.ddl, "blog_check."+name)+" ENGINE=MyISAM")
			shuffled := slices.Clone(t.rows)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			stmts = append(stmts, t.insertStmts("blog_check."+name, shuffled, 200)...)
		}
	default: // s0..s3
		for _, name := range ds.order {
			t := ds.tables[name]
			if t.cluster != "" {
				continue
			}
			tbl(t, name) // posts: the base table the period tables are LIKE
		}
		for table, s := range ds.postsBy {
			if s == cluster {
				stmts = append(stmts, fmt.Sprintf("CREATE TABLE blog.%s LIKE blog.posts", table))
			}
		}
		// countries is a reference table: the same rows on every shard.
		c := ds.tables["countries"]
		stmts = append(stmts, c.insertStmts("blog.countries", c.rows, 200)...)
	}
	return execAll(ctx, db, stmts...)
}

// --- Strata -----------------------------------------------------------

var strata struct {
	once     sync.Once
	s        *server.Strata
	err      error
	loadTime time.Duration

	once2 sync.Once
	proc2 *exec.Cmd // the second Strata, a process of its own
	err2  error
}

func startStrata(addr, admin string) (*server.Strata, error) {
	cfg, err := parseConfig(times.strataYAML(addr, admin))
	if err != nil {
		return nil, err
	}
	return startConfig(cfg)
}

func parseConfig(yaml string) (*config.Config, error) {
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		return nil, fmt.Errorf("config with tables:/sequences: does not load: %w", err)
	}
	return cfg, nil
}

// startConfig runs Strata in this process with cfg.
func startConfig(cfg *config.Config) (*server.Strata, error) {
	level := slog.LevelWarn
	if os.Getenv("STRATA_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return server.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

// strataDB starts Strata (once) and loads the sharded tables through it;
// every test that needs it fails with the same error when that fails.
func strataDB(t testing.TB) *sql.DB {
	t.Helper()
	if directLoad() {
		shardedData(t)
	}
	strata.once.Do(func() {
		start := time.Now()
		if strata.s, strata.err = startStrata(strataAddr, strataAdmin); strata.err != nil {
			return
		}
		if directLoad() {
			return
		}
		if strata.err = loadThroughStrata(); strata.err == nil {
			strata.loadTime = time.Since(start)
			fmt.Printf("sharding: Strata started and data loaded through it in %s\n", strata.loadTime.Round(time.Millisecond))
		}
	})
	if strata.err != nil {
		t.Fatalf("sharded setup: %v", strata.err)
	}
	return openStrata(t, strataAddr)
}

// directLoad: STRATA_SHARD_LOAD=direct writes the sharded rows straight
// into the shards (where the shard package puts them) instead of through
// Strata, to test reads while the write path is broken.
func directLoad() bool { return os.Getenv("STRATA_SHARD_LOAD") == "direct" }

var directData struct {
	once sync.Once
	err  error
}

// shardedData makes sure the shards hold the data set: through Strata by
// default, directly with STRATA_SHARD_LOAD=direct.
func shardedData(t testing.TB) {
	t.Helper()
	if !directLoad() {
		strataDB(t)
		return
	}
	directData.once.Do(func() { directData.err = loadDirect() })
	if directData.err != nil {
		t.Fatalf("direct load: %v", directData.err)
	}
}

func loadDirect() error {
	ctx := context.Background()
	per := map[string]map[string][][]string{} // shard -> physical table -> rows
	for _, name := range ds.order {
		tb := ds.tables[name]
		if tb.key < 0 {
			continue
		}
		for _, r := range tb.rows {
			s, p := tb.ownerOf(r), tb.physical(r)
			if per[s] == nil {
				per[s] = map[string][][]string{}
			}
			per[s][p] = append(per[s][p], r)
		}
	}
	return parallel(shardNames, func(s string) error {
		for p, rows := range per[s] {
			base := p
			if strings.HasPrefix(p, "posts_") {
				base = "posts"
			}
			if err := execAll(ctx, direct[s], ds.tables[base].insertStmts("blog."+p, rows, 200)...); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
}

// strata2DB starts the second instance: a separate `strata serve`
// process (built from this tree) with the same config on other ports, so
// that two Strata processes share the sequences.
func strata2DB(t testing.TB) *sql.DB {
	t.Helper()
	strataDB(t)
	strata.once2.Do(func() { strata.proc2, strata.err2 = startStrataProcess(strata2Addr, strata2Admin) })
	if strata.err2 != nil {
		t.Fatalf("second Strata: %v", strata.err2)
	}
	return openStrata(t, strata2Addr)
}

// startStrataProcess builds cmd/strata and runs `strata serve` on addr.
func startStrataProcess(addr, admin string) (*exec.Cmd, error) {
	dir, err := os.MkdirTemp("", "strata-proc-")
	if err != nil {
		return nil, err
	}
	procDirs = append(procDirs, dir) // its 30 MB binary goes in stopStrata
	bin := filepath.Join(dir, "strata")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/strata").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	conf := filepath.Join(dir, "strata.yaml")
	if err := os.WriteFile(conf, []byte(times.strataYAML(addr, admin)), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "-c", conf)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return cmd, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("strata serve did not listen on %s within 20s", addr)
}

// procDirs are the folders of the Strata processes the tests built.
var procDirs []string

func stopStrata() {
	if strata.proc2 != nil {
		strata.proc2.Process.Signal(os.Interrupt)
		strata.proc2.Wait()
	}
	for _, dir := range procDirs {
		os.RemoveAll(dir)
	}
	if strata.s != nil {
		strata.s.Close()
	}
	for _, in := range []*extraInstance{&twoPC, &smallPull, &freshConns} {
		if in.s != nil {
			in.s.Close()
		}
	}
}

// extraInstance is one more Strata, in this process, over the same servers
// with something added to the config, started by the first test that
// needs it.
type extraInstance struct {
	once sync.Once
	s    *server.Strata
	err  error
}

// start starts the instance on addr and admin (once) with extra appended
// to the config, after the data is loaded.
func (in *extraInstance) start(t *testing.T, addr, admin, extra string) {
	t.Helper()
	strataDB(t) // the data
	in.once.Do(func() {
		// Its monitor checks rarely: each pass is a SELECT on every server,
		// which the counter tests of the main instance would see.
		yaml := strings.Replace(times.strataYAML(addr, admin), "monitor: {interval: 10s}", "monitor: {interval: 1h}", 1)
		cfg, err := parseConfig(yaml + extra)
		if err != nil {
			in.err = err
			return
		}
		in.s, in.err = startConfig(cfg)
	})
	if in.err != nil {
		t.Fatalf("Strata with %s: %v", strings.TrimSpace(extra), in.err)
	}
}

func openStrata(t testing.TB, addr string) *sql.DB {
	db, err := sql.Open("mysql", "app:app@tcp("+addr+")/blog")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// loadThroughStrata writes the sharded tables' rows with multi-row INSERTs
// through Strata (the write path splits them per shard). countries and the
// orders lookup entries were written directly by createSchema.
func loadThroughStrata() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := sql.Open("mysql", "app:app@tcp("+strataAddr+")/blog")
	if err != nil {
		return err
	}
	defer db.Close()
	var names []string
	for _, name := range ds.order {
		if t := ds.tables[name]; !t.reference {
			names = append(names, name)
		}
	}
	return parallel(names, func(name string) error {
		t := ds.tables[name]
		if err := execAll(ctx, db, t.insertStmts(name, t.rows, 100)...); err != nil {
			return fmt.Errorf("loading %s through Strata: %w", name, err)
		}
		return nil
	})
}
