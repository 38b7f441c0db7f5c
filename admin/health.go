package admin

import (
	"maps"
	"net/http"
	"slices"
)

// Health checks for load balancers and orchestrators: GET /healthz says
// the process answers, GET /readyz whether new clients should be sent
// here. Neither needs admin_auth, because a load balancer's probe cannot
// log in, and neither names a server.

// ReadyView is the body of GET /readyz.
type ReadyView struct {
	Ready bool `json:"ready"`
	// Reason says why not, when not ready.
	Reason   string             `json:"reason,omitempty"`
	Clusters []ClusterReadiness `json:"clusters"`
}

// ClusterReadiness is what one cluster can serve now.
type ClusterReadiness struct {
	Name string `json:"name"`
	// Writes: its primary is up and not drained.
	Writes bool `json:"writes"`
	// ReplicasUp counts the replicas reads can use, of Replicas.
	ReplicasUp int `json:"replicas_up"`
	Replicas   int `json:"replicas"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is 503 while Strata drains before it stops (not at a handover,
// where the endpoint lives on in the new process), so a load balancer
// sends new clients elsewhere, and when a cluster has no server left to
// answer anything. A cluster whose
// primary is down but whose replicas serve reads stays ready: writes fail
// there with a clear error until a failover, and every Strata in front of
// it sees the same servers, so taking this one out would help nobody.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	view := ReadyView{Ready: true, Clusters: []ClusterReadiness{}}
	snap := s.Topology.Load()
	for _, name := range slices.Sorted(maps.Keys(snap.Clusters)) {
		cl := snap.Clusters[name]
		cr := ClusterReadiness{Name: name, Writes: cl.Primary.Routable(), Replicas: len(cl.Replicas)}
		for _, rep := range cl.Replicas {
			if rep.Routable() {
				cr.ReplicasUp++
			}
		}
		if view.Ready && !cr.Writes && cr.ReplicasUp == 0 {
			view.Ready, view.Reason = false, "cluster "+name+" has no server up: neither its primary nor any replica can answer"
		}
		view.Clusters = append(view.Clusters, cr)
	}
	if s.Draining != nil && s.Draining() {
		view.Ready, view.Reason = false, "draining: this Strata is stopping and lets its clients finish; send new clients to another instance"
	}
	status := http.StatusOK
	if !view.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, view)
}
