package session

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// execWrite runs a write on every route, each in its own transaction on
// its shard's primary, and commits them together once all succeeded: a
// failure before the commits leaves no shard changed. Inside a client
// transaction (one cluster, checked before) the write runs on the pinned
// connection and commits with the client's COMMIT.
func (s *Session) execWrite(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan) error {
	start := time.Now()
	conns, err := s.takeConns(ctx, plan.Routes, true, false)
	if err != nil {
		return s.WriteError(err)
	}
	defer s.noteTxStatement(f)
	defer s.running(conns)()
	inClientTx := s.inTx || !s.autocommit
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
