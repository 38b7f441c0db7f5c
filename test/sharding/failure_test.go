package sharding

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// A scatter where one shard answers an error fails as a whole, with an
// error that names the shard; the client never gets the other shards'
// rows as if they were the answer.
func TestScatterFailsWholeWhenOneShardErrs(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	ctx := context.Background()
	mustExec(t, direct["s2"], "RENAME TABLE blog.comments TO blog.comments_away")
	defer mustExec(t, direct["s2"], "RENAME TABLE blog.comments_away TO blog.comments")

	rows, err := db.QueryContext(ctx, "SELECT id FROM comments ORDER BY id")
	if err == nil {
		n := 0
		for rows.Next() {
			n++
		}
		err = rows.Err()
		rows.Close()
		if err == nil {
			t.Fatalf("scatter with shard s2's table missing returned %d rows and no error", n)
		}
	}
	if !strings.Contains(err.Error(), "1146") || !strings.Contains(err.Error(), "s2") {
		t.Fatalf("error %q, want the server's 1146 naming shard s2", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM comments").Scan(&n); err == nil {
		t.Fatalf("COUNT(*) with one shard failing answered %d", n)
	}
}

// A shard whose connection dies in the middle of a scatter fails the
// query with an error naming it, and Strata keeps serving.
func TestScatterFailsWholeWhenShardConnectionDies(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	var qerr error
	var got int
	wg.Add(1)
	go func() {
		defer wg.Done()
		// SLEEP per row keeps every shard busy long enough to be killed.
		rows, err := db.QueryContext(ctx, "SELECT id, SLEEP(0.01) FROM events ORDER BY id")
		if err != nil {
			qerr = err
			return
		}
		defer rows.Close()
		for rows.Next() {
			got++
		}
		qerr = rows.Err()
	}()
	killed := killQueryThread(t, "s1", "SLEEP(0.01)")
	wg.Wait()
	if !killed {
		t.Skip("the scatter ended before its thread on s1 could be killed")
	}
	if qerr == nil {
		t.Fatalf("scatter whose s1 connection was killed returned %d rows and no error", got)
	}
	if got > 0 {
		t.Logf("rows before the failure: %d (sent before s1 failed; the connection ends instead of a short answer)", got)
	}
	if !strings.Contains(qerr.Error(), "s1") && !strings.Contains(qerr.Error(), "invalid connection") && !strings.Contains(qerr.Error(), "bad connection") {
		t.Errorf("error %q names neither shard s1 nor a dropped connection", qerr)
	}
	var n int
	if err := strataDB(t).QueryRowContext(ctx, "SELECT COUNT(*) FROM events").Scan(&n); err != nil || n == 0 {
		t.Fatalf("after the failure Strata answers COUNT(*) = %d, %v", n, err)
	}
}

// killQueryThread kills, directly on the shard, the connection running a
// statement containing marker; it waits up to 5s for one to appear.
func killQueryThread(t *testing.T, shard, marker string) bool {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var id int64
		err := direct[shard].QueryRow("SELECT id FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%' LIMIT 1", "%"+marker+"%").Scan(&id)
		if err == nil {
			_, err = direct[shard].Exec("KILL ?", id)
			return err == nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// KILL QUERY from another session stops a running scatter on every shard:
// the client gets ER_QUERY_INTERRUPTED, not a partial answer, at once.
// SHOW EXPLAIN FOR the session, whose statement has a plan on each shard,
// says where to ask.
func TestKillQueryStopsAScatter(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	own := openStrata(t, strataAddr)
	defer own.Close()
	conn := testenv.Conn(t, own)
	if err := conn.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	// The connection just opened is Strata's newest session.
	var id uint32
	for _, sess := range strata.s.Env.Registry.List() {
		id = max(id, sess.ID)
	}
	done := make(chan error, 1)
	go func() {
		var n int
		done <- conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE SLEEP(0.02) = 0").Scan(&n)
	}()
	if !waitOnShard(t, "s0", "SLEEP(0.02)") {
		t.Fatal("the scatter never reached shard s0")
	}
	// Each shard runs its part with a plan of its own: SHOW EXPLAIN FOR
	// the session names the servers and threads to ask instead.
	explain := "SHOW EXPLAIN FOR " + strconv.FormatUint(uint64(id), 10)
	if _, err := db.ExecContext(ctx, explain); testenv.MySQLErr(err) != 1235 || strings.Count(err.Error(), " thread ") < 2 {
		t.Errorf("%s during a scatter: %v, want 1235 naming each shard's server and thread", explain, err)
	}
	start := time.Now()
	if _, err := db.ExecContext(ctx, "KILL QUERY "+strconv.FormatUint(uint64(id), 10)); err != nil {
		t.Fatalf("KILL QUERY %d: %v", id, err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "1317") {
			t.Fatalf("killed scatter returned %v, want error 1317 (query interrupted)", err)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("the killed scatter took %s to stop", el)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("KILL QUERY did not stop the scatter")
	}
	for _, sh := range shardNames {
		if waitGone(sh, "SLEEP(0.02)") != nil {
			t.Errorf("the scatter still runs on %s after KILL QUERY", sh)
		}
	}
}

func waitOnShard(t *testing.T, shard, marker string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if running(shard, marker) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func running(shard, marker string) bool {
	var n int
	err := direct[shard].QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'", "%"+marker+"%").Scan(&n)
	return err == nil && n > 0
}

// waitGone waits up to 2s for no statement with marker to run on shard.
func waitGone(shard, marker string) error {
	deadline := time.Now().Add(2 * time.Second)
	for running(shard, marker) {
		if time.Now().After(deadline) {
			return fmt.Errorf("still running on %s", shard)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
