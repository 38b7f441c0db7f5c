package topology

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"

	"github.com/strata-proxy/strata/config"
)

// Kinds of change errors; test them with errors.Is. The admin API maps them
// to HTTP status codes (404, 409, 400).
var (
	// ErrNotFound: the server or cluster is not in the topology.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change contradicts the topology as it is (moving a
	// primary, adding an address that is already used).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the change itself is malformed (bad address, pool name, weight).
	ErrInvalid = errors.New("invalid")
)

// ChangeError is a refused runtime change. Its message is meant for
// operators; Is matches one of ErrNotFound, ErrConflict or ErrInvalid.
type ChangeError struct {
	Kind error
	Msg  string
}

func (e *ChangeError) Error() string        { return e.Msg }
func (e *ChangeError) Is(target error) bool { return target == e.Kind }

func changeErr(kind error, format string, args ...any) error {
	return &ChangeError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// MaxWeight bounds a replica's weight.
const MaxWeight = 10000

var poolNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`)

// ValidPoolName checks a pool name given at run time.
func ValidPoolName(name string) error {
	if !poolNameRE.MatchString(name) {
		return changeErr(ErrInvalid, "%q is not a valid pool name (letters, digits, _ . -, at most 64)", name)
	}
	return nil
}

// change runs fn on a copy of the current snapshot and publishes it unless fn
// fails or reports no change.
func (t *Topology) change(fn func(s *Snapshot) (changed bool, err error)) error {
	var err error
	t.Update(func(s *Snapshot) bool {
		var changed bool
		changed, err = fn(s)
		return err == nil && changed
	})
	return err
}

// replica finds addr in s and checks that it is a replica.
func (s *Snapshot) replica(addr, action string) (*Server, error) {
	srv := s.Server(addr)
	if srv == nil {
		return nil, changeErr(ErrNotFound, "no server %s in the topology", addr)
	}
	if srv.Role == RolePrimary {
		return nil, changeErr(ErrConflict, "%s is the primary of cluster %s: cannot %s a primary", addr, srv.Cluster, action)
	}
	return srv, nil
}

// MoveServer puts a replica into another pool of its cluster. A pool that
// did not exist before is created by its first member.
func (t *Topology) MoveServer(addr, pool string) error {
	if err := ValidPoolName(pool); err != nil {
		return err
	}
	return t.change(func(s *Snapshot) (bool, error) {
		srv, err := s.replica(addr, "move")
		if err != nil || srv.Pool == pool {
			return false, err
		}
		srv.Pool = pool
		return true, nil
	})
}

// SetWeight changes a replica's share of its pool's reads (1..MaxWeight);
// use Drain to take a replica out of routing.
func (t *Topology) SetWeight(addr string, weight int) error {
	if weight < 1 || weight > MaxWeight {
		return changeErr(ErrInvalid, "weight %d is out of range 1..%d (drain a server to stop its reads)", weight, MaxWeight)
	}
	return t.change(func(s *Snapshot) (bool, error) {
		srv, err := s.replica(addr, "weight")
		if err != nil || srv.Weight == weight {
			return false, err
		}
		srv.Weight = weight
		return true, nil
	})
}

// Drain takes a replica out of routing (drain=true) or returns it
// (drain=false). The health monitor keeps checking a drained server, so
// its State stays accurate and it is routable again as soon as it is
// undrained and up. Connections in use finish their statements.
func (t *Topology) Drain(addr string, drain bool) error {
	return t.change(func(s *Snapshot) (bool, error) {
		srv, err := s.replica(addr, "drain")
		if err != nil {
			return false, err
		}
		if srv.State == StateDrained && !drain {
			// A legacy drained state carries no health: the monitor's next
			// check decides.
			srv.State, srv.Reason = StateUp, ""
			srv.Drained = false
			return true, nil
		}
		if srv.Drained == drain {
			return false, nil
		}
		srv.Drained = drain
		return true, nil
	})
}

// AddReplica adds a replica to a cluster. Pool defaults to "primary",
// weight to 1. The server starts up, like every server of a fresh
// topology; the monitor checks new servers at once and takes it out of
// routing if it is not healthy.
func (t *Topology) AddReplica(cluster string, r config.Replica) error {
	if r.Address == "" {
		return changeErr(ErrInvalid, "address is required")
	}
	if host, port, err := net.SplitHostPort(r.Address); err != nil || host == "" || port == "" {
		return changeErr(ErrInvalid, "%q is not host:port", r.Address)
	}
	if r.Pool == "" {
		r.Pool = config.DefaultPool
	}
	if err := ValidPoolName(r.Pool); err != nil {
		return err
	}
	if r.Weight == 0 {
		r.Weight = 1
	}
	if r.Weight < 1 || r.Weight > MaxWeight {
		return changeErr(ErrInvalid, "weight %d is out of range 1..%d", r.Weight, MaxWeight)
	}
	return t.change(func(s *Snapshot) (bool, error) {
		cl := s.Cluster(cluster)
		if cl == nil {
			return false, changeErr(ErrNotFound, "no cluster %q in the topology", cluster)
		}
		if old := s.Server(r.Address); old != nil {
			return false, changeErr(ErrConflict, "%s is already a %s of cluster %s", r.Address, old.Role, old.Cluster)
		}
		cl.Replicas = append(cl.Replicas, &Server{
			Addr: r.Address, Cluster: cluster, Role: RoleReplica,
			Pool: r.Pool, Weight: r.Weight, Zone: r.Zone, State: StateUp,
		})
		return true, nil
	})
}

// RemoveReplica takes a replica out of the topology. Statements running on
// it finish; its idle connections are the caller's to close.
func (t *Topology) RemoveReplica(addr string) error {
	return t.change(func(s *Snapshot) (bool, error) {
		srv, err := s.replica(addr, "remove")
		if err != nil {
			return false, err
		}
		cl := s.Cluster(srv.Cluster)
		cl.Replicas = slices.DeleteFunc(cl.Replicas, func(r *Server) bool { return r.Addr == addr })
		return true, nil
	})
}

// Apply replaces the topology with the one of cfg (a reload), keeping the
// health of every server that stays: its state, lag and reason, and an
// operator's drain. Pools, weights and zones come from cfg, so changes made
// at run time and not saved to the file are undone. It returns one line per
// difference; nothing is published when there is none. cfg must be valid
// (config.Load validates).
func (t *Topology) Apply(cfg *config.Config) ([]string, error) {
	if cfg == nil || len(cfg.Clusters) == 0 {
		return nil, changeErr(ErrInvalid, "the config has no clusters")
	}
	if cfg.Clusters[cfg.DefaultCluster] == nil {
		return nil, changeErr(ErrInvalid, "default_cluster %q names no cluster", cfg.DefaultCluster)
	}
	var changes []string
	err := t.change(func(cur *Snapshot) (bool, error) {
		next := FromConfig(cfg)
		changes = diff(cur, next)
		if len(changes) == 0 {
			return false, nil
		}
		for _, srv := range next.Servers() {
			old := cur.Server(srv.Addr)
			if old == nil {
				continue
			}
			srv.State, srv.Lag, srv.Reason = old.State, old.Lag, old.Reason
			srv.SQLMode, srv.SQLModeRead = old.SQLMode, old.SQLModeRead
			if srv.Role == RoleReplica {
				srv.Drained = old.Drained
			} else if srv.State == StateLagging || srv.State == StateDrained {
				// Replica-only states mean nothing for a primary.
				srv.State, srv.Lag, srv.Reason = StateUp, 0, ""
			}
		}
		cur.DefaultCluster = next.DefaultCluster
		cur.Clusters = next.Clusters
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}

// diff describes how next differs from cur, one line per change.
func diff(cur, next *Snapshot) []string {
	var out []string
	if cur.DefaultCluster != next.DefaultCluster {
		out = append(out, fmt.Sprintf("default cluster %s -> %s", cur.DefaultCluster, next.DefaultCluster))
	}
	for _, name := range keysOfBoth(cur.Clusters, next.Clusters) {
		a, b := cur.Clusters[name], next.Clusters[name]
		switch {
		case a == nil:
			out = append(out, fmt.Sprintf("cluster %s added (primary %s, %d replicas)", name, b.Primary.Addr, len(b.Replicas)))
			continue
		case b == nil:
			out = append(out, fmt.Sprintf("cluster %s removed", name))
			continue
		}
		out = append(out, diffCluster(a, b)...)
	}
	return out
}

func diffCluster(a, b *Cluster) []string {
	var out []string
	name := a.Name
	if a.Primary.Addr != b.Primary.Addr {
		out = append(out, fmt.Sprintf("cluster %s: primary %s -> %s", name, a.Primary.Addr, b.Primary.Addr))
	}
	if a.DefaultPool != b.DefaultPool {
		out = append(out, fmt.Sprintf("cluster %s: default pool %s -> %s", name, a.DefaultPool, b.DefaultPool))
	}
	if a.MaxReplicaLag != b.MaxReplicaLag {
		out = append(out, fmt.Sprintf("cluster %s: max_replica_lag %s -> %s", name, a.MaxReplicaLag, b.MaxReplicaLag))
	}
	if a.ReadYourWritesWait != b.ReadYourWritesWait {
		out = append(out, fmt.Sprintf("cluster %s: read_your_writes_wait %s -> %s", name, a.ReadYourWritesWait, b.ReadYourWritesWait))
	}
	if a.Consistency != b.Consistency {
		out = append(out, fmt.Sprintf("cluster %s: consistency %s -> %s", name, a.Consistency, b.Consistency))
	}
	old := map[string]*Server{}
	for _, r := range a.Replicas {
		old[r.Addr] = r
	}
	kept := map[string]bool{}
	for _, r := range b.Replicas {
		o := old[r.Addr]
		if o == nil {
			out = append(out, fmt.Sprintf("cluster %s: replica %s added to pool %s", name, r.Addr, r.Pool))
			continue
		}
		kept[r.Addr] = true
		if o.Pool != r.Pool {
			out = append(out, fmt.Sprintf("replica %s: pool %s -> %s", r.Addr, o.Pool, r.Pool))
		}
		if o.Weight != r.Weight {
			out = append(out, fmt.Sprintf("replica %s: weight %d -> %d", r.Addr, o.Weight, r.Weight))
		}
		if o.Zone != r.Zone {
			out = append(out, fmt.Sprintf("replica %s: zone %q -> %q", r.Addr, o.Zone, r.Zone))
		}
	}
	for _, r := range a.Replicas {
		if !kept[r.Addr] {
			out = append(out, fmt.Sprintf("cluster %s: replica %s removed", name, r.Addr))
		}
	}
	for _, n := range keysOfBoth(a.Pools, b.Pools) {
		pa, pb := a.Pools[n], b.Pools[n]
		switch {
		case pa == nil:
			out = append(out, fmt.Sprintf("cluster %s: pool %s settings added", name, n))
		case pb == nil:
			out = append(out, fmt.Sprintf("cluster %s: pool %s settings removed", name, n))
		case *pa != *pb:
			out = append(out, fmt.Sprintf("cluster %s: pool %s settings changed", name, n))
		}
	}
	return out
}

// ToConfig returns a copy of base whose clusters' primaries and replicas
// (address, pool, weight, zone) are those of the snapshot: the running
// topology as a config, for writing back to the file. Everything else,
// pool settings included, comes from base. Drains are not part of the
// config and are not carried over.
func (s *Snapshot) ToConfig(base *config.Config) *config.Config {
	out := base.Clone()
	if out.Clusters == nil {
		out.Clusters = map[string]*config.Cluster{}
	}
	for name, cl := range s.Clusters {
		cc := out.Clusters[name]
		if cc == nil {
			cc = &config.Cluster{DefaultPool: cl.DefaultPool, Consistency: cl.Consistency, MaxReplicaLag: config.Duration(cl.MaxReplicaLag)}
			out.Clusters[name] = cc
		}
		cc.Primary = cl.Primary.Addr
		cc.Replicas = make([]config.Replica, 0, len(cl.Replicas))
		for _, r := range cl.Replicas {
			cc.Replicas = append(cc.Replicas, config.Replica{Address: r.Addr, Pool: r.Pool, Weight: r.Weight, Zone: r.Zone})
		}
	}
	for name := range out.Clusters {
		if s.Clusters[name] == nil {
			delete(out.Clusters, name)
		}
	}
	return out
}

// keysOfBoth returns the keys of a and b together, sorted.
func keysOfBoth[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Promote makes replica to the primary of its cluster and the old primary
// a replica in the pool, weight and zone to had (a switchover's last step
// in Strata, once the servers themselves have changed roles). Both start
// up: the monitor corrects that within one check.
func (t *Topology) Promote(cluster, to string) error {
	return t.promote(cluster, "", to, nil)
}

// PromoteFrom is Promote only while from is still the primary; it reports
// whether it promoted. Checks that race to follow the same change promote
// once.
func (t *Topology) PromoteFrom(cluster, from, to string) (bool, error) {
	err := t.promote(cluster, from, to, nil)
	if errors.Is(err, errNotFrom) {
		return false, nil
	}
	return err == nil, err
}

// errNotFrom: PromoteFrom found another primary than from.
var errNotFrom = errors.New("the primary changed meanwhile")

// PromoteAfterFailure is Promote after the primary failed: the old primary
// becomes a replica that is down and drained, in the same snapshot, so no
// read is sent to it, and it stays out of routing when it comes back (it
// may hold writes the new primary lacks) until an operator undrains it.
func (t *Topology) PromoteAfterFailure(cluster, to, reason string) error {
	return t.promote(cluster, "", to, func(old *Server) {
		old.State, old.Reason, old.Drained = StateDown, reason, true
	})
}

func (t *Topology) promote(cluster, from, to string, demote func(*Server)) error {
	return t.change(func(s *Snapshot) (bool, error) {
		cl := s.Cluster(cluster)
		if cl == nil {
			return false, changeErr(ErrNotFound, "no cluster %s in the topology", cluster)
		}
		if from != "" && cl.Primary.Addr != from {
			return false, errNotFrom
		}
		i := slices.IndexFunc(cl.Replicas, func(r *Server) bool { return r.Addr == to })
		if i < 0 {
			return false, changeErr(ErrConflict, "%s is not a replica of cluster %s", to, cluster)
		}
		next, old := cl.Replicas[i], cl.Primary
		demoted := &Server{Addr: old.Addr, Cluster: cluster, Role: RoleReplica, Pool: next.Pool, Weight: next.Weight, Zone: next.Zone, State: StateUp}
		if demote != nil {
			demote(demoted)
		}
		cl.Replicas[i] = demoted
		cl.Primary = &Server{Addr: next.Addr, Cluster: cluster, Role: RolePrimary, Zone: next.Zone, State: StateUp}
		return true, nil
	})
}
