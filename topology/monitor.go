package topology

import (
	"context"
	"crypto/tls"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/metrics"
)

// MonitorConfig tunes a Monitor.
type MonitorConfig struct {
	// Interval is the time between two checks of a server.
	Interval time.Duration
	// FailAfter consecutive failed checks take a routable server out of
	// routing; RecoverAfter consecutive good checks bring it back.
	FailAfter, RecoverAfter int
	// Timeout bounds one check: connecting, pinging and the queries.
	Timeout time.Duration
	// User and Password are the account the checks log in with (the
	// config's backend account). SHOW SLAVE STATUS needs the REPLICATION
	// CLIENT (MariaDB 10.5+: SLAVE MONITOR) privilege.
	User, Password string
	// Sockets maps server addresses to the Unix sockets Strata dials them
	// through: a check must reach a server the way queries do.
	Sockets map[string]string
	// TLS encrypts the checks' TCP connections, as the queries' are
	// (backend.tls; set by the caller: MonitorConfigFrom leaves it nil).
	TLS *tls.Config
}

// MonitorConfigFrom takes the monitor settings of a config.
func MonitorConfigFrom(cfg *config.Config) MonitorConfig {
	return MonitorConfig{
		Interval:     cfg.Monitor.Interval.D(),
		FailAfter:    cfg.Monitor.FailAfter,
		RecoverAfter: cfg.Monitor.RecoverAfter,
		Timeout:      cfg.Limits.ConnectTimeout.D(),
		User:         cfg.Backend.User,
		Password:     cfg.Backend.Password,
		Sockets:      cfg.Backend.Sockets,
	}
}

func (c MonitorConfig) withDefaults() MonitorConfig {
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.FailAfter <= 0 {
		c.FailAfter = 2
	}
	if c.RecoverAfter <= 0 {
		c.RecoverAfter = 2
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	return c
}

// Probe is what one check saw of a server.
type Probe struct {
	// Err is a failed connect, ping or query: the server is down.
	Err error
	// ReadOnly is @@global.read_only.
	ReadOnly bool
	// SQLMode is @@global.sql_mode.
	SQLMode string
	// Replication is SHOW SLAVE STATUS of a replica; nil when it returned
	// no row (replication not configured).
	Replication *ReplicationStatus
	// ReplicationErr is set when SHOW SLAVE STATUS was refused (usually a
	// missing privilege): the replica counts as up, its lag as unknown.
	ReplicationErr error
}

// ReplicationStatus is the part of SHOW SLAVE STATUS the monitor uses.
type ReplicationStatus struct {
	IORunning  string `json:"io_running"`  // Yes, No, Connecting, Preparing
	SQLRunning string `json:"sql_running"` // Yes or No
	// SecondsBehind is Seconds_Behind_Master, -1 when NULL.
	SecondsBehind int64  `json:"seconds_behind_master"`
	LastIOError   string `json:"last_io_error,omitempty"`
	LastSQLError  string `json:"last_sql_error,omitempty"`
	// MasterAddr is where the server replicates from, host:port.
	MasterAddr string `json:"master,omitempty"`
}

// Running reports whether both replication threads run.
func (r *ReplicationStatus) Running() bool {
	return r != nil && r.IORunning == "Yes" && r.SQLRunning == "Yes"
}

// Reasons the monitor gives for a server out of routing.
const (
	ReasonReplicationStopped       = "replication stopped"
	ReasonReplicationNotConfigured = "replication not configured"
	// ReasonPrimaryDown marks a replica kept in routing while its primary
	// is down: it cannot fall further behind, as nothing is written.
	ReasonPrimaryDown = "primary down: serving what it received"
)

// Classify turns a probe of srv (a server of cl) into the state it observes,
// the replication lag and the reason when the state is not up. It is the
// whole health policy; the hysteresis is applied on top by the Monitor.
func Classify(srv *Server, cl *Cluster, p Probe) (State, time.Duration, string) {
	if p.Err != nil {
		return StateDown, 0, "unreachable: " + shortError(p.Err)
	}
	if srv.Role == RolePrimary || p.ReplicationErr != nil {
		return StateUp, 0, ""
	}
	r := p.Replication
	if r == nil {
		return StateLagging, 0, ReasonReplicationNotConfigured
	}
	if !r.Running() {
		// The I/O thread retrying a dead primary (the SQL thread applying
		// what arrived): the replica is as current as any server can be
		// now, so reads go on instead of failing with the primary.
		if r.IORunning == "Connecting" && r.SQLRunning == "Yes" && cl != nil && cl.Primary != nil && cl.Primary.State == StateDown {
			return StateUp, 0, ReasonPrimaryDown
		}
		return StateLagging, 0, ReasonReplicationStopped
	}
	var lag time.Duration
	if r.SecondsBehind > 0 {
		lag = time.Duration(r.SecondsBehind) * time.Second
	}
	if limit := MaxLag(cl, srv.Pool); limit > 0 && lag > limit {
		return StateLagging, lag, fmt.Sprintf("replication lag over max_replica_lag (%s)", limit)
	}
	return StateUp, lag, ""
}

// MaxLag is the lag limit of a pool: its own max_replica_lag, else its
// cluster's; 0 means no limit.
func MaxLag(cl *Cluster, pool string) time.Duration {
	if cl == nil {
		return 0
	}
	if p := cl.Pools[pool]; p != nil && p.MaxReplicaLag > 0 {
		return p.MaxReplicaLag
	}
	return cl.MaxReplicaLag
}

func shortError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return msg
}

// CheckResult is the last check of a server, for the admin API.
type CheckResult struct {
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration_ns"`
	// Observed is what this check alone saw; the server's published state
	// follows it after the hysteresis.
	Observed State `json:"observed"`
	// Role is what the server was when checked: a check made before a
	// role change says nothing about the server's new role.
	Role        Role               `json:"role"`
	Reason      string             `json:"reason,omitempty"`
	ReadOnly    *bool              `json:"read_only,omitempty"`
	Replication *ReplicationStatus `json:"replication,omitempty"`
	// ConsecutiveFailures and ConsecutiveSuccesses drive the hysteresis.
	ConsecutiveFailures  int `json:"consecutive_failures"`
	ConsecutiveSuccesses int `json:"consecutive_successes"`
}

// Monitor checks every server of a Topology on an interval and publishes
// their health through SetState: connect and ping, @@read_only, and on
// replicas SHOW SLAVE STATUS. It also keeps the strata_server_up and
// strata_replica_lag_seconds gauges in step with every published snapshot,
// whoever published it.
type Monitor struct {
	topo    *Topology
	pools   *backend.Pools   // nil: no pool to clean
	metrics *metrics.Metrics // nil: no metrics
	log     *slog.Logger

	// probe checks one server; tests replace it.
	probe func(ctx context.Context, addr string, db *sql.DB, role Role) Probe

	// OnPrimaryMoved, when set, is told after the monitor followed a
	// primary change made outside this Strata (set it before Start).
	OnPrimaryMoved func(cluster, from, to string)

	mu      sync.Mutex
	cfg     MonitorConfig
	servers map[string]*serverCheck
	ctx     context.Context // of the running loop; nil when not running
	checks  sync.WaitGroup  // checks in flight

	wake   chan struct{} // check servers never checked, now
	retime chan struct{} // the interval changed
	cancel context.CancelFunc
	done   chan struct{}

	subMu  sync.Mutex
	labels map[string][4]string // gauge labels per server, from the last snapshot
}

// serverCheck is the monitor's memory of one server.
type serverCheck struct {
	addr     string
	db       *sql.DB
	inFlight bool
	seen     bool // checked at least once: later changes go through the hysteresis
	removed  bool
	fails    int
	oks      int
	reported bool // a ReportFailure was counted since the last check
	last     CheckResult
	warned   map[string]bool
}

// NewMonitor makes a monitor; Start or Run starts checking. pools and m may
// be nil.
func NewMonitor(t *Topology, pools *backend.Pools, m *metrics.Metrics, cfg MonitorConfig, log *slog.Logger) *Monitor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mon := &Monitor{
		topo: t, pools: pools, metrics: m, log: log,
		probe:   sqlProbe,
		cfg:     cfg.withDefaults(),
		servers: map[string]*serverCheck{},
		wake:    make(chan struct{}, 1),
		retime:  make(chan struct{}, 1),
	}
	mon.published(t.Load())
	t.Subscribe(mon.published)
	return mon
}

// Start runs the monitor in the background until Stop.
func (m *Monitor) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	m.mu.Lock()
	m.cancel, m.done = cancel, make(chan struct{})
	done := m.done
	m.mu.Unlock()
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
}

// Stop ends a monitor started with Start and waits for its checks to end.
func (m *Monitor) Stop() {
	m.mu.Lock()
	cancel, done := m.cancel, m.done
	m.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Run checks every server once at once, then every interval, until ctx
// ends; it returns after the checks in flight ended, with the monitor's
// connections closed.
func (m *Monitor) Run(ctx context.Context) {
	m.mu.Lock()
	m.ctx = ctx
	interval := m.cfg.Interval
	m.mu.Unlock()
	defer m.shutdown()
	m.round(ctx, false)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			m.round(ctx, false)
		case <-m.wake:
			m.round(ctx, true)
		case <-m.retime:
			m.mu.Lock()
			ticker.Reset(m.cfg.Interval)
			m.mu.Unlock()
		}
	}
}

func (m *Monitor) shutdown() {
	m.checks.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ctx = nil
	for _, sc := range m.servers {
		sc.db.Close()
	}
	m.servers = map[string]*serverCheck{}
}

// Configure changes the settings of a running monitor (a reload).
func (m *Monitor) Configure(cfg MonitorConfig) {
	cfg = cfg.withDefaults()
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.cfg
	// The sockets and TLS of the start stay, as the pools' do (a change
	// needs a restart): checks must reach servers the way queries do.
	cfg.Sockets, cfg.TLS = old.Sockets, old.TLS
	m.cfg = cfg
	if old.User != cfg.User || old.Password != cfg.Password || old.Timeout != cfg.Timeout {
		for _, sc := range m.servers {
			go sc.db.Close() // Close waits for a check in flight
			sc.db = m.openDB(sc.addr)
		}
	}
	if old.Interval != cfg.Interval {
		select {
		case m.retime <- struct{}{}:
		default:
		}
	}
}

// Config returns the monitor's settings.
func (m *Monitor) Config() MonitorConfig {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg
}

// round starts a check of every server that has none in flight (onlyNew:
// of every server never checked) and forgets servers that left the topology.
func (m *Monitor) round(ctx context.Context, onlyNew bool) {
	snap := m.topo.Load()
	m.mu.Lock()
	present := map[string]bool{}
	for _, srv := range snap.Servers() {
		present[srv.Addr] = true
		sc := m.servers[srv.Addr]
		if sc == nil {
			sc = &serverCheck{addr: srv.Addr, db: m.openDB(srv.Addr), warned: map[string]bool{}}
			m.servers[srv.Addr] = sc
		}
		if !onlyNew || !sc.seen {
			m.startCheckLocked(ctx, sc)
		}
	}
	for addr, sc := range m.servers {
		if !present[addr] {
			m.forgetLocked(sc)
		}
	}
	m.mu.Unlock()
	if m.pools != nil && m.metrics != nil && !onlyNew {
		m.pools.Each(func(p *backend.Pool) {
			if present[p.Addr()] {
				st := p.Stats()
				m.metrics.BackendConns(p.Addr(), st.Idle, st.InUse)
			}
		})
	}
}

func (m *Monitor) startCheckLocked(ctx context.Context, sc *serverCheck) {
	if sc.inFlight || ctx == nil || ctx.Err() != nil {
		return
	}
	sc.inFlight = true
	m.checks.Add(1)
	go m.check(ctx, sc, sc.db, m.cfg.Timeout)
}

// forgetLocked drops a server that left the topology and closes what was
// kept open for it: the monitor's connection and the idle backend ones.
func (m *Monitor) forgetLocked(sc *serverCheck) {
	delete(m.servers, sc.addr)
	sc.removed = true
	if !sc.inFlight {
		sc.db.Close()
	}
	if m.pools != nil {
		m.pools.For(sc.addr).CloseIdle()
	}
}

func (m *Monitor) check(ctx context.Context, sc *serverCheck, db *sql.DB, timeout time.Duration) {
	defer m.checks.Done()
	role := RoleReplica
	if srv := m.topo.Load().Server(sc.addr); srv != nil {
		role = srv.Role
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	p := m.probe(cctx, sc.addr, db, role)
	cancel()
	took := time.Since(start)

	m.mu.Lock()
	defer m.mu.Unlock()
	sc.inFlight = false
	if sc.removed {
		sc.db.Close()
		return
	}
	if ctx.Err() != nil {
		return // stopping: a check cut short says nothing about the server
	}
	if db != sc.db {
		// A reload changed the account or timeout and closed the handle
		// this check ran on, maybe under it: its "sql: database is
		// closed" says nothing about the server, and counted with one
		// session's report it would take a healthy server out of routing.
		// Check again at once on the new handle (a server the reload
		// added must not wait a whole interval for its first check).
		m.startCheckLocked(ctx, sc)
		return
	}
	sc.reported = false
	snap := m.topo.Load()
	srv := snap.Server(sc.addr)
	if srv == nil {
		return // removed since; the next round forgets it
	}
	state, lag, reason := Classify(srv, snap.Cluster(srv.Cluster), p)
	m.observeLocked(sc, srv, state, lag, reason, true)
	sc.last = CheckResult{
		Time: start, Duration: took, Observed: state, Reason: reason, Role: role,
		Replication:         p.Replication,
		ConsecutiveFailures: sc.fails, ConsecutiveSuccesses: sc.oks,
	}
	if p.Err == nil {
		ro := p.ReadOnly
		sc.last.ReadOnly = &ro
		if m.topo.SetSQLMode(sc.addr, p.SQLMode) && srv.SQLModeRead {
			m.log.Info("server's global sql_mode changed: sessions opened from now on read statements with it", "server", srv.Addr, "sql_mode", p.SQLMode, "was", srv.SQLMode)
		}
		m.warnings(sc, srv, p)
	}
	if cl := snap.Cluster(srv.Cluster); cl != nil {
		if to := m.movedPrimaryLocked(cl); to != "" {
			go m.followPrimary(cl.Name, cl.Primary.Addr, to)
		}
	}
}

// movedPrimaryLocked reports the replica of cl that another hand made the
// primary (a second Strata's switchover, an operator, an orchestrator),
// from the last checks: the primary is read_only and replicates from that
// replica, which is writable and does not replicate. "" when there is none.
// Both conditions together, not a writable replica alone (a mistake), are
// what a deliberate switchover leaves.
func (m *Monitor) movedPrimaryLocked(cl *Cluster) string {
	p := m.servers[cl.Primary.Addr]
	if p == nil || p.last.Role != RolePrimary || p.last.ReadOnly == nil || !*p.last.ReadOnly || p.last.Replication == nil {
		return "" // only checks made in the roles the topology has now count
	}
	to := p.last.Replication.MasterAddr
	if !slices.ContainsFunc(cl.Replicas, func(r *Server) bool { return r.Addr == to }) {
		return ""
	}
	c := m.servers[to]
	if c == nil || c.last.Role != RoleReplica || c.last.ReadOnly == nil || *c.last.ReadOnly {
		return ""
	}
	if r := c.last.Replication; r != nil && (r.IORunning == "Yes" || r.SQLRunning == "Yes") {
		return ""
	}
	return to
}

// followPrimary makes Strata's topology name the primary the servers
// already have, then tells OnPrimaryMoved.
func (m *Monitor) followPrimary(cluster, from, to string) {
	promoted, err := m.topo.PromoteFrom(cluster, from, to)
	if err != nil {
		m.log.Error("cannot follow a primary change made outside this Strata", "cluster", cluster, "from", from, "to", to, "err", err)
	}
	if !promoted {
		return // followed already by another check, or moved by Strata itself
	}
	m.log.Warn("primary changed outside this Strata: following it", "cluster", cluster, "from", from, "to", to)
	m.CheckNow()
	m.mu.Lock()
	hook := m.OnPrimaryMoved
	m.mu.Unlock()
	if hook != nil {
		hook(cluster, from, to)
	}
}

// observeLocked counts one observation of srv and publishes the state the
// hysteresis decides. decisiveFirst makes the first observation of a server
// count at once: at start nothing is known, every server is assumed up.
func (m *Monitor) observeLocked(sc *serverCheck, srv *Server, obs State, lag time.Duration, reason string, decisiveFirst bool) {
	if obs == StateUp {
		sc.oks++
		sc.fails = 0
	} else {
		sc.fails++
		sc.oks = 0
	}
	first := !sc.seen && decisiveFirst
	if decisiveFirst {
		sc.seen = true
	}
	cur := srv.State
	if cur == StateDrained {
		return // an operator's state, not the monitor's
	}
	target, tlag, treason := cur, srv.Lag, srv.Reason
	switch {
	case first:
		target, tlag, treason = obs, lag, reason
	case obs == StateUp && cur == StateUp:
		tlag, treason = lag, reason // an up server's reason is a note (ReasonPrimaryDown)
	case obs == StateUp:
		if sc.oks >= m.cfg.RecoverAfter {
			target, tlag, treason = StateUp, lag, reason
		}
	case cur == StateUp:
		if sc.fails >= m.cfg.FailAfter {
			target, tlag, treason = obs, lag, reason
		}
	default:
		// Already out of routing: follow what is seen (down <-> lagging).
		target, tlag, treason = obs, lag, reason
	}
	if target == StateDown && cur != StateDown && m.pools != nil {
		// Idle connections to a failed server are dead or about to be.
		// Closed before the state is published, so whoever sees the
		// server down sees none of them left in its pool.
		m.pools.For(srv.Addr).CloseIdle()
	}
	if !m.topo.SetState(srv.Addr, target, tlag, treason) || target == cur {
		return
	}
	if target == StateUp {
		m.log.Info("server back in routing", "server", srv.Addr, "cluster", srv.Cluster, "role", srv.Role, "was", cur)
	} else {
		m.log.Warn("server out of routing", "server", srv.Addr, "cluster", srv.Cluster, "role", srv.Role, "state", target, "reason", treason)
	}
}

// warnings logs, once per episode, what is odd without being a failure.
func (m *Monitor) warnings(sc *serverCheck, srv *Server, p Probe) {
	warn := func(key string, cond bool, msg string, args ...any) {
		switch {
		case cond && !sc.warned[key]:
			sc.warned[key] = true
			m.log.Warn(msg, append([]any{"server", srv.Addr}, args...)...)
		case !cond:
			delete(sc.warned, key)
		}
	}
	warn("primary-ro", srv.Role == RolePrimary && p.ReadOnly, "primary is read_only: writes will fail")
	warn("replica-rw", srv.Role == RoleReplica && !p.ReadOnly, "replica is not read_only: a misrouted write would fork the data")
	warn("repl-status", p.ReplicationErr != nil, "cannot read replication status; lag is not checked (grant REPLICATION CLIENT / SLAVE MONITOR)", "err", p.ReplicationErr)
	var primaryMode string
	differs := false
	if cl := m.topo.Load().Cluster(srv.Cluster); cl != nil && cl.Primary != nil && srv.Role == RoleReplica {
		primaryMode = cl.Primary.SQLMode
		differs = cl.Primary.SQLModeRead && p.SQLMode != primaryMode
	}
	warn("sql-mode", differs,
		"replica's global sql_mode differs from its primary's: a session that does not set sql_mode behaves differently on each, and Strata reads its statements as the primary would (set the same sql_mode on every server)",
		"sql_mode", p.SQLMode, "primary_sql_mode", primaryMode)
}

// ReportFailure lets the data plane report that connecting to addr failed:
// it counts as one failed check at once (at most once between two checks,
// so a burst of failing sessions counts once) and a check of the server
// starts right away, so a dead server leaves routing without waiting for
// the interval. Servers already out of routing are left to the checks.
func (m *Monitor) ReportFailure(addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sc := m.servers[addr]
	if sc == nil || sc.reported {
		return
	}
	srv := m.topo.Load().Server(addr)
	if srv == nil || srv.State != StateUp {
		return
	}
	if sc.seen {
		sc.reported = true
		m.observeLocked(sc, srv, StateDown, 0, "unreachable: connection failed (reported by a session)", false)
	}
	m.startCheckLocked(m.ctx, sc)
}

// CheckNow checks at once every server never checked (new servers are
// also noticed by themselves: the monitor watches every published snapshot).
func (m *Monitor) CheckNow() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Check returns the last check of addr.
func (m *Monitor) Check(addr string) (CheckResult, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sc := m.servers[addr]
	if sc == nil || sc.last.Time.IsZero() {
		return CheckResult{}, false
	}
	return sc.last, true
}

// published runs after every snapshot publish: it updates the health gauges
// and wakes the loop when a server appeared.
func (m *Monitor) published(*Snapshot) {
	m.subMu.Lock()
	// Subscribers of concurrent publishes may run out of order: always
	// describe the newest snapshot, so the last call leaves it in place.
	s := m.topo.Load()
	labels := make(map[string][4]string, len(m.labels))
	added := false
	for _, srv := range s.Servers() {
		labels[srv.Addr] = [4]string{srv.Addr, srv.Cluster, string(srv.Role), srv.Pool}
		if _, ok := m.labels[srv.Addr]; !ok {
			added = true
		}
	}
	if m.metrics != nil {
		if m.labels != nil && !maps.Equal(labels, m.labels) {
			m.metrics.ResetServerStates() // a server moved or left: drop its old series
		}
		for _, srv := range s.Servers() {
			m.metrics.ServerState(srv.Addr, srv.Cluster, string(srv.Role), srv.Pool, srv.Routable(), srv.Lag)
		}
	}
	first := m.labels == nil
	m.labels = labels
	m.subMu.Unlock()
	if added && !first {
		m.CheckNow()
	}
}

func (m *Monitor) openDB(addr string) *sql.DB {
	mc := mysql.NewConfig()
	mc.User, mc.Passwd = m.cfg.User, m.cfg.Password
	mc.Net, mc.Addr = "tcp", addr
	if path := m.cfg.Sockets[addr]; path != "" {
		mc.Net, mc.Addr = "unix", path
	} else if m.cfg.TLS != nil {
		mc.TLS = config.TLSForServer(m.cfg.TLS, addr)
	}
	mc.Timeout, mc.ReadTimeout, mc.WriteTimeout = m.cfg.Timeout, m.cfg.Timeout, m.cfg.Timeout
	mc.Logger = quietLogger{}
	var conn driver.Connector
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		// Only a malformed driver config fails here; every check reports it.
		conn = failingConnector{err}
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(time.Hour)
	return db
}

// sqlProbe is the real check.
func sqlProbe(ctx context.Context, _ string, db *sql.DB, role Role) Probe {
	if err := db.PingContext(ctx); err != nil {
		return Probe{Err: err}
	}
	var p Probe
	if err := db.QueryRowContext(ctx, "SELECT @@global.read_only, @@global.sql_mode").Scan(&p.ReadOnly, &p.SQLMode); err != nil {
		return Probe{Err: err}
	}
	if role != RoleReplica {
		if p.ReadOnly {
			// A read_only primary may have been switched over by someone
			// else: where it replicates from says to whom.
			p.Replication, _ = replicationStatus(ctx, db)
		}
		return p
	}
	p.Replication, p.Err = replicationStatus(ctx, db)
	var me *mysql.MySQLError
	if errors.As(p.Err, &me) {
		p.ReplicationErr, p.Err = p.Err, nil
	}
	return p
}

// ShowReplicaStatus runs SHOW SLAVE STATUS (SHOW REPLICA STATUS where the
// old name is gone) and returns its row by column, with MySQL 8.4's
// Replica_/_Source names mapped to MariaDB's Slave_/_Master; nil when the
// server does not replicate.
func ShowReplicaStatus(ctx context.Context, db *sql.DB) (map[string]sql.NullString, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1064 {
		rows, err = db.QueryContext(ctx, "SHOW REPLICA STATUS") // MySQL 8.4 dropped the old name
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	col := make(map[string]sql.NullString, len(cols))
	for i, c := range cols {
		col[strings.Replace(strings.Replace(c, "Replica_", "Slave_", 1), "_Source", "_Master", 1)] = vals[i]
	}
	return col, rows.Err()
}

func replicationStatus(ctx context.Context, db *sql.DB) (*ReplicationStatus, error) {
	col, err := ShowReplicaStatus(ctx, db)
	if err != nil || col == nil {
		return nil, err
	}
	r := &ReplicationStatus{
		IORunning:     col["Slave_IO_Running"].String,
		SQLRunning:    col["Slave_SQL_Running"].String,
		SecondsBehind: -1,
		LastIOError:   col["Last_IO_Error"].String,
		LastSQLError:  col["Last_SQL_Error"].String,
	}
	if h, port := col["Master_Host"].String, col["Master_Port"].String; h != "" && port != "" {
		r.MasterAddr = net.JoinHostPort(h, port)
	}
	if v := col["Seconds_Behind_Master"]; v.Valid {
		r.SecondsBehind, _ = strconv.ParseInt(v.String, 10, 64)
	}
	return r, nil
}

// failingConnector fails every connect with the error that made it.
type failingConnector struct{ err error }

func (c failingConnector) Connect(context.Context) (driver.Conn, error) { return nil, c.err }
func (c failingConnector) Driver() driver.Driver                        { return failingDriver(c) }

type failingDriver failingConnector

func (d failingDriver) Open(string) (driver.Conn, error) { return nil, d.err }

// quietLogger drops go-sql-driver's messages about broken connections:
// for a monitor they are the expected outcome, reported as server states.
type quietLogger struct{}

func (quietLogger) Print(...any) {}
