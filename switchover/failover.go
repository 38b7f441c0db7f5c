package switchover

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/gtid"
	"github.com/strata-proxy/strata/topology"
)

// FailedPrimaryReason marks a primary taken out by a failover: it stays
// drained when it answers again, because it may hold writes the new
// primary lacks (those that were never acknowledged to a client).
const FailedPrimaryReason = "former primary, failed over: rejoin it as a replica, then undrain it"

// Failover replaces a primary that is down with the replica that received
// the most of its writes. With semi-synchronous replication (every commit
// acknowledged to a client was first received by a replica) no
// acknowledged write is lost:
//
//  1. The primary must be unreachable for Strata (the monitor says down
//     and one more connect fails) and for every replica (no replication
//     I/O thread still connected to it): a primary that only Strata
//     cannot see is not replaced, so two primaries never take writes.
//  2. Statements for the primary wait (its pool is paused) instead of
//     failing on a dead server.
//  3. The replica whose received GTID position (Gtid_IO_Pos) covers the
//     others' is chosen; it applies everything it received.
//  4. It is promoted as in a switchover; Strata routes writes to it; the
//     old primary becomes a drained replica; the other replicas replicate
//     from the new primary.
func (sw *Switcher) Failover(ctx context.Context, cluster string) (*Report, error) {
	if !sw.mu.TryLock() {
		return nil, refused(topology.ErrConflict, "another switchover or failover is running")
	}
	defer sw.mu.Unlock()
	rep, err := sw.failover(ctx, cluster)
	sw.record("failover", cluster, rep, err)
	return rep, err
}

func (sw *Switcher) failover(ctx context.Context, cluster string) (*Report, error) {
	cfg := sw.Config()
	if !cfg.Switchover.Enabled() {
		return nil, refused(topology.ErrConflict, "failover is not configured: set switchover.user and switchover.replication_user")
	}
	cl := sw.Topology.Load().Cluster(cluster)
	if cl == nil {
		return nil, refused(topology.ErrNotFound, "no cluster %s in the topology", cluster)
	}
	if cl.Primary.State != topology.StateDown {
		return nil, refused(topology.ErrConflict, "the primary %s of cluster %s is %s, not down: use a switchover", cl.Primary.Addr, cluster, cl.Primary.State)
	}
	r := &run{sw: sw, cfg: cfg, cluster: cl, old: cl.Primary.Addr, timeout: cfg.Switchover.Timeout.D(),
		rep: &Report{Cluster: cluster, OldPrimary: cl.Primary.Addr}, last: time.Now()}
	defer r.close()
	if err := r.open(r.old).PingContext(ctx); err == nil {
		return nil, refused(topology.ErrConflict, "the primary %s answers again: not failing over", r.old)
	}
	r.step("primary " + r.old + " unreachable")

	_, resume := r.hold()
	defer resume(nil)

	best, others, err := r.survey(ctx)
	if err != nil {
		return nil, err
	}
	r.target, r.rep.NewPrimary, r.rep.GTID = best.addr, best.addr, best.received
	r.step(fmt.Sprintf("%s received the most (%s)", best.addr, orNone(best.received)))
	if !best.semiSync {
		r.warn("semi-synchronous replication is off on %s: writes acknowledged just before the primary failed may be missing", best.addr)
	}
	if best.received != "" {
		// Its SQL thread may have been stopped (a lagging replica kept
		// for reports): what it received is only safe once applied, as
		// promoting discards the relay log.
		if _, err := best.db.ExecContext(ctx, "START SLAVE SQL_THREAD"); err != nil {
			return nil, fmt.Errorf("starting the SQL thread of %s: %w", best.addr, err)
		}
		if err := r.catchUp(ctx, best.db); err != nil {
			return nil, err
		}
	}
	r.step(best.addr + " applied what it received")
	if err := r.promote(ctx, best.db); err != nil {
		return nil, err
	}
	r.step(best.addr + " takes writes")
	if err := sw.Topology.PromoteAfterFailure(cluster, best.addr, FailedPrimaryReason); err != nil {
		return nil, fmt.Errorf("%s was promoted but Strata's topology did not follow (%w): restart Strata with primary %s", best.addr, err, best.addr)
	}
	resume(backend.ErrRerouted)
	r.step("Strata routes writes to " + best.addr + "; " + r.old + " drained")
	for _, o := range others {
		if err := r.rewire(ctx, o.db, best.addr, "slave_pos"); err != nil {
			r.warn("replica %s does not replicate from %s: %v", o.addr, best.addr, err)
		}
	}
	r.step("replicas replicate from " + best.addr)
	return r.rep, nil
}

// candidate is a replica surveyed for a failover.
type candidate struct {
	addr     string
	db       *sql.DB
	received string // Gtid_IO_Pos: what it got from the primary
	semiSync bool
}

// survey reads every reachable replica's replication state and picks the
// one that received the most. It refuses when a replica is still
// connected to the primary.
func (r *run) survey(ctx context.Context) (best candidate, others []candidate, err error) {
	var all []candidate
	for _, rep := range r.cluster.Replicas {
		if rep.State == topology.StateDown || rep.Drained {
			// A drained replica may be a primary failed over before, with
			// errant transactions: it takes over only once rejoined.
			continue
		}
		db := r.open(rep.Addr)
		st, err := replicaStatus(ctx, db)
		if err != nil || st == nil {
			r.warn("replica %s left out of the failover: %v", rep.Addr, orNoReplication(err))
			continue
		}
		if st["Slave_IO_Running"] == "Yes" {
			return best, nil, refused(topology.ErrConflict, "replica %s is still connected to the primary %s: it is alive, only Strata cannot reach it; not failing over (two primaries would take writes)", rep.Addr, r.old)
		}
		c := candidate{addr: rep.Addr, db: db, received: st["Gtid_IO_Pos"]}
		if c.received == "" {
			db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_slave_pos").Scan(&c.received)
		}
		var on sql.NullInt64
		db.QueryRowContext(ctx, "SELECT @@GLOBAL.rpl_semi_sync_slave_enabled").Scan(&on)
		c.semiSync = on.Int64 == 1
		all = append(all, c)
	}
	if len(all) == 0 {
		return best, nil, refused(topology.ErrConflict, "no replica of cluster %s can be reached to take over", r.cluster.Name)
	}
	i := mostAdvanced(all)
	for j, c := range all {
		if j != i {
			others = append(others, c)
			if !gtid.Parse(all[i].received).Covers(gtid.Parse(c.received)) {
				r.warn("replica %s received %s, which %s lacks: it will stop replicating (gtid_strict_mode) until rebuilt", c.addr, c.received, all[i].addr)
			}
		}
	}
	return all[i], others, nil
}

func orNoReplication(err error) error {
	if err == nil {
		return fmt.Errorf("it does not replicate")
	}
	return err
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// mostAdvanced returns the index of the candidate whose received position
// covers every other's; when none does (they diverged), the one with the
// most transactions.
func mostAdvanced(cs []candidate) int {
	pos := make([]gtid.Pos, len(cs))
	for i, c := range cs {
		pos[i] = gtid.Parse(c.received)
	}
	best := -1
	for i := range cs {
		all := true
		for j := range cs {
			if !pos[i].Covers(pos[j]) {
				all = false
				break
			}
		}
		if all {
			return i
		}
		if best < 0 || total(pos[i]) > total(pos[best]) {
			best = i
		}
	}
	return best
}

// total counts the transactions of p, over all its domains.
func total(p gtid.Pos) uint64 {
	var t uint64
	for _, g := range p {
		t += g.Seq
	}
	return t
}

// Watch fails clusters over when their primary goes down, if
// switchover.auto_failover is on. It runs on the topology's publishes (the
// monitor's verdicts) until ctx ends; a cluster is not failed over twice
// within cooldown.
func (sw *Switcher) Watch(ctx context.Context, cooldown time.Duration) {
	last := map[string]time.Time{}
	down := make(chan string, 16)
	// A refused failover (a replica still saw the primary) is tried again
	// while the primary stays down, even if nothing else is published.
	retry := time.NewTicker(cooldown)
	defer retry.Stop()
	// The callback runs inside the topology's publish (a reload holds the
	// config lock then): it only queues names, the loop below decides.
	sw.Topology.Subscribe(func(s *topology.Snapshot) {
		names := make([]string, 0, len(s.Clusters))
		for name, cl := range s.Clusters {
			if cl.Primary != nil && cl.Primary.State == topology.StateDown {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			select {
			case down <- name:
			default: // a failover is queued already
			}
		}
	})
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
			for name, cl := range sw.Topology.Load().Clusters {
				if cl.Primary != nil && cl.Primary.State == topology.StateDown {
					select {
					case down <- name:
					default:
					}
				}
			}
		case name := <-down:
			if time.Since(last[name]) < cooldown || !sw.Config().Switchover.AutoFailover {
				continue
			}
			cl := sw.Topology.Load().Cluster(name)
			if cl == nil || cl.Primary.State != topology.StateDown {
				continue
			}
			last[name] = time.Now()
			sw.Log.Warn("primary down: failing over", "cluster", name, "primary", cl.Primary.Addr)
			rep, err := sw.Failover(ctx, name)
			if err != nil {
				sw.Log.Error("failover did not happen", "cluster", name, "err", err)
				continue
			}
			sw.Log.Warn("failover done", "cluster", name, "from", rep.OldPrimary, "to", rep.NewPrimary, "gtid", rep.GTID, "writes_held_ms", rep.WritesHeldMs, "warnings", len(rep.Warnings))
			if sw.Saved != nil {
				sw.Saved(rep)
			}
		}
	}
}
