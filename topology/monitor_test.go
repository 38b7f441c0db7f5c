package topology

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/sandbox"
)

func TestClassify(t *testing.T) {
	cl := FromConfig(testConfig(t, strings.Replace(testYAML, "      batch: {fallback: primary}", "      batch: {fallback: primary, max_replica_lag: 60s}\n    max_replica_lag: 10s", 1))).Default()
	replica, batch, primary := cl.Replicas[0], cl.Replicas[2], cl.Primary
	dead := *cl
	deadPrimary := *cl.Primary
	deadPrimary.State = StateDown
	dead.Primary = &deadPrimary
	r := *cl.Replicas[0] // a distinct server value, so the case table can tell them apart
	replicaOfDead := &r
	running := func(lag int64) *ReplicationStatus {
		return &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes", SecondsBehind: lag}
	}
	tests := []struct {
		name   string
		srv    *Server
		probe  Probe
		state  State
		lag    time.Duration
		reason string
	}{
		{"primary up", primary, Probe{}, StateUp, 0, ""},
		{"primary read_only is still up", primary, Probe{ReadOnly: true}, StateUp, 0, ""},
		{"primary unreachable", primary, Probe{Err: errors.New("dial tcp: connection refused")}, StateDown, 0, "unreachable: dial tcp: connection refused"},
		{"replica unreachable", replica, Probe{Err: errors.New("i/o timeout")}, StateDown, 0, "unreachable: i/o timeout"},
		{"replica in sync", replica, Probe{ReadOnly: true, Replication: running(0)}, StateUp, 0, ""},
		{"replica lag under the cluster limit", replica, Probe{Replication: running(10)}, StateUp, 10 * time.Second, ""},
		{"replica lag over the cluster limit", replica, Probe{Replication: running(11)}, StateLagging, 11 * time.Second, "replication lag over max_replica_lag (10s)"},
		{"pool limit overrides the cluster's", batch, Probe{Replication: running(59)}, StateUp, 59 * time.Second, ""},
		{"over the pool limit", batch, Probe{Replication: running(61)}, StateLagging, 61 * time.Second, "replication lag over max_replica_lag (1m0s)"},
		{"lag unknown (NULL)", replica, Probe{Replication: running(-1)}, StateUp, 0, ""},
		{"SQL thread stopped", replica, Probe{Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "No", SecondsBehind: -1}}, StateLagging, 0, ReasonReplicationStopped},
		{"IO thread stopped", replica, Probe{Replication: &ReplicationStatus{IORunning: "No", SQLRunning: "Yes", SecondsBehind: 0}}, StateLagging, 0, ReasonReplicationStopped},
		{"IO thread connecting", replica, Probe{Replication: &ReplicationStatus{IORunning: "Connecting", SQLRunning: "Yes", SecondsBehind: -1}}, StateLagging, 0, ReasonReplicationStopped},
		{"no replication", replica, Probe{}, StateLagging, 0, ReasonReplicationNotConfigured},
		{"IO thread connecting to a dead primary", replicaOfDead, Probe{Replication: &ReplicationStatus{IORunning: "Connecting", SQLRunning: "Yes", SecondsBehind: -1}}, StateUp, 0, ReasonPrimaryDown},
		{"SQL thread stopped, primary dead", replicaOfDead, Probe{Replication: &ReplicationStatus{IORunning: "Connecting", SQLRunning: "No", SecondsBehind: -1}}, StateLagging, 0, ReasonReplicationStopped},
		{"replication status refused", replica, Probe{ReplicationErr: errors.New("Error 1227: access denied")}, StateUp, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cl
			if tt.srv == replicaOfDead {
				c = &dead
			}
			state, lag, reason := Classify(tt.srv, c, tt.probe)
			if state != tt.state || lag != tt.lag || reason != tt.reason {
				t.Errorf("Classify = %s, %s, %q; want %s, %s, %q", state, lag, reason, tt.state, tt.lag, tt.reason)
			}
		})
	}
	noLimits := FromConfig(testConfig(t, testYAML)).Default()
	if s, _, _ := Classify(noLimits.Replicas[0], noLimits, Probe{Replication: running(86400)}); s != StateUp {
		t.Errorf("a day of lag without a limit = %s, want up", s)
	}
}

// fakeProbes answers checks from a table the test changes.
type fakeProbes struct {
	mu     sync.Mutex
	probes map[string]Probe
	calls  map[string]int
	block  chan struct{} // when set, probes wait for it (or their context)
}

func newFakeProbes() *fakeProbes {
	return &fakeProbes{probes: map[string]Probe{}, calls: map[string]int{}}
}

func (f *fakeProbes) set(addr string, p Probe) {
	f.mu.Lock()
	f.probes[addr] = p
	f.mu.Unlock()
}

func (f *fakeProbes) count(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[addr]
}

func (f *fakeProbes) probe(ctx context.Context, addr string, _ *sql.DB, role Role) Probe {
	f.mu.Lock()
	f.calls[addr]++
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return Probe{Err: ctx.Err()}
		}
	}
	f.mu.Lock()
	p, ok := f.probes[addr] // what the server is like when the check ends
	f.mu.Unlock()
	if !ok && role == RoleReplica {
		p = Probe{ReadOnly: true, Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes"}}
	}
	return p
}

var down = Probe{Err: errors.New("connection refused")}

func newFakeMonitor(t *testing.T, cfg MonitorConfig) (*Topology, *Monitor, *fakeProbes, *metrics.Metrics) {
	t.Helper()
	tp := newTestTopology(t)
	met := metrics.New()
	m := NewMonitor(tp, nil, met, cfg, testLogger(t))
	f := newFakeProbes()
	m.probe = f.probe
	return tp, m, f, met
}

// step runs one round of checks and waits for them.
func step(m *Monitor) {
	m.round(context.Background(), false)
	m.checks.Wait()
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestMonitorHysteresis(t *testing.T) {
	const addr = "127.0.0.1:13307"
	stopped := Probe{Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "No", SecondsBehind: -1}}
	ok := Probe{Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes", SecondsBehind: 0}}
	tp, m, f, _ := newFakeMonitor(t, MonitorConfig{FailAfter: 2, RecoverAfter: 3})
	steps := []struct {
		probe   Probe
		state   State
		publish bool
	}{
		{ok, StateUp, true},           // first check: confirms the assumed up; publishes the sql_mode read
		{down, StateUp, false},        // 1 failure
		{ok, StateUp, false},          // the count starts over
		{down, StateUp, false},        // 1
		{down, StateDown, true},       // 2: out
		{ok, StateDown, false},        // 1 success
		{ok, StateDown, false},        // 2
		{stopped, StateLagging, true}, // out of routing: follows the new reason at once
		{ok, StateLagging, false},
		{ok, StateLagging, false},
		{ok, StateUp, true}, // 3 successes: back
		{stopped, StateUp, false},
		{stopped, StateLagging, true},
	}
	for i, s := range steps {
		f.set(addr, s.probe)
		v := tp.Load().Version
		step(m)
		srv := tp.Load().Server(addr)
		if srv.State != s.state {
			t.Fatalf("step %d: state %s, want %s", i, srv.State, s.state)
		}
		if published := tp.Load().Version != v; published != s.publish {
			t.Fatalf("step %d: published = %v, want %v", i, published, s.publish)
		}
	}
	if r := tp.Load().Server(addr).Reason; r != ReasonReplicationStopped {
		t.Errorf("reason = %q", r)
	}
	res, found := m.Check(addr)
	if !found || res.Observed != StateLagging || res.ConsecutiveFailures != 2 || res.Replication == nil || res.Replication.SQLRunning != "No" {
		t.Errorf("last check = %+v", res)
	}
}

func TestMonitorFirstCheckDecides(t *testing.T) {
	tp, m, f, _ := newFakeMonitor(t, MonitorConfig{FailAfter: 3, RecoverAfter: 3})
	f.set("127.0.0.1:13308", down)
	f.set("127.0.0.1:13309", Probe{}) // replica without replication
	step(m)
	s := tp.Load()
	if st := s.Server("127.0.0.1:13308"); st.State != StateDown || !strings.HasPrefix(st.Reason, "unreachable: ") {
		t.Errorf("dead at start: %+v", st)
	}
	if st := s.Server("127.0.0.1:13309"); st.State != StateLagging || st.Reason != ReasonReplicationNotConfigured {
		t.Errorf("unreplicated at start: %+v", st)
	}
	if st := s.Server("127.0.0.1:13307"); st.State != StateUp {
		t.Errorf("healthy at start: %+v", st)
	}
}

func TestMonitorDrainedStaysDrained(t *testing.T) {
	const addr = "127.0.0.1:13307"
	tp, m, f, _ := newFakeMonitor(t, MonitorConfig{FailAfter: 1, RecoverAfter: 1})
	if err := tp.Drain(addr, true); err != nil {
		t.Fatal(err)
	}
	step(m)
	f.set(addr, down)
	step(m)
	srv := tp.Load().Server(addr)
	if srv.State != StateDown || !srv.Drained {
		t.Fatalf("drained and dead = %+v", srv)
	}
	f.set(addr, Probe{ReadOnly: true, Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes"}})
	step(m)
	if srv := tp.Load().Server(addr); srv.State != StateUp || !srv.Drained || srv.Routable() {
		t.Fatalf("drained and healthy = %+v", srv)
	}
	// The legacy operator state is never overwritten by a check.
	tp.Update(func(s *Snapshot) bool { s.Server(addr).State = StateDrained; return true })
	f.set(addr, down)
	step(m)
	if srv := tp.Load().Server(addr); srv.State != StateDrained {
		t.Fatalf("StateDrained overwritten: %+v", srv)
	}
}

func TestMonitorReportFailure(t *testing.T) {
	const addr = "127.0.0.1:13307"
	tp, m, f, _ := newFakeMonitor(t, MonitorConfig{FailAfter: 2, RecoverAfter: 1})
	m.ReportFailure(addr) // before any check: nothing known, nothing counted
	step(m)
	runContext(t, m)

	// A burst of reports counts once, and starts a check of the server.
	f.mu.Lock()
	f.block = make(chan struct{})
	f.mu.Unlock()
	calls := f.count(addr)
	for range 5 {
		m.ReportFailure(addr)
	}
	if srv := tp.Load().Server(addr); srv.State != StateUp {
		t.Fatalf("one report took the server out (fail_after 2): %+v", srv)
	}
	// The check it started finds the server dead: the second failure.
	f.set(addr, down)
	f.mu.Lock()
	close(f.block)
	f.block = nil
	f.mu.Unlock()
	m.checks.Wait()
	if f.count(addr) != calls+1 {
		t.Errorf("%d checks started by the reports, want 1", f.count(addr)-calls)
	}
	srv := tp.Load().Server(addr)
	if srv.State != StateDown {
		t.Fatalf("report + failed check = %+v, want down", srv)
	}
	// Reports about a server already out change nothing.
	v := tp.Load().Version
	m.ReportFailure(addr)
	m.checks.Wait()
	if tp.Load().Version != v {
		t.Error("report about a down server published a snapshot")
	}
}

// runContext gives m the context Run would, until the test ends, so that
// checks started outside a round (ReportFailure) run.
func runContext(t *testing.T, m *Monitor) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
}

func TestMonitorFollowsTopologyChanges(t *testing.T) {
	tp, m, f, met := newFakeMonitor(t, MonitorConfig{FailAfter: 1, RecoverAfter: 1, Interval: time.Hour})
	m.Start()
	defer m.Stop()
	waitFor(t, 5*time.Second, "first round", func() bool { return f.count("127.0.0.1:13307") == 1 })

	// A new server is checked at once, not an hour later.
	f.set("127.0.0.1:13310", down)
	if err := tp.AddReplica("main", config.Replica{Address: "127.0.0.1:13310"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "new server down", func() bool { return tp.Load().Server("127.0.0.1:13310").State == StateDown })
	if f.count("127.0.0.1:13307") != 1 {
		t.Error("adding a server re-checked the others")
	}
	if got := gauge(t, met, "strata_server_up", "127.0.0.1:13310"); got != "0/main/replica/primary" {
		t.Errorf("gauge of the new dead server = %s", got)
	}

	// Moves and drains show in the gauges, without stale series.
	if err := tp.MoveServer("127.0.0.1:13307", "batch"); err != nil {
		t.Fatal(err)
	}
	if err := tp.Drain("127.0.0.1:13308", true); err != nil {
		t.Fatal(err)
	}
	if got := gauge(t, met, "strata_server_up", "127.0.0.1:13307"); got != "1/main/replica/batch" {
		t.Errorf("moved server gauge = %s", got)
	}
	if got := gauge(t, met, "strata_server_up", "127.0.0.1:13308"); got != "0/main/replica/primary" {
		t.Errorf("drained server gauge = %s", got)
	}

	// A removed server is forgotten at the next round.
	if err := tp.RemoveReplica("127.0.0.1:13310"); err != nil {
		t.Fatal(err)
	}
	step(m)
	m.mu.Lock()
	_, still := m.servers["127.0.0.1:13310"]
	m.mu.Unlock()
	if still {
		t.Error("removed server still checked")
	}
	if got := gauge(t, met, "strata_server_up", "127.0.0.1:13310"); got != "" {
		t.Errorf("removed server still has a gauge: %s", got)
	}
}

func TestMonitorStopsCleanly(t *testing.T) {
	_, m, f, _ := newFakeMonitor(t, MonitorConfig{Interval: 10 * time.Millisecond, Timeout: time.Hour})
	f.block = make(chan struct{}) // every check hangs until its context ends
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.Run(ctx)
		close(done)
	}()
	waitFor(t, 5*time.Second, "checks in flight", func() bool { return f.count("127.0.0.1:13306") > 0 })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	m.mu.Lock()
	n := len(m.servers)
	m.mu.Unlock()
	if n != 0 {
		t.Errorf("%d servers still held after Run returned", n)
	}
	m.Stop() // not started with Start: a no-op
}

func TestMonitorConfigure(t *testing.T) {
	_, m, _, _ := newFakeMonitor(t, MonitorConfig{})
	if c := m.Config(); c.Interval != time.Second || c.FailAfter != 2 || c.RecoverAfter != 2 || c.Timeout != 2*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	m.Configure(MonitorConfig{Interval: time.Minute, FailAfter: 5, RecoverAfter: 1, User: "u"})
	if c := m.Config(); c.Interval != time.Minute || c.FailAfter != 5 || c.User != "u" {
		t.Errorf("configured = %+v", c)
	}
}

// A reload that changes the backend account closes the checks' handles,
// maybe under a check in flight. That check's failure is the close's, not
// the server's: counted with one session's report it used to take a
// healthy replica out of routing (Failed pool with both gone).
func TestMonitorIgnoresChecksCutByAnAccountChange(t *testing.T) {
	const addr = "127.0.0.1:13307"
	tp, m, _, _ := newFakeMonitor(t, MonitorConfig{FailAfter: 2, RecoverAfter: 1, User: "old"})
	step(m)
	runContext(t, m)

	// The first check of addr from now on is cut by the close; the
	// server itself is healthy until failing is set.
	var mu sync.Mutex
	calls, failing := 0, false
	release := make(chan struct{})
	m.probe = func(ctx context.Context, a string, _ *sql.DB, role Role) Probe {
		if a != addr {
			return Probe{ReadOnly: role == RoleReplica, Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes"}}
		}
		mu.Lock()
		calls++
		first, fail := calls == 1, failing
		mu.Unlock()
		if first {
			<-release
			return Probe{Err: errors.New("sql: database is closed")}
		}
		if fail {
			return down
		}
		return Probe{ReadOnly: true, Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes"}}
	}
	m.ReportFailure(addr) // one failure counted, and a check in flight
	m.Configure(MonitorConfig{FailAfter: 2, RecoverAfter: 1, User: "new"})
	close(release)
	m.checks.Wait()
	if srv := tp.Load().Server(addr); srv.State != StateUp {
		t.Fatalf("a check cut by the account change counted as the second failure: %+v", srv)
	}
	mu.Lock()
	if calls != 2 {
		t.Errorf("%d checks of the server, want the cut one and one at once on the new handle", calls)
	}
	failing = true
	mu.Unlock()

	// Checks on the new handle count as before.
	step(m)
	step(m)
	if srv := tp.Load().Server(addr); srv.State != StateDown {
		t.Fatalf("two failed checks on the new handle = %+v, want down", srv)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not after %s", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// gauge returns "value/cluster/role/pool" of a strata_server_up series, or
// the value of another gauge, for server; "" when there is none.
func gauge(t *testing.T, met *metrics.Metrics, name, server string) string {
	t.Helper()
	mfs, err := met.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["server"] != server {
				continue
			}
			v := strconv.FormatFloat(mt.GetGauge().GetValue(), 'g', -1, 64)
			if name == "strata_server_up" {
				return v + "/" + labels["cluster"] + "/" + labels["role"] + "/" + labels["pool"]
			}
			return v
		}
	}
	return ""
}

// The sandbox test's servers; no other test uses these ports.
const sandboxYAML = `
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
monitor: {interval: 200ms, fail_after: 2, recover_after: 2}
clusters:
  main:
    primary: 127.0.0.1:24306
    replicas:
      - {address: 127.0.0.1:24307}
      - {address: 127.0.0.1:24308, pool: batch}
`

func requireMariaDB(t *testing.T) {
	t.Helper()
	if sandbox.MariaDBInstalled() {
		return
	}
	if os.Getenv("STRATA_REQUIRE_MARIADB") != "" {
		t.Fatal("mariadbd not found and STRATA_REQUIRE_MARIADB is set: run make deps")
	}
	t.Skip("mariadbd not installed (make deps installs it)")
}

// TestMonitorSandbox runs the monitor against real servers: a killed
// replica is down within two intervals and up again once restarted; a
// replica whose SQL thread stops is lagging ("replication stopped") within
// two intervals and up again after START SLAVE.
func TestMonitorSandbox(t *testing.T) {
	requireMariaDB(t)
	if testing.Short() {
		t.Skip("starts MariaDB servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cfg := testConfig(t, sandboxYAML)
	sb, err := sandbox.Up(ctx, cfg, sandbox.Options{Dir: t.TempDir() + "/sb", KillWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sb.Down(context.Background()); err != nil {
			t.Errorf("sandbox down: %v", err)
		}
	})
	const replica, batch = "127.0.0.1:24307", "127.0.0.1:24308"
	interval := cfg.Monitor.Interval.D()

	tp := New(FromConfig(cfg))
	pools := backend.NewPools(backend.PoolConfig{User: cfg.Backend.User, Password: cfg.Backend.Password, PoolLimits: backend.PoolLimits{MaxConns: 4, ConnectTimeout: time.Second, Wait: time.Second}})
	defer pools.Close()
	met := metrics.New()
	mon := NewMonitor(tp, pools, met, MonitorConfigFrom(cfg), testLogger(t))
	mon.Start()
	defer mon.Stop()

	state := func(addr string) *Server { return tp.Load().Server(addr) }
	waitFor(t, 10*time.Second, "first checks", func() bool {
		_, ok1 := mon.Check(replica)
		_, ok2 := mon.Check(batch)
		return ok1 && ok2
	})
	for _, srv := range tp.Load().Servers() {
		if srv.State != StateUp {
			t.Fatalf("at start: %+v", srv)
		}
	}
	res, _ := mon.Check(replica)
	if res.ReadOnly == nil || !*res.ReadOnly || !res.Replication.Running() {
		t.Errorf("replica check = %+v", res)
	}
	if got := gauge(t, met, "strata_server_up", replica); got != "1/main/replica/primary" {
		t.Errorf("gauge = %s", got)
	}

	// An idle backend connection to the replica, to be closed when it dies.
	c, err := pools.For(replica).Get(ctx, backend.Flavor{Collation: 45}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pools.For(replica).Put(c)
	if st := pools.For(replica).Stats(); st.Idle != 1 {
		t.Fatalf("pool stats = %+v", st)
	}

	// Kill the replica: down within two intervals.
	if err := sb.Server(replica).Kill(); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, 10*time.Second, "killed replica down", func() bool { return state(replica).State == StateDown })
	t.Logf("killed replica down after %s (interval %s)", took, interval)
	if limit := 2*interval + 300*time.Millisecond; took > limit {
		t.Errorf("down after %s, want within two intervals (%s with slack)", took, limit)
	}
	if srv := state(replica); !strings.HasPrefix(srv.Reason, "unreachable: ") || srv.Routable() {
		t.Errorf("dead replica = %+v", srv)
	}
	if st := pools.For(replica).Stats(); st.Idle != 0 || st.Open != 0 {
		t.Errorf("idle connections to the dead replica kept: %+v", st)
	}
	if got := gauge(t, met, "strata_server_up", replica); got != "0/main/replica/primary" {
		t.Errorf("gauge of the dead replica = %s", got)
	}
	if srv := state(batch); srv.State != StateUp {
		t.Errorf("other replica = %+v", srv)
	}

	// Restart it: up again.
	if err := sb.Server(replica).Start(ctx); err != nil {
		t.Fatal(err)
	}
	took = waitFor(t, 30*time.Second, "restarted replica up", func() bool { return state(replica).State == StateUp })
	t.Logf("restarted replica up after %s", took)

	// Stop its SQL thread: lagging, "replication stopped", within two intervals.
	if err := sb.Server(batch).Exec(ctx, "STOP SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	took = waitFor(t, 10*time.Second, "stopped replica lagging", func() bool { return state(batch).State == StateLagging })
	t.Logf("stopped replica lagging after %s", took)
	if limit := 2*interval + 300*time.Millisecond; took > limit {
		t.Errorf("lagging after %s, want within two intervals (%s with slack)", took, limit)
	}
	if srv := state(batch); srv.Reason != ReasonReplicationStopped {
		t.Errorf("stopped replica = %+v", srv)
	}
	if res, _ := mon.Check(batch); res.Replication == nil || res.Replication.SQLRunning != "No" || res.Replication.IORunning != "Yes" {
		t.Errorf("check of the stopped replica = %+v", res)
	}
	if len(tp.Load().Default().Members("batch")) != 0 {
		t.Error("stopped replica still routable")
	}
	if err := sb.Server(batch).Exec(ctx, "START SLAVE"); err != nil {
		t.Fatal(err)
	}
	took = waitFor(t, 10*time.Second, "restarted replication up", func() bool { return state(batch).State == StateUp })
	t.Logf("replication restarted: up after %s", took)
	if srv := state(batch); srv.Reason != "" || !srv.Routable() {
		t.Errorf("recovered replica = %+v", srv)
	}
}

// A primary change made elsewhere (another Strata's switchover, an
// operator) is followed only when the servers agree on it: the primary is
// read_only and replicates from a writable replica that does not replicate.
func TestMonitorFollowsAPrimaryChangedElsewhere(t *testing.T) {
	const primary, to, other = "127.0.0.1:13306", "127.0.0.1:13307", "127.0.0.1:13308"
	demoted := Probe{ReadOnly: true, Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes", MasterAddr: to}}
	promoted := Probe{ReadOnly: false}
	cases := []struct {
		name             string
		primary, replica Probe
		follow           bool
	}{
		{"the servers switched", demoted, promoted, true},
		{"a writable replica alone is a mistake, not a switch", Probe{}, promoted, false},
		{"read_only primary replicating from a read_only replica", demoted, Probe{ReadOnly: true}, false},
		{"the new one still replicates", demoted, Probe{Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes"}}, false},
		{"read_only primary without replication (maintenance)", Probe{ReadOnly: true}, promoted, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tp, m, f, _ := newFakeMonitor(t, MonitorConfig{})
			moved := make(chan [3]string, 1)
			m.OnPrimaryMoved = func(c, from, to string) { moved <- [3]string{c, from, to} }
			f.set(primary, tc.primary)
			f.set(to, tc.replica)
			f.set(other, Probe{ReadOnly: true, Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes", MasterAddr: primary}})
			step(m)
			select {
			case got := <-moved:
				if !tc.follow {
					t.Fatalf("followed %v", got)
				}
				if got != [3]string{"main", primary, to} {
					t.Fatalf("OnPrimaryMoved%v", got)
				}
				if p := tp.Load().Cluster("main").Primary.Addr; p != to {
					t.Fatalf("primary %s after following", p)
				}
			case <-time.After(300 * time.Millisecond):
				if tc.follow {
					t.Fatal("did not follow the switch")
				}
				if p := tp.Load().Cluster("main").Primary.Addr; p != primary {
					t.Fatalf("primary moved to %s", p)
				}
			}
		})
	}
}

// Right after this Strata promoted a replica, the checks made in the old
// roles must not read as a switch back.
func TestMonitorIgnoresChecksFromBeforeAPromotion(t *testing.T) {
	const primary, to = "127.0.0.1:13306", "127.0.0.1:13307"
	tp, m, f, _ := newFakeMonitor(t, MonitorConfig{})
	moved := make(chan string, 1)
	m.OnPrimaryMoved = func(_, _, to string) { moved <- to }
	// As the servers are mid-switchover: the new primary's last check (as
	// a replica) still shows it read_only and replicating from the old
	// one, which was writable when last checked.
	f.set(to, Probe{ReadOnly: true, Replication: &ReplicationStatus{IORunning: "Yes", SQLRunning: "Yes", MasterAddr: primary}})
	f.set(primary, Probe{ReadOnly: false})
	step(m)
	if err := tp.Promote("main", to); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	back := m.movedPrimaryLocked(tp.Load().Cluster("main"))
	m.mu.Unlock()
	if back != "" {
		t.Fatalf("stale checks read as a switch back to %s", back)
	}
	select {
	case got := <-moved:
		t.Fatalf("followed a switch to %s", got)
	case <-time.After(100 * time.Millisecond):
	}
}
