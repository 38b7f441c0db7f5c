package pooling

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
)

// A rule's timeout stops a matching read on the server (MariaDB's
// max_statement_time) and only that read: the statements that follow on
// the same backend connections — another session's from the pool, or the
// session's own on a connection it keeps — run without the limit.
func TestRuleTimeoutStopsLongReadsOnly(t *testing.T) {
	_, db := strataWithRules(t,
		"  - {match: {hint: quick}, pool: primary, timeout: 300ms}\n  - {match: {hint: quick-primary}, pool: nobody, timeout: 300ms}\n",
		// One connection per server: what the limited read leaves behind
		// is what the next statement gets.
		"limits: {max_conns_per_server: 1, max_idle_per_server: 1}\n")
	db.SetMaxOpenConns(1)

	wantTimeout := func(t *testing.T, what string, run func() error) {
		t.Helper()
		start := time.Now()
		err := run()
		if testenv.MySQLErr(err) != 1969 {
			t.Fatalf("%s: got %v, want error 1969 (max_statement_time exceeded)", what, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("%s: stopped after %v; the 300ms limit should end a 3 s read well before", what, took)
		}
	}
	explain := testenv.Strings(t, db, "EXPLAIN STRATA SELECT /* strata:pool=quick */ SLEEP(3)")
	if len(explain) != 1 || !strings.Contains(explain[0], "pool primary: rule routing.0, timeout 300ms") {
		t.Errorf("EXPLAIN STRATA of a limited read = %q, want the rule and its timeout", explain)
	}
	var v sql.NullInt64
	wantTimeout(t, "text read", func() error {
		return db.QueryRow("SELECT /* strata:pool=quick */ SLEEP(3)").Scan(&v)
	})
	wantTimeout(t, "prepared read", func() error {
		return db.QueryRow("SELECT /* strata:pool=quick */ SLEEP(?)", 3).Scan(&v)
	})
	// The replicas' only connections ran the limited reads: reads without
	// the hint must not inherit the limit.
	for i := 0; i < 4; i++ {
		if err := db.QueryRow("SELECT SLEEP(0.5)").Scan(&v); err != nil || v.Int64 != 0 {
			t.Fatalf("unlimited read %d after limited ones: %v, %v", i, v, err)
		}
	}
	// A limited read that stays on its connection for the session's next
	// statement (SQL_CALC_FOUND_ROWS on the primary, where a pool without
	// members sends it, then FOUND_ROWS()): that statement is not the rule's.
	conn, err := db.Conn(testenv.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var id sql.NullInt64
	if err := conn.QueryRowContext(testenv.Ctx(t), "SELECT /* strata:pool=quick-primary */ SQL_CALC_FOUND_ROWS 7 AS id").Scan(&id); err != nil {
		t.Fatal(err)
	}
	var found sql.NullInt64
	if err := conn.QueryRowContext(testenv.Ctx(t), "SELECT SLEEP(0.5), FOUND_ROWS()").Scan(&v, &found); err != nil || found.Int64 != 1 {
		t.Fatalf("FOUND_ROWS() after the limited read, on its connection: %v, found=%v, %v", v, found, err)
	}
}

// strataWithRules starts a Strata of the package's topology with rules
// tried before its own and extra config lines, closed with the test, and
// a handle on it as app.
func strataWithRules(t *testing.T, rules, extra string) (*server.Strata, *sql.DB) {
	t.Helper()
	yaml := strings.Replace(fmt.Sprintf(topology, "eventual"), "routing:\n", "routing:\n"+rules, 1) + extra
	s, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
}
