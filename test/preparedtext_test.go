package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// The text of a SQL-level PREPARE or EXECUTE IMMEDIATE is a statement the
// server runs as Strata's account. Strata refused RESET MASTER, SET
// sql_log_bin = 0, a change of its own account, KILL of a server thread
// and the rest as statements, and passed the same ones on inside a
// prepared text: as a literal, in a user variable, or computed by an
// expression. Now it reads the text each time and refuses as for the
// statement, and runs a computed text once, as the literal it checked.
func TestPreparedTextsAreReadToo(t *testing.T) {
	ctx := ctxFor(t)
	conn, err := openStrata(t, "multiStatements=true").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	refused := []struct {
		stmt string
		code uint16
		says string
	}{
		{"EXECUTE IMMEDIATE 'RESET MASTER'", 1227, "replication control"},
		{"EXECUTE IMMEDIATE CONCAT('RESET ', 'MASTER')", 1227, "replication control"},
		{"PREPARE s FROM 'SET sql_log_bin = 0'", 1227, "sql_log_bin"},
		{"SET @q = 'SET SESSION sql_log_bin = OFF'; PREPARE s FROM @q", 1227, "sql_log_bin"},
		{"SET @q = 'DROP USER ''strata''@''localhost'''", 0, ""},
		{"PREPARE s FROM @q", 1235, "server account 'strata'"},
		{"EXECUTE IMMEDIATE @q", 1235, "server account 'strata'"},
		{"PREPARE s FROM CONCAT('XA ROLLBACK ''a'', ''b'', ', 1398035009)", 1235, "Strata's own"},
		{"EXECUTE IMMEDIATE 'DROP DATABASE strata'", 1044, "Strata keeps"},
		{"EXECUTE IMMEDIATE 'KILL QUERY 5'", 1235, "only in a statement of their own"},
		{"SET @k = 'SHOW EXPLAIN FOR 5'; EXECUTE IMMEDIATE @k", 1235, "only in a statement of their own"},
	}
	for _, r := range refused {
		_, err := conn.ExecContext(ctx, r.stmt)
		if r.code == 0 {
			if err != nil {
				t.Fatalf("%s: %v", r.stmt, err)
			}
			continue
		}
		if mysqlErr(err) != r.code || !strings.Contains(err.Error(), r.says) {
			t.Errorf("%s: %v, want error %d saying %q", r.stmt, err, r.code, r.says)
		}
	}
	// The refusal of a computed text is this statement's diagnostics.
	if _, err := conn.ExecContext(ctx, "EXECUTE IMMEDIATE CONCAT('RESET ', 'MASTER')"); mysqlErr(err) != 1227 {
		t.Fatalf("computed RESET MASTER: %v", err)
	}
	if got := queryStrings(t, conn, "SHOW WARNINGS"); len(got) != 1 || !strings.HasPrefix(got[0], "Error|1227|") {
		t.Errorf("SHOW WARNINGS after the refused computed text: %v, want its error 1227", got)
	}
	// Texts Strata does not refuse give what one server gives, also
	// when Strata writes a computed text as a literal: quotes,
	// backslashes, a NUL byte (sent in hex).
	direct := openDirect(t, env.primary, "blog")
	for _, q := range []string{
		"EXECUTE IMMEDIATE 'SELECT ?, ''it''''s''' USING 5",
		`EXECUTE IMMEDIATE CONCAT('SELECT ''it''''s'', ''a\\\\b'', ', '?') USING 6`,
		"EXECUTE IMMEDIATE CONCAT('SELECT HEX(''', CHAR(0), 'x'')')",
		"EXECUTE IMMEDIATE CONCAT('SELECT ''', 'é', '''')",
	} {
		want, got := queryStrings(t, direct, q), queryStrings(t, conn, q)
		if strings.Join(got, ";") != strings.Join(want, ";") {
			t.Errorf("%s: %q through Strata, %q direct", q, got, want)
		}
	}
	for _, q := range []string{"SET @q = 'SELECT 7'", "PREPARE s FROM @q"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if got := queryStrings(t, conn, "EXECUTE s"); strings.Join(got, ";") != "7" {
		t.Errorf("EXECUTE of a statement prepared from a variable: %q, want 7", got)
	}
}

// A server keeps a statement's warnings and error until a statement that
// uses a table or warns anew: PREPARE, SELECT ... INTO @v and SELECT 1
// leave them. A session that took a pooled connection for such a
// statement, and kept it, read with SHOW WARNINGS the error another
// client's statement had left there, its text and all. Strata resets a
// connection that holds another session's diagnostics before a
// statement that would leave them.
func TestAnotherClientsWarningsStayItsOwn(t *testing.T) {
	ctx := ctxFor(t)
	for attempt := range 3 {
		for _, first := range []string{"PREPARE s FROM 'SELECT 1'", "SELECT 1 INTO @x", "/* strata:primary */ SELECT 1"} {
			// Another client, another Strata session: its server
			// connection goes back to Strata's pool when it leaves.
			other := openStrata(t)
			_, err := other.ExecContext(ctx, "/* strata:primary */ SELECT other_clients_secret FROM mysql.user")
			if mysqlErr(err) != 1054 {
				t.Fatalf("the other client's statement: %v, want error 1054", err)
			}
			other.Close()
			conn, err := openStrata(t).Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, first); err != nil {
				t.Fatalf("%s: %v", first, err)
			}
			if got := queryStrings(t, conn, "SHOW WARNINGS"); strings.Contains(strings.Join(got, ";"), "other_clients_secret") {
				t.Errorf("attempt %d: after %s, SHOW WARNINGS shows another client's error: %v", attempt, first, got)
			}
			conn.Close()
		}
	}
}

// A SQL-level prepared statement keeps the session on its connection
// while the server holds it, and an EXECUTE keeps it there for what its
// text leaves (a temporary table, a user variable, a named lock); after
// DEALLOCATE PREPARE, or an EXECUTE IMMEDIATE that leaves nothing, reads
// go back to the replicas. Before, any of them sent every later read of
// the connection to the primary.
func TestSQLPreparedStatementsLetTheSessionGo(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	primary := fmt.Sprint(env.primary.Port)
	cases := []struct {
		name      string
		stmts     []string
		onPrimary bool   // the session stays on the primary after them
		check     string // then answers
		want      string
	}{
		{"prepared, then deallocated", []string{"PREPARE s FROM 'SELECT 1'", "EXECUTE s", "DEALLOCATE PREPARE s"}, false, "", ""},
		{"still prepared", []string{"PREPARE s FROM 'SELECT 1'"}, true, "EXECUTE s", "1"},
		{"execute immediate of a read", []string{"EXECUTE IMMEDIATE 'SELECT ?' USING 1"}, false, "", ""},
		{"execute immediate of a temporary table", []string{"EXECUTE IMMEDIATE 'CREATE TEMPORARY TABLE let_go_tmp (a INT)'"}, true,
			"SELECT COUNT(*) FROM let_go_tmp", "0"},
		{"a variable set by an executed statement", []string{"SET @q = 'SET @let_go = 5'", "PREPARE s FROM @q", "EXECUTE s", "DEALLOCATE PREPARE s"}, true,
			"SELECT @let_go", "5"},
		{"a named lock by a computed text", []string{"EXECUTE IMMEDIATE CONCAT('DO GET_LOCK(''let_go'', ', 0, ')')"}, true,
			"SELECT IS_USED_LOCK('let_go') IS NOT NULL", "1"},
		{"prepared, run and deallocated in one multi-statement query", []string{"PREPARE s FROM 'SELECT 1'; EXECUTE s; DEALLOCATE PREPARE s"}, false, "", ""},
		{"a temporary table made in one multi-statement query", []string{"SET @q = 'CREATE TEMPORARY TABLE let_go_multi (a INT)'; PREPARE s FROM @q; EXECUTE s; DEALLOCATE PREPARE s"}, true,
			"SELECT COUNT(*) FROM let_go_multi", "0"},
	}
	for _, tc := range cases {
		conn := testenv.Conn(t, openStrata(t, "multiStatements=true"))
		for _, stmt := range tc.stmts {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %s: %v", tc.name, stmt, err)
			}
		}
		if tc.check != "" {
			if got := queryStrings(t, conn, tc.check); strings.Join(got, ";") != tc.want {
				t.Errorf("%s: %s = %v, want %s", tc.name, tc.check, got, tc.want)
			}
		}
		ports := map[string]bool{}
		for range 4 {
			ports[queryStrings(t, conn, "SELECT @@port")[0]] = true
		}
		if onPrimary := ports[primary] && len(ports) == 1; onPrimary != tc.onPrimary {
			t.Errorf("%s: reads after it ran on servers %v (the primary is %s), want on the primary only: %v", tc.name, ports, primary, tc.onPrimary)
		}
		conn.Close()
	}
}
