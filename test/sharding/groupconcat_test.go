package sharding

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// GROUP_CONCAT of groups split between shards merges the shards' lists:
// ordered by its own value (numbers as numbers, text by its collation),
// DISTINCT across shards, with the client's separator, as one server
// answers; without ORDER BY the same elements, in the shards' order.
// Lists Strata cannot split exactly, or that would pass
// group_concat_max_len, are refused, never cut or mixed up.
func TestGroupConcatMergesFromShards(t *testing.T) {
	db := strataDB(t)
	sameAsOneServerCases(t, db, []oneServerCase{
		{"ordered numbers", "SELECT kind, GROUP_CONCAT(qty ORDER BY qty) FROM events WHERE id < 1500 GROUP BY kind ORDER BY kind", 3, nil},
		{"distinct decimals, descending, own separator", "SELECT qty, GROUP_CONCAT(DISTINCT amount ORDER BY amount DESC SEPARATOR ' | ') AS amounts FROM events GROUP BY qty ORDER BY qty", 3, nil},
		{"ordered text by its collation", "SELECT karma, GROUP_CONCAT(username ORDER BY username SEPARATOR ';') FROM members WHERE age > 60 GROUP BY karma ORDER BY karma", 2, nil},
		{"with other aggregates, prepared", "SELECT qty, COUNT(*), GROUP_CONCAT(DISTINCT qty * 10 ORDER BY qty * 10) FROM events WHERE id > ? GROUP BY qty ORDER BY qty", 3, []any{100}},
		{"no rows", "SELECT GROUP_CONCAT(kind ORDER BY kind) FROM events WHERE id < 0", 1, nil},
	})

	// Without ORDER BY: the same elements, in an order of the shards'.
	q := "SELECT qty, GROUP_CONCAT(id) FROM events WHERE id % 7 = 0 GROUP BY qty ORDER BY qty"
	got, want := testenv.Strings(t, db, q), testenv.Strings(t, singleBlog, q)
	if len(got) != len(want) || len(want) < 3 {
		t.Fatalf("%s: %d groups, single server %d", q, len(got), len(want))
	}
	for i := range want {
		if g, w := sortedList(got[i]), sortedList(want[i]); g != w {
			t.Fatalf("%s: group %d holds %s, single server %s", q, i, g, w)
		}
	}
	plan := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA "+q), "\n")
	if strings.Contains(plan, "reads each table's rows") || !strings.Contains(plan, "0x1F") {
		t.Errorf("not merged from the shards' lists:\n%s", plan)
	}

	// A value holding the byte 0x1F cannot be split out of a list again.
	id := freeEventIDs(3001, 4000, 1)[0]
	mustExec(t, db, "INSERT INTO events (id, kind, qty) VALUES ("+strconv.Itoa(id)+", X'611F62', 77)")
	cleanup(t, "events", "id = "+strconv.Itoa(id))
	err := queryErr(t, db, "SELECT qty, GROUP_CONCAT(kind) FROM events WHERE qty IN (1, 77) GROUP BY qty")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "0x1F") {
		t.Fatalf("a value holding 0x1F: %v, want error 1235 naming it", err)
	}

	// Past group_concat_max_len one server cuts the list with a warning;
	// Strata refuses rather than cut it elsewhere.
	conn := testenv.Conn(t, db)
	mustExec(t, conn, "SET SESSION group_concat_max_len = 40")
	_, err = conn.QueryContext(testenv.Ctx(t), "SELECT GROUP_CONCAT(id ORDER BY id) FROM events")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "group_concat_max_len") {
		t.Fatalf("a list longer than group_concat_max_len: %v, want error 1235 naming it", err)
	}
}

// sortedList is a "group|a,b,c" row with its list sorted.
func sortedList(row string) string {
	group, list, _ := strings.Cut(row, "|")
	parts := strings.Split(list, ",")
	slices.Sort(parts)
	return group + "|" + strings.Join(parts, ",")
}
