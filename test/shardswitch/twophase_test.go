package shardswitch

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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

// A switchover of a shard on which an open transaction across shards holds
// a branch waits for that transaction: at its timeout it gives up and the
// transaction commits on every shard. Forced, it closes the session, and
// its branch and its coordinator's part both roll back: no row of it is
// anywhere, and no branch is left prepared.
func TestSwitchoverOfABranchesShardWaitsForOrEndsTheTransaction(t *testing.T) {
	ctx := context.Background()
	yaml := strings.Replace(config, "monitor: {interval: 200ms}", "monitor: {interval: 200ms}\ntransactions: {mode: twopc, resolve_every: 200ms}", 1)
	s, _ := testenv.StartStrataFile(t, yaml)
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	s0 := []string{"127.0.0.1:17452", "127.0.0.1:17454"}
	const coordinator = "127.0.0.1:17453"
	rowsOf := func(ids string) int {
		n := 0
		for _, addr := range append([]string{coordinator}, s0...) {
			var k int
			if err := testenv.Direct(t, addr).QueryRow("SELECT COUNT(*) FROM blog.notes WHERE id IN (" + ids + ")").Scan(&k); err != nil {
				t.Fatal(err)
			}
			n += k
		}
		return n
	}
	across := func(odd, even int) *sql.Conn {
		t.Helper()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"BEGIN",
			fmt.Sprintf("INSERT INTO notes (id, body) VALUES (%d, 'coordinator')", odd), // s1
			fmt.Sprintf("INSERT INTO notes (id, body) VALUES (%d, 'branch')", even)} {   // s0
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return conn
	}
	// The test before may have switched s0: this Strata, started from the
	// config, follows the writable server within a monitor pass.
	writable := s0[0]
	var ro int
	if err := testenv.Direct(t, s0[0]).QueryRow("SELECT @@global.read_only").Scan(&ro); err != nil {
		t.Fatal(err)
	}
	if ro == 1 {
		writable = s0[1]
	}
	waitFor(t, "Strata to see "+writable+" as s0's primary", func() bool { return primaryOf(t, s.AdminAddr(), "s0") == writable })
	switchTo := func(force bool) (int, map[string]any) {
		t.Helper()
		to := s0[0]
		if primaryOf(t, s.AdminAddr(), "s0") == s0[0] {
			to = s0[1]
		}
		return testenv.PostJSON(t, "http://"+s.AdminAddr()+"/api/clusters/s0/switchover",
			fmt.Sprintf(`{"to": %q, "timeout": "700ms", "force": %t}`, to, force))
	}

	conn := across(777021, 777022)
	var id int
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if code, out := switchTo(false); code != http.StatusConflict || !strings.Contains(fmt.Sprint(out), fmt.Sprintf("sessions %d ", id)) {
		t.Fatalf("switchover of s0 while a transaction holds a branch there: %d %v; want 409 naming session %d", code, out, id)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatalf("COMMIT after the switchover gave up: %v", err)
	}
	conn.Close()
	waitFor(t, "both rows of the committed transaction", func() bool { return rowsOf("777021, 777022") >= 2 })

	conn = across(777031, 777032)
	defer conn.Close()
	if code, out := switchTo(true); code != http.StatusOK {
		t.Fatalf("forced switchover of s0 while a transaction holds a branch there: %d %v", code, out)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err == nil {
		t.Fatal("COMMIT of a transaction whose session the forced switchover closed succeeded")
	}
	time.Sleep(500 * time.Millisecond) // a few resolver passes
	if n := rowsOf("777031, 777032"); n != 0 {
		t.Fatalf("%d rows of the transaction the forced switchover ended are on the servers; want none", n)
	}
	for _, addr := range append([]string{coordinator}, s0...) {
		if p := prepared(t, addr); p != 0 {
			t.Errorf("%s holds %d prepared branches after the forced switchover", addr, p)
		}
	}
}

// primaryOf reads cluster's primary from Strata's topology.
func primaryOf(t *testing.T, admin, cluster string) string {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/api/topology")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var topo struct {
		Clusters []struct {
			Name    string `json:"name"`
			Primary struct {
				Address string `json:"address"`
			} `json:"primary"`
		} `json:"clusters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&topo); err != nil {
		t.Fatal(err)
	}
	for _, c := range topo.Clusters {
		if c.Name == cluster {
			return c.Primary.Address
		}
	}
	t.Fatalf("GET /api/topology has no cluster %s", cluster)
	return ""
}
