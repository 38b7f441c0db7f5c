// Package admin is Strata's control surface over HTTP: a JSON API to see
// and change the topology, and Prometheus metrics at /metrics.
package admin

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/topology"
)

// Server is the admin HTTP handler.
type Server struct {
	Topology *topology.Topology
	Pools    *backend.Pools
	Metrics  *metrics.Metrics
	Sessions *session.Registry
	Log      *slog.Logger

	mux *http.ServeMux
}

// Handler returns the HTTP routes.
func (s *Server) Handler() http.Handler {
	if s.mux != nil {
		return s.mux
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/topology", s.topology)
	mux.HandleFunc("GET /api/sessions", s.sessions)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", s.index)
	s.mux = mux
	return mux
}

// serverView is a server as the API shows it: topology plus pool counters.
type serverView struct {
	*topology.Server
	Connections backend.PoolStats `json:"connections"`
}

type clusterView struct {
	Name        string       `json:"name"`
	Primary     serverView   `json:"primary"`
	Replicas    []serverView `json:"replicas"`
	DefaultPool string       `json:"default_pool"`
	Pools       []string     `json:"pools"`
	Consistency string       `json:"consistency"`
}

func (s *Server) view(srv *topology.Server) serverView {
	return serverView{Server: srv, Connections: s.Pools.For(srv.Addr).Stats()}
}

func (s *Server) topology(w http.ResponseWriter, r *http.Request) {
	snap := s.Topology.Load()
	out := struct {
		Version        uint64        `json:"version"`
		DefaultCluster string        `json:"default_cluster"`
		Clusters       []clusterView `json:"clusters"`
	}{Version: snap.Version, DefaultCluster: snap.DefaultCluster}
	for _, srv := range snap.Servers() {
		if srv.Role != topology.RolePrimary {
			continue
		}
		cl := snap.Cluster(srv.Cluster)
		cv := clusterView{Name: cl.Name, Primary: s.view(cl.Primary), DefaultPool: cl.DefaultPool, Pools: cl.PoolNames(), Consistency: cl.Consistency}
		for _, r := range cl.Replicas {
			cv.Replicas = append(cv.Replicas, s.view(r))
		}
		out.Clusters = append(out.Clusters, cv)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Sessions.List())
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("Strata admin API\n\nGET /api/topology  clusters, servers, roles and state\nGET /api/sessions  open client sessions\nGET /metrics       Prometheus metrics\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// apiError is the JSON body of a failed API call.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}
