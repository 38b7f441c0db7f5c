package session

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/resultcache"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// maxReadAttempts bounds how many replicas one read tries after failures.
const maxReadAttempts = 4

// WriteError sends err to the client as an ERR packet. Errors that are not
// MySQL errors become ER_UNKNOWN_ERROR with their text.
func (s *Session) WriteError(err error) error {
	s.forgetPrevious() // Strata answers
	var werr *wire.Error
	if !errors.As(err, &werr) {
		werr = wire.NewError(wire.ErUnknownError, "Strata: %v", err)
	}
	s.noteOwnError(werr)
	if backend.IsDeadlockError(werr) {
		s.toldDeadlock = true
	}
	if s.client.Chain != nil {
		s.client.Chain.Failed = true
	}
	return s.client.WriteFlush(wire.AppendErr(nil, werr))
}

// WriteOK sends an OK packet with the session's status.
func (s *Session) WriteOK() error {
	return s.client.WriteFlush(wire.AppendOK(nil, wire.HeaderOK, 0, 0, s.Status(), 0))
}

// Status is the server status flags the client should see.
func (s *Session) Status() uint16 {
	var st uint16
	if s.autocommit {
		st |= wire.StatusAutocommit
	}
	if s.inTx {
		st |= wire.StatusInTrans
	}
	if s.client != nil {
		st = s.client.Chain.Status(st)
	}
	return st
}

// answerSeq is the sequence id the answer to the current command starts
// at: 1, or, in a multi-statement query Strata runs a statement at a
// time, where the answers before it left off.
func (s *Session) answerSeq() byte {
	if c := s.client.Chain; c != nil {
		return c.Seq
	}
	return 1
}

// Query runs a COM_QUERY; packet is the whole command payload, forwarded
// unchanged to the chosen server.
func (s *Session) Query(ctx context.Context, packet []byte) error {
	parsed := s.parseBytes(packet[1:])
	explained, explain := explainStrata(parsed.SQL)
	if !explain {
		// EXPLAIN STRATA shows the rewrite (explainPlan), and is not one.
		var err *wire.Error
		if parsed, packet, err = s.rewriteQuery(parsed, packet); err != nil {
			return s.refuse(err)
		}
	}
	// The wait for the client's next statement, after this one's answer,
	// follows what this shape's answers taught (a client takes longer
	// over a big result). Set now, it is the next wait for the client,
	// unless the statement itself reads from the client (LOAD DATA).
	s.client.AwaitNextAfter(parsed.Reply)
	s.startStatement(parsed.Summary)
	f := parsed.Summary
	single := len(parsed.Statements) == 1
	refused := s.refusedAtOnce(parsed.Statements)
	explainFor, explainForOK := s.explainForRef(f, parsed.SQL)
	switch {
	case len(parsed.Statements) > 1 && !s.MultiStatements():
		// Only several: a query of comments alone (or of nothing) is
		// the server's to answer (OK, or 1065 Query was empty).
		return s.refuse(wire.NewError(wire.ErParse, "You have an error in your SQL syntax: this connection did not enable multi-statements (CLIENT_MULTI_STATEMENTS), so send one statement per query"))
	case refused != nil:
		return s.refuse(refused)
	case !single && !explain && (s.placed(f) || s.pinnedAway(f) || s.namesConnections(parsed.Statements) || preparesSQL(parsed.Statements)):
		// Each statement on its own: KILL 5 and SHOW EXPLAIN FOR 5
		// name Strata's session 5, not a server's thread 5; PREPARE s
		// FROM @sql reads what the statements before it set, and what
		// each SQL-level prepared statement leaves is learned.
		return s.queryEach(ctx, parsed)
	case f.Kind == sqlparse.KindKill && single:
		return s.kill(parsed.SQL)
	case single && explainForOK:
		return s.explainFor(ctx, parsed.SQL, explainFor, false)
	case explain:
		return s.explainStrata(ctx, explained)
	case s.loadsLocalWithout(parsed.Statements):
		return s.refuse(errLocalInfileDisabled())
	}
	if ok, err := s.answerOwnDiagnostics(ctx, f, parsed.SQL); ok {
		return err
	}
	if s.ownDiagState == 1 && s.ownDiag.conditions > 0 && s.readingMode().IsGetDiagnostics(parsed.SQL) {
		// No server holds these conditions: it would copy its own.
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: GET DIAGNOSTICS after a statement whose conditions came from several shards or from Strata is not supported (no server holds them). Read them with SHOW WARNINGS right after that statement"))
	}
	stmts := statements(parsed)
	if handled, err := s.answerInCrossTransaction(ctx, stmts); handled {
		return err
	}
	// A part lost by this statement ends all of a transaction across
	// clusters, also one this statement made so (its first branch).
	defer s.checkBranches()
	if rule, msg := s.refusal(stmts, false); rule >= 0 {
		return s.refuseByRule(f, rule, msg)
	}
	sql, answered, err := s.answerOrRewrite(ctx, parsed.SQL, f, single)
	if answered {
		return err
	}
	if sql != parsed.SQL {
		packet = append([]byte{wire.ComQuery}, sql...)
	}
	if s.placed(f) || s.pinnedAway(f) {
		return s.queryPlaced(ctx, sql, parsed)
	}
	return s.relayQuery(ctx, sql, packet, parsed, stmts)
}

// answerInCrossTransaction answers stmts when an open transaction over
// several clusters or shards decides what they may do; handled is false
// when they run as usual.
func (s *Session) answerInCrossTransaction(ctx context.Context, stmts []*sqlparse.Facts) (handled bool, err error) {
	if len(s.branches) > 0 {
		// A transaction across clusters: COMMIT and ROLLBACK are Strata's
		// to run.
		if handled, err := s.endsTransaction(ctx, stmts); handled {
			return true, err
		}
	}
	if s.spread != nil {
		// The transaction's first statement wrote several shards: it may
		// only end (narrow.go).
		return true, s.endsSpread(stmts)
	}
	return false, nil
}

// rewriteQuery applies the first routing rule that rewrites the statement,
// returning its new parse and COM_QUERY packet (both unchanged when no rule
// applies).
func (s *Session) rewriteQuery(parsed *planner.Parsed, packet []byte) (*planner.Parsed, []byte, *wire.Error) {
	rule, text, re, err := s.rewritten(parsed, parsed.SQL, false)
	if err != nil || rule < 0 {
		return parsed, packet, err
	}
	return re, append([]byte{wire.ComQuery}, text...), nil
}

// answerOrRewrite answers the statements Strata answers itself (the
// session functions it keeps, its own process list, triggers and table
// listings over clusters, SQL PREPARE and maintenance over shards), or
// returns the text to run instead of sql: the session's connection id and
// row counts written in as values, Strata's sessions in place of
// information_schema.PROCESSLIST. Only a query of one statement is
// answered here; a multi-statement one gets the connection id alone.
func (s *Session) answerOrRewrite(ctx context.Context, sql string, f *sqlparse.Facts, single bool) (text string, answered bool, err error) {
	if single {
		if sql, answered, err = s.answerSessionFunctionOrShow(ctx, sql, f); answered {
			return sql, true, err
		}
	}
	if ownConnectionID(f) {
		if text, ok := s.replaceConnectionID(sql); ok {
			sql = text
		}
	}
	if s.readsProcessList(f) {
		if text, ok := s.processListAsRows(sql); ok {
			sql = text
		}
	}
	if !single {
		return sql, false, nil
	}
	answered, err = s.answerSchemaStatement(ctx, sql, f)
	return sql, answered, err
}

// answerSessionFunctionOrShow answers CONNECTION_ID(), ROW_COUNT() and
// FOUND_ROWS() where Strata holds their values, and the SHOW statements
// whose answer spans Strata's sessions or clusters. text is sql with the
// values written in when the statement goes on to a server.
func (s *Session) answerSessionFunctionOrShow(ctx context.Context, sql string, f *sqlparse.Facts) (text string, answered bool, err error) {
	if f.SessionFunctions {
		if ok, err := s.answerConnectionID(ctx, sql, f); ok {
			return sql, true, err
		}
		if sql, answered, err = s.sessionRowCount(ctx, sql, f); answered {
			return sql, true, err
		}
	}
	if f.Kind != sqlparse.KindShow {
		return sql, false, nil
	}
	if ok, err := s.answerProcessList(ctx, f); ok {
		return sql, true, err
	}
	if ok, err := s.answerShowCreateTrigger(ctx, sql, f); ok {
		return sql, true, err
	}
	if ok, err := s.answerShowTriggers(ctx, f); ok {
		return sql, true, err
	}
	answered, err = s.answerShowTables(ctx, sql, f)
	return sql, answered, err
}

// answerSchemaStatement runs the statements about the schema whose answer
// Strata assembles over clusters: DROP TRIGGER, PREPARE of a statement
// over shards, ANALYZE/CHECK/OPTIMIZE over shards, and listings of tables.
func (s *Session) answerSchemaStatement(ctx context.Context, sql string, f *sqlparse.Facts) (answered bool, err error) {
	switch f.Kind {
	case sqlparse.KindDDL:
		answered, err = s.answerDropTrigger(ctx, sql, f)
	case sqlparse.KindPrepare:
		answered, err = s.answerSQLPrepare(ctx, sql, f)
	case sqlparse.KindAnalyze:
		answered, err = s.answerMaintenance(ctx, sql)
	}
	if answered || !f.ListsSchema && !s.foldsTableFigures(f, nil) {
		return answered, err
	}
	return s.answerTableListing(ctx, sql, f)
}

// relayQuery runs a COM_QUERY on the server chosen for it and relays the
// answer to the client as the server sends it. sql is packet's text.
func (s *Session) relayQuery(ctx context.Context, sql string, packet []byte, parsed *planner.Parsed, stmts []*sqlparse.Facts) error {
	f := parsed.Summary
	keeps := s.keepsDiagnostics(f, len(parsed.Statements))
	form := s.textPrepared(parsed, sql)
	computed, computes := s.readPreparedText(parsed)
	var res backend.Result
	cmd := command{facts: f, stmts: stmts, cacheQuery: sql, cluster: s.metadataCluster(f, nil), waitWithRead: !computes}
	err := s.run(ctx, cmd, func(c *backend.Conn, capture *backend.Capture) (backend.Result, error) {
		if computes {
			var refused *wire.Error
			if packet, refused = s.checkComputedText(ctx, c, computed, sql, packet); refused != nil {
				return s.answerRefusedOn(refused)
			}
		}
		if form != nil {
			var done bool
			var err error
			if res, done, err = s.execTextPrepared(c, capture, form, sql, parsed.Reply); done {
				return res, err
			}
		}
		if err := c.RequestFor(packet, parsed.Reply); err != nil {
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		var err error
		res, err = c.RelayCapture(s.client, s.caps&wire.ClientLocalFiles != 0, capture)
		return res, err
	})
	if keeps && err == nil && res.Err == nil && res.Warnings == 0 {
		s.ownDiagState = 2 // kept, as a server keeps them (keepsDiagnostics)
	}
	return err
}

// refuse answers a statement Strata will not run.
func (s *Session) refuse(e *wire.Error) error {
	s.env.Metrics.ObserveError("proxy")
	return s.WriteError(e)
}

// command is one client command to run on a backend.
type command struct {
	facts *sqlparse.Facts
	stmts []*sqlparse.Facts // per statement of a multi-statement query
	// The response may be kept in the result cache under a key made from
	// cacheQuery (a COM_QUERY's text) or cacheStmt and cachePacket (a
	// COM_STMT_EXECUTE); with neither it is never cached. See cacheKey.
	cacheQuery  string
	cacheStmt   *prepared
	cachePacket []byte
	// cluster runs the command on this cluster instead of the default one
	// (a table group or a shard).
	cluster string
	// metadata: the command only asks about a statement (COM_STMT_PREPARE)
	// and does not count as a statement of the open transaction.
	metadata bool
	// waitWithRead: do sends the statement with backend.Conn.RequestFor
	// (or prepares it, Conn.Stmt) and reads no data before it, so a
	// replica's wait for a write the read must see can go out in the
	// same write (consistentRead).
	waitWithRead bool
}

// cacheKey identifies the response for the result cache; "" never caches.
// It is built only when a cache rule applies to the statement: most
// statements have none and should not pay for a key on every query.
func (cmd *command) cacheKey() string {
	switch {
	case cmd.cacheStmt != nil:
		return cmd.cacheStmt.cacheKey(cmd.cachePacket)
	case cmd.cacheQuery != "":
		return "Q" + cmd.cacheQuery
	}
	return ""
}

// doFunc sends a command on c and relays the answer to the client,
// copying it into capture when that is not nil.
type doFunc func(c *backend.Conn, capture *backend.Capture) (backend.Result, error)

// run executes cmd, sent and relayed by do, on the backend chosen for it —
// or answers it from the result cache — retrying reads on another replica
// when a server fails before anything reached the client.
//
// do is an argument of its own, not a field of command: the compiler sees
// command's fields leave run (to the planner, the cache, error messages)
// and would then put every closure stored there on the heap, one
// allocation per statement; as an argument that run only calls, the
// caller's closure stays on its stack.
func (s *Session) run(ctx context.Context, cmd command, do doFunc) error {
	start := time.Now()
	f := cmd.facts
	rt, held, err := s.heldRoute(f, cmd.cluster)
	if err != nil {
		s.env.Metrics.ObserveError("backend")
		return s.WriteError(err)
	}
	var hold statementHold
	defer hold.release(s)
	var capture *backend.Capture
	if !held {
		var answered bool
		if rt, capture, answered, err = s.routeStatement(ctx, cmd, &hold, start); answered {
			return err
		}
	}
	var tried map[string]error // servers that failed this statement; made on the first retry
	for attempt := 1; ; attempt++ {
		if err != nil {
			s.env.Metrics.ObserveError("backend")
			return s.WriteError(err)
		}
		if err = s.restoreInsertID(rt, f); err != nil {
			rt.conn.Broken = true
			s.release(rt.conn, f, false, false)
			return s.WriteError(errNoBackend("Strata: %s failed before the statement (%v)", rt.conn.Addr, rootCause(err)))
		}
		s.active.Store(rt.conn)
		if rt.wait != nil {
			rt.conn.WaitFirst(s.waitSQL(rt.conn, rt.wait))
		}
		var res backend.Result
		res, err = do(rt.conn, capture)
		s.active.Store(nil)
		if rt.wait != nil {
			var again bool
			if rt, again, err = s.pipelinedWaitDone(ctx, rt, err); again {
				continue
			}
		}
		if err == nil {
			return s.statementDone(rt, cmd, res, time.Since(start), hold.fill, capture)
		}
		retry, ended := s.statementFailed(rt, f, res, err, attempt)
		if !retry {
			return ended
		}
		if tried == nil {
			tried = map[string]error{}
		}
		tried[rt.conn.Addr] = err
		s.env.Metrics.ReadRetried(rt.pool)
		rt, err = s.acquireReplica(ctx, s.clusterFor(cmd.cluster), rt.pool, affinityKey(f), tried)
		if err == nil {
			rt, err = s.consistentRead(ctx, rt, hold.fill.NeededGTID(), cmd.waitWithRead)
		}
	}
}

// heldRoute is the connection the session holds for f (a transaction, a
// pin, the connection that ran the statement whose ROW_COUNT() or
// FOUND_ROWS() f reads), if any; held is false when f must be routed.
func (s *Session) heldRoute(f *sqlparse.Facts, cluster string) (rt route, held bool, err error) {
	rt, held = s.held(f)
	if f.ReadsPrevious {
		if rt, held, err = s.previousStatementConn(f, rt, held, cluster); err != nil {
			return rt, held, errNoBackend("Strata: %s failed before the statement (%v)", rt.conn.Addr, rootCause(err))
		}
	}
	if held && cluster != "" && rt.conn == s.pinned && s.env.Topology.Load().PrimaryOf(rt.conn.Addr) != cluster {
		// Pinned elsewhere for state this statement does not use
		// (checkTransaction allowed it): run it on its own cluster.
		held = false
	}
	return rt, held, nil
}

// statementHold is what run holds for one statement until it ends: the
// routing rule's statement time limit, the result-cache fill the answer
// may complete, and a slot of the rule's max_running.
type statementHold struct {
	timeLimit bool
	fill      *resultcache.Fill
	gate      *planner.Gate
}

// release gives back what the statement held. A fill already completed
// ignores its Abandon.
func (h *statementHold) release(s *Session) {
	if h.gate != nil {
		h.gate.Leave()
	}
	if h.fill != nil {
		h.fill.Abandon()
	}
	if h.timeLimit {
		s.timeLimit = ""
	}
}

// routeStatement applies the routing decision for cmd: it answers from the
// result cache (answered), waits for a max_running slot, and takes a
// connection to the chosen server, brought in step with the session. It
// records in hold what the statement holds; capture, when not nil, is
// where the answer is copied for the cache.
func (s *Session) routeStatement(ctx context.Context, cmd command, hold *statementHold, start time.Time) (rt route, capture *backend.Capture, answered bool, err error) {
	f := cmd.facts
	d := s.decide(f, cmd.cluster)
	if d.Timeout > 0 {
		// Every connection this statement takes (retries too) gets
		// the rule's limit when it is brought in step (sync).
		s.timeLimit = setStatementTime(d.Timeout)
		hold.timeLimit = true
	}
	if d.Cache > 0 && s.cacheable(f) {
		key := cmd.cacheKey()
		tables := s.qualify(f.Tables)
		if key != "" && s.learnCacheSources(ctx, d.Cluster, tables) {
			data, fill := s.env.Cache.Lookup(ctx, s.cacheContext()+key, tables, d.Cache)
			if data != nil {
				return rt, nil, true, s.replay(f, data, start)
			}
			if hold.fill = fill; fill != nil {
				capture = &backend.Capture{Limit: s.env.Cache.MaxEntry()}
			}
		}
	}
	if d.Gate != nil {
		if wait := s.env.Limits().PoolWait; !d.Gate.Enter(ctx, wait) {
			s.env.Metrics.ObserveError("proxy")
			return rt, nil, true, s.WriteError(wire.NewError(wire.ErConCount,
				"Strata: routing rule %d lets %d of these statements run at once (max_running), and none finished within %s (limits.pool_wait); try again",
				d.Rule, d.Gate.Max(), wait))
		}
		hold.gate = d.Gate
	}
	rt, err = s.connectTo(ctx, d, f)
	if err == nil {
		rt, err = s.consistentRead(ctx, rt, hold.fill.NeededGTID(), cmd.waitWithRead)
	}
	if err == nil && (f.ReadsPrevious || s.wouldLeaveForeignDiagnostics(rt.conn, f)) {
		err = s.resetForForeignState(rt)
	}
	return rt, capture, false, err
}

// statementDone records a statement the server answered (its warnings,
// the caches and session state it changed, its statistics), gives the
// connection back unless the session keeps it, and flushes the answer.
func (s *Session) statementDone(rt route, cmd command, res backend.Result, took time.Duration, fill *resultcache.Fill, capture *backend.Capture) error {
	f := cmd.facts
	s.noteWarnings(rt.conn, f, res)
	s.invalidate(f)
	s.learn(rt.conn, cmd.stmts, res)
	s.noteInsertID(rt.conn, res.LastInsertID)
	if !cmd.metadata {
		// A COM_STMT_PREPARE writes nothing: its EXECUTEs do.
		s.noteTxStatement(f)
		s.trackWrites(rt, f, res)
	}
	s.release(rt.conn, f, rt.primary, leftDiagnostics(res) || f.ReadsPrevious)
	if s.timeLimit != "" && (rt.conn == s.pinned || rt.conn == s.sticky) {
		// The connection stays with the session (a read with
		// SQL_CALC_FOUND_ROWS that ran on the primary keeps it
		// for FOUND_ROWS()): what it runs next is not the
		// rule's, so it gets the session's own limit back.
		if err := s.vars.apply(rt.conn, ""); err != nil {
			rt.conn.Broken = true
		}
	}
	s.observeStatement(f, rt, took, res, cmd.metadata)
	if fill != nil {
		// An answer with warnings is not kept: replayed, it would
		// announce warnings no SHOW WARNINGS can read.
		fill.Complete(capture.Data, res.Err == nil && res.Warnings == 0 && !capture.Overflowed && !capture.Unsafe)
	}
	return s.client.Flush()
}

// statementFailed deals with a statement whose connection failed (err).
// retry: it was a read that nothing of reached the client, which may be
// tried on another replica; otherwise ended is what the statement ends
// with (the client's error, or the result of telling the client).
func (s *Session) statementFailed(rt route, f *sqlparse.Facts, res backend.Result, err error, attempt int) (retry bool, ended error) {
	var cerr *backend.ClientError
	if errors.As(err, &cerr) {
		// The client went away mid-response: the backend connection is
		// mid-result and cannot be reused.
		rt.conn.Broken = true
		s.invalidate(f)
		s.release(rt.conn, f, false, false)
		return false, err
	}
	// The server failed.
	rt.conn.Broken = true
	s.env.reportFailure(rt.conn.Addr, err)
	wasPinned := s.pinned == rt.conn
	s.invalidate(f) // a write may or may not have happened
	s.release(rt.conn, f, false, false)
	if res.Sent {
		// Part of the answer is already with the client: it cannot be
		// replaced, so end the connection rather than splice answers.
		return false, err
	}
	if wasPinned || !rt.read || attempt >= maxReadAttempts {
		s.inTx = false
		s.env.Metrics.ObserveError("backend")
		return false, s.WriteError(errNoBackend("Strata: lost connection to %s during the statement (%v)%s", rt.conn.Addr, rootCause(err), pinnedNote(wasPinned)))
	}
	return true, nil
}

// trackWrites records the GTID of a write once it is committed — right
// after an autocommit write, or at the end of the transaction that made it —
// when read-your-writes or the result cache needs it.
func (s *Session) trackWrites(rt route, f *sqlparse.Facts, res backend.Result) {
	if !s.sessionConsistency() && s.env.Cache == nil {
		return
	}
	if s.writesUnnamed(f) {
		// Whether it wrote, and what, is not known here; even a
		// failed CALL may have committed its first statements.
		var tracked []string
		if s.env.Cache != nil {
			tracked = s.env.Cache.TrackedTables()
			s.pendingWrites = append(s.pendingWrites, tracked...)
		}
		s.wroteSinceTx = s.wroteSinceTx || len(tracked) > 0 || s.sessionConsistency()
	}
	if len(f.WriteTables) > 0 && res.Err == nil {
		consistency := s.sessionConsistency()
		for _, t := range s.qualify(f.WriteTables) {
			if s.env.Cache != nil && s.env.Cache.Tracks(t) {
				s.pendingWrites = append(s.pendingWrites, t)
				s.wroteSinceTx = true
			}
		}
		s.wroteSinceTx = s.wroteSinceTx || consistency
	}
	if s.wroteSinceTx && !s.inTx && rt.primary && !rt.conn.Broken {
		s.wroteSinceTx = false
		answer := &res
		if strings.Contains(strings.ToLower(f.Text), "session_track") {
			// SET STATEMENT session_track_... = '' FOR ...: the
			// report says nothing; ask.
			answer = &backend.Result{}
		}
		s.recordWrite(rt.conn, s.pendingWrites, answer)
		s.pendingWrites = s.pendingWrites[:0]
	}
}

// writesUnnamed reports whether f may commit a write though it names no
// table it writes: a procedure, a SQL-level EXECUTE (or EXECUTE
// IMMEDIATE), DDL of a database or an account, a stored function.
// Read-your-writes records the position after it all the same, and the
// result cache forgets what it holds.
func (s *Session) writesUnnamed(f *sqlparse.Facts) bool {
	if len(f.WriteTables) > 0 {
		return false
	}
	switch f.Kind {
	case sqlparse.KindCall, sqlparse.KindDDL, sqlparse.KindGrant:
		return true
	case sqlparse.KindPrepare:
		p, ok := s.readingMode().ParseSQLPrepare(f.Text)
		return !ok || p.Verb == "EXECUTE" || p.Verb == "IMMEDIATE"
	}
	return f.StoredFunctions
}

// replay answers from the result cache: the stored packets are exactly what
// the server sent, sequence ids included, for the same kind of command.
func (s *Session) replay(f *sqlparse.Facts, data []byte, start time.Time) error {
	s.forgetPrevious() // the result cache answers
	if _, err := s.client.W.Write(data); err != nil {
		return err
	}
	s.observeCached(f, time.Since(start))
	return s.client.Flush()
}

// cacheable reports whether f's answer may come from or go to the cache:
// never inside a transaction or with connection-bound state.
func (s *Session) cacheable(f *sqlparse.Facts) bool {
	// Not an answer that is one of several to a multi-statement query:
	// it is relayed renumbered and marked (wire.Chain), so neither what
	// the cache holds nor what it would keep fits.
	return s.env.Cache != nil && s.client.Chain == nil && !s.inTx && s.autocommit && len(s.holds) == 0 && !f.Fallback &&
		f.ReadOnly && !f.SessionFunctions && !f.Locking && !f.SetsUserVars && !f.ReadsUserVars &&
		!f.CalcFoundRows // FOUND_ROWS() after it reads the server's connection
}

// cacheContext is the part of a cache key that makes one session's answer
// valid for another: same user, schema, protocol flavor and variables.
func (s *Session) cacheContext() string {
	var b strings.Builder
	b.WriteString(s.User)
	b.WriteByte(0)
	b.WriteString(s.DB)
	b.WriteByte(0)
	if s.flavor.DeprecateEOF {
		b.WriteByte('D')
	}
	b.WriteByte(0)
	b.WriteString(s.vars.fingerprint())
	b.WriteByte(0)
	return b.String()
}

// qualify names tables as schema.table, using the session's schema where
// the statement named none.
func (s *Session) qualify(tables []sqlparse.TableRef) []string {
	out := make([]string, 0, len(tables))
	for _, t := range tables {
		schema := t.Schema
		if schema == "" {
			schema = s.DB
		}
		out = append(out, strings.ToLower(schema)+"."+t.Name)
	}
	return out
}

// invalidate drops cached results of the tables f writes. A transaction's
// tables are dropped again when it ends, so a read that cached the old rows
// between the write and the commit does not survive the commit.
func (s *Session) invalidate(f *sqlparse.Facts) {
	if s.env.Cache == nil {
		return
	}
	if f.Kind == sqlparse.KindDDL {
		// A foreign key or a trigger may have come or gone.
		s.env.Cache.ForgetSources()
	}
	if len(f.WriteTables) > 0 || s.writesUnnamed(f) {
		tables := s.qualify(f.WriteTables)
		if len(tables) == 0 {
			tables = s.env.Cache.TrackedTables()
		}
		s.env.Cache.Invalidate(tables)
		if s.inTx || f.StartsTx || !s.autocommit {
			s.txWrites = append(s.txWrites, tables...)
		}
	}
	if f.EndsTx || f.ImplicitCommit {
		s.env.Cache.Invalidate(s.txWrites)
		s.txWrites = s.txWrites[:0]
	}
}

func pinnedNote(pinned bool) string {
	if pinned {
		return "; the transaction or session state on it is lost, start again"
	}
	return ""
}

// InitDB runs COM_INIT_DB: the schema changes only when the primary accepts it.
func (s *Session) InitDB(ctx context.Context, packet []byte) error {
	schema := string(packet[1:])
	f := &sqlparse.Facts{Kind: sqlparse.KindUse, Schema: schema}
	return s.run(ctx, command{facts: f, stmts: []*sqlparse.Facts{f}}, func(c *backend.Conn, _ *backend.Capture) (backend.Result, error) {
		if err := c.Command(packet); err != nil {
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		return c.Relay(s.client, false)
	})
}

// FieldList runs the deprecated COM_FIELD_LIST on a replica.
func (s *Session) FieldList(ctx context.Context, packet []byte) error {
	table, _, _ := strings.Cut(string(packet[1:]), "\x00")
	f := &sqlparse.Facts{Kind: sqlparse.KindShow, ReadOnly: true, Tables: []sqlparse.TableRef{{Name: strings.ToLower(table)}}}
	return s.run(ctx, command{facts: f}, func(c *backend.Conn, _ *backend.Capture) (backend.Result, error) {
		if err := c.Command(packet); err != nil {
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		return c.RelayUntilEOF(s.client)
	})
}

// Statistics runs COM_STATISTICS on the primary.
func (s *Session) Statistics(ctx context.Context, packet []byte) error {
	f := &sqlparse.Facts{Kind: sqlparse.KindShow}
	return s.run(ctx, command{facts: f}, func(c *backend.Conn, _ *backend.Capture) (backend.Result, error) {
		if err := c.Command(packet); err != nil {
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		return c.RelayOne(s.client)
	})
}

// kill runs KILL [CONNECTION | QUERY] id against Strata's own connection
// ids, which are the ids clients see.
func (s *Session) kill(sql string) error {
	k, ok := s.readingMode().Kill(sql)
	switch {
	case ok && k.User:
		// Through Strata every client runs as its server account: on a
		// server, KILL USER would end every client's connections.
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: KILL USER would end the connections of a server account, which through Strata serves every client; end a user's sessions of Strata with KILL <id> of each (SHOW PROCESSLIST lists them) or POST /api/users/{name}/kill"))
	case ok && k.ByQueryID:
		// KILL QUERY ID n names a statement by the query id a server
		// gave it, and every server numbers its own.
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: KILL QUERY ID names a statement by one server's query id, and each server behind Strata numbers its own; use KILL QUERY <id> with the connection id SHOW PROCESSLIST lists"))
	case !ok:
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: KILL takes a connection id written as a number (or CONNECTION_ID()), which Strata maps to the servers; compute the id first, then send KILL [CONNECTION | QUERY] <id>"))
	case k.Own:
		k.ID = uint64(s.ID)
	case k.ID > math.MaxUint32:
		return s.refuse(errUnknownSession(k.ID))
	}
	return s.Kill(uint32(k.ID), k.Query)
}

// errUnknownSession answers KILL (or SHOW EXPLAIN FOR) of an id no
// session of Strata has, as MariaDB does, and says so when the id is
// below Strata's (FirstID): most likely a server's thread id.
func errUnknownSession(id uint64) *wire.Error {
	if id < FirstID {
		return wire.NewError(wire.ErNoSuchThread,
			"Unknown thread id: %d (through Strata, connection ids are Strata's own, from %d up, as CONNECTION_ID(), SHOW PROCESSLIST and information_schema.PROCESSLIST give them; a server's thread id, from IS_USED_LOCK() or INNODB_TRX, is not one: KILL it on that server's own address)",
			id, FirstID)
	}
	return wire.NewError(wire.ErNoSuchThread, "Unknown thread id: %d", id)
}

// Kill ends another session's statement or connection (COM_PROCESS_KILL too).
func (s *Session) Kill(id uint32, queryOnly bool) error {
	target := s.env.Registry.Get(id)
	if target == nil {
		return s.refuse(errUnknownSession(uint64(id)))
	}
	if target.UserName() != s.User {
		return s.refuse(wire.NewError(1095, "You are not owner of thread %d", id)) // ER_KILL_DENIED_ERROR
	}
	if err := s.killActive(target); err != nil && queryOnly {
		return s.WriteError(err)
	}
	if !queryOnly {
		if target == s {
			_ = s.WriteError(wire.NewError(1927, "Connection was killed")) // ER_CONNECTION_KILLED
		}
		target.closeClient()
		if target == s {
			return errors.New("connection killed by its own KILL")
		}
	}
	return s.WriteOK()
}

// killActive interrupts the statement target is running, with KILL QUERY on
// the backend thread through a connection of its own.
func (s *Session) killActive(target *Session) error {
	target.killing.Store(true)
	var errs []error
	for _, c := range target.runningOn() { // a scatter: every shard's query
		errs = append(errs, s.killQueryOn(c))
	}
	return errors.Join(errs...)
}

// killQueryOn runs KILL QUERY for c's thread on c's server.
func (s *Session) killQueryOn(c *backend.Conn) error {
	return s.killOn(c, "KILL QUERY "+strconv.FormatUint(uint64(c.ThreadID), 10))
}

// killOn runs kill, a KILL statement about c's thread, on c's server.
func (s *Session) killOn(c *backend.Conn, kill string) error {
	timeout := s.env.Limits().ConnectTimeout
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Second)
	defer cancel()
	// As c's own account: a server lets an account kill its own threads
	// without CONNECTION ADMIN.
	login := s.env.BackendLogin()
	user, password := login.User, login.Password
	if a := c.Flavor.Account; a != "" {
		user = a
		password, _ = s.env.Accounts.Password(a)
	}
	kc, err := backend.Dial(ctx, backend.DialConfig{Addr: c.Addr, Socket: s.env.BackendSockets[c.Addr], User: user, Password: password, Timeout: timeout, Flavor: backend.Flavor{Collation: backendCollation}, TLS: s.env.BackendTLS})
	if err != nil {
		return errNoBackend("Strata: cannot reach %s to kill the query: %v", c.Addr, rootCause(err))
	}
	defer kc.Close()
	return kc.SimpleCommand(comQuery, kill)
}

// CheckSchema verifies that db exists (a login naming a schema must fail
// at once when it does not, as with MariaDB). It asks the primary, which
// has every schema first; when the primary cannot be reached (it is down,
// or a switchover holds it) a routable replica answers, so clients can
// still log in and read.
func (s *Session) CheckSchema(ctx context.Context, db string) error {
	cl := s.env.Topology.Load().Default()
	addrs := []string{cl.Primary.Addr}
	for _, r := range cl.Replicas {
		if r.Routable() {
			addrs = append(addrs, r.Addr)
		}
	}
	var firstErr error
	for _, addr := range addrs {
		err := s.checkSchemaOn(ctx, addr, db, addr == cl.Primary.Addr)
		var werr *wire.Error
		if err == nil || errors.As(err, &werr) {
			return err // the server answered: the schema exists, or the error says why not
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return errNoBackend("Strata: primary %s of cluster %s is unreachable (%v), and no replica could check schema %s", cl.Primary.Addr, cl.Name, rootCause(firstErr), db)
}

// checkSchemaOn runs COM_INIT_DB db on one server. The primary is asked
// without waiting for a paused pool: a replica answers instead.
func (s *Session) checkSchemaOn(ctx context.Context, addr, db string, primary bool) error {
	if primary {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
	}
	pool := s.env.Pools.For(addr)
	c, err := pool.Get(ctx, s.flavor, nil)
	if err != nil {
		return err
	}
	defer pool.Put(c)
	if err := c.SimpleCommand(wire.ComInitDB, db); err != nil {
		return err
	}
	c.DB = db
	return nil
}
