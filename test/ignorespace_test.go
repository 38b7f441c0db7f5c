package test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// A client that logs in with CLIENT_IGNORE_SPACE (mariadb -i,
// PDO::MYSQL_ATTR_IGNORE_SPACE, mysqli's MYSQLI_CLIENT_IGNORE_SPACE) has
// IGNORE_SPACE in its sql_mode on a server, so COUNT (*) is COUNT(*).
// Through Strata it had the server's plain sql_mode, and such statements
// failed with 1064. It lasts until the client sets sql_mode, and a change
// of user drops it, as on the server.
func TestIgnoreSpaceClientsReadAsOnTheServer(t *testing.T) {
	t.Parallel()
	setupTables(t, blogSchema("isp_")...)
	script := `
SELECT @@sql_mode;
SELECT COUNT (*) AS n, MAX (id) AS top FROM isp_users;
SELECT u.name, COUNT (c.id) AS comments FROM isp_users u LEFT JOIN isp_comments c ON c.user_id = u.id GROUP BY u.name ORDER BY u.name;
SET sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES');
SELECT @@sql_mode;
SET sql_mode = 'STRICT_ALL_TABLES';
SELECT COUNT (*) FROM isp_users;
`
	h, p := strataHostPort()
	viaStrata, _ := runCLI(t, h, p, "app", "app", script, "-i", "--force")
	direct, _ := runCLI(t, "127.0.0.1", fmt.Sprint(env.primary.Port), "root", "", script, "-i", "--force")
	if viaStrata != direct {
		t.Errorf("mariadb -i: answers differ\nvia Strata:\n%s\ndirect:\n%s", viaStrata, direct)
	}
	if !strings.Contains(viaStrata, "IGNORE_SPACE") || !strings.Contains(viaStrata, "3\t3") {
		t.Errorf("mariadb -i through Strata: no IGNORE_SPACE, or COUNT (*) not answered:\n%s", viaStrata)
	}

	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	php := `[$_, $host, $port, $user, $pass] = $argv;
$m = mysqli_init();
$m->real_connect($host, $user, $pass, "blog", (int)$port, null, MYSQLI_CLIENT_IGNORE_SPACE);
echo $m->query("SELECT COUNT (*) FROM isp_entries")->fetch_row()[0], "\n";
echo $m->query("SELECT @@sql_mode")->fetch_row()[0], "\n";
$m->change_user($user, $pass, "blog");
echo $m->query("SELECT @@sql_mode")->fetch_row()[0], "\n";
try { $m->query("SELECT COUNT (*) FROM isp_entries"); echo "no error\n"; } catch (mysqli_sql_exception $e) { echo $e->getCode(), "\n"; }
`
	run := func(host, port, user, pass string) string {
		out, err := exec.Command("php", "-r", php, "--", host, port, user, pass).CombinedOutput()
		if err != nil {
			t.Fatalf("php (%s:%s): %v\n%s", host, port, err, out)
		}
		return string(out)
	}
	viaStrata = run(h, p, "app", "app")
	direct = run("127.0.0.1", fmt.Sprint(env.primary.Port), "root", "")
	if viaStrata != direct || !strings.HasPrefix(viaStrata, "3\nIGNORE_SPACE,") || !strings.HasSuffix(viaStrata, "1064\n") {
		t.Errorf("mysqli with MYSQLI_CLIENT_IGNORE_SPACE, then change_user: via Strata\n%s\ndirect\n%s", viaStrata, direct)
	}
}
