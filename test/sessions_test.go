package test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/session"
)

// GET /api/sessions is Strata's process list: each client under the id
// KILL takes, with the statement it runs now, for how long and on which
// server, and whether it holds a transaction open.
func TestSessionsShowWhatRunsNow(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.sessions_probe (id INT PRIMARY KEY)")
	db := openStrata(t)
	ctx := ctxFor(t)
	inTx, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inTx.Close()
	var txID, runID uint32
	if err := inTx.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&txID); err != nil {
		t.Fatal(err)
	}
	if _, err := inTx.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	defer inTx.ExecContext(ctx, "ROLLBACK")
	if _, err := inTx.ExecContext(ctx, "SELECT COUNT(*) FROM sessions_probe"); err != nil {
		t.Fatal(err)
	}
	running, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	if err := running.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&runID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var v int
		done <- running.QueryRowContext(ctx, "SELECT SLEEP(1) AS sessions_probe_sleep").Scan(&v)
	}()
	waitRunning(t, "sessions_probe_sleep")

	byID := map[uint32]session.Info{}
	resp, err := http.Get("http://" + env.strata.AdminAddr() + "/api/sessions")
	if err != nil {
		t.Fatal(err)
	}
	var list []session.Info
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		byID[in.ID] = in
	}
	tx, run := byID[txID], byID[runID]
	if tx.State != "idle" || !tx.InTransaction || tx.User != "app" {
		t.Errorf("the session in a transaction is listed as %+v, want idle, in_transaction, user app", tx)
	}
	replicas := map[string]bool{}
	for _, r := range env.replicas {
		replicas[r.Addr] = true
	}
	if run.State != "query" || !strings.Contains(run.Statement, "sleep") || run.RunningMs <= 0 ||
		len(run.Servers) != 1 || !replicas[run.Servers[0]] || run.InTransaction {
		t.Errorf("the session running SLEEP is listed as %+v, want state query, its statement, a running time and the replica it runs on", run)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
