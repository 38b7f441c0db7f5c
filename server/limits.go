package server

import (
	"fmt"
	"reflect"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/frontend"
	"github.com/strata-proxy/strata/session"
)

// The limits: and slow_log settings, split by the part of Strata that
// enforces them. Each part reads its own at run time, so a reload moves
// them without a restart.

func poolLimits(cfg *config.Config) backend.PoolLimits {
	return backend.PoolLimits{
		MaxConns: cfg.Limits.MaxConnsPerServer, MaxIdle: cfg.Limits.MaxIdlePerServer,
		ConnectTimeout: cfg.Limits.ConnectTimeout.D(), Wait: cfg.Limits.PoolWait.D(),
	}
}

func sessionLimits(cfg *config.Config) session.Limits {
	return session.Limits{
		ConnectTimeout: cfg.Limits.ConnectTimeout.D(), PoolWait: cfg.Limits.PoolWait.D(),
		MaxPreparedStmts: cfg.Limits.MaxPreparedStatements, MaxPulledRows: cfg.Limits.MaxPulledRows,
		MaxMergeMemory: int64(cfg.Limits.MaxMergeMemory), SlowLog: cfg.SlowLog.D(),
		PrepareTextReads: cfg.Backend.PrepareTextReads, MaxLongData: int(cfg.Limits.MaxAllowedPacket),
	}
}

func clientLimits(cfg *config.Config) frontend.Limits {
	return frontend.Limits{
		MaxConnections: cfg.Limits.MaxClientConnections,
		MaxPacket:      int(cfg.Limits.MaxAllowedPacket),
		IdleTimeout:    cfg.Limits.ClientIdleTimeout.D(),
	}
}

// applyLimits hands the limits: and slow_log of cfg to the parts that
// enforce them, and names each setting that changed from old. The
// monitor's connect timeout moves with the monitor config (Reload);
// shutdown_timeout is read from the current config when a shutdown
// starts.
func (s *Strata) applyLimits(old, cfg *config.Config) []string {
	var changes []string
	note := func(name string, was, now any) {
		if !reflect.DeepEqual(was, now) {
			changes = append(changes, fmt.Sprintf("%s: %v -> %v", name, was, now))
		}
	}
	o, n := old.Limits, cfg.Limits
	note("limits.max_client_connections", o.MaxClientConnections, n.MaxClientConnections)
	note("limits.max_conns_per_server", o.MaxConnsPerServer, n.MaxConnsPerServer)
	note("limits.max_idle_per_server", o.MaxIdlePerServer, n.MaxIdlePerServer)
	note("limits.connect_timeout", o.ConnectTimeout.D(), n.ConnectTimeout.D())
	note("limits.pool_wait", o.PoolWait.D(), n.PoolWait.D())
	note("limits.client_idle_timeout", o.ClientIdleTimeout.D(), n.ClientIdleTimeout.D())
	note("limits.shutdown_timeout", o.ShutdownTimeout.D(), n.ShutdownTimeout.D())
	note("limits.max_allowed_packet", int64(o.MaxAllowedPacket), int64(n.MaxAllowedPacket))
	note("limits.max_query_digests", o.MaxQueryDigests, n.MaxQueryDigests)
	note("limits.max_prepared_statements", o.MaxPreparedStatements, n.MaxPreparedStatements)
	note("limits.max_pulled_rows", o.MaxPulledRows, n.MaxPulledRows)
	note("limits.max_merge_memory", int64(o.MaxMergeMemory), int64(n.MaxMergeMemory))
	note("limits.max_merge_memory_total", int64(o.MaxMergeMemoryTotal), int64(n.MaxMergeMemoryTotal))
	note("limits.row_locations", o.RowLocations, n.RowLocations)
	note("slow_log", old.SlowLog.D(), cfg.SlowLog.D())
	note("backend.prepare_text_reads", old.Backend.PrepareTextReads, cfg.Backend.PrepareTextReads)
	if len(changes) == 0 {
		return nil
	}
	s.Pools.SetLimits(poolLimits(cfg))
	s.Env.SetLimits(sessionLimits(cfg))
	s.Env.MergeMemory.SetLimit(int64(cfg.Limits.MaxMergeMemoryTotal))
	s.Env.Stats.SetLimit(cfg.Limits.MaxQueryDigests)
	s.Front.SetLimits(clientLimits(cfg))
	s.Metrics.SetClientMax(cfg.Limits.MaxClientConnections)
	s.Env.Sharding.Locations().SetMax(max(cfg.Limits.RowLocations, 0))
	return changes
}
