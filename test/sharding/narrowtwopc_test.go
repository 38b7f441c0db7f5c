package sharding

import (
	"slices"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// With transactions.mode twopc an ORM's save by primary key (comments are
// sharded by entry_id) would make every shard an XA branch for the one row
// it changes. A transaction's first statement narrows instead: where its
// rows are on one shard the transaction is a plain one there (no XA START
// anywhere, no decision logged), and joins branches only when a later
// statement needs other shards; where they are on several, it runs as a
// transaction across them.
func TestTwoPhaseFirstStatementByPrimaryKeyStaysPlain(t *testing.T) {
	db := twoPCDB(t)
	threeComments(t, db, 9820000, "tpc")
	body := func(id string) string { return commentBody(t, id) }
	committedAcross := func() float64 {
		return metricValue(t, twoPCAdmin, `strata_twophase_transactions_total{outcome="committed"}`)
	}
	xaStarts := func() int64 {
		var n int64
		for _, v := range shardStatus(t, "Com_xa_start") {
			n += v
		}
		return n
	}

	for _, first := range []struct{ name, sql string }{
		{"a save", "UPDATE comments SET body = 'saved plain' WHERE id = 9820001"},
		{"a lock", "SELECT id FROM comments WHERE id = 9820001 FOR UPDATE"},
	} {
		t.Run(first.name+" by primary key commits without XA", func(t *testing.T) {
			starts, across := xaStarts(), committedAcross()
			conn := testenv.Conn(t, db)
			mustExec(t, conn, "BEGIN")
			mustExec(t, conn, first.sql)
			mustExec(t, conn, "UPDATE comments SET votes = votes + 1 WHERE id = 9820001")
			mustExec(t, conn, "COMMIT")
			if got := xaStarts() - starts; got != 0 {
				t.Errorf("the transaction started %d XA branches on the shards, want none", got)
			}
			if got := committedAcross() - across; got != 0 {
				t.Errorf("strata_twophase_transactions_total{committed} rose by %v, want 0: one shard needs no decision", got)
			}
			var votes int
			if err := direct[shardOfEntry(t, "9820001")].QueryRow("SELECT votes FROM blog.comments WHERE id = 9820001").Scan(&votes); err != nil || votes == 0 {
				t.Errorf("after COMMIT votes %d (%v), want the transaction's increment", votes, err)
			}
		})
	}

	t.Run("a later statement of another shard joins a branch", func(t *testing.T) {
		across := committedAcross()
		conn := testenv.Conn(t, db)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE comments SET body = 'first of two' WHERE id = 9820001")
		mustExec(t, conn, "UPDATE comments SET body = 'second of two' WHERE entry_id = 2 AND id = 9820002")
		want := []string{clusterAddr[shardOfEntry(t, "9820002")]}
		if got, ok := awaitBranches(t, twoPCAdmin, func(b []string) bool { return slices.Equal(b, want) }); !ok {
			t.Errorf("GET /api/sessions shows branches %v, want a session with %v", got, want)
		}
		mustExec(t, conn, "COMMIT")
		if body("9820001") != "first of two" || body("9820002") != "second of two" {
			t.Errorf("after COMMIT the rows hold %q and %q", body("9820001"), body("9820002"))
		}
		if got := committedAcross() - across; got != 1 {
			t.Errorf("strata_twophase_transactions_total{committed} rose by %v, want 1", got)
		}
	})

	t.Run("a later save by primary key of another shard widens the transaction", func(t *testing.T) {
		across, widened := committedAcross(), metricValue(t, twoPCAdmin, `strata_transaction_writes_by_rows_total{outcome="widened_across"}`)
		conn := testenv.Conn(t, db)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE comments SET body = 'first by key' WHERE id = 9820001")
		mustExec(t, conn, "UPDATE comments SET body = 'second by key' WHERE id = 9820002")
		mustExec(t, conn, "COMMIT")
		if body("9820001") != "first by key" || body("9820002") != "second by key" {
			t.Errorf("after COMMIT the rows hold %q and %q", body("9820001"), body("9820002"))
		}
		if got := committedAcross() - across; got != 1 {
			t.Errorf("strata_twophase_transactions_total{committed} rose by %v, want 1", got)
		}
		if got := metricValue(t, twoPCAdmin, `strata_transaction_writes_by_rows_total{outcome="widened_across"}`) - widened; got != 1 {
			t.Errorf(`strata_transaction_writes_by_rows_total{outcome="widened_across"} rose by %v, want 1`, got)
		}
	})

	for _, first := range []struct {
		name, sql string
		read      bool
	}{
		{"a save", "UPDATE comments SET body = 'across' WHERE id IN (9820002, 9820003)", false},
		{"a lock", "SELECT id FROM comments WHERE id IN (9820002, 9820003) ORDER BY id FOR UPDATE", true},
	} {
		t.Run(first.name+" of rows on several shards runs across them", func(t *testing.T) {
			across := committedAcross()
			conn := testenv.Conn(t, db)
			mustExec(t, conn, "BEGIN")
			if first.read {
				if ids := testenv.Strings(t, conn, first.sql); !slices.Equal(ids, []string{"9820002", "9820003"}) {
					t.Fatalf("the locking read answered %v", ids)
				}
				if rowUnlocked(t, "9820002") || rowUnlocked(t, "9820003") {
					t.Fatal("the locking read holds no lock on one of its rows")
				}
			} else {
				mustExec(t, conn, first.sql)
			}
			wantBranches := []string{clusterAddr[shardOfEntry(t, "9820002")], clusterAddr[shardOfEntry(t, "9820003")]}
			slices.Sort(wantBranches)
			spans := func(b []string) bool {
				return len(b) >= 2 && slices.Contains(b, wantBranches[0]) && slices.Contains(b, wantBranches[1])
			}
			if got, ok := awaitBranches(t, twoPCAdmin, spans); !ok {
				t.Errorf("GET /api/sessions shows branches %v, want a session across %v", got, wantBranches)
			}
			// Across shards, the transaction goes on: a write by the
			// shard key of one of them.
			mustExec(t, conn, "UPDATE comments SET votes = 9 WHERE entry_id = 3 AND id = 9820003")
			mustExec(t, conn, "COMMIT")
			var votes int
			if err := direct[shardOfEntry(t, "9820003")].QueryRow("SELECT votes FROM blog.comments WHERE id = 9820003").Scan(&votes); err != nil || votes != 9 || body("9820002") != "across" {
				t.Errorf("after COMMIT votes %d (%v) and body %q, want 9 and across", votes, err, body("9820002"))
			}
			if got := committedAcross() - across; got != 1 {
				t.Errorf("strata_twophase_transactions_total{committed} rose by %v, want 1", got)
			}
		})
	}

	t.Run("a move by primary key runs across the shards", func(t *testing.T) {
		// The row leaves entry 1's shard for entry 2's: a move, which
		// commits on both as one.
		conn := testenv.Conn(t, db)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE comments SET entry_id = 2, body = 'moved' WHERE id = 9820001")
		mustExec(t, conn, "COMMIT")
		if got, want := holders(t, "comments", "id = 9820001"), []string{shardOfEntry(t, "9820002")}; !slices.Equal(got, want) {
			t.Errorf("after COMMIT the moved row is on %v, want %v", got, want)
		}
		mustExec(t, db, "UPDATE comments SET entry_id = 1 WHERE id = 9820001") // back, in autocommit
	})

	t.Run("rolled back", func(t *testing.T) {
		conn := testenv.Conn(t, db)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE comments SET body = 'undone' WHERE id = 9820001")
		mustExec(t, conn, "ROLLBACK")
		if got := body("9820001"); got == "undone" {
			t.Error("after ROLLBACK the row holds the undone body")
		}
		if !rowUnlocked(t, "9820001") {
			t.Error("after ROLLBACK the row is still locked")
		}
	})
}
