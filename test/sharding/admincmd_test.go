package sharding

import (
	"context"
	"os/exec"
	"strings"
	"testing"
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
