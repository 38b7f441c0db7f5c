package session

import (
	"fmt"
	"strings"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/querystats"
	"github.com/strata-proxy/strata/sqlparse"
)

// observeStatement records a statement that ran on rt: in the Prometheus
// metrics (by route and server) and in the per-digest statistics (GET
// /api/queries), where the operator sees each statement shape with the
// route Strata chose for it and what its answer held. metadata
// (COM_STMT_PREPARE) counts in the metrics but not as a run of the
// statement in the statistics.
func (s *Session) observeStatement(f *sqlparse.Facts, rt route, d time.Duration, res backend.Result, metadata bool) {
	failed := res.Err != nil
	s.env.Metrics.ObserveQuery(rt.label, rt.conn.Addr, d)
	if failed {
		s.env.Metrics.ObserveError("server")
	}
	if metadata {
		return
	}
	role := "replica"
	if rt.primary {
		role = "primary"
	}
	s.env.Stats.Record(s.statsKey(f, rt.label, role, rt.conn.Addr),
		querystats.Outcome{Duration: d, Failed: failed, Rows: uint64(res.Rows), Affected: res.AffectedRows})
	s.logSlow(f, rt.label, rt.conn.Addr, d)
}

// observeCached records a statement answered from the result cache.
func (s *Session) observeCached(f *sqlparse.Facts, d time.Duration) {
	s.env.Metrics.ObserveQuery("cache", "strata", d)
	s.env.Stats.Record(s.statsKey(f, "cache", "cache", "strata"), querystats.Outcome{Duration: d})
	s.logSlow(f, "cache", "strata", d)
}

// observeSharded records a statement Strata split over shards: the metric
// by how many shards it needed (a bounded label), the statistics by which.
func (s *Session) observeSharded(f *sqlparse.Facts, route string, plan *planner.ShardPlan, d time.Duration) {
	clusters := plan.Clusters()
	s.env.Metrics.ObserveQuery(route, fmt.Sprintf("%d shards", len(clusters)), d)
	servers := strings.Join(clusters, ",")
	s.env.Stats.Record(s.statsKey(f, route, "shards", servers), querystats.Outcome{Duration: d})
	s.logSlow(f, route, servers, d)
}

// observeTwoPhase records the COMMIT of a transaction across clusters,
// which Strata ran on each of them (route twopc_commit).
func (s *Session) observeTwoPhase(f *sqlparse.Facts, clusters []string, d time.Duration) {
	s.env.Metrics.ObserveQuery("twopc_commit", fmt.Sprintf("%d shards", len(clusters)), d)
	servers := strings.Join(clusters, ",")
	s.env.Stats.Record(s.statsKey(f, "twopc_commit", "shards", servers), querystats.Outcome{Duration: d})
	s.logSlow(f, "twopc_commit", servers, d)
}

// logSlow writes a statement that took longer than slow_log to the log:
// like MariaDB's slow query log, but with where Strata sent it. The text
// is the digest (literals as ?), so no values reach the log.
func (s *Session) logSlow(f *sqlparse.Facts, route, server string, d time.Duration) {
	if lim := s.env.Limits().SlowLog; lim <= 0 || d < lim || s.env.Log == nil {
		return
	}
	s.env.Log.Warn("slow statement", "ms", float64(d.Microseconds())/1000, "id", s.ID, "user", s.User, "schema", s.DB,
		"route", route, "server", server, "statement", f.Digest)
}

// statsKey is the statistics row of f as this session ran it.
func (s *Session) statsKey(f *sqlparse.Facts, route, role, server string) querystats.Key {
	return querystats.Key{Digest: f.Digest, Schema: s.DB, User: s.User, Route: route, Role: role, Server: server}
}
