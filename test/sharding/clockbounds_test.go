package sharding

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A statement over a table sharded by time whose key is bounded by the
// clock (WHERE at > NOW() - INTERVAL 1 DAY, at >= CURDATE()) has the
// bounds evaluated once, first, and written in: it reads the period
// tables they name, not every one (before: all 22 daily tables here, a
// year of daily tables would be 365 queries per statement), and answers
// as one server. In a transaction too, beside an INSERT whose key is
// NOW().
func TestClockBoundsOfATimeKeyReadTheirPeriodsOnly(t *testing.T) {
	strataDB(t)
	const ddl = "CREATE TABLE clocklogs (id INT NOT NULL, at DATETIME NOT NULL, msg VARCHAR(20) NULL)"
	createOn(t, strings.Replace(ddl, "clocklogs", "blog.clocklogs", 1), "blog.clocklogs", "single")
	s := dateTables(t, "day", 20, 10, "", "clocklogs")
	db := openStrata(t, s.MySQLAddr())
	mustExec(t, db, ddl)
	got, want := testenv.Conn(t, db), singleConn(t)
	ctx := testenv.Ctx(t)
	var rows []string
	for i, daysAgo := range []int{0, 0, 1, 2, 3, 5, 8, 12, 15, 19} {
		rows = append(rows, fmt.Sprintf("(%d, NOW() - INTERVAL %d DAY - INTERVAL %d MINUTE, 'r%d')", i+1, daysAgo, 30+i, i+1))
	}
	for _, c := range []querier{got, want} {
		if _, err := runQuery(ctx, c, "INSERT INTO clocklogs (id, at, msg) VALUES "+strings.Join(rows, ", ")); err != nil {
			t.Fatal(err)
		}
	}
	stmts := []string{
		"SELECT COUNT(*) FROM clocklogs WHERE at > NOW() - INTERVAL 1 DAY",
		"SELECT id, msg FROM clocklogs WHERE at >= CURDATE() - INTERVAL 3 DAY ORDER BY at DESC LIMIT 3",
		"SELECT id FROM clocklogs WHERE at BETWEEN NOW() - INTERVAL 9 DAY AND NOW() - INTERVAL 2 DAY ORDER BY id",
		"SELECT id FROM clocklogs c WHERE c.at < NOW() - INTERVAL 10 DAY AND msg <> 'x' ORDER BY id",
		"UPDATE clocklogs SET msg = 'old' WHERE at < CURRENT_TIMESTAMP - INTERVAL 14 DAY",
		"SELECT id, msg FROM clocklogs ORDER BY id",
		"DELETE FROM clocklogs WHERE at < NOW() - INTERVAL 18 DAY",
		"SELECT COUNT(*) FROM clocklogs",
		// Joined with a table of another cluster: its rows are read first,
		// by the bound too.
		"SELECT c.id, u.id FROM clocklogs c JOIN users u ON u.id = c.id WHERE c.at > NOW() - INTERVAL 4 DAY ORDER BY c.id",
	}
	sameOutcomes(t, got, want, stmts...)
	// The last day's statement reads the periods of the last day and the
	// one ahead, not every period table.
	plan := testenv.Strings(t, got, "EXPLAIN STRATA SELECT COUNT(*) FROM clocklogs WHERE at > NOW() - INTERVAL 1 DAY")
	reads := 0
	for _, step := range plan {
		if strings.HasPrefix(step, "scatter|") || strings.HasPrefix(step, "route|") || strings.HasPrefix(step, "walk|") {
			reads++
		}
	}
	if reads == 0 || reads > 3 {
		t.Errorf("a read of the last day reads %d period tables, want at most 3:\n%s", reads, strings.Join(plan, "\n"))
	}
	// Executed, it reads only the shard of the recent periods (s1): the
	// older ones (s0) are not queried.
	expectTouched(t, "Com_select", 10, []string{"s1"}, func() {
		for range 10 {
			testenv.Strings(t, got, "SELECT COUNT(*) FROM clocklogs WHERE at > NOW() - INTERVAL 1 DAY")
		}
	})
	expectTouched(t, "Com_select", 10, []string{"s1"}, func() {
		for range 10 {
			testenv.Strings(t, got, "SELECT c.id, u.name FROM clocklogs c JOIN users u ON u.id = c.id WHERE c.at > NOW() - INTERVAL 1 DAY")
		}
	})
	// A prepared statement (binary protocol), its interval bound.
	for _, days := range []int{1, 4, 13} {
		q := "SELECT id, msg FROM clocklogs WHERE at > NOW() - INTERVAL ? DAY ORDER BY id"
		g, gErr := runQueryArgs(ctx, got, q, days)
		w, wErr := runQueryArgs(ctx, want, q, days)
		if fmtResult(g, gErr) != fmtResult(w, wErr) {
			t.Errorf("prepared %s [%d]\nthrough Strata: %s\none server:     %s", q, days, fmtResult(g, gErr), fmtResult(w, wErr))
		}
	}
	expectTouched(t, "Com_select", 10, []string{"s1"}, func() {
		for range 10 {
			testenv.Strings(t, got, "SELECT COUNT(*) FROM clocklogs WHERE at > NOW() - INTERVAL ? DAY", 1)
		}
	})
	// In a multi-statement query, each part answered in its place.
	multi, err := sql.Open("mysql", "app:app@tcp("+s.MySQLAddr()+")/blog?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { multi.Close() })
	const parts = "INSERT INTO clocklogs (id, at, msg) VALUES (50, NOW(), 'multi'); SELECT COUNT(*) FROM clocklogs WHERE at > NOW() - INTERVAL 1 DAY; SELECT id FROM clocklogs WHERE msg = 'multi'"
	gotSets, gErr := resultSets(ctx, multi, parts)
	mustExec(t, want, "INSERT INTO clocklogs (id, at, msg) VALUES (50, NOW(), 'multi')")
	wantSets := [][]string{testenv.Strings(t, want, "SELECT COUNT(*) FROM clocklogs WHERE at > NOW() - INTERVAL 1 DAY"), {"50"}}
	if gErr != nil || fmt.Sprint(gotSets) != fmt.Sprint(wantSets) {
		t.Errorf("multi-statement %s\nthrough Strata: %v %v\none server:     %v", parts, gotSets, gErr, wantSets)
	}
	// In a transaction, beside an INSERT whose key is NOW().
	sameOutcomes(t, got, want,
		"BEGIN",
		"INSERT INTO clocklogs (id, at, msg) VALUES (100, NOW(), 'tx')",
		"SELECT COUNT(*) FROM clocklogs WHERE at > NOW() - INTERVAL 1 HOUR AND msg = 'tx'",
		"COMMIT",
		"SELECT id FROM clocklogs WHERE at >= CURDATE() ORDER BY id",
	)
}
