package switchover

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/strata-proxy/strata/topology"
)

// Rejoin makes a replica that left the cluster — a primary that was
// failed over, or a replica drained for maintenance — replicate from its
// cluster's primary again and returns it to routing, unless it holds
// transactions the primary lacks (errant ones: writes of a failed primary
// that no replica received, or writes made on it by hand). Those would
// fork the data, so it is refused and the server stays drained, to be
// rebuilt from a copy of the primary.
func (sw *Switcher) Rejoin(ctx context.Context, addr string) (*Report, error) {
	if !sw.mu.TryLock() {
		return nil, refused(topology.ErrConflict, "a switchover or failover is running; rejoin when it ends")
	}
	defer sw.mu.Unlock()
	cluster := ""
	if srv := sw.Topology.Load().Server(addr); srv != nil {
		cluster = srv.Cluster
	}
	rep, err := sw.rejoin(ctx, addr)
	sw.record("rejoin", cluster, rep, err)
	return rep, err
}

func (sw *Switcher) rejoin(ctx context.Context, addr string) (*Report, error) {
	cfg := sw.Config()
	if !cfg.Switchover.Enabled() {
		return nil, refused(topology.ErrConflict, "rejoin is not configured: set switchover.user and switchover.replication_user")
	}
	snap := sw.Topology.Load()
	srv := snap.Server(addr)
	if srv == nil {
		return nil, refused(topology.ErrNotFound, "no server %s in the topology", addr)
	}
	if srv.Role != topology.RoleReplica {
		return nil, refused(topology.ErrConflict, "%s is the primary of cluster %s: only a replica rejoins", addr, srv.Cluster)
	}
	cl := snap.Cluster(srv.Cluster)
	r := &run{sw: sw, cfg: cfg, cluster: cl, old: addr, target: cl.Primary.Addr, timeout: cfg.Switchover.Timeout.D(),
		rep: &Report{Cluster: cl.Name, OldPrimary: addr, NewPrimary: cl.Primary.Addr}, last: time.Now()}
	defer r.close()
	db, primaryDB := r.open(addr), r.open(cl.Primary.Addr)
	if _, err := db.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
		return nil, refused(topology.ErrConflict, "cannot reach %s to make it read_only: %v", addr, err)
	}
	r.step(addr + " read_only")

	mine, theirs, err := binlogStates(ctx, db, primaryDB)
	if err != nil {
		return nil, fmt.Errorf("reading GTID states of %s and the primary %s: %w", addr, cl.Primary.Addr, err)
	}
	if errant := errantGTIDs(mine, theirs); len(errant) > 0 {
		return nil, refused(topology.ErrConflict, "%s holds transactions the primary %s does not have (%s): it would fork the data; rebuild it from a copy of the primary (it stays drained)",
			addr, cl.Primary.Addr, strings.Join(errant, ", "))
	}
	r.step("no transaction of " + addr + " missing on " + cl.Primary.Addr)

	// A server whose binlog is the fuller record (a former primary, or
	// one never set up as a replica) starts from it; a replica from what
	// it applied.
	from := "slave_pos"
	if st, err := replicaStatus(ctx, db); err == nil && (st == nil || srv.Reason == FailedPrimaryReason) {
		from = "gtid_binlog_pos"
	}
	if err := r.rewire(ctx, db, cl.Primary.Addr, from); err != nil {
		return nil, fmt.Errorf("pointing %s at %s: %w", addr, cl.Primary.Addr, err)
	}
	if err := primaryDB.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&r.rep.GTID); err != nil {
		return nil, fmt.Errorf("reading the primary's position: %w", err)
	}
	// It serves reads only once it has what the primary has; nothing
	// waits on this but the operator, so the bound is generous.
	var res sql.NullInt64
	err = db.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, ?)", r.rep.GTID, rejoinCatchUp.Seconds()).Scan(&res)
	if err != nil || !res.Valid || res.Int64 != 0 {
		st, _ := replicaStatus(ctx, db)
		return nil, fmt.Errorf("%s replicates from %s but had not applied its position %s after %s (%v; io=%s sql=%s %s%s): it stays drained; rejoin it again later",
			addr, cl.Primary.Addr, r.rep.GTID, rejoinCatchUp, err, st["Slave_IO_Running"], st["Slave_SQL_Running"], st["Last_IO_Error"], st["Last_SQL_Error"])
	}
	r.step(addr + " replicates from " + cl.Primary.Addr + " and applied " + r.rep.GTID)
	if err := sw.Topology.Drain(addr, false); err != nil {
		return nil, err
	}
	r.step(addr + " back in routing (pool " + srv.Pool + ")")
	return r.rep, nil
}

// rejoinCatchUp bounds how long a rejoining server may take to apply what
// the primary wrote while it was away.
const rejoinCatchUp = 5 * time.Minute

// binlogStates reads @@gtid_binlog_state (the last GTID of every domain and
// server id a binlog holds) of a server and of the primary.
func binlogStates(ctx context.Context, db, primary *sql.DB) (mine, theirs string, err error) {
	if err = db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_state").Scan(&mine); err != nil {
		return
	}
	err = primary.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_state").Scan(&theirs)
	return
}

// errantGTIDs lists the transactions of binlog state mine that state
// theirs lacks. Sequence numbers of a domain only grow (gtid_strict_mode),
// so per domain and server id, the primary has every transaction of that
// origin up to its own last one; a later one, or an origin it never saw,
// is errant.
func errantGTIDs(mine, theirs string) []string {
	have := map[[2]uint64]uint64{}
	for _, g := range gtids(theirs) {
		have[[2]uint64{g[0], g[1]}] = g[2]
	}
	var out []string
	for _, g := range gtids(mine) {
		if g[2] > have[[2]uint64{g[0], g[1]}] {
			out = append(out, fmt.Sprintf("%d-%d-%d", g[0], g[1], g[2]))
		}
	}
	sort.Strings(out)
	return out
}

// gtids parses "0-1-42,0-2-7" into (domain, server id, sequence) triples.
func gtids(state string) [][3]uint64 {
	var out [][3]uint64
	for _, g := range strings.Split(state, ",") {
		var d, s, n uint64
		if _, err := fmt.Sscanf(strings.TrimSpace(g), "%d-%d-%d", &d, &s, &n); err == nil {
			out = append(out, [3]uint64{d, s, n})
		}
	}
	return out
}
