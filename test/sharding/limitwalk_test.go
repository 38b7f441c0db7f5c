package sharding

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// freeEventIDs are n events ids inside [lo, hi) that no loaded row has,
// in ascending order.
func freeEventIDs(lo, hi, n int) []int {
	used := map[string]bool{}
	for _, r := range ds.tables["events"].rows {
		used[r[0]] = true
	}
	var out []int
	for id := hi - 1; id >= lo && len(out) < n; id-- {
		if !used[strconv.Itoa(id)] {
			out = append(out, id)
		}
	}
	if len(out) < n {
		panic("not enough free events ids")
	}
	slices.Sort(out)
	return out
}

// UPDATE and DELETE with LIMIT but without the shard key (a cron job that
// purges old rows in batches) walk the shards one after the other, each
// with what is left of the LIMIT: as many rows as one server would
// change, and under ORDER BY the shard key of a range table the same
// rows. Before, they were refused.
func TestLimitedWritesWalkTheShards(t *testing.T) {
	db := strataDB(t)
	var ids []int // three new events on each shard, ascending
	for _, lo := range []int{0, 1000, 2000, 3000} {
		ids = append(ids, freeEventIDs(lo+1, lo+1000, 3)...)
	}
	var list []string
	for _, id := range ids {
		list = append(list, strconv.Itoa(id))
	}
	inList := "id IN (" + strings.Join(list, ", ") + ")"
	cleanup(t, "events", inList)
	fill := func(t *testing.T) {
		t.Helper()
		mustExec(t, db, "DELETE FROM events WHERE "+inList)
		var rows []string
		for _, id := range ids {
			rows = append(rows, fmt.Sprintf("(%d, 'lim', 0)", id))
		}
		mustExec(t, db, "INSERT INTO events (id, kind, qty) VALUES "+strings.Join(rows, ", "))
	}
	left := func(t *testing.T, cond string) []int {
		t.Helper()
		var out []int
		for _, s := range testenv.Strings(t, db, "SELECT id FROM events WHERE "+inList+" AND "+cond+" ORDER BY id") {
			n, _ := strconv.Atoi(s)
			out = append(out, n)
		}
		return out
	}
	affected := func(t *testing.T, query string, args ...any) int64 {
		t.Helper()
		res, err := db.ExecContext(testenv.Ctx(t), query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		n, _ := res.RowsAffected()
		return n
	}

	t.Run("DELETE LIMIT without ORDER BY", func(t *testing.T) {
		fill(t)
		if n := affected(t, "DELETE FROM events WHERE kind = 'lim' AND "+inList+" LIMIT 5"); n != 5 {
			t.Fatalf("DELETE ... LIMIT 5 deleted %d rows", n)
		}
		if got := left(t, "TRUE"); len(got) != 7 {
			t.Fatalf("%d rows left of 12, want 7", len(got))
		}
		if n := affected(t, "DELETE FROM events WHERE kind = ? AND "+inList+" LIMIT ?", "lim", 100); n != 7 {
			t.Fatalf("prepared DELETE ... LIMIT 100 deleted %d rows, want the 7 left", n)
		}
	})

	t.Run("ORDER BY the range key", func(t *testing.T) {
		fill(t)
		// The 4 smallest ids: all of s0's and the first of s1's.
		if n := affected(t, "DELETE FROM events WHERE kind = 'lim' AND "+inList+" ORDER BY id LIMIT 4"); n != 4 {
			t.Fatalf("DELETE ... ORDER BY id LIMIT 4 deleted %d rows", n)
		}
		if got := left(t, "TRUE"); !slices.Equal(got, ids[4:]) {
			t.Fatalf("rows left %v, want the 8 largest %v", got, ids[4:])
		}
		// The 2 largest, prepared, from the last shard down.
		if n := affected(t, "UPDATE events SET qty = 7 WHERE kind = 'lim' AND "+inList+" ORDER BY id DESC LIMIT ?", 2); n != 2 {
			t.Fatalf("UPDATE ... ORDER BY id DESC LIMIT 2 changed %d rows", n)
		}
		if got := left(t, "qty = 7"); !slices.Equal(got, ids[10:]) {
			t.Fatalf("updated %v, want the 2 largest %v", got, ids[10:])
		}
		// LIMIT counts the rows an UPDATE matched, changed or not: the
		// two already 7 take two of the three, so one more row changes,
		// the largest of the rest.
		if n := affected(t, "UPDATE events SET qty = 7 WHERE kind = 'lim' AND "+inList+" ORDER BY id DESC LIMIT 3"); n != 1 {
			t.Fatalf("UPDATE ... LIMIT 3 over 2 unchanged rows changed %d rows, want 1 (as one server)", n)
		}
		if got := left(t, "qty = 7"); !slices.Equal(got, ids[9:]) {
			t.Fatalf("updated %v, want %v", got, ids[9:])
		}
	})

	t.Run("ORDER BY an expression", func(t *testing.T) {
		// The first rows by id % 1000 interleave the shards' ranges.
		fill(t)
		byOffset := slices.Clone(ids)
		slices.SortStableFunc(byOffset, func(a, b int) int { return cmp.Or(cmp.Compare(b%1000, a%1000), cmp.Compare(a, b)) })
		if n := affected(t, "DELETE FROM events WHERE kind = 'lim' AND "+inList+" ORDER BY id % 1000 DESC, id LIMIT 5"); n != 5 {
			t.Fatalf("DELETE ... ORDER BY id %% 1000 DESC, id LIMIT 5 deleted %d rows", n)
		}
		want := slices.Sorted(slices.Values(byOffset[5:]))
		if got := left(t, "TRUE"); !slices.Equal(got, want) {
			t.Fatalf("left %v, want %v", got, want)
		}
	})

	t.Run("refused", func(t *testing.T) {
		fill(t)
		_, err := db.ExecContext(testenv.Ctx(t), "DELETE FROM countries WHERE code = 'QQ' LIMIT 1")
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "copies") {
			t.Fatalf("LIMIT without ORDER BY on a reference table: %v, want error 1235", err)
		}
	})

	t.Run("date table in period order", func(t *testing.T) {
		posts := ds.tables["posts"]
		rows := testRows()["posts"] // oldest first, on every shard
		var keys []string
		for _, r := range rows {
			cleanup(t, posts.physical(r), where(posts, r))
			keys = append(keys, r[posts.pk])
		}
		mustExec(t, db, insertSQL(posts, rows...))
		if n := affected(t, "DELETE FROM posts WHERE id IN ("+strings.Join(keys, ", ")+") ORDER BY created_at LIMIT 2"); n != 2 {
			t.Fatalf("DELETE ... ORDER BY created_at LIMIT 2 deleted %d rows", n)
		}
		got := testenv.Strings(t, db, "SELECT id FROM posts WHERE id IN ("+strings.Join(keys, ", ")+") ORDER BY created_at")
		if !slices.Equal(got, keys[2:]) {
			t.Fatalf("posts left %v, want the two newest %v", got, keys[2:])
		}
	})
}
