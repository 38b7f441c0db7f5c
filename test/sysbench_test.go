package test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// sysbench's OLTP workload, 4 threads in both of its prepared-statement
// modes, through Strata's read/write split: with transactions (BEGIN,
// point and range reads, updates, a DELETE and an INSERT of one id,
// COMMIT) every statement runs on the primary, reads included; with
// --skip-trx, in autocommit (and without its DELETE and INSERT, which
// collide between threads without a transaction), the reads go to the
// replicas and the writes to the primary. No run fails, stops or reconnects, and no row is lost
// or doubled. The servers' own counters (userstat's rows read per table)
// show where the reads ran.
func TestSysbenchOLTPThroughTheReadWriteSplit(t *testing.T) {
	const rows = 2000
	primary := openDirect(t, env.primary, "blog")
	drop := func() { primary.Exec("DROP TABLE IF EXISTS blog.sbtest1") }
	drop()
	t.Cleanup(drop)
	testenv.Sysbench(t, env.addr, rows, "prepare")
	env.Setup(t) // the replicas have the table and its rows

	for _, run := range []struct {
		name       string
		args       []string
		onReplicas bool // the reads go to the replicas
		drainTurns bool // replicas are drained and undrained in turn meanwhile
	}{
		{"transactions, ps-mode auto", []string{"--db-ps-mode=auto"}, false, false},
		{"transactions, ps-mode disable", []string{"--db-ps-mode=disable"}, false, false},
		// Without transactions, two threads that DELETE and INSERT one id
		// collide on a server too (error 1062): no DELETE/INSERT pair.
		{"autocommit, ps-mode auto", []string{"--db-ps-mode=auto", "--skip-trx=on", "--delete_inserts=0"}, true, false},
		{"autocommit, ps-mode disable", []string{"--db-ps-mode=disable", "--skip-trx=on", "--delete_inserts=0"}, true, false},
		// An operator takes each replica out of routing and back, in
		// turn, while the reads run: none fails.
		{"autocommit, replicas drained in turn", []string{"--db-ps-mode=auto", "--skip-trx=on", "--delete_inserts=0"}, true, true},
	} {
		t.Run(run.name, func(t *testing.T) {
			p0, r0 := readsByServer(t, "sbtest1")
			stopDrains := func() int { return 0 }
			if run.drainTurns {
				stopDrains = drainReplicasInTurn(t)
			}
			out := testenv.Sysbench(t, env.addr, rows, append([]string{"--threads=4", "--time=3", "run"}, run.args...)...)
			if drains := stopDrains(); run.drainTurns {
				t.Logf("replicas drained and put back %d times during the run", drains)
				if drains < 4 {
					t.Errorf("the replicas were drained %d times during the run, want several", drains)
				}
			}
			p1, r1 := readsByServer(t, "sbtest1")
			reads := testenv.SysbenchCount(t, out, `read:\s+(\d+)`)
			if testenv.SysbenchCount(t, out, `transactions:\s+(\d+)`) == 0 || reads == 0 {
				t.Fatalf("nothing ran:\n%s", out)
			}
			if !strings.Contains(out, "reconnects:                          0 ") {
				t.Errorf("sysbench reconnected:\n%s", out)
			}
			if ignored := testenv.SysbenchCount(t, out, `ignored errors:\s+(\d+)`); ignored > 0 {
				t.Logf("%d errors sysbench retried (deadlocks on the primary, as on one server)", ignored)
			}
			// Each read statement reads at least one row where it runs;
			// a replica also reads the rows its replication updates
			// and deletes (fewer than the reads: four writes per ten
			// point reads and four ranges of 100 rows).
			onPrimary, onReplicas := p1-p0, sum(r1)-sum(r0)
			t.Logf("%d read statements; rows read: primary %d, replicas %d", reads, onPrimary, onReplicas)
			if run.onReplicas && (onReplicas < reads || onPrimary >= reads) {
				t.Errorf("autocommit reads: primary read %d rows, replicas %d, for %d read statements; want them on the replicas", onPrimary, onReplicas, reads)
			}
			if !run.onReplicas && (onPrimary < reads || onReplicas >= reads) {
				t.Errorf("reads in transactions: primary read %d rows, replicas %d, for %d read statements; want them on the primary", onPrimary, onReplicas, reads)
			}
			// Every transaction deletes one id and inserts it again; a
			// deadlock rolls all of it back: the table keeps its rows
			// (and the autocommit runs change none).
			var n, ids int
			if err := primary.QueryRow("SELECT COUNT(*), COUNT(DISTINCT id) FROM sbtest1").Scan(&n, &ids); err != nil {
				t.Fatal(err)
			}
			if n != rows || ids != rows {
				t.Errorf("after the run: %d rows, %d ids; want %d of each", n, ids, rows)
			}
		})
	}
}

// drainReplicasInTurn drains each replica of the test topology and puts it
// back, one after the other, until the returned stop is called, which
// leaves every replica routable and says how many drains there were.
func drainReplicasInTurn(t *testing.T) (stop func() int) {
	admin := "http://" + env.strata.AdminAddr() + "/api/servers/"
	post := func(addr string, drain bool) error {
		resp, err := http.Post(admin+addr+"/drain", "application/json", strings.NewReader(fmt.Sprintf(`{"drain": %t}`, drain)))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("drain %s %t: %s %s", addr, drain, resp.Status, body)
		}
		return nil
	}
	done, result := make(chan struct{}), make(chan error, 1)
	drains := 0
	go func() {
		for i := 0; ; i++ {
			addr := env.replicas[i%len(env.replicas)].Addr
			err := post(addr, true)
			if err == nil {
				drains++
				time.Sleep(150 * time.Millisecond)
				err = post(addr, false)
			}
			select {
			case <-done:
				result <- err
				return
			default:
			}
			if err != nil {
				result <- err
				return
			}
		}
	}()
	return func() int {
		close(done)
		if err := <-result; err != nil {
			t.Error(err)
		}
		return drains
	}
}
