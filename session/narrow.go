package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// A transaction stays on one shard (transactions.mode: single). An ORM
// saves a model by its primary key inside a transaction of its own
// (Rails' save and destroy, Django's atomic blocks, a Laravel
// DB::transaction): BEGIN, UPDATE t SET ... WHERE id = ?, COMMIT. Where
// the table is sharded by another column, that UPDATE needs every shard,
// and a transaction that may only write one would refuse it, though the
// row it changes lives on one. And an ORM wraps one write of many rows in
// a transaction too (Django's bulk_create and QuerySet.delete), which
// then needs several shards as the same write in autocommit does.
//
// So the first write of a transaction that has run nothing yet, if it
// needs several shards, runs on each of them in a transaction there:
//   - where it changed (or, an UPDATE, matched) rows on one shard at most,
//     the others are rolled back (they changed nothing, and so lose
//     nothing) and the client's transaction goes on on that shard, as if
//     the statement had named its shard key;
//   - where it changed rows on several, the transaction holds them all
//     (Session.spread), and may only end: COMMIT commits the statement on
//     each shard, as the same statement in autocommit commits, ROLLBACK
//     undoes it, and any other statement is refused, since it would make
//     a transaction of several statements over several shards, which
//     only transactions.mode: twopc commits all or nothing.
//
// A later write of the transaction that needs several shards (a second
// model saved by its key) runs so too: where it changed rows only on the
// transaction's shard, the others are rolled back and it stands; where it
// changed rows elsewhere, it is undone alone (a savepoint before it on the
// transaction's shard) and refused.

// With transactions.mode twopc a transaction may write several shards,
// each an XA branch, prepared and committed together. An ORM's save by
// primary key would make every shard a branch, for the one row it
// changes: four XA PREPAREs and COMMITs and a logged decision, where one
// COMMIT would do. So under twopc a transaction's statements narrow too,
// until it has joined a branch: where a statement's rows are on the
// transaction's shard (or, for its first, on one shard, or none), the
// transaction goes on there as a plain one. Where they are elsewhere, the
// statement is undone alone (errWidenAcross) and runs again as a
// transaction across the shards, as it would have without narrowing.

// errWidenAcross: under twopc a narrowing statement touched rows beyond
// the transaction's shard (a first one: on several shards), or would move
// a row to another shard, and was undone; it runs again across them.
var errWidenAcross = errors.New("the statement's rows are beyond the transaction's shard: run it again as a transaction across the shards")

// narrowKind is how a write or locking read of a transaction runs on
// several shards to find its rows (see above; narrowread.go).
type narrowKind int

const (
	notNarrowed narrowKind = iota
	// narrowFresh: the transaction's first statement; it goes on where the
	// write changed rows.
	narrowFresh
	// narrowInTx: a later statement; the transaction stays on its shard,
	// and the write may change rows there only.
	narrowInTx
)

// narrows says whether plan, a write of a transaction that needs several
// shards, may run tentatively on them (see above), and how.
func (s *Session) narrows(f *sqlparse.Facts, plan *planner.ShardPlan) narrowKind {
	switch f.Kind {
	case sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindInsert, sqlparse.KindReplace:
		if !plan.Write {
			return notNarrowed
		}
	case sqlparse.KindSelect:
		if !lockingRead(f) || plan.Write || !rowsSayWhatLocked(plan) {
			return notNarrowed
		}
	default:
		return notNarrowed
	}
	if len(plan.Clusters()) < 2 || plan.Copies || plan.LimitWalk || len(plan.Unique) > 0 || f.ImplicitCommit {
		return notNarrowed
	}
	if len(s.branches) > 0 {
		return notNarrowed // a transaction across clusters already: it joins more
	}
	if s.twoPhase() && plan.Returning {
		// Under twopc a narrowing statement may still widen to a
		// transaction across shards (errWidenAcross) and run again, so it
		// must not have sent the client anything: RETURNING rows it would
		// have.
		return notNarrowed
	}
	return s.narrowingOf(f)
}

// narrowingOf is how a statement of the session's transaction that needs
// several shards narrows, as far as the session's state goes.
func (s *Session) narrowingOf(f *sqlparse.Facts) narrowKind {
	switch {
	case s.inTx && s.txFresh && s.pinned != nil && s.onlyTxSettingsHeld(): // BEGIN ran on the pinned connection, nothing since
		return narrowFresh
	case !s.inTx && !s.autocommit && s.onlyTxSettingsHeld(): // autocommit off: the statement begins the transaction
		return narrowFresh
	case s.inTx && !s.txFresh && s.pinned != nil && !usesSessionState(f) && !s.holds["temporary tables"]:
		// The other shards run the statement without the session's
		// state, which it must not read.
		return narrowInTx
	}
	return notNarrowed
}

// rowsSayWhatLocked reports whether a locking read's rows on a shard tell
// whether it locked rows there: not for an aggregate without GROUP BY,
// which answers a row on every shard, found rows or not.
func rowsSayWhatLocked(plan *planner.ShardPlan) bool {
	return plan.Kind == planner.PlanMerge && (plan.Select == nil || !plan.Select.Aggregated || len(plan.Select.GroupBy) > 0)
}

// onlyTxSettingsHeld reports whether the session keeps nothing on its
// pinned connection but SET TRANSACTION's settings, which it replays.
func (s *Session) onlyTxSettingsHeld() bool {
	for hold := range s.holds {
		if hold != "next transaction settings" {
			return false
		}
	}
	return true
}

// txBeginText is the statement that begins the client's transaction on
// another connection: the one that began it, or for a transaction that
// autocommit off begins, START TRANSACTION.
func (s *Session) txBeginText() string {
	if !s.inTx || s.txBegin == "" {
		return "START TRANSACTION"
	}
	return s.txBegin
}

// beginTentative starts the client's transaction on each connection of a
// narrowing write but the pinned one, where it began: its SET TRANSACTION
// settings, then the statement that began it.
func (s *Session) beginTentative(ctx context.Context, conns []*shardConn) (*shardConn, error) {
	for _, sc := range distinctConns(conns) {
		if sc.conn == s.pinned {
			continue
		}
		for _, set := range s.nextTx {
			sc.conn.NeedsReset = true
			if _, err := sc.conn.Exec(ctx, set); err != nil {
				return sc, err
			}
		}
	}
	return runAtOnce(conns, func(sc *shardConn) string {
		switch {
		case sc.conn != s.pinned:
			return s.txBeginText()
		case s.narrowing == narrowInTx:
			// Where the statement began, to undo it alone if it turns
			// out to change rows of other shards too.
			return "SAVEPOINT " + statementSavepoint
		}
		return "" // the client's transaction began there
	})
}

// narrowTo decides where a narrowing write's transaction goes on: the
// connections whose statements changed or matched rows, of which it
// rolls the others back. keep is the one where only one did; spread are
// those where several did. Where none did, both are nil and it rolls back
// nothing: the caller undoes all (undoNarrowing).
func (s *Session) narrowTo(f *sqlparse.Facts, conns []*shardConn, w writeResult) (keep *shardConn, spread []*shardConn, err error) {
	touched, matched, err := matchedConns(f, conns, w)
	if err != nil {
		return nil, nil, err
	}
	if s.locateEach != nil {
		s.noteWriteLocations(touched, matched) // (settleNarrowing notes locate's)
	}
	return s.settleNarrowing(f, conns, touched)
}

// settleNarrowing is narrowTo once it knows the connections whose
// statements touched rows (a write changed or matched them, a locking
// read found them).
func (s *Session) settleNarrowing(f *sqlparse.Facts, conns, touched []*shardConn) (keep *shardConn, spread []*shardConn, err error) {
	s.noteLocation(touched)
	if s.narrowing == narrowInTx {
		return s.narrowInTx(f, conns, touched)
	}
	if len(touched) == 0 {
		s.countNarrowed(f, "first_no_rows")
		return nil, nil, nil
	}
	if len(touched) > 1 && s.widens {
		s.countNarrowed(f, "widened_across")
		return nil, nil, errWidenAcross
	}
	rollBackOthers(conns, touched)
	if len(touched) == 1 {
		s.countNarrowed(f, "first_one_shard")
		return touched[0], nil, nil
	}
	s.countNarrowed(f, "first_several_shards")
	return nil, touched, nil
}

// countNarrowed counts how a narrowing statement ended, for the operator.
func (s *Session) countNarrowed(f *sqlparse.Facts, outcome string) {
	if lockingRead(f) {
		s.env.Metrics.TxLockingReadByRows(outcome)
		return
	}
	s.env.Metrics.TxWriteByRows(outcome)
}

// narrowInTx is narrowTo for a later statement of the transaction: where
// it changed rows only on the transaction's own shard (or none), the
// others are rolled back and keep is the transaction's connection, if the
// statement ran there; else the error the client gets.
func (s *Session) narrowInTx(f *sqlparse.Facts, conns []*shardConn, touched []*shardConn) (keep *shardConn, spread []*shardConn, err error) {
	if err := s.touchedElsewhere(f, touched); err != nil {
		return nil, nil, err
	}
	for _, sc := range conns {
		if sc.conn == s.pinned {
			keep = sc
		}
	}
	var own []*shardConn
	if keep != nil {
		own = []*shardConn{keep}
	}
	rollBackOthers(conns, own)
	s.countNarrowed(f, "later_own_shard")
	return keep, nil, nil
}

// touchedElsewhere refuses a later statement of the transaction that
// touched rows of shards other than the transaction's (counted as
// later_refused); nil when it did not.
func (s *Session) touchedElsewhere(f *sqlparse.Facts, touched []*shardConn) error {
	var elsewhere []string
	for _, sc := range touched {
		if sc.conn != s.pinned {
			elsewhere = append(elsewhere, sc.route.Cluster)
		}
	}
	if len(elsewhere) == 0 {
		return nil
	}
	if s.widens {
		s.countNarrowed(f, "widened_across")
		return errWidenAcross
	}
	s.countNarrowed(f, "later_refused")
	what := "this " + strings.ToUpper(f.Kind.String()) + " changed rows"
	if lockingRead(f) {
		what = "this locking read found rows"
	}
	return wire.NewError(wire.ErNotSupportedYet, "Strata: %s on %s, and the open transaction is on cluster %s: a transaction stays on one shard, so the statement was undone, and the transaction keeps what it did before. Run it outside the transaction, add the shard key%s",
		what, strings.Join(elsewhere, ", "), s.env.Topology.Load().PrimaryOf(s.pinned.Addr), twoPCHint(true))
}

// rollBackOthers rolls back the connections of conns that are not among
// kept: their part of the statement changed no rows. One whose ROLLBACK
// fails is dropped (Broken), which ends its transaction on the server as
// surely: nothing there is the client's.
func rollBackOthers(conns, kept []*shardConn) {
	endEach(conns, func(sc *shardConn) string {
		if hasConn(kept, sc.conn) {
			return ""
		}
		return "ROLLBACK"
	})
}

// endEach runs on each connection of conns the statement that ends its
// part (endFor; "" for none), side by side (backend.QueryEach), and drops
// (Broken) each where it failed, which ends its transaction on the
// server as surely.
func endEach(conns []*shardConn, endFor func(*shardConn) string) {
	on, errs := queryAtOnce(conns, func(sc *shardConn) string {
		if sc.conn.Broken {
			return ""
		}
		return endFor(sc)
	})
	for i, err := range errs {
		if err != nil {
			on[i].conn.Broken = true
		}
	}
}

// hasConn reports whether one of conns runs on c.
func hasConn(conns []*shardConn, c *backend.Conn) bool {
	return slices.ContainsFunc(conns, func(sc *shardConn) bool { return sc.conn == c })
}

// failNarrowing ends a narrowing write that failed (on sc, when a shard
// failed), or that must be refused: the shards' own transactions are
// rolled back, and the client's transaction is left as before the
// statement (begun again where it was fresh, back to the statement's
// savepoint where it was not).
func (s *Session) failNarrowing(conns []*shardConn, sc *shardConn, err error) error {
	var lost *backend.ClientError
	if sc != nil {
		s.markBroken(sc, err)
		err = shardError(sc.route.Cluster, clientRowError(sc, err))
	}
	s.unwindNarrowing(conns)
	s.env.Metrics.ObserveError("backend")
	if errors.As(err, &lost) {
		return err
	}
	return s.WriteError(err)
}

// unwindNarrowing rolls back a narrowing statement on each of its shards
// and gives their connections back, leaving the client's transaction as
// before the statement.
func (s *Session) unwindNarrowing(conns []*shardConn) {
	endEach(conns, func(sc *shardConn) string {
		if sc.conn == s.pinned && s.narrowing == narrowInTx {
			return "ROLLBACK TO SAVEPOINT " + statementSavepoint
		}
		return "ROLLBACK"
	})
	if s.narrowing == narrowFresh {
		s.restoreFreshTx(conns)
	}
	s.releaseWrite(conns, false)
}

// undoNarrowing rolls back a narrowing write that matched no rows on any
// shard, and begins the client's transaction again where it was, so the
// transaction stays as fresh as before: free to go to the shard of its
// next statement, as on one server it may write any row next.
func (s *Session) undoNarrowing(conns []*shardConn) error {
	if sc, err := runAtOnce(conns, each("ROLLBACK")); err != nil {
		return fmt.Errorf("ending the statement that matched no rows on %s: %w", sc.route.Cluster, err)
	}
	s.restoreFreshTx(conns)
	return nil
}

// releaseNarrowed gives back a narrowed write's connections but those
// that hold the client's transaction from now on: keep, or spread. The
// connection the transaction began on, if another, ends its empty
// transaction and goes back too.
func (s *Session) releaseNarrowed(conns []*shardConn, keep *shardConn, spread []*shardConn) {
	s.activeShards.Store(nil)
	held := spread
	if keep != nil {
		held = []*shardConn{keep}
	}
	if old := s.pinned; old != nil && !hasConn(held, old) {
		if !hasConn(conns, old) {
			if err := old.SimpleCommand(comQuery, "ROLLBACK"); err != nil {
				old.Broken = true
			}
		}
		old.NeedsReset = true
		s.pinned = nil
		s.put(old)
	}
	for _, sc := range distinctConns(conns) {
		if !hasConn(held, sc.conn) && sc.owned {
			s.put(sc.conn)
		}
	}
	s.inTx = true
	if keep != nil {
		s.pinned = keep.conn
		return
	}
	for _, sc := range held {
		sc.conn.NeedsReset = true // it holds the session's transaction
	}
	s.pinned, s.spread = nil, held
}

// endsSpread answers a statement of a transaction whose first statement
// changed rows on several shards (Session.spread): a plain COMMIT or
// ROLLBACK ends it on each of them; anything else is refused, the
// transaction left as it is.
func (s *Session) endsSpread(stmts []*sqlparse.Facts) error {
	f := stmts[0]
	var end string
	switch {
	case len(stmts) == 1 && f.Kind == sqlparse.KindCommit && plainEnd(f.Text, "COMMIT"):
		end = "COMMIT"
	case len(stmts) == 1 && f.Kind == sqlparse.KindRollback && plainEnd(f.Text, "ROLLBACK"):
		end = "ROLLBACK"
	default:
		return s.refuse(wire.NewError(wire.ErNotSupportedYet,
			"Strata: this transaction's first statement changed rows on %s, and a transaction stays on one shard: it can only end now. COMMIT commits that statement on each shard, as it would commit in autocommit, and ROLLBACK undoes it; then run this statement. transactions.mode: twopc in Strata's config lets a transaction write several clusters",
			strings.Join(s.spreadClusters(), ", ")))
	}
	if werr := s.endSpread(end); werr != nil {
		s.env.Metrics.ObserveError("backend")
		return s.WriteError(werr)
	}
	s.client.Seq = s.answerSeq()
	return s.WriteOK()
}

// spreadClusters names the shards of Session.spread.
func (s *Session) spreadClusters() []string {
	names := make([]string, len(s.spread))
	for i, sc := range s.spread {
		names[i] = sc.route.Cluster
	}
	return names
}

// endSpread runs end (COMMIT or ROLLBACK) on each connection of
// Session.spread and gives them back. A COMMIT that fails on one shard
// rolls back those not yet committed, as a write over several shards in
// autocommit does, and says which had committed.
func (s *Session) endSpread(end string) *wire.Error {
	if s.spread == nil {
		return nil
	}
	var failed *wire.Error
	var committed []string
	for _, sc := range s.spread {
		run := end
		if failed != nil {
			run = "ROLLBACK"
		}
		err := sc.conn.SimpleCommand(comQuery, run)
		switch {
		case err != nil && failed == nil:
			sc.conn.Broken = true
			msg := fmt.Sprintf("Strata: %s failed on shard %s: %v", end, sc.route.Cluster, err)
			if len(committed) > 0 {
				msg += fmt.Sprintf("; %s had committed their part, the others were rolled back", strings.Join(committed, ", "))
			}
			failed = wire.NewError(wire.ErUnknownError, "%s", msg)
		case err != nil:
			sc.conn.Broken = true
		case run == "COMMIT":
			committed = append(committed, sc.route.Cluster)
		}
		s.put(sc.conn)
	}
	s.spread, s.inTx = nil, false
	return failed
}

// restoreFreshTx begins the client's transaction again on the pinned
// connection after a narrowing write that ran there was rolled back, so
// the transaction is open as before the statement.
func (s *Session) restoreFreshTx(conns []*shardConn) {
	p := s.pinned
	if !s.inTx || p == nil || p.Broken || !hasConn(conns, p) {
		return // with autocommit off and no transaction yet, the next statement begins one
	}
	if err := p.SimpleCommand(comQuery, s.txBeginText()); err != nil {
		p.Broken = true
		s.pinned, s.inTx = nil, false
		s.put(p)
	}
}

// matchedOn is the rows the statements on c matched: an UPDATE's "Rows
// matched" (rows it found, changed or not, which it holds locked), a
// DELETE's rows deleted.
func (w *writeResult) matchedOn(c *backend.Conn, update bool) (uint64, error) {
	var n uint64
	for _, r := range w.results {
		if r.conn != c {
			continue
		}
		m, err := matchedRows(r.res, update)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}
