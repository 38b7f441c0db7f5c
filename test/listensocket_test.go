package test

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// Strata also takes clients on a Unix socket (listen_socket), as a server
// does: PHP's PDO and mysqli reach "localhost" through the socket php.ini
// names, the mariadb CLI through --socket, go-sql-driver through unix().
// Over it the session routes as over TCP (autocommit reads on a replica,
// a transaction on the primary), its client is "localhost" in the session
// list and in error 1045, caching_sha2_password takes the password in
// clear as over TLS, a second process cannot take the path, and the file
// goes when Strata stops.
func TestClientsConnectThroughStrataSocket(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "strata.sock")
	yaml := topologyYAML + "listen_socket: " + path + "\n"
	s, _ := startStrataLogging(t, yaml)
	if fi, err := os.Stat(path); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o777 {
		t.Fatalf("listen_socket %s: %v, %v; want a socket anyone on the host may connect to", path, fi, err)
	}

	db := testenv.Open(t, "app:app@unix("+path+")/blog")
	ctx := ctxFor(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	replicas := map[string]bool{"17307": true, "17308": true}
	if port := testenv.Strings(t, conn, "SELECT @@port")[0]; !replicas[port] {
		t.Errorf("an autocommit read through the socket ran on the server of port %s, want a replica", port)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if port := testenv.Strings(t, conn, "SELECT @@port")[0]; port != "17306" {
		t.Errorf("a read in a transaction through the socket ran on port %s, want the primary's 17306", port)
	}
	var sessions []struct {
		Client string `json:"client"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/sessions", &sessions)
	if len(sessions) != 1 || sessions[0].Client != "localhost" {
		t.Errorf("GET /api/sessions with one socket client: %+v, want its client to be localhost", sessions)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command("mariadb", "--socket="+path, "-u", "app", "--password=app", "--batch", "--skip-column-names", "blog", "-e", "SELECT CONCAT('cli ', COUNT(*) >= 0)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "cli 1" {
		t.Errorf("mariadb --socket: %v\n%s", err, out)
	}
	for _, php := range []struct{ ini, code string }{
		{"pdo_mysql.default_socket", `$db = new PDO("mysql:host=localhost;dbname=blog", "app", "app"); echo "pdo ", $db->query("SELECT 1")->fetchColumn();`},
		{"mysqli.default_socket", `$db = new mysqli("localhost", "app", "app", "blog"); echo "mysqli ", $db->query("SELECT 1")->fetch_row()[0];`},
	} {
		out, err := exec.Command("php", "-d", php.ini+"="+path, "-r", php.code).CombinedOutput()
		if want := strings.Fields(php.code)[0]; err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), " 1") {
			t.Errorf("php %s with host localhost and %s: %v\n%s", want, php.ini, err, out)
		}
	}

	// A caching_sha2_password account's first login takes the full path:
	// its clients send the password in clear over a Unix socket, as over
	// TLS (MySQL counts the socket as a secure transport); the next login
	// takes the fast path.
	for _, login := range []string{"full", "fast"} {
		sha := testenv.Open(t, "sha:sha-secret@unix("+path+")/blog")
		if err := sha.PingContext(ctx); err != nil {
			t.Errorf("caching_sha2_password through the socket, %s path: %v", login, err)
		}
		sha.Close()
	}
	if out, err := exec.Command("mariadb", "--socket="+path, "-u", "sha", "--password=sha-secret", "--batch", "--skip-column-names", "blog", "-e", "SELECT 'sha cli'").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "sha cli" {
		t.Errorf("mariadb --socket as a caching_sha2_password account: %v\n%s", err, out)
	}
	if err := testenv.Open(t, "sha:wrong@unix("+path+")/blog").PingContext(ctx); testenv.MySQLErr(err) != 1045 {
		t.Errorf("a wrong caching_sha2_password through the socket: %v; want error 1045", err)
	}

	bad := testenv.Open(t, "app:wrong@unix("+path+")/blog")
	err = bad.PingContext(ctx)
	if testenv.MySQLErr(err) != 1045 || !strings.Contains(err.Error(), "'app'@'localhost'") {
		t.Errorf("a wrong password through the socket: %v; want error 1045 for 'app'@'localhost'", err)
	}

	if other, err := testenv.StartStrata(yaml); err == nil {
		other.Close()
		t.Errorf("a second Strata started on the same listen_socket")
	} else if !strings.Contains(err.Error(), "another process listens there") {
		t.Errorf("a second Strata on the same listen_socket: %v", err)
	}

	s.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after Strata stopped, listen_socket's file: %v; want it gone", err)
	}
}

// A new Strata taking over (handover_socket) takes listen_socket's path
// too: clients that connect through it after the handover reach the new
// process, and the old one, stopping, leaves the new one's file alone.
func TestHandoverMovesTheListenSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "strata.sock")
	yaml := handoverYAML(t, testenv.FreePort(t), testenv.FreePort(t), filepath.Join(dir, "handover.sock")) + "listen_socket: " + path + "\n"
	old := startHandoverStrata(t, yaml)
	ctx := ctxFor(t)
	connectionID := func() uint32 {
		t.Helper()
		db := testenv.Open(t, "app:app@unix("+path+")/blog")
		defer db.Close()
		var id uint32
		if err := db.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatalf("a client through listen_socket: %v", err)
		}
		return id
	}
	connectionID() // the old process serves it
	// A client that stays connected through the socket (a PHP persistent
	// connection), idle with a session of its own when the handover comes.
	idle := testenv.Conn(t, testenv.Open(t, "app:app@unix("+path+")/blog"))
	var idleID uint32
	if _, err := idle.ExecContext(ctx, "SET time_zone = '+03:00'"); err != nil {
		t.Fatal(err)
	}
	if err := idle.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&idleID); err != nil {
		t.Fatal(err)
	}

	next := startHandoverStrata(t, yaml)
	<-old.HandedOver()
	kept := testenv.Open(t, "app:app@unix("+path+")/blog")
	conn, err := kept.Conn(ctx)
	if err != nil {
		t.Fatalf("a client through listen_socket right after the handover: %v", err)
	}
	defer conn.Close()
	var id uint32
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if next.Env.Registry.Get(id) == nil || old.Env.Registry.Get(id) != nil {
		t.Errorf("a client through listen_socket after the handover (id %d) is not the new Strata's", id)
	}
	start := time.Now()
	old.Shutdown()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the old Strata took %s to finish with an idle socket client: it was not passed on", took)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("listen_socket after the old Strata stopped: %v; the new one listens there", err)
	}
	connectionID() // still served, by the new process
	// The idle socket client goes on in the new process, its session as
	// it was, named localhost as when it connected.
	var tz, user string
	var id2 uint32
	if err := idle.QueryRowContext(ctx, "SELECT @@time_zone, CONNECTION_ID(), USER()").Scan(&tz, &id2, &user); err != nil {
		t.Fatalf("the socket client kept across the handover: %v", err)
	}
	if tz != "+03:00" || id2 != idleID {
		t.Errorf("the socket client after the handover: time_zone %s, CONNECTION_ID() %d; want +03:00, %d", tz, id2, idleID)
	}
	if next.Env.Registry.Get(idleID) == nil {
		t.Errorf("the socket client's session %d is not the new Strata's", idleID)
	}
	for _, info := range next.Env.Registry.List() {
		if info.ID == idleID && info.Client != "localhost" {
			t.Errorf("the passed-on socket client shows as %q in the session list, want localhost", info.Client)
		}
	}
}

// An account with auth_plugin unix_socket logs in without a password
// through listen_socket when the client runs as the operating-system user
// of its name, as MariaDB's plugin admits root's `sudo mariadb`; another
// OS user, or any client over TCP, gets error 1698.
func TestUnixSocketAccountsLogInAsTheirOSUser(t *testing.T) {
	t.Parallel()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "strata.sock")
	yaml := strings.Replace(topologyYAML, "users:\n", "users:\n  - {name: "+me.Username+", auth_plugin: unix_socket}\n  - {name: no_such_os_user, auth_plugin: unix_socket}\n", 1)
	s, _ := startStrataLogging(t, yaml+"listen_socket: "+path+"\n")
	host, port, _ := strings.Cut(s.MySQLAddr(), ":")

	for _, tls := range []string{"--ssl", "--skip-ssl"} { // the peer is the socket's, under TLS too
		out, err := exec.Command("mariadb", "--socket="+path, tls, "--ssl-verify-server-cert=0", "-u", me.Username, "--batch", "--skip-column-names", "blog", "-e", "SELECT 'in as os user'").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "in as os user" {
			t.Errorf("mariadb --socket %s -u %s (unix_socket, no password): %v\n%s", tls, me.Username, err, out)
		}
	}
	if err := testenv.Open(t, me.Username+"@unix("+path+")/blog").PingContext(ctxFor(t)); err != nil {
		t.Errorf("go-sql-driver through the socket as %s (unix_socket): %v", me.Username, err)
	}
	for _, tt := range []struct{ what, dsn string }{
		{"another OS user's account", "no_such_os_user@unix(" + path + ")/blog"},
		{"over TCP", me.Username + "@tcp(" + host + ":" + port + ")/blog"},
	} {
		err := testenv.Open(t, tt.dsn).PingContext(ctxFor(t))
		if testenv.MySQLErr(err) != 1698 || !strings.Contains(err.Error(), "unix_socket") {
			t.Errorf("a unix_socket login, %s: %v; want error 1698", tt.what, err)
		}
	}
}
