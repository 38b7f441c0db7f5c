package sharding

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/admin"
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
	// s1 holds no more of the account's connections than before them.
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
	if after := connections(); after > before {
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
