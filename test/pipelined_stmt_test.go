package test

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/wire"
)

// Statement id -1 (MariaDB's "the statement prepared last") lets a client
// send a PREPARE and the commands that use it without waiting for its id:
// the MariaDB connectors pipeline every execute and batch this way. Each
// sequence is sent in one write and must answer through Strata as the
// primary answers it directly; COM_STMT_BULK_EXECUTE rows land on the primary.
func TestPipelinedStatementsAsOnMariaDB(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"DROP TABLE IF EXISTS blog.pipe_bulk",
		"CREATE TABLE blog.pipe_bulk (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))")
	sequences := []struct {
		name string
		sent [][]byte
		want []string // the outcome of each packet that has a reply
	}{
		{"prepare then execute -1",
			[][]byte{testenv.PrepareCmd("SELECT ? + 1"), testenv.ExecuteInt(testenv.LastStmt, 41)},
			[]string{"prepared", "rows 1"}},
		{"a failed prepare leaves no statement for -1",
			[][]byte{testenv.PrepareCmd("SELECT * FROM blog.pipe_no_such_table"), testenv.ExecuteInt(testenv.LastStmt, 1)},
			[]string{"error 1146", "error 1243"}},
		{"-1 after the statement closed",
			[][]byte{testenv.PrepareCmd("SELECT ? + 2"), testenv.StmtCmd(wire.ComStmtClose, testenv.LastStmt), testenv.ExecuteInt(testenv.LastStmt, 1)},
			[]string{"prepared", "error 1243"}},
		{"bulk insert by -1",
			[][]byte{testenv.PrepareCmd("INSERT INTO blog.pipe_bulk (v) VALUES (?)"), testenv.BulkStrings(testenv.LastStmt, "a", "b", "c")},
			[]string{"prepared", "ok 3"}},
	}
	strata := rawLogin(t)
	direct, err := backend.Dial(ctxFor(t), backend.DialConfig{Addr: env.primary.Addr, User: "root", Timeout: 5 * time.Second, Flavor: backend.Flavor{Collation: 45}})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if !strata.Bulk || !direct.Bulk {
		t.Fatalf("bulk execution offered: Strata %v, the primary %v; both must offer it", strata.Bulk, direct.Bulk)
	}
	for _, seq := range sequences {
		for _, target := range []struct {
			name string
			c    *backend.Conn
		}{{"Strata", strata}, {"direct", direct}} {
			got := testenv.Pipeline(t, target.c, seq.sent)
			if fmt.Sprint(got) != fmt.Sprint(seq.want) {
				t.Errorf("%s, %s: got %v, want %v", seq.name, target.name, got, seq.want)
			}
		}
	}
	// Both bulk inserts (one through Strata, one direct) are on the primary.
	n, err := env.primary.QueryValue(ctxFor(t), "SELECT COUNT(*) FROM blog.pipe_bulk")
	if err != nil || n != "6" {
		t.Errorf("bulk rows on the primary: %s (%v), want 6", n, err)
	}
	strataStillServes(t)
}

// A prepared statement is bound to the database current at PREPARE, as
// MariaDB binds it: after USE another, its unqualified tables and
// DATABASE() are still the first one's, on whichever backend connection
// Strata prepares it again. Strata answers as the primary does.
func TestPreparedStatementKeepsItsDatabase(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"CREATE DATABASE IF NOT EXISTS ps_other",
		"DROP TABLE IF EXISTS blog.ps_where", "DROP TABLE IF EXISTS ps_other.ps_where",
		"CREATE TABLE blog.ps_where (v VARCHAR(10))", "INSERT INTO blog.ps_where VALUES ('blog')",
		"CREATE TABLE ps_other.ps_where (v VARCHAR(10))", "INSERT INTO ps_other.ps_where VALUES ('other')")
	run := func(db *sql.DB) []string {
		ctx := ctxFor(t)
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		st, err := conn.PrepareContext(ctx, "SELECT v, DATABASE() FROM ps_where")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var out []string
		for _, schema := range []string{"ps_other", "blog", "ps_other"} {
			if _, err := conn.ExecContext(ctx, "USE "+schema); err != nil {
				t.Fatal(err)
			}
			for range 3 { // on the connections Strata has, in turn
				var v, cur string
				if err := st.QueryRowContext(ctx).Scan(&v, &cur); err != nil {
					t.Fatal(err)
				}
				out = append(out, schema+":"+v+"/"+cur)
			}
		}
		return out
	}
	viaStrata := run(openSmallStrata(t, 2))
	direct := run(openDirect(t, env.primary, "blog"))
	if !slices.Equal(viaStrata, direct) {
		t.Errorf("after USE, the prepared statement answered\nvia Strata %v\ndirect     %v", viaStrata, direct)
	}
	if direct[0] != "ps_other:blog/blog" {
		t.Errorf("MariaDB answered %s: the test's assumption about prepare-time binding is wrong", direct[0])
	}
}

// An application that prepares statements without closing them gets
// MariaDB's error 1461 at limits.max_prepared_statements, instead of
// growing Strata's memory; closing one makes room, and the session and its
// other statements go on.
func TestPreparedStatementLimit(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(topologyYAML, "pool_wait: 3s}", "pool_wait: 3s, max_prepared_statements: 3}", 1)
	if yaml == topologyYAML {
		t.Fatal("the package's topology changed: update this test")
	}
	s, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := testenv.Ctx(t)
	conn, err := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog")).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var kept []*sql.Stmt
	for i := 1; i <= 3; i++ {
		st, err := conn.PrepareContext(ctx, fmt.Sprintf("SELECT %d + ?", i))
		if err != nil {
			t.Fatalf("statement %d of 3: %v", i, err)
		}
		kept = append(kept, st)
	}
	_, err = conn.PrepareContext(ctx, "SELECT 4 + ?")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1461 || string(me.SQLState[:]) != "42000" || !strings.Contains(me.Message, "limits.max_prepared_statements") {
		t.Fatalf("a 4th statement with 3 open: %v, want error 1461 (42000) naming limits.max_prepared_statements", err)
	}
	var n int
	if err := kept[1].QueryRowContext(ctx, 10).Scan(&n); err != nil || n != 12 {
		t.Fatalf("a kept statement after the refusal: %d, %v", n, err)
	}
	kept[0].Close()
	st, err := conn.PrepareContext(ctx, "SELECT 5 + ?")
	if err != nil {
		t.Fatalf("after closing one: %v", err)
	}
	if err := st.QueryRowContext(ctx, 1).Scan(&n); err != nil || n != 6 {
		t.Fatalf("the new statement: %d, %v", n, err)
	}
}
