package admin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/strata-proxy/strata/topology"
)

// PoolsView is the body of GET /api/pools.
type PoolsView struct {
	Version        uint64         `json:"version"`
	DefaultCluster string         `json:"default_cluster"`
	Clusters       []ClusterPools `json:"clusters"`
}

// ClusterPools is one cluster of GET /api/pools.
type ClusterPools struct {
	Name          string     `json:"name"`
	Primary       MemberView `json:"primary"`
	DefaultPool   string     `json:"default_pool"`
	MaxReplicaLag string     `json:"max_replica_lag,omitempty"`
	Consistency   string     `json:"consistency"`
	// AcknowledgedGTID, under consistency: global, is the position of
	// the writes Strata acknowledged on the cluster: what a replica must
	// have applied to serve a read.
	AcknowledgedGTID string     `json:"acknowledged_gtid,omitempty"`
	Pools            []PoolView `json:"pools"`
}

// PoolView is one pool of a cluster: settings and members.
type PoolView struct {
	Name    string `json:"name"`
	Default bool   `json:"default"`
	Balance string `json:"balance"`
	// Fallback is where reads go when no member is routable.
	Fallback string `json:"fallback,omitempty"`
	// MaxReplicaLag is the limit that applies: the pool's, else the cluster's.
	MaxReplicaLag string       `json:"max_replica_lag,omitempty"`
	Routable      int          `json:"routable"`
	Members       []MemberView `json:"members"`
	// Note says where reads go when no member is routable.
	Note string `json:"note,omitempty"`
}

// MemberView is one server as the pools and change endpoints show it.
type MemberView struct {
	Address     string                `json:"address"`
	Cluster     string                `json:"cluster"`
	Role        topology.Role         `json:"role"`
	Pool        string                `json:"pool,omitempty"`
	State       topology.State        `json:"state"`
	Routable    bool                  `json:"routable"`
	Drained     bool                  `json:"drained"`
	Weight      int                   `json:"weight,omitempty"`
	Zone        string                `json:"zone,omitempty"`
	LagSeconds  float64               `json:"lag_seconds"`
	Reason      string                `json:"reason,omitempty"`
	Connections ConnView              `json:"connections"`
	LastCheck   *topology.CheckResult `json:"last_check,omitempty"`
}

// ConnView is backend.PoolStats with JSON names.
type ConnView struct {
	Open       int    `json:"open"`
	Idle       int    `json:"idle"`
	InUse      int    `json:"in_use"`
	Dials      uint64 `json:"dials"`
	DialErrors uint64 `json:"dial_errors"`
	Waits      uint64 `json:"waits"`
	// ClosedByServer: idle connections the server had closed, found and
	// replaced before a statement used them.
	ClosedByServer uint64 `json:"closed_by_server"`
	// ResetOnReturn: connections reset as their session gave them back,
	// which may have left a transaction, locks or session state there
	// (a client that disconnected mid-transaction, say).
	ResetOnReturn uint64 `json:"reset_on_return"`
}

func (s *Server) member(srv *topology.Server) MemberView {
	v := MemberView{
		Address: srv.Addr, Cluster: srv.Cluster, Role: srv.Role, Pool: srv.Pool,
		State: srv.State, Routable: srv.Routable(), Drained: srv.Drained,
		Weight: srv.Weight, Zone: srv.Zone, LagSeconds: srv.Lag.Seconds(), Reason: srv.Reason,
	}
	if s.Pools != nil {
		st := s.Pools.For(srv.Addr).Stats()
		v.Connections = ConnView{Open: st.Open, Idle: st.Idle, InUse: st.InUse, Dials: st.Dials, DialErrors: st.DialErrors, Waits: st.Waits, ClosedByServer: st.ClosedByServer, ResetOnReturn: st.ResetOnReturn}
	}
	if s.Monitor != nil {
		if c, ok := s.Monitor.Check(srv.Addr); ok {
			v.LastCheck = &c
		}
	}
	return v
}

func (s *Server) pools(w http.ResponseWriter, r *http.Request) {
	snap := s.Topology.Load()
	out := PoolsView{Version: snap.Version, DefaultCluster: snap.DefaultCluster, Clusters: []ClusterPools{}}
	for _, srv := range snap.Servers() {
		if srv.Role != topology.RolePrimary {
			continue
		}
		cl := snap.Cluster(srv.Cluster)
		cp := ClusterPools{
			Name: cl.Name, Primary: s.member(cl.Primary), DefaultPool: cl.DefaultPool,
			MaxReplicaLag: durationText(cl.MaxReplicaLag), Consistency: cl.Consistency, Pools: []PoolView{},
		}
		if cl.Consistency == "global" && s.Marks != nil && cl.Primary != nil {
			cp.AcknowledgedGTID = s.Marks.Written(cl.Primary.Addr)
		}
		names := cl.PoolNames()
		if !contains(names, cl.DefaultPool) {
			names = append(names, cl.DefaultPool)
		}
		for _, name := range names {
			settings := cl.PoolSettings(name)
			pv := PoolView{
				Name: name, Default: name == cl.DefaultPool, Balance: settings.Balance, Fallback: settings.Fallback,
				MaxReplicaLag: durationText(topology.MaxLag(cl, name)), Members: []MemberView{},
			}
			for _, rep := range cl.Replicas {
				if rep.Pool == name {
					pv.Members = append(pv.Members, s.member(rep))
				}
			}
			pv.Routable = len(cl.Members(name))
			if pv.Routable == 0 {
				pv.Note = emptyPoolNote(cl, name)
			}
			cp.Pools = append(cp.Pools, pv)
		}
		out.Clusters = append(out.Clusters, cp)
	}
	writeJSON(w, http.StatusOK, out)
}

// emptyPoolNote says where the reads of a pool without a routable member go,
// the way the session's acquireReplica decides it.
func emptyPoolNote(cl *topology.Cluster, pool string) string {
	fb := cl.PoolSettings(pool).Fallback
	switch {
	case !cl.HasPool(pool):
		return fmt.Sprintf("pool %s of cluster %s has no members: its reads go to the primary", pool, cl.Name)
	case fb == "primary":
		return fmt.Sprintf("pool %s of cluster %s has no routable member: its reads go to the primary (fallback)", pool, cl.Name)
	case fb != "" && fb != pool:
		return fmt.Sprintf("pool %s of cluster %s has no routable member: its reads go to pool %s (fallback)", pool, cl.Name, fb)
	default:
		return fmt.Sprintf("pool %s of cluster %s has no routable member and no fallback: its reads fail", pool, cl.Name)
	}
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
