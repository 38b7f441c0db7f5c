package sharding

import (
	"database/sql"
	"slices"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A client whose character set cannot hold a value (utf8mb3 and an
// emoji) receives it as '?', as from one server; but the servers sorted
// and grouped the stored value, which the '?' does not show. Strata reads
// such a merge in UTF-8 and converts what it sends, so the client gets
// one server's order and groups. (Before, it stopped with error 1235
// after the rows in order, which it still does where it cannot read the
// client's character set: TestTextMergesInTheClientsCharacterSet.)
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
	for _, tc := range []struct {
		charset       string
		sorted, group []string
	}{
		{"utf8mb4", []string{"merge-a", "merge-b", "merge-🚀", "merge-🚀"}, []string{"merge-a|1", "merge-b|1", "merge-🚀|2"}},
		{"utf8", []string{"merge-a", "merge-b", "merge-?", "merge-?"}, []string{"merge-a|1", "merge-b|1", "merge-?|2"}},
	} {
		conn := testenv.Conn(t, openStrataDSN(t, "charset="+tc.charset))
		if got := testenv.Strings(t, conn, sorted); !slices.Equal(got, tc.sorted) {
			t.Errorf("%s: %s = %q, want %q", tc.charset, sorted, got, tc.sorted)
		}
		if got := testenv.Strings(t, conn, grouped); !slices.Equal(got, tc.group) {
			t.Errorf("%s: %s = %q, want %q", tc.charset, grouped, got, tc.group)
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

// ORDER BY an alias of a column that follows a * (an ORM's "SELECT e.*,
// (SELECT COUNT(*) ...) AS likes_count ... ORDER BY likes_count DESC")
// sorts by that column, as on one server. Before, Strata asked each
// shard for the alias as a column of its own select list, and the
// statement failed with error 1054 from the shard.
func TestOrderByAnAliasAfterAStar(t *testing.T) {
	db := strataDB(t)
	sameAsOneServerCases(t, db, []oneServerCase{
		{"a co-sharded count", "SELECT e.*, (SELECT COUNT(*) FROM entry_likes l WHERE l.entry_id = e.id) AS likes_count FROM entries e ORDER BY likes_count DESC, e.id LIMIT 5", 5, nil},
		{"an expression", "SELECT *, score * 2 AS s2 FROM entries ORDER BY s2 DESC, id LIMIT 4", 4, nil},
		{"a renamed column", "SELECT *, title AS t FROM entries WHERE title IS NOT NULL ORDER BY t DESC, id LIMIT 4", 4, nil},
		{"prepared", "SELECT e.*, score + ? AS s FROM entries e WHERE score > ? ORDER BY s, id LIMIT 3", 3, []any{5, 10}},
	})
}
