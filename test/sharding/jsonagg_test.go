package sharding

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// jsonParts renders a JSON array's elements (an object's "key":value
// pairs) as the server wrote them, sorted: JSON_ARRAYAGG and
// JSON_OBJECTAGG promise no order, so one server's and Strata's answers
// hold the same parts in orders of their own.
func jsonParts(t *testing.T, text string) string {
	t.Helper()
	if text == "NULL" {
		return text
	}
	var parts []string
	if strings.HasPrefix(text, "{") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		for k, v := range m {
			parts = append(parts, k+":"+string(v))
		}
	} else {
		var a []json.RawMessage
		if err := json.Unmarshal([]byte(text), &a); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		for _, v := range a {
			parts = append(parts, string(v))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// JSON_ARRAYAGG and JSON_OBJECTAGG of groups split between shards join
// the shards' arrays (objects): the same elements, as one server writes
// them, with other aggregates beside; a value near group_concat_max_len,
// where one server would cut it, is refused. Before, Strata read every
// row (at most limits.max_pulled_rows) and ran the statement on one
// server.
func TestJSONAggregatesMergeFromShards(t *testing.T) {
	db := strataDB(t)
	cases := []struct {
		query   string
		jsonCol int // the column whose parts are compared unordered
		minRows int
		args    []any // bound: a prepared statement, answered in binary rows
	}{
		{"SELECT kind, JSON_ARRAYAGG(qty), COUNT(*) FROM events WHERE id % 40 = 3 GROUP BY kind ORDER BY kind", 1, 4, nil},
		{"SELECT qty, JSON_ARRAYAGG(amount) AS amounts FROM events WHERE id % 25 = 1 GROUP BY qty ORDER BY qty", 1, 5, nil},
		{"SELECT JSON_ARRAYAGG(kind) FROM events WHERE id % 90 = 7", 0, 1, nil},
		{"SELECT JSON_OBJECTAGG(id, amount) FROM events WHERE id % 150 = 1", 0, 1, nil},
		{"SELECT JSON_ARRAYAGG(happened), MAX(id) FROM events WHERE id < 0", 0, 1, nil},
		// Grouped by the shard key: each group is whole on a shard, which
		// answers it as written.
		{"SELECT entry_id, JSON_ARRAYAGG(votes) FROM comments WHERE entry_id < 12 GROUP BY entry_id ORDER BY entry_id", 1, 10, nil},
		{"SELECT qty, JSON_OBJECTAGG(id, kind) FROM events WHERE id % ? = 2 GROUP BY qty ORDER BY qty", 1, 5, []any{30}},
	}
	for _, tc := range cases {
		got, want := testenv.Strings(t, db, tc.query, tc.args...), testenv.Strings(t, singleBlog, tc.query, tc.args...)
		if len(got) != len(want) || len(want) < tc.minRows {
			t.Fatalf("%s: %d rows, single server %d", tc.query, len(got), len(want))
		}
		for i := range want {
			g, w := strings.Split(got[i], "|"), strings.Split(want[i], "|")
			g[tc.jsonCol], w[tc.jsonCol] = jsonParts(t, g[tc.jsonCol]), jsonParts(t, w[tc.jsonCol])
			// A group of kinds equal under the collation ('buy', 'Buy')
			// shows one of them, whichever row came first.
			if !slices.EqualFunc(g, w, strings.EqualFold) {
				t.Fatalf("%s: row %d is %q, single server %q", tc.query, i, g, w)
			}
		}
	}
	plan := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA "+cases[0].query), "\n")
	if strings.Contains(plan, "reads each table's rows") || !strings.Contains(plan, "group_concat_max_len") {
		t.Errorf("not merged from the shards' arrays:\n%s", plan)
	}

	// Near group_concat_max_len one server cuts the value with a warning;
	// Strata refuses rather than cut it elsewhere.
	conn := testenv.Conn(t, db)
	mustExec(t, conn, "SET SESSION group_concat_max_len = 60")
	rows, err := conn.QueryContext(testenv.Ctx(t), "SELECT JSON_ARRAYAGG(id) FROM events WHERE id % 10 = 0")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "group_concat_max_len") {
		t.Fatalf("a value longer than group_concat_max_len: %v, want error 1235 naming it", err)
	}
	// Inside an expression the arrays are not joined first: Strata reads
	// the rows and runs the statement on one server.
	q := "SELECT JSON_LENGTH(JSON_ARRAYAGG(id)), COUNT(*) FROM events WHERE id % 100 = 0"
	if got, want := testenv.Strings(t, db, q), testenv.Strings(t, singleBlog, q); !slices.Equal(got, want) {
		t.Fatalf("%s: %q, single server %q", q, got, want)
	}
}
