package sharding

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/twophase"
)

// The instance with transactions.mode: twopc listens here.
const (
	twoPCAddr  = "127.0.0.1:25404"
	twoPCAdmin = "127.0.0.1:25484"
)

var twoPC extraInstance

// twoPCDB starts a second Strata over the same servers whose transactions
// may write several clusters, settling leftovers every 300 ms.
func twoPCDB(t *testing.T) *sql.DB {
	t.Helper()
	twoPC.start(t, twoPCAddr, twoPCAdmin, "transactions: {mode: twopc, resolve_every: 300ms, deadlock_check: 200ms}\n")
	t.Cleanup(func() {
		for _, c := range shardNames {
			if p := preparedXIDs(t, c); len(p) > 0 {
				t.Errorf("%s still holds prepared branches %v after the test", c, p)
			}
		}
	})
	return openStrata(t, twoPCAddr)
}

// beginAcrossTwoShards opens a transaction on one connection that writes
// comment id on s1 (its coordinator) and id+1 on s2 (a branch); the rows
// are removed and the transaction rolled back after the test.
func beginAcrossTwoShards(t *testing.T, db *sql.DB, id int) *sql.Conn {
	t.Helper()
	ids := "id IN (" + strconv.Itoa(id) + ", " + strconv.Itoa(id+1) + ")"
	cleanup(t, "comments", ids)
	conn := testenv.Conn(t, db)
	t.Cleanup(func() { conn.ExecContext(context.Background(), "ROLLBACK") })
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES ("+strconv.Itoa(id)+", 1, 'coordinator')") // s1
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES ("+strconv.Itoa(id+1)+", 2, 'branch')")    // s2
	return conn
}

// preparedXIDs lists the XA branches prepared on cluster's server.
func preparedXIDs(t *testing.T, cluster string) []string {
	t.Helper()
	rows, err := direct[cluster].Query("XA RECOVER")
	if err != nil {
		t.Fatalf("XA RECOVER on %s: %v", cluster, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var format, gl, bl int
		var data string
		if err := rows.Scan(&format, &gl, &bl, &data); err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// twoPCNotes creates blog.tpc_notes, a default-cluster table, on main and
// (as a decoy a misrouted write would land in) on every shard.
func twoPCNotes(t *testing.T) {
	for _, c := range append([]string{"main"}, shardNames...) {
		if _, err := direct[c].Exec("CREATE TABLE IF NOT EXISTS blog.tpc_notes (id INT PRIMARY KEY, note VARCHAR(20))"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { direct[c].Exec("DROP TABLE IF EXISTS blog.tpc_notes") })
	}
}

func notesOn(t *testing.T, cluster string) int {
	var n int
	if err := direct[cluster].QueryRow("SELECT COUNT(*) FROM blog.tpc_notes").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A transaction that writes three shards and the default cluster, in text
// and prepared statements, sees its own rows on each while it runs, shows
// none of them to others, and after COMMIT has every row on its owner and
// no branch left prepared; ROLLBACK leaves nothing anywhere.
func TestTwoPhaseTransactionWritesSeveralShards(t *testing.T) {
	db := twoPCDB(t)
	ctx := context.Background()
	twoPCNotes(t)
	defer cleanup(t, "comments", "id BETWEEN 9100001 AND 9100010")
	for _, end := range []string{"COMMIT", "ROLLBACK"} {
		t.Run(end, func(t *testing.T) {
			base := 9100001
			if end == "ROLLBACK" {
				base = 9100005
			}
			conn := testenv.Conn(t, db)
			t.Cleanup(func() { conn.ExecContext(context.Background(), "ROLLBACK") })
			mustExec(t, conn, "BEGIN")
			mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES ("+strconv.Itoa(base)+", 1, 'tpc')")                         // s1
			mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES ("+strconv.Itoa(base+1)+", 2, 'tpc')")                       // s2
			if _, err := conn.ExecContext(ctx, "INSERT INTO comments (id, entry_id, body) VALUES (?, ?, ?)", base+2, 3, "tpc"); err != nil { // s3, prepared
				t.Fatal(err)
			}
			mustExec(t, conn, "INSERT INTO tpc_notes VALUES ("+strconv.Itoa(base)+", 'tpc')") // main
			// A write that changes nothing makes s0 a read-only branch,
			// which MariaDB prepares and commits as any other.
			mustExec(t, conn, "UPDATE comments SET body = 'none' WHERE entry_id = 4 AND id = -1")
			ids := "id BETWEEN " + strconv.Itoa(base) + " AND " + strconv.Itoa(base+2)
			var inside, outside int
			if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM comments WHERE "+ids).Scan(&inside); err != nil || inside != 3 {
				t.Fatalf("inside the transaction %d of its 3 rows (%v)", inside, err)
			}
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM comments WHERE "+ids).Scan(&outside); err != nil || outside != 0 {
				t.Fatalf("another session sees %d uncommitted rows (%v)", outside, err)
			}
			// The session list names the servers of its branches (a forced
			// switchover of one of them ends the session too).
			wantBranches := []string{clusterAddr["main"], clusterAddr["s0"], clusterAddr["s2"], clusterAddr["s3"]}
			slices.Sort(wantBranches)
			if got, ok := awaitBranches(t, twoPCAdmin, func(b []string) bool { return slices.Equal(b, wantBranches) }); !ok {
				t.Errorf("GET /api/sessions shows branches %v, want a session with %v", got, wantBranches)
			}
			mustExec(t, conn, end)
			want := []string{"s1", "s2", "s3"}
			wantNotes := 1
			if end == "ROLLBACK" {
				want, wantNotes = nil, 0
			}
			if got := holders(t, "comments", ids); !slices.Equal(got, want) {
				t.Fatalf("after %s the rows are on %v, want %v", end, got, want)
			}
			if n := notesOn(t, "main"); n != wantNotes {
				t.Fatalf("after %s main holds %d tpc_notes rows, want %d", end, n, wantNotes)
			}
			for _, s := range shardNames {
				if n := notesOn(t, s); n != 0 {
					t.Fatalf("the default-cluster write landed on %s", s)
				}
			}
			mustExec(t, conn, "DELETE FROM tpc_notes")
		})
	}
	if m := metricsText(t, twoPCAdmin); !strings.Contains(m, `strata_twophase_transactions_total{outcome="committed"}`) ||
		!strings.Contains(m, `strata_twophase_transactions_total{outcome="rolled_back"}`) {
		t.Error("strata_twophase_transactions_total does not count the committed and the rolled back transaction")
	}
}

// A branch whose server connection is lost before COMMIT makes the COMMIT
// fail with XA_RBROLLBACK, and no part of the transaction stays: the
// coordinator's rows are rolled back too.
func TestTwoPhaseCommitRollsBackWhenABranchIsLost(t *testing.T) {
	ctx := context.Background()
	conn := beginAcrossTwoShards(t, twoPCDB(t), 9100011)
	var thread int64
	// Thread 0 would be a branch an earlier test left prepared, which the
	// resolver settles: not this test's live connection. InnoDB may show
	// INNODB_TRX as it was up to 100 ms ago, when its last reader (the
	// deadlock detector, say) came: look again a little later.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(150 * time.Millisecond) {
		err := direct["s2"].QueryRow("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX WHERE trx_rows_modified > 0 AND trx_mysql_thread_id > 0").Scan(&thread)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("finding the branch's connection on s2: %v", err)
		}
	}
	if _, err := direct["s2"].Exec("KILL " + strconv.FormatInt(thread, 10)); err != nil {
		t.Fatal(err)
	}
	_, err := conn.ExecContext(ctx, "COMMIT")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1402 || string(me.SQLState[:]) != "XA100" || !strings.Contains(me.Message, "rolled back") {
		t.Fatalf("COMMIT after the branch on s2 was lost: %v; want error 1402 (XA100) saying it was rolled back", err)
	}
	if got := holders(t, "comments", "id IN (9100011, 9100012)"); len(got) != 0 {
		t.Fatalf("rows of the failed transaction are on %v", got)
	}
	// The session goes on, outside any transaction.
	mustExec(t, conn, "SELECT 1")
}

// Inside a transaction across clusters, statements the servers would use
// to end only one part of it are refused; the transaction stays usable.
func TestTwoPhaseRefusesPartialEnds(t *testing.T) {
	conn := beginAcrossTwoShards(t, twoPCDB(t), 9100021)
	for _, q := range []string{"COMMIT AND CHAIN", "ROLLBACK AND CHAIN", "SET autocommit = 1", "XA START 'tpc'"} {
		_, err := conn.ExecContext(context.Background(), q)
		if err == nil || !strings.Contains(err.Error(), "1235") || !strings.Contains(err.Error(), "COMMIT or ROLLBACK first") {
			t.Errorf("%s in a transaction across clusters: %v; want error 1235 asking for COMMIT or ROLLBACK", q, err)
		}
	}
	mustExec(t, conn, "COMMIT")
	if got := holders(t, "comments", "id IN (9100021, 9100022)"); !slices.Equal(got, []string{"s1", "s2"}) {
		t.Fatalf("after COMMIT the rows are on %v, want [s1 s2]", got)
	}
}

// A statement MariaDB commits the open transaction before (BEGIN, a
// schema change) commits all of a transaction across clusters first, as
// one server commits all of its own: a client that starts its next
// transaction without ending the last (sysbench after a lock wait
// timeout) keeps every write it made, on every shard, and nothing is
// left prepared.
func TestTwoPhaseImplicitCommitCommitsEveryPart(t *testing.T) {
	db := twoPCDB(t)
	ctx := context.Background()
	defer cleanup(t, "comments", "id BETWEEN 9100201 AND 9100210")
	t.Cleanup(func() { direct["main"].Exec("DROP TABLE IF EXISTS blog.tpc_implicit") })
	conn := beginAcrossTwoShards(t, db, 9100201)
	mustExec(t, conn, "BEGIN")
	if got := holders(t, "comments", "id IN (9100201, 9100202)"); !slices.Equal(got, []string{"s1", "s2"}) {
		t.Fatalf("after BEGIN in a transaction across clusters its rows are on %v, want committed on [s1 s2]", got)
	}
	// The new transaction is one of its own: a schema change commits it.
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES (9100203, 1, 'a'), (9100204, 2, 'b')")
	mustExec(t, conn, "CREATE TABLE tpc_implicit (a INT)")
	if got := holders(t, "comments", "id IN (9100203, 9100204)"); !slices.Equal(got, []string{"s1", "s2"}) {
		t.Fatalf("after CREATE TABLE in a transaction across clusters its rows are on %v, want committed on [s1 s2]", got)
	}
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES (9100205, 1, 'c'), (9100206, 2, 'd')")
	mustExec(t, conn, "ROLLBACK")
	if got := holders(t, "comments", "id IN (9100205, 9100206)"); len(got) != 0 {
		t.Fatalf("rows of a rolled-back transaction after an implicit commit are on %v", got)
	}

	// sysbench's pattern: a statement times out waiting for a lock, which
	// rolls back that statement only, and the client begins again.
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100207, 2, 'locked')")
	holder, err := direct["s2"].BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.Exec("SELECT id FROM blog.comments WHERE id = 9100207 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, "SET SESSION innodb_lock_wait_timeout = 1")
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES (9100208, 1, 'e'), (9100209, 2, 'f')")
	if _, err := conn.ExecContext(ctx, "UPDATE comments SET body = 'late' WHERE entry_id = 2 AND id = 9100207"); testenv.MySQLErr(err) != 1205 {
		t.Fatalf("UPDATE of a locked row: %v, want error 1205", err)
	}
	holder.Rollback()
	mustExec(t, conn, "BEGIN")
	if got := holders(t, "comments", "id IN (9100208, 9100209)"); !slices.Equal(got, []string{"s1", "s2"}) {
		t.Fatalf("after a lock wait timeout and BEGIN the transaction's rows are on %v, want committed on [s1 s2]", got)
	}
	mustExec(t, conn, "ROLLBACK")
	var body string
	if err := direct["s2"].QueryRow("SELECT body FROM blog.comments WHERE id = 9100207").Scan(&body); err != nil || body != "locked" {
		t.Fatalf("the row whose UPDATE timed out: %q, %v; want it unchanged", body, err)
	}
}

// Savepoints work across shards as an ORM's nested transactions use them:
// ROLLBACK TO a savepoint taken before a shard joined undoes all that shard
// wrote, one taken after undoes only what came later on every shard, and a
// released or unknown savepoint is an error that leaves the transaction
// as it was.
func TestTwoPhaseSavepointsSpanShards(t *testing.T) {
	ctx := context.Background()
	conn := testenv.Conn(t, twoPCDB(t))
	const base = 9100031
	ids := "id BETWEEN 9100031 AND 9100036"
	cleanup(t, "comments", ids)
	t.Cleanup(func() { conn.ExecContext(context.Background(), "ROLLBACK") })
	insert := func(id, entry int) {
		t.Helper()
		mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES ("+strconv.Itoa(id)+", "+strconv.Itoa(entry)+", 'sp')")
	}
	inside := func() []int {
		t.Helper()
		rows, err := conn.QueryContext(ctx, "SELECT id FROM comments WHERE "+ids+" ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []int
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id-base)
		}
		return got
	}
	mustExec(t, conn, "BEGIN")
	insert(base, 1) // s1, the coordinator
	mustExec(t, conn, "SAVEPOINT a")
	insert(base+1, 2) // s2 joins after a
	mustExec(t, conn, "ROLLBACK TO SAVEPOINT a")
	if got := inside(); !slices.Equal(got, []int{0}) {
		t.Fatalf("after ROLLBACK TO a the transaction sees rows %v (offsets), want [0]: s2 joined after a", got)
	}
	mustExec(t, conn, "SAVEPOINT c") // taken across s1 and s2
	insert(base+5, 3)                // s3 joins after c
	mustExec(t, conn, "ROLLBACK TO c")
	if got := inside(); !slices.Equal(got, []int{0}) {
		t.Fatalf("after ROLLBACK TO c the transaction sees rows %v (offsets), want [0]: s3 joined after c", got)
	}
	insert(base+2, 3)
	mustExec(t, conn, "SAVEPOINT b")
	insert(base+3, 2)
	insert(base+4, 3)
	mustExec(t, conn, "ROLLBACK TO b")
	if got := inside(); !slices.Equal(got, []int{0, 2}) {
		t.Fatalf("after ROLLBACK TO b the transaction sees rows %v (offsets), want [0 2]", got)
	}
	mustExec(t, conn, "RELEASE SAVEPOINT b")
	_, err := conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT b")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1305 {
		t.Fatalf("ROLLBACK TO a released savepoint: %v; want the server's error 1305", err)
	}
	insert(base+3, 2)
	mustExec(t, conn, "SAVEPOINT `A`") // the same name as a: it moves
	mustExec(t, conn, "COMMIT")
	if got := holders(t, "comments", ids); !slices.Equal(got, []string{"s1", "s2", "s3"}) {
		t.Fatalf("after COMMIT the rows are on %v, want [s1 s2 s3]", got)
	}
	for shard, rolledBack := range map[string][]int{"s2": {base + 1}, "s3": {base + 4, base + 5}} {
		for _, id := range rolledBack {
			var n int
			if err := direct[shard].QueryRow("SELECT COUNT(*) FROM blog.comments WHERE id = ?", id).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s holds row %d, which was rolled back to a savepoint (%d, %v)", shard, id, n, err)
			}
		}
	}
}

// What a crash between PREPARE and the branches' XA COMMIT leaves — prepared
// branches — is settled by the resolver from the coordinator's decision
// log: a branch whose transaction's commit row exists commits, one without
// (the coordinator never committed) rolls back.
func TestTwoPhaseResolverSettlesPreparedBranches(t *testing.T) {
	twoPCDB(t)
	defer cleanup(t, "comments", "id IN (9100031, 9100032)")
	for _, q := range twophase.CreateStatements {
		if _, err := direct["s1"].Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	committed := twophase.XID{Gtrid: "strata-test-" + strconv.Itoa(int(time.Now().UnixNano()%1e9)), Coordinator: "s1"}
	abandoned := twophase.XID{Gtrid: committed.Gtrid + "-b", Coordinator: "s1"}
	// As the coordinator does, the decision row comes before the prepares
	// (a branch prepared with no row yet may be settled as aborted).
	if _, err := direct["s1"].Exec(twophase.RecordCommit(committed.Gtrid)); err != nil {
		t.Fatal(err)
	}
	prepareBranch(t, "s2", committed, "INSERT INTO blog.comments (id, entry_id, body) VALUES (9100031, 2, 'decided')")
	prepareBranch(t, "s3", abandoned, "INSERT INTO blog.comments (id, entry_id, body) VALUES (9100032, 3, 'undecided')")
	deadline := time.Now().Add(10 * time.Second)
	for len(preparedXIDs(t, "s2"))+len(preparedXIDs(t, "s3")) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s prepared branches remain: s2 %v, s3 %v", preparedXIDs(t, "s2"), preparedXIDs(t, "s3"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := holders(t, "comments", "id = 9100031"); !slices.Equal(got, []string{"s2"}) {
		t.Errorf("the branch of the committed transaction is on %v after the resolver, want [s2]", got)
	}
	if got := holders(t, "comments", "id = 9100032"); len(got) != 0 {
		t.Errorf("the branch without a commit decision is on %v after the resolver, want rolled back", got)
	}
	var decision string
	if err := direct["s1"].QueryRow("SELECT decision FROM strata.strata_twophase WHERE gtrid = ?", abandoned.Gtrid).Scan(&decision); err != nil || decision != twophase.Abort {
		t.Errorf("the abandoned transaction's recorded decision: %q (%v), want abort: its coordinator must never commit it now", decision, err)
	}
	m := metricsText(t, twoPCAdmin)
	for _, d := range []string{"commit", "abort"} {
		if !strings.Contains(m, `strata_twophase_resolved_total{decision="`+d+`"}`) {
			t.Errorf("strata_twophase_resolved_total has no %s", d)
		}
	}
}

// prepareBranch leaves a prepared XA branch x on cluster, as a Strata that
// crashed between PREPARE and XA COMMIT would: one connection, closed
// afterwards (a prepared branch outlives its connection).
func prepareBranch(t *testing.T, cluster string, x twophase.XID, insert string) {
	t.Helper()
	xdb, err := sql.Open("mysql", "root@tcp("+clusterAddr[cluster]+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer xdb.Close()
	xdb.SetMaxOpenConns(1)
	xdb.SetMaxIdleConns(0)
	c, err := xdb.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{twophase.Start(x), insert, twophase.End(x), twophase.Prepare(x)} {
		if _, err := c.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s on %s: %v", q, cluster, err)
		}
	}
}

// A prepared branch that cannot be settled (its coordinator is no cluster
// Strata knows) is listed by GET /api/transactions, and a resolve now
// (POST /api/transactions/resolve) says why it stays.
func TestTwoPhaseStuckBranchesAreListed(t *testing.T) {
	twoPCDB(t)
	stuck := twophase.XID{Gtrid: "strata-stuck-" + strconv.Itoa(int(time.Now().UnixNano()%1e9)), Coordinator: "gone"}
	prepareBranch(t, "s1", stuck, "INSERT INTO blog.comments (id, entry_id, body) VALUES (9100051, 1, 'stuck')")
	defer direct["s1"].Exec(twophase.Rollback(stuck))
	resp, err := http.Get("http://" + twoPCAdmin + "/api/transactions")
	if err != nil {
		t.Fatal(err)
	}
	var view admin.TransactionsView
	err = json.NewDecoder(resp.Body).Decode(&view)
	resp.Body.Close()
	want := admin.PreparedBranch{Cluster: "s1", Gtrid: stuck.Gtrid, Coordinator: "gone"}
	if err != nil || view.Mode != "twopc" || !slices.Contains(view.Prepared, want) {
		t.Fatalf("GET /api/transactions: %+v (%v), want mode twopc listing %+v", view, err, want)
	}
	resp, err = http.Post("http://"+twoPCAdmin+"/api/transactions/resolve", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `no cluster \"gone\"`) {
		t.Fatalf("POST /api/transactions/resolve with a stuck branch: %d %s; want 500 naming the unknown coordinator", resp.StatusCode, body)
	}
	if _, err := direct["s1"].Exec(twophase.Rollback(stuck)); err != nil {
		t.Fatal(err)
	}
}

// sessionBranches lists the branches of every session of the Strata whose
// admin API is at admin.
// awaitBranches waits, up to 5 s, until GET /api/sessions on admin shows
// a session whose branches match, and returns the last list it read. A
// session publishes its branches as it finishes a statement, which the
// client may have heard of a moment before.
func awaitBranches(t *testing.T, admin string, match func(branches []string) bool) ([][]string, bool) {
	t.Helper()
	var got [][]string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = sessionBranches(t, admin); slices.ContainsFunc(got, match) {
			return got, true
		}
	}
	return got, false
}

func sessionBranches(t *testing.T, admin string) [][]string {
	resp, err := http.Get("http://" + admin + "/api/sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct {
		Branches []string `json:"branches"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, s := range list {
		out = append(out, s.Branches)
	}
	return out
}

// metricsText is Strata's /metrics at admin.
func metricsText(t *testing.T, admin string) string {
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// An autocommit write over several shards is one transaction across them:
// it commits through the decision log (one more commit row, counted as
// committed), and a row one shard refuses leaves no row on the others.
func TestTwoPhaseAutocommitWriteAcrossShards(t *testing.T) {
	db := twoPCDB(t)
	ctx := context.Background()
	defer cleanup(t, "comments", "id BETWEEN 9100041 AND 9100049")
	decisions := func() int {
		n := 0
		for _, c := range shardNames {
			var k int
			if err := direct[c].QueryRow("SELECT COUNT(*) FROM strata.strata_twophase WHERE decision = 'commit'").Scan(&k); err == nil {
				n += k
			}
		}
		return n
	}
	before, committed := decisions(), metricValue(t, twoPCAdmin, `strata_twophase_transactions_total{outcome="committed"}`)
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100041, 1, 'a'), (9100042, 2, 'b'), (9100043, 3, 'c')")
	if got := holders(t, "comments", "id BETWEEN 9100041 AND 9100043"); !slices.Equal(got, []string{"s1", "s2", "s3"}) {
		t.Fatalf("the rows are on %v, want [s1 s2 s3]", got)
	}
	if after := decisions(); after != before+1 {
		t.Errorf("commit decisions %d → %d: the write did not commit through the decision log", before, after)
	}
	if after := metricValue(t, twoPCAdmin, `strata_twophase_transactions_total{outcome="committed"}`); after != committed+1 {
		t.Errorf("committed transactions across clusters %v → %v, want one more", committed, after)
	}
	_, err := db.ExecContext(ctx, "INSERT INTO comments (id, entry_id, body) VALUES (9100044, 1, 'x'), (9100042, 2, 'duplicate'), (9100045, 3, 'y')")
	if err == nil || !strings.Contains(err.Error(), "1062") {
		t.Fatalf("a write with a duplicate key on s2: %v, want error 1062", err)
	}
	if got := holders(t, "comments", "id IN (9100044, 9100045)"); len(got) != 0 {
		t.Fatalf("rows of the refused write are on %v", got)
	}

	// With RETURNING: the rows in VALUES order, committed on every shard
	// through the decision log; a duplicate leaves nothing written.
	before = decisions()
	got := testenv.Strings(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100047, 3, 'r3'), (9100046, 2, 'r2') RETURNING id, body")
	if !slices.Equal(got, []string{"9100047|r3", "9100046|r2"}) {
		t.Fatalf("INSERT ... RETURNING across shards = %q", got)
	}
	if h := holders(t, "comments", "id IN (9100046, 9100047)"); !slices.Equal(h, []string{"s2", "s3"}) {
		t.Fatalf("the returned rows are on %v, want [s2 s3]", h)
	}
	if after := decisions(); after != before+1 {
		t.Errorf("commit decisions %d → %d: the RETURNING write did not commit through the decision log", before, after)
	}
	if err := queryErr(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100048, 1, 'x'), (9100046, 2, 'dup') RETURNING id"); testenv.MySQLErr(err) != 1062 {
		t.Fatalf("a RETURNING write with a duplicate key on s2: %v, want error 1062", err)
	}
	if h := holders(t, "comments", "id = 9100048"); len(h) != 0 {
		t.Fatalf("a row of the failed RETURNING write is on %v", h)
	}
}

// metricValue reads one sample of Strata's /metrics (0 when absent).
func metricValue(t *testing.T, admin, sample string) float64 {
	for _, line := range strings.Split(metricsText(t, admin), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// PHP PDO's beginTransaction/commit/rollBack, with emulated and native
// prepared statements, over two shards: the committed rows are on both,
// the rolled back ones on neither.
func TestTwoPhasePHPPDOTransactions(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	twoPCDB(t)
	defer cleanup(t, "comments", "id BETWEEN 9100061 AND 9100068")
	script, _ := filepath.Abs("../php/twophase_tx.php")
	host, port, _ := strings.Cut(twoPCAddr, ":")
	for i, mode := range []string{"emulated", "native"} {
		first := 9100061 + 4*i
		out, err := exec.Command("php", script, host, port, "app", "app", mode, strconv.Itoa(first)).CombinedOutput()
		if err != nil {
			t.Fatalf("php %s: %v\n%s", mode, err, out)
		}
		if got := string(out); got != "inside: 2\nnested: 2\nafter: 2\n" {
			t.Errorf("PDO %s: %q, want 2 rows inside the transaction, 2 after its nested one was rolled back, and 2 after the rollback of 2 more", mode, got)
		}
		ids := func(a, b int) string { return "id BETWEEN " + strconv.Itoa(a) + " AND " + strconv.Itoa(b) }
		if got := holders(t, "comments", ids(first, first+1)); !slices.Equal(got, []string{"s1", "s2"}) {
			t.Errorf("PDO %s: committed rows on %v, want [s1 s2]", mode, got)
		}
		if got := holders(t, "comments", ids(first+2, first+3)); len(got) != 0 {
			t.Errorf("PDO %s: rolled back rows on %v", mode, got)
		}
	}
}

// Two transactions across clusters that lock the same two rows of s2 in
// opposite orders deadlock there, on their branches: the victim's whole
// transaction is rolled back (its first cluster's row too), its COMMIT has
// nothing left to commit, and the other transaction commits everything.
func TestTwoPhaseDeadlockOnABranchEndsTheWholeTransaction(t *testing.T) {
	db := twoPCDB(t)
	ctx := context.Background()
	defer cleanup(t, "comments", "id BETWEEN 9100071 AND 9100074")
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100071, 2, 'p'), (9100072, 2, 'q')") // s2
	a, b := testenv.Conn(t, db), testenv.Conn(t, db)
	for _, c := range []*sql.Conn{a, b} {
		t.Cleanup(func() { c.ExecContext(context.Background(), "ROLLBACK") })
		mustExec(t, c, "BEGIN")
	}
	mustExec(t, a, "INSERT INTO comments (id, entry_id, body) VALUES (9100073, 1, 'a')") // a's coordinator: s1
	mustExec(t, b, "INSERT INTO comments (id, entry_id, body) VALUES (9100074, 3, 'b')") // b's coordinator: s3
	mustExec(t, a, "UPDATE comments SET body = 'a' WHERE entry_id = 2 AND id = 9100071")
	mustExec(t, b, "UPDATE comments SET body = 'b' WHERE entry_id = 2 AND id = 9100072")
	errs := make(chan error, 2)
	go func() {
		_, err := a.ExecContext(ctx, "UPDATE comments SET body = 'a' WHERE entry_id = 2 AND id = 9100072")
		errs <- err
	}()
	time.Sleep(200 * time.Millisecond) // a waits for b's lock
	_, errB := b.ExecContext(ctx, "UPDATE comments SET body = 'b' WHERE entry_id = 2 AND id = 9100071")
	errA := <-errs
	victim, winner, victimRow, winnerRow := b, a, "9100074", "9100073"
	if testenv.MySQLErr(errA) == 1213 {
		victim, winner, victimRow, winnerRow = a, b, "9100073", "9100074"
	} else if testenv.MySQLErr(errB) != 1213 {
		t.Fatalf("no deadlock: a %v, b %v", errA, errB)
	}
	if got := holders(t, "comments", "id = "+victimRow); len(got) != 0 {
		t.Fatalf("the deadlock victim's row on its first cluster is on %v: its transaction was not rolled back as a whole", got)
	}
	var inTx int
	if err := victim.QueryRowContext(ctx, "SELECT @@in_transaction").Scan(&inTx); err != nil || inTx != 0 {
		t.Fatalf("after the deadlock the victim's session reads @@in_transaction = %d (%v), want 0: a part of its transaction stayed open", inTx, err)
	}
	mustExec(t, victim, "COMMIT") // nothing left: as on MariaDB after a deadlock
	mustExec(t, winner, "COMMIT")
	if got := holders(t, "comments", "id IN ("+victimRow+", "+winnerRow+")"); len(got) != 1 {
		t.Fatalf("after both COMMITs the two first-cluster rows are on %v, want only the winner's", got)
	}
	var body string
	if err := direct["s2"].QueryRow("SELECT GROUP_CONCAT(body ORDER BY id) FROM blog.comments WHERE id IN (9100071, 9100072)").Scan(&body); err != nil {
		t.Fatal(err)
	}
	if body != "a,a" && body != "b,b" {
		t.Fatalf("the two rows of s2 read %q: one transaction's updates, all of them, were to stay", body)
	}
}

// The coordinator's COMMIT fails after every branch prepared (here: held
// back by a backup lock on s1, then killed), and its outcome cannot be
// read while s1 still holds commits back: the client gets ERROR 1180 "in
// doubt", the branch on s2 stays prepared and is listed, and once s1
// answers again the resolver settles it the way the coordinator ended (it
// never committed: rolled back), so no part of the transaction stays.
func TestTwoPhaseCommitInDoubtIsSettledAsOne(t *testing.T) {
	ctx := context.Background()
	conn := beginAcrossTwoShards(t, twoPCDB(t), 9100081)
	backup, err := direct["s1"].Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer backup.Close()
	for _, q := range []string{"BACKUP STAGE START", "BACKUP STAGE BLOCK_COMMIT"} {
		mustExec(t, backup, q)
	}
	held := true
	defer func() {
		if held {
			backup.ExecContext(ctx, "BACKUP STAGE END")
		}
	}()
	done := make(chan error, 1)
	go func() {
		_, err := conn.ExecContext(ctx, "COMMIT")
		done <- err
	}()
	var thread int64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := direct["s1"].QueryRow("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'strata' AND INFO = 'COMMIT'").Scan(&thread)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the coordinator's COMMIT never waited on s1: %v", err)
		}
	}
	if _, err := direct["s1"].Exec("KILL " + strconv.FormatInt(thread, 10)); err != nil {
		t.Fatal(err)
	}
	err = <-done
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1180 || !strings.Contains(me.Message, "in doubt") {
		t.Fatalf("COMMIT whose outcome cannot be read: %v; want error 1180 saying it is in doubt", err)
	}
	if p := preparedXIDs(t, "s2"); len(p) != 1 {
		t.Fatalf("while in doubt s2 holds prepared branches %v, want the transaction's one", p)
	}
	mustExec(t, backup, "BACKUP STAGE END")
	held = false
	for deadline := time.Now().Add(10 * time.Second); len(preparedXIDs(t, "s2")) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the resolver did not settle the branch after s1 answered again")
		}
	}
	if got := holders(t, "comments", "id IN (9100081, 9100082)"); len(got) != 0 {
		t.Fatalf("rows of the transaction whose coordinator never committed are on %v", got)
	}
}

// A multi-row INSERT that takes its ids from a sequence and lands on
// several shards commits across them, and reports the first row's id as
// the insert id and as LAST_INSERT_ID() on the same connection.
func TestTwoPhaseInsertWithSequenceIDsAcrossShards(t *testing.T) {
	db := twoPCDB(t)
	ctx := context.Background()
	marker := "tpc-seq-" + strconv.Itoa(int(time.Now().UnixNano()%1e9))
	defer cleanup(t, "entries", "title LIKE '"+marker+"%'")
	conn := testenv.Conn(t, db)
	var values []string
	for i := range 8 {
		values = append(values, "('"+marker+"-"+strconv.Itoa(i)+"', 'draft')")
	}
	res := mustExec(t, conn, "INSERT INTO entries (title, status) VALUES "+strings.Join(values, ", "))
	first, _ := res.LastInsertId()
	var lid int64
	if err := conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&lid); err != nil || lid != first {
		t.Fatalf("LAST_INSERT_ID() = %d (%v), the INSERT reported %d", lid, err, first)
	}
	var firstRow int64
	found := holders(t, "entries", "title LIKE '"+marker+"%'")
	for _, s := range found {
		direct[s].QueryRow("SELECT id FROM blog.entries WHERE title = '" + marker + "-0'").Scan(&firstRow)
	}
	if firstRow != first {
		t.Errorf("the first row has id %d, the INSERT reported %d", firstRow, first)
	}
	if len(found) < 2 {
		t.Fatalf("8 rows by hash of their ids landed on %v: the statement did not span shards", found)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM entries WHERE title LIKE '"+marker+"%'").Scan(&n); err != nil || n != 8 {
		t.Fatalf("%d of the 8 rows are readable (%v)", n, err)
	}
}

// Two transactions across clusters that each hold a row on one server
// and wait for the other's row on another deadlock where no server can
// see it: each server sees one wait. Strata sees both, ends the
// transaction whose wait closed the cycle with MariaDB's deadlock error
// (1213, which clients retry), rolls all of it back, and the other goes
// on and commits; without it both would wait for innodb_lock_wait_timeout.
// The waits are on the transactions' XA branches (shard statements) in
// one case, on the victim's first cluster (a statement relayed as sent)
// in the other.
func TestTwoPhaseDeadlockAcrossServersIsBroken(t *testing.T) {
	db := twoPCDB(t)
	twoPCNotes(t)
	defer cleanup(t, "comments", "id BETWEEN 9100211 AND 9100220")
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100211, 1, 'x0'), (9100212, 2, 'y0')")       // s1, s2
	mustExec(t, db, "INSERT INTO tpc_notes (id, note) VALUES (1, 'n1'), (2, 'n2'), (3, 'n3'), (4, 'n4'), (5, 'n5')") // main
	rowX := "UPDATE comments SET body = '%s' WHERE entry_id = 1 AND id = 9100211"
	rowY := "UPDATE comments SET body = '%s' WHERE entry_id = 2 AND id = 9100212"
	note := "UPDATE tpc_notes SET note = '%s' WHERE id = %d"
	for _, tc := range []struct {
		name string
		// a's first statement, b's first (and second), a's wait for b,
		// b's wait for a.
		aFirst, bFirst, aWaits, bWaits []string
		wantX, wantY, wantNote1        string
	}{
		{"on branches", []string{fmt.Sprintf(rowX, "a")}, []string{fmt.Sprintf(rowY, "b")},
			[]string{fmt.Sprintf(rowY, "a")}, []string{fmt.Sprintf(rowX, "b")}, "a", "a", "n1"},
		// a writes more rows than b, so that b, the lighter, is the victim
		// (as it is in the first case by its later wait).
		{"on the victim's first cluster", []string{fmt.Sprintf(note, "a", 1), fmt.Sprintf(note, "a", 3), fmt.Sprintf(note, "a", 4), fmt.Sprintf(note, "a", 5)}, []string{fmt.Sprintf(note, "b", 2), fmt.Sprintf(rowY, "b2")},
			[]string{fmt.Sprintf(rowY, "a2")}, []string{fmt.Sprintf(note, "b", 1)}, "x0", "a2", "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testenv.Ctx(t)
			a, b := testenv.Conn(t, db), testenv.Conn(t, db)
			for _, c := range []*sql.Conn{a, b} {
				mustExec(t, c, "SET SESSION innodb_lock_wait_timeout = 8")
				mustExec(t, c, "BEGIN")
			}
			for _, q := range tc.aFirst {
				mustExec(t, a, q)
			}
			for _, q := range tc.bFirst {
				mustExec(t, b, q)
			}
			aDone := make(chan error, 1)
			go func() { _, err := a.ExecContext(ctx, tc.aWaits[0]); aDone <- err }()
			time.Sleep(300 * time.Millisecond) // a waits for b first
			start := time.Now()
			_, bErr := b.ExecContext(ctx, tc.bWaits[0])
			if testenv.MySQLErr(bErr) != 1213 || !strings.Contains(bErr.Error(), "across servers") {
				// Unwind before failing: b's locks go, then a's.
				b.ExecContext(ctx, "ROLLBACK")
				<-aDone
				a.ExecContext(ctx, "ROLLBACK")
				t.Fatalf("the transaction that closed the deadlock: %v after %s, want error 1213 naming a deadlock across servers", bErr, time.Since(start).Round(time.Millisecond))
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the deadlock was ended after %s, want within seconds", took)
			}
			if err := <-aDone; err != nil {
				t.Fatalf("the other transaction's statement, once its lock is free: %v", err)
			}
			mustExec(t, a, "COMMIT")
			// The victim's transaction is gone everywhere: a COMMIT on its
			// connection has nothing to commit, and it can begin again.
			mustExec(t, b, "COMMIT")
			var x, y, n1 string
			if err := direct["s1"].QueryRow("SELECT body FROM blog.comments WHERE id = 9100211").Scan(&x); err != nil {
				t.Fatal(err)
			}
			if err := direct["s2"].QueryRow("SELECT body FROM blog.comments WHERE id = 9100212").Scan(&y); err != nil {
				t.Fatal(err)
			}
			if err := direct["main"].QueryRow("SELECT note FROM blog.tpc_notes WHERE id = 1").Scan(&n1); err != nil {
				t.Fatal(err)
			}
			if x != tc.wantX || y != tc.wantY || n1 != tc.wantNote1 {
				t.Errorf("after the deadlock: x=%q y=%q note 1=%q, want %q %q %q (the survivor's writes, none of the victim's)", x, y, n1, tc.wantX, tc.wantY, tc.wantNote1)
			}
			var n2 string
			if err := direct["main"].QueryRow("SELECT note FROM blog.tpc_notes WHERE id = 2").Scan(&n2); err != nil || n2 != "n2" {
				t.Errorf("note 2, written by the victim before the deadlock: %q, %v; want it rolled back to n2", n2, err)
			}
			// The victim's next transaction is its own: nothing of the
			// deadlock is held against it.
			mustExec(t, b, "BEGIN")
			mustExec(t, b, fmt.Sprintf(rowX, "b3"))
			mustExec(t, b, fmt.Sprintf(rowY, "b3"))
			mustExec(t, b, fmt.Sprintf(rowX, "b4"))
			mustExec(t, b, "COMMIT")
			if err := direct["s1"].QueryRow("SELECT body FROM blog.comments WHERE id = 9100211").Scan(&x); err != nil || x != "b4" {
				t.Errorf("the victim's next transaction: x=%q (%v), want b4 committed", x, err)
			}
			for _, q := range []string{"UPDATE comments SET body = 'x0' WHERE entry_id = 1 AND id = 9100211", "UPDATE comments SET body = 'y0' WHERE entry_id = 2 AND id = 9100212", "UPDATE tpc_notes SET note = 'n1' WHERE id = 1"} {
				mustExec(t, db, q)
			}
		})
	}
	if got := metricValue(t, twoPCAdmin, "strata_deadlocks_broken_total"); got < 2 {
		t.Errorf("strata_deadlocks_broken_total = %v, want the 2 deadlocks ended", got)
	}
}

// TestDeadlockAcrossServersEndsTheLighterTransaction: as InnoDB does with
// its own deadlocks, Strata rolls back the transaction that changed
// fewer rows, here the one whose wait came first, not the one that
// closed the cycle after writing 31 rows.
func TestDeadlockAcrossServersEndsTheLighterTransaction(t *testing.T) {
	db := twoPCDB(t)
	ctx := testenv.Ctx(t)
	defer cleanup(t, "comments", "id BETWEEN 9100231 AND 9100270")
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100231, 1, 'x0'), (9100232, 2, 'y0')") // s1, s2
	rowX := "UPDATE comments SET body = '%s' WHERE entry_id = 1 AND id = 9100231"
	rowY := "UPDATE comments SET body = '%s' WHERE entry_id = 2 AND id = 9100232"
	light, heavy := testenv.Conn(t, db), testenv.Conn(t, db)
	var lightID uint32
	if err := light.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&lightID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*sql.Conn{light, heavy} {
		mustExec(t, c, "SET SESSION innodb_lock_wait_timeout = 8")
		mustExec(t, c, "BEGIN")
	}
	mustExec(t, light, fmt.Sprintf(rowX, "light"))
	var rows []string
	for i := range 30 {
		rows = append(rows, fmt.Sprintf("(%d, 2, 'heavy')", 9100240+i))
	}
	mustExec(t, heavy, "INSERT INTO comments (id, entry_id, body) VALUES "+strings.Join(rows, ", ")) // s2
	mustExec(t, heavy, fmt.Sprintf(rowY, "heavy"))
	lightDone := make(chan error, 1)
	go func() { _, err := light.ExecContext(ctx, fmt.Sprintf(rowY, "light")); lightDone <- err }()
	awaitLockWaits(t, "s2", 1)
	start := time.Now()
	_, heavyErr := heavy.ExecContext(ctx, fmt.Sprintf(rowX, "heavy")) // closes the cycle
	lightErr := <-lightDone
	if heavyErr != nil || testenv.MySQLErr(lightErr) != 1213 {
		heavy.ExecContext(ctx, "ROLLBACK")
		light.ExecContext(ctx, "ROLLBACK")
		t.Fatalf("after %s: the heavier transaction's statement %v, the lighter's %v; want the lighter to get 1213 and the heavier to go on", time.Since(start).Round(time.Millisecond), heavyErr, lightErr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the deadlock was ended after %s, want within seconds", took)
	}
	mustExec(t, heavy, "COMMIT")
	mustExec(t, light, "COMMIT") // nothing left to commit
	var x, y string
	var n int
	if err := direct["s1"].QueryRow("SELECT body FROM blog.comments WHERE id = 9100231").Scan(&x); err != nil {
		t.Fatal(err)
	}
	if err := direct["s2"].QueryRow("SELECT body, (SELECT COUNT(*) FROM blog.comments WHERE id BETWEEN 9100240 AND 9100269) FROM blog.comments WHERE id = 9100232").Scan(&y, &n); err != nil {
		t.Fatal(err)
	}
	if x != "heavy" || y != "heavy" || n != 30 {
		t.Errorf("after the deadlock: x=%q y=%q and %d inserted rows, want the heavier transaction's: heavy, heavy, 30", x, y, n)
	}
	var view admin.DeadlocksView
	testenv.GetJSON(t, "http://"+twoPCAdmin+"/api/deadlocks", &view)
	if len(view.Recent) == 0 || view.Recent[0].Victim != lightID {
		t.Errorf("GET /api/deadlocks: %+v, want the latest with victim %d (the lighter)", view.Recent, lightID)
	}
}

// TestDeadlockOfAutocommitWritesIsBroken: two autocommit INSERTs that
// each write rows on two shards (in a transaction of their own on each,
// or an XA transaction with twopc, until they commit on both) lock them
// in opposite orders. No server sees the cycle; Strata ends it with error
// 1213 for one statement, which leaves nothing written, and the other
// commits. In either transactions mode; GET /api/deadlocks lists it.
func TestDeadlockOfAutocommitWritesIsBroken(t *testing.T) {
	twoPC := func(t testing.TB) *sql.DB { return twoPCDB(t.(*testing.T)) }
	for _, mode := range []struct {
		name  string
		db    func(testing.TB) *sql.DB
		admin string
		// autocommitOff: each write is the first statement of a
		// transaction begun by SET autocommit = 0 (no BEGIN), committed
		// after.
		autocommitOff bool
	}{{"single", strataDB, strataAdmin, false}, {"twopc", twoPC, twoPCAdmin, false}, {"twopc, first statements with autocommit off", twoPC, twoPCAdmin, true}} {
		t.Run(mode.name, func(t *testing.T) { autocommitWritesDeadlock(t, mode.db(t), mode.admin, mode.autocommitOff) })
	}
}

func autocommitWritesDeadlock(t *testing.T, db *sql.DB, adminAddr string, autocommitOff bool) {
	ctx := testenv.Ctx(t)
	defer cleanup(t, "comments", "id BETWEEN 9100221 AND 9100230")
	// 9100221 is on s1 (entry 1); 9100222 and 9100223 on s2 (entry 2).
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100221, 1, '0'), (9100222, 2, '0'), (9100223, 2, '0')")
	upsert := "INSERT INTO comments (id, entry_id, body) VALUES %s ON DUPLICATE KEY UPDATE body = VALUES(body)"
	// first writes 9100221 on s1, then 9100222 and 9100223 on s2; second
	// writes 9100223 on s2, then 9100221 on s1 (each shard's rows in the
	// order of its first row).
	first := fmt.Sprintf(upsert, "(9100221, 1, 'first'), (9100222, 2, 'first'), (9100223, 2, 'first')")
	second := fmt.Sprintf(upsert, "(9100223, 2, 'second'), (9100221, 1, 'second')")

	// A direct transaction on s2 holds 9100222, so that first stops there
	// holding 9100221 on s1, until second holds 9100223 on s2 and waits
	// for 9100221; then it lets go, and first waits for 9100223.
	blocker := testenv.Conn(t, direct["s2"])
	mustExec(t, blocker, "BEGIN")
	mustExec(t, blocker, "SELECT * FROM blog.comments WHERE id = 9100222 FOR UPDATE")
	done := map[string]chan error{"first": make(chan error, 1), "second": make(chan error, 1)}
	session := map[string]uint32{}
	conns := map[string]*sql.Conn{}
	for _, w := range []struct{ name, sql, waitsOn string }{{"first", first, "s2"}, {"second", second, "s1"}} {
		c := testenv.Conn(t, db)
		conns[w.name] = c
		mustExec(t, c, "SET SESSION innodb_lock_wait_timeout = 8")
		if autocommitOff {
			mustExec(t, c, "SET autocommit = 0")
		}
		var id uint32
		if err := c.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		session[w.name] = id
		go func() { _, err := c.ExecContext(ctx, w.sql); done[w.name] <- err }()
		awaitLockWaits(t, w.waitsOn, 1)
	}
	start := time.Now()
	mustExec(t, blocker, "COMMIT")
	errs := map[string]error{}
	for name, ch := range done {
		errs[name] = <-ch
	}
	took := time.Since(start)
	victim, survivor := "first", "second"
	if errs["first"] == nil {
		victim, survivor = "second", "first"
	}
	if errs[survivor] != nil || testenv.MySQLErr(errs[victim]) != 1213 || !strings.Contains(errs[victim].Error(), "across servers") {
		t.Fatalf("after %s: first %v, second %v; want one of them to fail with 1213 naming a deadlock across servers and the other to succeed", took.Round(time.Millisecond), errs["first"], errs["second"])
	}
	if took > 5*time.Second {
		t.Errorf("the deadlock was ended after %s, want within seconds (not by the lock wait timeout)", took)
	}
	if autocommitOff {
		mustExec(t, conns[survivor], "COMMIT")
		mustExec(t, conns[victim], "COMMIT") // rolled back already: nothing to commit
	}
	// The victim wrote nothing, on either shard; the survivor everything.
	want := map[int]string{9100221: survivor, 9100222: "0", 9100223: survivor}
	if survivor == "first" {
		want[9100222] = "first"
	}
	got := map[int]string{}
	for _, row := range []struct {
		id    int
		shard string
	}{{9100221, "s1"}, {9100222, "s2"}, {9100223, "s2"}} {
		var body string
		if err := direct[row.shard].QueryRow("SELECT body FROM blog.comments WHERE id = ?", row.id).Scan(&body); err != nil {
			t.Fatal(err)
		}
		got[row.id] = body
	}
	if !maps.Equal(got, want) {
		t.Errorf("rows after the deadlock: %v, want %v (the survivor's writes, none of the victim's %s)", got, want, victim)
	}
	// The operator sees it: the two sessions, their servers, the victim.
	var view admin.DeadlocksView
	testenv.GetJSON(t, "http://"+adminAddr+"/api/deadlocks", &view)
	if len(view.Recent) == 0 {
		t.Fatalf("GET /api/deadlocks lists no deadlock: %+v", view)
	}
	last := view.Recent[0]
	wantServers := []string{clusterAddr["s1"], clusterAddr["s2"]}
	slices.Sort(wantServers)
	if last.Victim != session[victim] || !sameIDs(last.Sessions, []uint32{session["first"], session["second"]}) || !slices.Equal(last.Servers, wantServers) || view.Failing != "" {
		t.Errorf("GET /api/deadlocks: %+v, want the latest with sessions %v on %v, victim %d (%s)", view, session, wantServers, session[victim], victim)
	}
}

// sameIDs reports whether a and b hold the same ids, in any order.
func sameIDs(a, b []uint32) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// awaitLockWaits waits until the shard's server has n transactions
// waiting for a lock. It reads SHOW ENGINE INNODB STATUS: reading
// information_schema's lock tables this often would keep InnoDB from
// refreshing them, for the deadlock detector too.
func awaitLockWaits(t *testing.T, shard string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var typ, name, status string
		if err := direct[shard].QueryRow("SHOW ENGINE INNODB STATUS").Scan(&typ, &name, &status); err != nil {
			t.Fatal(err)
		}
		// Only the transactions now, not the latest deadlock the server
		// broke itself, which lists its waits too.
		_, now, _ := strings.Cut(status, "\nTRANSACTIONS\n")
		waits := strings.Count(now, "LOCK WAIT ")
		if waits >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d transactions waiting for a lock after 5 s, want %d", shard, waits, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
