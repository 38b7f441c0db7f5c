package sharding

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// statusRows reads SHOW TABLE STATUS as name → column → value.
func statusRows(t *testing.T, q testenv.Querier, query string) map[string]map[string]string {
	t.Helper()
	rows, err := q.QueryContext(testenv.Ctx(t), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]map[string]string{}
	for rows.Next() {
		vals := make([]*string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for i, c := range cols {
			if vals[i] != nil {
				m[c] = *vals[i]
			}
		}
		out[m["Name"]] = m
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// SHOW TABLE STATUS through Strata lists every table once, as one server
// holding them all would: the default cluster's own, and each placed
// table with its figures where its rows are, a sharded table's summed
// over its shards (and a date table's period tables). Before, it listed
// the default cluster's tables only, and LIKE 'events' one shard's
// figures.
func TestShowTableStatusSumsTheShards(t *testing.T) {
	db := strataDB(t)
	got := statusRows(t, db, "SHOW TABLE STATUS")
	for _, name := range []string{"events", "comments", "posts", "users", "countries", "order_customer"} {
		if got[name] == nil {
			t.Fatalf("SHOW TABLE STATUS lists no %s: %v", name, slices.Sorted(maps.Keys(got)))
		}
	}
	for name := range got {
		if strings.HasPrefix(name, "posts_") {
			t.Fatalf("SHOW TABLE STATUS lists the period table %s", name)
		}
	}
	sum := func(table, col string, period bool) int {
		n := 0
		for _, s := range shardNames {
			for name, r := range statusRows(t, direct[s], "SHOW TABLE STATUS FROM blog") {
				if name == table || period && strings.HasPrefix(name, table+"_") {
					v, _ := strconv.Atoi(r[col])
					n += v
				}
			}
		}
		return n
	}
	for _, tc := range []struct {
		table  string
		period bool
	}{{"events", false}, {"comments", false}, {"posts", true}} {
		for _, col := range []string{"Rows", "Data_length", "Index_length"} {
			if want := sum(tc.table, col, tc.period); got[tc.table][col] != strconv.Itoa(want) || (want == 0 && col != "Index_length") {
				t.Errorf("%s %s = %s, the shards hold %d", tc.table, col, got[tc.table][col], want)
			}
		}
	}
	if got["events"]["Engine"] != "InnoDB" {
		t.Errorf("events Engine = %q", got["events"]["Engine"])
	}
	// LIKE: the matching tables, summed the same way.
	like := statusRows(t, db, "SHOW TABLE STATUS LIKE 'ev%'")
	if len(like) != 1 || like["events"]["Rows"] != got["events"]["Rows"] {
		t.Fatalf("SHOW TABLE STATUS LIKE 'ev%%': %v", like)
	}
	// WHERE compares the summed figures, as one server holding the whole
	// table would: a condition no shard's part meets alone still lists
	// the table.
	rows, _ := strconv.Atoi(got["events"]["Rows"])
	most := 0
	for _, s := range shardNames {
		n, _ := strconv.Atoi(statusRows(t, direct[s], "SHOW TABLE STATUS FROM blog LIKE 'events'")["events"]["Rows"])
		most = max(most, n)
	}
	if most >= rows {
		t.Fatalf("one shard holds %d of events' %d rows: the test needs them spread", most, rows)
	}
	where := statusRows(t, db, "SHOW TABLE STATUS WHERE Name IN ('events', 'users', 'posts') AND `Rows` > "+strconv.Itoa(most))
	if where["events"] == nil || where["events"]["Rows"] != got["events"]["Rows"] {
		t.Errorf("SHOW TABLE STATUS WHERE Rows > %d (more than any shard holds): %v, want events with %d rows", most, slices.Sorted(maps.Keys(where)), rows)
	}
	for name := range where {
		if n, _ := strconv.Atoi(got[name]["Rows"]); n <= most || !slices.Contains([]string{"events", "users", "posts"}, name) {
			t.Errorf("SHOW TABLE STATUS WHERE lists %s (%d rows)", name, n)
		}
	}
	if none := statusRows(t, db, "SHOW TABLE STATUS FROM blog WHERE `Rows` > "+strconv.Itoa(rows)+" AND Name = 'events'"); len(none) != 0 {
		t.Errorf("SHOW TABLE STATUS WHERE Rows > all of events: %v", none)
	}
	one := statusRows(t, db, "SHOW TABLE STATUS LIKE 'events'")
	if one["events"]["Rows"] != got["events"]["Rows"] {
		t.Fatalf("SHOW TABLE STATUS LIKE 'events': %v rows, want %s", one["events"]["Rows"], got["events"]["Rows"])
	}
}
