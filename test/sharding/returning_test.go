package sharding

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// oneEventPerShard picks a free events id on each of the four shards,
// removed again after the test: owners tells which shards hold a row of
// each now, wantOwners which shard each belongs on.
func oneEventPerShard(t *testing.T) (ids []string, owners func() []string, wantOwners []string) {
	events := ds.tables["events"]
	for _, lo := range []int{0, 1000, 2000, 3000} {
		id := freeEventID(lo+1, lo+1000)
		ids = append(ids, id)
		wantOwners = append(wantOwners, events.ownerOfKey(id))
	}
	cleanup(t, "events", "id IN ("+strings.Join(ids, ", ")+")")
	owners = func() []string {
		var out []string
		for _, id := range ids {
			out = append(out, strings.Join(holders(t, "events", "id = "+id), ","))
		}
		return out
	}
	return ids, owners, wantOwners
}

// MariaDB's INSERT/REPLACE/DELETE ... RETURNING on sharded tables: each
// shard runs its part with the clause, and the client gets one result set
// of every shard's rows, in text and prepared statements, as one server
// holding the table would answer; a part that fails leaves nothing
// written.
func TestReturningOnShardedTables(t *testing.T) {
	db := strataDB(t)
	ids, owners, wantOwners := oneEventPerShard(t)
	events := ds.tables["events"]

	t.Run("insert over every shard", func(t *testing.T) {
		for _, prepared := range []bool{false, true} {
			// The VALUES list is not in shard order: the rows come back
			// in its order, as from one server.
			q := fmt.Sprintf("INSERT INTO events (id, kind, qty) VALUES (%s, 'ret', 4), (%s, 'ret', 2), (%s, 'ret', 1), (%s, 'ret', 3) RETURNING id, kind, qty * 10 AS q10", ids[3], ids[1], ids[0], ids[2])
			var got []string
			if prepared {
				got = testenv.Strings(t, db, "INSERT INTO events (id, kind, qty) VALUES (?, 'ret', 4), (?, 'ret', 2), (?, 'ret', 1), (?, 'ret', 3) RETURNING id, kind, qty * 10 AS q10", ids[3], ids[1], ids[0], ids[2])
			} else {
				got = testenv.Strings(t, db, q)
			}
			want := []string{ids[3] + "|ret|40", ids[1] + "|ret|20", ids[0] + "|ret|10", ids[2] + "|ret|30"}
			if !slices.Equal(got, want) {
				t.Fatalf("prepared %v: RETURNING rows %q, want %q", prepared, got, want)
			}
			if o := owners(); !slices.Equal(o, wantOwners) {
				t.Fatalf("prepared %v: rows are on %q, want %q", prepared, o, wantOwners)
			}
			// DELETE ... RETURNING over every shard (no shard key): the
			// deleted rows, once each.
			del := "DELETE FROM events WHERE kind = 'ret' RETURNING id, qty"
			if prepared {
				got = testenv.Strings(t, db, "DELETE FROM events WHERE kind = ? RETURNING id, qty", "ret")
			} else {
				got = testenv.Strings(t, db, del)
			}
			want = []string{ids[0] + "|1", ids[1] + "|2", ids[2] + "|3", ids[3] + "|4"}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("prepared %v: DELETE RETURNING rows %q, want %q", prepared, got, want)
			}
			if o := owners(); !slices.Equal(o, []string{"", "", "", ""}) {
				t.Fatalf("prepared %v: deleted rows still on %q", prepared, o)
			}
		}
	})

	t.Run("one shard", func(t *testing.T) {
		for _, args := range [][]any{nil, {ids[2]}} {
			q := "INSERT INTO events (id, kind, happened) VALUES (" + ids[2] + ", 'one', '2026-01-02') RETURNING happened, id"
			if args != nil {
				q = "INSERT INTO events (id, kind, happened) VALUES (?, 'one', '2026-01-02') RETURNING happened, id"
			}
			if got := testenv.Strings(t, db, q, args...); !slices.Equal(got, []string{"2026-01-02|" + ids[2]}) {
				t.Fatalf("args %v: %q", args, got)
			}
			if got := holders(t, "events", "id = "+ids[2]); !slices.Equal(got, []string{wantOwners[2]}) {
				t.Fatalf("args %v: the row is on %v, want %s", args, got, wantOwners[2])
			}
			q = "DELETE FROM events WHERE id = " + ids[2] + " RETURNING kind"
			if args != nil {
				q = "DELETE FROM events WHERE id = ? RETURNING kind"
			}
			if got := testenv.Strings(t, db, q, args...); !slices.Equal(got, []string{"one"}) {
				t.Fatalf("args %v: DELETE RETURNING %q", args, got)
			}
		}
	})

	t.Run("ids from a sequence", func(t *testing.T) {
		marker := fmt.Sprintf("ret-%d", time.Now().UnixNano())
		cleanup(t, "entries", "title LIKE '"+marker+"%'")
		conn := testenv.Conn(t, db)
		got := testenv.Strings(t, conn, fmt.Sprintf("INSERT INTO entries (title, status) VALUES ('%s-0', 'draft'), ('%s-1', 'draft'), ('%s-2', 'draft') RETURNING id, title", marker, marker, marker))
		if len(got) != 3 {
			t.Fatalf("RETURNING gave %q, want the 3 rows", got)
		}
		var lid string
		if err := conn.QueryRowContext(testenv.Ctx(t), "SELECT LAST_INSERT_ID()").Scan(&lid); err != nil {
			t.Fatal(err)
		}
		for i, row := range got {
			id, title, _ := strings.Cut(row, "|")
			if title != fmt.Sprintf("%s-%d", marker, i) {
				t.Fatalf("row %d is %q: want the rows in the VALUES order", i, row)
			}
			if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
				t.Fatalf("row %d: id %q is not a sequence id", i, id)
			}
			owner := ds.tables["entries"].ownerOfKey(id)
			if h := holders(t, "entries", "id = "+id+" AND title = '"+title+"'"); !slices.Equal(h, []string{owner}) {
				t.Errorf("returned id %s (%s) is on %v, want %s", id, title, h, owner)
			}
			if i == 0 && id != lid {
				t.Errorf("LAST_INSERT_ID() = %s, want the first returned id %s", lid, id)
			}
		}
	})

	t.Run("a failing shard leaves nothing written", func(t *testing.T) {
		taken := events.rows[len(events.rows)-1][0] // a loaded row, on s3
		for _, prepared := range []bool{false, true} {
			var err error
			if prepared {
				err = queryErr(t, db, "INSERT INTO events (id, kind) VALUES (?, 'dup'), (?, 'dup') RETURNING id", ids[0], taken)
			} else {
				err = queryErr(t, db, "INSERT INTO events (id, kind) VALUES ("+ids[0]+", 'dup'), ("+taken+", 'dup') RETURNING id")
			}
			if testenv.MySQLErr(err) != 1062 {
				t.Fatalf("prepared %v: a duplicate key on one shard: %v, want error 1062", prepared, err)
			}
			if h := holders(t, "events", "id = "+ids[0]); len(h) != 0 {
				t.Fatalf("prepared %v: the other shard's row was written (on %v) though the statement failed", prepared, h)
			}
		}
	})

	t.Run("date table", func(t *testing.T) {
		posts := ds.tables["posts"]
		rows := testRows()["posts"] // one per shard, in period tables
		var want, keys []string
		for _, r := range rows {
			cleanup(t, posts.physical(r), where(posts, r))
			want = append(want, r[posts.pk])
			keys = append(keys, r[posts.pk])
		}
		if got := testenv.Strings(t, db, insertSQL(posts, rows...)+" RETURNING id"); !slices.Equal(got, want) {
			t.Fatalf("INSERT into period tables ... RETURNING id = %q, want %q", got, want)
		}
		for _, r := range rows {
			if h := holders(t, posts.physical(r), where(posts, r)); !slices.Equal(h, []string{posts.ownerOf(r)}) {
				t.Fatalf("row %s is on %v, want %s", r[posts.pk], h, posts.ownerOf(r))
			}
		}
		got := testenv.Strings(t, db, "DELETE FROM posts WHERE id IN ("+strings.Join(keys, ", ")+") RETURNING id")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("DELETE from period tables ... RETURNING id = %q, want %q", got, want)
		}
	})

	t.Run("reference table", func(t *testing.T) {
		cleanup(t, "countries", "code = 'QQ'")
		got := testenv.Strings(t, db, "INSERT INTO countries (code, name) VALUES ('QQ', 'Testland') RETURNING code, name")
		if !slices.Equal(got, []string{"QQ|Testland"}) {
			t.Fatalf("RETURNING on a reference table = %q, want one copy's row", got)
		}
		if h := holders(t, "countries", "code = 'QQ'"); len(h) != len(shardNames) {
			t.Fatalf("the row is on %v, want every shard", h)
		}
	})

	t.Run("explained", func(t *testing.T) {
		got := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA INSERT INTO events (id, kind) VALUES ("+ids[0]+", 'x'), ("+ids[1]+", 'x') RETURNING id"), "\n")
		for _, want := range []string{"RETURNING: each shard answers with its rows", "VALUES (" + ids[0] + ",'x') RETURNING id", "as one result set (an INSERT's in the order of its VALUES)"} {
			if !strings.Contains(got, want) {
				t.Errorf("EXPLAIN STRATA does not say %q:\n%s", want, got)
			}
		}
		if h := holders(t, "events", "id IN ("+ids[0]+", "+ids[1]+")"); len(h) != 0 {
			t.Fatalf("EXPLAIN wrote rows (on %v)", h)
		}
	})

	t.Run("placeholders in the clause of a prepared statement", func(t *testing.T) {
		// The values bind the write's placeholders, then the clause's:
		// on one shard (its own EXECUTE) and split over two.
		got := testenv.Strings(t, db, "INSERT INTO events (id, kind) VALUES (?, 'ph') RETURNING id + ?, ? AS tag", ids[1], 1000000, "one")
		if want := []string{strconv.Itoa(atoi(t, ids[1])+1000000) + "|one"}; !slices.Equal(got, want) {
			t.Errorf("one shard: RETURNING rows %q, want %q", got, want)
		}
		got = testenv.Strings(t, db, "INSERT INTO events (id, kind, qty) VALUES (?, 'ph', ?), (?, 'ph', ?) RETURNING id, qty * ?, ? AS tag", ids[2], 3, ids[0], 5, 10, "two")
		if want := []string{ids[2] + "|30|two", ids[0] + "|50|two"}; !slices.Equal(got, want) {
			t.Errorf("two shards: RETURNING rows %q, want %q", got, want)
		}
		got = testenv.Strings(t, db, "DELETE FROM events WHERE kind = ? RETURNING id, CONCAT(kind, ?) AS k", "ph", "!")
		slices.Sort(got)
		want := []string{ids[0] + "|ph!", ids[1] + "|ph!", ids[2] + "|ph!"}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("DELETE over every shard: RETURNING rows %q, want %q", got, want)
		}
		if h := holders(t, "events", "kind = 'ph'"); len(h) != 0 {
			t.Errorf("rows left after the DELETE (on %v)", h)
		}
	})

	t.Run("refused", func(t *testing.T) {
		// INSERT ... SELECT over shards runs as other statements (the
		// SELECT's rows first): refused, never answered with a bare OK.
		src := events.rows[0][0]
		err := queryErr(t, db, "INSERT INTO events (id, kind) SELECT id + 100000, 'copy' FROM events WHERE id = "+src+" RETURNING id")
		if testenv.MySQLErr(err) != 1235 {
			t.Fatalf("INSERT ... SELECT ... RETURNING: %v, want error 1235", err)
		}
		if h := holders(t, "events", "kind = 'copy'"); len(h) != 0 {
			t.Fatalf("the refused INSERT ... SELECT wrote rows (on %v)", h)
		}
	})
}

// queryErr runs a query, reads its rows, and returns the first error, at
// the query or among the rows (an error that follows some rows).
func queryErr(t *testing.T, db *sql.DB, query string, args ...any) error {
	t.Helper()
	rows, err := db.QueryContext(testenv.Ctx(t), query, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}
