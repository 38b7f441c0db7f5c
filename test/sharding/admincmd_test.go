package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// Over shards, a multi-statement query runs statement by statement on the
// shards each names; a SHUTDOWN among them is refused before any runs, as
// alone (it would stop the default cluster's primary). mariadb-admin
// refresh (COM_REFRESH) runs where a FLUSH without tables does, on the
// default cluster, and every shard keeps serving.
func TestShutdownAndRefreshOverShards(t *testing.T) {
	strataDB(t)
	db := openStrataDSN(t, "multiStatements=true")
	ctx := context.Background()
	for _, stmt := range []string{"SELECT id FROM comments WHERE entry_id = 1; SHUTDOWN", "SELECT COUNT(*) FROM comments; shutdown", "SHUTDOWN WAIT FOR ALL SLAVES"} {
		_, err := db.ExecContext(ctx, stmt)
		if err == nil || !strings.Contains(err.Error(), "Error 1227 (42000)") || !strings.Contains(err.Error(), "Strata does not pass SHUTDOWN on") {
			t.Errorf("%s: %v, want error 1227 naming why", stmt, err)
		}
	}
	host, port, _ := strings.Cut(strataAddr, ":")
	for _, cmd := range []string{"refresh", "flush-threads"} {
		out, err := exec.CommandContext(ctx, "mariadb-admin", "-h", host, "-P", port, "-uapp", "--password=app", cmd).CombinedOutput()
		if err != nil {
			t.Errorf("mariadb-admin %s: %v\n%s", cmd, err, out)
		}
	}
	for name, c := range direct {
		if err := c.PingContext(ctx); err != nil {
			t.Errorf("cluster %s stopped: %v", name, err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM comments").Scan(&n); err != nil || n == 0 {
		t.Errorf("a read over every shard after them: %d rows, %v", n, err)
	}
}

// A query of comments alone, or of nothing, is answered over shards as by
// one server: OK, or 1065 Query was empty (not a 1064 about
// multi-statements), also inside a transaction on one shard.
func TestEmptyAndCommentOnlyQueriesOverShards(t *testing.T) {
	strataDB(t)
	ctx := context.Background()
	through, single := testenv.Conn(t, openStrataDSN(t, "")), singleConn(t)
	outcome := func(c *sql.Conn, q string) string {
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			return err.Error()
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		return fmt.Sprintf("%d rows", n)
	}
	compare := func(when string) {
		for _, q := range []string{"", ";", "/* c */", "-- end\n", "/*!40101 */;"} {
			if got, want := outcome(through, q), outcome(single, q); got != want {
				t.Errorf("%q %s: through Strata %s, on one server %s", q, when, got, want)
			}
		}
	}
	compare("in autocommit")
	for _, c := range []*sql.Conn{through, single} {
		if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, "UPDATE comments SET body = body WHERE entry_id = 3"); err != nil {
			t.Fatal(err)
		}
	}
	compare("in a transaction")
	for _, c := range []*sql.Conn{through, single} {
		if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
}
