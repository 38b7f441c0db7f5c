package session

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// A locking read narrows a transaction as a write does (narrow.go). An ORM
// locks a model by its primary key before it changes it: Rails' lock!
// (SELECT ... WHERE id = ? LIMIT 1 FOR UPDATE), Django's
// select_for_update().get(pk=...), which update_or_create sends, Laravel's
// lockForUpdate()->find(). Where the table is sharded by another column,
// that read needs every shard, and a transaction that stays on one would
// refuse it, though the row it locks lives on one.
//
// So it runs on each shard in a transaction there, as a narrowing write
// does, but its rows cannot go to the client as they come: until every
// shard has answered, Strata does not know whether the transaction may go
// on. Each shard's rows are read whole first (bounded by
// limits.max_merge_memory, as rows a merge holds), then:
//   - rows on one shard at most: they are answered, the other shards'
//     transactions rolled back (they found nothing, and so locked
//     nothing the client will see), and the client's transaction goes on
//     on that shard, or, with no rows anywhere, stays fresh;
//   - rows on several shards: nothing is answered, every shard is rolled
//     back, and the read is refused. A write that changed rows on several
//     shards may still COMMIT, as the same write in autocommit would; a
//     read that locked rows on several has nothing to commit, and what the
//     client meant to do next with them would be refused anyway;
//   - a later statement of the transaction that found rows on another
//     shard is undone alone and refused, as a later write is.

// execNarrowedRead runs a narrowing locking read (see above).
func (s *Session) execNarrowedRead(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	start := time.Now()
	conns, err := s.takeConns(ctx, s.unlimitedRoutes(plan.Routes), true, false)
	if err != nil {
		return s.WriteError(err)
	}
	defer s.running(conns)()
	// Its shards' locks stay until it settles, even where autocommit off
	// has not marked a transaction open yet: the deadlock detector may
	// end it.
	s.spanningWrite.Store(true)
	defer s.spanningWrite.Store(false)
	restore := func() {}
	fail := func(sc *shardConn, err error) error {
		restore()
		return s.failNarrowing(conns, sc, err)
	}
	limit, err := s.selectLimit(ctx, conns[0].conn, f)
	if err != nil {
		return fail(conns[0], err)
	}
	answer := mergeAnswer{binary: binary, start: start, limit: limit, charset: s.mergeCharset(plan, len(conns))}
	plan.Binary = binary
	if answer.charset != "" {
		if restore, err = s.readInUTF8(conns); err != nil {
			return fail(nil, err)
		}
	}
	if sc, err := s.beginTentative(ctx, conns); err != nil {
		return fail(sc, err)
	}
	rows, failed, err := s.readAhead(ctx, conns, "holding a locking read's rows until every shard has answered")
	if err != nil {
		s.closeRows(rows, conns)
		return fail(failed, err)
	}
	touched := foundRowsOn(conns)
	s.learnHeldRows(conns, rows)
	if s.guessing && !s.guessFound(conns) {
		// Not on the shards its rows were last seen on: undone there, it
		// runs again on every shard (locate.go).
		restore()
		s.unwindNarrowing(conns)
		return errGuessMissed
	}
	if err := s.lockedTooWide(f, touched); errors.Is(err, errWidenAcross) {
		restore()
		s.unwindNarrowing(conns)
		return err // unanswered: execPlan runs it again across the shards
	} else if err != nil {
		return fail(nil, err)
	}
	return s.answerNarrowedRead(ctx, f, plan, conns, rows, touched, answer, restore)
}

// answerNarrowedRead sends a narrowing read's rows, read ahead from every
// shard, and narrows the transaction to the shard that found them, if any.
// restore gives the connections their character sets back.
func (s *Session) answerNarrowedRead(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, rows []*backend.Rows, touched []*shardConn, answer mergeAnswer, restore func()) error {
	if err := s.mergeOpened(ctx, f, plan, conns, rows, answer); err != nil || s.foundRowsState != 2 {
		// The client went away, or got an error instead of the rows:
		// the read took nothing it saw.
		restore()
		s.unwindNarrowing(conns)
		return err
	}
	if plan.SumsFoundRows() {
		s.sumFoundRows(ctx, conns)
	}
	s.noteMergeWarnings(ctx, conns, rows) // before the shards that found nothing roll back
	restore()
	// lockedTooWide refused what settleNarrowing would: it cannot fail here.
	keep, _, _ := s.settleNarrowing(f, conns, touched)
	switch {
	case keep != nil:
		s.noteTxStatement(f)
		s.releaseNarrowed(conns, keep, nil)
	case s.narrowing == narrowInTx:
		s.releaseWrite(conns, false) // the others rolled back; the transaction is elsewhere
	default:
		if err := s.undoNarrowing(conns); err != nil {
			markAllBroken(conns)
		}
		s.releaseWrite(conns, false)
	}
	return nil
}

// readAhead runs each route of a narrowing locking read (or a read on its
// row's last shard, locate.go) and reads its whole answer into the
// route's shardConn (ahead), within the statement's memory budget
// (holding says what for, in the error when it runs out). The shards
// answer side by side, a goroutine each; routes that share a shard's
// connection (its period tables, in a transaction) run one after another
// on it. failed is the route whose shard failed, nil when the budget ran
// out.
func (s *Session) readAhead(ctx context.Context, conns []*shardConn, holding string) (rows []*backend.Rows, failed *shardConn, err error) {
	rows = make([]*backend.Rows, len(conns))
	errs := make([]error, len(conns))
	budget := s.statementBudget()
	if s.learning {
		// Rows held only to learn where they are are worth little of
		// the memory merges share: past learnHoldBytes the read streams
		// instead (execLearningRead).
		budget = engine.NewBudget("rows held to learn their shards", learnHoldBytes, budget)
	}
	var wg sync.WaitGroup
	for _, routes := range routesByConn(conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range routes {
				if rows[i], errs[i] = s.readRouteAhead(ctx, conns[i], budget, holding); errs[i] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		var over memoryLimit
		switch {
		case errors.As(err, &over):
			return rows, nil, over.err
		case err != nil:
			return rows, conns[i], err
		}
	}
	return rows, nil, nil
}

// memoryLimit is a route's read ahead stopped by the statement's budget,
// not by its shard.
type memoryLimit struct{ err error }

func (m memoryLimit) Error() string { return m.err.Error() }

// readRouteAhead runs sc's route and reads its rows into sc.ahead.
func (s *Session) readRouteAhead(ctx context.Context, sc *shardConn, budget *engine.Budget, holding string) (*backend.Rows, error) {
	if s.killing.Load() {
		return nil, wire.NewError(wire.ErQueryInterrupted, "Query execution was interrupted")
	}
	rows, err := sc.conn.QueryRows(ctx, sc.route.SQL)
	if err != nil {
		return nil, err
	}
	sc.ahead = []engine.Row{}
	for {
		row, err := rows.Next(ctx)
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		if err := budget.Take(engine.RowBytes(row), holding); err != nil {
			return rows, memoryLimit{memoryLimitError(err)}
		}
		sc.ahead = append(sc.ahead, row)
	}
}

// routesByConn groups the indexes of conns by connection, in order.
func routesByConn(conns []*shardConn) [][]int {
	var groups [][]int
	at := map[*backend.Conn]int{}
	for i, sc := range conns {
		g, ok := at[sc.conn]
		if !ok {
			g = len(groups)
			at[sc.conn] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// foundRowsOn is the connections of a narrowing read whose routes found
// rows, each once.
func foundRowsOn(conns []*shardConn) []*shardConn {
	var touched []*shardConn
	for _, sc := range conns {
		if len(sc.ahead) > 0 && !hasConn(touched, sc.conn) {
			touched = append(touched, sc)
		}
	}
	return touched
}

// lockedTooWide refuses a narrowing locking read before its rows are
// answered when they are on several shards (a first statement) or on
// another shard than the transaction's (a later one).
func (s *Session) lockedTooWide(f *sqlparse.Facts, touched []*shardConn) error {
	if s.narrowing == narrowInTx {
		return s.touchedElsewhere(f, touched)
	}
	if len(touched) < 2 {
		return nil
	}
	if s.widens {
		s.countNarrowed(f, "widened_across")
		return errWidenAcross
	}
	s.countNarrowed(f, "first_several_shards")
	names := make([]string, len(touched))
	for i, sc := range touched {
		names[i] = sc.route.Cluster
	}
	return wire.NewError(wire.ErNotSupportedYet, "Strata: this locking read, the transaction's first statement, found rows on %s, and a transaction stays on one shard, so it was undone and locks nothing. Lock the rows of one shard at a time (give the shard key), or run it outside the transaction%s",
		strings.Join(names, ", "), twoPCHint(true))
}

// markAllBroken drops connections whose state is no longer known.
func markAllBroken(conns []*shardConn) {
	for _, sc := range conns {
		sc.conn.Broken = true
	}
}
