package server

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/topology"
)

// The admin API's reload and save endpoints drive a Strata.
var _ admin.Control = (*Strata)(nil)

// CurrentConfig returns the config of the file as last loaded or saved:
// the one Strata started with until a reload or a save replaces it. Parts
// a reload cannot apply (see Reload) may differ from what is in effect.
func (s *Strata) CurrentConfig() *config.Config {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.Config
}

// ConfigSaved records that the config file now holds cfg (the admin API's
// POST /api/config/save wrote the running topology into it).
func (s *Strata) ConfigSaved(cfg *config.Config) {
	s.reloadMu.Lock()
	s.Config = cfg
	s.reloadMu.Unlock()
}

// ReloadFile re-reads the config file and applies it with Reload; SIGHUP
// and POST /api/reload call it. An unreadable or invalid file changes
// nothing: Strata keeps running as it was and the error is logged and
// returned.
func (s *Strata) ReloadFile() (changes, restartNeeded []string, err error) {
	path := s.CurrentConfig().Path
	if path == "" {
		err = errors.New("strata was started without a config file: nothing to reload")
		s.Log.Error("config reload failed", "err", err)
		return nil, nil, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		s.Log.Error("config reload failed; Strata keeps running with the previous config", "path", path, "err", err)
		return nil, nil, err
	}
	return s.Reload(cfg)
}

// Reload applies a validated config (config.Load validates) to the running
// Strata: the topology — clusters, primaries, replicas, pools, weights,
// zones; health states and drains of the servers that stay are kept —
// the monitor settings, routing rules, users, the backend account,
// threads, busy_poll, placed tables, limits, slow_log, the client TLS
// certificate (re-read even when its path is the same, so a renewed one
// is served), transactions.mode and admin_auth.
// Nothing is torn down: client connections stay
// open, statements in flight finish on the snapshot they started with, and
// connections to removed servers close as they are released.
//
// It returns the changes applied and the settings that changed but need a
// restart to take effect.
//
// Routing rules are swapped atomically; a new `cache:` rule needs a restart
// when Strata started without any (the cache is made at start).
func (s *Strata) Reload(cfg *config.Config) (changes, restartNeeded []string, err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	old := s.Config
	cert, certChange, err := s.clientCert.next(old.TLS, cfg.TLS)
	if err == nil {
		changes, err = s.Topology.Apply(cfg)
	}
	if err != nil {
		s.Log.Error("config reload failed; Strata keeps running with the previous config", "err", err)
		return nil, nil, err
	}
	if cert != nil {
		s.clientCert.use(cert)
		s.Metrics.SetCertExpiry(s.clientCert.expiry())
		changes = append(changes, certChange)
	}
	changes = append(changes, s.applyLimits(old, cfg)...)
	resolverRan := s.twoPhase.Load() != nil
	if old.Transactions.Mode != cfg.Transactions.Mode {
		changes = append(changes, s.applyTxMode(cfg))
	}
	if every := cfg.Transactions.DeadlockInterval(); every != old.Transactions.DeadlockInterval() {
		s.deadlocks.detector.SetEvery(every)
		changes = append(changes, "transactions.deadlock_check: "+every.String())
	}
	changes = append(changes, s.applyFrontAndAdmin(old, cfg)...)
	changes = append(changes, s.applyMonitorAndBackend(old, cfg)...)
	if !reflect.DeepEqual(old.Routing, cfg.Routing) && (s.Env.Cache != nil || !cfg.CacheEnabled()) {
		s.Env.Planner.SetRules(cfg.Routing)
		changes = append(changes, fmt.Sprintf("routing: %d rules", len(cfg.Routing)))
	}
	if !reflect.DeepEqual(old.Users, cfg.Users) {
		s.Env.Accounts.Set(serverLogins(cfg.Users))
		s.Front.SetUsers(cfg.Users)
		changes = append(changes, fmt.Sprintf("users: %d accounts", len(cfg.Users)))
	}
	s.Env.FailoverWait.Store(int64(failoverWait(cfg)))
	if old.Threads != cfg.Threads {
		s.applyThreads(cfg.Threads)
		changes = append(changes, fmt.Sprintf("threads: %d", runtime.GOMAXPROCS(0)))
	}
	was := s.BusyPoll.Budget()
	s.applyBusyPoll(cfg)
	if now := s.BusyPoll.Budget(); now != was {
		changes = append(changes, fmt.Sprintf("busy_poll: %s", now))
	}
	if changed, err := s.reloadShards(old, cfg); err != nil {
		s.Log.Error("config reload: tables not applied", "err", err)
	} else if changed {
		changes = append(changes, fmt.Sprintf("tables: %d placed tables", len(cfg.Tables)))
	} else if n := s.forgetLookups(); n > 0 {
		changes = append(changes, fmt.Sprintf("lookup tables: %d cached keys forgotten, read again", n))
	}
	restartNeeded = needsRestart(old, cfg, s.Env.Cache != nil, resolverRan)
	s.Config = cfg
	s.Log.Info("config reloaded", "path", cfg.Path, "changes", len(changes), "topology_version", s.Topology.Load().Version)
	for _, c := range changes {
		s.Log.Info("config reload: applied", "change", c)
	}
	for _, r := range restartNeeded {
		s.Log.Warn("config reload: changed but needs a restart to take effect", "setting", r)
	}
	return changes, restartNeeded, nil
}

// applyFrontAndAdmin applies the settings of the client side and the
// admin port that a reload changes: proxy_protocol.trusted, admin_pprof,
// the result cache's bounds, zone and admin_auth.
func (s *Strata) applyFrontAndAdmin(old, cfg *config.Config) []string {
	var changes []string
	if !reflect.DeepEqual(old.ProxyProtocol, cfg.ProxyProtocol) {
		s.Front.SetProxyTrusted(cfg.ProxyProtocol.TrustedPrefixes())
		changes = append(changes, fmt.Sprintf("proxy_protocol.trusted: %v (new connections)", cfg.ProxyProtocol.Trusted))
	}
	if old.AdminPprof != cfg.AdminPprof {
		s.Admin.SetProfiling(cfg.AdminPprof)
		changes = append(changes, fmt.Sprintf("admin_pprof: %v", cfg.AdminPprof))
	}
	if old.ResultCache != cfg.ResultCache && s.Env.Cache != nil {
		s.Env.Cache.Resize(int(cfg.ResultCache.MaxSize), int(cfg.ResultCache.MaxEntrySize))
		changes = append(changes, fmt.Sprintf("result_cache: max_size %d, max_entry_size %d", cfg.ResultCache.MaxSize, cfg.ResultCache.MaxEntrySize))
	}
	s.Env.SetStateTables(stateTables(cfg)) // sequences may have changed
	s.Env.SetToolAccounts(toolAccounts(cfg))
	if old.Zone != cfg.Zone {
		s.Env.SetZone(cfg.Zone)
		changes = append(changes, fmt.Sprintf("zone: %q (reads prefer its replicas)", cfg.Zone))
	}
	if old.AdminAuth != cfg.AdminAuth {
		s.Admin.SetAuth(cfg.AdminAuth.User, cfg.AdminAuth.Password)
		changes = append(changes, "admin_auth: "+adminAuthSummary(cfg.AdminAuth))
	}
	return changes
}

// applyMonitorAndBackend applies the monitor settings and the backend
// account.
func (s *Strata) applyMonitorAndBackend(old, cfg *config.Config) []string {
	var changes []string
	// backend.sockets needs a restart: the monitor keeps its own (Configure).
	mc, oldMC := topology.MonitorConfigFrom(cfg), topology.MonitorConfigFrom(old)
	mc.Sockets, oldMC.Sockets = nil, nil
	if !reflect.DeepEqual(mc, oldMC) {
		s.Monitor.Configure(mc) // also when only the backend account changed
	}
	if mc.Interval != oldMC.Interval || mc.FailAfter != oldMC.FailAfter || mc.RecoverAfter != oldMC.RecoverAfter {
		changes = append(changes, fmt.Sprintf("monitor: interval %s, fail_after %d, recover_after %d",
			mc.Interval, mc.FailAfter, mc.RecoverAfter))
	}
	if old.Backend.User != cfg.Backend.User || old.Backend.Password != cfg.Backend.Password {
		s.applyBackendLogin(cfg.Backend.User, cfg.Backend.Password)
		changes = append(changes, "backend: account "+cfg.Backend.User+" for new server connections")
	}
	return changes
}

// applyBackendLogin makes every part that logs in to the servers as the
// backend account use user and password from now on: the query pools
// (whose connections of the old account close as they come back), KILL,
// the health checks (Reload configures the monitor) and the sharding and
// two-phase control planes. Rotate the account without a restart: create
// the new one on the servers, reload, then drop the old one once
// GET /api/pools shows its connections gone.
func (s *Strata) applyBackendLogin(user, password string) {
	s.Pools.SetLogin(user, password)
	s.Env.SetBackendLogin(backend.Login{User: user, Password: password})
	if sh := s.shards.Load(); sh != nil {
		sh.dbs.SetLogin(user, password)
	}
	if tp := s.twoPhase.Load(); tp != nil {
		tp.dbs.SetLogin(user, password)
	}
	s.deadlocks.setLogin(user, password)
}

// adminAuthSummary names the admin account without its password.
func adminAuthSummary(a config.AdminAuth) string {
	if a.User == "" {
		return "none (the admin port asks for no credentials)"
	}
	return "account " + a.User
}

// needsRestart lists the settings that differ between old and cfg and that
// Reload does not apply. resolverRan: the two-phase resolver ran before
// this reload, at its old interval (a resolver the reload starts runs at
// the new one).
func needsRestart(old, cfg *config.Config, haveCache, resolverRan bool) []string {
	var out []string
	differ := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			out = append(out, name)
		}
	}
	differ("listen", old.Listen, cfg.Listen)
	differ("admin_listen", old.AdminListen, cfg.AdminListen)
	differ("handover_socket", old.HandoverSocket, cfg.HandoverSocket)
	differ("listen_socket", old.ListenSocket, cfg.ListenSocket)
	differ("backend.sockets", old.Backend.Sockets, cfg.Backend.Sockets)
	differ("backend.tls", old.Backend.TLS, cfg.Backend.TLS)
	if resolverRan {
		differ("transactions.resolve_every", old.Transactions.ResolveEvery, cfg.Transactions.ResolveEvery)
	}
	if !haveCache && cfg.CacheEnabled() {
		differ("routing", old.Routing, cfg.Routing) // cache rules need the cache made at start
	}
	return out
}
