// Package test holds Strata's integration tests: a real MariaDB primary
// with two replicas (started by the sandbox package on loopback), Strata
// running in-process in front of them, and real clients — the mariadb CLI,
// PHP PDO and mysqli, go-sql-driver/mysql, and Node.js's mysql2 and mariadb
// drivers — talking to it.
package test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
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
	*testenv.Env
	sb       *sandbox.Sandbox
	strata   *server.Strata
	primary  *sandbox.Server
	replicas []*sandbox.Server
	addr     string // Strata's MySQL address
}

func TestMain(m *testing.M) {
	testenv.Main(m, topologyYAML, func(e *testenv.Env) error {
		st, err := testenv.StartStrata(topologyYAML)
		if err != nil {
			return err
		}
		env.Env, env.sb, env.primary, env.replicas = e, e.SB, e.Primary, e.Replicas
		env.strata, env.addr = st, st.MySQLAddr()
		return nil
	})
}

// strataDSN is a go-sql-driver DSN for Strata with extra parameters.
func strataDSN(user, password, db string, params ...string) string {
	return testenv.DSN(env.addr, user, password, db, params...)
}

// openStrata opens a database handle through Strata as app.
func openStrata(t *testing.T, params ...string) *sql.DB {
	return testenv.Open(t, strataDSN("app", "app", "blog", params...))
}

// openDirect opens a handle on a server directly as root.
func openDirect(t *testing.T, srv *sandbox.Server, db string) *sql.DB {
	return testenv.Open(t, srv.DSN("root", "", db))
}

func ctxFor(t *testing.T) context.Context { return testenv.Ctx(t) }

func setupTables(t *testing.T, stmts ...string) { env.Setup(t, stmts...) }

func readsByServer(t *testing.T, table string) (int64, []int64) { return env.ReadsByServer(t, table) }

func sum(xs []int64) int64 { return testenv.Sum(xs) }

func mysqlErr(err error) uint16 { return testenv.MySQLErr(err) }

func queryStrings(t *testing.T, q testenv.Querier, query string, args ...any) []string {
	t.Helper()
	return testenv.Strings(t, q, query, args...)
}
