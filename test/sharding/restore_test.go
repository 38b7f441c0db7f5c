package sharding

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A table moved from one server into a sharded layout by restoring
// mariadb-dump's output through Strata: the dump's DROP and CREATE TABLE
// make the table on every shard, and its multi-row INSERTs put each row on
// the shard its key names. A dump with its default LOCK TABLES stops at
// that line with error 1235 naming --skip-add-locks, before any row.
func TestRestoringADumpIntoAShardedTable(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE blog.dump_rows (id INT NOT NULL PRIMARY KEY, n VARCHAR(20) NOT NULL)", "blog.dump_rows", "single")
	for _, sh := range shardNames {
		t.Cleanup(func() { direct[sh].Exec("DROP TABLE IF EXISTS blog.dump_rows") })
	}
	var rows []string
	for i := 1; i <= 200; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'row %d ü')", i, i))
	}
	mustExec(t, testenv.Conn(t, singleBlog), "INSERT INTO dump_rows VALUES "+strings.Join(rows, ","))
	s := startOwn(t, ownConfig(t, "dump_rows: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	dump := func(extra ...string) string {
		host, port, _ := strings.Cut(clusterAddr["single"], ":")
		args := append([]string{"-h", host, "-P", port, "-u", "root", "--skip-ssl"}, extra...)
		out, errOut, err := runTool("mariadb-dump", append(args, "blog", "dump_rows")...)
		if err != nil {
			t.Fatalf("mariadb-dump of the single server: %v\n%s", err, errOut)
		}
		return out
	}
	restore := func(file string) (string, error) {
		host, port, _ := strings.Cut(s.MySQLAddr(), ":")
		cmd := exec.Command("mariadb", "-h", host, "-P", port, "-u", "app", "--password=app", "--skip-ssl", "blog")
		cmd.Stdin = strings.NewReader(file)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	db := openStrata(t, s.MySQLAddr())

	out, err := restore(dump())
	if err == nil || !strings.Contains(out, "1235") || !strings.Contains(out, "--skip-add-locks") {
		t.Fatalf("restoring a dump with LOCK TABLES: %v\n%s\nwant error 1235 naming --skip-add-locks", err, out)
	}
	if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM dump_rows"); got[0] != "0" {
		t.Errorf("rows after the refused restore: %s, want 0", got[0])
	}

	if out, err := restore(dump("--skip-add-locks")); err != nil {
		t.Fatalf("restoring a dump made with --skip-add-locks: %v\n%s", err, out)
	}
	all := "SELECT CONCAT(id, ' ', n) FROM dump_rows ORDER BY id"
	if got, want := testenv.Strings(t, db, all), testenv.Strings(t, singleBlog, all); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("restored rows through Strata differ from the single server's: %d rows, want %d", len(got), len(want))
	}
	for i, sh := range []string{"s0", "s1", "s2", "s3"} {
		q := fmt.Sprintf("SELECT COUNT(*), COALESCE(SUM(id %% 4 <> %d), 0) FROM blog.dump_rows", i)
		if got := testenv.Strings(t, direct[sh], q); got[0] != "50|0" {
			t.Errorf("%s holds (rows, rows of other shards) %s, want 50|0", sh, got[0])
		}
	}
}
