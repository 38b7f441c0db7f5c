package shardswitch

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/twophase"
)

// A crash between PREPARE and XA COMMIT leaves a branch of a transaction
// across shards prepared on s0, while its coordinator (s1) is still
// committing. s0's primary is then switched to its replica. The prepared
// branch replicated with the binary log, so once the coordinator commits,
// the resolver commits the branch on the new primary — and the row reaches
// the old primary, now a replica, too.
func TestPreparedBranchIsCommittedOnItsClustersNewPrimary(t *testing.T) {
	ctx := context.Background()
	yaml := strings.Replace(config, "monitor: {interval: 200ms}", "monitor: {interval: 200ms}\ntransactions: {mode: twopc, resolve_every: 200ms}", 1)
	s, _ := testenv.StartStrataFile(t, yaml)
	oldPrimary, newPrimary, coordinator := "127.0.0.1:17452", "127.0.0.1:17454", "127.0.0.1:17453"
	for _, q := range twophase.CreateStatements {
		if _, err := testenv.Direct(t, coordinator).Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	x := twophase.XID{Gtrid: "strata-switch-" + time.Now().Format("150405.000"), Coordinator: "s1"}
	// The coordinator's transaction: its decision row written, not yet
	// committed, so the resolver can decide nothing meanwhile.
	coord, err := testenv.Direct(t, coordinator).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer coord.Close()
	for _, q := range []string{"BEGIN", twophase.RecordCommit(x.Gtrid)} {
		if _, err := coord.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// The branch, on a connection then closed as a crashed Strata's is.
	xdb := testenv.Open(t, testenv.DSN(oldPrimary, "root", "", "blog"))
	xdb.SetMaxIdleConns(0)
	branch, err := xdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{twophase.Start(x), "INSERT INTO blog.notes (id, body) VALUES (777001, 'across')", twophase.End(x), twophase.Prepare(x)} {
		if _, err := branch.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	branch.Close()
	xdb.Close()
	waitFor(t, "the prepared branch on the replica", func() bool { return prepared(t, newPrimary) == 1 })

	if code, out := testenv.PostJSON(t, "http://"+s.AdminAddr()+"/api/clusters/s0/switchover", `{"to": "`+newPrimary+`"}`); code != http.StatusOK {
		t.Fatalf("switchover of s0 with a prepared branch: %d %v", code, out)
	}
	if _, err := coord.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resolver to commit the branch on the new primary", func() bool { return prepared(t, newPrimary) == 0 })
	for _, addr := range []string{newPrimary, oldPrimary} {
		waitFor(t, "the row on "+addr, func() bool {
			var n int
			testenv.Direct(t, addr).QueryRow("SELECT COUNT(*) FROM blog.notes WHERE id = 777001").Scan(&n)
			return n == 1
		})
	}
	if p := prepared(t, oldPrimary); p != 0 {
		t.Fatalf("the old primary, now a replica, still holds %d prepared branches", p)
	}
}

func prepared(t *testing.T, addr string) int {
	rows, err := testenv.Direct(t, addr).Query("XA RECOVER")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15 s for %s", what)
		}
	}
}
