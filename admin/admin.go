// Package admin is Strata's control surface over HTTP: a JSON API to see
// and change the topology, and Prometheus metrics at /metrics. The API is
// documented in docs/admin-api.md.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/buildinfo"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/gtid"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/querystats"
	"github.com/strata-proxy/strata/resultcache"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/switchover"
	"github.com/strata-proxy/strata/topology"
)

// Server is the admin HTTP handler.
type Server struct {
	Topology *topology.Topology
	Pools    *backend.Pools
	Metrics  *metrics.Metrics
	Sessions *session.Registry
	Log      *slog.Logger
	// Monitor, when set, adds each server's last health check to the views.
	Monitor *topology.Monitor
	// Marks, when set, shows what consistency: global waits for.
	Marks *gtid.Marks
	// Cache, when set (a routing rule has cache:), answers GET and
	// DELETE /api/cache.
	Cache *resultcache.Cache
	// Control, when set, enables POST /api/reload and /api/config/save.
	Control Control
	// Capacity, when set, answers GET /api/capacity: how full the last
	// range of each range-sharded table is (see capacity.go).
	Capacity func(ctx context.Context) (any, error)
	// SchemaCheck, when set, answers GET /api/schema-check: where the
	// copies of a sharded or reference table are defined differently.
	SchemaCheck func(ctx context.Context) (any, error)
	// Explain, when set, answers GET /api/explain?sql=...: where a
	// statement would run for user and schema.
	Explain func(ctx context.Context, sql, user, schema string) (any, error)
	// Transactions, when set, answers GET /api/transactions: the
	// transaction mode and the prepared branches of transactions across
	// clusters not settled yet; ResolveTransactions settles what it can
	// now (POST /api/transactions/resolve).
	Transactions        func(ctx context.Context) (any, error)
	ResolveTransactions func(ctx context.Context) (any, error)
	// Deadlocks, when set, answers GET /api/deadlocks: what the detector
	// of deadlocks across servers did lately (DeadlocksView).
	Deadlocks func(ctx context.Context) (any, error)
	// Rebalance, when set, starts or resumes an online rebalance of a
	// table (POST /api/rebalance); RebalanceStatus shows the last one
	// (GET /api/rebalance; ErrNoRebalance when none ran).
	Rebalance       func(ctx context.Context, table string, batch int) (any, error)
	RebalanceStatus func(ctx context.Context) (any, error)
	// Settings answers GET /api/settings: the settings a reload changes,
	// as they apply now.
	Settings func(ctx context.Context) (any, error)
	// Tables describes where the placed tables live (GET /api/tables).
	Tables func() any
	// Users lists the accounts clients log in with, with their server
	// account and open connections (GET /api/users).
	Users func() any
	// Stats is the per-digest statistics (GET/DELETE /api/queries).
	Stats *querystats.Store
	// Planner, when set, answers GET /api/rules: the routing rules and
	// their hits.
	Planner *planner.Planner
	// AuthUser and AuthPassword, when set (config admin_auth), are asked
	// of every request as HTTP Basic credentials. Handler reads them;
	// SetAuth changes the account later.
	AuthUser, AuthPassword string
	account                atomic.Pointer[account]
	profiling              atomic.Bool // Profiling, then SetProfiling
	// Switchover, when set, answers POST /api/clusters/{cluster}/switchover.
	Switchover *switchover.Switcher
	// Profiling serves Go's runtime profiles under /debug/pprof/ (config
	// admin_pprof): CPU, heap, goroutines and traces of the running proxy,
	// for `go tool pprof http://ADMIN/debug/pprof/profile`.
	Profiling bool
	// Draining, when set, reports that Strata stopped taking new clients
	// (a shutdown or a handover began): GET /readyz is then 503.
	Draining func() bool

	mux    *http.ServeMux
	fileMu sync.Mutex // one reload or save at a time
}

// Control is the running Strata as the reload and save endpoints need it;
// server.Strata implements it.
type Control interface {
	// CurrentConfig is the config Strata runs with; its Path is the file.
	CurrentConfig() *config.Config
	// ReloadFile re-reads the config file and applies it, returning what
	// changed and what needs a restart to take effect. On error nothing
	// changed.
	ReloadFile() (changes, restartNeeded []string, err error)
	// ConfigSaved records that the file now holds cfg.
	ConfigSaved(cfg *config.Config)
}

// Handler returns the HTTP routes.
func (s *Server) Handler() http.Handler {
	if s.mux != nil {
		s.SetAuth(s.AuthUser, s.AuthPassword)
		s.SetProfiling(s.Profiling)
		return s.withHealth(s.requireAuth(s.mux))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/topology", s.topology)
	mux.HandleFunc("GET /api/sessions", s.sessions)
	mux.HandleFunc("GET /api/users", s.users)
	mux.HandleFunc("POST /api/users/{name}/kill", s.killUser)
	mux.HandleFunc("POST /api/sessions/{id}/kill", s.killSession)
	mux.HandleFunc("GET /api/pools", s.pools)
	mux.HandleFunc("POST /api/servers/{address}/pool", s.movePool)
	mux.HandleFunc("POST /api/servers/{address}/drain", s.drain)
	mux.HandleFunc("POST /api/servers/{address}/weight", s.weight)
	mux.HandleFunc("DELETE /api/servers/{address}", s.removeReplica)
	mux.HandleFunc("POST /api/clusters/{cluster}/replicas", s.addReplica)
	mux.HandleFunc("POST /api/clusters/{cluster}/switchover", s.switchover)
	mux.HandleFunc("POST /api/clusters/{cluster}/failover", s.failover)
	mux.HandleFunc("GET /api/switchovers", s.switchovers)
	mux.HandleFunc("POST /api/servers/{address}/rejoin", s.rejoin)
	mux.HandleFunc("POST /api/reload", s.reload)
	mux.HandleFunc("POST /api/config/save", s.saveConfig)
	mux.HandleFunc("GET /api/queries", s.queries)
	mux.HandleFunc("DELETE /api/queries", s.resetQueries)
	mux.HandleFunc("GET /api/rules", s.rules)
	mux.HandleFunc("GET /api/cache", s.cache)
	mux.HandleFunc("DELETE /api/cache", s.flushCache)
	s.shardingRoutes(mux)
	s.rebalanceRoutes(mux)
	s.transactionRoutes(mux)
	mux.HandleFunc("GET /api/settings", s.hook(func() func(context.Context) (any, error) { return s.Settings }, "settings", "settings are not available"))
	mux.HandleFunc("/api/", s.notFound)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /dashboard", s.dashboard)
	s.profilingRoutes(mux)
	s.mux = mux
	s.SetAuth(s.AuthUser, s.AuthPassword)
	s.SetProfiling(s.Profiling)
	return s.withHealth(s.requireAuth(mux))
}

// withHealth serves the health checks without credentials and everything
// else through api.
func (s *Server) withHealth(api http.Handler) http.Handler {
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", s.healthz)
	root.HandleFunc("GET /readyz", s.readyz)
	root.Handle("/", api)
	return root
}

// TopologyView is the body of GET /api/topology.
type TopologyView struct {
	// Strata is the build of the Strata that answers (buildinfo.String).
	Strata         string        `json:"strata"`
	Version        uint64        `json:"version"`
	DefaultCluster string        `json:"default_cluster"`
	Clusters       []ClusterView `json:"clusters"`
}

// ServerView is a server as GET /api/topology shows it: topology plus
// pool counters.
type ServerView struct {
	*topology.Server
	Routable    bool     `json:"routable"`
	Connections ConnView `json:"connections"`
}

// ClusterView is one cluster of GET /api/topology.
type ClusterView struct {
	Name        string       `json:"name"`
	Primary     ServerView   `json:"primary"`
	Replicas    []ServerView `json:"replicas"`
	DefaultPool string       `json:"default_pool"`
	Pools       []string     `json:"pools"`
	Consistency string       `json:"consistency"`
}

func (s *Server) view(srv *topology.Server) ServerView {
	return ServerView{Server: srv, Routable: srv.Routable(), Connections: s.member(srv).Connections}
}

func (s *Server) topology(w http.ResponseWriter, r *http.Request) {
	snap := s.Topology.Load()
	out := TopologyView{Strata: buildinfo.String(), Version: snap.Version, DefaultCluster: snap.DefaultCluster, Clusters: []ClusterView{}}
	for _, srv := range snap.Servers() {
		if srv.Role != topology.RolePrimary {
			continue
		}
		cl := snap.Cluster(srv.Cluster)
		cv := ClusterView{Name: cl.Name, Primary: s.view(cl.Primary), DefaultPool: cl.DefaultPool, Pools: cl.PoolNames(), Consistency: cl.Consistency}
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

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	if s.Users == nil {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	writeJSON(w, http.StatusOK, s.Users())
}

// KillResult is the answer of POST /api/sessions/{id}/kill.
type KillResult struct {
	ID uint32 `json:"id"`
	// Killed is "query" (its statement was interrupted, the client stays
	// connected) or "connection" (the client was disconnected too).
	Killed string `json:"killed"`
	// WasRunning tells whether a statement was running.
	WasRunning bool `json:"was_running"`
}

// killSession answers POST /api/sessions/{id}/kill: KILL [QUERY] for an
// operator, by the ids GET /api/sessions lists. {"query": true} interrupts
// the running statement only; without it the connection is closed, as
// KILL does.
func (s *Server) killSession(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a session id (GET /api/sessions lists them)", r.PathValue("id")))
		return
	}
	var body struct {
		Query bool `json:"query"`
	}
	if !decodeBody(w, r, &body, true, `{"query": true}`) {
		return
	}
	running, err := s.Sessions.Kill(uint32(id), body.Query)
	switch {
	case errors.Is(err, session.ErrNoSession):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusBadGateway, "the statement could not be interrupted: "+err.Error())
		return
	}
	res := KillResult{ID: uint32(id), Killed: "connection", WasRunning: running}
	if body.Query {
		res.Killed = "query"
	}
	s.logChange(r, "session killed through the admin API", "id", id, "killed", res.Killed, "was_running", running)
	writeJSON(w, http.StatusOK, res)
}

// UserKillResult is the answer of POST /api/users/{name}/kill.
type UserKillResult struct {
	User string `json:"user"`
	// Killed is "query" or "connection", as for one session.
	Killed string `json:"killed"`
	// Sessions are the ids of the user's sessions it ended (none: the user
	// had no session).
	Sessions []uint32 `json:"sessions"`
}

// killUser ends every session of a user: the step after removing an
// account whose password leaked, or stopping a runaway job.
func (s *Server) killUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Query bool `json:"query"`
	}
	if !decodeBody(w, r, &body, true, `{"query": true}`) {
		return
	}
	user := r.PathValue("name")
	ids, err := s.Sessions.KillUser(user, body.Query)
	if err != nil {
		writeError(w, http.StatusBadGateway, "some statements could not be interrupted: "+err.Error())
		return
	}
	res := UserKillResult{User: user, Killed: "connection", Sessions: ids}
	if body.Query {
		res.Killed = "query"
	}
	if res.Sessions == nil {
		res.Sessions = []uint32{}
	}
	s.logChange(r, "sessions of a user killed through the admin API", "user", user, "killed", res.Killed, "sessions", len(ids))
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(indexText))
}

const indexText = `Strata admin API (docs/admin-api.md); a dashboard at /dashboard

GET    /api/topology                     clusters, servers, roles and state
GET    /api/pools                        replica pools, their settings and members
GET    /api/sessions                     client sessions and what each runs now
POST   /api/sessions/{id}/kill           KILL: {"query": true} ends the statement only, else the connection
GET    /api/users                        the accounts clients log in with, their server account and connections
POST   /api/users/{name}/kill            KILL every session of a user ({"query": true}: their statements only)
GET    /api/queries                      statements by digest, route and server (?order=&limit=&contains=)
DELETE /api/queries                      the same, then start counting again
GET    /api/rules                        routing rules in order, with the statements each decided
GET    /api/cache                        result cache counters, and the tables whose writes drop each table's entries
DELETE /api/cache                        drop every cached answer
POST   /api/servers/{address}/pool       move a replica: {"pool": "batch"}
POST   /api/servers/{address}/drain      {"drain": true} (default) or false
POST   /api/servers/{address}/weight     {"weight": 3}
DELETE /api/servers/{address}            remove a replica
POST   /api/clusters/{cluster}/replicas  add a replica: {"address": "host:port", "pool": "batch"}
POST   /api/reload                       re-read the config file
POST   /api/config/save                  write the running topology to the config file
GET    /api/capacity                     fill of the last range of range-sharded tables
GET    /api/schema-check                 copies of sharded and reference tables defined differently
GET    /api/explain?sql=...              where a statement would run (&user=, &schema=)
POST   /api/rebalance?table=T            move T's rows to the file's new layout while it serves (&batch=N)
GET    /api/rebalance                    progress of the last online rebalance
GET    /metrics                          Prometheus metrics
GET    /healthz                          200 while the process answers (no admin_auth)
GET    /readyz                           200 if new clients may come here, 503 while draining (no admin_auth)
`

// notFound answers API paths no route takes: 405 when the path exists for
// other methods, else 404; in JSON like every other API error.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not supported on %s (use %s)", r.Method, r.URL.Path, strings.Join(allow, " or ")))
		return
	}
	writeError(w, http.StatusNotFound, "no API endpoint "+r.Method+" "+r.URL.Path+" (GET / lists them)")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// APIError is the JSON body of a failed API call.
type APIError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, APIError{Error: msg})
}
