package sharding

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A statement Strata's parser cannot read (MariaDB's CAST(x AS INT))
// names its tables only as words. On a table group it runs whole on the
// group's cluster; on a sharded table it is refused with an error that
// says what to write instead — never sent to the default cluster, which
// does not hold the table (or holds other rows of it).
func TestUnparsedStatementsOnPlacedTables(t *testing.T) {
	shardedData(t)
	db := strataDB(t)

	want := testenv.Strings(t, db, "SELECT CAST(id AS SIGNED) FROM users ORDER BY id LIMIT 3")
	got := testenv.Strings(t, db, "SELECT CAST(id AS INT) FROM users ORDER BY id LIMIT 3")
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Fatalf("an unparsed read of a table group = %q, want %q (its cluster's rows)", got, want)
	}

	if got := testenv.Strings(t, db, "SELECT CAST(id AS INT) FROM users WHERE id = ?", want[1]); len(got) != 1 || got[0] != want[1] {
		t.Fatalf("an unparsed prepared read of a table group = %q, want %q", got, want[1])
	}

	_, err := db.QueryContext(testenv.Ctx(t), "SELECT CAST(id AS INT) FROM events WHERE id = 1500")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "events, a sharded table") || !strings.Contains(err.Error(), "CAST(x AS SIGNED)") {
		t.Fatalf("an unparsed read of a sharded table: %v, want error 1235 naming the table and what to write", err)
	}
	// Server-side prepared, the same.
	_, err = db.QueryContext(testenv.Ctx(t), "SELECT CAST(id AS INT) FROM events WHERE id = ?", 1500)
	if testenv.MySQLErr(err) != 1235 {
		t.Fatalf("an unparsed prepared read of a sharded table: %v, want error 1235", err)
	}
}
