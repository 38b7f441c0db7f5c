package session

import (
	"context"
	"errors"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/wire"
)

// shardConn is a backend connection taken for one route of a plan.
type shardConn struct {
	route  planner.ShardRoute
	conn   *backend.Conn
	owned  bool // returned to the pool afterwards (by the first route using it)
	pinned bool // the session's pinned connection
	shared bool // several routes run on this connection, one after another
	// sent are the client's rows a LOAD DATA sent this route, where it
	// got some of them (clientRow).
	sent *sentRows
	// ahead holds the route's whole answer, read before the merge began
	// (a narrowing locking read, narrowread.go); nil: the merge reads it.
	ahead []engine.Row
	// wait is what the replica must apply before the route reads it
	// (consistentRead), until awaitShards has waited for it.
	wait *gtidWait
}

// takeConns gets one connection per route: in a transaction the pinned
// one for its cluster, a primary for writes, in transactions and on a
// moving table (Session.fenced), else a replica of the cluster's default
// pool. Routes share a connection when
// they must run in one transaction, or when a walk reads them one after
// another (shareByCluster); shared connections are marked so the merge
// reads their routes one at a time.
func (s *Session) takeConns(ctx context.Context, routes []planner.ShardRoute, write, shareByCluster bool) ([]*shardConn, error) {
	s.forgetPrevious() // several connections answer this statement
	snap := s.env.Topology.Load()
	inTx := s.inTx || !s.autocommit
	// Temporary tables live on the pinned connection and hide tables of
	// their name there: a read of its cluster (the rows of an unplaced
	// table a join pulls) must run on it, as in a transaction.
	onPinned := inTx || s.pinned != nil && s.holds["temporary tables"]
	var out []*shardConn
	byCluster := map[string]*shardConn{}
	for _, r := range routes {
		if first := byCluster[r.Cluster]; first != nil && (shareByCluster || onPinned) {
			first.shared = true
			out = append(out, &shardConn{route: r, conn: first.conn, shared: true})
			continue
		}
		sc, err := s.takeConn(ctx, snap, r, write || inTx || s.fenced, onPinned)
		if err != nil {
			s.giveBack(out)
			return nil, err
		}
		byCluster[r.Cluster] = sc
		out = append(out, sc)
	}
	if err := s.awaitShards(ctx, out); err != nil {
		s.giveBack(out)
		return nil, err
	}
	return out, nil
}

// awaitShards runs the waits the replicas taken for a read over shards
// need before they read (consistentRead) side by side, one round trip for
// all of them rather than one per shard. A replica that has not applied
// what the read must see gives way to its shard's primary, for every
// route that shares it.
func (s *Session) awaitShards(ctx context.Context, out []*shardConn) error {
	var waiting []*shardConn
	var conns []*backend.Conn
	var sqls []string
	for _, sc := range out {
		if sc.wait != nil {
			waiting = append(waiting, sc)
			conns = append(conns, sc.conn)
			sqls = append(sqls, s.waitSQL(sc.conn, sc.wait))
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	values, errs := backend.QueryValues(conns, sqls)
	var failed error
	for i, sc := range waiting {
		w, replica := sc.wait, sc.conn
		sc.wait = nil
		applied := errs[i] == nil && values[i] == "0"
		s.waited(replica, w, applied, false)
		if applied {
			continue
		}
		cl := s.env.Topology.Load().Cluster(sc.route.Cluster)
		rt, err := s.readOnPrimary(ctx, route{conn: replica}, cl, false)
		for _, other := range out {
			if other.conn != replica {
				continue
			}
			if err != nil {
				other.owned = false // given back already (readOnPrimary)
				continue
			}
			other.conn = rt.conn
		}
		if err != nil && failed == nil {
			failed = errNoBackend("Strata: shard %s: %v", sc.route.Cluster, rootCause(err))
		}
	}
	return failed
}

// takeConn gets the connection of one route. onPinned: the session's
// pinned connection (or its transaction's branch) serves the route's
// cluster, in a transaction or for the temporary tables it holds.
func (s *Session) takeConn(ctx context.Context, snap *topology.Snapshot, r planner.ShardRoute, primary, onPinned bool) (*shardConn, error) {
	cl := snap.Cluster(r.Cluster)
	if cl == nil || cl.Primary == nil {
		return nil, errNoBackend("Strata: shard %s is not a configured cluster", r.Cluster)
	}
	if onPinned && s.pinned != nil && s.pinned.Addr == cl.Primary.Addr {
		if err := s.inStep(s.pinned); err != nil {
			return nil, shardError(r.Cluster, err)
		}
		return &shardConn{route: r, conn: s.pinned, pinned: true}, nil
	}
	if b := s.branches[r.Cluster]; onPinned && b != nil {
		// The transaction's branch there: its statements, reads included,
		// see the transaction's own rows. Handed back at its end.
		if err := s.inStep(b); err != nil {
			return nil, shardError(r.Cluster, err)
		}
		return &shardConn{route: r, conn: b}, nil
	}
	if primary {
		c, cl, err := s.connectPrimary(ctx, cl)
		if err != nil {
			return nil, errNoBackend("Strata: shard %s: primary %s is unreachable (%v)", r.Cluster, cl.Primary.Addr, rootCause(err))
		}
		return &shardConn{route: r, conn: c, owned: true}, nil
	}
	rt, err := s.acquireReplica(ctx, cl, cl.DefaultPool, "", nil)
	if err == nil {
		// What the read must see (consistency: session or global) may
		// not be on this replica yet: takeConns waits for it on every
		// shard at once (awaitShards), else the shard's primary reads.
		rt, err = s.consistentRead(ctx, rt, "", true)
	}
	if err != nil {
		return nil, errNoBackend("Strata: shard %s: %v", r.Cluster, rootCause(err))
	}
	return &shardConn{route: r, conn: rt.conn, owned: true, wait: rt.wait}, nil
}

// giveBack returns the connections a plan took: each owned one once; a
// pinned one only when it broke (the transaction on it is lost).
// running publishes a plan's connections for KILL QUERY until done is called.
func (s *Session) running(conns []*shardConn) (done func()) {
	list := make([]*backend.Conn, 0, len(conns))
	for _, sc := range conns {
		if !sc.shared || sc.owned || sc.pinned {
			list = append(list, sc.conn)
		}
	}
	s.activeShards.Store(&list)
	return func() { s.activeShards.Store(nil) }
}

func (s *Session) giveBack(conns []*shardConn) {
	for _, sc := range conns {
		switch {
		case sc.owned:
			s.put(sc.conn)
		case sc.pinned && sc.conn.Broken && s.pinned == sc.conn:
			s.pinned = nil
			s.inTx = false
			s.put(sc.conn)
		}
	}
}

func anyShared(conns []*shardConn) bool {
	for _, sc := range conns {
		if sc.shared {
			return true
		}
	}
	return false
}

// shardError names the shard that failed; a server's own SQL error keeps
// its code so the client sees what the server said.
func shardError(cluster string, err error) error {
	var werr *wire.Error
	if errors.As(err, &werr) {
		return &wire.Error{Code: werr.Code, State: werr.State, Message: werr.Message + " (on shard " + cluster + ")"}
	}
	var se *engine.SourceError
	if errors.As(err, &se) {
		cluster = se.Source
		err = se.Err
		if errors.As(err, &werr) {
			return &wire.Error{Code: werr.Code, State: werr.State, Message: werr.Message + " (on shard " + cluster + ")"}
		}
	}
	return errNoBackend("Strata: shard %s failed during the query (%v); no partial answer was sent", cluster, rootCause(err))
}

func (s *Session) markBroken(sc *shardConn, err error) {
	s.noteDeadlock(err)
	s.markLost(sc.conn, err)
}

// readShard runs sql, a statement Strata asks for its own use (EXPLAIN,
// SHOW TABLE STATUS), on the route's connection and reads its whole
// answer. A failure names the shard; one that is not the server's own
// answer leaves the connection lost.
func (s *Session) readShard(ctx context.Context, sc *shardConn, sql string) (*backend.Rows, []engine.Row, error) {
	rows, err := sc.conn.QueryRows(ctx, sql)
	var got []engine.Row
	if err == nil {
		got, err = readAll(ctx, rows)
	}
	if err != nil {
		var werr *wire.Error
		if !errors.As(err, &werr) {
			s.markBroken(sc, err)
		}
		return nil, nil, shardError(sc.route.Cluster, err)
	}
	return rows, got, nil
}
