// Package switchover moves a cluster's primary to one of its replicas, as
// an operator does before maintenance on the primary's host, without
// losing a write a client was told had committed.
//
// The order of the steps is the guarantee:
//
//  1. Strata stops handing out connections to the old primary (its pool
//     is paused: new writes wait, they are not refused) and waits until
//     no connection to it is in use, so every transaction through Strata
//     has committed or rolled back.
//  2. The old primary is made read_only and its last GTID position read.
//  3. The new primary waits until it has applied that position
//     (MASTER_GTID_WAIT): everything acknowledged is now on it.
//  4. The new primary stops replicating and takes writes (read_only off).
//  5. Strata's topology names it the primary and the held writes go there.
//  6. The old primary and the other replicas replicate from it.
//
// A failure or timeout before step 5 undoes what was done (read_only off
// again, replication restarted) and the cluster runs as before; after
// step 5 the switch stands and what failed in step 6 is reported as a
// warning (a replica left on the old primary still receives every write
// through it, which has log_slave_updates).
package switchover

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
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
	"github.com/strata-proxy/strata/topology"
)

// Switcher runs switchovers, one at a time.
type Switcher struct {
	Topology *topology.Topology
	Pools    *backend.Pools
	// Config returns the running config (accounts, timeout, sockets, TLS).
	Config func() *config.Config
	Log    *slog.Logger
	// Metrics, when set, counts switchovers, failovers and rejoins.
	Metrics *metrics.Metrics
	// Sessions, when set, names the client sessions that hold the old
	// primary (in the refusal), and closes them for a forced switchover.
	Sessions Sessions
	// Saved, when set, is called after an automatic failover so the new
	// primary is written to the config file (the admin API saves after a
	// switchover it was asked for).
	Saved func(*Report)

	mu sync.Mutex // one switchover or failover at a time

	histMu  sync.Mutex
	history []Event
}

// Event is one switchover or failover, done or refused, for operators
// (GET /api/switchovers).
type Event struct {
	Kind    string    `json:"kind"` // switchover, failover, rejoin or followed
	At      time.Time `json:"at"`
	Cluster string    `json:"cluster"`
	Report  *Report   `json:"report,omitempty"`
	Error   string    `json:"error,omitempty"`
}

// historySize bounds the events kept.
const historySize = 50

func (sw *Switcher) record(kind, cluster string, rep *Report, err error) {
	ev := Event{Kind: kind, At: time.Now().UTC(), Cluster: cluster, Report: rep}
	if err != nil {
		ev.Report, ev.Error = nil, err.Error()
	}
	if sw.Metrics != nil {
		var held time.Duration
		if ev.Report != nil {
			held = time.Duration(ev.Report.WritesHeldMs * float64(time.Millisecond))
		}
		sw.Metrics.PrimaryChange(cluster, kind, err == nil, held)
	}
	sw.histMu.Lock()
	defer sw.histMu.Unlock()
	sw.history = append(sw.history, ev)
	if len(sw.history) > historySize {
		sw.history = sw.history[len(sw.history)-historySize:]
	}
}

// Followed records a primary change this Strata did not make but
// followed (the monitor saw the servers switched: another Strata's
// switchover, an operator's), and returns its report.
func (sw *Switcher) Followed(cluster, from, to string) *Report {
	rep := &Report{Cluster: cluster, OldPrimary: from, NewPrimary: to,
		Steps: []Step{{Name: from + " is read_only and replicates from " + to + ", which takes writes: followed"}}}
	sw.record("followed", cluster, rep, nil)
	return rep
}

// History returns the switchovers and failovers since start, newest first.
func (sw *Switcher) History() []Event {
	sw.histMu.Lock()
	defer sw.histMu.Unlock()
	out := make([]Event, len(sw.history))
	for i, ev := range sw.history {
		out[len(out)-1-i] = ev
	}
	return out
}

// Sessions is what a switchover needs of the client sessions
// (*session.Registry).
type Sessions interface {
	// Holding lists the sessions that keep a connection to addr between
	// statements.
	Holding(addr string) []uint32
	// Kill closes a session's client connection (and its statement).
	Kill(id uint32, queryOnly bool) (bool, error)
}

// Request asks for a switchover of Cluster to the replica To ("" picks
// the routable replica with the least lag). Timeout 0 uses the config's.
// Force closes the client sessions that still hold the old primary when
// the timeout ends (their open transactions roll back) instead of giving
// up.
type Request struct {
	Cluster string
	To      string
	Timeout time.Duration
	Force   bool
}

// Report says what a switchover did.
type Report struct {
	Cluster    string `json:"cluster"`
	OldPrimary string `json:"old_primary"`
	NewPrimary string `json:"new_primary"`
	// GTID is the old primary's last position, applied by the new one
	// before it took writes.
	GTID string `json:"gtid"`
	// WritesHeldMs is how long statements for the primary waited.
	WritesHeldMs float64  `json:"writes_held_ms"`
	Steps        []Step   `json:"steps"`
	Warnings     []string `json:"warnings,omitempty"`
}

// Step is one step of a switchover and how long it took.
type Step struct {
	Name string  `json:"step"`
	Ms   float64 `json:"ms"`
}

func refused(kind error, format string, args ...any) error {
	return &topology.ChangeError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Run performs the switchover of req.
func (sw *Switcher) Run(ctx context.Context, req Request) (*Report, error) {
	if !sw.mu.TryLock() {
		return nil, refused(topology.ErrConflict, "another switchover or failover is running; wait for it to end")
	}
	defer sw.mu.Unlock()
	rep, err := sw.run(ctx, req)
	sw.record("switchover", req.Cluster, rep, err)
	return rep, err
}

func (sw *Switcher) run(ctx context.Context, req Request) (*Report, error) {
	cfg := sw.Config()
	if !cfg.Switchover.Enabled() {
		return nil, refused(topology.ErrConflict, "switchover is not configured: set switchover.user (an account with READ_ONLY ADMIN and REPLICATION SLAVE ADMIN) and switchover.replication_user in the config")
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = cfg.Switchover.Timeout.D()
	}
	cl := sw.Topology.Load().Cluster(req.Cluster)
	if cl == nil {
		return nil, refused(topology.ErrNotFound, "no cluster %s in the topology", req.Cluster)
	}
	target, err := pickTarget(cl, req.To)
	if err != nil {
		return nil, err
	}
	r := &run{sw: sw, cfg: cfg, cluster: cl, old: cl.Primary.Addr, target: target.Addr, timeout: timeout, force: req.Force,
		rep: &Report{Cluster: cl.Name, OldPrimary: cl.Primary.Addr, NewPrimary: target.Addr}}
	defer r.close()
	if err := r.switchover(ctx); err != nil {
		sw.Log.Warn("switchover failed; the cluster runs as before", "cluster", cl.Name, "from", r.old, "to", r.target, "err", err)
		return nil, err
	}
	sw.Log.Info("switchover done", "cluster", cl.Name, "from", r.old, "to", r.target, "gtid", r.rep.GTID,
		"writes_held_ms", r.rep.WritesHeldMs, "warnings", len(r.rep.Warnings))
	return r.rep, nil
}

// pickTarget checks the named replica, or picks the routable one with the
// least lag.
func pickTarget(cl *topology.Cluster, to string) (*topology.Server, error) {
	if to == "" {
		var best *topology.Server
		for _, r := range cl.Replicas {
			if r.State == topology.StateUp && (best == nil || r.Lag < best.Lag) {
				best = r
			}
		}
		if best == nil {
			return nil, refused(topology.ErrConflict, "cluster %s has no replica that is up to promote", cl.Name)
		}
		return best, nil
	}
	if cl.Primary.Addr == to {
		return nil, refused(topology.ErrConflict, "%s is already the primary of cluster %s", to, cl.Name)
	}
	i := slices.IndexFunc(cl.Replicas, func(r *topology.Server) bool { return r.Addr == to })
	if i < 0 {
		return nil, refused(topology.ErrNotFound, "%s is not a replica of cluster %s", to, cl.Name)
	}
	if st := cl.Replicas[i].State; st != topology.StateUp {
		return nil, refused(topology.ErrConflict, "%s is %s (%s): only a replica that is up and replicating can become the primary", to, st, cl.Replicas[i].Reason)
	}
	return cl.Replicas[i], nil
}

// run is one switchover in progress.
type run struct {
	sw       *Switcher
	cfg      *config.Config
	cluster  *topology.Cluster
	old      string
	target   string
	timeout  time.Duration
	force    bool
	deadline time.Time
	rep      *Report
	dbs      []*sql.DB
	last     time.Time
}

// hold pauses the old primary's pool: statements for it wait from now on.
// resume ends the pause once (the first call wins) with the error the
// waiting statements get, records how long they waited, and starts the
// timeout's clock for what follows the pause.
func (r *run) hold() (pool *backend.Pool, resume func(error)) {
	pool = r.sw.Pools.For(r.old)
	held := time.Now()
	pool.Pause()
	r.deadline = held.Add(r.timeout)
	var once sync.Once
	return pool, func(err error) {
		once.Do(func() {
			pool.Resume(err)
			r.rep.WritesHeldMs = float64(time.Since(held).Microseconds()) / 1000
		})
	}
}

func (r *run) step(name string) {
	now := time.Now()
	r.rep.Steps = append(r.rep.Steps, Step{Name: name, Ms: float64(now.Sub(r.last).Microseconds()) / 1000})
	r.last = now
}

func (r *run) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.rep.Warnings = append(r.rep.Warnings, msg)
	r.sw.Log.Warn("switchover: "+msg, "cluster", r.cluster.Name)
}

func (r *run) switchover(ctx context.Context) error {
	r.last = time.Now()
	oldDB, targetDB := r.open(r.old), r.open(r.target)
	if err := r.checkTarget(ctx, targetDB); err != nil {
		return err
	}
	if err := oldDB.PingContext(ctx); err != nil {
		return refused(topology.ErrConflict, "cannot reach the primary %s as switchover.user: %v", r.old, err)
	}
	r.step("checked " + r.target + " replicates from " + r.old)

	pool, resume := r.hold()
	defer resume(nil) // any failure below: the old primary serves again
	if err := r.waitIdle(ctx, pool); err != nil {
		return err
	}
	r.step("no connection to " + r.old + " in use")

	if _, err := oldDB.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
		return fmt.Errorf("making the primary %s read_only: %w", r.old, err)
	}
	undoReadOnly := func() {
		if _, err := oldDB.ExecContext(context.WithoutCancel(ctx), "SET GLOBAL read_only = 0"); err != nil {
			r.sw.Log.Error("switchover undo: the old primary stays read_only; set it back by hand", "server", r.old, "err", err)
		}
	}
	if err := oldDB.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&r.rep.GTID); err != nil {
		undoReadOnly()
		return fmt.Errorf("reading the primary %s's GTID position: %w", r.old, err)
	}
	r.step("primary read_only at GTID " + r.rep.GTID)

	if err := r.catchUp(ctx, targetDB); err != nil {
		undoReadOnly()
		return err
	}
	r.step(r.target + " applied " + r.rep.GTID)

	if err := r.promote(ctx, targetDB); err != nil {
		undo := context.WithoutCancel(ctx)
		if _, uerr := targetDB.ExecContext(undo, "SET GLOBAL read_only = 1"); uerr != nil {
			r.sw.Log.Error("switchover undo: set read_only on the replica by hand", "server", r.target, "err", uerr)
		}
		if uerr := r.rewire(undo, targetDB, r.old, "slave_pos"); uerr != nil {
			r.sw.Log.Error("switchover undo: the replica does not replicate again; repoint it by hand", "server", r.target, "err", uerr)
		}
		undoReadOnly()
		return err
	}
	r.step(r.target + " takes writes")

	if err := r.sw.Topology.Promote(r.cluster.Name, r.target); err != nil {
		return fmt.Errorf("the servers switched but Strata's topology did not (%w): restart Strata with primary %s", err, r.target)
	}
	resume(backend.ErrRerouted) // held statements route again, to the new primary
	r.step("Strata routes writes to " + r.target)

	if err := r.rewire(ctx, oldDB, r.target, "gtid_binlog_pos"); err != nil {
		r.warn("the old primary %s does not replicate from %s: %v", r.old, r.target, err)
	}
	for _, rep := range r.cluster.Replicas {
		if rep.Addr == r.target {
			continue
		}
		if err := r.rewire(ctx, r.open(rep.Addr), r.target, "slave_pos"); err != nil {
			r.warn("replica %s still replicates from %s (which passes the new primary's writes on): %v", rep.Addr, r.old, err)
		}
	}
	r.step("replicas replicate from " + r.target)
	return nil
}

// checkTarget verifies the target replicates from the primary with GTID,
// and writes a binlog others can replicate from.
func (r *run) checkTarget(ctx context.Context, db *sql.DB) error {
	st, err := replicaStatus(ctx, db)
	if err != nil {
		return refused(topology.ErrConflict, "cannot read the replication state of %s as switchover.user: %v", r.target, err)
	}
	if st == nil {
		return refused(topology.ErrConflict, "%s does not replicate (SHOW SLAVE STATUS is empty): it cannot have the primary's writes", r.target)
	}
	host, port, _ := net.SplitHostPort(r.old)
	if st["Master_Port"] != port || !sameHost(st["Master_Host"], host) {
		return refused(topology.ErrConflict, "%s replicates from %s:%s, not from the primary %s", r.target, st["Master_Host"], st["Master_Port"], r.old)
	}
	if st["Using_Gtid"] == "" || st["Using_Gtid"] == "No" {
		return refused(topology.ErrConflict, "%s replicates without GTID (Using_Gtid: No): set MASTER_USE_GTID=slave_pos on it first", r.target)
	}
	if st["Slave_SQL_Running"] != "Yes" {
		return refused(topology.ErrConflict, "%s's replication SQL thread is not running (%s): it would never catch up", r.target, st["Last_SQL_Error"])
	}
	var logBin int
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.log_bin").Scan(&logBin); err != nil {
		return refused(topology.ErrConflict, "reading log_bin on %s: %v", r.target, err)
	}
	if logBin != 1 {
		return refused(topology.ErrConflict, "%s has no binary log (log_bin off): the other replicas could not replicate from it", r.target)
	}
	return nil
}

func sameHost(a, b string) bool {
	norm := func(h string) string {
		if h == "localhost" || h == "::1" {
			return "127.0.0.1"
		}
		return h
	}
	return norm(a) == norm(b)
}

// waitIdle waits until no connection to the old primary is in use. At
// the timeout, a forced switchover closes the sessions that still hold one
// and waits for them once more; otherwise it gives up, naming them.
func (r *run) waitIdle(ctx context.Context, pool *backend.Pool) error {
	for {
		inUse := pool.Stats().InUse
		if inUse == 0 {
			return nil
		}
		if time.Now().After(r.deadline) {
			holders := r.holders()
			if r.force && len(holders) > 0 {
				r.closeHolders(holders)
				r.force = false // once: then wait for their connections to come back
				r.deadline = time.Now().Add(r.timeout)
				continue
			}
			conns := fmt.Sprintf("%d connections to the primary %s were", inUse, r.old)
			if inUse == 1 {
				conns = fmt.Sprintf("1 connection to the primary %s was", r.old)
			}
			return refused(topology.ErrConflict, "%s still in use after %s (open transactions, or sessions holding locks or temporary tables there%s); nothing was changed, writes go on to %s",
				conns, r.timeout, describeHolders(holders), r.old)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (r *run) holders() []uint32 {
	if r.sw.Sessions == nil {
		return nil
	}
	return r.sw.Sessions.Holding(r.old)
}

// closeHolders ends the client sessions that hold the old primary: their
// transactions roll back with their connections, nothing they were told
// had committed is undone.
func (r *run) closeHolders(ids []uint32) {
	for _, id := range ids {
		if _, err := r.sw.Sessions.Kill(id, false); err != nil {
			r.sw.Log.Warn("switchover: closing a session that held the primary", "session", id, "err", err)
		}
	}
	r.warn("closed %d client sessions that still held the primary %s after %s: %s", len(ids), r.old, r.timeout, joinIDs(ids))
	r.step("closed sessions " + joinIDs(ids))
}

func describeHolders(ids []uint32) string {
	if len(ids) == 0 {
		return ": see strata sessions"
	}
	return ": sessions " + joinIDs(ids) + " (strata sessions shows them; strata kill ID ends one, a forced switchover ends them all)"
}

func joinIDs(ids []uint32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(uint64(id), 10)
	}
	return strings.Join(parts, ", ")
}

// catchUp waits until the target has applied the old primary's position.
func (r *run) catchUp(ctx context.Context, db *sql.DB) error {
	if r.rep.GTID == "" {
		return nil // the primary never wrote a transaction
	}
	left := time.Until(r.deadline).Seconds()
	if left < 0.001 {
		left = 0.001
	}
	var res sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, ?)", r.rep.GTID, left).Scan(&res); err != nil {
		return fmt.Errorf("waiting for %s to apply %s: %w", r.target, r.rep.GTID, err)
	}
	if !res.Valid || res.Int64 != 0 {
		return refused(topology.ErrConflict, "%s had not applied the primary's position %s within %s; nothing was changed, writes go on to %s",
			r.target, r.rep.GTID, r.timeout, r.old)
	}
	return nil
}

// promote turns the target into a primary.
func (r *run) promote(ctx context.Context, db *sql.DB) error {
	for _, q := range []string{"STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = 0"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("promoting %s: %s: %w", r.target, q, err)
		}
	}
	return nil
}

// rewire points the server behind db at primary and starts replication.
// from says where it starts: "slave_pos" (a replica: what it applied) or
// "gtid_binlog_pos" (a former primary: what it wrote itself).
func (r *run) rewire(ctx context.Context, db *sql.DB, primary, from string) error {
	host, portText, err := net.SplitHostPort(primary)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stmts := []string{"STOP SLAVE"}
	if from == "gtid_binlog_pos" {
		stmts = append(stmts, "SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_binlog_pos")
	}
	sw := r.cfg.Switchover
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	// The driver interpolates the values (open sets InterpolateParams):
	// CHANGE MASTER cannot be prepared server-side.
	if _, err := conn.ExecContext(ctx, "CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
		host, port, sw.ReplicationUser, sw.ReplicationPassword); err != nil {
		return fmt.Errorf("CHANGE MASTER TO %s: %w", primary, err)
	}
	if _, err := conn.ExecContext(ctx, "START SLAVE"); err != nil {
		return fmt.Errorf("START SLAVE: %w", err)
	}
	return nil
}

// open returns a handle on addr as the switchover account.
func (r *run) open(addr string) *sql.DB {
	mc := mysql.NewConfig()
	mc.User, mc.Passwd = r.cfg.Switchover.User, r.cfg.Switchover.Password
	mc.Net, mc.Addr = "tcp", addr
	if path := r.cfg.Backend.Sockets[addr]; path != "" {
		mc.Net, mc.Addr = "unix", path
	} else if base, err := r.cfg.Backend.TLS.ClientConfig(); err == nil && base != nil {
		mc.TLS = config.TLSForServer(base, addr)
	}
	mc.Timeout = r.cfg.Limits.ConnectTimeout.D()
	mc.InterpolateParams = true
	var db *sql.DB
	if conn, err := mysql.NewConnector(mc); err == nil {
		db = sql.OpenDB(conn)
	} else {
		db, _ = sql.Open("mysql", "invalid") // every use reports the driver's refusal
	}
	db.SetMaxOpenConns(1)
	r.dbs = append(r.dbs, db)
	return db
}

func (r *run) close() {
	for _, db := range r.dbs {
		db.Close()
	}
}

// replicaStatus is SHOW SLAVE STATUS as column → value (nil: not a replica).
func replicaStatus(ctx context.Context, db *sql.DB) (map[string]string, error) {
	cols, err := topology.ShowReplicaStatus(ctx, db)
	if err != nil || cols == nil {
		return nil, err
	}
	out := make(map[string]string, len(cols))
	for c, v := range cols {
		out[c] = v.String
	}
	return out, nil
}
