package shardrw

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/test/testenv"
)

// An online move between shards with replicas: s0's replica applies
// writes two seconds late. While the table moves its reads go to the
// primaries (a replica may not have the last batch yet, and would show a
// moved row on neither shard or on both), and when the move ends Strata
// waits for the replicas before reads go back to them: every read, during
// the move and right after it, finds each row once.
func TestOnlineRebalanceReadsPastLaggingReplicas(t *testing.T) {
	ctx := testenv.Ctx(t)
	// Not as notes is sharded (it would have to move with memos).
	const before = "  memos: {shard_key: owner, method: modulo, shards: [s1, s0]}\n"
	const after = "  memos: {shard_key: owner, method: modulo, shards: [s0, s1]}\n" // every row changes shard
	for _, addr := range []string{"127.0.0.1:25600", "127.0.0.1:25601", "127.0.0.1:25603"} {
		for _, q := range []string{"DROP TABLE IF EXISTS blog.memos", "CREATE TABLE blog.memos (id INT PRIMARY KEY, owner INT NOT NULL)",
			"DELETE FROM strata.rebalance_marks WHERE table_name = 'memos'"} {
			if err := env.SB.Server(addr).Exec(ctx, q); err != nil && !strings.Contains(err.Error(), "doesn't exist") {
				t.Fatal(err)
			}
		}
	}
	if err := env.SB.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	s, path := testenv.StartStrataFile(t, strings.Replace(config, "tables:\n", "schema: blog\ntables:\n"+before, 1))
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	const rows = 200
	var values []string
	for id := 1; id <= rows; id++ {
		values = append(values, fmt.Sprintf("(%d, %d)", id, id))
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO memos (id, owner) VALUES "+strings.Join(values, ", ")); err != nil {
		t.Fatal(err)
	}
	if err := env.SB.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	replica := env.SB.Server("127.0.0.1:25602")
	for _, q := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 2", "START SLAVE"} {
		if err := replica.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 0", "START SLAVE"} {
			replica.Exec(ctx, q)
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if cl := s.Topology.Load().Cluster("s0"); cl != nil && len(cl.Replicas) > 0 && cl.Replicas[0].Routable() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("s0's replica is not routable")
		}
	}

	// Every row by its key, and all of them counted: once each.
	check := func(when string) {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM memos").Scan(&n); err != nil || n != rows {
			t.Fatalf("%s: COUNT(*) = %d (%v), want %d", when, n, err, rows)
		}
		for owner := 1; owner <= rows; owner += 7 {
			var id int
			if err := db.QueryRowContext(ctx, "SELECT id FROM memos WHERE owner = ?", owner).Scan(&id); err != nil || id != owner {
				t.Fatalf("%s: the row of owner %d: %d, %v", when, owner, id, err)
			}
		}
	}
	check("before the move")
	for deadline := time.Now().Add(15 * time.Second); s.Env.Sharding.Layout().Table("memos").KeyType != shard.KeyTypeInteger; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the key type of memos was not learned within 15 s")
		}
	}
	if err := os.WriteFile(path, []byte(strings.Replace(config, "tables:\n", "schema: blog\ntables:\n"+after, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := "http://" + s.AdminAddr()
	if code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=memos&batch=10", ""); code != 202 {
		t.Fatalf("POST /api/rebalance: %d %v", code, body)
	}
	var st shardops.MoveStatus
	for deadline := time.Now().Add(60 * time.Second); ; {
		check("while the move runs (or just ended)")
		_, raw := testenv.GetAs(t, admin+"/api/rebalance", "", "")
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			t.Fatalf("GET /api/rebalance: %v: %s", err, raw)
		}
		if st.State != shardops.MoveRunning || time.Now().After(deadline) {
			break
		}
	}
	if st.State != shardops.MoveDone || st.Moved != rows {
		t.Fatalf("the move: %+v, want all %d rows moved", st, rows)
	}
	for deadline := time.Now().Add(20 * time.Second); isMoving(s); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the table is still placed by the moving layout 10 s after the move")
		}
	}
	check("right after the move")
	if n, err := replica.QueryValue(ctx, "SELECT COUNT(*) FROM blog.memos"); err != nil || n != fmt.Sprint(rows/2) {
		t.Errorf("s0's replica holds %s rows (%v) once reads went back to it, want %d", n, err, rows/2)
	}
}

// isMoving reports whether memos is still placed by the moving layout.
func isMoving(s *server.Strata) bool {
	_, ok := s.Env.Sharding.Layout().Table("memos").Method.(*shard.Moving)
	return ok
}
