package test

import (
	"fmt"
	"strings"
	"testing"

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
