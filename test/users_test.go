package test

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/topology"
)

// usersYAML is a Strata in front of the package's topology with its users
// given by users (YAML list entries, one per line).
func usersYAML(users ...string) string {
	return strings.Replace(topologyYAML,
		"  - {name: app, password: app}\n  - {name: other, password: other}\n  - {name: sha, password: sha-secret, auth_plugin: caching_sha2_password}\n",
		"  - "+strings.Join(users, "\n  - ")+"\n", 1)
}

// serverPasswordHash asks the real primary for PASSWORD(secret): the hash
// an operator copies into users[].password_hash.
func serverPasswordHash(t *testing.T, secret string) string {
	t.Helper()
	var hash string
	if err := openDirect(t, env.primary, "").QueryRowContext(ctxFor(t), "SELECT PASSWORD(?)", secret).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	return hash
}

// loginErr logs in once (a new connection) and runs SELECT 1.
func loginErr(t *testing.T, addr, user, password string, params ...string) error {
	t.Helper()
	db, err := sql.Open("mysql", testenv.DSN(addr, user, password, "blog", params...))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	return db.QueryRowContext(ctxFor(t), "SELECT 1").Scan(&one)
}

// users[].password_hash: a config that holds only MariaDB's hash of a
// password lets clients log in with the password — mysql_native_password
// (go-sql-driver and the mariadb CLI) and caching_sha2_password (full path
// over TLS, then the fast path) — and refuses a wrong one with 1045.
func TestPasswordHashLogins(t *testing.T) {
	t.Parallel()
	hash := serverPasswordHash(t, "h-secret")
	s, _ := testenv.StartStrataFile(t, usersYAML(
		fmt.Sprintf("{name: hashed, password_hash: '%s'}", hash),
		fmt.Sprintf("{name: shahash, password_hash: '%s', auth_plugin: caching_sha2_password}", strings.ToLower(hash)),
	))
	addr := s.MySQLAddr()
	if err := loginErr(t, addr, "hashed", "h-secret"); err != nil {
		t.Fatalf("native login with the password of password_hash: %v", err)
	}
	if err := loginErr(t, addr, "hashed", "h-secreT"); testenv.MySQLErr(err) != 1045 {
		t.Fatalf("native login with a wrong password: %v, want 1045", err)
	}
	host, port, _ := net.SplitHostPort(addr)
	if out, err := runCLI(t, host, port, "hashed", "h-secret", "SELECT CONCAT('logged in as ', CURRENT_USER() IS NOT NULL)"); err != nil || !strings.Contains(out, "logged in as 1") {
		t.Fatalf("mariadb CLI as hashed: %v\n%s", err, out)
	}
	for i := range 3 { // the first takes the full path, the others the fast one
		if err := loginErr(t, addr, "shahash", "h-secret", "tls=skip-verify"); err != nil {
			t.Fatalf("caching_sha2_password login %d with the password of password_hash: %v", i, err)
		}
	}
	if err := loginErr(t, addr, "shahash", "wrong", "tls=skip-verify"); testenv.MySQLErr(err) != 1045 {
		t.Fatalf("caching_sha2_password with a wrong password: %v, want 1045", err)
	}
}

// Users change on a reload, without a restart: an added account logs in,
// a removed one is refused, a changed password takes effect for new logins
// (the caching_sha2_password cache forgets the old one) while sessions
// already logged in go on, and max_connections follows.
func TestUsersReload(t *testing.T) {
	t.Parallel()
	before := usersYAML(
		"{name: app, password: app}",
		"{name: leaving, password: leaving}",
		"{name: rotating, password: old-pw, auth_plugin: caching_sha2_password}",
	)
	s, path := testenv.StartStrataFile(t, before)
	addr := s.MySQLAddr()
	if err := loginErr(t, addr, "newbie", "n-secret"); testenv.MySQLErr(err) != 1045 {
		t.Fatalf("an account not yet in the config: %v, want 1045", err)
	}
	for range 2 { // full path, then the fast path from the cache
		if err := loginErr(t, addr, "rotating", "old-pw", "tls=skip-verify"); err != nil {
			t.Fatalf("rotating before the reload: %v", err)
		}
	}
	session := testenv.Open(t, testenv.DSN(addr, "leaving", "leaving", "blog"))
	conn, err := session.Conn(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	after := usersYAML(
		"{name: app, password: app}",
		fmt.Sprintf("{name: newbie, password_hash: '%s', max_connections: 1}", serverPasswordHash(t, "n-secret")),
		"{name: rotating, password: new-pw, auth_plugin: caching_sha2_password}",
	)
	if err := os.WriteFile(path, []byte(after), 0o600); err != nil {
		t.Fatal(err)
	}
	changes, restart, err := s.ReloadFile()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(changes, "\n"), "users: 3 accounts") || len(restart) > 0 {
		t.Fatalf("reload: changes %q, restart needed %q: want the users applied and no restart", changes, restart)
	}

	var one int
	if err := conn.QueryRowContext(ctxFor(t), "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("a session of a removed account, logged in before the reload: %v", err)
	}
	if err := loginErr(t, addr, "leaving", "leaving"); testenv.MySQLErr(err) != 1045 {
		t.Fatalf("a new login of a removed account: %v, want 1045", err)
	}
	newbie := testenv.Open(t, testenv.DSN(addr, "newbie", "n-secret", "blog"))
	held, err := newbie.Conn(ctxFor(t))
	if err != nil {
		t.Fatalf("an added account: %v", err)
	}
	defer held.Close()
	if err := loginErr(t, addr, "newbie", "n-secret"); testenv.MySQLErr(err) != 1203 {
		t.Fatalf("a second connection of newbie (max_connections: 1): %v, want 1203", err)
	}
	// GET /api/users and the metrics show the accounts now in effect and
	// who holds connections.
	var users []struct {
		Name           string `json:"name"`
		AuthPlugin     string `json:"auth_plugin"`
		ServerAccount  string `json:"server_account"`
		MaxConnections int    `json:"max_connections"`
		Connections    int    `json:"connections"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/users", &users)
	listed := fmt.Sprintf("%+v", users)
	if want := "[{Name:app AuthPlugin:mysql_native_password ServerAccount:strata MaxConnections:0 Connections:0} " +
		"{Name:newbie AuthPlugin:mysql_native_password ServerAccount:strata MaxConnections:1 Connections:1} " +
		"{Name:rotating AuthPlugin:caching_sha2_password ServerAccount:strata MaxConnections:0 Connections:0}]"; listed != want {
		t.Fatalf("/api/users after the reload:\n%s\nwant\n%s", listed, want)
	}
	if metrics := testenv.GetText(t, "http://"+s.AdminAddr()+"/metrics"); !strings.Contains(metrics, `strata_user_connections{user="newbie"} 1`+"\n") ||
		!strings.Contains(metrics, `strata_user_connections{user="leaving"} 1`+"\n") {
		t.Fatalf("strata_user_connections: want newbie and leaving (a session from before the reload) at 1:\n%s", grepLines(metrics, "strata_user_connections"))
	}
	if err := loginErr(t, addr, "rotating", "old-pw", "tls=skip-verify"); testenv.MySQLErr(err) != 1045 {
		t.Fatalf("the old password after it changed: %v, want 1045 (not the cached fast path)", err)
	}
	if err := loginErr(t, addr, "rotating", "new-pw", "tls=skip-verify"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
}

// Passwords written as ${NAME} in the file come from Strata's environment:
// Strata logs in to the real servers with the backend password from it and
// checks clients against a user's password from it.
func TestSecretsFromEnvironment(t *testing.T) { // not parallel: it sets the environment
	t.Setenv("STRATA_IT_BACKEND_PASSWORD", "strata")
	t.Setenv("STRATA_IT_APP_PASSWORD", "from-env")
	yaml := strings.Replace(usersYAML("{name: app, password: '${STRATA_IT_APP_PASSWORD}'}"),
		"backend: {user: strata, password: strata}", "backend: {user: strata, password: '${STRATA_IT_BACKEND_PASSWORD}'}", 1)
	s, _ := testenv.StartStrataFile(t, yaml)
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "from-env", "blog"))
	var server string
	if err := db.QueryRowContext(ctxFor(t), "SELECT @@port").Scan(&server); err != nil {
		t.Fatalf("a read through a Strata whose passwords come from the environment: %v", err)
	}
	if err := loginErr(t, s.MySQLAddr(), "app", "${STRATA_IT_APP_PASSWORD}"); testenv.MySQLErr(err) != 1045 {
		t.Fatalf("logging in with the reference itself as the password: %v, want 1045", err)
	}
}

// COM_CHANGE_USER on a TLS connection to a caching_sha2_password account
// not logged in since start: the full path's password comes in clear
// over TLS (PHP mysqli), and Strata takes it as on a TLS login; a wrong
// one is refused with 1045.
func TestChangeUserOverTLSFullPath(t *testing.T) {
	t.Parallel()
	// "compress": the compressed protocol inside TLS is still TLS, so the
	// full path takes the password in clear there too. Each mode gets a
	// Strata of its own: a login fills the cache, and the next one takes
	// the fast path.
	for _, mode := range []string{"", "compress"} {
		s, _ := testenv.StartStrataFile(t, usersYAML(
			"{name: app, password: app}",
			"{name: sha, password: sha-secret, auth_plugin: caching_sha2_password}",
		))
		host, port, _ := net.SplitHostPort(s.MySQLAddr())
		for _, tt := range []struct{ password, want string }{
			{"wrong", "change_user: refused errno=1045"},
			{"sha-secret", "change_user: ok\nserver account: strata@"},
		} {
			out, err := exec.Command("php", "php/change_user_tls.php", host, port, "sha", tt.password, mode).CombinedOutput()
			if err != nil || !strings.Contains(string(out), tt.want) {
				t.Errorf("change_user to sha with %q over TLS %s: %v\n%s\nwant %q", tt.password, mode, err, out, tt.want)
			}
		}
	}
}

// users[].backend: a user's statements run on the servers as its own
// server account, so MariaDB checks that application's privileges and
// shows its account; other users keep the default one, and pooled
// connections never carry one user's statements under another's account.
// KILL QUERY stops such a user's statement, and a reload that takes the
// account away makes new sessions run as the default one.
func TestUserServerAccount(t *testing.T) {
	t.Parallel()
	env.Setup(t,
		"CREATE USER IF NOT EXISTS 'reporter'@'%' IDENTIFIED BY 'rp-secret'",
		"GRANT SELECT ON blog.* TO 'reporter'@'%'",
		"CREATE TABLE blog.acct_notes (id INT PRIMARY KEY, body VARCHAR(20))",
		"INSERT INTO blog.acct_notes VALUES (1, 'first')")
	t.Cleanup(func() { _ = env.primary.Exec(testenv.Ctx(t), "DROP USER IF EXISTS 'reporter'@'%'") })
	yaml := usersYAML(
		"{name: app, password: app}",
		"{name: reports, password: r, backend: {user: reporter, password: rp-secret}}",
	)
	s, path := testenv.StartStrataFile(t, yaml)
	ctx := ctxFor(t)
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	reports := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "reports", "r", "blog"))
	app.SetMaxOpenConns(1)
	reports.SetMaxOpenConns(1)

	// Alternate the two users, reads and writes, so each takes connections
	// the other just gave back to the pools.
	for i := range 10 {
		var who, body string
		if err := reports.QueryRowContext(ctx, "SELECT CURRENT_USER(), body FROM acct_notes WHERE id = 1").Scan(&who, &body); err != nil || who != "reporter@%" || body != "first" {
			t.Fatalf("round %d: reports reads as %q: %q, %v; want reporter@%% and the row", i, who, body, err)
		}
		_, err := reports.ExecContext(ctx, "INSERT INTO acct_notes VALUES (?, 'r')", 100+i)
		if testenv.MySQLErr(err) != 1142 || !strings.Contains(err.Error(), "reporter") {
			t.Fatalf("round %d: an INSERT as reports: %v, want the server's 1142 for reporter", i, err)
		}
		if err := app.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&who); err != nil || !strings.HasPrefix(who, "strata@") {
			t.Fatalf("round %d: app reads as %q, %v; want the default account strata", i, who, err)
		}
		if _, err := app.ExecContext(ctx, "INSERT INTO acct_notes VALUES (?, 'a')", 200+i); err != nil {
			t.Fatalf("round %d: an INSERT as app: %v", i, err)
		}
	}

	// The session list says which account each session runs as.
	var list []struct {
		User          string `json:"user"`
		ServerAccount string `json:"server_account"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/sessions", &list)
	accounts := map[string]string{}
	for _, in := range list {
		accounts[in.User] = in.ServerAccount
	}
	if accounts["reports"] != "reporter" || accounts["app"] != "strata" {
		t.Fatalf("/api/sessions: server accounts by user %v, want reports → reporter, app → strata", accounts)
	}

	// COM_CHANGE_USER (PHP mysqli, over TLS) to reports takes its account.
	host, port, _ := net.SplitHostPort(s.MySQLAddr())
	if out, err := exec.Command("php", "php/change_user_tls.php", host, port, "reports", "r").CombinedOutput(); err != nil || !strings.Contains(string(out), "server account: reporter@%") {
		t.Fatalf("change_user from app to reports: %v\n%s", err, out)
	}

	// The server runs the statement under the user's account, and KILL
	// QUERY with the Strata id stops it.
	sleeper := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "reports", "r", "blog"))
	_, id, done := startSleep(t, sleeper, 20, "acct_kill_probe")
	servers := append([]*sandbox.Server{env.primary}, env.replicas...)
	owners := 0
	for _, srv := range servers {
		n, err := srv.QueryValue(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%acct_kill_probe%' AND INFO NOT LIKE '%PROCESSLIST%' AND USER = 'reporter'")
		if err != nil {
			t.Fatal(err)
		}
		if n != "0" {
			owners++
		}
	}
	if owners != 1 {
		t.Fatalf("servers running the SLEEP as reporter: %d, want 1", owners)
	}
	if _, err := reports.ExecContext(ctx, fmt.Sprintf("KILL QUERY %d", id)); err != nil {
		t.Fatalf("KILL QUERY of a reports statement: %v", err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the SLEEP still runs 10 s after KILL QUERY")
	}

	// A reload without the account: new sessions of reports run as the
	// default account.
	if err := os.WriteFile(path, []byte(strings.Replace(yaml, ", backend: {user: reporter, password: rp-secret}", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReloadFile(); err != nil {
		t.Fatal(err)
	}
	fresh := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "reports", "r", "blog"))
	var who string
	if err := fresh.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&who); err != nil || !strings.HasPrefix(who, "strata@") {
		t.Fatalf("a new reports session after the reload reads as %q, %v; want the default account", who, err)
	}
}

// A server that refuses a user's own server account (a wrong password in
// users[].backend) is not down: that user's statements get the server's
// error naming the account, the servers stay up in the topology, and other
// users go on reading from the replicas.
func TestUserServerAccountRefused(t *testing.T) {
	t.Parallel()
	env.Setup(t, "CREATE USER IF NOT EXISTS 'refused_acct'@'%' IDENTIFIED BY 'right'", "GRANT SELECT ON blog.* TO 'refused_acct'@'%'")
	t.Cleanup(func() { _ = env.primary.Exec(testenv.Ctx(t), "DROP USER IF EXISTS 'refused_acct'@'%'") })
	s, _ := testenv.StartStrataFile(t, usersYAML(
		"{name: app, password: app}",
		"{name: misconfigured, password: m, backend: {user: refused_acct, password: wrong}}",
	)+"monitor: {fail_after: 1}\n") // one failure a session reports marks a server down
	servers := append([]*sandbox.Server{env.primary}, env.replicas...)
	allUp := func() bool {
		for _, srv := range servers {
			if sv := s.Topology.Load().Server(srv.Addr); sv == nil || sv.State != topology.StateUp {
				return false
			}
		}
		return true
	}
	testenv.Eventually(t, "every server checked and up", func() bool {
		for _, srv := range servers {
			if c, ok := s.Monitor.Check(srv.Addr); !ok || c.Observed != topology.StateUp {
				return false
			}
		}
		return allUp()
	})

	// No schema in the DSN: with one, the login itself checks it on a
	// server and is refused the same way.
	bad := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "misconfigured", "m", ""))
	for range 10 {
		// A read tries every replica of its pool (the account may not have
		// replicated to one yet), then says the pool failed and why.
		_, err := bad.ExecContext(ctxFor(t), "SELECT 1")
		if !strings.Contains(err.Error(), "Failed pool: primary") || strings.Count(err.Error(), "the server refused Strata's login as the server account refused_acct (users[].backend)") != len(env.replicas) {
			t.Fatalf("a read as a user whose server account is refused: %v, want the pool's failure naming the account's refusal by each replica", err)
		}
		_, err = bad.ExecContext(ctxFor(t), "CREATE TABLE IF NOT EXISTS blog.never (id INT)")
		if testenv.MySQLErr(err) != 1045 || !strings.Contains(err.Error(), "the server refused Strata's login as the server account refused_acct (users[].backend): Access denied") {
			t.Fatalf("a write as a user whose server account is refused: %v, want the primary's 1045 naming the account", err)
		}
	}
	if !allUp() {
		t.Fatalf("after a server refused one user's account, topology: %+v; want every server up", s.Topology.Load())
	}
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	var port int
	if err := app.QueryRowContext(ctxFor(t), "SELECT @@port").Scan(&port); err != nil || port == env.primary.Port {
		t.Fatalf("a read as app after that: served by port %d, %v; want a replica", port, err)
	}
}

// grepLines keeps the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// users[].require_tls: the account logs in over TLS only — go-sql-driver
// and the mariadb CLI with TLS get in; without it the right password gets
// 1045 saying TLS is required, and a wrong one the plain 1045 (the
// requirement is told only to who knows the password).
func TestRequireTLS(t *testing.T) {
	t.Parallel()
	s, _ := testenv.StartStrataFile(t, usersYAML(
		"{name: app, password: app}",
		"{name: secure, password: s3cure, require_tls: true}",
	))
	addr := s.MySQLAddr()
	if err := loginErr(t, addr, "secure", "s3cure", "tls=skip-verify"); err != nil {
		t.Fatalf("secure over TLS: %v", err)
	}
	// The process list says the session is encrypted.
	kept := testenv.Conn(t, testenv.Open(t, testenv.DSN(addr, "secure", "s3cure", "blog", "tls=skip-verify")))
	var id uint32
	if err := kept.QueryRowContext(ctxFor(t), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if got := listedSession(t, s.AdminAddr(), id); got == nil || !got.TLS {
		t.Errorf("GET /api/sessions: session %d over TLS listed as %+v, want tls", id, got)
	}
	if err := loginErr(t, addr, "secure", "s3cure"); testenv.MySQLErr(err) != 1045 || !strings.Contains(err.Error(), "requires TLS") {
		t.Fatalf("secure without TLS: %v, want 1045 saying TLS is required", err)
	}
	if err := loginErr(t, addr, "secure", "wrong"); testenv.MySQLErr(err) != 1045 || strings.Contains(err.Error(), "TLS") {
		t.Fatalf("secure without TLS and a wrong password: %v, want the plain 1045", err)
	}
	if err := loginErr(t, addr, "app", "app"); err != nil {
		t.Fatalf("another account without TLS: %v", err)
	}
	host, port, _ := net.SplitHostPort(addr)
	for _, tt := range []struct{ mode, want string }{
		{"plain", "change_user: refused errno=1045 Access denied for user 'secure': the account requires TLS"},
		{"tls", "change_user: ok"},
	} {
		out, err := exec.Command("php", "php/change_user_tls.php", host, port, "secure", "s3cure", tt.mode).CombinedOutput()
		if err != nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("PHP change_user to secure (%s): %v\n%s\nwant %q", tt.mode, err, out, tt.want)
		}
	}
	cmd := exec.Command("mariadb", "-h", host, "-P", port, "-u", "secure", "--password=s3cure", "--ssl", "--ssl-verify-server-cert=0", "--batch", "-e", "SELECT 'in over TLS'")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "in over TLS") {
		t.Fatalf("mariadb CLI with --ssl as secure: %v\n%s", err, out)
	}
}

// Refused logins reach Strata's log at WARN, once a minute per user and
// client host however many there are, and a good login logs nothing.
func TestLoginRefusalsLogged(t *testing.T) {
	t.Parallel()
	s, logs := startStrataLogging(t, usersYAML("{name: app, password: app}"))
	for range 3 {
		if err := loginErr(t, s.MySQLAddr(), "app", "stale-password"); testenv.MySQLErr(err) != 1045 {
			t.Fatalf("a wrong password: %v", err)
		}
	}
	if err := loginErr(t, s.MySQLAddr(), "app", "app"); err != nil {
		t.Fatal(err)
	}
	lines := grepLines(logs.String(), "client login refused")
	if strings.Count(lines, "\n")+1 != 1 || !strings.Contains(lines, "user=app client=127.0.0.1") || !strings.Contains(lines, "using password: YES") {
		t.Fatalf("log lines of refused logins:\n%s\nwant one naming app, its client and the error", lines)
	}
}

// POST /api/users/{name}/kill ends every session of that user and no
// other; with {"query": true} it interrupts their statements and keeps
// them connected.
func TestKillUser(t *testing.T) {
	t.Parallel()
	s, _ := testenv.StartStrataFile(t, usersYAML("{name: app, password: app}", "{name: victim, password: v}"))
	ctx := ctxFor(t)
	hold := func(user, password string) *sql.Conn {
		db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), user, password, "blog"))
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	v1, v2, other := hold("victim", "v"), hold("victim", "v"), hold("app", "app")

	// Query only: a running statement stops, its session stays.
	sleeper := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "victim", "v", "blog"))
	sleepConn, _, done := startSleep(t, sleeper, 20, "kill_user_probe")
	status, body := testenv.PostJSON(t, "http://"+s.AdminAddr()+"/api/users/victim/kill", `{"query": true}`)
	if status != 200 || body["killed"] != "query" || len(body["sessions"].([]any)) != 3 {
		t.Fatalf("kill victim's statements: %d %v, want its 3 sessions", status, body)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("victim's SLEEP still runs 10 s after its statements were killed")
	}
	var one int
	if err := sleepConn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("the session whose statement was killed: %v, want it still connected", err)
	}

	status, body = testenv.PostJSON(t, "http://"+s.AdminAddr()+"/api/users/victim/kill", `{}`)
	if status != 200 || body["killed"] != "connection" || len(body["sessions"].([]any)) != 3 {
		t.Fatalf("kill victim's sessions: %d %v, want its 3 sessions", status, body)
	}
	for i, c := range []*sql.Conn{v1, v2, sleepConn} {
		if err := c.QueryRowContext(ctx, "SELECT 1").Scan(&one); err == nil {
			t.Fatalf("victim's session %d still answers after its user was killed", i)
		}
	}
	if err := other.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("app's session after victim's were killed: %v", err)
	}
	if status, body := testenv.PostJSON(t, "http://"+s.AdminAddr()+"/api/users/victim/kill", `{}`); status != 200 || len(body["sessions"].([]any)) != 0 {
		t.Fatalf("kill a user with no session left: %d %v, want none", status, body)
	}
}

// Statements that read or write a file on a server's host (SELECT ...
// INTO OUTFILE, LOAD DATA INFILE without LOCAL, LOAD_FILE()) ran as
// Strata's account, with its FILE privilege, for any user: an application
// could read the servers' key files or write where their user may. A user
// without a server account of its own gets 1227; one with its own account
// is the server's to check, and runs them on the primary.
func TestServerFilesNeedAnAccountOfTheirOwn(t *testing.T) {
	t.Parallel()
	env.Setup(t,
		"CREATE USER IF NOT EXISTS 'filer'@'%' IDENTIFIED BY 'fl-secret'",
		"GRANT SELECT, INSERT ON blog.* TO 'filer'@'%'",
		"GRANT FILE ON *.* TO 'filer'@'%'",
		"CREATE TABLE blog.file_rows (line VARCHAR(200))")
	t.Cleanup(func() { _ = env.primary.Exec(testenv.Ctx(t), "DROP USER IF EXISTS 'filer'@'%'") })
	s, _ := testenv.StartStrataFile(t, usersYAML(
		"{name: app, password: app}",
		"{name: files, password: f, backend: {user: filer, password: fl-secret}}",
	))
	ctx := ctxFor(t)
	dir := t.TempDir()
	readable := filepath.Join(dir, "readable.txt")
	if err := os.WriteFile(readable, []byte("a line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	written := filepath.Join(dir, "by-app.txt")
	for _, stmt := range []string{
		"SELECT 1 INTO OUTFILE '" + written + "'",
		"SELECT 1 INTO DUMPFILE '" + written + "'",
		"SELECT LENGTH(LOAD_FILE('" + readable + "'))",
		"LOAD DATA INFILE '" + readable + "' INTO TABLE file_rows",
	} {
		if _, err := app.ExecContext(ctx, stmt); mysqlErr(err) != 1227 || !strings.Contains(err.Error(), "server account of its own") {
			t.Errorf("%s as app: %v, want 1227 naming users[].backend", stmt, err)
		}
	}
	if _, err := app.ExecContext(ctx, "SELECT LOAD_FILE(?)", readable); mysqlErr(err) != 1227 {
		t.Errorf("prepared LOAD_FILE(?) as app: %v, want 1227", err)
	}
	if _, err := os.Stat(written); err == nil {
		t.Errorf("app's refused INTO OUTFILE wrote %s", written)
	}
	// Its own account's FILE privilege is the server's to check.
	files := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "files", "f", "blog"))
	if got := queryStrings(t, files, "SELECT LENGTH(LOAD_FILE('"+readable+"'))"); len(got) != 1 || got[0] != "7" {
		t.Errorf("LOAD_FILE as a user with its own account: %v, want 7", got)
	}
	if _, err := files.ExecContext(ctx, "LOAD DATA INFILE '"+readable+"' INTO TABLE file_rows"); err != nil {
		t.Errorf("LOAD DATA INFILE as a user with its own account: %v", err)
	}
}
