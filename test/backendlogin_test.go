package test

import (
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/test/testenv"
)

// The backend account rotates without a restart: create the new account
// on the servers, change backend.user/.password and reload; new server
// connections log in as the new account, a transaction open across the
// reload finishes on its connection, and once it is done no connection of
// the old account is left on any server, so it can be dropped.
func TestBackendAccountRotatesOnReload(t *testing.T) {
	t.Parallel()
	servers := append([]*sandbox.Server{env.primary}, env.replicas...)
	for _, acct := range []string{"rot_old", "rot_new"} {
		createBackendAccount(t, servers, acct, acct+"-pw")
	}
	yaml := strings.Replace(topologyYAML, "backend: {user: strata, password: strata}", "backend: {user: rot_old, password: rot_old-pw}", 1)
	s, _ := startStrataLogging(t, yaml)
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	ctx := ctxFor(t)
	account := func(query func() (string, error)) string {
		t.Helper()
		u, err := query()
		if err != nil {
			t.Fatal(err)
		}
		return u[:strings.IndexByte(u, '@')]
	}

	open, err := db.Conn(ctx) // a transaction open across the reload
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	inOpen := func() (u string, err error) {
		err = open.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&u)
		return
	}
	if got := account(inOpen); got != "rot_old" {
		t.Fatalf("before the reload the servers see %s, want rot_old", got)
	}

	cfg, err := config.Parse([]byte(strings.Replace(yaml, "{user: rot_old, password: rot_old-pw}", "{user: rot_new, password: rot_new-pw}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	changes, restart, err := s.Reload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(changes, "\n"); !strings.Contains(got, "backend: account rot_new") || len(restart) > 0 {
		t.Fatalf("reload: changes %q, restart needed %q; want the backend account applied without a restart", got, restart)
	}

	fresh := func() (u string, err error) {
		err = db.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&u) // a replica read
		return
	}
	if got := account(fresh); got != "rot_new" {
		t.Errorf("a read after the reload ran as %s, want rot_new", got)
	}
	if got := account(inOpen); got != "rot_old" {
		t.Errorf("the transaction open across the reload moved to %s; want it on its connection (rot_old)", got)
	}
	if _, err := open.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if _, err := open.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if got := account(inOpen); got != "rot_new" {
		t.Errorf("the next transaction of that session ran as %s, want rot_new", got)
	}
	if _, err := open.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}

	// Nothing of the old account stays: pools, health checks, KILL.
	deadline := time.Now().Add(10 * time.Second)
	for _, srv := range servers {
		for {
			var n int
			err := openDirect(t, srv, "").QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'rot_old'").Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still has %d connections of the old account 10 s after the reload", srv.Addr, n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// createBackendAccount makes a server account like the sandbox's backend
// one on every server (outside the binlogs, as the sandbox does), and
// drops it when the test ends.
func createBackendAccount(t *testing.T, servers []*sandbox.Server, user, password string) {
	t.Helper()
	for _, srv := range servers {
		conn, err := openDirect(t, srv, "").Conn(ctxFor(t))
		if err != nil {
			t.Fatal(err)
		}
		stmts := []string{"SET SESSION sql_log_bin = 0"}
		for _, host := range []string{"127.0.0.1", "localhost"} {
			acct := "'" + user + "'@'" + host + "'"
			stmts = append(stmts, "CREATE OR REPLACE USER "+acct+" IDENTIFIED BY '"+password+"'",
				"GRANT ALL PRIVILEGES ON *.* TO "+acct, "REVOKE READ_ONLY ADMIN ON *.* FROM "+acct)
		}
		stmts = append(stmts, "SET SESSION sql_log_bin = 1") // the connection goes back to its pool
		for _, q := range stmts {
			if _, err := conn.ExecContext(ctxFor(t), q); err != nil {
				t.Fatalf("%s: %s: %v", srv.Addr, q, err)
			}
		}
		conn.Close()
		t.Cleanup(func() {
			c, err := openDirect(t, srv, "").Conn(ctxFor(t))
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = c.ExecContext(ctxFor(t), "SET SESSION sql_log_bin = 0")
			for _, host := range []string{"127.0.0.1", "localhost"} {
				_, _ = c.ExecContext(ctxFor(t), "DROP USER IF EXISTS '"+user+"'@'"+host+"'")
			}
			_, _ = c.ExecContext(ctxFor(t), "SET SESSION sql_log_bin = 1")
		})
	}
}
