package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/twophase"
	"github.com/strata-proxy/strata/wire"
)

// writeResult is what a write's statements on its shards add up to.
type writeResult struct {
	affected, insertID uint64
	insertConn         *backend.Conn // the connection that reported insertID
	warnings           uint16
	info               okInfo        // the OKs' info lines ("Rows matched: ...")
	returned           *returnedRows // the rows of a RETURNING clause being sent
	// results are each statement's OK by connection, kept for a write
	// that must learn where it matched rows (narrow.go).
	results []connResult
}

// connResult is the OK of one statement of a write on conn.
type connResult struct {
	conn *backend.Conn
	res  backend.QueryResult
}

// add counts one statement's OK into the write's result.
func (w *writeResult) add(res backend.QueryResult) {
	w.affected += res.AffectedRows
	w.warnings += res.Warnings
	w.info.add(res.Info)
}

// addRoute counts the OK of a route of plan: as add, and for the part of
// one row of an INSERT of several, whose OK has no info line where one
// server's for the whole statement has, the counts that line would give
// it.
func (w *writeResult) addRoute(res backend.QueryResult, plan *planner.ShardPlan, r planner.ShardRoute) {
	if res.Info != "" || plan.InsertRowCount < 2 || len(r.InsertRows) != 1 {
		w.add(res)
		return
	}
	w.affected += res.AffectedRows
	w.warnings += res.Warnings
	w.info.addCounts(insertInfoFormat, []uint64{1, plan.InsertForm.OneRowDuplicates(res.AffectedRows), uint64(res.Warnings)})
}

// shardWork runs a write's statements on its connections once each
// connection's transaction has begun. On failure it returns the
// connection that failed, or nil when none did (a row of a LOAD DATA file
// Strata could not route): the caller then rolls every shard back.
type shardWork func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error)

// runRoutes is the shardWork of a plain write: each route's statement,
// all at the first route's time where sameClock (writeClock). When the
// routes hold copies of one table (a reference table), the counts are
// one copy's, as one server holding the table would report, and every
// copy writes as the first copy did (copyLikeFirst), an INSERT's
// AUTO_INCREMENT rows with its ids. keep keeps each statement's OK in the
// result (writeResult.results).
func runRoutes(plan *planner.ShardPlan, inserts, sameClock, keep bool) shardWork {
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		var w writeResult
		clock, err := firstRouteClock(conns, sameClock)
		if err != nil {
			return w, conns[0], err
		}
		ran, failed, err := execEachRoute(ctx, conns, clock, plan.Copies && inserts)
		for i, res := range ran {
			sc := conns[i]
			if keep {
				w.results = append(w.results, connResult{sc.conn, res})
			}
			if plan.Copies && i > 0 {
				continue
			}
			w.addRoute(res, plan, sc.route)
			if w.insertID == 0 && res.LastInsertID != 0 {
				w.insertID, w.insertConn = res.LastInsertID, sc.conn
			}
		}
		return w, failed, err
	}
}

// execEachRoute runs each route's statement at clock (copyLikeFirst) and
// returns the OKs of the routes before the first that failed (failed, with
// its error). Where every route has a connection of its own, all are sent
// before any answer is read, so the shards write side by side
// (backend.ExecEach); the caller's transactions (its own, or a savepoint
// in the client's) undo the routes after a failed one, which ran too.
// Routes that share a connection, a client's SET STATEMENT (set around
// it, not inside), and a reference table's copies numbering rows from the
// first copy's ids (copyIDs) run one after another.
func execEachRoute(ctx context.Context, conns []*shardConn, clock string, copyIDs bool) (ran []backend.QueryResult, failed *shardConn, err error) {
	atClock := copyLikeFirst{clock: clock}
	sqls := make([]string, len(conns))
	together := !copyIDs && len(distinctConns(conns)) == len(conns) && len(conns) > 1
	for i, sc := range conns {
		var inside bool
		if sqls[i], inside = atClock.statement(sc.route.SQL); !inside {
			together = false
		}
	}
	if together {
		bconns := make([]*backend.Conn, len(conns))
		for i, sc := range conns {
			bconns[i] = sc.conn
		}
		results, errs := backend.ExecEach(ctx, bconns, sqls)
		for i, err := range errs {
			if err != nil {
				return results[:i], conns[i], err
			}
		}
		return results, nil, nil
	}
	var firstID uint64 // the first id the first copy numbered
	for i, sc := range conns {
		like := copyLikeFirst{clock: clock}
		if copyIDs && i > 0 {
			like.insertID = firstID
		}
		res, err := like.exec(ctx, sc.conn, sc.route.SQL)
		if err != nil {
			return ran, sc, err
		}
		if i == 0 {
			firstID = res.LastInsertID
		}
		ran = append(ran, res)
	}
	return ran, nil, nil
}

// firstRouteClock is the time every route of a write runs at, where
// sameClock asks for one (writeClock): the first route's server's, as
// UNIX_TIMESTAMP(NOW(6)). "" when the routes run on one connection.
func firstRouteClock(conns []*shardConn, sameClock bool) (string, error) {
	if !sameClock || len(distinctConns(conns)) < 2 {
		return "", nil
	}
	return conns[0].conn.QueryValue("SELECT UNIX_TIMESTAMP(NOW(6))")
}

// writeClock reports whether a write's routes must run at one time: one
// server evaluates NOW() once per statement, so the rows a statement
// writes on several shards get one time, also where a column's DEFAULT
// or ON UPDATE CURRENT_TIMESTAMP fills it (plan.Clock), and every copy
// of a reference table the same rows. Not where the client fixed the
// session's time itself (SET timestamp).
func (s *Session) writeClock(f *sqlparse.Facts, plan *planner.ShardPlan) bool {
	_, own := s.vars.m["timestamp"]
	return !own && (plan.Copies || f.ReadsClock || plan.Clock)
}

// copyLikeFirst has a route of a write run as the first route did. Each
// server has its own clock and its own AUTO_INCREMENT counter: NOW() and
// a column's DEFAULT CURRENT_TIMESTAMP would differ by the time between
// the routes' statements, and two clients' INSERTs can reach a reference
// table's copies in different orders, or one copy's counter can have
// moved alone (a failed insert, a hand edit), which gives one row
// different ids. So each route runs at the first route's time
// (timestamp), and each copy numbers its rows from the first copy's
// first id (insert_id), as MariaDB's statement-based replication has a
// replica do.
type copyLikeFirst struct {
	clock    string // UNIX_TIMESTAMP with microseconds; "": the server's own
	insertID uint64 // the first copy's first id; 0: none
}

// assignments are the variables c sets: timestamp and insert_id.
func (c copyLikeFirst) assignments() []string {
	var sets []string
	if c.clock != "" {
		sets = append(sets, "timestamp = "+c.clock)
	}
	if c.insertID != 0 {
		sets = append(sets, fmt.Sprintf("insert_id = %d", c.insertID))
	}
	return sets
}

// statement is sql run inside SET STATEMENT ... FOR, which sets c's
// variables for that statement alone: no round trip of its own, and
// nothing left set after it (an INSERT that numbers no row would leave
// insert_id for the connection's next one). ok is false for a statement
// that already is a SET STATEMENT (the client's), around which set and
// unset set them instead.
func (c copyLikeFirst) statement(sql string) (string, bool) {
	sets := c.assignments()
	if len(sets) == 0 {
		return sql, true
	}
	if sqlparse.StartsSetStatement(sql) {
		return sql, false
	}
	return "SET STATEMENT " + strings.Join(sets, ", ") + " FOR " + sql, true
}

// exec runs sql on conn as c has it run.
func (c copyLikeFirst) exec(ctx context.Context, conn *backend.Conn, sql string) (backend.QueryResult, error) {
	sql, inside := c.statement(sql)
	if !inside {
		if err := c.set(conn); err != nil {
			return backend.QueryResult{}, err
		}
	}
	res, err := conn.Exec(ctx, sql)
	if err == nil && !inside {
		err = c.unset(conn)
	}
	return res, err
}

func (c copyLikeFirst) set(conn *backend.Conn) error {
	return setSession(conn, c.assignments())
}

// unset gives the connection its own clock and counter back.
func (c copyLikeFirst) unset(conn *backend.Conn) error {
	var sets []string
	if c.clock != "" {
		sets = append(sets, "timestamp = DEFAULT")
	}
	if c.insertID != 0 {
		sets = append(sets, "insert_id = 0")
	}
	return setSession(conn, sets)
}

// setSession runs SET of assignments on conn, when there are any.
func setSession(conn *backend.Conn, assignments []string) error {
	if len(assignments) == 0 {
		return nil
	}
	return conn.SimpleCommand(comQuery, "SET "+strings.Join(assignments, ", "))
}

// limitWalkWork is the shardWork of an UPDATE or DELETE with LIMIT over
// several routes: each route in turn, with what the routes before left of
// the LIMIT, until none is left (the routes after run nothing).
func limitWalkWork(plan *planner.ShardPlan, update bool) shardWork {
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		var w writeResult
		left := plan.Limit
		for _, sc := range conns {
			if left <= 0 {
				break
			}
			res, err := sc.conn.Exec(ctx, sc.route.WithLimit(left, plan.Limit))
			if err != nil {
				return w, sc, err
			}
			matched, err := matchedRows(res, update)
			if err != nil {
				return w, sc, err
			}
			w.add(res)
			left -= int64(matched)
		}
		return w, nil, nil
	}
}

// topOrderWork is the shardWork of an UPDATE or DELETE with ORDER BY and
// LIMIT n that no shard order gives (ShardPlan.TopOrder). In each route's
// transaction it selects the route's first n rows by the ORDER BY, FOR
// UPDATE, so no other transaction changes them meanwhile; merges them by
// the ORDER BY, as the server compares the columns; and runs the write on
// each route with a LIMIT of the number of the first n rows overall that
// are that route's. Which of equal rows the server writes is its own
// choice, on one server too.
func (s *Session) topOrderWork(plan *planner.ShardPlan) shardWork {
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		var w writeResult
		share, failed, err := s.topShares(ctx, plan, conns)
		if err != nil {
			return w, failed, err
		}
		for i, sc := range conns {
			if share[i] == 0 {
				continue
			}
			res, err := sc.conn.Exec(ctx, sc.route.WithLimit(share[i], plan.Limit))
			if err != nil {
				return w, sc, err
			}
			w.add(res)
		}
		return w, nil, nil
	}
}

// topShares reads each route's candidates and says how many of the first
// plan.Limit rows overall each route holds.
func (s *Session) topShares(ctx context.Context, plan *planner.ShardPlan, conns []*shardConn) ([]int64, *shardConn, error) {
	type candidate struct {
		row   engine.Row
		route int
	}
	if most := plan.Limit * int64(len(conns)); most > int64(s.maxPulled()) {
		// Each shard sends up to LIMIT rows, which Strata holds to merge.
		return nil, nil, wire.NewError(wire.ErNotSupportedYet, "Strata: an UPDATE or DELETE with ORDER BY ... LIMIT %d over %d shards would read up to %d rows to find the first ones, more than limits.max_pulled_rows (%d): write in smaller batches (a lower LIMIT, run again), or give the shard key in WHERE", plan.Limit, len(conns), most, s.maxPulled())
	}
	// The candidates are compared as stored: a client that reads
	// another character set than UTF-8 would get '?' for what its set
	// lacks, and those would compare as one character.
	reads := make([]*shardConn, len(conns))
	for i, sc := range conns {
		read := *sc
		read.route.SQL = sc.route.Candidates
		reads[i] = &read
	}
	restore, err := s.readInUTF8(reads)
	defer restore()
	if err != nil {
		return nil, nil, err
	}
	var all []candidate
	var cols []engine.Column
	for i, sc := range reads {
		rows, err := sc.conn.QueryRows(ctx, sc.route.SQL)
		if err != nil {
			return nil, conns[i], err
		}
		got, err := engine.Collect(ctx, rowsStream{rows})
		if cols == nil {
			cols = rows.Columns()
		}
		rows.Close()
		if err != nil {
			return nil, conns[i], err
		}
		for _, r := range got {
			all = append(all, candidate{r, i})
		}
	}
	keys := make([]engine.SortKey, len(plan.TopOrder))
	for i, desc := range plan.TopOrder {
		keys[i] = engine.SortKey{Col: i, Desc: desc}
	}
	cmp, err := engine.NewComparator(s.env.Sharding.MergeColumns(ctx, cols, plan.TopSources), keys)
	if err != nil {
		return nil, nil, wire.NewError(wire.ErNotSupportedYet, "Strata cannot order the shards' first rows by this ORDER BY: %v", err)
	}
	slices.SortStableFunc(all, func(a, b candidate) int { return cmp.Compare(a.row, b.row) })
	share := make([]int64, len(conns))
	for _, c := range all[:min(int64(len(all)), plan.Limit)] {
		share[c.route]++
	}
	return share, nil, nil
}

// matchedRows is how many rows a statement's LIMIT counted: the rows a
// DELETE deleted, the rows an UPDATE matched (changed or not), which only
// the OK's info line says when the client did not ask for found rows.
func matchedRows(res backend.QueryResult, update bool) (uint64, error) {
	if !update || res.Info == "" {
		// An UPDATE whose WHERE the server found impossible (entry_id
		// IN (NULL), where a subquery Strata ran first found nothing)
		// answers a bare OK: it matched nothing.
		return res.AffectedRows, nil
	}
	var matched, changed, warnings uint64
	if _, err := fmt.Sscanf(res.Info, "Rows matched: %d Changed: %d Warnings: %d", &matched, &changed, &warnings); err != nil {
		return 0, fmt.Errorf("reading the rows an UPDATE matched from its answer %q: %w", res.Info, err)
	}
	return matched, nil
}

// warned is the connections whose warnings a write reports: one copy's
// for a reference table, as its counts are.
func warned(plan *planner.ShardPlan, conns []*shardConn) []*shardConn {
	if plan.Copies {
		return conns[:1]
	}
	return conns
}

// execWrite runs a write on every route, each in its own transaction on
// its shard's primary, and commits them together once all succeeded: a
// failure before the commits leaves no shard changed. Inside a client
// transaction (one cluster, checked before) the write runs on the pinned
// connection and commits with the client's COMMIT.
func (s *Session) execWrite(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	inserts := f.Kind == sqlparse.KindInsert || f.Kind == sqlparse.KindReplace
	sameClock := s.writeClock(f, plan)
	// Each statement's OK, for narrowTo and the rows' locations.
	keep := s.narrowing != notNarrowed || s.locate != nil || s.locateEach != nil || len(plan.Updated) > 0
	work := runRoutes(plan, inserts, sameClock, keep)
	switch {
	case plan.Returning:
		work = s.returningWork(plan, binary, inserts, sameClock, keep)
	case plan.LimitWalk && plan.TopOrder != nil:
		work = s.topOrderWork(plan)
	case plan.LimitWalk:
		work = limitWalkWork(plan, f.Kind == sqlparse.KindUpdate)
	case plan.Move != nil:
		work = s.moveWork(plan, keep)
	case f.ImplicitCommit:
		work = schemaChangeWork(plan, s.env.Sharding.RelearnColumns)
	}
	if len(plan.Unique) > 0 {
		if err := s.uniqueIsolation(plan.Unique[0].Columns); err != nil {
			return s.refuse(err)
		}
		work = uniqueChecked(plan, work, func() uniqueBatches { return planChecks(plan.Unique) })
	}
	return s.writeShards(ctx, f, plan, work)
}

// schemaChangeWork runs a schema change on every route, one after the
// other. A schema change commits at once and cannot be rolled back, so
// one that fails on a route says where it already ran: the person on call
// must finish it there by hand, or run it again where MariaDB lets it be
// repeated (IF [NOT] EXISTS). Once it ran everywhere, relearn reads the
// columns' collations again (a column's may have changed) before the
// client hears of it.
func schemaChangeWork(plan *planner.ShardPlan, relearn func(context.Context) error) shardWork {
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		var w writeResult
		var done []string
		for i, sc := range conns {
			res, err := sc.conn.Exec(ctx, sc.route.SQL)
			var werr *wire.Error
			switch {
			case err != nil && len(done) > 0 && errors.As(err, &werr):
				return w, sc, &wire.Error{Code: werr.Code, State: werr.State, Message: fmt.Sprintf("%s (on %s). Strata had already run this schema change on %s, which keep it: a schema change cannot be rolled back. Fix the cause and run it again (with IF [NOT] EXISTS, where MariaDB offers it), or finish it on the rest by hand; strata shards check-schema lists the copies that differ",
					werr.Message, routeName(sc.route), strings.Join(done, ", "))}
			case err != nil:
				return w, sc, err
			}
			if !plan.Copies || i == 0 {
				w.add(res) // a reference table's counts are one copy's
			}
			done = append(done, routeName(sc.route))
		}
		_ = relearn(ctx) // on failure, the periodic read catches up
		return w, nil, nil
	}
}

// routeName names a route's shard, and its table when that is not the
// statement's own (a period table).
func routeName(r planner.ShardRoute) string {
	if len(r.Tables) == 1 {
		return r.Cluster + " (" + r.Tables[0] + ")"
	}
	return r.Cluster
}

// writeShards runs work on a write's connections, in a transaction of its
// own on each when there are several (or the plan is a LOAD DATA, whose
// file may turn out not to be loadable half-way), and commits them
// together.
func (s *Session) writeShards(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, work shardWork) error {
	start := time.Now()
	// A schema change commits on its own, in or out of the client's
	// transaction (commitImplicitly ended it before).
	inClientTx := (s.inTx || !s.autocommit) && !f.ImplicitCommit
	// With transactions.mode twopc a write over several clusters commits
	// on all of them or none, on one connection per cluster.
	// Read once: a reload may change transactions.mode meanwhile, and a
	// row move (move.go) must agree with how the statement commits.
	tp := s.twoPhaseNow()
	// A schema change commits at once on each server: no transaction of
	// Strata's own, XA or not, can hold it (MariaDB refuses DDL inside XA).
	across := tp != nil && !inClientTx && len(plan.Clusters()) > 1 && !f.ImplicitCommit
	s.stmtTwoPhase = across || (inClientTx && s.tp != nil)
	defer func() { s.stmtTwoPhase = false }()
	conns, err := s.takeConns(ctx, plan.Routes, true, across)
	if err != nil {
		return s.WriteError(err)
	}
	if across {
		return s.writeAcross(ctx, f, plan, conns, start, work, tp)
	}
	r := s.newShardWrite(f, plan, conns, inClientTx)
	defer func() {
		if !r.undone {
			s.noteTxStatement(f)
		}
	}()
	defer s.running(conns)()
	if r.stepped {
		if sc, err := runAtOnce(conns, each("SAVEPOINT "+statementSavepoint)); err != nil {
			r.stepped = false // nothing of the statement ran
			return r.fail(sc, err)
		}
	}
	if len(conns) > 1 {
		// Its locks stay until it commits (its own transaction) or the
		// client's transaction ends, which may have begun with it (with
		// autocommit off, nothing says "in a transaction" before it ends).
		s.spanningWrite.Store(true)
		defer s.spanningWrite.Store(false)
	}
	// After fail the statement is over, answered or not: its error (nil
	// once the client was told) is writeShards' own.
	if err := r.begin(ctx); err != nil || r.ended {
		return err
	}
	w, failed, err := work(ctx, conns)
	if errors.Is(err, errWidenAcross) {
		s.countNarrowed(f, "widened_across") // a row move, which needs XA
		return r.widen()
	}
	if err != nil {
		return r.fail(failed, err)
	}
	if err := r.noteLocations(w); err != nil || r.ended {
		return err
	}
	insertID, keep, spread, err := r.settle(ctx, w)
	if err != nil || r.ended {
		return err
	}
	s.invalidate(f)
	s.learnPlaces(plan)
	s.learnUpdated(f, plan, conns, w)
	if err := r.release(keep, spread); err != nil || r.ended {
		return err
	}
	s.observeSharded(f, "shard_write", plan, time.Since(start))
	for _, sc := range conns {
		s.env.Metrics.ShardQuery(sc.route.Cluster, "write")
	}
	return s.answerWrite(f, w, w.affected, insertID, w.warnings)
}

// shardWrite is one write over shards outside two-phase commit (see
// writeShards): its connections and how it is held together on them.
type shardWrite struct {
	s     *Session
	f     *sqlparse.Facts
	plan  *planner.ShardPlan
	conns []*shardConn
	// inClientTx: the write is part of the client's transaction.
	inClientTx bool
	// narrowing: a transaction's write over several shards, which begins
	// the client's transaction on each of them (narrow.go); refused, it
	// leaves the transaction as it found it (a first write: as fresh).
	narrowing bool
	// ownTx: the write runs in a transaction of Strata's own on each
	// connection, committed once every shard succeeded.
	ownTx bool
	// stepped: inside the client's transaction, the write runs in steps
	// (on several shards, or a move's INSERT, UPDATE and DELETE) behind a
	// savepoint, to be undone whole when a step fails.
	stepped bool
	// undone: nothing of the write is left in the session's transaction,
	// which must not note it.
	undone bool
	// ended: fail ended the statement (and told the client, unless it
	// went away); nothing more of it runs.
	ended bool
}

func (s *Session) newShardWrite(f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, inClientTx bool) *shardWrite {
	narrowing := s.narrowing != notNarrowed && inClientTx
	// A RETURNING write sends its rows before it commits, so it is
	// always in a transaction: an error after some rows leaves nothing
	// written. So is a write of an IN list's rows on the shards they were
	// last seen on, which is undone where it did not find them all.
	guessingEach := s.guessing && s.locateEach != nil
	ownTx := narrowing || (len(conns) > 1 || plan.Kind == planner.PlanLoad || plan.Returning || guessingEach) && !inClientTx && !f.ImplicitCommit
	// Inside the client's transaction a statement that runs in steps
	// must be undone whole when a step fails, as one server undoes a
	// failed statement and keeps the transaction going.
	stepped := !narrowing && inClientTx && !f.ImplicitCommit && (len(conns) > 1 || plan.Move != nil || plan.LimitWalk)
	return &shardWrite{s: s, f: f, plan: plan, conns: conns, inClientTx: inClientTx,
		narrowing: narrowing, ownTx: ownTx, stepped: stepped}
}

// fail ends the write after a failure (on sc, when it was a shard's) and
// returns what the client is told.
func (r *shardWrite) fail(sc *shardConn, err error) error {
	s := r.s
	r.ended = true
	if r.stepped {
		s.undoStatement(r.conns)
	}
	if !r.narrowing {
		return s.abortShardWrite(r.conns, r.ownTx, sc, err)
	}
	r.undone = s.narrowing == narrowFresh
	return s.failNarrowing(r.conns, sc, err)
}

// widen undoes, unanswered, a narrowing write under twopc whose rows go
// beyond the transaction's shard: execPlan runs it again across the
// shards.
func (r *shardWrite) widen() error {
	r.s.unwindNarrowing(r.conns)
	r.undone = true
	return errWidenAcross
}

// begin opens the write's transaction on each connection: the client's
// (narrowing) or Strata's own.
func (r *shardWrite) begin(ctx context.Context) error {
	switch {
	case r.narrowing:
		if sc, err := r.s.beginTentative(ctx, r.conns); err != nil {
			return r.fail(sc, err)
		}
	case r.ownTx:
		if sc, err := runAtOnce(r.conns, each("START TRANSACTION")); err != nil {
			return r.fail(sc, err)
		}
	}
	return nil
}

// noteLocations checks and records where the write found its rows, for
// a session that locates rows by a unique key (locate.go). A write that
// guessed their shards and did not find them all there is undone and
// returns errGuessMissed: it runs again on every shard.
func (r *shardWrite) noteLocations(w writeResult) error {
	s := r.s
	if s.locate == nil && s.locateEach == nil {
		return nil
	}
	touched, matched, err := matchedConns(r.f, r.conns, w)
	switch {
	case err != nil:
		return r.fail(nil, err)
	case s.guessing && !s.foundGuessedRows(touched, matched):
		s.undoGuess(r.conns, r.narrowing, r.ownTx)
		r.undone = true
		return errGuessMissed
	case !r.narrowing:
		s.noteWriteLocations(touched, matched) // (narrowTo notes a narrowing one's)
	}
	return nil
}

// settle keeps what the write left for the session (its insert id,
// warnings and row count), narrows a narrowing write to the shards its
// rows are on (keep, or spread over several), and commits Strata's own
// transaction. insertID is the one the client is told.
func (r *shardWrite) settle(ctx context.Context, w writeResult) (insertID uint64, keep *shardConn, spread []*shardConn, err error) {
	s, conns := r.s, r.conns
	insertID = w.insertID
	if insertID != 0 {
		s.noteInsertID(w.insertConn, insertID)
	}
	if w.warnings > 0 {
		s.noteShardWarnings(s.collectWarnings(ctx, warned(r.plan, conns)), uint64(w.warnings)) // before COMMIT clears them
	}
	if r.narrowing {
		// After the warnings are read: the shards it rolls back lose theirs.
		keep, spread, err = s.narrowTo(r.f, conns, w)
		if errors.Is(err, errWidenAcross) {
			return 0, nil, nil, r.widen()
		}
		if err != nil {
			return 0, nil, nil, r.fail(nil, err)
		}
	}
	if r.ownTx && !r.narrowing {
		if sc, err := runOnEach(conns, "COMMIT"); err != nil {
			return 0, nil, nil, r.fail(sc, err)
		}
	}
	if !r.inClientTx {
		s.recordShardWrites(r.f, conns)
	}
	if id := r.plan.InsertID; id > 0 {
		insertID = uint64(id)
		if err := s.setInsertID(conns[len(conns)-1].conn, id); err != nil {
			return 0, nil, nil, r.fail(conns[len(conns)-1], err)
		}
	}
	if len(conns) > 1 || r.plan.InsertID > 0 {
		// No connection's ROW_COUNT() is the statement's (each shard
		// counted its own; DO LAST_INSERT_ID() above reset one): the
		// next statement reads the sum from the session.
		s.rowCount, s.rowCountState = int64(w.affected), 2
	}
	return insertID, keep, spread, nil
}

// release hands the write's connections back, or keeps them for the
// session's transaction.
func (r *shardWrite) release(keep *shardConn, spread []*shardConn) error {
	s, conns := r.s, r.conns
	switch {
	case r.narrowing && (keep != nil || spread != nil):
		s.releaseNarrowed(conns, keep, spread)
	case r.narrowing && s.narrowing == narrowInTx:
		s.releaseWrite(conns, false) // narrowInTx rolled back the others; the transaction is elsewhere
	case r.narrowing:
		if err := s.undoNarrowing(conns); err != nil {
			return r.fail(nil, err)
		}
		r.undone = true
		s.releaseWrite(conns, false) // rolled back: none holds anything of the session's
	default:
		s.releaseWrite(conns, true)
	}
	return nil
}

// keepCoordinator keeps the connection that coordinated a committed write
// across clusters as the session's sticky one, which answers
// LAST_INSERT_ID() next, and tells it the write's insertID (if any).
func (s *Session) keepCoordinator(coord *backend.Conn, insertID uint64) {
	if insertID > 0 {
		if err := coord.SimpleCommand(comQuery, fmt.Sprintf("DO LAST_INSERT_ID(%d)", insertID)); err != nil {
			coord.Broken = true
		} else {
			s.noteInsertID(coord, insertID)
		}
	}
	if s.sticky != nil {
		s.put(s.sticky)
	}
	s.sticky = coord
	if coord.Broken {
		s.sticky = nil
		s.put(coord)
	}
}

// abortShardWrite ends a write over shards that failed (on sc, when the
// failure was a shard's): it rolls back Strata's own transaction on every
// connection still usable, gives the connections back, and tells the
// client, or closes its connection when the client itself went away.
func (s *Session) abortShardWrite(conns []*shardConn, ownTx bool, sc *shardConn, err error) error {
	var lost *backend.ClientError
	if sc != nil {
		s.markBroken(sc, err)
		err = shardError(sc.route.Cluster, clientRowError(sc, err))
	}
	if ownTx {
		for _, o := range conns {
			if !o.conn.Broken {
				if rerr := o.conn.SimpleCommand(comQuery, "ROLLBACK"); rerr != nil {
					o.conn.Broken = true
				}
			}
		}
	}
	s.releaseWrite(conns, false)
	s.env.Metrics.ObserveError("backend")
	if errors.As(err, &lost) {
		return err // the client went away, or its stream cannot be followed (a LOAD DATA file cut short): close it
	}
	return s.WriteError(err)
}

// statementSavepoint marks, on each connection of a write that runs in
// steps inside the client's transaction, where the statement began.
const statementSavepoint = "strata_statement"

// undoStatement rolls each connection back to where the failed statement
// began (statementSavepoint), keeping the client's transaction. A server
// that has no such savepoint any more rolled back its whole transaction
// (a deadlock), which the session learns from the error it answered.
func (s *Session) undoStatement(conns []*shardConn) {
	for _, sc := range distinctConns(conns) {
		if sc.conn.Broken {
			continue
		}
		err := sc.conn.SimpleCommand(comQuery, "ROLLBACK TO SAVEPOINT "+statementSavepoint)
		var werr *wire.Error
		if err != nil && !errors.As(err, &werr) {
			s.markLost(sc.conn, err)
		}
	}
}

// distinctConns is conns with each backend connection once (routes on one
// shard share one in a transaction).
func distinctConns(conns []*shardConn) []*shardConn {
	out := make([]*shardConn, 0, len(conns))
	for _, sc := range conns {
		if !slices.ContainsFunc(out, func(o *shardConn) bool { return o.conn == sc.conn }) {
			out = append(out, sc)
		}
	}
	return out
}

// runAtOnce runs on each connection of conns, once, the statement sqlFor
// gives it ("" for none), sent to all before any reply is read, so the
// shards run them side by side (backend.QueryEach): for statements whose
// outcome on one shard does not decide whether the next runs (START
// TRANSACTION, SAVEPOINT, ROLLBACK). It returns the first that failed.
func runAtOnce(conns []*shardConn, sqlFor func(*shardConn) string) (*shardConn, error) {
	on, errs := queryAtOnce(conns, sqlFor)
	for i, err := range errs {
		if err != nil {
			return on[i], err
		}
	}
	return nil, nil
}

// queryAtOnce is runAtOnce's work: the connections that ran a statement,
// and each one's outcome.
func queryAtOnce(conns []*shardConn, sqlFor func(*shardConn) string) (on []*shardConn, errs []error) {
	var bconns []*backend.Conn
	var sqls []string
	for _, sc := range distinctConns(conns) {
		if sql := sqlFor(sc); sql != "" {
			on, bconns, sqls = append(on, sc), append(bconns, sc.conn), append(sqls, sql)
		}
	}
	return on, backend.QueryEach(bconns, sqls)
}

// each is runAtOnce's sqlFor that gives every connection sql.
func each(sql string) func(*shardConn) string { return func(*shardConn) string { return sql } }

// runOnEach runs sql on every connection in turn, stopping at the first
// that fails, which it returns with the error.
func runOnEach(conns []*shardConn, sql string) (*shardConn, error) {
	for _, sc := range conns {
		if err := sc.conn.SimpleCommand(comQuery, sql); err != nil {
			return sc, err
		}
	}
	return nil, nil
}

// setInsertID makes id, a sequence's id Strata filled in, what
// LAST_INSERT_ID() says next: on last, the connection the client reads it
// from next, and on the connection the session is pinned to elsewhere
// (user variables), if any.
func (s *Session) setInsertID(last *backend.Conn, id int64) error {
	s.noteInsertID(last, uint64(id))
	if err := last.SimpleCommand(comQuery, fmt.Sprintf("DO LAST_INSERT_ID(%d)", id)); err != nil {
		return err
	}
	if s.pinned != nil && s.pinned != last {
		if err := s.pinned.SimpleCommand(comQuery, fmt.Sprintf("DO LAST_INSERT_ID(%d)", id)); err != nil {
			s.pinned.Broken = true
		}
	}
	return nil
}

// writeOK answers a write over shards. The OK carries the info line one
// server would send (okInfo) after the counts, length-encoded as MariaDB
// sends it: the mariadb client prints it, mysqli_info() returns it. The reply follows the client's last packet: the
// command, or a LOAD DATA file's end.
func (s *Session) writeOK(f *sqlparse.Facts, affected, insertID uint64, warnings uint16, info string) error {
	if f.Kind != sqlparse.KindLoadData {
		s.client.Seq = s.answerSeq()
	}
	ok := wire.AppendOK(nil, wire.HeaderOK, affected, insertID, s.Status(), warnings)
	if info != "" {
		ok = append(wire.AppendLenEnc(ok, uint64(len(info))), info...)
	}
	return s.client.WriteFlush(ok)
}

// releaseWrite returns a write's connections; after a success the last one
// stays sticky so LAST_INSERT_ID() and ROW_COUNT() read it, and in a
// client transaction the connection stays pinned.
func (s *Session) releaseWrite(conns []*shardConn, ok bool) {
	s.activeShards.Store(nil) // before they go back to the pools
	for i, sc := range conns {
		switch {
		case !sc.owned:
			if sc.pinned && sc.conn.Broken {
				s.pinned, s.inTx = nil, false
				s.put(sc.conn)
			}
		case ok && (s.inTx || !s.autocommit) && s.pinned == nil && !sc.conn.Broken:
			s.pinned = sc.conn
			s.inTx = true
		case ok && i == len(conns)-1 && !sc.conn.Broken:
			if s.sticky != nil {
				s.put(s.sticky)
			}
			s.sticky = sc.conn
		default:
			s.put(sc.conn)
		}
	}
}

// writeAcross runs an autocommit write over several clusters as one
// transaction across them (transactions.mode: twopc): the first cluster's
// connection coordinates, the others are XA branches, and the write
// commits on all or none (commitCross). conns hold one connection per
// cluster; routes of one cluster run on it one after another.
func (s *Session) writeAcross(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, start time.Time, work shardWork, tp *TwoPhase) error {
	defer s.noteTxStatement(f)
	defer s.running(conns)()
	s.spanningWrite.Store(true)
	defer s.spanningWrite.Store(false)
	t := &crossTx{tp: tp, coord: conns[0].conn, branches: map[string]*backend.Conn{}}
	release := func() {
		if t.coord != nil {
			s.put(t.coord)
		}
		s.activeShards.Store(nil)
		s.env.Metrics.ObserveError("backend")
	}
	giveBack := func(werr error) error {
		release()
		return s.WriteError(werr)
	}
	coordinator := conns[0].route.Cluster
	if err := tp.Resolver.Ensure(ctx, coordinator); err != nil {
		for _, sc := range conns[1:] {
			if sc.owned {
				s.put(sc.conn)
			}
		}
		return giveBack(errNoBackend("Strata: cannot start a write across clusters: %v", rootCause(err)))
	}
	t.xid = twophase.XID{Gtrid: tp.Gtrids.Next(), Coordinator: coordinator}
	if err := s.beginCross(t, conns); err != nil {
		return giveBack(err)
	}
	w, failed, err := work(ctx, conns)
	if err == nil && s.guessing {
		if touched, matched, merr := matchedConns(f, conns, w); merr != nil || !s.foundGuessedRows(touched, matched) {
			// An IN list's rows not all on the shards they were last
			// seen on: undone, it runs again on every shard (locate.go).
			s.abortCross(t)
			s.put(t.coord)
			s.activeShards.Store(nil)
			return errGuessMissed
		}
	}
	if err != nil {
		if failed != nil {
			s.markBroken(failed, err)
			err = shardError(failed.route.Cluster, clientRowError(failed, err))
		}
		s.abortCross(t)
		s.env.Metrics.TwoPhase("rolled_back")
		if lost := (*backend.ClientError)(nil); errors.As(err, &lost) {
			release()
			return err // as in writeShards: close the client
		}
		return giveBack(err)
	}
	if w.warnings > 0 {
		s.noteShardWarnings(s.collectWarnings(ctx, warned(plan, conns)), uint64(w.warnings)) // before the commit clears them
	}
	if _, werr := s.commitCross(ctx, t); werr != nil {
		return giveBack(werr)
	}
	return s.answerCommittedCross(f, plan, conns, w, t.coord, start)
}

// answerCommittedCross learns from, counts and answers a write across
// clusters that committed everywhere.
func (s *Session) answerCommittedCross(f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, w writeResult, coord *backend.Conn, start time.Time) error {
	if s.locate != nil || s.locateEach != nil {
		if touched, matched, err := matchedConns(f, conns, w); err == nil {
			s.noteWriteLocations(touched, matched)
		}
	}
	s.learnPlaces(plan)
	s.learnUpdated(f, plan, conns, w)
	// The id a sequence gave, else the first a server numbered (a
	// reference table's first copy's).
	insertID := w.insertID
	if plan.InsertID > 0 {
		insertID = uint64(plan.InsertID)
	}
	// ROW_COUNT() reads the sum from the session (no server counted it).
	s.rowCount, s.rowCountState = int64(w.affected), 2
	s.activeShards.Store(nil)
	s.keepCoordinator(coord, insertID)
	s.invalidate(f)
	s.observeSharded(f, "shard_write", plan, time.Since(start))
	for _, sc := range conns {
		s.env.Metrics.ShardQuery(sc.route.Cluster, "write")
	}
	return s.answerWrite(f, w, w.affected, insertID, w.warnings)
}

// beginCross begins the write across clusters t on every connection: a
// plain transaction on the coordinator's, an XA branch on the others'.
// When one fails it gives back the connections other than the
// coordinator's, aborts what began, and returns the error for the client.
func (s *Session) beginCross(t *crossTx, conns []*shardConn) error {
	for i, sc := range conns {
		if !sc.owned {
			continue // a further route on a connection already begun
		}
		begin := "START TRANSACTION"
		if i > 0 {
			begin = twophase.Start(t.xid)
		}
		if err := sc.conn.SimpleCommand(comQuery, begin); err != nil {
			s.markBroken(sc, err)
			for _, rest := range conns[max(i, 1):] { // the coordinator is the caller's
				if rest.owned {
					s.put(rest.conn) // not begun, or broken
				}
			}
			s.abortCross(t)
			return shardError(sc.route.Cluster, err)
		}
		if i > 0 {
			t.branches[sc.route.Cluster] = sc.conn
		}
	}
	return nil
}
