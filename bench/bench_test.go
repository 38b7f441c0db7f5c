package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Environment of the benchmarks. Both DSNs are go-sql-driver DSNs naming a
// schema that holds a sysbench table (scripts/bench.sh prepares sbtest1
// with 10k rows); the hosts must be loopback addresses.
const (
	envDirect = "STRATA_BENCH_DIRECT" // the replica itself
	envStrata = "STRATA_BENCH_STRATA" // Strata, whose reads go to that replica
	// envRelay optionally names a plain TCP relay to the same replica
	// (bench/nullproxy): the cost of the extra hop alone.
	envRelay = "STRATA_BENCH_RELAY"
	envTable = "STRATA_BENCH_TABLE" // default sbtest1
)

// target is one way to reach the replica.
type target struct {
	name string // direct, relay, strata
	db   *sql.DB
}

// pair holds the connections of one benchmark: the same query runs on
// each target in turn, so noise on the shared machine hits all alike.
type pair struct {
	targets []target // direct first, strata last
	table   string
	rows    int // rows in table; ids are 1..rows as sysbench makes them
}

func setup(b *testing.B, interpolate bool) *pair {
	b.Helper()
	directDSN, strataDSN := os.Getenv(envDirect), os.Getenv(envStrata)
	if directDSN == "" || strataDSN == "" {
		b.Skipf("set %s and %s to run (scripts/bench.sh does)", envDirect, envStrata)
	}
	table := os.Getenv(envTable)
	if table == "" {
		table = "sbtest1"
	}
	p := &pair{table: table}
	p.targets = append(p.targets, target{"direct", open(b, directDSN, interpolate)})
	if relayDSN := os.Getenv(envRelay); relayDSN != "" {
		p.targets = append(p.targets, target{"relay", open(b, relayDSN, interpolate)})
	}
	p.targets = append(p.targets, target{"strata", open(b, strataDSN, interpolate)})
	ctx := context.Background()
	for _, t := range p.targets {
		var n int
		if err := t.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			b.Fatalf("%s: %v", t.name, err)
		}
		if n == 0 || (p.rows != 0 && n != p.rows) {
			b.Fatalf("%s has %d rows through %s and %d directly: prepare the table and wait for replication", table, n, t.name, p.rows)
		}
		p.rows = n
	}
	return p
}

// open connects one *sql.DB with a single connection, refusing anything
// but a loopback address: benchmarks never leave this machine.
func open(b *testing.B, dsn string, interpolate bool) *sql.DB {
	b.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		b.Fatalf("%s: %v", dsn, err)
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host = cfg.Addr
	}
	if ip := net.ParseIP(host); cfg.Net != "tcp" || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		b.Fatalf("%s: benchmarks only run against loopback TCP addresses", dsn)
	}
	cfg.InterpolateParams = interpolate
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	b.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		b.Fatalf("%s: %v", cfg.Addr, err)
	}
	return db
}

// interleave runs op on every target b.N times, rotating which goes first,
// and reports each target's time per op and the ratios (strata/direct: 1.25
// means Strata takes 25% longer). ns/op is one op on every target.
func interleave(b *testing.B, p *pair, op func(db *sql.DB) func(i int) error) {
	b.Helper()
	ops := make([]func(int) error, len(p.targets))
	for j, t := range p.targets {
		ops[j] = op(t.db)
	}
	for i := range 20 { // warm the connections and Strata's backend pool
		for j, t := range p.targets {
			if err := ops[j](i); err != nil {
				b.Fatalf("%s: %v", t.name, err)
			}
		}
	}
	spent := make([]time.Duration, len(p.targets))
	n := len(p.targets)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range n {
			j := (i + k) % n
			t0 := time.Now()
			if err := ops[j](i); err != nil {
				b.Fatalf("%s: %v", p.targets[j].name, err)
			}
			spent[j] += time.Since(t0)
		}
	}
	b.StopTimer()
	per := map[string]float64{}
	for j, t := range p.targets {
		per[t.name] = float64(spent[j].Nanoseconds()) / float64(b.N)
		b.ReportMetric(per[t.name], t.name+"-ns/op")
	}
	b.ReportMetric(per["strata"]/per["direct"], "strata/direct")
	if r, ok := per["relay"]; ok {
		b.ReportMetric(r/per["direct"], "relay/direct")
		b.ReportMetric(per["strata"]/r, "strata/relay")
	}
}

// ids returns the id of iteration i: the same pseudo-random sequence on both
// sides, over the rows sysbench made.
func (p *pair) ids(n int) []int64 {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]int64, n)
	for i := range out {
		out[i] = 1 + r.Int64N(int64(p.rows))
	}
	return out
}

// BenchmarkPointSelect is sysbench's point select through go-sql-driver:
// text protocol with the driver interpolating the parameter
// (interpolateParams=true), and a server-side prepared statement
// (COM_STMT_EXECUTE, binary protocol).
func BenchmarkPointSelect(b *testing.B) {
	b.Run("mode=interpolate", func(b *testing.B) {
		p := setup(b, true)
		q := "SELECT c FROM " + p.table + " WHERE id = ?"
		ids := p.ids(1 << 16)
		ctx := context.Background()
		one := func(db *sql.DB) func(int) error {
			var c string
			return func(i int) error {
				return db.QueryRowContext(ctx, q, ids[i&(len(ids)-1)]).Scan(&c)
			}
		}
		interleave(b, p, one)
	})
	b.Run("mode=prepared", func(b *testing.B) {
		p := setup(b, false)
		q := "SELECT c FROM " + p.table + " WHERE id = ?"
		ids := p.ids(1 << 16)
		ctx := context.Background()
		one := func(db *sql.DB) func(int) error {
			stmt, err := db.PrepareContext(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { stmt.Close() })
			var c string
			return func(i int) error {
				return stmt.QueryRowContext(ctx, ids[i&(len(ids)-1)]).Scan(&c)
			}
		}
		interleave(b, p, one)
	})
}

// BenchmarkStreamRows reads the whole sysbench table (10k rows of about
// 190 bytes) in one text-protocol result: Strata's relay of a large result.
func BenchmarkStreamRows(b *testing.B) {
	p := setup(b, true)
	q := "SELECT id, k, c, pad FROM " + p.table
	ctx := context.Background()
	one := func(db *sql.DB) func(int) error {
		var id, k int64
		var c, pad sql.RawBytes
		return func(int) error {
			rows, err := db.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			n := 0
			for rows.Next() {
				if err := rows.Scan(&id, &k, &c, &pad); err != nil {
					rows.Close()
					return err
				}
				n++
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if n != p.rows {
				return fmt.Errorf("read %d rows, want %d", n, p.rows)
			}
			return nil
		}
	}
	interleave(b, p, one)
}
