package test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// blogSchema is the seed article's blog, loaded once per test that needs it
// under its own table prefix so tests can run in parallel.
func blogSchema(prefix string) []string {
	return []string{
		fmt.Sprintf("DROP TABLE IF EXISTS blog.%susers, blog.%sentries, blog.%scomments", prefix, prefix, prefix),
		fmt.Sprintf("CREATE TABLE blog.%susers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, email VARCHAR(80))", prefix),
		fmt.Sprintf("CREATE TABLE blog.%sentries (id INT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, title VARCHAR(100), body TEXT, created_at DATETIME, KEY (user_id))", prefix),
		fmt.Sprintf("CREATE TABLE blog.%scomments (id INT AUTO_INCREMENT PRIMARY KEY, entry_id INT NOT NULL, user_id INT, body VARCHAR(200), created_at DATETIME, KEY (entry_id))", prefix),
		fmt.Sprintf("INSERT INTO blog.%susers VALUES (1,'ann','ann@example.com'),(2,'bob',NULL),(3,'cé','c@example.com')", prefix),
		fmt.Sprintf("INSERT INTO blog.%sentries (user_id,title,body,created_at) VALUES (1,'hello','first post','2024-06-01 10:00:00'),(2,'ünïcödé','😀 emoji','2024-06-02 11:00:00'),(1,'third',NULL,'2024-06-03 12:00:00')", prefix),
		fmt.Sprintf("INSERT INTO blog.%scomments (entry_id,user_id,body,created_at) VALUES (1,2,'nice','2024-06-01 11:00:00'),(1,3,'+1','2024-06-01 12:00:00'),(2,1,'wow','2024-06-02 12:00:00')", prefix),
	}
}

// runCLI runs the mariadb command-line client against addr with sql on stdin.
func runCLI(t *testing.T, host string, port string, user, password, sql string, extra ...string) (string, error) {
	t.Helper()
	args := append([]string{"-h", host, "-P", port, "-u", user, "--password=" + password, "--batch", "--skip-ssl", "--default-character-set=utf8mb4", "blog"}, extra...)
	// The CLI has no read timeout of its own: a client that waits for an
	// answer that never comes fails the test instead of stalling the run.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mariadb", args...)
	cmd.Stdin = strings.NewReader(sql)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		return out.String() + errOut.String(), fmt.Errorf("%v: %s", err, errOut.String())
	}
	return out.String(), nil
}

func strataHostPort() (string, string) {
	h, p, _ := net.SplitHostPort(env.addr)
	return h, p
}

// The mariadb CLI gets the same answers through Strata as from the primary.
func TestMariaDBCLIWorkload(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("mariadb"); err != nil {
		t.Fatal("mariadb client not installed: make deps installs it")
	}
	setupTables(t, blogSchema("cli_")...)
	reads := `
SELECT u.name, COUNT(c.id) AS comments FROM cli_users u LEFT JOIN cli_comments c ON c.user_id = u.id GROUP BY u.name ORDER BY u.name;
SELECT e.title, e.body, e.created_at FROM cli_entries e ORDER BY e.id;
SELECT * FROM cli_users WHERE email IS NULL;
SHOW COLUMNS FROM cli_entries;
SELECT @@character_set_client, @@collation_connection;
SELECT 1; SELECT 'two', NULL, 3.5;
`
	h, p := strataHostPort()
	viaStrata, err := runCLI(t, h, p, "app", "app", reads)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := runCLI(t, "127.0.0.1", fmt.Sprint(env.primary.Port), "root", "", reads)
	if err != nil {
		t.Fatal(err)
	}
	if viaStrata != direct {
		t.Errorf("answers differ\nvia Strata:\n%s\ndirect:\n%s", viaStrata, direct)
	}
	if !strings.Contains(viaStrata, "ünïcödé") || !strings.Contains(viaStrata, "😀") {
		t.Errorf("unicode lost through Strata:\n%s", viaStrata)
	}
	writes := "INSERT INTO cli_comments (entry_id,user_id,body) VALUES (3,2,'from cli'); SELECT ROW_COUNT(); SELECT LAST_INSERT_ID() > 0;"
	out, err := runCLI(t, h, p, "app", "app", writes)
	if err != nil {
		t.Fatal(err)
	}
	if out != "ROW_COUNT()\n1\nLAST_INSERT_ID() > 0\n1\n" {
		t.Errorf("write through CLI answered:\n%s", out)
	}
	n, err := env.primary.QueryValue(ctxFor(t), "SELECT COUNT(*) FROM blog.cli_comments WHERE body='from cli'")
	if err != nil || n != "1" {
		t.Errorf("row written through the CLI not on the primary: %v %v", n, err)
	}
}

// PHP PDO, with emulated and with native prepared statements, gets the same
// answers through Strata as from the primary.
func TestPHPPDOWorkload(t *testing.T) {
	t.Parallel()
	phpPDOWorkload(t, "php_", "")
}

// phpPDOWorkload runs php/blog_workload.php on tables prefix... through
// Strata and on the primary, in both prepare modes, and compares; extra
// is the script's last argument ("compress" or "").
func phpPDOWorkload(t *testing.T, prefix, extra string) {
	t.Helper()
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	setupTables(t, blogSchema(prefix)...)
	script, _ := filepath.Abs("php/blog_workload.php")
	h, p := strataHostPort()
	run := func(host, port, user, pass, mode string) string {
		// Bounded: a client that waits for an answer that never comes
		// (PDO compressing where Strata did not) fails, not stalls the run.
		ctx, cancel := context.WithTimeout(ctxFor(t), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "php", script, host, port, user, pass, prefix, mode, extra).CombinedOutput()
		if err != nil {
			t.Fatalf("php (%s:%s %s %s): %v\n%s", host, port, mode, extra, err, out)
		}
		return string(out)
	}
	for _, mode := range []string{"emulated", "native"} {
		// Reads first, compared; the script's writes use ids of their own.
		viaStrata := run(h, p, "app", "app", mode+"-read")
		direct := run("127.0.0.1", fmt.Sprint(env.primary.Port), "root", "", mode+"-read")
		if viaStrata != direct {
			t.Errorf("%s: answers differ\nvia Strata:\n%s\ndirect:\n%s", mode, viaStrata, direct)
		}
		if !strings.Contains(viaStrata, "ünïcödé") {
			t.Errorf("%s: unicode lost:\n%s", mode, viaStrata)
		}
		out := run(h, p, "app", "app", mode+"-write")
		if !strings.Contains(out, "ok") {
			t.Errorf("%s writes: %s", mode, out)
		}
		// The next mode's reads compare a replica with the primary: let the
		// replicas apply these writes first.
		if err := env.sb.WaitReplicated(ctxFor(t)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := env.primary.QueryValue(ctxFor(t), "SELECT COUNT(*) FROM blog."+prefix+"comments WHERE body LIKE 'pdo %'")
	if err != nil || n != "4" {
		t.Errorf("PDO writes on the primary: %v (%v), want 4 (2 modes x 2 rows)", n, err)
	}
}

// PHP mysqli (the API WordPress uses): prepared statements read with
// get_result and bind_result, a read-only cursor, multi_query and
// change_user get the same answers through Strata as from the primary;
// the reads land on replicas and the writes on the primary.
func TestPHPMysqliWorkload(t *testing.T) {
	t.Parallel()
	setupTables(t, blogSchema("mysqli_")...)
	script, _ := filepath.Abs("php/mysqli_workload.php")
	run := func(host, port, user, pass, part string) string {
		out, err := exec.Command("php", script, host, port, user, pass, "mysqli_", part).CombinedOutput()
		if err != nil {
			t.Fatalf("php mysqli %s (%s:%s): %v\n%s", part, host, port, err, out)
		}
		return string(out)
	}
	h, p := strataHostPort()
	primary0, replicas0 := readsByServer(t, "mysqli_entries")
	viaStrata := run(h, p, "app", "app", "read")
	primary1, replicas1 := readsByServer(t, "mysqli_entries")
	direct := run("127.0.0.1", fmt.Sprint(env.primary.Port), "root", "", "read")
	if viaStrata != direct {
		t.Errorf("answers differ\nvia Strata:\n%s\ndirect:\n%s", viaStrata, direct)
	}
	if !strings.Contains(viaStrata, "ünïcödé") || !strings.Contains(viaStrata, `cursor: [[1,"hello"]`) || !strings.Contains(viaStrata, `[1292,"Truncated incorrect INTEGER value`) {
		t.Errorf("answers through Strata incomplete:\n%s", viaStrata)
	}
	if primary1 != primary0 || sum(replicas1) == sum(replicas0) {
		t.Errorf("rows of mysqli_entries read: primary %d, replicas %d; autocommit reads must go to replicas", primary1-primary0, sum(replicas1)-sum(replicas0))
	}
	if out := run(h, p, "app", "app", "write"); out != "ok\n" {
		t.Fatalf("writes: %s", out)
	}
	n, err := env.primary.QueryValue(ctxFor(t), "SELECT GROUP_CONCAT(body ORDER BY id) FROM blog.mysqli_comments WHERE body LIKE '%mysqli%'")
	if err != nil || n != "mysqli tx,mysqli autocommit" {
		t.Errorf("mysqli rows on the primary: %q (%v), want the committed two", n, err)
	}
}

// go-sql-driver: server-side prepared statements, transactions,
// interpolateParams, multi-statements and LOAD DATA LOCAL INFILE.
func TestGoDriverWorkload(t *testing.T) {
	t.Parallel()
	setupTables(t, blogSchema("go_")...)
	direct := openDirect(t, env.primary, "blog")
	queries := []struct {
		sql  string
		args []any
	}{
		{"SELECT id, name, email FROM go_users WHERE id > ? ORDER BY id", []any{1}},
		{"SELECT title, body, created_at FROM go_entries WHERE user_id = ? ORDER BY id", []any{1}},
		{"SELECT e.title, COUNT(c.id) FROM go_entries e LEFT JOIN go_comments c ON c.entry_id = e.id GROUP BY e.id, e.title ORDER BY e.id", nil},
		{"SELECT ?, ?, ?, ?", []any{int64(-5), 2.5, "str'ing", nil}},
		{"SELECT CAST(? AS DATETIME), CAST(? AS DECIMAL(10,2))", []any{"2024-06-01 10:00:00", "12.345"}},
	}
	for _, params := range [][]string{nil, {"interpolateParams=true"}} {
		db := openStrata(t, params...)
		for _, q := range queries {
			got := queryStrings(t, db, q.sql, q.args...)
			want := queryStrings(t, direct, q.sql, q.args...)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%v %s:\nvia Strata %v\ndirect     %v", params, q.sql, got, want)
			}
		}
	}

	t.Run("prepared statement reused", func(t *testing.T) {
		db := openStrata(t)
		st, err := db.Prepare("SELECT name FROM go_users WHERE id = ?")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for i, want := range []string{"ann", "bob", "cé", "ann"} {
			var name string
			if err := st.QueryRow(i%3 + 1).Scan(&name); err != nil || name != want {
				t.Fatalf("execute %d: %q, %v", i, name, err)
			}
		}
	})

	t.Run("transaction commit and rollback", func(t *testing.T) {
		db := openStrata(t)
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO go_comments (entry_id, body) VALUES (?, ?)", 2, "tx rolled back"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM go_comments WHERE body = 'tx rolled back'").Scan(&n); err != nil || n != 1 {
			t.Fatalf("own uncommitted write not visible in the transaction: %d %v", n, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		tx, _ = db.Begin()
		if _, err := tx.Exec("INSERT INTO go_comments (entry_id, body) VALUES (?, ?)", 2, "tx committed"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		got := queryStrings(t, direct, "SELECT body FROM go_comments WHERE body LIKE 'tx %'")
		if strings.Join(got, ",") != "tx committed" {
			t.Errorf("primary has %v, want only the committed row", got)
		}
	})

	t.Run("multi statements", func(t *testing.T) {
		db := openStrata(t, "multiStatements=true")
		if _, err := db.Exec("INSERT INTO go_users VALUES (10,'multi1',NULL); INSERT INTO go_users VALUES (11,'multi2',NULL)"); err != nil {
			t.Fatal(err)
		}
		got := queryStrings(t, direct, "SELECT name FROM go_users WHERE id IN (10,11) ORDER BY id")
		if strings.Join(got, ",") != "multi1,multi2" {
			t.Errorf("multi-statement insert left %v", got)
		}
		// Several result sets from one query.
		rows, err := db.Query("SELECT 1; SELECT 'a', 'b'")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		sets := 0
		for {
			for rows.Next() {
			}
			sets++
			if !rows.NextResultSet() {
				break
			}
		}
		if sets != 2 {
			t.Errorf("got %d result sets, want 2", sets)
		}
		// Without the capability, several statements are refused.
		single := openStrata(t)
		if _, err := single.Exec("SELECT 1; SELECT 2"); mysqlErr(err) != 1064 {
			t.Errorf("multi-statement without CLIENT_MULTI_STATEMENTS: %v, want error 1064", err)
		}
	})

	t.Run("load data local infile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "comments.tsv")
		var b strings.Builder
		for i := 0; i < 5000; i++ {
			fmt.Fprintf(&b, "3\tloaded %d\n", i)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		mysql.RegisterLocalFile(path)
		db := openStrata(t)
		res, err := db.Exec(fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE go_comments (entry_id, body)", path))
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 5000 {
			t.Errorf("rows affected %d, want 5000", n)
		}
		got := queryStrings(t, direct, "SELECT COUNT(*) FROM go_comments WHERE body LIKE 'loaded %'")
		if got[0] != "5000" {
			t.Errorf("primary has %s loaded rows", got[0])
		}
	})
}

// caching_sha2_password: the first login takes the full path (over TLS, or
// with the server's RSA key), later ones the fast path.
func TestCachingSha2Password(t *testing.T) {
	t.Parallel()
	for _, params := range [][]string{{"tls=skip-verify"}, {"allowCleartextPasswords=false"}} {
		db, err := sql.Open("mysql", strataDSN("sha", "sha-secret", "blog", params...))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxIdleConns(0) // a new login for every query
		for i := 0; i < 3; i++ {
			var one int
			if err := db.QueryRowContext(context.Background(), "SELECT 1").Scan(&one); err != nil {
				t.Fatalf("%v login %d: %v", params, i, err)
			}
		}
	}
	bad, _ := sql.Open("mysql", strataDSN("sha", "wrong", "blog", "tls=skip-verify"))
	defer bad.Close()
	if err := bad.Ping(); mysqlErr(err) != 1045 {
		t.Errorf("wrong caching_sha2 password: %v, want 1045", err)
	}
}

// COM_CHANGE_USER (PHP mysqli::change_user) re-authenticates and drops the
// previous user's session state.
func TestChangeUser(t *testing.T) {
	t.Parallel()
	h, p := strataHostPort()
	out, err := exec.Command("php", "php/change_user.php", h, p).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "dropped=1") || !strings.Contains(string(out), "wrong password accepted=no errno=1045") {
		t.Errorf("change_user output:\n%s", out)
	}
	strataStillServes(t)
}
