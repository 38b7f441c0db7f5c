package session

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/twophase"
	"github.com/strata-proxy/strata/wire"
)

// execWrite runs a write on every route, each in its own transaction on
// its shard's primary, and commits them together once all succeeded: a
// failure before the commits leaves no shard changed. Inside a client
// transaction (one cluster, checked before) the write runs on the pinned
// connection and commits with the client's COMMIT.
func (s *Session) execWrite(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan) error {
	start := time.Now()
	inClientTx := s.inTx || !s.autocommit
	// With transactions.mode twopc a write over several clusters commits
	// on all of them or none, on one connection per cluster.
	across := s.twoPhase() && !inClientTx && len(plan.Clusters()) > 1
	conns, err := s.takeConns(ctx, plan.Routes, true, across)
	if err != nil {
		return s.WriteError(err)
	}
	if across {
		return s.writeAcross(ctx, f, plan, conns, start)
	}
	defer s.noteTxStatement(f)
	defer s.running(conns)()
	ownTx := len(conns) > 1 && !inClientTx
	var affected uint64
	var insertID uint64
	var warnings uint16
	fail := func(sc *shardConn, err error) error {
		s.markBroken(sc, err)
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
		return s.WriteError(shardError(sc.route.Cluster, err))
	}
	for _, sc := range conns {
		if ownTx {
			if err := sc.conn.SimpleCommand(comQuery, "START TRANSACTION"); err != nil {
				return fail(sc, err)
			}
		}
		res, err := sc.conn.Exec(ctx, sc.route.SQL)
		if err != nil {
			return fail(sc, err)
		}
		affected += res.AffectedRows
		warnings += res.Warnings
		if insertID == 0 && res.LastInsertID != 0 {
			insertID = res.LastInsertID
			s.noteInsertID(sc.conn, insertID)
		}
	}
	if ownTx {
		for _, sc := range conns {
			if err := sc.conn.SimpleCommand(comQuery, "COMMIT"); err != nil {
				return fail(sc, err)
			}
		}
	}
	if plan.InsertID > 0 {
		insertID = uint64(plan.InsertID)
		s.noteInsertID(conns[len(conns)-1].conn, insertID)
		// LAST_INSERT_ID() on the connection the client reads it from next.
		last := conns[len(conns)-1].conn
		if err := last.SimpleCommand(comQuery, fmt.Sprintf("DO LAST_INSERT_ID(%d)", plan.InsertID)); err != nil {
			return fail(conns[len(conns)-1], err)
		}
		// A session pinned elsewhere (user variables) reads it there.
		if s.pinned != nil && s.pinned != last {
			if err := s.pinned.SimpleCommand(comQuery, fmt.Sprintf("DO LAST_INSERT_ID(%d)", plan.InsertID)); err != nil {
				s.pinned.Broken = true
			}
		}
	}
	if len(conns) > 1 || plan.InsertID > 0 {
		// No connection's ROW_COUNT() is the statement's (each shard
		// counted its own; DO LAST_INSERT_ID() above reset one): the
		// next statement reads the sum from the session.
		s.rowCount, s.rowCountState = affected, 2
	}
	s.invalidate(f)
	s.releaseWrite(conns, true)
	s.observeSharded(f, "shard_write", plan, time.Since(start))
	for _, sc := range conns {
		s.env.Metrics.ShardQuery(sc.route.Cluster, "write")
	}
	s.client.Seq = 1
	return s.client.WriteFlush(wire.AppendOK(nil, wire.HeaderOK, affected, insertID, s.Status(), warnings))
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
func (s *Session) writeAcross(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, start time.Time) error {
	defer s.noteTxStatement(f)
	defer s.running(conns)()
	t := &crossTx{coord: conns[0].conn, branches: map[string]*backend.Conn{}}
	giveBack := func(werr error) error {
		if t.coord != nil {
			s.put(t.coord)
		}
		s.activeShards.Store(nil)
		s.env.Metrics.ObserveError("backend")
		return s.WriteError(werr)
	}
	coordinator := conns[0].route.Cluster
	if err := s.env.TwoPhase.Resolver.Ensure(ctx, coordinator); err != nil {
		for _, sc := range conns[1:] {
			if sc.owned {
				s.put(sc.conn)
			}
		}
		return giveBack(errNoBackend("Strata: cannot start a write across clusters: %v", rootCause(err)))
	}
	t.xid = twophase.XID{Gtrid: s.env.TwoPhase.Gtrids.Next(), Coordinator: coordinator}
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
			for _, rest := range conns[max(i, 1):] { // the coordinator goes in giveBack
				if rest.owned {
					s.put(rest.conn) // not begun, or broken
				}
			}
			s.abortCross(t)
			return giveBack(shardError(sc.route.Cluster, err))
		}
		if i > 0 {
			t.branches[sc.route.Cluster] = sc.conn
		}
	}
	var affected uint64
	var warnings uint16
	for _, sc := range conns {
		res, err := sc.conn.Exec(ctx, sc.route.SQL)
		if err != nil {
			s.markBroken(sc, err)
			s.abortCross(t)
			s.env.Metrics.TwoPhase("rolled_back")
			return giveBack(shardError(sc.route.Cluster, err))
		}
		affected += res.AffectedRows
		warnings += res.Warnings
	}
	if _, werr := s.commitCross(ctx, t); werr != nil {
		return giveBack(werr)
	}
	var insertID uint64
	if plan.InsertID > 0 {
		insertID = uint64(plan.InsertID)
		if err := t.coord.SimpleCommand(comQuery, fmt.Sprintf("DO LAST_INSERT_ID(%d)", plan.InsertID)); err != nil {
			t.coord.Broken = true
		} else {
			s.noteInsertID(t.coord, insertID)
		}
	}
	// ROW_COUNT() reads the sum from the session (no server counted it).
	s.rowCount, s.rowCountState = affected, 2
	s.activeShards.Store(nil)
	if s.sticky != nil {
		s.put(s.sticky)
	}
	s.sticky = t.coord // for LAST_INSERT_ID()
	if t.coord.Broken {
		s.sticky = nil
		s.put(t.coord)
	}
	s.invalidate(f)
	s.observeSharded(f, "shard_write", plan, time.Since(start))
	for _, sc := range conns {
		s.env.Metrics.ShardQuery(sc.route.Cluster, "write")
	}
	s.client.Seq = 1
	return s.client.WriteFlush(wire.AppendOK(nil, wire.HeaderOK, affected, insertID, s.Status(), warnings))
}
