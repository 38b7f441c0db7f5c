// Package shardrw tests read-your-writes on a shard that has replicas: a
// session reading right after its own write to a shard must see it, and a
// read Strata moves off a lagging shard replica goes to that shard's
// primary — never to another cluster's.
package shardrw

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
)

const config = `
listen: 127.0.0.1:25690
admin_listen: 127.0.0.1:25691
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
default_cluster: main
monitor: {interval: 200ms}
clusters:
  main: {primary: 127.0.0.1:25600}
  s0:
    primary: 127.0.0.1:25601
    replicas: [{address: 127.0.0.1:25602, pool: primary}]
    pools: {primary: {fallback: primary}}
    consistency: session
    read_your_writes_wait: 50ms
  s1: {primary: 127.0.0.1:25603}
tables:
  notes: {shard_key: owner, method: modulo, shards: [s0, s1]}
`

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, config, func(e *testenv.Env) error {
		env = e
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// Every primary has the table — main's stays empty, so a read sent
		// to the wrong cluster answers "no row" instead of an error.
		for _, addr := range []string{"127.0.0.1:25600", "127.0.0.1:25601", "127.0.0.1:25603"} {
			srv := e.SB.Server(addr)
			for _, q := range []string{"CREATE DATABASE IF NOT EXISTS blog",
				"CREATE TABLE IF NOT EXISTS blog.notes (id INT PRIMARY KEY, owner INT NOT NULL, body VARCHAR(20))"} {
				if err := srv.Exec(ctx, q); err != nil {
					return err
				}
			}
		}
		return e.SB.WaitReplicated(ctx)
	})
}

// The replica of s0 applies writes a second late; every read right after
// the session's write still finds it (from the replica once it caught up,
// else from s0's primary).
func TestReadYourWritesOnALaggingShardReplica(t *testing.T) {
	ctx := testenv.Ctx(t)
	replica, db, s := laggingStrata(t, config)
	for i := 0; i < 20; i++ {
		id := 1000 + i
		if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO notes (id, owner, body) VALUES (%d, 2, 'mine')", id)); err != nil {
			t.Fatal(err)
		}
		var body string
		if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT body FROM notes WHERE owner = 2 AND id = %d", id)).Scan(&body); err != nil {
			t.Fatalf("read %d right after the session's own write to shard s0: %v", i, err)
		}
	}
	onReplica, err := replica.QueryValue(ctx, "SELECT COUNT(*) FROM blog.notes")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("right after the loop the lagging replica has %s of 20 rows", onReplica)
	// Each read's wait went out with the read, on the one shard it reads.
	m := testenv.GetText(t, "http://"+s.AdminAddr()+"/metrics")
	withRead := 0.0
	for _, outcome := range []string{"applied", "behind"} {
		withRead += metricValue(m, `strata_read_your_writes_waits_with_read_total{outcome="`+outcome+`"}`)
	}
	if withRead < 20 {
		t.Errorf("%v waits went out with their read for 20 reads of one shard right after a write there", withRead)
	}
}

// metricValue is the value of sample in a /metrics text, 0 if absent.
func metricValue(text, sample string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, sample+" "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	return 0
}

// A write's subquery over shards runs first and reads the primaries: a
// row that reached s0's primary but not yet its lagging replica is still
// found, so the DELETE acts on what the primaries hold.
func TestWriteSubqueryReadsThePrimaries(t *testing.T) {
	ctx := testenv.Ctx(t)
	replica := env.SB.Server("127.0.0.1:25602")
	for _, q := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 10", "START SLAVE"} {
		if err := replica.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := testenv.StartStrata(config)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	// Written straight to s0's primary (owner 4 is on s0), so that no
	// read-your-writes of the Strata session sends the read there.
	if err := env.SB.Server("127.0.0.1:25601").Exec(ctx, "INSERT INTO blog.notes (id, owner, body) VALUES (5001, 4, 'stale')"); err != nil {
		t.Fatal(err)
	}
	if n, err := replica.QueryValue(ctx, "SELECT COUNT(*) FROM blog.notes WHERE id = 5001"); err != nil || n != "0" {
		t.Fatalf("the lagging replica already has the row (%s, %v): the test needs it behind", n, err)
	}
	// A plain read through Strata goes to the replica (once Strata's
	// monitor has seen it healthy) and misses the row.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var seen string
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM notes WHERE body = 'stale'").Scan(&seen); err != nil {
			t.Fatal(err)
		}
		if seen == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reads through Strata never went to the lagging replica: the test needs them to")
		}
	}
	res, err := db.ExecContext(ctx, "DELETE FROM notes WHERE owner IN (SELECT owner FROM notes WHERE body = 'stale')")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("DELETE ... IN (subquery) removed %d rows, want 1: its subquery read the lagging replica", n)
	}
}

// A write split over shards (a multi-row INSERT whose rows go to s0 and
// s1) records where it landed too: a read right after it, on s0 whose
// replica applies writes a second late, still finds the session's row;
// with transactions.mode twopc as well, where the write commits as one
// transaction across the shards.
func TestReadYourWritesAfterAWriteOverShards(t *testing.T) {
	for i, mode := range []string{"single", "twopc"} {
		t.Run(mode, func(t *testing.T) { readYourSplitWrites(t, config+"transactions: {mode: "+mode+"}\n", 3000+100*i) })
	}
}

// A read without the shard key runs on every shard, each on a replica
// where it has one: the session's own row, just written to s0 whose
// replica applies writes a second late, is still in its answer (read on
// s0's primary), under consistency: session and global alike.
func TestReadYourWritesInAReadOverShards(t *testing.T) {
	for i, mode := range []string{"session", "global"} {
		t.Run(mode, func(t *testing.T) {
			ctx := testenv.Ctx(t)
			replica, db, st := laggingStrata(t, strings.Replace(config, "consistency: session", "consistency: "+mode, 1))
			waits := func(outcome string) float64 {
				return metricValue(testenv.GetText(t, "http://"+st.AdminAddr()+"/metrics"), `strata_read_your_writes_waits_total{outcome="`+outcome+`"}`)
			}
			last := 7000 + 100*i
			for j := 0; j < 10; j++ {
				last = 7000 + 100*i + j
				if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO notes (id, owner, body) VALUES (%d, 2, 'scattered')", last)); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM notes WHERE id = %d", last)).Scan(&n); err != nil || n != 1 {
					t.Fatalf("read %d over both shards right after the session's own write to s0: %d rows, %v", j, n, err)
				}
			}
			// Once the replica has the rows, the read waits there and
			// reads there.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if n, err := replica.QueryValue(ctx, fmt.Sprintf("SELECT COUNT(*) FROM blog.notes WHERE id = %d", last)); err == nil && n == "1" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the lagging replica never applied the writes")
				}
			}
			applied := waits("applied")
			var n int
			if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM notes WHERE id = %d", last)).Scan(&n); err != nil || n != 1 {
				t.Fatalf("read over both shards once the replica caught up: %d rows, %v", n, err)
			}
			if got := waits("applied"); got != applied+1 {
				t.Errorf("a read over both shards once s0's replica had the session's writes: %v applied waits, want %v", got, applied+1)
			}
		})
	}
}

func readYourSplitWrites(t *testing.T, config string, first int) {
	ctx := testenv.Ctx(t)
	_, db, _ := laggingStrata(t, config)
	asked := lastGTIDQueries(t, []string{"127.0.0.1:25601", "127.0.0.1:25603"}, func() {
		for i := 0; i < 10; i++ {
			id := first + 2*i
			if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO notes (id, owner, body) VALUES (%d, 2, 'split'), (%d, 3, 'split')", id, id+1)); err != nil {
				t.Fatal(err)
			}
			var body string
			if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT body FROM notes WHERE owner = 2 AND id = %d", id)).Scan(&body); err != nil {
				t.Fatalf("read %d right after the session's own write over s0 and s1: %v", i, err)
			}
		}
	})
	// Each shard reported its part's GTID in the OK of its COMMIT.
	if asked != 0 {
		t.Errorf("the shards' primaries were asked SELECT @@last_gtid %d times for 10 writes over them", asked)
	}
}

// lastGTIDQueries counts the SELECT @@last_gtid the servers at addrs ran
// while f ran, from their general logs.
func lastGTIDQueries(t *testing.T, addrs []string, f func()) int {
	t.Helper()
	ctx := testenv.Ctx(t)
	setLog := func(on string) {
		for _, addr := range addrs {
			for _, q := range []string{"SET GLOBAL log_output = 'TABLE'", "SET GLOBAL general_log = " + on, "TRUNCATE mysql.general_log"} {
				if err := env.SB.Server(addr).Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	setLog("ON")
	t.Cleanup(func() { setLog("OFF") })
	f()
	n := 0
	for _, addr := range addrs {
		var k int
		// The pattern is built so that this query's own log entry does not match.
		err := testenv.Direct(t, addr).QueryRowContext(ctx,
			"SELECT COUNT(*) FROM mysql.general_log WHERE argument LIKE CONCAT('%@@last', '_gtid%')").Scan(&k)
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return n
}

// laggingStrata makes s0's replica apply writes a second late and starts a
// Strata with config once replication runs again (so its monitor does not
// take the replica out for "replication stopped"); it returns the replica
// and one client connection to that Strata (and the Strata), closed when
// the test ends.
func laggingStrata(t *testing.T, config string) (*sandbox.Server, *sql.DB, *server.Strata) {
	t.Helper()
	ctx := testenv.Ctx(t)
	replica := env.SB.Server("127.0.0.1:25602")
	for _, q := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 1", "START SLAVE"} {
		if err := replica.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st, err := replica.ReplicaStatus(ctx)
		if err == nil && st.Running() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica does not replicate again: %+v, %v", st, err)
		}
	}
	s, err := testenv.StartStrata(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	db.SetMaxOpenConns(1)
	return replica, db, s
}
