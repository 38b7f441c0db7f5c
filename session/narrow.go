package session

import (
	"context"
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
// row it changes lives on one.
//
// So the first write of a transaction that has run nothing yet, an UPDATE
// or DELETE whose shards only its rows can tell, runs on each of its
// shards in a transaction there. Where it matched rows on one shard at
// most, the others are rolled back (they changed nothing, and so lose
// nothing) and the client's transaction goes on on that shard, as if the
// statement had named its shard key. Where it matched rows on several,
// all are rolled back and the statement is refused, with the transaction
// still open and nothing changed: the client can run it outside the
// transaction or with its shard key.

// narrowsFreshTx reports whether plan, a statement of a transaction that
// would be refused for needing several shards, may instead run
// tentatively on them (see above).
func (s *Session) narrowsFreshTx(f *sqlparse.Facts, plan *planner.ShardPlan) bool {
	if f.Kind != sqlparse.KindUpdate && f.Kind != sqlparse.KindDelete || !plan.Write || len(plan.Clusters()) < 2 ||
		plan.Copies || plan.Returning || plan.LimitWalk || plan.Move != nil || len(plan.Unique) > 0 || f.ImplicitCommit {
		return false
	}
	if s.twoPhase() || len(s.branches) > 0 || !s.onlyTxSettingsHeld() {
		return false // twopc writes several shards as one transaction; held state cannot follow the write to every shard
	}
	fresh := s.inTx && s.txFresh && s.pinned != nil     // BEGIN ran on the pinned connection, nothing since
	next := !s.inTx && !s.autocommit && s.pinned == nil // autocommit off: the statement begins the transaction
	return fresh || next
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
		if err := sc.conn.SimpleCommand(comQuery, s.txBeginText()); err != nil {
			return sc, err
		}
	}
	return nil, nil
}

// narrowTo decides where a narrowing write's transaction goes on: the
// connection whose statement matched rows, and rolls the others back.
// Where none matched, it returns nil and rolls back nothing: the caller
// undoes all (undoNarrowing). Where several matched, it returns the error
// the client gets, and the caller rolls back all.
func (s *Session) narrowTo(f *sqlparse.Facts, conns []*shardConn, w writeResult) (*shardConn, error) {
	var matched []*shardConn
	for _, sc := range distinctConns(conns) {
		n, err := w.matchedOn(sc.conn, f.Kind == sqlparse.KindUpdate)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			matched = append(matched, sc)
		}
	}
	switch len(matched) {
	case 0:
		return nil, nil
	case 1:
	default:
		var names []string
		for _, sc := range matched {
			names = append(names, sc.route.Cluster)
		}
		return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: this %s matched rows on %s, and a transaction stays on one shard: it was undone, and the transaction is still open with nothing changed. Run it outside the transaction, add the shard key%s",
			strings.ToUpper(f.Kind.String()), strings.Join(names, ", "), twoPCHint(true))
	}
	keep := matched[0]
	for _, sc := range distinctConns(conns) {
		if sc.conn == keep.conn {
			continue
		}
		if err := sc.conn.SimpleCommand(comQuery, "ROLLBACK"); err != nil {
			return sc, fmt.Errorf("ending the part of the statement that matched no rows on %s: %w", sc.route.Cluster, err)
		}
	}
	return keep, nil
}

// undoNarrowing rolls back a narrowing write that matched no rows on any
// shard, and begins the client's transaction again where it was, so the
// transaction stays as fresh as before: free to go to the shard of its
// next statement, as on one server it may write any row next.
func (s *Session) undoNarrowing(conns []*shardConn) error {
	if sc, err := runOnEach(distinctConns(conns), "ROLLBACK"); err != nil {
		return fmt.Errorf("ending the statement that matched no rows on %s: %w", sc.route.Cluster, err)
	}
	s.restoreFreshTx(conns)
	return nil
}

// releaseNarrowed gives back a narrowed write's connections but keep,
// which holds the client's transaction from now on. The connection the
// transaction began on, if another, ends its empty transaction and goes
// back too.
func (s *Session) releaseNarrowed(conns []*shardConn, keep *shardConn) {
	s.activeShards.Store(nil)
	if old := s.pinned; old != nil && old != keep.conn {
		if !slices.ContainsFunc(conns, func(sc *shardConn) bool { return sc.conn == old }) {
			if err := old.SimpleCommand(comQuery, "ROLLBACK"); err != nil {
				old.Broken = true
			}
		}
		old.NeedsReset = true
		s.pinned = nil
		s.put(old)
	}
	for _, sc := range distinctConns(conns) {
		if sc.conn != keep.conn && sc.owned {
			s.put(sc.conn)
		}
	}
	s.pinned, s.inTx = keep.conn, true
}

// restoreFreshTx begins the client's transaction again on the pinned
// connection after a narrowing write that ran there was rolled back, so
// the transaction is open as before the statement.
func (s *Session) restoreFreshTx(conns []*shardConn) {
	p := s.pinned
	if p == nil || p.Broken || !slices.ContainsFunc(conns, func(sc *shardConn) bool { return sc.conn == p }) {
		return
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
