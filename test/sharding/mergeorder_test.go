package sharding

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A client whose character set cannot hold a value (utf8mb3 and an
// emoji) receives it as '?', which sorts elsewhere than the value the
// servers sorted. Strata must not merge such rows out of order or split a
// group: it stops with an error that says why — after the rows it sent, in
// place of the next one, as a server does — and the session goes on. With
// utf8mb4 the same statements merge right.
func TestMergeOfValuesTheConnectionCannotHold(t *testing.T) {
	strataDB(t)
	cleanup(t, "members", "username LIKE '%\\_merge'")
	mustExec(t, testenv.Conn(t, strataDB(t)), "INSERT INTO members (username, nick) VALUES "+
		"('aa_merge', 'merge-a'), ('ab_merge', 'merge-🚀'), ('hh_merge', 'merge-b'), ('hi_merge', 'merge-🚀')")
	if got := holders(t, "members", "username LIKE '%\\_merge'"); len(got) != 2 {
		t.Fatalf("the test rows are on %v: the test needs them on two shards", got)
	}
	const (
		sorted  = "SELECT nick FROM members WHERE nick LIKE 'merge-%' ORDER BY nick"
		grouped = "SELECT nick, COUNT(*) FROM members WHERE nick LIKE 'merge-%' GROUP BY nick ORDER BY nick"
	)

	full := testenv.Conn(t, openStrataDSN(t, "charset=utf8mb4"))
	if got := testenv.Strings(t, full, sorted); !slices.Equal(got, []string{"merge-a", "merge-b", "merge-🚀", "merge-🚀"}) {
		t.Fatalf("utf8mb4: %s = %q", sorted, got)
	}
	if got := testenv.Strings(t, full, grouped); !slices.Equal(got, []string{"merge-a|1", "merge-b|1", "merge-🚀|2"}) {
		t.Fatalf("utf8mb4: %s = %q", grouped, got)
	}

	mb3 := testenv.Conn(t, openStrataDSN(t, "charset=utf8"))
	id := testenv.Strings(t, mb3, "SELECT CONNECTION_ID()")
	for _, q := range []string{sorted, grouped} {
		rows, err := mb3.QueryContext(testenv.Ctx(t), q)
		var got []string
		if err == nil {
			for rows.Next() {
				var nick string
				var n *int
				if strings.Contains(q, "COUNT") {
					err = rows.Scan(&nick, &n)
				} else {
					err = rows.Scan(&nick)
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, nick)
			}
			err = rows.Err()
			rows.Close()
		}
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "SET NAMES utf8mb4") {
			t.Fatalf("utf8mb3: %s = %q, %v; want error 1235 saying to use utf8mb4", q, got, err)
		}
		if after := testenv.Strings(t, mb3, "SELECT CONNECTION_ID()"); !slices.Equal(after, id) {
			t.Fatalf("utf8mb3: after the error the session is %v, want the same one %v", after, id)
		}
	}
}

// openStrataDSN opens the shared Strata with extra DSN parameters.
func openStrataDSN(t testing.TB, params string) *sql.DB {
	db, err := sql.Open("mysql", "app:app@tcp("+strataAddr+")/blog?"+params)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
