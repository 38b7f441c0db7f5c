package test

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/test/testenv"
)

// A session's wait_timeout reaches the servers with its other variables,
// so the server closes Strata's connection once it idles that long in the
// pool. The next session that takes it must not notice: the pool finds it
// closed and dials another, rather than failing the statement (or
// calling a healthy primary unreachable).
func TestPooledConnectionsTheServerClosed(t *testing.T) {
	t.Parallel()
	numberedTable(t, "timed_out", 3)
	db := openSmallStrata(t, 1) // one connection per server: the next session gets the closed ones
	ctx := ctxFor(t)

	first := testenv.Conn(t, db)
	if _, err := first.ExecContext(ctx, "SET SESSION wait_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	queryStrings(t, first, "SELECT n FROM timed_out WHERE id = 1")
	if _, err := first.ExecContext(ctx, "UPDATE timed_out SET n = n + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, first, "SELECT @@wait_timeout"); len(got) != 1 || got[0] != "1" {
		t.Fatalf("@@wait_timeout after SET = %q, want 1", got)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // past the idle release and the servers' wait_timeout

	next := testenv.Conn(t, db)
	if got := queryStrings(t, next, "SELECT COUNT(*) FROM timed_out"); len(got) != 1 || got[0] != "3" {
		t.Fatalf("a read on connections the servers closed: %q", got)
	}
	if _, err := next.ExecContext(ctx, "UPDATE timed_out SET n = n + 1 WHERE id = 2"); err != nil {
		t.Fatalf("a write on a connection the primary closed: %v", err)
	}
	if got := queryStrings(t, next, "SELECT @@wait_timeout"); len(got) != 1 || got[0] == "1" {
		t.Errorf("@@wait_timeout of a session that never set it = %q: the other session's", got)
	}
}

// A session that sets its wait_timeout is closed by Strata after idling
// that long, as the server would close it (error 4031 first, as MySQL
// says); one that sets it back to DEFAULT is not.
func TestSessionWaitTimeoutClosesTheClient(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	ctx := ctxFor(t)
	timed, kept := testenv.Conn(t, db), testenv.Conn(t, db)
	for _, set := range []string{"SET SESSION wait_timeout = 1", "SET wait_timeout = 1, wait_timeout = DEFAULT"} {
		c := timed
		if set != "SET SESSION wait_timeout = 1" {
			c = kept
		}
		if _, err := c.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second)

	var one int
	err := timed.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	if err == nil {
		t.Fatal("a session idle past its wait_timeout of 1 s still answered")
	}
	if code := mysqlErr(err); code != 0 && code != 4031 {
		t.Fatalf("the closed session's next statement: %v, want error 4031 or a closed connection", err)
	}
	if got := queryStrings(t, kept, "SELECT 1"); len(got) != 1 || got[0] != "1" {
		t.Fatalf("a session that set wait_timeout back to DEFAULT: %q", got)
	}
}

// A client that logs in as interactive (CLIENT_INTERACTIVE: the mariadb
// CLI at a terminal, mysqli's MYSQLI_CLIENT_INTERACTIVE) gets the server's
// interactive_timeout as its wait_timeout, on a replica and on the
// primary alike; its own SET replaces it and change_user drops it, as on
// the server.
func TestInteractiveClientsGetInteractiveTimeout(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	for _, srv := range append([]*sandbox.Server{env.primary}, env.replicas...) {
		db := openDirect(t, srv, "")
		var was string
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.interactive_timeout").Scan(&was); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "SET GLOBAL interactive_timeout = 4321"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Exec("SET GLOBAL interactive_timeout = " + was) })
	}
	h, p := strataHostPort()
	run := func(host, port, user, pass string) string {
		out, err := exec.CommandContext(ctx, "php", "php/interactive.php", host, port, user, pass).CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return string(out)
	}
	got, want := run(h, p, "app", "app"), run("127.0.0.1", fmt.Sprint(env.primary.Port), "root", "")
	if got != want || want != "login: 4321\nprimary: 4321\nset: 77\nchange_user: 28800\n" {
		t.Errorf("through Strata:\n%s\ndirect:\n%s", got, want)
	}
}
