package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/test/testenv"
)

// Writes through Strata, checked on the shards directly. Test rows use ids
// from 9e9 (entries) / 9e6 (others) and are removed afterwards so the
// differential test keeps seeing exactly the loaded data.

// newRow is a copy of one loaded row of tb with some columns replaced.
func newRow(tb *tableDef, set map[string]string) []string {
	r := slices.Clone(tb.rows[len(tb.rows)/2])
	for k, v := range set {
		r[tb.col(k)] = v
	}
	return r
}

func insertSQL(tb *tableDef, rows ...[]string) string {
	return tb.insertStmts(tb.name, rows, len(rows))[0]
}

// where is "pk = value" for a row.
func where(tb *tableDef, row []string) string {
	return tb.cols[tb.pk].name + " = " + row[tb.pk]
}

// holders lists the shards whose physical table has a row matching cond.
func holders(t *testing.T, table, cond string) []string {
	t.Helper()
	var out []string
	for _, s := range shardNames {
		var n int
		err := direct[s].QueryRow("SELECT COUNT(*) FROM blog." + table + " WHERE " + cond).Scan(&n)
		if err != nil {
			if strings.Contains(err.Error(), "doesn't exist") {
				continue // period table of another shard
			}
			t.Fatalf("%s: %v", s, err)
		}
		if n > 0 {
			out = append(out, s)
		}
	}
	return out
}

// cleanup removes test rows from every shard directly.
func cleanup(t *testing.T, table, cond string) {
	t.Cleanup(func() {
		for _, s := range shardNames {
			direct[s].Exec("DELETE FROM blog." + table + " WHERE " + cond)
		}
	})
}

func mustExec(t *testing.T, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, query string, args ...any) sql.Result {
	t.Helper()
	res, err := q.ExecContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return res
}

// freeEventID is an events id inside [lo, hi) that no loaded row has.
func freeEventID(lo, hi int) string {
	used := map[string]bool{}
	for _, r := range ds.tables["events"].rows {
		used[r[0]] = true
	}
	for id := hi - 1; id >= lo; id-- {
		if s := strconv.Itoa(id); !used[s] {
			return s
		}
	}
	panic("no free events id")
}

// testRows are new rows for every sharded table, covering every shard.
func testRows() map[string][][]string {
	m := times.months
	dt := func(t time.Time) string { return sqlStr(t.Add(36 * time.Hour).Format(time.DateTime)) }
	out := map[string][][]string{}
	for i := range 6 {
		id := strconv.Itoa(9_000_000 + i)
		out["entries"] = append(out["entries"], newRow(ds.tables["entries"], map[string]string{"id": strconv.Itoa(9_000_000_000 + i)}))
		out["entry_likes"] = append(out["entry_likes"], newRow(ds.tables["entry_likes"], map[string]string{"id": id, "entry_id": strconv.Itoa(9_000_000_000 + i)}))
		out["comments"] = append(out["comments"], newRow(ds.tables["comments"], map[string]string{"id": id, "entry_id": strconv.Itoa(700 + i)}))
		out["audit"] = append(out["audit"], newRow(ds.tables["audit"], map[string]string{"id": id}))
		out["orders"] = append(out["orders"], newRow(ds.tables["orders"], map[string]string{"id": id, "customer_id": strconv.Itoa(1 + i*37)}))
	}
	for i, lo := range []int{0, 1000, 2000, 3000} {
		out["events"] = append(out["events"], newRow(ds.tables["events"], map[string]string{"id": freeEventID(lo+1, lo+1000), "kind": "'test'"}))
		out["members"] = append(out["members"], newRow(ds.tables["members"], map[string]string{"username": sqlStr([]string{"aa", "hh", "pp", "zz"}[i] + "_test")}))
	}
	for i, mi := range []int{0, 8, 14, 23} {
		out["posts"] = append(out["posts"], newRow(ds.tables["posts"], map[string]string{"id": strconv.Itoa(9_000_000 + i), "created_at": dt(m[mi])}))
	}
	return out
}

// Rows inserted one by one through Strata land on the shard the shard
// package computes (posts: in that month's table) and on no other.
func TestInsertLandsOnOwningShard(t *testing.T) {
	db := strataDB(t)
	for name, rows := range testRows() {
		tb := ds.tables[name]
		t.Run(name, func(t *testing.T) {
			for _, r := range rows {
				cleanup(t, tb.physical(r), where(tb, r))
				owner := tb.ownerOf(r)
				expectTouched(t, "Com_insert", 1, []string{owner}, func() {
					if n, _ := mustExec(t, db, insertSQL(tb, r)).RowsAffected(); n != 1 {
						t.Errorf("rows affected %d", n)
					}
				})
				if got := holders(t, tb.physical(r), where(tb, r)); !slices.Equal(got, []string{owner}) {
					t.Errorf("row %s is on %v, want only %s (table %s)", r[tb.key], got, owner, tb.physical(r))
				}
			}
		})
	}
}

// One multi-row INSERT is split per shard: each shard gets one INSERT
// holding exactly its rows.
func TestMultiRowInsertSplitPerShard(t *testing.T) {
	db := strataDB(t)
	for _, name := range []string{"entries", "comments", "events", "members", "posts", "orders"} {
		tb := ds.tables[name]
		rows := testRows()[name]
		t.Run(name, func(t *testing.T) {
			owners := map[string]int{}
			for _, r := range rows {
				cleanup(t, tb.physical(r), where(tb, r))
				owners[tb.ownerOf(r)]++
			}
			// A shard given one row that holds a NULL runs it as INSERT
			// ... SELECT (TestNullsInSplitRowsAreStoredAsOneServerStoresThem).
			before, beforeSelects := shardStatus(t, "Com_insert"), shardStatus(t, "Com_insert_select")
			res := mustExec(t, db, insertSQL(tb, rows...))
			d, selects := deltaOf(before, shardStatus(t, "Com_insert")), deltaOf(beforeSelects, shardStatus(t, "Com_insert_select"))
			for s, n := range selects {
				d[s] += n
			}
			if n, _ := res.RowsAffected(); n != int64(len(rows)) {
				t.Errorf("rows affected %d, want %d", n, len(rows))
			}
			for _, s := range shardNames {
				want := int64(0)
				if owners[s] > 0 {
					want = 1
				}
				if d[s] != want {
					t.Errorf("%s ran %d INSERTs, want %d (it owns %d of the %d rows): %s", s, d[s], want, owners[s], len(rows), showDelta(d))
				}
			}
			for _, r := range rows {
				if got, owner := holders(t, tb.physical(r), where(tb, r)), tb.ownerOf(r); !slices.Equal(got, []string{owner}) {
					t.Errorf("row %s is on %v, want only %s", r[tb.key], got, owner)
				}
			}
		})
	}
}

// UPDATE and DELETE with the shard key run on the owning shard only.
func TestUpdateDeleteByKeyTouchOneShard(t *testing.T) {
	db := strataDB(t)
	all := testRows()
	for _, name := range []string{"entries", "comments", "events", "members", "posts", "orders", "audit"} {
		tb := ds.tables[name]
		t.Run(name, func(t *testing.T) {
			for _, r := range all[name][:4] {
				cleanup(t, tb.physical(r), where(tb, r))
				owner := tb.ownerOf(r)
				mustExec(t, db, insertSQL(tb, r))
				key := tb.cols[tb.key].name + " = " + r[tb.key]
				cond := key + " AND " + where(tb, r)
				// Set a non-key column to a marker value.
				c := tb.cols[len(tb.cols)-1]
				marker := map[colKind]string{kInt: "4242", kDec: "42.42", kText: "'marker'", kDate: "'2000-01-02'", kDatetime: "'2000-01-02 03:04:05'"}[c.kind]
				expectTouched(t, "Com_update", 1, []string{owner}, func() {
					res := mustExec(t, db, fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", tb.name, c.name, marker, cond))
					if n, _ := res.RowsAffected(); n != 1 {
						t.Errorf("UPDATE affected %d rows, want 1", n)
					}
				})
				if got := holders(t, tb.physical(r), cond+" AND "+c.name+" = "+marker); !slices.Equal(got, []string{owner}) {
					t.Errorf("updated row found on %v, want %s", got, owner)
				}
				expectTouched(t, "Com_delete", 1, []string{owner}, func() {
					res := mustExec(t, db, fmt.Sprintf("DELETE FROM %s WHERE %s", tb.name, cond))
					if n, _ := res.RowsAffected(); n != 1 {
						t.Errorf("DELETE affected %d rows, want 1", n)
					}
				})
				if got := holders(t, tb.physical(r), where(tb, r)); len(got) != 0 {
					t.Errorf("deleted row still on %v", got)
				}
			}
		})
	}
}

// With two-phase commit an UPDATE that sets the shard key moves the row to
// the new key's shard, under every placement method, whether the WHERE
// names the key or only the primary key: afterwards exactly one shard
// holds it, the owner of its new key. A date table refuses, and no shard
// runs the UPDATE.
func TestUpdateOfShardKeyMovesTheRow(t *testing.T) {
	db := twoPCDB(t)
	all := testRows()
	for _, name := range []string{"entries", "comments", "events", "members", "orders"} {
		tb := ds.tables[name]
		r := all[name][0]
		t.Run(name, func(t *testing.T) {
			key := tb.cols[tb.key].name
			var other string // a key another shard owns
			for _, o := range all[name][1:] {
				if tb.ownerOfKey(o[tb.key]) != tb.ownerOf(r) {
					other = o[tb.key]
					break
				}
			}
			if tb.pk == tb.key {
				cleanup(t, tb.physical(r), key+" IN ("+r[tb.key]+", "+other+")")
			} else {
				cleanup(t, tb.physical(r), where(tb, r))
			}
			mustExec(t, db, insertSQL(tb, r))
			byKey := fmt.Sprintf("%s = %s", key, r[tb.key])
			byPK := where(tb, r)
			if tb.pk == tb.key {
				byPK = fmt.Sprintf("%s = %s", key, other) // the key moved with the row
			} else {
				byKey += " AND " + where(tb, r) // other loaded rows share the key
			}
			for _, step := range []struct{ q, to string }{
				{fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", name, key, other, byKey), other},
				{fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", name, key, r[tb.key], byPK), r[tb.key]},
			} {
				if res := mustExec(t, db, step.q); rows(res) != 1 {
					t.Errorf("%s: %d rows affected, want 1", step.q, rows(res))
				}
				cond := key + " = " + step.to
				if tb.pk != tb.key {
					cond += " AND " + where(tb, r)
				}
				if got, owner := holders(t, tb.physical(r), cond), tb.ownerOfKey(step.to); !slices.Equal(got, []string{owner}) {
					t.Errorf("%s: the row is on %v, want only %s", step.q, got, owner)
				}
			}
		})
	}
	t.Run("posts", func(t *testing.T) {
		tb := ds.tables["posts"]
		r := all["posts"][0]
		cleanup(t, tb.physical(r), where(tb, r))
		mustExec(t, db, insertSQL(tb, r))
		q := fmt.Sprintf("UPDATE posts SET created_at = %s WHERE %s", all["posts"][1][tb.key], where(tb, r))
		before := shardStatus(t, "Com_update")
		_, err := db.Exec(q)
		d := deltaOf(before, shardStatus(t, "Com_update"))
		if !isMySQLError(err, 1235, "cannot move between period tables") {
			t.Errorf("%s: %v, want error 1235 (a row cannot move between period tables)", q, err)
		}
		for _, s := range shardNames {
			if d[s] != 0 {
				t.Errorf("%s: %s ran %d UPDATEs", q, s, d[s])
			}
		}
		if got, owner := holders(t, tb.physical(r), where(tb, r)+" AND created_at = "+r[tb.key]), tb.ownerOf(r); !slices.Equal(got, []string{owner}) {
			t.Errorf("the post is on %v after the refused UPDATE, want unchanged on %s", got, owner)
		}
	})
}

// A transaction may write to one shard; its first write to a second shard
// is refused and nothing of the transaction is committed.
func TestTransactionWritingSecondShardRefused(t *testing.T) {
	db := strataDB(t)
	tb := ds.tables["entries"]
	var rows [][]string
	owners := map[string]bool{}
	for i := 0; len(rows) < 3; i++ {
		r := newRow(tb, map[string]string{"id": strconv.Itoa(9_100_000_000 + i)})
		if o := tb.ownerOf(r); len(rows) == 2 || !owners[o] {
			if len(rows) == 2 && o != tb.ownerOf(rows[0]) {
				continue // the third row shares the first row's shard
			}
			owners[o] = true
			rows = append(rows, r)
		}
	}
	a, b, a2 := rows[0], rows[1], rows[2]
	for _, r := range rows {
		cleanup(t, "entries", where(tb, r))
	}
	ctx := context.Background()

	t.Run("second shard refused", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, insertSQL(tb, a))
		mustExec(t, conn, insertSQL(tb, a2)) // same shard: fine
		if _, err := conn.ExecContext(ctx, insertSQL(tb, b)); err == nil {
			t.Errorf("INSERT on %s after writing %s in the same transaction was accepted", tb.ownerOf(b), tb.ownerOf(a))
		} else {
			t.Logf("refused: %v", err)
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("UPDATE entries SET score = 1 WHERE id = %s", b[0])); err == nil {
			t.Errorf("UPDATE on a second shard in the transaction was accepted")
		}
		conn.ExecContext(ctx, "ROLLBACK")
		for _, r := range rows {
			if got := holders(t, "entries", where(tb, r)); len(got) != 0 {
				t.Errorf("row %s of the rolled back transaction is on %v", r[0], got)
			}
		}
	})
	t.Run("one shard commits", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, insertSQL(tb, a))
		mustExec(t, conn, insertSQL(tb, a2))
		mustExec(t, conn, "COMMIT")
		for _, r := range []([]string){a, a2} {
			if got := holders(t, "entries", where(tb, r)); !slices.Equal(got, []string{tb.ownerOf(r)}) {
				t.Errorf("row %s committed on %v, want %s", r[0], got, tb.ownerOf(r))
			}
		}
	})
}

// Two Strata processes insert into entries without ids at the same time:
// every id comes from the shared sequence, none repeats, LAST_INSERT_ID()
// is the id of the row, and each row is on the shard its id hashes to.
func TestSequenceIDsUniqueAcrossTwoInstances(t *testing.T) {
	dbs := []*sql.DB{strataDB(t), strata2DB(t)}
	const workers, each = 4, 25
	marker := fmt.Sprintf("seq-test-%d", time.Now().UnixNano())
	cleanup(t, "entries", "title LIKE '"+marker+"%'")
	ctx := context.Background()
	var mu sync.Mutex
	ids := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*workers)
	for di, db := range dbs {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := db.Conn(ctx)
				if err != nil {
					errs <- err
					return
				}
				defer conn.Close()
				for i := range each {
					title := fmt.Sprintf("%s-%d-%d-%d", marker, di, w, i)
					res, err := conn.ExecContext(ctx, "INSERT INTO entries (user_id, title, status) VALUES (7, '"+title+"', 'draft')")
					if err != nil {
						errs <- fmt.Errorf("instance %d: %w", di+1, err)
						return
					}
					okID, _ := res.LastInsertId()
					var lid int64
					if err := conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&lid); err != nil {
						errs <- err
						return
					}
					if okID != lid || lid <= 0 {
						errs <- fmt.Errorf("instance %d: insert reported id %d, LAST_INSERT_ID() %d", di+1, okID, lid)
						return
					}
					mu.Lock()
					if prev, dup := ids[lid]; dup {
						errs <- fmt.Errorf("id %d given to %s and %s", lid, prev, title)
					}
					ids[lid] = title
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(ids) != len(dbs)*workers*each {
		t.Fatalf("%d distinct ids for %d inserts", len(ids), len(dbs)*workers*each)
	}
	tb := ds.tables["entries"]
	for id, title := range ids {
		r := newRow(tb, map[string]string{"id": strconv.FormatInt(id, 10)})
		if got := holders(t, "entries", fmt.Sprintf("id = %d AND title = '%s'", id, title)); !slices.Equal(got, []string{tb.ownerOf(r)}) {
			t.Errorf("id %d (%s) is on %v, want %s", id, title, got, tb.ownerOf(r))
		}
	}
	// A multi-row INSERT without ids: LAST_INSERT_ID() is the first row's id.
	db := dbs[0]
	conn := testenv.Conn(t, db)
	res := mustExec(t, conn, fmt.Sprintf("INSERT INTO entries (title, status) VALUES ('%s-m0', 'draft'), ('%s-m1', 'draft'), ('%s-m2', 'draft'), ('%s-m3', 'draft'), ('%s-m4', 'draft')",
		marker, marker, marker, marker, marker))
	first, _ := res.LastInsertId()
	got := map[string]bool{}
	for _, s := range shardNames {
		var id int64
		err := direct[s].QueryRow("SELECT id FROM blog.entries WHERE title = '" + marker + "-m0'").Scan(&id)
		if err == nil {
			got[s] = true
			if id != first {
				t.Errorf("multi-row INSERT: LAST_INSERT_ID %d, first row's id %d", first, id)
			}
		}
	}
	if len(got) != 1 {
		t.Errorf("first row of the multi-row INSERT found on %d shards", len(got))
	}
}

// A write to the reference table goes to every shard (what Strata does
// here is reported; the loader writes countries directly), and the client
// is told the rows of one copy, as one server holding the table would:
// an ORM that checks an UPDATE touched one row must not see four.
func TestReferenceTableWriteReachesEveryShard(t *testing.T) {
	db := strataDB(t)
	cleanup(t, "countries", "code = 'ZZ'")
	affects := func(stmt string, want int64) {
		t.Helper()
		if n, _ := mustExec(t, db, stmt).RowsAffected(); n != want {
			t.Errorf("%s: rows affected %d, want %d", stmt, n, want)
		}
	}
	affects("INSERT INTO countries (code, name, region, population) VALUES ('ZZ', 'Testland', NULL, 1)", 1)
	if got := holders(t, "countries", "code = 'ZZ' AND population = 1"); !slices.Equal(got, shardNames) {
		t.Errorf("inserted reference row is on %v, want every shard", got)
	}
	affects("UPDATE countries SET population = 2 WHERE code = 'ZZ'", 1)
	if got := holders(t, "countries", "code = 'ZZ' AND population = 2"); !slices.Equal(got, shardNames) {
		t.Errorf("updated reference row is on %v, want every shard", got)
	}
	affects("DELETE FROM countries WHERE code = 'ZZ'", 1)
	if got := holders(t, "countries", "code = 'ZZ'"); len(got) != 0 {
		t.Errorf("deleted reference row still on %v", got)
	}
}

// A statement on a scatter: deny table without its key is refused with an
// error naming the table and the key, before any shard runs it; with the
// key it works.
func TestScatterDenyRefusedWithoutKey(t *testing.T) {
	db := strataDB(t)
	keyWord := regexp.MustCompile(`\bid\b`)
	for _, q := range []string{
		"SELECT * FROM audit WHERE actor = 'bob'",
		"SELECT COUNT(*) FROM audit",
		"SELECT * FROM audit WHERE id > 100",
		"SELECT * FROM audit ORDER BY at DESC LIMIT 5",
		"UPDATE audit SET action = 'x' WHERE actor = 'bob'",
		"DELETE FROM audit WHERE action = 'nothing'",
	} {
		t.Run(q, func(t *testing.T) {
			// A monitor pass of a Strata instance SELECTs every server at
			// once: a window it fell in is measured again; a scatter moves
			// the counters on every shard each time.
			var moved []string
			for attempt := 0; attempt < 3; attempt++ {
				before := map[string]map[string]int64{}
				counters := []string{"Com_select", "Com_update", "Com_delete"}
				for _, c := range counters {
					before[c] = shardStatus(t, c)
				}
				_, err := db.Exec(q)
				if err == nil {
					t.Fatalf("accepted; audit is scatter: deny")
				}
				msg := err.Error()
				if !strings.Contains(msg, "audit") || !keyWord.MatchString(msg) {
					t.Errorf("error %q should name the table (audit) and its shard key (id)", msg)
				}
				moved = moved[:0]
				for _, c := range counters {
					d := deltaOf(before[c], shardStatus(t, c))
					n := 0
					for _, v := range d {
						if v > 0 {
							n++
						}
					}
					if n > 1 {
						moved = append(moved, fmt.Sprintf("%s moved on %d shards: %s", c, n, showDelta(d)))
					}
				}
				if len(moved) == 0 {
					return
				}
			}
			t.Errorf("%s, three times: %s", q, strings.Join(moved, "; "))
		})
	}
	t.Run("with the key", func(t *testing.T) {
		sameAnswer(t, db, "SELECT * FROM audit WHERE id = 3", multiset)
		sameAnswer(t, db, "SELECT * FROM audit WHERE id IN (1, 2, 3, 4, 5) ORDER BY id", exact)
	})
}

// An INSERT that gives a sequence's column NULL, as MariaDB reads a NULL
// AUTO_INCREMENT value, takes the sequence's ids like one that omits it:
// each shard's own AUTO_INCREMENT would repeat the others' ids. The rows
// land on the shard their id owns, and LAST_INSERT_ID() is the first one.
func TestNullIDsTakeTheSequencesIDs(t *testing.T) {
	db := strataDB(t)
	marker := fmt.Sprintf("nullid-%d", time.Now().UnixNano())
	cleanup(t, "entries", "title LIKE '"+marker+"%'")
	conn := testenv.Conn(t, db)
	res := mustExec(t, conn, fmt.Sprintf("INSERT INTO entries (id, title, status) VALUES (NULL, '%s-0', 'draft'), (NULL, '%s-1', 'draft')", marker, marker))
	first, _ := res.LastInsertId()
	if _, err := conn.ExecContext(testenv.Ctx(t), "INSERT INTO entries (id, title, status) VALUES (?, ?, 'draft')", nil, marker+"-2"); err != nil {
		t.Fatal(err)
	}
	tb := ds.tables["entries"]
	seen := map[int64]bool{}
	for i := range 3 {
		title := fmt.Sprintf("%s-%d", marker, i)
		var id int64
		if err := conn.QueryRowContext(testenv.Ctx(t), "SELECT id FROM entries WHERE title = ?", title).Scan(&id); err != nil {
			t.Fatalf("%s: %v", title, err)
		}
		if i == 0 && id != first {
			t.Errorf("LAST_INSERT_ID %d, the first row's id %d", first, id)
		}
		if seen[id] || id < first {
			t.Errorf("%s has id %d: not a new id of the sequence (first %d, seen %v)", title, id, first, seen)
		}
		seen[id] = true
		r := newRow(tb, map[string]string{"id": strconv.FormatInt(id, 10)})
		if got := holders(t, "entries", fmt.Sprintf("id = %d AND title = '%s'", id, title)); !slices.Equal(got, []string{tb.ownerOf(r)}) {
			t.Errorf("%s (id %d) is on %v, want %s", title, id, got, tb.ownerOf(r))
		}
	}
}

// Every copy of a reference table writes as the first copy did: an
// INSERT's AUTO_INCREMENT rows get the first copy's ids whatever the
// copy's own counter says (here moved by hand; also a failed insert, or
// two clients' INSERTs reaching the copies in different orders), and
// NOW() and DEFAULT CURRENT_TIMESTAMP are the first copy's time, not each
// server's a moment later. LAST_INSERT_ID() is the first copy's, also
// when the write commits with two-phase commit, a prepared INSERT reaches
// every copy with its values, and UUID(), which would give each copy its
// own value, is refused.
func TestReferenceCopiesWriteAlike(t *testing.T) {
	strataDB(t)
	for _, mode := range []string{"single", "twopc"} {
		t.Run(mode, func(t *testing.T) {
			createOn(t, "CREATE TABLE IF NOT EXISTS blog.ref_tags (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, "+
				"created DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), touched DATETIME(6) NULL)", "blog.ref_tags", shardNames...)
			mustExec(t, direct["s2"], "ALTER TABLE blog.ref_tags AUTO_INCREMENT = 500")
			s := startOwn(t, ownConfig(t, "ref_tags: {reference: true}", "transactions: {mode: "+mode+"}\n"))
			conn := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
			ctx := testenv.Ctx(t)
			res := mustExec(t, conn, "INSERT INTO ref_tags (name) VALUES ('go'), ('php')")
			if first, _ := res.LastInsertId(); first != 1 {
				t.Errorf("LAST_INSERT_ID %d, want 1 (the first copy's)", first)
			}
			if got := testenv.Strings(t, conn, "SELECT LAST_INSERT_ID()"); !slices.Equal(got, []string{"1"}) {
				t.Errorf("SELECT LAST_INSERT_ID() = %q, want 1", got)
			}
			if _, err := conn.ExecContext(ctx, "INSERT INTO ref_tags (id, name) VALUES (?, ?)", nil, "sql"); err != nil {
				t.Fatal(err)
			}
			// RETURNING: the rows come from the first copy.
			if got := testenv.Strings(t, conn, "INSERT INTO ref_tags (name) VALUES ('rust'), ('lua') RETURNING id"); !slices.Equal(got, []string{"4", "5"}) {
				t.Errorf("INSERT ... RETURNING id = %q, want 4 and 5", got)
			}
			mustExec(t, conn, "UPDATE ref_tags SET touched = NOW(6) WHERE id <= 2")
			want := []string{"1 go", "2 php", "3 sql", "4 rust", "5 lua"}
			if mode == "twopc" { // a transaction may write every copy
				mustExec(t, conn, "BEGIN")
				mustExec(t, conn, "INSERT INTO ref_tags (name) VALUES ('yaml')")
				mustExec(t, conn, "COMMIT")
				want = append(want, "6 yaml")
			}
			// A time the client fixed itself stands.
			mustExec(t, conn, "SET timestamp = 1700000000")
			mustExec(t, conn, "INSERT INTO ref_tags (id, name) VALUES (100, 'fixed')")
			mustExec(t, conn, "SET timestamp = DEFAULT")
			want = append(want, "100 fixed")
			if _, err := conn.ExecContext(ctx, "INSERT INTO ref_tags (name) VALUES (UUID())"); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "UUID()") {
				t.Errorf("INSERT of UUID() into a reference table: %v, want error 1235 naming UUID()", err)
			}
			var first []string
			for _, sh := range shardNames {
				if got := testenv.Strings(t, direct[sh], "SELECT CONCAT(id, ' ', name) FROM blog.ref_tags ORDER BY id"); !slices.Equal(got, want) {
					t.Errorf("the copy on %s holds %q, want %q", sh, got, want)
				}
				rows := testenv.Strings(t, direct[sh], "SELECT CONCAT(id, ' ', created, ' ', IFNULL(touched, '-')) FROM blog.ref_tags ORDER BY id")
				if first == nil {
					first = rows
				} else if !slices.Equal(rows, first) {
					t.Errorf("the copy on %s holds the times %q, the first copy %q", sh, rows, first)
				}
			}
			if n := len(first); n == 0 || !strings.Contains(first[n-1], "2023-11-14") {
				t.Errorf("the row written at the client's fixed time: %q, want 2023-11-14 22:13:20", first)
			}
			for _, sh := range shardNames {
				mustExec(t, direct[sh], "DROP TABLE blog.ref_tags")
			}
		})
	}
}

// One server evaluates NOW() once per statement: a write over several
// shards gives every row it writes one time too, the first shard's, not
// each shard's a moment later, also in a column the server fills with
// the time (DEFAULT or ON UPDATE CURRENT_TIMESTAMP).
func TestAWriteOverShardsHasOneTime(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.clock_rows (id INT NOT NULL PRIMARY KEY, at DATETIME(6) NULL)", "blog.clock_rows", shardNames...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.stamped_rows (id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT 0, "+
		"stamped DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6))", "blog.stamped_rows", shardNames...)
	s := startOwn(t, ownConfig(t, "clock_rows: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}\n  stamped_rows: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	conn := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	// A column the server fills with the time, read with the key type.
	testenv.Eventually(t, "the key type of stamped_rows is learned", func() bool {
		return s.Env.Sharding.Layout().Table("stamped_rows").KeyType != shard.KeyTypeUnknown
	})
	mustExec(t, conn, "INSERT INTO clock_rows (id) VALUES (5), (6), (7), (8)")
	for _, tc := range []struct{ write, times string }{
		{"INSERT INTO stamped_rows (id) VALUES (1), (2), (3), (4)", "SELECT DISTINCT stamped FROM stamped_rows"}, // DEFAULT CURRENT_TIMESTAMP
		{"UPDATE stamped_rows SET n = n + 1", "SELECT DISTINCT stamped FROM stamped_rows"},                       // ON UPDATE CURRENT_TIMESTAMP
		{"INSERT INTO clock_rows (id, at) VALUES (1, NOW(6)), (2, NOW(6)), (3, NOW(6)), (4, CURRENT_TIMESTAMP(6))", "SELECT DISTINCT at FROM clock_rows WHERE id <= 4"},
		{"UPDATE clock_rows SET at = NOW(6) WHERE id > 4", "SELECT DISTINCT at FROM clock_rows WHERE id > 4"},
		// The client's own SET STATEMENT, which Strata's cannot go before.
		{"SET STATEMENT innodb_lock_wait_timeout = 7 FOR UPDATE clock_rows SET at = NOW(6) WHERE id <= 4", "SELECT DISTINCT at FROM clock_rows WHERE id <= 4"},
		// A file loaded over the shards: one statement, one time.
		{"LOAD DATA LOCAL INFILE '" + registerFile(t, "stamped", "11\n12\n13\n14\n") + "' INTO TABLE stamped_rows (id)", "SELECT DISTINCT stamped FROM stamped_rows WHERE id > 10"},
		{"LOAD DATA LOCAL INFILE '" + registerFile(t, "clocked", "11\n12\n13\n14\n") + "' INTO TABLE clock_rows (id) SET at = NOW(6)", "SELECT DISTINCT at FROM clock_rows WHERE id > 10"},
	} {
		mustExec(t, conn, tc.write)
		if got := testenv.Strings(t, conn, tc.times); len(got) != 1 {
			t.Errorf("%s over four shards wrote the times %q, want one", tc.write, got)
		}
	}
	mustExec(t, conn, "SET timestamp = 1700000000")
	mustExec(t, conn, "UPDATE clock_rows SET at = NOW(6)")
	mustExec(t, conn, "SET timestamp = DEFAULT")
	if got := testenv.Strings(t, conn, "SELECT DISTINCT at FROM clock_rows"); !slices.Equal(got, []string{"2023-11-14 22:13:20.000000"}) {
		t.Errorf("an UPDATE at the client's fixed time wrote %q, want 2023-11-14 22:13:20.000000", got)
	}
}

// ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id) is MySQL's idiom for an
// upsert that tells the application the id of the row it inserted or
// updated. It assigns the shard key its own value, so no row moves: the
// upsert runs on the row's shard, and LAST_INSERT_ID() and the OK
// packet's insert id are the row's, as on one server. Before, it was
// refused as changing the shard key. An assignment that changes the key
// is still refused.
func TestUpsertIdiomReturnsTheRowsID(t *testing.T) {
	got, want := modTable(t, "upsert_lid", "id INT NOT NULL PRIMARY KEY, n INT NOT NULL")
	ctx := testenv.Ctx(t)
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "DELETE FROM upsert_lid")
		mustExec(t, c, "INSERT INTO upsert_lid (id, n) VALUES (1, 1)") // key 1, and the session's LAST_INSERT_ID() is 0
	}
	// Over several shards each would keep its own LAST_INSERT_ID(): one
	// server's is the last row's, Strata's was one shard's. Refused (and
	// first, in a session that keeps no LAST_INSERT_ID(expr) yet).
	for _, q := range []string{
		"INSERT INTO upsert_lid (id, n) VALUES (6, 1), (7, 1) ON DUPLICATE KEY UPDATE n = n + 1, id = LAST_INSERT_ID(id)",
		"UPDATE upsert_lid SET n = LAST_INSERT_ID(n) WHERE id IN (1, 2)",
	} {
		if _, err := got.ExecContext(ctx, q); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "sets LAST_INSERT_ID(expr)") {
			t.Errorf("%s: %v, want 1235 naming LAST_INSERT_ID(expr)", q, err)
		}
	}
	for _, q := range []string{
		"INSERT INTO upsert_lid (id, n) VALUES (5, 1) ON DUPLICATE KEY UPDATE n = n + 1, id = LAST_INSERT_ID(id)",
		"INSERT INTO upsert_lid (id, n) VALUES (5, 1) ON DUPLICATE KEY UPDATE n = n + 1, id = LAST_INSERT_ID(id)",
		"INSERT INTO upsert_lid (id, n) VALUES (6, 1) ON DUPLICATE KEY UPDATE id = (id), n = n + 1",
		"INSERT INTO upsert_lid (id, n) VALUES (6, 1) ON DUPLICATE KEY UPDATE `upsert_lid`.`id` = LAST_INSERT_ID(`id`), n = n + 1",
	} {
		gotRes, gotErr := got.ExecContext(ctx, q)
		wantRes, wantErr := want.ExecContext(ctx, q)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Fatalf("%s: %s", q, msg)
		}
		gid, _ := gotRes.LastInsertId()
		wid, _ := wantRes.LastInsertId()
		if gid != wid {
			t.Errorf("%s: insert id %d through Strata, %d on one server", q, gid, wid)
		}
		if g, w := testenv.Strings(t, got, "SELECT LAST_INSERT_ID()"), testenv.Strings(t, want, "SELECT LAST_INSERT_ID()"); !slices.Equal(g, w) {
			t.Errorf("LAST_INSERT_ID() after %s: %v through Strata, %v on one server", q, g, w)
		}
	}
	rows := "SELECT id, n FROM upsert_lid ORDER BY id"
	if g, w := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); !slices.Equal(g, w) {
		t.Errorf("rows through Strata %v, on one server %v", g, w)
	}
	_, err := got.ExecContext(ctx, "INSERT INTO upsert_lid (id, n) VALUES (5, 1) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id + 100)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "shard key") {
		t.Errorf("an upsert that changes the shard key: %v, want 1235 naming the shard key", err)
	}
}
