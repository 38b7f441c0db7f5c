// Package metrics holds Strata's Prometheus collectors. The data plane calls
// the Observe methods; the admin server exposes the registry at /metrics.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/strata-proxy/strata/buildinfo"
	"github.com/strata-proxy/strata/resultcache"
	"github.com/strata-proxy/strata/wire"
)

// Metrics is one Strata instance's collectors, on its own registry (no
// global state, so tests can run several instances in one process).
type Metrics struct {
	Registry *prometheus.Registry

	queries       *prometheus.CounterVec
	errors        *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	clientConns   prometheus.Gauge
	userConns     *prometheus.GaugeVec
	clientTotal   prometheus.Counter
	retries       *prometheus.CounterVec
	backendDials  *prometheus.CounterVec
	serverUp      *prometheus.GaugeVec
	replicaLag    *prometheus.GaugeVec
	backendConns  *prometheus.GaugeVec
	rejectedConns *prometheus.CounterVec
	idleClosed    prometheus.Counter
	goneReads     prometheus.Counter
	passedOn      prometheus.Counter
	consistency   prometheus.Counter
	gtidWaits     *prometheus.CounterVec
	gtidWaitsPipe *prometheus.CounterVec
	rangeFill     *prometheus.GaugeVec
	schemaDiffers *prometheus.GaugeVec
	shardQueries  *prometheus.CounterVec
	runFirst      *prometheus.CounterVec
	runFirstRows  *prometheus.CounterVec
	loadRows      *prometheus.CounterVec
	periodTables  *prometheus.CounterVec
	zoneReads     prometheus.Counter
	movedRows     *prometheus.CounterVec
	rebalanced    *prometheus.CounterVec
	fencePause    *prometheus.HistogramVec
	twoPhase      *prometheus.CounterVec
	twoPhaseFixed *prometheus.CounterVec
	txShardFound  *prometheus.CounterVec
	txLockFound   *prometheus.CounterVec
	rowGuesses    *prometheus.CounterVec
	textPrepared  *prometheus.CounterVec
	deadlocks     prometheus.Counter
	deadlockCheck prometheus.Gauge
	primaryChg    *prometheus.CounterVec
	writesHeld    *prometheus.HistogramVec
	clientMax     prometheus.Gauge
	certExpiry    prometheus.Gauge
}

// New registers every collector on a fresh registry.
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.queries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "strata_queries_total", Help: "Statements executed, by route (primary, a pool name, local) and server.",
	}, []string{"route", "server"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "strata_query_errors_total", Help: "Statements that failed, by kind (server: the server answered an error; backend: a server could not be reached; proxy: Strata refused it).",
	}, []string{"kind"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "strata_query_duration_seconds", Help: "Statement latency through Strata, by route.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	m.clientConns = prometheus.NewGauge(prometheus.GaugeOpts{Name: "strata_client_connections", Help: "Open client connections."})
	m.userConns = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_user_connections", Help: "Open client connections, by user (accounts with none have no series)."}, []string{"user"})
	m.clientTotal = prometheus.NewCounter(prometheus.CounterOpts{Name: "strata_client_connections_total", Help: "Client connections accepted."})
	m.rejectedConns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_client_rejected_total", Help: "Client connections refused, by reason."}, []string{"reason"})
	m.goneReads = prometheus.NewCounter(prometheus.CounterOpts{Name: "strata_gone_client_reads_killed_total", Help: "Reads interrupted (KILL QUERY) because their client had closed its connection while they ran."})
	m.idleClosed = prometheus.NewCounter(prometheus.CounterOpts{Name: "strata_client_idle_closed_total", Help: "Client connections closed after limits.client_idle_timeout without a command."})
	m.passedOn = prometheus.NewCounter(prometheus.CounterOpts{Name: "strata_clients_passed_on_total", Help: "Client connections handed, with their sessions, to a new Strata process that took the listening sockets (handover_socket)."})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_read_retries_total", Help: "Reads retried on another server after a failure, by pool."}, []string{"pool"})
	m.backendDials = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_backend_dials_total", Help: "Backend connections opened, by server and result."}, []string{"server", "result"})
	m.serverUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_server_up", Help: "1 when a server is routable, by server, cluster, role and pool."}, []string{"server", "cluster", "role", "pool"})
	m.replicaLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_replica_lag_seconds", Help: "Replication lag seen by the monitor."}, []string{"server"})
	m.backendConns = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_backend_connections", Help: "Backend connections by server and state (idle, in_use)."}, []string{"server", "state"})
	m.consistency = prometheus.NewCounter(prometheus.CounterOpts{Name: "strata_read_your_writes_primary_total", Help: "Reads sent to the primary because no replica had applied the writes they must see (consistency: session or global) yet."})
	m.gtidWaits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_read_your_writes_waits_total", Help: "MASTER_GTID_WAIT queries Strata ran on a replica before a read (consistency: session or global), by outcome: applied (the replica served the read) or behind (it had not applied the writes within read_your_writes_wait; the read went to the primary)."}, []string{"outcome"})
	m.gtidWaitsPipe = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_read_your_writes_waits_with_read_total", Help: "Of strata_read_your_writes_waits_total, the waits Strata sent in the same write as the read they guard (text reads), which cost no round trip of their own; by outcome: applied, or behind (the replica answered the read too early: Strata dropped that answer and ran the read on the primary)."}, []string{"outcome"})
	m.schemaDiffers = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_shard_schema_differing_copies", Help: "Copies of a sharded or reference table (a shard's table, a period table, a reference table's copy) missing or defined otherwise than most of its copies, at the last check (at start and hourly; strata shards check-schema lists them)."}, []string{"table"})
	m.rangeFill = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_shard_range_fill_ratio", Help: "How much of the open-ended last range of a range-sharded table is used, against the size of the range before it."}, []string{"table", "shard"})
	m.shardQueries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_shard_queries_total", Help: "Queries Strata sent to shard clusters for statements it merged or split (one per route), by cluster and kind (read, write)."}, []string{"cluster", "kind"})
	m.runFirst = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_shard_run_first_total", Help: "Parts of statements over sharded tables that Strata ran before their statement and put in its text, by kind (values: IN, scalar and EXISTS subqueries; table: derived tables, CTEs, UNION branches and other subqueries; count: a derived table only counted; insert: the SELECT of an INSERT ... SELECT; join: the tables of a join of tables that live apart; recursive: a recursive CTE, all its rounds)."}, []string{"kind"})
	m.zoneReads = prometheus.NewCounter(prometheus.CounterOpts{Name: "strata_time_zone_reads_total", Help: "TIMESTAMP keys of date tables that Strata asked a server to read in a session's own time_zone (one round trip each; repeats are remembered, and a zone the servers' own by another name, such as +00:00 on servers in UTC, asks nothing)."})
	m.loadRows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_shard_load_rows_total", Help: "Rows of LOAD DATA LOCAL files Strata sent to each shard cluster (a reference table's rows count on every cluster)."}, []string{"cluster"})
	m.periodTables = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_period_tables_total", Help: "Period tables of date-sharded tables this Strata made ahead of their period (action created) or dropped once older than the table's keep: (action dropped), by table."}, []string{"table", "action"})
	m.movedRows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_shard_moved_rows_total", Help: "Rows an UPDATE of their shard key moved from one shard cluster to another, counted when copied (a statement that then fails rolls them back)."}, []string{"from", "to"})
	m.rebalanced = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_shard_rebalanced_rows_total", Help: "Rows an online rebalance (strata shards rebalance -online) moved to the shard the table's new layout places them on, by table."}, []string{"table"})
	m.fencePause = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "strata_shard_rebalance_pause_seconds", Help: "How long each batch of an online rebalance held the statements on its table (from closing the table's fence to opening it), by table.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"table"})
	m.runFirstRows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_shard_run_first_rows_total", Help: "Rows those parts returned, by kind (for count, the rows counted)."}, []string{"kind"})
	m.primaryChg = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_primary_changes_total", Help: "Switchovers, failovers and rejoins, by cluster, kind and result (done, refused)."}, []string{"cluster", "kind", "result"})
	m.writesHeld = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "strata_primary_change_writes_held_seconds", Help: "How long statements for the primary waited during a switchover or failover, by kind.",
		Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"kind"})
	m.twoPhase = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_twophase_transactions_total", Help: "Transactions that wrote several clusters (transactions.mode: twopc), by how they ended: committed, rolled_back (by the client or because a branch failed before the decision), in_doubt (the coordinator's commit was lost; the resolver settles the branches)."}, []string{"outcome"})
	m.txShardFound = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_transaction_writes_by_rows_total", Help: "Writes of a transaction that needed several shards (transactions.mode: single) and ran on each to find where their rows are, by outcome: first_one_shard (the transaction went on there), first_no_rows, first_several_shards (it could only COMMIT or ROLLBACK then), later_own_shard (a later write changed rows of the transaction's shard only), later_refused (it changed rows of another shard: undone, error 1235), widened_across (transactions.mode twopc: rows on other shards than the transaction's, so it was undone and ran again as a transaction across them)."}, []string{"outcome"})
	m.txLockFound = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_transaction_locking_reads_by_rows_total", Help: "Locking reads (SELECT ... FOR UPDATE, LOCK IN SHARE MODE) of a transaction that needed several shards (transactions.mode: single), ran on each and held their rows until all had answered, by outcome: first_one_shard (the transaction went on there), first_no_rows, first_several_shards (refused: error 1235, nothing locked), later_own_shard, later_refused (it found rows of another shard: undone, error 1235), widened_across (transactions.mode twopc: it ran again as a transaction across the shards)."}, []string{"outcome"})
	m.rowGuesses = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_row_location_guesses_total", Help: "Statements without the shard key that set a unique: column equal to a value whose row Strata had seen on a shard, and ran on that shard first, by outcome: hit (the row was there, and no other shard ran the statement), miss (it was not, or a read's rows were more than limits.max_merge_memory holds: undone there, the statement ran as without the guess)."}, []string{"outcome"})
	m.twoPhaseFixed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_twophase_resolved_total", Help: "Prepared branches the resolver settled after a crash, a lost connection or a failover, by decision (commit, abort)."}, []string{"decision"})
	m.clientMax = prometheus.NewGauge(prometheus.GaugeOpts{Name: "strata_client_connections_max", Help: "limits.max_client_connections in force (0: no bound): alert on strata_client_connections / this before clients get error 1040."})
	m.certExpiry = prometheus.NewGauge(prometheus.GaugeOpts{Name: "strata_tls_certificate_expiry_timestamp_seconds", Help: "When the certificate Strata shows TLS clients expires (Unix time); a reload that reads a renewed one moves it."})
	m.deadlocks = prometheus.NewCounter(prometheus.CounterOpts{Name: "strata_deadlocks_broken_total", Help: "Deadlocks across servers Strata ended: transactions (or autocommit writes over several shards) waiting for each other's locks on different servers, which no server can see; each time one was rolled back and its client got error 1213."})
	m.deadlockCheck = prometheus.NewGauge(prometheus.GaugeOpts{Name: "strata_deadlock_check_failing", Help: "1 while the detector of deadlocks across servers cannot read the servers' lock waits (backend.user needs PROCESS): such deadlocks then wait out innodb_lock_wait_timeout. GET /api/deadlocks says why."})
	m.textPrepared = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_text_prepared_total", Help: "Text SELECTs of a client run as their statement shape's server-side prepared statement (backend.prepare_text_reads), by outcome: executed; refused (the server would not prepare the shape) and untextable (its result has a FLOAT, DOUBLE or very long column, whose binary values Strata does not turn into text), after which the shape's texts go to the server as they are."}, []string{"outcome"})
	m.Registry.MustRegister(m.textPrepared, m.clientMax, m.certExpiry, m.twoPhase, m.twoPhaseFixed, m.txShardFound, m.txLockFound, m.rowGuesses, m.deadlocks, m.deadlockCheck, m.primaryChg, m.writesHeld, m.shardQueries, m.runFirst, m.runFirstRows, m.loadRows, m.periodTables, m.zoneReads, m.movedRows, m.rebalanced, m.fencePause, m.rangeFill, m.schemaDiffers, m.consistency, m.gtidWaits, m.gtidWaitsPipe, m.queries, m.errors, m.latency, m.clientConns, m.userConns, m.clientTotal, m.rejectedConns, m.idleClosed, m.goneReads, m.passedOn, m.retries,
		m.backendDials, m.serverUp, m.replicaLag, m.backendConns,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_build_info", Help: "1, labelled with the source revision and Go version this Strata was built from (strata version): which build each instance of a fleet runs."}, []string{"revision", "go_version"})
	build.WithLabelValues(buildinfo.Revision(), buildinfo.GoVersion()).Set(1)
	m.Registry.MustRegister(build)
	return m
}

// WatchMergeMemory publishes what all statements' merges over shards
// hold in Strata's memory now (sorts, DISTINCT sets), as used reports it,
// and limits.max_merge_memory_total in force, as limit reports it: their
// ratio says how close reports are to being refused with error 1038.
func (m *Metrics) WatchMergeMemory(used, limit func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "strata_merge_memory_bytes",
		Help: "Bytes the merges of statements over shards hold in Strata's memory now (in-memory sorts, DISTINCT sets, rows read ahead), bounded by limits.max_merge_memory_total.",
	}, used), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "strata_merge_memory_max_bytes",
		Help: "limits.max_merge_memory_total in force (it follows a reload): alert on strata_merge_memory_bytes / this before reports get error 1038.",
	}, limit))
}

// WatchResultCache publishes the result cache's counters (cache: routing
// rules) from stats, read at each scrape.
func (m *Metrics) WatchResultCache(stats func() resultcache.Stats) {
	counter := func(name, help string, labels prometheus.Labels, pick func(resultcache.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(pick(stats())) })
	}
	gauge := func(name, help string, pick func(resultcache.Stats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(pick(stats())) })
	}
	const lookups = "Reads a cache: rule matched, by whether the result cache answered them (hit, also after waiting for another reader's fill) or a server did (miss)."
	m.Registry.MustRegister(
		counter("strata_result_cache_lookups_total", lookups, prometheus.Labels{"result": "hit"}, func(s resultcache.Stats) uint64 { return s.Hits }),
		counter("strata_result_cache_lookups_total", lookups, prometheus.Labels{"result": "miss"}, func(s resultcache.Stats) uint64 { return s.Misses }),
		counter("strata_result_cache_fills_total", "Answers stored in the result cache.", nil, func(s resultcache.Stats) uint64 { return s.Fills }),
		counter("strata_result_cache_waits_total", "Reads that waited for another reader filling the same entry instead of asking a server.", nil, func(s resultcache.Stats) uint64 { return s.Waits }),
		counter("strata_result_cache_invalidations_total", "Entries dropped because Strata routed a write that may change them (or DELETE /api/cache).", nil, func(s resultcache.Stats) uint64 { return s.Invalidations }),
		gauge("strata_result_cache_entries", "Answers held in the result cache now.", func(s resultcache.Stats) int { return s.Entries }),
		gauge("strata_result_cache_bytes", "Bytes of answers held in the result cache now, bounded by result_cache.max_size.", func(s resultcache.Stats) int { return s.Bytes }),
	)
}

// WatchRowLocations publishes how many rows' shards Strata remembers
// now, as held reports it (limits.row_locations bounds them).
func (m *Metrics) WatchRowLocations(held func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "strata_row_locations",
		Help: "Rows of unique: columns whose shard Strata remembers now, so a statement by such a value runs there first; limits.row_locations bounds them.",
	}, held))
}

// SetClientMax records limits.max_client_connections.
func (m *Metrics) SetClientMax(n int) { m.clientMax.Set(float64(n)) }

// SetCertExpiry records when the client certificate expires.
func (m *Metrics) SetCertExpiry(t time.Time) { m.certExpiry.Set(float64(t.Unix())) }

// ObserveQuery records one statement.
func (m *Metrics) ObserveQuery(route, server string, d time.Duration) {
	m.queries.WithLabelValues(route, server).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveError records a failed statement.
func (m *Metrics) ObserveError(kind string) { m.errors.WithLabelValues(kind).Inc() }

// ClientConnected and ClientClosed track client connections.
func (m *Metrics) ClientConnected() { m.clientConns.Inc(); m.clientTotal.Inc() }

// ClientClosed records a client leaving.
func (m *Metrics) ClientClosed() { m.clientConns.Dec() }

// SetUserConnections records a user's open client connections. Only
// logged-in users of the config get here, so the series stay as many as
// the accounts; a user's series goes when its last connection does.
func (m *Metrics) SetUserConnections(user string, n int) {
	if n <= 0 {
		m.userConns.DeleteLabelValues(user)
		return
	}
	m.userConns.WithLabelValues(user).Set(float64(n))
}

// ClientRejected records a connection refused before it got a session.
func (m *Metrics) ClientRejected(reason string) { m.rejectedConns.WithLabelValues(reason).Inc() }

// ClientIdleClosed records a client closed for sending nothing for
// limits.client_idle_timeout.
func (m *Metrics) ClientIdleClosed() { m.idleClosed.Inc() }

// GoneClientReadKilled records a read interrupted because its client had
// closed its connection.
func (m *Metrics) GoneClientReadKilled() { m.goneReads.Inc() }

// ClientPassedOn records a client handed to a new Strata process.
func (m *Metrics) ClientPassedOn() { m.passedOn.Inc() }

// ReadRetried records a read moved to another server.
func (m *Metrics) ReadRetried(pool string) { m.retries.WithLabelValues(pool).Inc() }

// ServerState sets the health gauge of a server.
func (m *Metrics) ServerState(server, cluster, role, pool string, up bool, lag time.Duration) {
	v := 0.0
	if up {
		v = 1
	}
	m.serverUp.WithLabelValues(server, cluster, role, pool).Set(v)
	m.replicaLag.WithLabelValues(server).Set(lag.Seconds())
}

// ResetServerStates drops old health series (after a server moved pool).
func (m *Metrics) ResetServerStates() { m.serverUp.Reset() }

// BackendConns sets the connection gauges of a server.
func (m *Metrics) BackendConns(server string, idle, inUse int) {
	m.backendConns.WithLabelValues(server, "idle").Set(float64(idle))
	m.backendConns.WithLabelValues(server, "in_use").Set(float64(inUse))
}

// ConsistencyFallback records a read moved to the primary for read-your-writes.
func (m *Metrics) ConsistencyFallback() { m.consistency.Inc() }

// GTIDWaited records a replica's wait for the writes a read must see:
// applied, or behind when the wait ran out; withRead: sent with the read.
func (m *Metrics) GTIDWaited(applied, withRead bool) {
	outcome := "behind"
	if applied {
		outcome = "applied"
	}
	m.gtidWaits.WithLabelValues(outcome).Inc()
	if withRead {
		m.gtidWaitsPipe.WithLabelValues(outcome).Inc()
	}
}

// SetRangeFill reports the fill ratio of a range-sharded table's last range.
func (m *Metrics) SetRangeFill(table, shard string, ratio float64) {
	m.rangeFill.WithLabelValues(table, shard).Set(ratio)
}

// SetSchemaDiffering reports, per table, how many of its copies are
// defined otherwise than most of them; tables no longer placed go.
func (m *Metrics) SetSchemaDiffering(copies map[string]int) {
	m.schemaDiffers.Reset()
	for table, n := range copies {
		m.schemaDiffers.WithLabelValues(table).Set(float64(n))
	}
}

// ShardQuery counts one query sent to a shard cluster for a merged or
// split statement.
func (m *Metrics) ShardQuery(cluster, kind string) {
	m.shardQueries.WithLabelValues(cluster, kind).Inc()
}

// ZoneRead counts a TIMESTAMP key a server was asked to read in a
// session's time_zone.
func (m *Metrics) ZoneRead() { m.zoneReads.Inc() }

// LoadRows counts rows of a LOAD DATA file sent to a shard cluster.
func (m *Metrics) LoadRows(cluster string, rows int) {
	m.loadRows.WithLabelValues(cluster).Add(float64(rows))
}

// PeriodTable counts a period table of date table this Strata created or
// dropped (action "created", "dropped").
func (m *Metrics) PeriodTable(table, action string) {
	m.periodTables.WithLabelValues(table, action).Inc()
}

// MovedRows counts rows an UPDATE of their shard key moved between shard
// clusters.
func (m *Metrics) MovedRows(from, to string, rows int) {
	m.movedRows.WithLabelValues(from, to).Add(float64(rows))
}

// RebalancedRows counts rows an online rebalance of table moved.
func (m *Metrics) RebalancedRows(table string, rows int64) {
	m.rebalanced.WithLabelValues(table).Add(float64(rows))
}

// RebalancePause observes how long a batch of an online rebalance of
// table held the table's statements.
func (m *Metrics) RebalancePause(table string, d time.Duration) {
	m.fencePause.WithLabelValues(table).Observe(d.Seconds())
}

// RunFirst counts one part of a statement Strata ran before it (kind:
// values, table, count, insert, join, recursive) and the rows it
// returned.
func (m *Metrics) RunFirst(kind string, rows int64) {
	m.runFirst.WithLabelValues(kind).Inc()
	m.runFirstRows.WithLabelValues(kind).Add(float64(rows))
}

// TwoPhase counts a transaction across clusters by how it ended.
func (m *Metrics) TwoPhase(outcome string) { m.twoPhase.WithLabelValues(outcome).Inc() }

// TxWriteByRows counts a write of a transaction that ran on several
// shards to find where its rows are, by outcome.
func (m *Metrics) TxWriteByRows(outcome string) { m.txShardFound.WithLabelValues(outcome).Inc() }

// TxLockingReadByRows counts a locking read of a transaction that ran on
// several shards to find where its rows are, by outcome.
func (m *Metrics) TxLockingReadByRows(outcome string) { m.txLockFound.WithLabelValues(outcome).Inc() }

// RowGuess counts a statement run first on the shard its row was last
// seen on, by outcome (hit, miss).
func (m *Metrics) RowGuess(outcome string) { m.rowGuesses.WithLabelValues(outcome).Inc() }

// TextPrepared counts a text SELECT Strata ran as a prepared statement
// (executed), or the failure that ends that for its statement shape
// (refused: the server would not prepare it; untextable: its result has a
// column whose binary values have no exact text here).
func (m *Metrics) TextPrepared(outcome string) { m.textPrepared.WithLabelValues(outcome).Inc() }

// DeadlockBroken counts a deadlock across servers Strata ended.
func (m *Metrics) DeadlockBroken() { m.deadlocks.Inc() }

// DeadlockCheck records whether the detector's last look at the servers'
// lock waits failed.
func (m *Metrics) DeadlockCheck(failed bool) {
	if failed {
		m.deadlockCheck.Set(1)
	} else {
		m.deadlockCheck.Set(0)
	}
}

// TwoPhaseResolved counts a branch the resolver committed or rolled back.
func (m *Metrics) TwoPhaseResolved(decision string) {
	m.twoPhaseFixed.WithLabelValues(decision).Inc()
}

// PrimaryChange records a switchover, failover or rejoin (kind), done or
// refused, and how long it held the primary's statements.
func (m *Metrics) PrimaryChange(cluster, kind string, done bool, held time.Duration) {
	result := "refused"
	if done {
		result = "done"
		if held > 0 {
			m.writesHeld.WithLabelValues(kind).Observe(held.Seconds())
		}
	}
	m.primaryChg.WithLabelValues(cluster, kind, result).Inc()
}

// WatchParses exports how statements whose text Strata had not seen got
// their facts, as strata_statement_parses_total{result}: shape (an
// earlier statement of the same shape, with other values, gave them) and
// parser (the SQL parser read the text). Every other statement was a
// cache hit. A parser count that keeps pace with strata_queries_total
// says the statements' shapes keep changing (generated SQL, or values
// the shape keeps, such as decimals).
func (m *Metrics) WatchParses(stats func() (shaped, parsed uint64)) {
	const name, help = "strata_statement_parses_total", "Statements whose text Strata had not seen before, by how they got their facts: shape (from an earlier statement of the same shape, with other values) or parser (the SQL parser read the text). The other statements were cache hits."
	for result, pick := range map[string]func(shaped, parsed uint64) uint64{
		"shape":  func(shaped, _ uint64) uint64 { return shaped },
		"parser": func(_, parsed uint64) uint64 { return parsed },
	} {
		m.Registry.MustRegister(prometheus.NewCounterFunc(
			prometheus.CounterOpts{Name: name, Help: help, ConstLabels: prometheus.Labels{"result": result}},
			func() float64 { return float64(pick(stats())) }))
	}
}

// WatchBusyPoll exports how connections' waits for their peers ended
// (config key busy_poll) as strata_busy_poll_waits_total{wait, outcome}.
// wait is what was awaited: answer (a server's answer to a statement),
// next (a client's next statement right after its answer), read (any other
// read). outcome: data (the bytes came while polling: no sleep, no
// wake-up), timeout (the poll ran out and the goroutine slept) and skipped
// (recent polls of that socket or statement shape had run out, so it slept
// at once). A high timeout share for one wait says whose side is too slow
// for busy_poll to pay.
func (m *Metrics) WatchBusyPoll(stats func(wire.WaitKind) wire.BusyPollStats) {
	const name, help = "strata_busy_poll_waits_total", "Waits of client and server connections for their peer (busy_poll), by what was awaited (answer: a server's answer; next: a client's next statement; read: any other read) and how they ended: data (seen while polling), timeout (the poll ran out, then slept), skipped (slept at once after polls kept running out)."
	outcomes := map[string]func(wire.BusyPollStats) uint64{
		"data":    func(s wire.BusyPollStats) uint64 { return s.Data },
		"timeout": func(s wire.BusyPollStats) uint64 { return s.Timeout },
		"skipped": func(s wire.BusyPollStats) uint64 { return s.Skipped },
	}
	for _, kind := range wire.WaitKinds {
		for outcome, pick := range outcomes {
			m.Registry.MustRegister(prometheus.NewCounterFunc(
				prometheus.CounterOpts{Name: name, Help: help, ConstLabels: prometheus.Labels{"wait": kind.String(), "outcome": outcome}},
				func() float64 { return float64(pick(stats(kind))) }))
		}
	}
}

// RuleHits is one routing rule as strata_routing_rule_hits_total shows it:
// its name (routing.N), what it does (pool, refuse, rewrite) and the
// statements it decided since the rules were loaded.
type RuleHits struct {
	Rule, Action string
	Hits         uint64
}

// WatchRules exports the routing rules' hits, read at each scrape, as
// strata_routing_rule_hits_total{rule, action}: what GET /api/rules shows,
// for alerts and graphs (a refuse rule that starts to hit, a rewrite rule
// that stopped matching after a deploy). A reload that changes the rules
// starts the counts over, which Prometheus reads as a counter reset.
func (m *Metrics) WatchRules(rules func() []RuleHits) {
	m.Registry.MustRegister(ruleCollector(rules))
}

var ruleHitsDesc = prometheus.NewDesc("strata_routing_rule_hits_total",
	"Statements each routing rule decided since the rules were loaded (a reload that changes them starts over), by rule (routing.N) and action (pool: routed reads; refuse: refused statements; rewrite: rewritten statements).",
	[]string{"rule", "action"}, nil)

// ruleCollector reads the rules at each scrape: they change with reloads,
// so they cannot be registered one by one.
type ruleCollector func() []RuleHits

func (c ruleCollector) Describe(ch chan<- *prometheus.Desc) { ch <- ruleHitsDesc }

func (c ruleCollector) Collect(ch chan<- prometheus.Metric) {
	for _, r := range c() {
		ch <- prometheus.MustNewConstMetric(ruleHitsDesc, prometheus.CounterValue, float64(r.Hits), r.Rule, r.Action)
	}
}
