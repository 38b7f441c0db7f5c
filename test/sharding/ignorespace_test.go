package sharding

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// A client logged in with CLIENT_IGNORE_SPACE (mariadb -i) writes
// COUNT (*) and MAX (v): over shards Strata reads its statements as the
// server reads them, so aggregates merge and a condition on the shard key
// routes, and the answers are one server's.
func TestIgnoreSpaceClientsOverShards(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.isp_rows (id INT PRIMARY KEY, v INT)", "blog.isp_rows", append([]string{"single"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, "isp_rows: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	db, single := openStrata(t, s.MySQLAddr()), singleConn(t)
	ctx := context.Background()
	for i := 1; i <= 8; i++ {
		if _, err := db.ExecContext(ctx, "REPLACE INTO isp_rows VALUES (?, ?)", i, i*10); err != nil {
			t.Fatal(err)
		}
		if _, err := single.ExecContext(ctx, "REPLACE INTO blog.isp_rows VALUES (?, ?)", i, i*10); err != nil {
			t.Fatal(err)
		}
	}
	script := `SELECT COUNT (*), MAX (v), SUM (v) FROM isp_rows;
SELECT COUNT (*) AS n, MIN (v) FROM isp_rows WHERE id = 5;
SELECT id, v FROM isp_rows WHERE id IN (2, 7) ORDER BY id;
SELECT v DIV 10 AS tens, COUNT (*) FROM isp_rows GROUP BY v DIV 10 ORDER BY tens DESC LIMIT 3;
`
	run := func(addr, user, pass string) string {
		host, port, _ := strings.Cut(addr, ":")
		cmd := exec.Command("mariadb", "-h", host, "-P", port, "-u", user, "--password="+pass, "--batch", "-i", "--force", "blog")
		cmd.Stdin = strings.NewReader(script)
		out, _ := cmd.CombinedOutput() // --force: errors are printed, the exit status is 0
		return string(out)
	}
	got, want := run(s.MySQLAddr(), "app", "app"), run(clusterAddr["single"], "root", "")
	if got != want || !strings.Contains(want, "8\t80\t360") {
		t.Errorf("mariadb -i through Strata:\n%s\non one server:\n%s", got, want)
	}
}
