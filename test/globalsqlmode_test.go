package test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/test/testenv"
)

// A server whose global sql_mode (its my.cnf) has NO_BACKSLASH_ESCAPES
// reads every session that does not set sql_mode that way. Strata learns
// the global value from its health checks, so such a session's write
// hidden behind a backslash reaches the primary; a session that sets a
// mode of its own is read with that one, and SET sql_mode = DEFAULT goes
// back to the server's. A change of the global value is followed for the
// sessions opened after it, and a replica whose global value differs from
// its primary's is logged.
func TestServerGlobalSQLModeChangesHowStatementsRead(t *testing.T) {
	t.Parallel()
	const servers = `
backend: {user: strata, password: strata}
users:
  - {name: app, password: app}
monitor: {interval: 100ms}
clusters:
  main:
    primary: 127.0.0.1:17317
    replicas:
      - {address: 127.0.0.1:17318, pool: primary}
`
	const globalMode = "NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES"
	yaml := "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n" + servers
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sb, err := sandbox.Up(ctx, cfg, sandbox.Options{Dir: filepath.Join(t.TempDir(), "sb"), KillWithParent: true,
		ExtraConfig: []string{"sql_mode = " + globalMode}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Down(context.Background())
	primary, replica := sb.Primary("main"), sb.Replicas("main")[0]
	for _, stmt := range []string{"CREATE DATABASE IF NOT EXISTS blog", "CREATE TABLE blog.gm (id INT PRIMARY KEY, v VARCHAR(40))"} {
		if err := primary.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}

	s, logs := startStrataLogging(t, yaml)
	testenv.Eventually(t, "the monitor reads the primary's global sql_mode", func() bool {
		mode, _ := s.Topology.Load().DefaultSQLMode()
		return mode == globalMode
	})
	var topo struct {
		Clusters []struct {
			Primary struct {
				SQLMode string `json:"sql_mode"`
			} `json:"primary"`
		} `json:"clusters"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/topology", &topo)
	if len(topo.Clusters) != 1 || topo.Clusters[0].Primary.SQLMode != globalMode {
		t.Errorf("/api/topology: %+v, want the primary's sql_mode %q", topo, globalMode)
	}

	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog", "multiStatements=true"))
	conn := testenv.Conn(t, db)
	hiddenInsert := func(id string) {
		t.Helper()
		// The server reads a SELECT, an INSERT and a comment.
		stmt := `SELECT 'a\'; INSERT INTO gm VALUES (` + id + `, NULL); -- '`
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v (a replica's 1290 means it was read as a read)", stmt, err)
		}
		if n, err := primary.QueryValue(ctx, "SELECT COUNT(*) FROM blog.gm WHERE id = "+id); err != nil || n != "1" {
			t.Fatalf("the hidden INSERT of %s is not on the primary (%s rows, %v)", id, n, err)
		}
	}
	hiddenInsert("1")

	// A mode of the session's own that reads like the default: the same
	// text is one SELECT of a string, to the server and to Strata, and runs
	// on the replica.
	if _, err := conn.ExecContext(ctx, "SET sql_mode = 'STRICT_TRANS_TABLES'"); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	readOnReplica(t, conn, primary, replica, `SELECT COUNT(*) FROM gm WHERE v <> 'a\'; DELETE FROM gm; -- ' OR id = 1`, "1")

	if _, err := conn.ExecContext(ctx, "SET sql_mode = DEFAULT"); err != nil {
		t.Fatal(err)
	}
	hiddenInsert("2")

	// The replica's global value changes first: that is logged; then the
	// primary's, and sessions opened after it read as it does.
	if err := replica.Exec(ctx, "SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES'"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "a warning that the replica's sql_mode differs from the primary's", func() bool {
		return strings.Contains(logs.String(), "replica's global sql_mode differs from its primary's")
	})
	if err := primary.Exec(ctx, "SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES'"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the monitor follows the primary's new global sql_mode", func() bool {
		mode, _ := s.Topology.Load().DefaultSQLMode()
		return mode == "STRICT_TRANS_TABLES"
	})
	if err := sb.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := testenv.Conn(t, db)
	readOnReplica(t, fresh, primary, replica, `SELECT COUNT(*) FROM gm WHERE v <> 'a\'; DELETE FROM gm; -- ' OR id = 2`, "1")
}

// readOnReplica runs query on conn and checks its answer and that the
// replica, not the primary, read table gm for it.
func readOnReplica(t *testing.T, conn *sql.Conn, primary, replica *sandbox.Server, query, want string) {
	t.Helper()
	p0, r0 := testenv.RowsRead(t, primary, "gm"), testenv.RowsRead(t, replica, "gm")
	if got := queryStrings(t, conn, query); len(got) != 1 || got[0] != want {
		t.Fatalf("%s = %v, want %s", query, got, want)
	}
	p1, r1 := testenv.RowsRead(t, primary, "gm"), testenv.RowsRead(t, replica, "gm")
	if p1 != p0 || r1 == r0 {
		t.Fatalf("%s: rows read on the primary %d -> %d, on the replica %d -> %d; want it on the replica only", query, p0, p1, r0, r1)
	}
}
