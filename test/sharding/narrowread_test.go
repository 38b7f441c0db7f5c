package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// An ORM locks a model by its primary key before it changes it (Rails'
// lock!, Django's select_for_update().get(pk=...), which update_or_create
// sends, Laravel's lockForUpdate()->find()). comments is sharded by
// entry_id, so that read needs every shard; with transactions.mode single
// it runs on each, its rows held until all have answered, and where they
// are on one shard the transaction goes on there.
func TestTransactionLockingReadByPrimaryKeyFindsItsShard(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	threeComments(t, db, 9810000, "lock")
	session := func(t *testing.T) *sql.Conn { return testenv.Conn(t, db) }
	body := func(id string) string { return commentBody(t, id) }
	// lockedIDs runs a locking read and returns the ids it answered.
	lockedIDs := func(t *testing.T, conn *sql.Conn, q string, args ...any) []string {
		t.Helper()
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for rows.Next() {
			values := make([]sql.RawBytes, len(cols))
			dest := make([]any, len(cols))
			for i := range values {
				dest[i] = &values[i]
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, string(values[0])) // the id comes first
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return ids
	}
	before := lockingReadsByRows(t)
	t.Cleanup(func() {
		after := lockingReadsByRows(t)
		for _, outcome := range []string{"first_one_shard", "first_no_rows", "first_several_shards", "later_own_shard", "later_refused"} {
			if after[outcome] <= before[outcome] {
				t.Errorf("strata_transaction_locking_reads_by_rows_total{outcome=%q} did not rise: %v, then %v", outcome, before, after)
			}
		}
	})

	for _, read := range []struct{ name, sql string }{
		{"Rails lock!", "SELECT comments.* FROM comments WHERE comments.id = 9810001 LIMIT 1 FOR UPDATE"},
		{"Django select_for_update().get(pk=)", "SELECT comments.id, comments.body FROM comments WHERE comments.id = 9810001 LIMIT 21 FOR UPDATE"},
		{"LOCK IN SHARE MODE", "SELECT id FROM comments WHERE id = 9810001 LOCK IN SHARE MODE"},
	} {
		t.Run(read.name+" locks the row on its shard", func(t *testing.T) {
			conn := session(t)
			mustExec(t, conn, "BEGIN")
			if ids := lockedIDs(t, conn, read.sql); len(ids) != 1 || ids[0] != "9810001" {
				t.Fatalf("the locking read answered %v, want [9810001]", ids)
			}
			if rowUnlocked(t, "9810001") {
				t.Fatal("the transaction holds no lock on the row it read")
			}
			// The other shards' part rolled back: they hold nothing.
			if !rowUnlocked(t, "9810002") || !rowUnlocked(t, "9810003") {
				t.Fatal("a shard that found nothing still holds locks")
			}
			// The transaction is on the row's shard: the save by primary
			// key that follows runs there, and commits.
			mustExec(t, conn, "UPDATE comments SET body = 'locked "+read.name+"' WHERE id = 9810001")
			mustExec(t, conn, "UPDATE comments SET votes = votes + 1 WHERE entry_id = 1 AND id = 9810001")
			mustExec(t, conn, "COMMIT")
			if got := body("9810001"); got != "locked "+read.name {
				t.Errorf("after COMMIT the row has body %q", got)
			}
			if !rowUnlocked(t, "9810001") {
				t.Error("the row is still locked after COMMIT")
			}
		})
	}

	t.Run("prepared, values bound on the server", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		if ids := lockedIDs(t, conn, "SELECT id FROM comments WHERE id = ? FOR UPDATE", 9810003); len(ids) != 1 || ids[0] != "9810003" {
			t.Fatalf("the prepared locking read answered %v, want [9810003]", ids)
		}
		if rowUnlocked(t, "9810003") {
			t.Fatal("the transaction holds no lock on the row it read")
		}
		mustExec(t, conn, "ROLLBACK")
		if !rowUnlocked(t, "9810003") {
			t.Error("the row is still locked after ROLLBACK")
		}
	})

	t.Run("no row found leaves the transaction free", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		if ids := lockedIDs(t, conn, "SELECT id FROM comments WHERE id = 9819999 FOR UPDATE"); len(ids) != 0 {
			t.Fatalf("the locking read of no row answered %v", ids)
		}
		// As on one server, the transaction may write any row next.
		mustExec(t, conn, "UPDATE comments SET body = 'after none' WHERE entry_id = 2 AND id = 9810002")
		mustExec(t, conn, "COMMIT")
		if got := body("9810002"); got != "after none" {
			t.Errorf("after COMMIT the row has body %q, want after none", got)
		}
	})

	t.Run("rows on several shards are refused and lock nothing", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		_, err := conn.QueryContext(ctx, "SELECT id FROM comments WHERE id IN (9810002, 9810003) FOR UPDATE")
		if !isMySQLError(err, 1235, "found rows on s") {
			t.Fatalf("a locking read of rows on two shards first in a transaction: %v, want error 1235 naming them", err)
		}
		if !rowUnlocked(t, "9810002") || !rowUnlocked(t, "9810003") {
			t.Fatal("the refused read left its rows locked")
		}
		// Refused, it left the transaction fresh: it goes where its next
		// statement goes.
		mustExec(t, conn, "UPDATE comments SET body = 'after refusal' WHERE entry_id = 3 AND id = 9810003")
		mustExec(t, conn, "COMMIT")
		if got := body("9810003"); got != "after refusal" {
			t.Errorf("after COMMIT the row has body %q, want after refusal", got)
		}
	})

	t.Run("a date-sharded table's period tables", func(t *testing.T) {
		// posts is sharded by created_at into a table per month: by id
		// the read needs every month's table, those of one shard read
		// one after another on its connection.
		m := times.months[1]
		// Its period table holds it: deleted through Strata, which knows
		// which one.
		t.Cleanup(func() { db.Exec("DELETE FROM posts WHERE id = 9810100") })
		mustExec(t, db, "INSERT INTO posts (id, created_at, title) VALUES (9810100, '"+m.AddDate(0, 0, 2).Format(time.DateTime)+"', 'dated')")
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		if ids := lockedIDs(t, conn, "SELECT id, title FROM posts WHERE id = 9810100 FOR UPDATE"); len(ids) != 1 || ids[0] != "9810100" {
			t.Fatalf("the locking read of a post by id answered %v", ids)
		}
		mustExec(t, conn, "UPDATE posts SET title = 'locked' WHERE id = 9810100")
		mustExec(t, conn, "COMMIT")
		var title string
		if err := db.QueryRowContext(ctx, "SELECT title FROM posts WHERE id = 9810100").Scan(&title); err != nil || title != "locked" {
			t.Errorf("after COMMIT the post's title is %q (%v), want locked", title, err)
		}
	})

	t.Run("a locking read waiting for a lock is killed", func(t *testing.T) {
		// Another transaction, on the row's shard itself, holds the row:
		// the read waits there while the other shards have answered.
		shard := shardOfEntry(t, "9810002")
		holder, err := direct[shard].Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		if _, err := holder.Exec("SELECT id FROM blog.comments WHERE id = 9810002 FOR UPDATE"); err != nil {
			t.Fatal(err)
		}
		own := openStrata(t, strataAddr)
		conn := testenv.Conn(t, own)
		mustExec(t, conn, "BEGIN")
		var id uint32 // the connection just opened is Strata's newest session
		for _, sess := range strata.s.Env.Registry.List() {
			id = max(id, sess.ID)
		}
		done := make(chan error, 1)
		go func() {
			_, err := conn.ExecContext(ctx, "SELECT id FROM comments WHERE id = 9810002 FOR UPDATE")
			done <- err
		}()
		awaitLockWaits(t, shard, 1)
		mustExec(t, db, fmt.Sprintf("KILL QUERY %d", id))
		select {
		case err := <-done:
			if !isMySQLError(err, 1317, "") {
				t.Fatalf("the killed locking read returned %v, want error 1317", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("KILL QUERY did not stop the locking read")
		}
		holder.Rollback()
		// Killed, it locked nothing, and the transaction is as fresh as
		// before: it goes where its next statement goes.
		if !rowUnlocked(t, "9810002") {
			t.Fatal("the killed read left its row locked")
		}
		mustExec(t, conn, "UPDATE comments SET body = 'after the kill' WHERE entry_id = 3 AND id = 9810003")
		mustExec(t, conn, "COMMIT")
		if got := body("9810003"); got != "after the kill" {
			t.Errorf("after COMMIT the row has body %q", got)
		}
	})

	t.Run("later locking reads by primary key", func(t *testing.T) {
		conn := session(t)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE comments SET votes = 5 WHERE entry_id = 1 AND id = 9810001")
		// A row of the transaction's shard: it stands.
		if ids := lockedIDs(t, conn, "SELECT id FROM comments WHERE id = 9810001 FOR UPDATE"); len(ids) != 1 {
			t.Fatalf("a later locking read of the transaction's shard answered %v", ids)
		}
		// A row of another shard: undone alone and refused; the
		// transaction keeps its write.
		_, err := conn.QueryContext(ctx, "SELECT id FROM comments WHERE id = 9810002 FOR UPDATE")
		if !isMySQLError(err, 1235, "this locking read found rows on s") {
			t.Fatalf("a later locking read of another shard's row: %v, want error 1235", err)
		}
		if !rowUnlocked(t, "9810002") {
			t.Fatal("the refused read left the other shard's row locked")
		}
		var votes int
		if err := conn.QueryRowContext(ctx, "SELECT votes FROM comments WHERE entry_id = 1 AND id = 9810001").Scan(&votes); err != nil || votes != 5 {
			t.Fatalf("inside the transaction after the refusal, votes %d (%v), want 5", votes, err)
		}
		mustExec(t, conn, "COMMIT")
		if err := direct[shardOfEntry(t, "9810001")].QueryRow("SELECT votes FROM blog.comments WHERE id = 9810001").Scan(&votes); err != nil || votes != 5 {
			t.Errorf("after COMMIT votes %d (%v), want 5", votes, err)
		}
	})
}

// lockingReadsByRows reads strata_transaction_locking_reads_by_rows_total
// by outcome.
func lockingReadsByRows(t *testing.T) map[string]int {
	t.Helper()
	return metricByLabel(t, strataAdmin, "strata_transaction_locking_reads_by_rows_total", "outcome")
}
