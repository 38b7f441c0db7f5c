package test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// SHOW PROCESSLIST through Strata lists the user's client sessions under
// the ids CONNECTION_ID() returns and KILL takes — not the server's
// threads, whose ids KILL would read as another client's session.
func TestShowProcessListListsStrataSessions(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	me, other := testenv.Conn(t, db), testenv.Conn(t, db)
	myID := queryStrings(t, me, "SELECT CONNECTION_ID()")[0]
	otherID := queryStrings(t, other, "SELECT CONNECTION_ID()")[0]
	var mine, others string
	// The other session's command ends (Sleep) just after its answer
	// went out: list until it shows.
	for try := 0; try < 50 && !strings.Contains(others, "|Sleep|"); try++ {
		mine, others = processList(t, me, myID, otherID)
	}
	if want := fmt.Sprintf("%s|app|", myID); !strings.HasPrefix(mine, want) || !strings.Contains(mine, "|blog|Query|") || !strings.HasSuffix(mine, "|SHOW FULL PROCESSLIST|0.000") {
		t.Errorf("the session's own row = %q, want id %s, db blog, Query, its statement", mine, myID)
	}
	if !strings.Contains(others, "|blog|Sleep|") {
		t.Errorf("the other session's row = %q, want it listed as Sleep", others)
	}
	// The id listed is the one KILL ends.
	if _, err := me.ExecContext(ctxFor(t), "KILL "+otherID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctxFor(t), "DO 1"); err == nil {
		t.Errorf("the session KILL %s named from SHOW PROCESSLIST still runs statements", otherID)
	}
}

// processList runs SHOW FULL PROCESSLIST and returns the rows of two ids.
func processList(t *testing.T, q testenv.Querier, a, b string) (rowA, rowB string) {
	t.Helper()
	for _, r := range queryStrings(t, q, "SHOW FULL PROCESSLIST") {
		f := strings.Split(r, "|")
		if len(f) != 9 {
			t.Fatalf("SHOW FULL PROCESSLIST row %q: %d columns, want MariaDB's 9", r, len(f))
		}
		if f[1] != "app" {
			t.Errorf("row %q: another user's session listed", r)
		}
		switch f[0] {
		case a:
			rowA = r
		case b:
			rowB = r
		}
	}
	return rowA, rowB
}

// information_schema.PROCESSLIST through Strata is Strata's list too.
// Read on a server, it listed every client's backend connection (all
// users' statements, as all run as Strata's account) by server thread
// ids, and an operator's SELECT ID ... WHERE INFO LIKE ... then KILL
// stopped whichever session had that id in Strata. Now the server runs
// the client's query over Strata's sessions of the user, by the ids KILL
// takes, with the table's columns.
func TestInformationSchemaProcessListIsStratas(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	app, victimDB := openStrata(t), openStrata(t)
	victim, me := testenv.Conn(t, victimDB), testenv.Conn(t, app)
	victimID := queryStrings(t, victim, "SELECT CONNECTION_ID()")[0]
	outsider := testenv.Open(t, testenv.DSN(env.addr, "other", "other", "blog"))
	started := time.Now()
	done := make(chan error, 2)
	go func() {
		_, err := victim.ExecContext(ctx, "SELECT SLEEP(20) AS is_processlist_victim")
		done <- err
	}()
	go func() {
		_, err := outsider.ExecContext(ctx, "SELECT SLEEP(3) AS is_processlist_outsider")
		done <- err
	}()
	var found []string
	for try := 0; try < 100 && len(found) == 0; try++ {
		time.Sleep(20 * time.Millisecond)
		found = queryStrings(t, me, "SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST WHERE INFO LIKE '%is\\_processlist\\_victim%' AND ID <> CONNECTION_ID()")
	}
	if want := victimID + "|app|Query"; len(found) != 1 || found[0] != want {
		t.Fatalf("the victim's row: %v, want [%s]", found, want)
	}
	if got := queryStrings(t, me, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE (USER <> 'app' OR INFO LIKE '%outsider%') AND ID <> CONNECTION_ID()"); got[0] != "0" {
		t.Errorf("another user's sessions are listed: %v rows", got)
	}
	if _, err := me.ExecContext(ctx, "USE information_schema"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, me, "SELECT COUNT(*) FROM PROCESSLIST p WHERE p.ID = "+victimID); got[0] != "1" {
		t.Errorf("PROCESSLIST in schema information_schema: %v rows of the victim, want 1", got)
	}
	var columns []string
	for _, q := range []testenv.Querier{me, openDirect(t, env.primary, "")} {
		rows, err := q.QueryContext(ctx, "SELECT * FROM information_schema.PROCESSLIST LIMIT 1")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		rows.Close()
		columns = append(columns, strings.Join(cols, ","))
	}
	if columns[0] != columns[1] {
		t.Errorf("columns through Strata %s, on a server %s", columns[0], columns[1])
	}
	// The id found is the one KILL QUERY interrupts.
	if _, err := me.ExecContext(ctx, "KILL QUERY "+victimID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		<-done
	}
	if took := time.Since(started); took > 15*time.Second {
		t.Errorf("the victim's SLEEP(20) ran %s: KILL QUERY of the id found did not reach it", took)
	}
	// A prepared statement lists the sessions as they are at each
	// EXECUTE: the victim, then, after it left, no one.
	st, err := app.PrepareContext(ctx, "SELECT ID, COMMAND FROM information_schema.PROCESSLIST WHERE ID = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := queryStrings(t, stmtQuerier{st}, "", victimID); len(got) != 1 || got[0] != victimID+"|Sleep" {
		t.Errorf("prepared read of the victim's row: %v, want [%s|Sleep]", got, victimID)
	}
	victim.Close()
	victimDB.Close() // the client leaves, its Strata session ends
	var gone []string
	for try := 0; try < 50; try++ {
		if gone = queryStrings(t, stmtQuerier{st}, "", victimID); len(gone) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(gone) != 0 {
		t.Errorf("the same prepared read after the victim left: %v, want no row", gone)
	}
	// A SQL-level PREPARE would run the server's list.
	if _, err := me.ExecContext(ctx, "PREPARE pl FROM 'SELECT ID FROM information_schema.PROCESSLIST'"); mysqlErr(err) != 1235 {
		t.Errorf("SQL-level PREPARE of a process list read: %v, want 1235", err)
	}
}

// stmtQuerier runs a prepared statement as a testenv.Querier (its query
// text is the statement's own).
type stmtQuerier struct{ st *sql.Stmt }

func (q stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}
