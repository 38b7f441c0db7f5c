package test

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/wire"
)

// SHUTDOWN through Strata could only reach the primary, and stopping it
// stops the cluster for every application: Strata refuses it in every
// form it arrives in (mariadb-admin's COM_SHUTDOWN, the statement, in a
// multi-statement query, prepared) with the server's error for a missing
// privilege, and the primary keeps running.
//
// Not parallel: if the refusal broke, the primary every other test uses
// would stop, and this test should be the one that says so.
func TestShutdownIsRefused(t *testing.T) {
	h, p := strataHostPort()
	out, err := runAdmin(t, h, p, "app", "app", "shutdown")
	if err == nil || !strings.Contains(out, "Strata does not pass SHUTDOWN on") {
		t.Errorf("mariadb-admin shutdown through Strata: %v\n%s", err, out)
	}
	db := openStrata(t, "multiStatements=true")
	ctx := ctxFor(t)
	for _, stmt := range []string{"SHUTDOWN", "/* maintenance */ shutdown", "SHUTDOWN WAIT FOR ALL SLAVES", "SELECT 1; SHUTDOWN"} {
		_, err := db.ExecContext(ctx, stmt)
		if code := mysqlErr(err); code != 1227 || !strings.Contains(err.Error(), "Strata does not pass SHUTDOWN on") {
			t.Errorf("%s: error %d (%v), want 1227 naming why", stmt, code, err)
		}
	}
	if st, err := db.PrepareContext(ctx, "SHUTDOWN"); mysqlErr(err) != 1227 {
		if st != nil {
			st.Close()
		}
		t.Errorf("prepared SHUTDOWN: %v, want error 1227", err)
	}
	direct := openDirect(t, env.primary, "blog")
	if err := direct.PingContext(ctx); err != nil {
		t.Fatalf("the primary stopped: %v", err)
	}
	if got := queryStrings(t, db, "SELECT /* strata:primary */ 'still up'"); len(got) != 1 || got[0] != "still up" {
		t.Errorf("a statement after the refusals: %q", got)
	}
}

// mariadb-admin refresh and flush-threads send COM_REFRESH, which runs
// where a FLUSH does (the primary; the servers count it in Com_flush)
// and, like FLUSH, commits an open transaction first (mysqli_refresh
// inside one, through Strata and direct alike). COM_REFRESH is not written
// to the binary log, so the replicas never run it.
//
// Not parallel: it counts the servers' global Com_flush, which another
// test's FLUSH would move.
func TestRefreshRunsOnThePrimary(t *testing.T) {
	setupTables(t, "CREATE TABLE blog.refresh_strata (id INT PRIMARY KEY)", "CREATE TABLE blog.refresh_direct (id INT PRIMARY KEY)")
	ctx := ctxFor(t)
	before := flushCounts(ctx, t)
	h, p := strataHostPort()
	for _, cmd := range []string{"refresh", "flush-threads"} {
		if out, err := runAdmin(t, h, p, "app", "app", cmd); err != nil {
			t.Errorf("mariadb-admin %s through Strata: %v\n%s", cmd, err, out)
		}
	}
	after := flushCounts(ctx, t)
	if d := after[0] - before[0]; d != 2 {
		t.Errorf("the primary's Com_flush rose by %d, want 2 (refresh, flush-threads)", d)
	}
	for i := 1; i < len(after); i++ {
		if after[i] != before[i] {
			t.Errorf("replica %s ran COM_REFRESH: Com_flush %d -> %d", env.replicas[i-1].Addr, before[i], after[i])
		}
	}

	for _, target := range []struct{ name, host, port, user, pass, table string }{
		{"through Strata", h, p, "app", "app", "refresh_strata"},
		{"direct", "127.0.0.1", fmt.Sprint(env.primary.Port), "root", "", "refresh_direct"},
	} {
		out, err := exec.CommandContext(ctx, "php", "php/refresh.php", target.host, target.port, target.user, target.pass, target.table).CombinedOutput()
		if want := "refresh: true\nrows after rollback: 1\n"; err != nil || string(out) != want {
			t.Errorf("%s: %v\n%s\nwant\n%s", target.name, err, out, want)
		}
	}
}

// runAdmin runs mariadb-admin with one command.
func runAdmin(t *testing.T, host, port, user, password string, command ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"-h", host, "-P", port, "-u", user, "--password=" + password, "--skip-ssl"}, command...)
	out, err := exec.CommandContext(ctx, "mariadb-admin", args...).CombinedOutput()
	return string(out), err
}

// flushCounts is Com_flush of the primary, then of each replica.
func flushCounts(ctx context.Context, t *testing.T) []int64 {
	t.Helper()
	var counts []int64
	for _, srv := range append([]*sandbox.Server{env.primary}, env.replicas...) {
		var name, value string
		db := openDirect(t, srv, "")
		if err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Com_flush'").Scan(&name, &value); err != nil {
			t.Fatalf("%s: %v", srv.Addr, err)
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			t.Fatalf("%s: Com_flush %q", srv.Addr, value)
		}
		counts = append(counts, n)
	}
	return counts
}

// mariadb-binlog (or a replica) pointed at Strata asks for a replication
// stream, which Strata does not relay: the error names the command and
// sends it to the primary's own address, and Strata goes on serving.
func TestBinlogReadersAreSentToThePrimary(t *testing.T) {
	t.Parallel()
	h, p := strataHostPort()
	ctx, cancel := context.WithTimeout(ctxFor(t), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "mariadb-binlog", "-h", h, "-P", p, "-uapp", "--password=app", "--read-from-remote-server", "mysql-bin.000001").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Unknown command 18 (COM_BINLOG_DUMP): Strata relays no replication stream") ||
		!strings.Contains(string(out), "at the primary's own address") {
		t.Errorf("mariadb-binlog through Strata: %v\n%s", err, out)
	}
	if got := queryStrings(t, openStrata(t), "SELECT 'serving'"); len(got) != 1 || got[0] != "serving" {
		t.Errorf("a statement after it: %q", got)
	}
}

// COM_PROCESS_INFO (the C API's mysql_list_processes) is answered as
// SHOW PROCESSLIST is: Strata's list of the user's sessions, this one in
// it.
func TestProcessInfoListsTheSessions(t *testing.T) {
	t.Parallel()
	c := rawLogin(t)
	if err := c.Command([]byte{wire.ComProcessInfo}); err != nil {
		t.Fatal(err)
	}
	listed := testenv.ReadReply(t, c)
	if err := c.Command(append([]byte{wire.ComQuery}, "SHOW PROCESSLIST"...)); err != nil {
		t.Fatal(err)
	}
	shown := testenv.ReadReply(t, c)
	if listed.Err != nil || !listed.IsSet || listed.Rows < 1 || shown.Err != nil || !shown.IsSet {
		t.Errorf("COM_PROCESS_INFO: %+v; SHOW PROCESSLIST: %+v", listed, shown)
	}
}

// A password change of the account running the statement (mariadb-admin
// password, SET PASSWORD without FOR, ALTER USER USER()) would, through
// Strata, change the server account Strata logs in as: Strata would be
// locked out of the servers at its next login. It is refused, saying that
// the user's password is Strata's config; a statement naming an account
// still reaches the server.
//
// Not parallel: if the refusal broke, every other test's logins would.
func TestOwnAccountChangesAreRefused(t *testing.T) {
	ctx := ctxFor(t)
	root := openDirect(t, env.primary, "")
	t.Cleanup(func() {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			root.Exec("ALTER USER 'strata'@'" + host + "' IDENTIFIED BY 'strata'")
		}
	})
	h, p := strataHostPort()
	out, err := runAdmin(t, h, p, "app", "app", "password", "changed")
	if err == nil || !strings.Contains(out, "would change the server account Strata logs in as for user app ('strata')") {
		t.Errorf("mariadb-admin password through Strata: %v\n%s", err, out)
	}
	db := openStrata(t)
	for _, stmt := range []string{"SET PASSWORD = PASSWORD('changed')", "SET PASSWORD FOR CURRENT_USER() = PASSWORD('changed')",
		"ALTER USER USER() IDENTIFIED BY 'changed'", "ALTER USER CURRENT_USER IDENTIFIED VIA mysql_native_password USING PASSWORD('changed')",
		"DROP USER CURRENT_USER()", "REVOKE ALL PRIVILEGES, GRANT OPTION FROM CURRENT_USER()"} {
		if _, err := db.ExecContext(ctx, stmt); mysqlErr(err) != 1235 {
			t.Errorf("%s: %v, want error 1235", stmt, err)
		}
	}
	if st, err := db.PrepareContext(ctx, "SET PASSWORD = PASSWORD('changed')"); mysqlErr(err) != 1235 {
		if st != nil {
			st.Close()
		}
		t.Errorf("prepared SET PASSWORD: %v, want error 1235", err)
	}
	if _, err := db.ExecContext(ctx, "SET PASSWORD FOR 'no_such_account'@'%' = PASSWORD('x')"); mysqlErr(err) != 1133 {
		t.Errorf("SET PASSWORD FOR a named account: %v, want the server's 1133 (no such account)", err)
	}
	// The same account named outright, as a cleanup script or an
	// account rotation run through Strata would name it.
	for _, stmt := range []string{"SET PASSWORD FOR 'strata'@'127.0.0.1' = PASSWORD('changed')",
		"ALTER USER 'strata'@'127.0.0.1' IDENTIFIED BY 'changed'", "ALTER USER strata@localhost ACCOUNT LOCK",
		"ALTER USER 'strata'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('changed')",
		"DROP USER IF EXISTS 'strata'@'localhost'", "RENAME USER 'strata'@'localhost' TO 'gone'@'localhost'",
		"REVOKE SELECT ON *.* FROM 'strata'@'localhost'", "CREATE OR REPLACE USER 'strata'@'localhost'"} {
		if _, err := db.ExecContext(ctx, stmt); mysqlErr(err) != 1235 || !strings.Contains(err.Error(), "server account 'strata', which Strata logs in as") {
			t.Errorf("%s: %v, want error 1235 naming Strata's account", stmt, err)
		}
	}
	backend := testenv.Open(t, env.primary.DSN("strata", "strata", ""))
	if err := backend.PingContext(ctx); err != nil {
		t.Fatalf("Strata's server account no longer logs in with its password: %v", err)
	}
}

// RESET MASTER, CHANGE MASTER TO and START, STOP or RESET SLAVE are about
// one server's place in the replication topology; through Strata they
// reached the primary, where RESET MASTER deletes the binary log every
// replica reads and CHANGE MASTER would make it a replica. Strata refuses
// them in every form with 1227, naming why, and replication goes on.
func TestReplicationControlIsRefused(t *testing.T) {
	ctx := ctxFor(t)
	primary := openDirect(t, env.primary, "")
	var before string
	if err := primary.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&before); err != nil {
		t.Fatal(err)
	}
	db := openStrata(t, "multiStatements=true")
	for _, stmt := range []string{"RESET MASTER", "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=17307",
		"STOP SLAVE", "START SLAVE", "RESET SLAVE ALL", "STOP ALL SLAVES", "SELECT 1; RESET MASTER"} {
		if _, err := db.ExecContext(ctx, stmt); mysqlErr(err) != 1227 || !strings.Contains(err.Error(), "Strata does not pass replication control on") {
			t.Errorf("%s: %v, want error 1227 naming why", stmt, err)
		}
	}
	st, err := db.PrepareContext(ctx, "RESET MASTER")
	if st != nil {
		st.Close()
	}
	if mysqlErr(err) != 1227 {
		t.Errorf("prepared RESET MASTER: %v, want error 1227", err)
	}
	var after string
	if err := primary.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != "" && after == "" {
		t.Errorf("the primary's binary log was reset: position %q, then %q", before, after)
	}
	// The replicas still follow the primary.
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.replication_probe (id INT PRIMARY KEY)", "REPLACE INTO blog.replication_probe VALUES (1)")
	for _, r := range env.replicas {
		if got := queryStrings(t, openDirect(t, r, "blog"), "SELECT id FROM replication_probe"); len(got) != 1 {
			t.Errorf("replica %s after the refused statements: %v", r.Addr, got)
		}
	}
}

// SET sql_log_bin = 0 through Strata kept the session's writes from every
// replica: its own reads, sent to the replicas, never saw them, and a
// promoted replica would lack them. Strata refuses it (and SET STATEMENT
// sql_log_bin = 0 FOR ...) with 1227; turning the log on is passed on.
func TestBinaryLogStaysOn(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.binlog_probe (id INT PRIMARY KEY)")
	ctx := ctxFor(t)
	c, err := openStrata(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, stmt := range []string{"SET sql_log_bin = 0", "SET SESSION sql_log_bin = OFF", "SET time_zone = '+00:00', sql_log_bin = 0",
		"SET STATEMENT sql_log_bin = 0 FOR INSERT INTO binlog_probe VALUES (1)"} {
		if _, err := c.ExecContext(ctx, stmt); mysqlErr(err) != 1227 || !strings.Contains(err.Error(), "Strata does not turn off sql_log_bin") {
			t.Errorf("%s: %v, want error 1227 naming why", stmt, err)
		}
	}
	for _, stmt := range []string{"SET sql_log_bin = 1", "REPLACE INTO binlog_probe VALUES (2)"} {
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := env.sb.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range env.replicas {
		if got := queryStrings(t, openDirect(t, r, "blog"), "SELECT id FROM binlog_probe ORDER BY id"); strings.Join(got, ",") != "2" {
			t.Errorf("replica %s has rows %v, want the one written with the log on (2)", r.Addr, got)
		}
	}
}
