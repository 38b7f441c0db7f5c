package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Proof from the servers' own counters: which shards a statement ran on
// (SHOW GLOBAL STATUS Com_select/Com_insert/...; the sandbox runs without
// query cache so every SELECT counts) and which tables it read
// (userstat's information_schema.TABLE_STATISTICS rows_read).

func globalStatus(t testing.TB, cluster, name string) int64 {
	t.Helper()
	var k string
	var v int64
	// SHOW does not count as a SELECT.
	if err := direct[cluster].QueryRow("SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&k, &v); err != nil {
		t.Fatalf("%s: status %s: %v", cluster, name, err)
	}
	return v
}

func shardStatus(t testing.TB, name string) map[string]int64 {
	out := map[string]int64{}
	for _, s := range shardNames {
		out[s] = globalStatus(t, s, name)
	}
	return out
}

func deltaOf(before, after map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for k, v := range after {
		d[k] = v - before[k]
	}
	return d
}

func showDelta(d map[string]int64) string {
	var keys []string
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s:%d", k, d[k]))
	}
	return strings.Join(parts, " ")
}

// expectTouched runs fn (which sends n statements) and checks from counter
// that exactly the shards in want ran them: each at least n times, every
// other shard not at all. Strata's monitor probes every server with a
// SELECT every 10s, so a count on another shard may be noise: the
// measurement is repeated, and only a shard that counts in every attempt
// fails it (n or more times: it was queried; fewer: it keeps counting).
// A scatter shows in every attempt; a probe rarely twice in a row.
func expectTouched(t *testing.T, counter string, n int, want []string, fn func()) {
	t.Helper()
	var d map[string]int64
	for attempt := 0; attempt < 3; attempt++ {
		before := shardStatus(t, counter)
		fn()
		d = deltaOf(before, shardStatus(t, counter))
		ok, noise := true, false
		for _, s := range shardNames {
			switch {
			case slices.Contains(want, s) && d[s] < int64(n):
				ok = false
			case !slices.Contains(want, s) && d[s] > 0:
				noise = true
			}
		}
		if !ok {
			t.Fatalf("%s: want at least %d on each of %v: %s", counter, n, want, showDelta(d))
		}
		if !noise {
			return
		}
	}
	for _, s := range shardNames {
		if !slices.Contains(want, s) && d[s] >= int64(n) {
			t.Fatalf("%s on %s: %d for %d statements: a shard the keys do not need was queried (want only %v): %s",
				counter, s, d[s], n, want, showDelta(d))
		}
	}
	t.Fatalf("%s: shards outside %v keep counting: %s", counter, want, showDelta(d))
}

// sameAnswer checks that Strata and the single server agree on query.
func sameAnswer(t *testing.T, db *sql.DB, query string, mode compareMode, orderCols ...int) {
	t.Helper()
	ctx := context.Background()
	want, err := runQuery(ctx, singleBlog, query)
	if err != nil {
		t.Fatalf("single: %s: %v", query, err)
	}
	got, err := runQuery(ctx, db, query)
	if err != nil {
		t.Fatalf("Strata: %s: %v", query, err)
	}
	if d := compareResults(&genQuery{mode: mode, orderCols: orderCols}, got, want); d != "" {
		t.Fatalf("%s: %s", query, d)
	}
}

func run(t *testing.T, db *sql.DB, n int, query string) func() {
	return func() {
		for range n {
			rows, err := db.Query(query)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			for rows.Next() {
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			rows.Close()
		}
	}
}

// keysOn returns up to n distinct key literals of t owned by shard s.
func keysOn(tb *tableDef, s string, n int) []string {
	var out []string
	for _, r := range tb.rows {
		if k := r[tb.key]; tb.ownerOf(r) == s && !slices.Contains(out, k) {
			out = append(out, k)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// A query with the shard key = a value runs on the one shard owning it,
// for every method, and answers like the single server.
func TestKeyedSelectTouchesOneShard(t *testing.T) {
	db := strataDB(t)
	const n = 10
	for _, name := range ds.order {
		tb := ds.tables[name]
		if tb.key < 0 {
			continue
		}
		for _, s := range shardNames {
			keys := keysOn(tb, s, 1)
			if len(keys) == 0 {
				continue
			}
			q := fmt.Sprintf("SELECT * FROM %s WHERE %s = %s", name, tb.cols[tb.key].name, keys[0])
			t.Run(name+"/"+s, func(t *testing.T) {
				sameAnswer(t, db, q, multiset)
				expectTouched(t, "Com_select", n, []string{s}, run(t, db, n, q))
				explainShards(t, db, q, []string{s})
			})
		}
	}
}

// An IN list on the shard key runs on the shards of its values only;
// ranges on ordered methods run on the shards the range overlaps.
func TestInListAndRangeTouchOnlyTheirShards(t *testing.T) {
	db := strataDB(t)
	const n = 10
	for _, name := range ds.order {
		tb := ds.tables[name]
		if tb.key < 0 {
			continue
		}
		// Two shards at a time: (s0,s2), (s1,s3), (s3,s0).
		for _, pair := range [][2]string{{"s0", "s2"}, {"s1", "s3"}, {"s3", "s0"}} {
			a, b := keysOn(tb, pair[0], 2), keysOn(tb, pair[1], 2)
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			in := append(append([]string{}, a[0], b[0]), a[1:]...)
			in = append(in, b[1:]...)
			q := fmt.Sprintf("SELECT * FROM %s WHERE %s IN (%s)", name, tb.cols[tb.key].name, strings.Join(in, ", "))
			t.Run(name+"/in "+pair[0]+","+pair[1], func(t *testing.T) {
				sameAnswer(t, db, q, multiset)
				expectTouched(t, "Com_select", n, pair[:], run(t, db, n, q))
				explainShards(t, db, q, pair[:])
			})
		}
	}
	b := times.bounds
	month := func(i int) string { return times.months[i].Format(time.DateOnly) }
	ranges := []struct {
		q    string
		want []string
	}{
		{"SELECT * FROM events WHERE id BETWEEN 1100 AND 1900", []string{"s1"}},
		{"SELECT * FROM events WHERE id >= 1500 AND id < 2500", []string{"s1", "s2"}},
		{"SELECT * FROM events WHERE id >= 3000", []string{"s3"}},
		{"SELECT * FROM events WHERE id < 1000", []string{"s0"}},
		// members is placed by the bytes of username, a _ci column: 'Hank'
		// is stored below "g" with the capitals, but lies between 'h' and
		// 'k' for the server, so a range reads every shard.
		{"SELECT * FROM members WHERE username BETWEEN 'h' AND 'k'", []string{"s0", "s1", "s2", "s3"}},
		{"SELECT * FROM members WHERE username < 'g'", []string{"s0", "s1", "s2", "s3"}},
		{fmt.Sprintf("SELECT * FROM posts WHERE created_at >= '%s' AND created_at < '%s'", month(7), month(9)), []string{"s1"}},
		{fmt.Sprintf("SELECT * FROM posts WHERE created_at BETWEEN '%s' AND '%s 12:00:00'", month(2), b[0].Format(time.DateOnly)), []string{"s0", "s1"}},
		{fmt.Sprintf("SELECT * FROM posts WHERE created_at >= '%s'", month(20)), []string{"s3"}},
	}
	for _, r := range ranges {
		t.Run(r.q, func(t *testing.T) {
			sameAnswer(t, db, r.q, multiset)
			expectTouched(t, "Com_select", n, r.want, run(t, db, n, r.q))
			explainShards(t, db, r.q, r.want)
		})
	}
}

// postsReads is rows_read of every posts_* table on every shard.
func postsReads(t *testing.T) map[string]int64 {
	out := map[string]int64{}
	for _, s := range shardNames {
		rows, err := direct[s].Query("SELECT TABLE_NAME, ROWS_READ FROM information_schema.TABLE_STATISTICS WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME LIKE 'posts%'")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			var n int64
			if err := rows.Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			out[s+"."+name] += n
		}
		rows.Close()
	}
	return out
}

// "The last 5 posts" over 24 monthly tables reads the newest table only
// (and the pre-created, still empty one of next month), proven from each
// table's rows_read; "the first 5" reads the oldest only.
func TestLastPostsReadOnlyNewestTable(t *testing.T) {
	db := strataDB(t)
	tables := times.postsTables() // newest first: ahead, current, ...
	cases := []struct {
		name, q string
		allowed []string // shard.table that may be read
		shard   string
	}{
		{"last 5", "SELECT id, created_at, title FROM posts ORDER BY created_at DESC LIMIT 5",
			[]string{tables[0].Shard + "." + tables[0].Table, tables[1].Shard + "." + tables[1].Table}, tables[1].Shard},
		{"first 5", "SELECT id, created_at, title FROM posts ORDER BY created_at LIMIT 5",
			[]string{tables[len(tables)-1].Shard + "." + tables[len(tables)-1].Table}, tables[len(tables)-1].Shard},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// created_at may tie at the 5th row: compare the created_at sequence.
			ctx := context.Background()
			want, err := runQuery(ctx, singleBlog, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := runQuery(ctx, db, tc.q)
			if err != nil {
				t.Fatalf("Strata: %v", err)
			}
			if d := compareResults(&genQuery{mode: ordered, orderCols: []int{0}}, onlyCol(got, 1), onlyCol(want, 1)); d != "" {
				t.Fatalf("%s: %s", tc.q, d)
			}
			const n = 5
			before := postsReads(t)
			expectTouched(t, "Com_select", n, []string{tc.shard}, run(t, db, n, tc.q))
			after := postsReads(t)
			read := map[string]int64{}
			for k, v := range after {
				if v != before[k] {
					read[k] = v - before[k]
				}
			}
			if len(read) == 0 {
				t.Fatalf("no posts table was read")
			}
			for k, v := range read {
				if !slices.Contains(tc.allowed, k) {
					t.Errorf("%s read %d rows of %s; only %v may be read", tc.q, v, k, tc.allowed)
				}
			}
			t.Logf("rows read: %v", read)
		})
	}
}

func onlyCol(r *result, c int) *result {
	out := &result{cols: []string{r.cols[c]}}
	for _, row := range r.rows {
		out.rows = append(out.rows, []string{row[c]})
	}
	return out
}

// explainShards is a secondary check through EXPLAIN STRATA (rows with a
// "cluster" column): the shards it names must be want.
func explainShards(t *testing.T, db *sql.DB, q string, want []string) {
	t.Helper()
	res, err := runQuery(context.Background(), db, "EXPLAIN STRATA "+q)
	if err != nil {
		t.Errorf("EXPLAIN STRATA %s: %v", q, err)
		return
	}
	col := slices.Index(res.cols, "cluster")
	if col < 0 {
		t.Errorf("EXPLAIN STRATA has no cluster column: %q", res.cols)
		return
	}
	var got []string
	for _, r := range res.rows {
		if s := r[col]; s != nullText && s != "" && !slices.Contains(got, s) {
			got = append(got, s)
		}
	}
	slices.Sort(got)
	w := slices.Sorted(slices.Values(want))
	if !slices.Equal(got, w) {
		t.Errorf("EXPLAIN STRATA %s names shards %v, want %v", q, got, w)
	}
}
