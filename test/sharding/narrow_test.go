package sharding

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// An ORM saves a model by its primary key in a transaction of its own
// (Rails' save and destroy: BEGIN, UPDATE comments SET ... WHERE id = ?,
// COMMIT). comments is sharded by entry_id, so that UPDATE needs every
// shard; with transactions.mode single, a transaction's first write runs
// on each, and where its rows are on one shard the transaction goes on
// there. Where they are on several, the statement is undone and refused,
// and the transaction stays open as it was.
func TestTransactionFirstWriteByPrimaryKeyFindsItsShard(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	defer cleanup(t, "comments", "id BETWEEN 9700000 AND 9799999")
	// Entries 1, 2 and 3 are on three different shards (modulo 4).
	mustExec(t, db, "INSERT INTO comments (id, entry_id, author, body, votes) VALUES (9700001, 1, 'narrow', 'one', 0), (9700002, 2, 'narrow', 'two', 0), (9700003, 3, 'narrow', 'three', 0)")
	body := func(id string) string {
		t.Helper()
		var b string
		if err := direct[shardOfEntry(t, id)].QueryRow("SELECT body FROM blog.comments WHERE id = " + id).Scan(&b); err != nil {
			t.Fatalf("comment %s: %v", id, err)
		}
		return b
	}
	session := func(t *testing.T) *sql.Conn { return testenv.Conn(t, db) }

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

	t.Run("rows on several shards are refused and undone", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		_, err := conn.ExecContext(ctx, "UPDATE comments SET body = 'both' WHERE id IN (9700002, 9700003)")
		if !isMySQLError(err, 1235, "matched rows on") {
			t.Fatalf("an UPDATE of rows on two shards in a transaction: %v, want error 1235", err)
		}
		if body("9700002") != "two" || body("9700003") != "three" {
			t.Fatalf("the refused UPDATE left %q and %q", body("9700002"), body("9700003"))
		}
		// The transaction is open and fresh: it goes to the shard of its
		// next write, and ROLLBACK undoes that write.
		mustExec(t, conn, "UPDATE comments SET body = 'in tx' WHERE entry_id = 3 AND id = 9700003")
		mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES (9700013, 3, 'in tx')")
		mustExec(t, conn, "ROLLBACK")
		if got := body("9700003"); got != "three" {
			t.Errorf("after ROLLBACK the row has body %q, want three", got)
		}
		if got := holders(t, "comments", "id = 9700013"); len(got) != 0 {
			t.Errorf("the rolled back INSERT is on %v", got)
		}
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

	t.Run("a second write elsewhere is still refused", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE comments SET votes = 1 WHERE id = 9700001")
		if _, err := conn.ExecContext(ctx, "UPDATE comments SET votes = 1 WHERE id = 9700002"); !isMySQLError(err, 1235, "stays on one shard") {
			t.Errorf("a write of another shard after the first: %v, want error 1235", err)
		}
		mustExec(t, conn, "ROLLBACK")
	})
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
