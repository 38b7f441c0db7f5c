package sharding

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// SHOW TABLES lists the tables a client can query through Strata: the
// default cluster's and every table `tables:` places elsewhere, as one
// server holding them all would; SHOW TABLE STATUS LIKE a placed table
// is that table's, from where its rows are.
func TestShowTablesListsPlacedTables(t *testing.T) {
	conn := testenv.Conn(t, strataDB(t))
	all := testenv.Strings(t, conn, "SHOW TABLES")
	for _, want := range []string{"order_customer", "users", "profiles", "comments", "entries", "events", "posts", "members", "countries"} {
		if !slices.Contains(all, want) {
			t.Errorf("SHOW TABLES = %q: %s is missing", all, want)
		}
	}
	if !slices.IsSorted(all) {
		t.Errorf("SHOW TABLES = %q: not sorted by name", all)
	}
	if got := testenv.Strings(t, conn, "SHOW FULL TABLES FROM blog LIKE 'e%'"); !slices.Equal(got, []string{"entries|BASE TABLE", "entry_likes|BASE TABLE", "events|BASE TABLE"}) {
		t.Errorf("SHOW FULL TABLES LIKE 'e%%' = %q", got)
	}
	status := testenv.Strings(t, conn, "SHOW TABLE STATUS LIKE 'comments'")
	if len(status) != 1 || !strings.HasPrefix(status[0], "comments|InnoDB|") {
		t.Errorf("SHOW TABLE STATUS LIKE 'comments' = %q, want the table's row", status)
	}
	if got := testenv.Strings(t, conn, "SHOW TABLES FROM mysql LIKE 'comments'"); len(got) != 0 {
		t.Errorf("SHOW TABLES FROM mysql lists %q: placed tables are the application's", got)
	}
}
