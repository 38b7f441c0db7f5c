// Package testenv starts what Strata's integration tests run against: a
// sandbox of real MariaDB servers and Strata in-process in front of them,
// plus helpers that read the servers' own counters.
package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/server"
)

// Env is one sandbox and the Strata instances in front of it.
type Env struct {
	SB       *sandbox.Sandbox
	Primary  *sandbox.Server
	Replicas []*sandbox.Server
	dir      string
}

// Main runs a test binary's tests against a sandbox built from yaml: it
// skips everything when MariaDB is missing (unless STRATA_REQUIRE_MARIADB is
// set, as in CI) and tears the servers down afterwards.
func Main(m *testing.M, yaml string, setup func(*Env) error) {
	if !sandbox.MariaDBInstalled() {
		if os.Getenv("STRATA_REQUIRE_MARIADB") != "" {
			fmt.Fprintln(os.Stderr, "mariadbd not found and STRATA_REQUIRE_MARIADB is set: run make deps")
			os.Exit(1)
		}
		fmt.Println("skipping integration tests: mariadbd not installed (make deps installs it)")
		os.Exit(0)
	}
	e, err := Up(yaml)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration setup:", err)
		os.Exit(1)
	}
	code := 1
	if err := setup(e); err != nil {
		fmt.Fprintln(os.Stderr, "integration setup:", err)
	} else {
		code = m.Run()
	}
	e.Down()
	os.Exit(code)
}

// Up starts the sandbox of a config and creates the blog schema.
func Up(yaml string) (*Env, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "strata-it-")
	if err != nil {
		return nil, err
	}
	sb, err := sandbox.Up(ctx, cfg, sandbox.Options{Dir: dir + "/sb", KillWithParent: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	e := &Env{SB: sb, Primary: sb.Primary(cfg.DefaultCluster), Replicas: sb.Replicas(cfg.DefaultCluster), dir: dir}
	if err := e.Primary.Exec(ctx, "CREATE DATABASE IF NOT EXISTS blog"); err != nil {
		e.Down()
		return nil, err
	}
	return e, sb.WaitReplicated(ctx)
}

// Down stops the servers and removes their data.
func (e *Env) Down() {
	e.SB.Down(context.Background())
	os.RemoveAll(e.dir)
}

// StartStrata runs Strata in-process with yaml (listen addresses may use port 0).
func StartStrata(yaml string) (*server.Strata, error) {
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		return nil, err
	}
	level := slog.LevelWarn
	if os.Getenv("STRATA_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return server.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

// StartStrataFile runs Strata from yaml written to a file of the test's
// temporary directory, so what saves the config (a switchover, a
// failover, POST /api/config/save) has a file to write; it is stopped
// with the test.
func StartStrataFile(t testing.TB, yaml string) (*server.Strata, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "strata.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, path
}

// DSN is a go-sql-driver DSN for addr with extra parameters.
func DSN(addr, user, password, db string, params ...string) string {
	dsn := fmt.Sprintf("%s:%s@tcp(%s)/%s", user, password, addr, db)
	if len(params) > 0 {
		dsn += "?" + strings.Join(params, "&")
	}
	return dsn
}

// Open opens a handle closed at the end of the test.
func Open(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Conn takes one connection of db for the test: what a client session
// does, statement after statement on the same connection.
func Conn(t testing.TB, db *sql.DB) *sql.Conn {
	t.Helper()
	c, err := db.Conn(Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Ctx is a context bounded to two minutes, cancelled with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Setup runs statements on the primary and waits until every replica has them.
func (e *Env) Setup(t testing.TB, stmts ...string) {
	t.Helper()
	ctx := Ctx(t)
	for _, s := range stmts {
		if err := e.Primary.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := e.SB.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
}

// RowsRead is MariaDB's own count of rows read from blog.table on a server
// (userstat's information_schema.TABLE_STATISTICS).
func RowsRead(t testing.TB, srv *sandbox.Server, table string) int64 {
	t.Helper()
	v, err := srv.QueryValue(Ctx(t), "SELECT COALESCE(SUM(ROWS_READ),0) FROM information_schema.TABLE_STATISTICS WHERE TABLE_SCHEMA='blog' AND TABLE_NAME=?", table)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	fmt.Sscan(v, &n)
	return n
}

// ReadsByServer is RowsRead for the primary and for each replica.
func (e *Env) ReadsByServer(t testing.TB, table string) (primary int64, replicas []int64) {
	primary = RowsRead(t, e.Primary, table)
	for _, r := range e.Replicas {
		replicas = append(replicas, RowsRead(t, r, table))
	}
	return primary, replicas
}

// Sum adds counts.
func Sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// MySQLErr extracts the MySQL error number from a driver error (0 if none).
func MySQLErr(err error) uint16 {
	if me, ok := err.(*mysql.MySQLError); ok {
		return me.Number
	}
	return 0
}

// Querier is *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// Strings runs a query and renders every row as "a|b|c" (NULL as NULL).
func Strings(t testing.TB, q Querier, query string, args ...any) []string {
	t.Helper()
	rows, err := q.QueryContext(Ctx(t), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	out, err := ResultStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ResultStrings reads the rows of rows' current result set, each as
// "a|b|c" (NULL as NULL).
func ResultStrings(rows *sql.Rows) ([]string, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := []string{}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return out, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if v.Valid {
				parts[i] = v.String
			} else {
				parts[i] = "NULL"
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out, rows.Err()
}
