package sharding

import (
	"slices"
	"strconv"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// CHAR(...) and INSERT(...) in statements Strata renders for the shards:
// the parser's names for them (char_func, insert_func) once reached the
// servers, which answered "FUNCTION blog.CHAR_FUNC does not exist".
func TestCharAndInsertFunctionsInShardStatements(t *testing.T) {
	db := strataDB(t)
	id := strconv.Itoa(freeEventIDs(1001, 2000, 1)[0])
	cleanup(t, "events", "id = "+id)
	mustExec(t, db, "INSERT INTO events (id, kind, qty) VALUES ("+id+", CHAR(72, 105), 1)")
	if got := holders(t, "events", "id = "+id+" AND kind = 'Hi'"); !slices.Equal(got, []string{ds.tables["events"].ownerOfKey(id)}) {
		t.Fatalf("the row is on %v", got)
	}
	// A scatter (no key) and a prepared statement, both rendered.
	if got := testenv.Strings(t, db, "SELECT id FROM events WHERE kind = CHAR(72, 105 USING utf8mb4)"); !slices.Equal(got, []string{id}) {
		t.Fatalf("scatter with CHAR(): %q, want [%s]", got, id)
	}
	if got := testenv.Strings(t, db, "SELECT id, CHAR(?) FROM events WHERE kind = CHAR(72, 105) AND qty = ?", 33, 1); !slices.Equal(got, []string{id + "|!"}) {
		t.Fatalf("prepared with CHAR(?): %q", got)
	}
	if got := testenv.Strings(t, db, "SELECT INSERT(kind, 1, 1, 'h') FROM events WHERE kind = 'Hi' ORDER BY 1 LIMIT 1"); !slices.Equal(got, []string{"hi"}) {
		t.Fatalf("INSERT() in a scatter: %q, want [hi]", got)
	}
}
