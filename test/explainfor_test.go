package test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// SHOW EXPLAIN FOR, SHOW ANALYZE FOR and EXPLAIN FOR CONNECTION name a
// connection by the id the client has: Strata's, from CONNECTION_ID() or
// SHOW PROCESSLIST. They were passed on, and the server read the id as
// one of its own threads: "Unknown thread id", or the plan of whatever
// other connection had that number. Now Strata answers them as it answers
// KILL: the plan is the one of the statement the named session runs, on
// the server it runs on, prepared or not. An idle session, an unknown id
// and another user's session get MariaDB's errors. In a multi-statement
// query, and prepared (go-sql-driver's db.Exec("KILL QUERY ?", id)), KILL
// reads the id as Strata's too: `SELECT 1; KILL QUERY n` interrupted
// server thread n, whoever's it was.
func TestExplainForConnectionReadsStratasIDs(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.explain_for_probe (id INT PRIMARY KEY)",
		"INSERT IGNORE INTO blog.explain_for_probe VALUES (1)")
	ctx := ctxFor(t)
	db := openStrata(t)
	victimDB := openStrata(t)
	victim, err := victimDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	var id uint32
	if err := victim.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	sleep := func(seconds int, marker string) <-chan error {
		done := make(chan error, 1)
		go func() {
			var v int
			done <- victim.QueryRowContext(ctx, fmt.Sprintf("SELECT SLEEP(%d) AS %s FROM blog.explain_for_probe", seconds, marker)).Scan(&v)
		}()
		waitRunning(t, marker)
		return done
	}

	for i, q := range []string{"SHOW EXPLAIN FOR %d", "SHOW EXPLAIN FORMAT=JSON FOR %d", "EXPLAIN FOR CONNECTION %d", "SHOW ANALYZE FOR %d", "prepared: SHOW EXPLAIN FOR ?", "prepared: EXPLAIN FORMAT=JSON FOR CONNECTION ?"} {
		// The server answers once the SLEEP ends: one statement each.
		done := sleep(1, fmt.Sprintf("explain_for_marker_%d", i))
		var plan string
		if text, ok := strings.CutPrefix(q, "prepared: "); ok {
			// go-sql-driver prepares a statement with arguments.
			plan = strings.Join(queryStrings(t, db, text, id), "\n")
		} else {
			plan = strings.Join(queryStrings(t, db, fmt.Sprintf(q, id)), "\n")
		}
		if !strings.Contains(plan, "explain_for_probe") {
			t.Errorf("%s: %q, want the plan of session %d's statement over explain_for_probe", fmt.Sprintf(q, id), plan, id)
		}
		if err := <-done; err != nil {
			t.Fatalf("the statement explained: %v", err)
		}
	}

	for _, tc := range []struct {
		query string
		code  uint16
	}{
		{fmt.Sprintf("SHOW EXPLAIN FOR %d", id), 1933}, // idle now
		{"SHOW EXPLAIN FOR 999999", 1094},
	} {
		if _, err := db.ExecContext(ctx, tc.query); mysqlErr(err) != tc.code {
			t.Errorf("%s: %v, want error %d", tc.query, err, tc.code)
		}
	}
	other := testenv.Open(t, strataDSN("other", "other", "blog"))
	if _, err := other.ExecContext(ctx, fmt.Sprintf("SHOW EXPLAIN FOR %d", id)); mysqlErr(err) != 1227 {
		t.Errorf("SHOW EXPLAIN FOR another user's session: %v, want error 1227 (PROCESS)", err)
	}

	multi := openStrata(t, "multiStatements=true")
	for i, kill := range []func() error{
		func() error { _, err := multi.ExecContext(ctx, fmt.Sprintf("SELECT 1; KILL QUERY %d", id)); return err },
		func() error { _, err := db.ExecContext(ctx, "KILL QUERY ?", id); return err }, // prepared
		func() error { _, err := db.ExecContext(ctx, "KILL QUERY ?", fmt.Sprint(id)); return err },
	} {
		done := sleep(30, fmt.Sprintf("kill_marker_%d", i))
		if err := kill(); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("kill %d (in a multi-statement query, prepared with a number, with a string) did not interrupt session %d's statement", i, id)
		}
	}
	if err := victim.PingContext(context.Background()); err != nil {
		t.Fatalf("the session after KILL QUERY: %v", err)
	}
}
