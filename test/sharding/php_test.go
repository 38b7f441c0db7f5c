package sharding

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PHP PDO, with emulated and with native (server-side) prepared
// statements, reads the sharded tables through Strata and gets exactly
// what it gets from the single server holding all the rows.
func TestPHPPDOReadsShardedTablesLikeOneServer(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	strataDB(t)
	script, _ := filepath.Abs("../php/sharded_reads.php")
	run := func(host, port, user, pass, mode string) string {
		t.Helper()
		out, err := exec.Command("php", script, host, port, user, pass, mode).CombinedOutput()
		if err != nil {
			t.Fatalf("php %s against %s:%s: %v\n%s", mode, host, port, err, out)
		}
		return string(out)
	}
	host, port, _ := strings.Cut(clusterAddr["single"], ":")
	sHost, sPort, _ := strings.Cut(strataAddr, ":")
	for _, mode := range []string{"emulated", "native"} {
		want := run(host, port, "root", "", mode)
		got := run(sHost, sPort, "app", "app", mode)
		if got != want {
			t.Errorf("PDO %s through Strata differs from the single server:%s", mode, lineDiff(got, want))
		}
		for _, read := range []string{"last posts", "members from m", "events share by qty", "votes per entry", "entries with heavy likes", "users with heavily liked entries", "page count of a grouped query", "totals per kind", "entries or commented", "chain of comments", "members and their comments", "events rolled up", "page of comments", "comments found", "events read", "comments returned", "comments deleted", "batch purge", "multi-statement query"} {
			if !strings.Contains(want, read+": [{") {
				t.Errorf("PDO %s: %q read nothing: %s", mode, read, want)
			}
		}
	}
}

// PHP's mysqli (the API WordPress uses) over the sharded tables: prepared
// statements bound as int, double, string and a blob sent in pieces
// (send_long_data), read with get_result, whose PHP types follow the
// columns' types; WordPress's SQL_CALC_FOUND_ROWS paging; a multi-row
// text INSERT and an UPDATE over several shards with the info line
// mysqli_info() returns; a transaction, a duplicate key, several
// statements in one query. Every answer equals the single server's.
func TestPHPMysqliOverShardsLikeOneServer(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	strataDB(t)
	script, _ := filepath.Abs("../php/sharded_mysqli.php")
	run := func(addr, user, pass string) string {
		t.Helper()
		host, port, _ := strings.Cut(addr, ":")
		out, err := exec.Command("php", script, host, port, user, pass).CombinedOutput()
		if err != nil {
			t.Fatalf("php against %s: %v\n%s", addr, err, out)
		}
		return string(out)
	}
	want := run(clusterAddr["single"], "root", "")
	got := run(strataAddr, "app", "app")
	if got != want {
		t.Errorf("mysqli through Strata differs from the single server:%s", lineDiff(got, want))
	}
	for _, line := range []string{`text insert: [2,"Records: 2  Duplicates: 0  Warnings: 0"]`, `update: [4,"Rows matched: 6  Changed: 4  Warnings: 0"]`,
		`insert 940003: [1,0]`, `duplicate: "error 1062 23000"`, `found rows: [{"n":"`, `"body":"long body 940000 ünïcödé"`, `multi: [[{"n":"7"}],{"affected":1},[{"s":"`} {
		if !strings.Contains(want, line) {
			t.Errorf("mysqli: %q missing from\n%s", line, want)
		}
	}
}

// lineDiff lists the lines where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "\nline %d\n  Strata: %s\n  single: %s", i+1, gl, wl)
		}
	}
	return b.String()
}
