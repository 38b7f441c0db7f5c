// Package server assembles a running Strata from a config: topology,
// backend pools, planner, sessions, the MySQL front end and the admin API.
// cmd/strata and the integration tests both start Strata through it.
package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/frontend"
	"github.com/strata-proxy/strata/gtid"
	"github.com/strata-proxy/strata/handover"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/querystats"
	"github.com/strata-proxy/strata/resultcache"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/switchover"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/wire"
)

// Strata is one running proxy.
type Strata struct {
	Config   *config.Config
	Topology *topology.Topology
	Pools    *backend.Pools
	Metrics  *metrics.Metrics
	Env      *session.Env
	Front    *frontend.Server
	Admin    *admin.Server
	Log      *slog.Logger
	// Monitor checks the servers' health and publishes it in Topology.
	Monitor *topology.Monitor
	// BusyPoll is how every client and server connection waits for its
	// peer (config key busy_poll).
	BusyPoll *wire.BusyPoll

	reloadMu sync.Mutex // serializes Reload and guards Config after start (reload.go)

	shards atomic.Pointer[sharding] // nil when no table is placed
	// move is the last online rebalance (rebalance.go); moveMu
	// serializes starting one and its end.
	move   atomic.Pointer[tableMove]
	moveMu sync.Mutex
	movers sync.WaitGroup // the mover's goroutine, which Close waits for
	// movedTo: tables moved (here or by another Strata) to a layout the
	// file does not give them, with that layout's spec (movewatch.go;
	// guarded by moveMu).
	movedTo    map[string]string
	stopShards context.CancelFunc
	// localUnique: per sharded table, the unique keys each shard enforces
	// on its own rows only (learnUniqueKeys; guarded by uniqueMu).
	localUnique map[string][]string
	uniqueMu    sync.Mutex
	// maintainNow asks maintainShards for a run before its next hour: a
	// reload changed tables: (new period tables to make, keep: to apply).
	maintainNow chan struct{}
	// twoPhase is nil until transactions.mode is first twopc.
	twoPhase  atomic.Pointer[twoPhase]
	deadlocks *deadlocks // ends deadlocks across servers, in either mode
	// shardCtx ends the control plane's background work (stopShards).
	shardCtx   context.Context
	clientCert *clientCert

	httpSrv *http.Server
	// The listening sockets (listeners.go): nil while being handed over,
	// and for good once a new process took them.
	lnMu       sync.Mutex
	mysqlLn    net.Listener
	httpLn     net.Listener
	mysqlAddr  string
	adminAddr  string
	handoverLn *net.UnixListener
	socketLn   *net.UnixListener // listen_socket's
	stopping   bool              // Shutdown or Close began: no handover
	handedOver chan struct{}     // closed once a new process took the sockets
	passing    *handover.Handler // passes idle clients to that process
	done       chan error
	// startProcs is GOMAXPROCS before the config's threads applied: what
	// `threads: 0` puts back at a reload.
	startProcs int
}

// applyThreads sets how many threads run Go code (config key threads).
func (s *Strata) applyThreads(n int) {
	if n <= 0 {
		n = s.startProcs
	}
	if runtime.GOMAXPROCS(0) != n {
		runtime.GOMAXPROCS(n)
	}
}

// applyBusyPoll sets how long connections poll for their peer (config key
// busy_poll). Never on one thread: the polling goroutine would hold the
// only thread that runs every other session's Go code.
func (s *Strata) applyBusyPoll(cfg *config.Config) {
	d := cfg.BusyPollBudget()
	if runtime.GOMAXPROCS(0) < 2 {
		d = 0
	}
	s.BusyPoll.SetBudget(d)
}

// Start builds Strata from cfg and starts listening on both ports.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Strata, error) {
	s := &Strata{Config: cfg, Log: log, done: make(chan error, 2), handedOver: make(chan struct{}), startProcs: runtime.GOMAXPROCS(0),
		maintainNow: make(chan struct{}, 1)}
	s.applyThreads(cfg.Threads)
	s.BusyPoll = wire.NewBusyPoll(0)
	s.applyBusyPoll(cfg)
	backendTLS, err := cfg.Backend.TLS.ClientConfig()
	if err != nil {
		return nil, err
	}
	s.newDataPlane(cfg, backendTLS)
	sh, err := s.startSharding(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.newFrontend(ctx, cfg); err != nil {
		return nil, err
	}
	s.newControlPlane(cfg, backendTLS)
	if err := s.listen(ctx); err != nil {
		s.Pools.Close()
		sh.close()
		s.twoPhase.Load().close()
		s.deadlocks.close()
		return nil, err
	}
	s.startBackground(cfg)
	return s, nil
}

// newDataPlane makes what every statement goes through: the topology,
// the backend pools, the planner, the metrics and the sessions'
// environment.
func (s *Strata) newDataPlane(cfg *config.Config, backendTLS *tls.Config) {
	log := s.Log
	s.Topology = topology.New(topology.FromConfig(cfg))
	s.Metrics = metrics.New()
	s.Metrics.WatchBusyPoll(s.BusyPoll.StatsFor)
	accounts := backend.NewAccounts(serverLogins(cfg.Users))
	s.Pools = backend.NewPools(backend.PoolConfig{
		User: cfg.Backend.User, Password: cfg.Backend.Password, Accounts: accounts, Sockets: cfg.Backend.Sockets, TLS: backendTLS,
		PoolLimits: poolLimits(cfg), BusyPoll: s.BusyPoll,
	})
	plan := planner.New(cfg.Routing)
	s.Metrics.WatchParses(func() (uint64, uint64) {
		st := plan.ParseStats()
		return st.Shaped, st.Parsed
	})
	s.Metrics.WatchRules(func() []metrics.RuleHits { return ruleHits(plan) })
	s.Env = &session.Env{
		Topology: s.Topology, Planner: plan, Pools: s.Pools, Metrics: s.Metrics,
		Registry: session.NewRegistry(), Accounts: accounts, BackendSockets: cfg.Backend.Sockets,
		BackendTLS: backendTLS, Log: log,
		ReadYourWritesWait: cfg.Clusters[cfg.DefaultCluster].ReadYourWritesWait.D(),
		Stats:              querystats.New(cfg.Limits.MaxQueryDigests),
		Marks:              gtid.NewMarks(),
		MergeMemory:        engine.NewBudget("limits.max_merge_memory_total", int64(cfg.Limits.MaxMergeMemoryTotal), nil),
	}
	s.Metrics.WatchMergeMemory(func() float64 { return float64(s.Env.MergeMemory.Used()) },
		func() float64 { return float64(s.Env.MergeMemory.Limit()) })
	s.Metrics.WatchRowLocations(func() float64 {
		if sh := s.Env.Sharding; sh != nil {
			return float64(sh.Locations().Len())
		}
		return 0
	})
	s.Env.SetLimits(sessionLimits(cfg))
	s.Env.SetZone(cfg.Zone)
	s.Env.SetStateTables(stateTables(cfg))
	s.Env.SetToolAccounts(toolAccounts(cfg))
	s.Env.SetBackendLogin(backend.Login{User: cfg.Backend.User, Password: cfg.Backend.Password})
	s.Env.FailoverWait.Store(int64(failoverWait(cfg)))
	if cfg.CacheEnabled() {
		s.Env.Cache = resultcache.New(int(cfg.ResultCache.MaxSize), int(cfg.ResultCache.MaxEntrySize))
		s.Metrics.WatchResultCache(s.Env.Cache.Stats)
	}
	if cfg.Transactions.TwoPC() {
		tp := s.newTwoPhase(cfg)
		s.twoPhase.Store(tp)
		s.Env.SetTwoPhase(tp.session)
	}
	s.deadlocks = s.newDeadlocks(cfg)
}

// startSharding builds the sharded tables of the config (nil without
// any) and resumes the online rebalances a previous run left.
func (s *Strata) startSharding(ctx context.Context, cfg *config.Config) (*sharding, error) {
	sh, err := newSharding(cfg, s.primaryOf)
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	refused, err := s.restoreMoves(ctx, cfg, sh)
	if err != nil {
		sh.close()
		return nil, fmt.Errorf("resuming an online rebalance: %w", err)
	}
	s.shards.Store(sh)
	s.Env.Sharding = planner.NewSharding(nil)
	s.Env.Sharding.Locations().SetMax(max(cfg.Limits.RowLocations, 0))
	s.Env.Sharding.SetRefused(refused)
	if sh != nil {
		s.Env.Sharding.SetLayout(sh.layout)
		sh.hooks(s.Env.Sharding, s.learnTables, s.Metrics.ZoneRead)
	}
	return sh, nil
}

// newFrontend makes the MySQL-protocol server the clients talk to, with
// the version and capabilities of the servers behind it. Bulk execution
// is offered where the servers offer it, over sharded tables too, whose
// batches Strata splits itself (session.bulkPlaced).
func (s *Strata) newFrontend(ctx context.Context, cfg *config.Config) error {
	var err error
	if s.clientCert, err = newClientCert(cfg.TLS); err != nil {
		return err
	}
	tlsConf := s.clientCert.tlsConfig()
	s.Metrics.SetCertExpiry(s.clientCert.expiry())
	s.Metrics.SetClientMax(cfg.Limits.MaxClientConnections)
	version, bulk := s.serverVersion(ctx)
	s.Front = frontend.NewServer(frontend.Config{
		ServerVersion:  version,
		BulkOperations: bulk,
		Limits:         clientLimits(cfg),
		TLS:            tlsConf,
		ProxyTrusted:   cfg.ProxyProtocol.TrustedPrefixes(),
		BusyPoll:       s.BusyPoll,
	}, s.Env, frontend.NewAuthenticator(cfg.Users, tlsConf), s.Log)
	return nil
}

// newControlPlane makes the health monitor, the switchover machinery and
// the admin API.
func (s *Strata) newControlPlane(cfg *config.Config, backendTLS *tls.Config) {
	log := s.Log
	mc := topology.MonitorConfigFrom(cfg)
	mc.TLS = backendTLS
	s.Monitor = topology.NewMonitor(s.Topology, s.Pools, s.Metrics, mc, log)
	s.Env.OnBackendFailure = s.Monitor.ReportFailure
	s.Admin = &admin.Server{Topology: s.Topology, Pools: s.Pools, Metrics: s.Metrics, Sessions: s.Env.Registry, Log: log, Monitor: s.Monitor, Marks: s.Env.Marks, Cache: s.Env.Cache, Control: s,
		Explain: s.explain, Capacity: s.capacity, SchemaCheck: s.schemaCheck, Tables: s.tables, Users: func() any { return s.Front.Users() }, Profiling: cfg.AdminPprof, Stats: s.Env.Stats, Planner: s.Env.Planner,
		AuthUser: cfg.AdminAuth.User, AuthPassword: cfg.AdminAuth.Password, Draining: s.draining,
		Transactions: s.transactions, ResolveTransactions: s.resolveTransactions, Deadlocks: s.deadlocksView, Settings: s.settings,
		Rebalance: s.RebalanceOnline, RebalanceStatus: s.rebalanceStatus}
	s.Admin.Switchover = &switchover.Switcher{Topology: s.Topology, Pools: s.Pools, Config: s.CurrentConfig, Log: log,
		Metrics: s.Metrics, Sessions: s.Env.Registry, Saved: s.saveAfterFailover}
	s.Monitor.OnPrimaryMoved = func(cluster, from, to string) {
		s.saveAfterFailover(s.Admin.Switchover.Followed(cluster, from, to))
	}
}

// startBackground starts the work that runs beside the statements, once
// Strata listens: health checks, shard upkeep (new date periods, key
// types, collations), failover watching, two-phase resolution, deadlock
// detection, reads whose client is gone, and online rebalances.
func (s *Strata) startBackground(cfg *config.Config) {
	s.Monitor.Start()
	shardCtx, stop := context.WithCancel(context.Background())
	s.shardCtx, s.stopShards = shardCtx, stop
	go s.maintainShards(shardCtx, time.Hour)
	go s.learnKeyTypes(shardCtx)
	go s.learnCollations(shardCtx)
	go s.Admin.Switchover.Watch(shardCtx, failoverCooldown(cfg))
	go s.twoPhase.Load().run(shardCtx, cfg.Transactions)
	go s.deadlocks.detector.Run(shardCtx)
	go s.killReadsOfGoneClients(shardCtx)
	s.resumeMoves()
	go s.watchMoves(shardCtx)
}

// failoverWait is how long a statement that cannot reach its primary
// waits for an automatic failover (0: it fails at once).
func failoverWait(cfg *config.Config) time.Duration {
	if !cfg.Switchover.AutoFailover || !cfg.Switchover.Enabled() {
		return 0
	}
	// Detection (fail_after checks, or at once on a failed statement),
	// then the failover itself, bounded by switchover.timeout.
	return time.Duration(cfg.Monitor.FailAfter+1)*cfg.Monitor.Interval.D() + cfg.Switchover.Timeout.D()
}

// failoverCooldown is how long after a failover attempt on a cluster the
// next may start: a few monitor checks, so the monitor has seen the
// result.
func failoverCooldown(cfg *config.Config) time.Duration {
	return max(5*cfg.Monitor.Interval.D(), time.Second)
}

// saveAfterFailover writes the new primary to the config file, so a
// reload or restart does not bring back the old one (after a failover, or
// a primary change this Strata followed).
func (s *Strata) saveAfterFailover(rep *switchover.Report) {
	if s.CurrentConfig().Path == "" {
		return
	}
	if v, _, err := s.Admin.SaveTopology(false); err != nil {
		s.Log.Error("failover: the config file was not saved; save it (strata config save) before a reload or restart", "cluster", rep.Cluster, "new_primary", rep.NewPrimary, "err", err)
	} else {
		s.Log.Info("failover: config saved", "path", v.Path, "backup", v.Backup)
	}
}

// draining reports, for GET /readyz, that this Strata stopped taking
// clients for good. After a handover the sockets live on in the new
// process, so the endpoint stays ready.
func (s *Strata) draining() bool {
	select {
	case <-s.handedOver:
		return false
	default:
		return s.Front.Draining()
	}
}

// Done reports a listener failing.
func (s *Strata) Done() <-chan error { return s.done }

// Shutdown stops accepting clients and lets the connected ones finish
// their statement, or their transaction, for up to
// limits.shutdown_timeout (frontend.Server.Shutdown); then it closes what
// is left as Close does. It is how `strata serve` stops on SIGTERM.
func (s *Strata) Shutdown() {
	s.stopHandovers()
	ctx, cancel := context.WithTimeout(context.Background(), s.Config.Limits.ShutdownTimeout.D())
	defer cancel()
	if err := s.Front.Shutdown(ctx); err != nil {
		s.Log.Warn("shutdown: clients still busy after limits.shutdown_timeout were closed", "timeout", s.Config.Limits.ShutdownTimeout.D())
	}
	s.donePassing()
	s.Close()
}

// Close stops accepting, ends sessions and closes backend connections.
func (s *Strata) Close() {
	s.stopHandovers()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.httpSrv.Shutdown(ctx)
	s.stopShards()
	s.movers.Wait() // a batch under way ends first
	if tm := s.move.Load(); tm != nil {
		tm.mover.ReleaseLead() // another Strata may take the move up
		tm.dbs.Close()
	}
	s.shards.Load().close()
	s.twoPhase.Load().close()
	s.deadlocks.close()
	s.Monitor.Stop()
	s.closeSocket()
	s.Front.Close()
	s.donePassing()
	s.Pools.Close()
}

// serverVersion mirrors the default primary's version so clients that
// adapt to the server see the real one; Strata is named in the suffix. It
// also reports whether that server takes MariaDB's bulk execution, which
// Strata then offers too.
func (s *Strata) serverVersion(ctx context.Context) (string, bool) {
	const fallback = "5.5.5-10.11.0-MariaDB-Strata"
	cl := s.Topology.Load().Default()
	if cl == nil {
		return fallback, false
	}
	ctx, cancel := context.WithTimeout(ctx, s.Config.Limits.ConnectTimeout.D())
	defer cancel()
	c, err := backend.Dial(ctx, backend.DialConfig{Addr: cl.Primary.Addr, Socket: s.Config.Backend.Sockets[cl.Primary.Addr], User: s.Config.Backend.User, Password: s.Config.Backend.Password, Timeout: s.Config.Limits.ConnectTimeout.D(), Flavor: backend.Flavor{Collation: 45}, TLS: s.Env.BackendTLS})
	if err != nil {
		s.Log.Warn("cannot reach the primary at start; announcing a default version", "primary", cl.Primary.Addr, "err", err)
		return fallback, false
	}
	defer c.Close()
	return c.Version + "-Strata", c.Bulk
}

// serverLogins maps the users with a server account of their own
// (users[].backend) to it.
func serverLogins(users []config.User) map[string]backend.Login {
	out := map[string]backend.Login{}
	for _, u := range users {
		if u.Backend.User != "" {
			out[u.Name] = backend.Login{User: u.Backend.User, Password: u.Backend.Password}
		}
	}
	return out
}

// ruleHits is the routing rules' hits for strata_routing_rule_hits_total.
func ruleHits(p *planner.Planner) []metrics.RuleHits {
	_, rules := p.Rules()
	out := make([]metrics.RuleHits, len(rules))
	for i, r := range rules {
		action := "pool"
		switch {
		case r.Rule.Refuse != "":
			action = "refuse"
		case r.Rule.Rewrite != nil:
			action = "rewrite"
		}
		out[i] = metrics.RuleHits{Rule: fmt.Sprintf("routing.%d", r.Index), Action: action, Hits: r.Hits}
	}
	return out
}
