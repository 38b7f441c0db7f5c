package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/test/testenv"
)

// GET /api/sessions is Strata's process list: each client under the id
// KILL takes, with the statement it runs now, for how long and on which
// server, and whether it holds a transaction open.
func TestSessionsShowWhatRunsNow(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.sessions_probe (id INT PRIMARY KEY)")
	db := openStrata(t)
	ctx := ctxFor(t)
	inTx := testenv.Conn(t, db)
	var txID uint32
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
	_, runID, done := startSleep(t, db, 1, "sessions_probe_sleep")

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
	if tx.State != "idle" || !tx.InTransaction || tx.User != "app" || tx.Holds != env.primary.Addr {
		t.Errorf("the session in a transaction is listed as %+v, want idle, in_transaction, user app, holding the primary", tx)
	}
	replicas := map[string]bool{}
	for _, r := range env.replicas {
		replicas[r.Addr] = true
	}
	if run.State != "query" || !strings.Contains(run.Statement, "sleep") || run.RunningMs <= 0 ||
		len(run.Servers) != 1 || !replicas[run.Servers[0]] || run.InTransaction || run.Holds != "" {
		t.Errorf("the session running SLEEP is listed as %+v, want state query, its statement, a running time and the replica it runs on", run)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// An idle session shows how long it has waited for its client: in
	// the list (idle_ms), and as its Sleep row's Time in the process
	// lists, as on MariaDB. The SLEEP(1) above kept it idle that long.
	if tx.IdleMs <= 0 || run.IdleMs != 0 {
		t.Errorf("idle_ms: %v for the idle session, %v for the running one; want > 0 and none", tx.IdleMs, run.IdleMs)
	}
	q := "SELECT Command, Time >= 1 FROM information_schema.PROCESSLIST WHERE ID = " + fmt.Sprint(txID)
	if got := queryStrings(t, db, q); len(got) != 1 || got[0] != "Sleep|1" {
		t.Errorf("%s: %v, want [Sleep|1]: a Sleep row's Time is how long it has been idle", q, got)
	}
	row, _ := processList(t, db, fmt.Sprint(txID), "")
	if f := strings.Split(row, "|"); len(f) != 9 || f[4] != "Sleep" || f[5] == "0" {
		t.Errorf("SHOW FULL PROCESSLIST row of the idle session: %q, want Sleep with its idle seconds", row)
	}
}

// POST /api/sessions/{id}/kill is KILL for an operator: {"query": true}
// interrupts the running statement and keeps the client connected; without
// it the client is disconnected.
func TestAdminKillsSessions(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	ctx := ctxFor(t)
	victim, id, done := startSleep(t, db, 30, "admin_kill_probe")
	var res struct {
		Killed     string `json:"killed"`
		WasRunning bool   `json:"was_running"`
	}
	if code := postJSON(t, fmt.Sprintf("/api/sessions/%d/kill", id), `{"query": true}`, &res); code != 200 || res.Killed != "query" || !res.WasRunning {
		t.Fatalf("kill query: %d %+v", code, res)
	}
	select {
	case err := <-done:
		if err != errInterrupted && mysqlErr(err) != 1317 {
			t.Fatalf("the killed statement: %v, want SLEEP's 1 or error 1317", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the statement still runs 5 s after the kill")
	}
	if err := victim.PingContext(ctx); err != nil {
		t.Fatalf("the client after its statement was killed: %v, want it still connected", err)
	}
	if code := postJSON(t, fmt.Sprintf("/api/sessions/%d/kill", id), `{}`, &res); code != 200 || res.Killed != "connection" {
		t.Fatalf("kill connection: %d %+v", code, res)
	}
	if _, err := victim.ExecContext(ctx, "DO 1"); err == nil {
		t.Fatal("the client is still connected after its connection was killed")
	}
}

func postJSON(t *testing.T, path, body string, into any) int {
	t.Helper()
	resp, err := http.Post("http://"+env.strata.AdminAddr()+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return resp.StatusCode
}

// listSessions is GET /api/sessions of the package's Strata, by id.
func listSessions(t *testing.T) map[uint32]session.Info {
	t.Helper()
	return listSessionsAt(t, env.strata.AdminAddr())
}

// listSessionsAt is GET /api/sessions of the Strata at adminAddr, by id.
func listSessionsAt(t *testing.T, adminAddr string) map[uint32]session.Info {
	t.Helper()
	resp, err := http.Get("http://" + adminAddr + "/api/sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []session.Info
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[uint32]session.Info{}
	for _, in := range list {
		out[in.ID] = in
	}
	return out
}

// A session keeps the primary connection of its last write for the
// statements that may read LAST_INSERT_ID() from it, and the session list
// shows it (a switchover waits for it); after a second of client silence
// Strata hands it back, and the list says so.
func TestSessionHoldsAfterAWriteUntilIdle(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.sessions_hold (id INT PRIMARY KEY)")
	db := openStrata(t)
	ctx := ctxFor(t)
	c := testenv.Conn(t, db)
	var id uint32
	if err := c.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, "REPLACE INTO sessions_hold VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// The client has its OK a moment before Strata records what the
	// session keeps, so look for it shortly (it is handed back after 1 s).
	h := ""
	for start := time.Now(); time.Since(start) < 500*time.Millisecond; time.Sleep(5 * time.Millisecond) {
		if h = listSessions(t)[id].Holds; h != "" {
			break
		}
	}
	if h != env.primary.Addr {
		t.Fatalf("right after a write the session holds %q, want the primary %s", h, env.primary.Addr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for listSessions(t)[id].Holds != "" {
		if time.Now().After(deadline) {
			t.Fatalf("the session still holds %s after 5 s of silence", listSessions(t)[id].Holds)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Each session shows the program its client says it is in its connection
// attributes, which the servers never see through Strata: a Go service's
// own program_name with its driver and process id, and the mariadb CLI's.
func TestSessionsShowTheClientsProgram(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	c := testenv.Conn(t, openStrata(t, "connectionAttributes=program_name:blog-worker"))
	var id uint32
	if err := c.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	h, p := strataHostPort()
	cli := exec.CommandContext(ctx, "mariadb", "-h", h, "-P", p, "-uapp", "--password=app", "--skip-ssl", "-e", "SELECT SLEEP(3)")
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	defer cli.Wait()
	want := session.ClientAttrs{Program: "blog-worker", Driver: "Go-MySQL-Driver", PID: strconv.Itoa(os.Getpid())}
	if got := listSessions(t)[id].ClientAttrs; got != want {
		t.Errorf("the Go service's session shows %+v, want %+v", got, want)
	}
	var seen []session.ClientAttrs
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		seen = seen[:0]
		for _, in := range listSessions(t) {
			if in.PID == strconv.Itoa(cli.Process.Pid) {
				if in.Program == "mysql" && strings.HasPrefix(in.Driver, "libmariadb ") {
					return
				}
				seen = append(seen, in.ClientAttrs)
			}
		}
	}
	t.Errorf("no session of the mariadb CLI (pid %d) shows program mysql and driver libmariadb: %+v", cli.Process.Pid, seen)
}
