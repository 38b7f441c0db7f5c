package sharding

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// An ORM saves a model by its primary key in a transaction of its own
// (Rails' save and destroy: BEGIN, UPDATE comments SET ... WHERE id = ?,
// COMMIT). comments is sharded by entry_id, so that UPDATE needs every
// shard; with transactions.mode single, a transaction's first write runs
// on each, and where its rows are on one shard the transaction goes on
// there; later writes may change rows of that shard only. Where a first
// write's rows are on several shards, the transaction may only end.
func TestTransactionFirstWriteByPrimaryKeyFindsItsShard(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	threeComments(t, db, 9700000, "narrow")
	body := func(id string) string { return commentBody(t, id) }
	session := func(t *testing.T) *sql.Conn { return testenv.Conn(t, db) }
	before := writesByRows(t)
	t.Cleanup(func() {
		// Each outcome counted for the operator (GET /metrics).
		after := writesByRows(t)
		for _, outcome := range []string{"first_one_shard", "first_no_rows", "first_several_shards", "later_own_shard", "later_refused"} {
			if after[outcome] <= before[outcome] {
				t.Errorf("strata_transaction_writes_by_rows_total{outcome=%q} did not rise: %v, then %v", outcome, before, after)
			}
		}
	})

	t.Run("save commits on the row's shard", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		if n, _ := mustExec(t, conn, "UPDATE comments SET body = 'saved' WHERE id = 9700001").RowsAffected(); n != 1 {
			t.Fatalf("the UPDATE by primary key changed %d rows, want 1", n)
		}
		// The transaction is on entry 1's shard now: its own row reads
		// back changed there, and another write by the shard key joins it.
		var inside string
		if err := conn.QueryRowContext(ctx, "SELECT body FROM comments WHERE entry_id = 1 AND id = 9700001").Scan(&inside); err != nil || inside != "saved" {
			t.Fatalf("inside the transaction the row reads %q (%v), want saved", inside, err)
		}
		mustExec(t, conn, "UPDATE comments SET votes = 7 WHERE entry_id = 1 AND id = 9700001")
		if got := body("9700001"); got != "one" {
			t.Fatalf("before COMMIT the shard holds %q, want the old body", got)
		}
		mustExec(t, conn, "COMMIT")
		var votes int
		if err := direct[shardOfEntry(t, "9700001")].QueryRow("SELECT votes FROM blog.comments WHERE id = 9700001").Scan(&votes); err != nil || body("9700001") != "saved" || votes != 7 {
			t.Errorf("after COMMIT the row has body %q and votes %d (%v), want saved and 7", body("9700001"), votes, err)
		}
	})

	t.Run("destroy rolls back", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		if n, _ := mustExec(t, conn, "DELETE FROM comments WHERE id = 9700002").RowsAffected(); n != 1 {
			t.Fatalf("the DELETE by primary key deleted %d rows, want 1", n)
		}
		mustExec(t, conn, "ROLLBACK")
		if got := holders(t, "comments", "id = 9700002"); !slices.Equal(got, []string{shardOfEntry(t, "9700002")}) {
			t.Errorf("after ROLLBACK the row is on %v, want its shard", got)
		}
	})

	t.Run("rows on several shards may only end", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		if n, _ := mustExec(t, conn, "UPDATE comments SET body = 'both' WHERE id IN (9700002, 9700003)").RowsAffected(); n != 2 {
			t.Fatalf("the UPDATE of rows on two shards changed %d rows, want 2", n)
		}
		if body("9700002") != "two" || body("9700003") != "three" {
			t.Fatalf("before COMMIT the shards hold %q and %q", body("9700002"), body("9700003"))
		}
		// Anything but the end of the transaction is refused, and
		// changes nothing.
		for _, q := range []string{"UPDATE comments SET body = 'more' WHERE entry_id = 3 AND id = 9700003", "SELECT body FROM comments WHERE entry_id = 2", "SAVEPOINT a"} {
			if _, err := conn.ExecContext(ctx, q); !isMySQLError(err, 1235, "can only end now") {
				t.Errorf("%s after a write of two shards: %v, want error 1235", q, err)
			}
		}
		// The session list names the two shards as its branches.
		wantBranches := []string{clusterAddr[shardOfEntry(t, "9700002")], clusterAddr[shardOfEntry(t, "9700003")]}
		slices.Sort(wantBranches)
		if got, ok := awaitBranches(t, strataAdmin, func(b []string) bool { return slices.Equal(b, wantBranches) }); !ok {
			t.Errorf("GET /api/sessions shows branches %v, want a session with %v", got, wantBranches)
		}
		mustExec(t, conn, "ROLLBACK")
		if body("9700002") != "two" || body("9700003") != "three" {
			t.Fatalf("after ROLLBACK the shards hold %q and %q", body("9700002"), body("9700003"))
		}
		// The session goes on as any other.
		mustExec(t, conn, "UPDATE comments SET votes = 3 WHERE entry_id = 2 AND id = 9700002")
	})

	t.Run("rows on several shards commit together", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		// Django's bulk_create: one INSERT of rows for several shards.
		mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES (9700021, 1, 'bulk'), (9700022, 2, 'bulk')")
		mustExec(t, conn, "COMMIT")
		for _, id := range []string{"9700021", "9700022"} {
			if got := body(id); got != "bulk" {
				t.Errorf("comment %s after COMMIT: %q", id, got)
			}
		}
		// Django's QuerySet.delete() with autocommit off.
		mustExec(t, conn, "SET autocommit = 0")
		if n, _ := mustExec(t, conn, "DELETE FROM comments WHERE id IN (9700021, 9700022)").RowsAffected(); n != 2 {
			t.Fatalf("the DELETE of rows on two shards deleted %d rows, want 2", n)
		}
		mustExec(t, conn, "COMMIT")
		mustExec(t, conn, "SET autocommit = 1")
		if got := holders(t, "comments", "id IN (9700021, 9700022)"); len(got) != 0 {
			t.Errorf("after COMMIT the deleted rows are on %v", got)
		}
	})

	t.Run("a client that leaves rolls back", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE comments SET body = 'left' WHERE id IN (9700001, 9700002)")
		if rowUnlocked(t, "9700001") {
			t.Fatal("the open transaction holds no lock on the row it changed")
		}
		conn.Raw(func(any) error { return driver.ErrBadConn }) // closes the connection
		conn.Close()
		waitFor(t, func() bool {
			return body("9700001") != "left" && body("9700002") != "left" && rowUnlocked(t, "9700001")
		})
	})

	t.Run("no row matched leaves the transaction free", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		if n, _ := mustExec(t, conn, "UPDATE comments SET body = 'none' WHERE id = 9799999").RowsAffected(); n != 0 {
			t.Fatalf("the UPDATE of no row changed %d", n)
		}
		mustExec(t, conn, "UPDATE comments SET body = 'after none' WHERE entry_id = 2 AND id = 9700002")
		mustExec(t, conn, "COMMIT")
		if got := body("9700002"); got != "after none" {
			t.Errorf("after COMMIT the row has body %q, want after none", got)
		}
	})

	t.Run("autocommit off", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "SET autocommit = 0")
		if n, _ := mustExec(t, conn, "UPDATE comments SET body = 'no autocommit' WHERE id = 9700003").RowsAffected(); n != 1 {
			t.Fatalf("the UPDATE by primary key changed %d rows, want 1", n)
		}
		if got := body("9700003"); got != "three" {
			t.Fatalf("before COMMIT the shard holds %q", got)
		}
		mustExec(t, conn, "COMMIT")
		mustExec(t, conn, "SET autocommit = 1")
		if got := body("9700003"); got != "no autocommit" {
			t.Errorf("after COMMIT the row has body %q, want no autocommit", got)
		}
	})

	t.Run("a prepared locking read first", func(t *testing.T) {
		// Laravel's lockForUpdate() in DB::transaction(), values bound on
		// the server: the transaction moves to the read's shard, which
		// answers rows (before, Strata ran it as a write and failed on
		// them, error 1429).
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		for _, q := range []string{"SELECT id FROM comments WHERE entry_id = ? ORDER BY id FOR UPDATE", "SELECT id FROM comments WHERE entry_id IN (?, 6) ORDER BY id FOR UPDATE"} {
			var ids []string
			rows, err := conn.QueryContext(ctx, q, 2)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			for rows.Next() {
				var id string
				rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
			if !slices.Contains(ids, "9700002") {
				t.Errorf("%s read %v, want 9700002 among them", q, ids)
			}
		}
		if rowUnlocked(t, "9700002") {
			t.Error("the locking read holds no lock on its row")
		}
		mustExec(t, conn, "COMMIT")
	})

	t.Run("a locking count of every shard first is refused", func(t *testing.T) {
		// Each shard answers its count, rows found or not, so its rows
		// cannot say which shards it locked rows on: refused, naming the
		// shards, not the cluster BEGIN happened to go to.
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		_, err := conn.ExecContext(ctx, "SELECT COUNT(*) FROM comments WHERE author = 'narrow' FOR UPDATE")
		if !isMySQLError(err, 1235, "this statement, its first, needs s") {
			t.Errorf("a locking count of every shard first in a transaction: %v, want error 1235 naming the shards", err)
		}
		mustExec(t, conn, "ROLLBACK")
	})

	t.Run("later saves by primary key on the transaction's shard", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE comments SET votes = 1 WHERE id = 9700001")
		// Rails saving a second model, Django an update() by ids: the
		// rows are on the transaction's shard, so it runs there.
		mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES (9700031, 5, 'same shard')") // 5 is on 1's shard
		if n, _ := mustExec(t, conn, "UPDATE comments SET votes = 2 WHERE id IN (9700001, 9700031)").RowsAffected(); n != 2 {
			t.Fatalf("the second UPDATE by primary key changed %d rows, want 2", n)
		}
		// One that would change a row of another shard is undone alone,
		// and refused; what the transaction did before stays.
		_, err := conn.ExecContext(ctx, "UPDATE comments SET votes = 99 WHERE id IN (9700001, 9700002)")
		if !isMySQLError(err, 1235, "stays on one shard") {
			t.Fatalf("an UPDATE of a row on another shard: %v, want error 1235", err)
		}
		var votes int
		if err := conn.QueryRowContext(ctx, "SELECT votes FROM comments WHERE entry_id = 1 AND id = 9700001").Scan(&votes); err != nil || votes != 2 {
			t.Fatalf("inside the transaction after the refusal, votes %d (%v), want 2", votes, err)
		}
		mustExec(t, conn, "DELETE FROM comments WHERE id = 9700031")
		mustExec(t, conn, "COMMIT")
		if err := direct[shardOfEntry(t, "9700001")].QueryRow("SELECT votes FROM blog.comments WHERE id = 9700001").Scan(&votes); err != nil || votes != 2 {
			t.Errorf("after COMMIT votes %d (%v), want 2", votes, err)
		}
		var other int
		if err := direct[shardOfEntry(t, "9700002")].QueryRow("SELECT votes FROM blog.comments WHERE id = 9700002").Scan(&other); err != nil || other == 99 {
			t.Errorf("the refused UPDATE left votes %d (%v) on the other shard", other, err)
		}
		if got := holders(t, "comments", "id = 9700031"); len(got) != 0 {
			t.Errorf("the deleted row is on %v", got)
		}
	})
}

// threeComments writes comments base+1, base+2 and base+3 of entries 1, 2
// and 3, which are on three different shards (modulo 4), with the bodies
// one, two and three; every comment from base to base+9999 is deleted
// when the test ends.
func threeComments(t *testing.T, db *sql.DB, base int, author string) {
	t.Helper()
	cleanup(t, "comments", fmt.Sprintf("id BETWEEN %d AND %d", base, base+9999))
	mustExec(t, db, fmt.Sprintf("INSERT INTO comments (id, entry_id, author, body, votes) VALUES (%[1]d, 1, '%[4]s', 'one', 0), (%[2]d, 2, '%[4]s', 'two', 0), (%[3]d, 3, '%[4]s', 'three', 0)",
		base+1, base+2, base+3, author))
}

// commentBody is comment id's body, as its shard holds it.
func commentBody(t *testing.T, id string) string {
	t.Helper()
	var b string
	if err := direct[shardOfEntry(t, id)].QueryRow("SELECT body FROM blog.comments WHERE id = " + id).Scan(&b); err != nil {
		t.Fatalf("comment %s: %v", id, err)
	}
	return b
}

// shardOfEntry is the shard holding comment id, by the entry_id it was
// written with (modulo 4 over s0-s3).
func shardOfEntry(t *testing.T, id string) string {
	t.Helper()
	got := holders(t, "comments", "id = "+id)
	if len(got) != 1 {
		t.Fatalf("comment %s is on %v", id, got)
	}
	return got[0]
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("the condition did not come true within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rowUnlocked reports whether another connection can lock comment id at
// once (no transaction holds it).
func rowUnlocked(t *testing.T, id string) bool {
	t.Helper()
	tx, err := direct[shardOfEntry(t, id)].Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("SET SESSION innodb_lock_wait_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec("SELECT id FROM blog.comments WHERE id = " + id + " FOR UPDATE NOWAIT")
	return err == nil
}

// writesByRows reads strata_transaction_writes_by_rows_total by outcome.
func writesByRows(t *testing.T) map[string]int {
	t.Helper()
	return metricByLabel(t, strataAdmin, "strata_transaction_writes_by_rows_total", "outcome")
}
