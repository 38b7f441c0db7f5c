package sharding

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/test/testenv"
)

// A backend account without PROCESS cannot read other connections' lock
// waits, so the deadlock detector cannot work: the operator sees it in
// GET /api/deadlocks (why) and in strata_deadlock_check_failing (to alert
// on), as soon as a write over several shards gives it something to
// look at, and the write itself still succeeds.
func TestDeadlockCheckWithoutProcessPrivilegeIsShown(t *testing.T) {
	strataDB(t)
	for _, c := range clusterNames() {
		for _, q := range []string{
			"CREATE USER IF NOT EXISTS 'noproc'@'%' IDENTIFIED BY 'noproc'",
			"GRANT ALL PRIVILEGES ON *.* TO 'noproc'@'%'",
			"REVOKE PROCESS, SUPER ON *.* FROM 'noproc'@'%'",
		} {
			mustExec(t, direct[c], q)
		}
		t.Cleanup(func() { direct[c].Exec("DROP USER IF EXISTS 'noproc'@'%'") })
	}
	cfg := ownConfig(t, "", "transactions: {deadlock_check: 200ms}\n")
	cfg.Backend.User, cfg.Backend.Password = "noproc", "noproc"
	s := startOwn(t, cfg)
	db := openStrata(t, s.MySQLAddr())
	adminURL := "http://" + s.AdminAddr()
	defer cleanup(t, "comments", "id BETWEEN 9100301 AND 9100302")
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9100301, 1, '0'), (9100302, 2, '0')") // s1, s2

	blocker := testenv.Conn(t, direct["s2"])
	var view admin.DeadlocksView
	holdSpanningWrite(t, db, blocker, "without PROCESS, the failure named in GET /api/deadlocks and strata_deadlock_check_failing at 1", func() bool {
		view = admin.DeadlocksView{} // failing is left out when empty
		testenv.GetJSON(t, adminURL+"/api/deadlocks", &view)
		return strings.Contains(view.Failing, "PROCESS") && metricValue(t, s.AdminAddr(), "strata_deadlock_check_failing") == 1
	})

	// Granted PROCESS, the next checks work again.
	for _, c := range clusterNames() {
		mustExec(t, direct[c], "GRANT PROCESS ON *.* TO 'noproc'@'%'")
	}
	// And they read each server on one connection, kept: ten checks later
	// s1 holds no more of the account's connections than before them, but
	// for one that Strata's other background work (reading the tables'
	// definitions) may open meanwhile. A detector that dialed per check
	// would leave ten.
	connections := func() int {
		var n int
		if err := direct["s1"].QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'noproc'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var before int
	checks := map[time.Time]bool{}
	holdSpanningWrite(t, db, blocker, "with PROCESS, ten checks that work", func() bool {
		view = admin.DeadlocksView{} // failing is left out when empty
		testenv.GetJSON(t, adminURL+"/api/deadlocks", &view)
		working := view.Failing == "" && view.LastCheck != nil && metricValue(t, s.AdminAddr(), "strata_deadlock_check_failing") == 0
		if working && len(checks) == 0 {
			before = connections()
		}
		if working {
			checks[*view.LastCheck] = true
		}
		return len(checks) > 10
	})
	if after := connections(); after > before+1 {
		t.Errorf("the account held %d connections on s1 before ten checks, %d after: the detector leaves connections behind", before, after)
	}
}

// holdSpanningWrite keeps a write over s1 and s2 waiting behind blocker's
// lock on s2, so that it spans both servers while the detector looks,
// until ok holds (or 5 s pass: the test fails, wanting what), then lets
// it finish.
func holdSpanningWrite(t *testing.T, db *sql.DB, blocker *sql.Conn, what string, ok func() bool) {
	t.Helper()
	mustExec(t, blocker, "BEGIN")
	mustExec(t, blocker, "SELECT * FROM blog.comments WHERE id = 9100302 FOR UPDATE")
	done := make(chan error, 1)
	go func() {
		_, err := db.Exec("INSERT INTO comments (id, entry_id, body) VALUES (9100301, 1, 'v'), (9100302, 2, 'v') ON DUPLICATE KEY UPDATE body = VALUES(body)")
		done <- err
	}()
	held := false
	for deadline := time.Now().Add(5 * time.Second); !held && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		held = ok()
	}
	mustExec(t, blocker, "COMMIT")
	if err := <-done; err != nil {
		t.Fatalf("the write over two shards: %v", err)
	}
	if !held {
		t.Fatalf("while a write over two shards waited: want %s", what)
	}
}

// A server connection a session hands back to its pool is no longer shown
// as that session's: here session A's last write's connection, kept
// after a write over two shards, which A gives back when its next write
// goes to other shards, and which B then takes for its own
// write while A's statement still runs. Before, A kept showing it until
// its statement ended, so the deadlock detector saw it in two sessions
// and missed a deadlock through it: two clients writing one unique:
// value at once both waited out the lock timeout.
func TestAConnectionBackInThePoolIsNoSessionsAnyMore(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.held_rows (id INT NOT NULL PRIMARY KEY, n INT NULL)", "blog.held_rows", shardNames...)
	s := startOwn(t, ownConfig(t, "held_rows: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	db := openStrata(t, s.MySQLAddr())
	a, b := testenv.Conn(t, db), testenv.Conn(t, db)
	ctx := testenv.Ctx(t)
	mustExec(t, a, "INSERT INTO held_rows (id) VALUES (4), (5), (6), (7)") // one connection kept for ROW_COUNT()
	// The session shows it once the command has ended, just after the
	// client has its answer.
	var kept []session.ServerThread
	testenv.Eventually(t, "the connection kept after a write over shards is shown", func() bool {
		kept = s.Env.Registry.Threads()
		return len(kept) == 1
	})
	shardOf := map[string]int{clusterAddr["s0"]: 0, clusterAddr["s1"]: 1, clusterAddr["s2"]: 2, clusterAddr["s3"]: 3}
	held := shardOf[kept[0].Addr]
	slept := make(chan error, 1)
	go func() {
		// A write over two other shards, a second on each.
		_, err := a.ExecContext(ctx, fmt.Sprintf("UPDATE held_rows SET n = SLEEP(1) WHERE id IN (%d, %d)", 4+(held+1)%4, 4+(held+2)%4))
		slept <- err
	}()
	time.Sleep(300 * time.Millisecond)
	mustExec(t, b, fmt.Sprintf("INSERT INTO held_rows (id) VALUES (%d)", 8+held)) // on the connection A gave back
	owners := map[string][]uint32{}
	for _, th := range s.Env.Registry.Threads() {
		key := fmt.Sprintf("%s thread %d", th.Addr, th.ThreadID)
		if !slices.Contains(owners[key], th.Session) {
			owners[key] = append(owners[key], th.Session)
		}
	}
	for key, sessions := range owners {
		if len(sessions) > 1 {
			t.Errorf("%s is shown as the connection of sessions %v, want one", key, sessions)
		}
	}
	if err := <-slept; err != nil {
		t.Fatal(err)
	}
}
