package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/topology"
)

// Nothing listens on 24396-24399: the servers of this config are all down.
const deadYAML = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
limits: {connect_timeout: 500ms}
monitor: {interval: 1h}
clusters:
  main:
    primary: 127.0.0.1:24396
    replicas:
      - {address: 127.0.0.1:24397}
      - {address: 127.0.0.1:24398, pool: batch}
`

func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func startFromFile(t *testing.T, text string) (*Strata, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "strata.yaml")
	writeConfig(t, path, text)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	s, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, path
}

// upSandbox starts a MariaDB server for every address of the config in
// yaml, brought down when the test ends; it skips when MariaDB is missing
// (unless STRATA_REQUIRE_MARIADB is set) or with -short.
func upSandbox(ctx context.Context, t *testing.T, yaml string) (*sandbox.Sandbox, *config.Config) {
	t.Helper()
	if !sandbox.MariaDBInstalled() {
		if os.Getenv("STRATA_REQUIRE_MARIADB") != "" {
			t.Fatal("mariadbd not found and STRATA_REQUIRE_MARIADB is set: run make deps")
		}
		t.Skip("mariadbd not installed (make deps installs it)")
	}
	if testing.Short() {
		t.Skip("starts MariaDB servers")
	}
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Up(ctx, cfg, sandbox.Options{Dir: t.TempDir() + "/sb", KillWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sb.Down(context.Background()); err != nil {
			t.Errorf("sandbox down: %v", err)
		}
	})
	return sb, cfg
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReloadFile(t *testing.T) {
	s, path := startFromFile(t, deadYAML)
	state := func(addr string) topology.State {
		if srv := s.Topology.Load().Server(addr); srv != nil {
			return srv.State
		}
		return ""
	}
	// The monitor's first round finds every server down.
	waitFor(t, 10*time.Second, "first checks", func() bool { return state("127.0.0.1:24398") == topology.StateDown })
	if err := s.Topology.Drain("127.0.0.1:24398", true); err != nil {
		t.Fatal(err)
	}

	edited := strings.NewReplacer(
		"      - {address: 127.0.0.1:24397}\n", "",
		"pool: batch}", "pool: comments}\n      - {address: 127.0.0.1:24399}",
		"monitor: {interval: 1h}", "monitor: {interval: 30m, fail_after: 3}",
		"users: [{name: app, password: app}]", "users: [{name: app, password: app}, {name: ops, password: ops}]",
		"limits: {connect_timeout: 500ms}", "limits: {connect_timeout: 400ms, max_conns_per_server: 90}\nslow_log: 1s\nproxy_protocol: {trusted: [10.0.0.1]}\nhandover_socket: /tmp/strata-reload-test.sock",
	).Replace(deadYAML)
	writeConfig(t, path, edited)
	changes, restart, err := s.ReloadFile()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"replica 127.0.0.1:24398: pool batch -> comments",
		"cluster main: replica 127.0.0.1:24399 added to pool primary",
		"cluster main: replica 127.0.0.1:24397 removed",
		"limits.max_conns_per_server: 256 -> 90",
		"limits.connect_timeout: 500ms -> 400ms",
		"slow_log: 0s -> 1s",
		"proxy_protocol.trusted: [10.0.0.1] (new connections)",
		"monitor: interval 30m0s, fail_after 3, recover_after 2",
		"users: 2 accounts",
	}
	if strings.Join(changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(restart, ",") != "handover_socket" {
		t.Errorf("restart needed = %v", restart)
	}
	if l := s.Env.Limits(); l.ConnectTimeout != 400*time.Millisecond || l.SlowLog != time.Second {
		t.Errorf("session limits after the reload = %+v", l)
	}
	if l := s.Pools.For("127.0.0.1:24398").Limits(); l.MaxConns != 90 || l.ConnectTimeout != 400*time.Millisecond {
		t.Errorf("pool limits after the reload = %+v", l)
	}
	srv := s.Topology.Load().Server("127.0.0.1:24398")
	if srv.State != topology.StateDown || !srv.Drained || srv.Pool != "comments" {
		t.Errorf("kept server = %+v", srv)
	}
	if s.Monitor.Config().Interval != 30*time.Minute || s.Monitor.Config().FailAfter != 3 {
		t.Errorf("monitor config = %+v", s.Monitor.Config())
	}
	if len(s.CurrentConfig().Users) != 2 {
		t.Error("current config not replaced")
	}
	// The new server is checked at once, not in 30 minutes.
	waitFor(t, 10*time.Second, "new server checked", func() bool { return state("127.0.0.1:24399") == topology.StateDown })

	// A broken file changes nothing.
	version, cur := s.Topology.Load().Version, s.CurrentConfig()
	writeConfig(t, path, edited+"  bogus: 1\n")
	if _, _, err := s.ReloadFile(); err == nil {
		t.Fatal("broken file reloaded")
	}
	if s.Topology.Load().Version != version || s.CurrentConfig() != cur {
		t.Error("a failed reload changed Strata")
	}
	writeConfig(t, path, edited)

	// The admin API drives the same reload, and saves runtime changes.
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post("http://"+s.AdminAddr()+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s: %v: %s", path, err, data)
		}
		return resp.StatusCode, out
	}
	if code, out := post("/api/reload", ""); code != 200 || len(out["changes"].([]any)) != 0 {
		t.Errorf("reload: %d %v", code, out)
	}
	if code, out := post("/api/servers/127.0.0.1:24399/pool", `{"pool": "batch"}`); code != 200 {
		t.Fatalf("move: %d %v", code, out)
	}
	if code, out := post("/api/config/save", ""); code != 200 {
		t.Fatalf("save: %d %v", code, out)
	}
	saved, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := saved.Clusters["main"].Replicas; len(r) != 2 || r[1].Address != "127.0.0.1:24399" || r[1].Pool != "batch" {
		t.Errorf("saved replicas = %+v", r)
	}
	if s.CurrentConfig().Clusters["main"].Replicas[1].Pool != "batch" {
		t.Error("the saved config is not the current one")
	}
}

func TestReloadWithoutFile(t *testing.T) {
	cfg, err := config.Parse([]byte(deadYAML))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.ReloadFile(); err == nil || !strings.Contains(err.Error(), "without a config file") {
		t.Errorf("error = %v", err)
	}
}

// Ports of the reload sandbox; no other test uses them.
const liveYAML = `
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
monitor: {interval: 200ms}
clusters:
  main:
    primary: 127.0.0.1:24316
    replicas:
      - {address: 127.0.0.1:24317}
`

// TestReloadKeepsClients reloads a config that moves the only replica of
// the default pool away while a client's statement runs: the statement
// finishes, the client's connection stays, and its next reads follow the
// new topology (the empty default pool reads from the primary).
func TestReloadKeepsClients(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	upSandbox(ctx, t, liveYAML)
	s, path := startFromFile(t, liveYAML)
	waitFor(t, 10*time.Second, "first checks", func() bool { _, ok := s.Monitor.Check("127.0.0.1:24317"); return ok })

	db, err := sql.Open("mysql", "app:app@tcp("+s.MySQLAddr()+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	serverID := func() string {
		t.Helper()
		var id string
		if err := conn.QueryRowContext(ctx, "SELECT @@server_id FROM DUAL").Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	if id := serverID(); id != "24317" {
		t.Fatalf("read served by server %s, want the replica (24317)", id)
	}

	done := make(chan error, 1)
	go func() {
		var slept, id string
		err := conn.QueryRowContext(ctx, "SELECT SLEEP(1), @@server_id FROM DUAL").Scan(&slept, &id)
		if err == nil && id != "24317" {
			err = io.ErrUnexpectedEOF
		}
		done <- err
	}()
	time.Sleep(300 * time.Millisecond) // the statement is running on the replica
	writeConfig(t, path, strings.Replace(liveYAML, "{address: 127.0.0.1:24317}", "{address: 127.0.0.1:24317, pool: batch}", 1))
	changes, _, err := s.ReloadFile()
	if err != nil || len(changes) != 1 {
		t.Fatalf("reload: %v %v", changes, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("statement in flight during the reload: %v", err)
	}
	if id := serverID(); id != "24316" {
		t.Errorf("after the reload a default-pool read went to %s, want the primary (24316)", id)
	}
	if n := len(s.Env.Registry.List()); n != 1 {
		t.Errorf("%d sessions after the reload, want the one client", n)
	}
}

// threads sets GOMAXPROCS at start and at a reload; 0 puts back what the
// process had.
func TestThreadsAtStartAndReload(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	want := before + 1
	s, path := startFromFile(t, deadYAML+fmt.Sprintf("threads: %d\n", want))
	if got := runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("GOMAXPROCS after start with threads: %d = %d", want, got)
	}
	writeConfig(t, path, deadYAML+"threads: 1\n")
	changes, restart, err := s.ReloadFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != 1 || !strings.Contains(strings.Join(changes, ";"), "threads: 1") || len(restart) != 0 {
		t.Fatalf("after reload to threads: 1: GOMAXPROCS %d, changes %v, restart needed %v", got, changes, restart)
	}
	writeConfig(t, path, deadYAML)
	if _, _, err := s.ReloadFile(); err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("after reload without threads: GOMAXPROCS %d, want the process's own %d", got, before)
	}
}

// busy_poll sets how long connections poll for their peer, at start and at
// a reload; it is off while Strata runs its Go code on one thread.
func TestBusyPollAtStartAndReload(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	s, path := startFromFile(t, deadYAML+"threads: 2\n")
	if got := s.BusyPoll.Budget(); got != config.DefaultBusyPoll {
		t.Fatalf("busy poll budget with busy_poll unset: %s, want the default %s", got, config.DefaultBusyPoll)
	}
	steps := []struct {
		yaml   string
		want   time.Duration
		change string // in the reload's list of changes
	}{
		{"threads: 2\nbusy_poll: 100us\n", 100 * time.Microsecond, "busy_poll: 100µs"},
		{"threads: 2\nbusy_poll: 0s\n", 0, "busy_poll: 0s"},
		{"threads: 2\n", config.DefaultBusyPoll, "busy_poll: 15µs"},
		{"threads: 1\nbusy_poll: 100us\n", 0, "busy_poll: 0s"},
		{"threads: 2\nbusy_poll: 100us\n", 100 * time.Microsecond, "busy_poll: 100µs"},
	}
	for _, st := range steps {
		writeConfig(t, path, deadYAML+st.yaml)
		changes, _, err := s.ReloadFile()
		if err != nil {
			t.Fatal(err)
		}
		if got := s.BusyPoll.Budget(); got != st.want {
			t.Errorf("after reloading %q: budget %s, want %s", st.yaml, got, st.want)
		}
		if !slices.Contains(changes, st.change) {
			t.Errorf("after reloading %q: changes %q, want %q among them", st.yaml, changes, st.change)
		}
	}
}

// result_cache's bounds move with a reload when Strata has a cache (a
// routing rule with cache: made it at start).
func TestResultCacheResizesOnReload(t *testing.T) {
	yaml := deadYAML + "routing:\n  - {match: {tables: [stats]}, pool: primary, cache: 10s}\nresult_cache: {max_size: 1M, max_entry_size: 64K}\n"
	s, path := startFromFile(t, yaml)
	if s.Env.Cache == nil || s.Env.Cache.MaxEntry() != 64<<10 {
		t.Fatalf("cache at start: %v", s.Env.Cache)
	}
	writeConfig(t, path, strings.Replace(yaml, "max_entry_size: 64K", "max_entry_size: 256K", 1))
	changes, restart, err := s.ReloadFile()
	if err != nil || len(restart) > 0 || !slices.Contains(changes, "result_cache: max_size 1048576, max_entry_size 262144") {
		t.Fatalf("reload: changes %q, restart needed %q, %v", changes, restart, err)
	}
	if got := s.Env.Cache.MaxEntry(); got != 256<<10 {
		t.Errorf("max entry after the reload: %d, want %d", got, 256<<10)
	}
}

// transactions.deadlock_check changes at a reload, in either transactions
// mode: the detector looks at the new interval from its next check on.
func TestDeadlockCheckAtReload(t *testing.T) {
	s, path := startFromFile(t, deadYAML)
	if got := s.deadlocks.detector.Status().Every; got != config.DefaultDeadlockCheck {
		t.Fatalf("the detector checks every %s at start, want the default %s", got, config.DefaultDeadlockCheck)
	}
	writeConfig(t, path, deadYAML+"transactions: {deadlock_check: 300ms}\n")
	changes, restart, err := s.ReloadFile()
	if err != nil || len(restart) != 0 || !slices.Contains(changes, "transactions.deadlock_check: 300ms") {
		t.Fatalf("reload: changes %q, restart needed %q, %v", changes, restart, err)
	}
	if got := s.deadlocks.detector.Status().Every; got != 300*time.Millisecond {
		t.Fatalf("after the reload the detector checks every %s, want 300ms", got)
	}
	// Its next checks come at that pace.
	testCheckPace(t, s, 300*time.Millisecond)
}

// testCheckPace waits for two of the detector's checks and fails when
// they are further apart than every allows.
func testCheckPace(t *testing.T, s *Strata, every time.Duration) {
	t.Helper()
	last := func() time.Time { return s.deadlocks.detector.Status().LastCheck }
	deadline := time.Now().Add(3 * time.Second)
	first := last()
	for last().Equal(first) && time.Now().Before(deadline) { // the check the old interval planned
		time.Sleep(10 * time.Millisecond)
	}
	second := last()
	for last().Equal(second) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if gap := last().Sub(second); second.Equal(first) || gap <= 0 || gap > every+200*time.Millisecond {
		t.Errorf("checks %s apart after the reload, want about %s", gap, every)
	}
}
