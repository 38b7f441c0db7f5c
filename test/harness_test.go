// Package test holds Strata's integration tests: a real MariaDB primary
// with two replicas (started by the sandbox package on loopback), Strata
// running in-process in front of them, and real clients — the mariadb CLI,
// PHP PDO and go-sql-driver/mysql — talking to it.
package test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/server"
)

// Ports of this package's sandbox; other packages' tests use other ports.
const topologyYAML = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users:
  - {name: app, password: app}
  - {name: other, password: other}
  - {name: sha, password: sha-secret, auth_plugin: caching_sha2_password}
backend: {user: strata, password: strata}
limits: {max_allowed_packet: 40M, pool_wait: 3s}
clusters:
  main:
    primary: 127.0.0.1:17306
    replicas:
      - {address: 127.0.0.1:17307}
      - {address: 127.0.0.1:17308}
`

// env is the shared topology of the package's tests.
var env struct {
	sb       *sandbox.Sandbox
	strata   *server.Strata
	primary  *sandbox.Server
	replicas []*sandbox.Server
	addr     string // Strata's MySQL address
}

func TestMain(m *testing.M) {
	if !sandbox.MariaDBInstalled() {
		if os.Getenv("STRATA_REQUIRE_MARIADB") != "" {
			fmt.Fprintln(os.Stderr, "mariadbd not found and STRATA_REQUIRE_MARIADB is set: run make deps")
			os.Exit(1)
		}
		fmt.Println("skipping integration tests: mariadbd not installed (make deps installs it)")
		os.Exit(0)
	}
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg, err := config.Parse([]byte(topologyYAML))
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "strata-it-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	sb, err := sandbox.Up(ctx, cfg, sandbox.Options{Dir: dir + "/sb", KillWithParent: true, ExtraConfig: []string{"general_log = 1"}})
	if err != nil {
		return 0, err
	}
	defer sb.Down(context.Background())
	env.sb, env.primary, env.replicas = sb, sb.Primary("main"), sb.Replicas("main")
	if err := env.primary.Exec(ctx, "CREATE DATABASE IF NOT EXISTS blog"); err != nil {
		return 0, err
	}
	if err := sb.WaitReplicated(ctx); err != nil {
		return 0, err
	}
	logLevel := slog.LevelWarn
	if os.Getenv("STRATA_TEST_LOG") != "" {
		logLevel = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))
	st, err := server.Start(ctx, cfg, log)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	env.strata, env.addr = st, st.MySQLAddr()
	return m.Run(), nil
}

// strataDSN is a go-sql-driver DSN for Strata with extra parameters.
func strataDSN(user, password, db string, params ...string) string {
	dsn := fmt.Sprintf("%s:%s@tcp(%s)/%s", user, password, env.addr, db)
	if len(params) > 0 {
		dsn += "?" + strings.Join(params, "&")
	}
	return dsn
}

// openStrata opens a database handle through Strata as app.
func openStrata(t *testing.T, params ...string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", strataDSN("app", "app", "blog", params...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openDirect opens a handle on a server directly as root.
func openDirect(t *testing.T, srv *sandbox.Server, db string) *sql.DB {
	t.Helper()
	h, err := sql.Open("mysql", srv.DSN("root", "", db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// mustExec runs statements on the primary directly, then waits until every
// replica has them, so later reads through Strata see them.
func setupTables(t *testing.T, stmts ...string) {
	t.Helper()
	ctx := ctxFor(t)
	for _, s := range stmts {
		if err := env.primary.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := env.sb.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
}

// rowsRead returns MariaDB's own count of rows read from blog.table on a
// server (userstat's information_schema.TABLE_STATISTICS).
func rowsRead(t *testing.T, srv *sandbox.Server, table string) int64 {
	t.Helper()
	v, err := srv.QueryValue(ctxFor(t), "SELECT COALESCE(SUM(ROWS_READ),0) FROM information_schema.TABLE_STATISTICS WHERE TABLE_SCHEMA='blog' AND TABLE_NAME=?", table)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	fmt.Sscan(v, &n)
	return n
}

// readsByServer is rowsRead for every server: primary first, then replicas.
func readsByServer(t *testing.T, table string) (primary int64, replicas []int64) {
	primary = rowsRead(t, env.primary, table)
	for _, r := range env.replicas {
		replicas = append(replicas, rowsRead(t, r, table))
	}
	return primary, replicas
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// mysqlErr extracts the MySQL error number from a driver error (0 if none).
func mysqlErr(err error) uint16 {
	if me, ok := err.(*mysql.MySQLError); ok {
		return me.Number
	}
	return 0
}

// queryStrings runs a query and renders every row as "a|b|c".
func queryStrings(t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) []string {
	t.Helper()
	rows, err := q.QueryContext(ctxFor(t), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
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
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

