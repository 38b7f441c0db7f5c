// Package topology is the routing truth: clusters, their primaries and
// replicas, the pools replicas belong to, and each server's health. The data
// plane reads an immutable Snapshot once per statement; every change (health
// check, admin move, reload) publishes a new Snapshot instead of mutating one
// under a reader's feet.
package topology

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-proxy/strata/config"
)

// Role is a server's place in its cluster.
type Role string

const (
	RolePrimary Role = "primary"
	RoleReplica Role = "replica"
)

// State is a server's health as routing sees it.
type State string

const (
	StateUp      State = "up"
	StateDown    State = "down"    // failed health checks
	StateLagging State = "lagging" // replication lag over the limit, or replication stopped
	StateDrained State = "drained" // taken out of routing by an operator
)

// Server is one MariaDB server in a snapshot. Snapshots are immutable:
// never modify a Server reachable from a published Snapshot.
type Server struct {
	Addr    string        `json:"address"`
	Cluster string        `json:"cluster"`
	Role    Role          `json:"role"`
	Pool    string        `json:"pool,omitempty"`
	Weight  int           `json:"weight,omitempty"`
	Zone    string        `json:"zone,omitempty"`
	State   State         `json:"state"`
	Lag     time.Duration `json:"lag_ns,omitempty"`
	Drained bool          `json:"drained,omitempty"`
	// Reason says why the server is not up, for operators.
	Reason string `json:"reason,omitempty"`
	// SQLMode is the server's global sql_mode as last checked: the mode of
	// a session that does not set its own, which decides how the server
	// reads its statements (NO_BACKSLASH_ESCAPES, ANSI_QUOTES).
	SQLMode string `json:"sql_mode,omitempty"`
	// SQLModeRead tells an empty SQLMode read from the server from one
	// not read yet.
	SQLModeRead bool `json:"-"`
}

// Routable reports whether reads may be sent to the server.
func (s *Server) Routable() bool { return s.State == StateUp && !s.Drained }

// Pool is a named group of replicas serving one class of reads.
type Pool struct {
	Name          string        `json:"name"`
	Balance       string        `json:"balance"`
	Fallback      string        `json:"fallback,omitempty"`
	MaxReplicaLag time.Duration `json:"max_replica_lag_ns,omitempty"`
}

// Cluster is a primary and its replicas.
type Cluster struct {
	Name          string           `json:"name"`
	Primary       *Server          `json:"primary"`
	Replicas      []*Server        `json:"replicas"`
	DefaultPool   string           `json:"default_pool"`
	Pools         map[string]*Pool `json:"pools"`
	MaxReplicaLag time.Duration    `json:"max_replica_lag_ns,omitempty"`
	Consistency   string           `json:"consistency"`
	// ReadYourWritesWait bounds how long a read waits for a replica of
	// this cluster to apply the session's write (consistency: session).
	ReadYourWritesWait time.Duration `json:"read_your_writes_wait_ns,omitempty"`
}

// Members returns the routable replicas of a pool.
func (c *Cluster) Members(pool string) []*Server {
	var out []*Server
	for _, r := range c.Replicas {
		if r.Pool == pool && r.Routable() {
			out = append(out, r)
		}
	}
	return out
}

// HasPool reports whether any replica is configured in pool, whatever its state.
func (c *Cluster) HasPool(pool string) bool {
	for _, r := range c.Replicas {
		if r.Pool == pool {
			return true
		}
	}
	return false
}

// PoolNames lists every pool that has a member or settings, sorted.
func (c *Cluster) PoolNames() []string {
	seen := map[string]bool{}
	for _, r := range c.Replicas {
		seen[r.Pool] = true
	}
	for name := range c.Pools {
		seen[name] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PoolSettings returns a pool's settings, defaulted when the config has none.
func (c *Cluster) PoolSettings(name string) *Pool {
	if p, ok := c.Pools[name]; ok {
		return p
	}
	return &Pool{Name: name, Balance: "random"}
}

// Snapshot is an immutable view of the whole topology.
type Snapshot struct {
	Version        uint64              `json:"version"`
	DefaultCluster string              `json:"default_cluster"`
	Clusters       map[string]*Cluster `json:"clusters"`
}

// Cluster returns a cluster by name (nil when unknown).
func (s *Snapshot) Cluster(name string) *Cluster { return s.Clusters[name] }

// Default returns the default cluster.
func (s *Snapshot) Default() *Cluster { return s.Clusters[s.DefaultCluster] }

// PrimaryOf names the cluster whose primary is addr ("" when none is).
func (s *Snapshot) PrimaryOf(addr string) string {
	for name, cl := range s.Clusters {
		if cl.Primary != nil && cl.Primary.Addr == addr {
			return name
		}
	}
	return ""
}

// IsPrimary reports whether addr is the primary of some cluster.
func (s *Snapshot) IsPrimary(addr string) bool { return s.PrimaryOf(addr) != "" }

// Server finds a server by address.
func (s *Snapshot) Server(addr string) *Server {
	for _, c := range s.Clusters {
		if c.Primary.Addr == addr {
			return c.Primary
		}
		for _, r := range c.Replicas {
			if r.Addr == addr {
				return r
			}
		}
	}
	return nil
}

// Servers lists every server, primaries first, sorted by cluster and address.
func (s *Snapshot) Servers() []*Server {
	names := make([]string, 0, len(s.Clusters))
	for n := range s.Clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*Server
	for _, n := range names {
		out = append(out, s.Clusters[n].Primary)
		out = append(out, s.Clusters[n].Replicas...)
	}
	return out
}

// FromConfig builds the first snapshot; every server starts up, and the
// monitor corrects that within one check interval.
func FromConfig(cfg *config.Config) *Snapshot {
	snap := &Snapshot{DefaultCluster: cfg.DefaultCluster, Clusters: map[string]*Cluster{}}
	for name, cc := range cfg.Clusters {
		cl := &Cluster{
			Name:          name,
			Primary:       &Server{Addr: cc.Primary, Cluster: name, Role: RolePrimary, State: StateUp},
			DefaultPool:   cc.DefaultPool,
			Pools:         map[string]*Pool{},
			MaxReplicaLag: cc.MaxReplicaLag.D(),
			Consistency:   cc.Consistency,

			ReadYourWritesWait: cc.ReadYourWritesWait.D(),
		}
		for _, r := range cc.Replicas {
			cl.Replicas = append(cl.Replicas, &Server{Addr: r.Address, Cluster: name, Role: RoleReplica, Pool: r.Pool, Weight: r.Weight, Zone: r.Zone, State: StateUp})
		}
		for pname, pc := range cc.Pools {
			balance := pc.Balance
			if balance == "" {
				balance = "random"
			}
			cl.Pools[pname] = &Pool{Name: pname, Balance: balance, Fallback: pc.Fallback, MaxReplicaLag: pc.MaxReplicaLag.D()}
		}
		snap.Clusters[name] = cl
	}
	return snap
}

// Topology publishes snapshots. Readers call Load on every statement;
// writers serialize through Update.
type Topology struct {
	cur atomic.Pointer[Snapshot]
	mu  sync.Mutex
	// subscribers are told after each publish (metrics, monitor).
	subs []func(*Snapshot)
}

// New starts a topology at snap.
func New(snap *Snapshot) *Topology {
	t := &Topology{}
	t.cur.Store(snap)
	return t
}

// Load returns the current snapshot.
func (t *Topology) Load() *Snapshot { return t.cur.Load() }

// Update applies fn to a deep copy of the current snapshot and publishes the
// result; fn returns false to abandon the change.
func (t *Topology) Update(fn func(*Snapshot) bool) *Snapshot {
	t.mu.Lock()
	next := t.cur.Load().clone()
	if !fn(next) {
		t.mu.Unlock()
		return t.cur.Load()
	}
	next.Version++
	t.cur.Store(next)
	subs := t.subs
	t.mu.Unlock()
	for _, fn := range subs {
		fn(next)
	}
	return next
}

// Subscribe registers fn to run after every published change.
func (t *Topology) Subscribe(fn func(*Snapshot)) {
	t.mu.Lock()
	t.subs = append(t.subs, fn)
	t.mu.Unlock()
}

func (s *Snapshot) clone() *Snapshot {
	out := &Snapshot{Version: s.Version, DefaultCluster: s.DefaultCluster, Clusters: make(map[string]*Cluster, len(s.Clusters))}
	for name, c := range s.Clusters {
		nc := *c
		p := *c.Primary
		nc.Primary = &p
		nc.Replicas = make([]*Server, len(c.Replicas))
		for i, r := range c.Replicas {
			rc := *r
			nc.Replicas[i] = &rc
		}
		nc.Pools = make(map[string]*Pool, len(c.Pools))
		for pn, pool := range c.Pools {
			pc := *pool
			nc.Pools[pn] = &pc
		}
		out.Clusters[name] = &nc
	}
	return out
}

// SetState changes one server's health in a new snapshot; it returns false
// when nothing changed, so no snapshot is published for a no-op.
func (t *Topology) SetState(addr string, state State, lag time.Duration, reason string) bool {
	changed := false
	t.Update(func(s *Snapshot) bool {
		srv := s.Server(addr)
		if srv == nil || (srv.State == state && srv.Reason == reason && lagBucket(srv.Lag) == lagBucket(lag)) {
			return false
		}
		srv.State, srv.Lag, srv.Reason = state, lag, reason
		changed = true
		return true
	})
	return changed
}

// SetSQLMode records a server's global sql_mode; it returns false when it
// is the one already known, so no snapshot is published for a no-op.
func (t *Topology) SetSQLMode(addr, mode string) bool {
	changed := false
	t.Update(func(s *Snapshot) bool {
		srv := s.Server(addr)
		if srv == nil || (srv.SQLModeRead && srv.SQLMode == mode) {
			return false
		}
		srv.SQLMode, srv.SQLModeRead = mode, true
		changed = true
		return true
	})
	return changed
}

// DefaultSQLMode is the global sql_mode of the default cluster's primary:
// how a session that has not set sql_mode has its statements read. read is
// false until a check has read it.
func (s *Snapshot) DefaultSQLMode() (mode string, read bool) {
	if cl := s.Default(); cl != nil && cl.Primary != nil {
		return cl.Primary.SQLMode, cl.Primary.SQLModeRead
	}
	return "", false
}

// lagBucket rounds lag to whole seconds so a replica whose lag wobbles by
// milliseconds does not publish a snapshot per check.
func lagBucket(d time.Duration) int64 { return int64(d / time.Second) }
