// Package shardswitch tests switchovers under sharding: the cluster that
// hands out id blocks for a sequence gets a new primary, and inserts into
// the sharded table go on taking ids from it — unique, none refused by the
// old, now read_only, primary; and a shard whose primary changes while it
// holds a prepared branch of a transaction across shards gets that branch
// committed on its new primary; a switchover of a shard where an open
// transaction holds a branch waits for it, or, forced, ends it with no
// part of it left.
package shardswitch

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

const config = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
switchover: {user: root, password: "", replication_user: repl, replication_password: repl}
monitor: {interval: 200ms}
default_cluster: main
schema: blog
clusters:
  main:
    primary: 127.0.0.1:17450
    replicas: [{address: 127.0.0.1:17451, pool: primary}]
  s0:
    primary: 127.0.0.1:17452
    replicas: [{address: 127.0.0.1:17454, pool: primary}]
  s1: {primary: 127.0.0.1:17453}
sequences:
  note_ids: {cluster: main, table: strata_sequences, block: 10}
tables:
  notes: {shard_key: id, method: modulo, shards: [s0, s1], sequence: {column: id, name: note_ids}}
`

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, config, func(e *testenv.Env) error {
		env = e
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, addr := range []string{"127.0.0.1:17452", "127.0.0.1:17453"} {
			for _, q := range []string{"CREATE DATABASE IF NOT EXISTS blog",
				"CREATE TABLE IF NOT EXISTS blog.notes (id BIGINT PRIMARY KEY, body VARCHAR(20))"} {
				if err := e.SB.Server(addr).Exec(ctx, q); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func TestSequenceFollowsTheSwitchover(t *testing.T) {
	s, _ := testenv.StartStrataFile(t, config)
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	insert := func(n int, what string) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, err := app.Exec("INSERT INTO notes (body) VALUES (?)", fmt.Sprintf("%s %d", what, i)); err != nil {
				t.Fatalf("insert %d %s: %v", i, what, err)
			}
		}
	}
	insert(25, "before") // three blocks of 10 from 17450

	if code, out := testenv.PostJSON(t, "http://"+s.AdminAddr()+"/api/clusters/main/switchover", `{"to": "127.0.0.1:17451"}`); code != http.StatusOK {
		t.Fatalf("switchover: %d %v", code, out)
	}

	insert(25, "after") // the next blocks come from the new primary

	ids := map[int64]bool{}
	for _, addr := range []string{"127.0.0.1:17452", "127.0.0.1:17453"} {
		rows, err := testenv.Direct(t, addr).Query("SELECT id FROM blog.notes")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			if ids[id] {
				t.Errorf("id %d used twice", id)
			}
			ids[id] = true
		}
		rows.Close()
	}
	if len(ids) != 50 {
		t.Fatalf("%d distinct ids for 50 inserts", len(ids))
	}
	var maxID int64
	for id := range ids {
		maxID = max(maxID, id)
	}
	// The new primary's sequence row is past every id handed out: a
	// Strata started now would not hand one out again.
	var next sql.NullInt64
	if err := testenv.Direct(t, "127.0.0.1:17451").QueryRow("SELECT MAX(next_id) FROM strata.strata_sequences").Scan(&next); err != nil {
		t.Fatal(err)
	}
	if next.Int64 <= maxID {
		t.Fatalf("the sequence on the new primary is at %d, ids went up to %d", next.Int64, maxID)
	}
}
