package test

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A MariaDB HANDLER lives on the connection that opened it until HANDLER
// ... CLOSE: the session stays on that connection, so its reads find the
// handle even while another client holds the connection Strata would
// otherwise have handed it.
func TestHandlerStaysWithItsSession(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.handled (id INT PRIMARY KEY, v VARCHAR(5))", "INSERT INTO blog.handled VALUES (1, 'a'), (2, 'b')")
	db := openSmallStrata(t, 2)
	ctx := ctxFor(t)
	reader, other := testenv.Conn(t, db), testenv.Conn(t, db)
	if _, err := reader.ExecContext(ctx, "HANDLER blog.handled OPEN AS h"); err != nil {
		t.Fatal(err)
	}
	// Another client's transaction takes a primary connection and keeps it.
	for _, q := range []string{"BEGIN", "INSERT INTO handled VALUES (3, 'c')"} {
		if _, err := other.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if got := queryStrings(t, reader, "HANDLER h READ `PRIMARY` FIRST"); len(got) != 1 || got[0] != "1|a" {
		t.Fatalf("HANDLER h READ FIRST = %q, want 1|a", got)
	}
	if got := queryStrings(t, reader, "HANDLER h READ `PRIMARY` NEXT"); len(got) != 1 || got[0] != "2|b" {
		t.Fatalf("HANDLER h READ NEXT = %q, want 2|b", got)
	}
	if _, err := reader.ExecContext(ctx, "HANDLER h CLOSE"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
}
