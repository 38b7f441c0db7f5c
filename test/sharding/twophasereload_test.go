package sharding

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// transactions.mode changes with a reload, without a restart: under
// single a transaction that writes two shards is refused; after a reload
// to twopc it commits on both; a transaction across shards open when a
// reload sets single again goes on — it may still join another shard —
// and commits as one, leaving no prepared branch; the next one is refused.
func TestTwoPhaseModeChangesOnReload(t *testing.T) {
	strataDB(t) // the data
	single := ownConfig(t, "", "transactions: {mode: single, resolve_every: 300ms}\n")
	twopc := ownConfig(t, "", "transactions: {mode: twopc, resolve_every: 300ms}\n")
	s := startOwn(t, single)
	db := openStrata(t, s.MySQLAddr())
	ctx := context.Background()
	cleanup(t, "comments", "id BETWEEN 9100301 AND 9100306")
	// comments are placed by entry_id mod 4: entry 1 on s1, 2 on s2, 3 on s3.
	acrossTwo := func(first int) error {
		conn := testenv.Conn(t, db)
		defer conn.Close()
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES ("+strconv.Itoa(first)+", 1, 'reload')")
		_, err := conn.ExecContext(ctx, "INSERT INTO comments (id, entry_id, body) VALUES ("+strconv.Itoa(first+1)+", 2, 'reload')")
		if err != nil {
			mustExec(t, conn, "ROLLBACK")
			return err
		}
		mustExec(t, conn, "COMMIT")
		return nil
	}
	reload := func(cfgName string, want string) {
		t.Helper()
		cfg := single
		if cfgName == "twopc" {
			cfg = twopc
		}
		changes, restart, err := s.Reload(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(changes, "\n"); !strings.Contains(got, want) || len(restart) > 0 {
			t.Fatalf("reload to %s: changes %q, restart needed %q; want %q and no restart", cfgName, got, restart, want)
		}
	}

	if err := acrossTwo(9100301); testenv.MySQLErr(err) != 1235 {
		t.Fatalf("a transaction writing s1 and s2 under single: %v, want error 1235", err)
	}
	reload("twopc", "transactions.mode: twopc")
	if err := acrossTwo(9100301); err != nil {
		t.Fatalf("a transaction writing s1 and s2 after the reload to twopc: %v", err)
	}
	wantRowOn(t, "s1", 9100301)
	wantRowOn(t, "s2", 9100302)

	open := testenv.Conn(t, db)
	mustExec(t, open, "BEGIN")
	mustExec(t, open, "INSERT INTO comments (id, entry_id, body) VALUES (9100303, 1, 'open')") // s1
	mustExec(t, open, "INSERT INTO comments (id, entry_id, body) VALUES (9100304, 2, 'open')") // s2: a branch
	reload("single", "transactions.mode: single")
	mustExec(t, open, "INSERT INTO comments (id, entry_id, body) VALUES (9100305, 3, 'open')") // s3 joins after the reload
	mustExec(t, open, "COMMIT")
	wantRowOn(t, "s1", 9100303)
	wantRowOn(t, "s2", 9100304)
	wantRowOn(t, "s3", 9100305)
	for _, c := range shardNames {
		if p := preparedXIDs(t, c); len(p) > 0 {
			t.Errorf("%s holds prepared branches %v after the commit", c, p)
		}
	}
	if err := acrossTwo(9100306); testenv.MySQLErr(err) != 1235 {
		t.Errorf("a new transaction writing s1 and s2 after the reload back to single: %v, want error 1235", err)
	}
}

func wantRowOn(t *testing.T, shard string, id int) {
	t.Helper()
	var n int
	if err := direct[shard].QueryRow("SELECT COUNT(*) FROM blog.comments WHERE id = ?", id).Scan(&n); err != nil || n != 1 {
		t.Errorf("comment %d on %s: %d rows (%v), want 1", id, shard, n, err)
	}
}
