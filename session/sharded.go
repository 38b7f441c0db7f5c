package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/wire"
)

// placed reports whether f touches a table the `tables:` config places
// (a table group, a sharded or a reference table).
func (s *Session) placed(f *sqlparse.Facts) bool {
	return s.env.Sharding != nil && s.env.Sharding.Touches(f)
}

// queryPlaced runs a COM_QUERY over placed tables.
func (s *Session) queryPlaced(ctx context.Context, sql string, parsed *planner.Parsed) error {
	if len(parsed.Statements) > 1 {
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: a multi-statement query that touches sharded or placed tables is not supported; send the statements one by one"))
	}
	f := parsed.Summary
	plan, err := s.env.Sharding.Plan(ctx, sql, f, nil)
	if err != nil {
		return s.refuseRouting(err)
	}
	return s.execPlan(ctx, f, plan, false)
}

// refuseRouting answers a statement the sharding planner would not route.
func (s *Session) refuseRouting(err error) error {
	var rerr *planner.RoutingError
	var werr *wire.Error
	var serr *sqlparse.SyntaxError
	switch {
	case errors.As(err, &rerr):
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: %s", rerr.Msg))
	case errors.As(err, &serr):
		return s.refuse(wire.NewError(wire.ErParse, "%s", serr.Msg))
	case errors.As(err, &werr):
		return s.refuse(werr)
	}
	return s.refuse(wire.NewError(wire.ErUnknownError, "Strata: %v", err))
}

// execPlan runs a plan. binary: the client ran a prepared statement and
// expects binary-protocol rows.
func (s *Session) execPlan(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	if err := s.checkTransaction(ctx, f, plan); err != nil {
		return s.refuseRouting(err)
	}
	switch {
	case plan.Kind == planner.PlanRelay && !binary:
		r := plan.Routes[0]
		s.dropForeignSticky(r.Cluster)
		packet := append([]byte{comQuery}, r.SQL...)
		return s.run(ctx, command{facts: f, stmts: []*sqlparse.Facts{f}, cluster: r.Cluster, cacheKey: "Q" + r.Cluster + "\x00" + r.SQL,
			do: func(c *backend.Conn, capture *backend.Capture) (backend.Result, error) {
				if err := c.Command(packet); err != nil {
					return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
				}
				return c.RelayCapture(s.client, s.caps&wire.ClientLocalFiles != 0, capture)
			}})
	case plan.Write || !f.ReadOnly && plan.Kind != planner.PlanMerge:
		return s.execWrite(ctx, f, plan)
	}
	return s.execMerge(ctx, f, plan, binary)
}

// checkTransaction keeps a transaction on one cluster. A transaction that
// has run nothing yet moves to the cluster of its first statement.
func (s *Session) checkTransaction(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan) error {
	if s.pinned == nil {
		if (s.inTx || !s.autocommit) && len(plan.Clusters()) > 1 {
			return &planner.RoutingError{Msg: fmt.Sprintf("a transaction stays on one shard, and this statement needs %s; run it outside the transaction or add the shard key", strings.Join(plan.Clusters(), ", "))}
		}
		return nil
	}
	txCluster := s.env.Topology.Load().PrimaryOf(s.pinned.Addr)
	clusters := plan.Clusters()
	if len(clusters) == 1 && clusters[0] == txCluster {
		return nil
	}
	if !s.inTx && s.autocommit && !usesSessionState(f) {
		// Pinned for state this statement does not touch (user variables,
		// temporary tables, locks): it may run on other clusters, and the
		// pinned connection keeps that state for later statements.
		return nil
	}
	if s.txFresh && s.inTx && len(s.holds) == 0 && len(clusters) == 1 {
		return s.moveTransaction(ctx, clusters[0])
	}
	what := "this session's pinned state"
	if s.inTx {
		what = "the open transaction"
	}
	return &planner.RoutingError{Msg: fmt.Sprintf("%s is on cluster %s and this statement needs %s; a transaction stays on one shard (COMMIT first, or add the shard key)", what, txCluster, strings.Join(clusters, ", "))}
}

// moveTransaction ends the empty transaction on the pinned connection and
// starts it again, with the same statement, on cluster's primary.
func (s *Session) moveTransaction(ctx context.Context, cluster string) error {
	cl := s.env.Topology.Load().Cluster(cluster)
	if cl == nil || cl.Primary == nil {
		return fmt.Errorf("cluster %s has no primary", cluster)
	}
	old := s.pinned
	if err := old.SimpleCommand(comQuery, "ROLLBACK"); err != nil {
		old.Broken = true
	}
	s.pinned = nil
	s.put(old)
	c, err := s.connect(ctx, cl.Primary.Addr)
	if err != nil {
		return errNoBackend("Strata: primary %s of cluster %s is unreachable (%v)", cl.Primary.Addr, cluster, rootCause(err))
	}
	begin := s.txBegin
	if begin == "" {
		begin = "START TRANSACTION"
	}
	if err := c.SimpleCommand(comQuery, begin); err != nil {
		c.Broken = true
		s.put(c)
		s.inTx = false
		return fmt.Errorf("starting the transaction on %s: %w", cluster, err)
	}
	s.pinned = c
	return nil
}

// dropForeignSticky hands back the last write's connection when it is on
// another cluster than the statement's: its session values are not this
// statement's to read.
func (s *Session) dropForeignSticky(cluster string) {
	if s.sticky != nil && s.env.Topology.Load().PrimaryOf(s.sticky.Addr) != cluster {
		s.put(s.sticky)
		s.sticky = nil
	}
}

// usesSessionState reports whether f reads or changes state that lives on
// one backend connection.
func usesSessionState(f *sqlparse.Facts) bool {
	return f.ReadsUserVars || f.SetsUserVars || f.TempTable || f.LockFunctions || f.SessionFunctions ||
		f.Kind == sqlparse.KindLockTables || f.Kind == sqlparse.KindPrepare
}

// shardConn is a backend connection taken for one route of a plan.
type shardConn struct {
	route  planner.ShardRoute
	conn   *backend.Conn
	owned  bool // returned to the pool afterwards (by the first route using it)
	pinned bool // the session's pinned connection
	shared bool // several routes run on this connection, one after another
}

// takeConns gets one connection per route: in a transaction the pinned
// one for its cluster, a primary for writes and in transactions, else a
// replica of the cluster's default pool. Routes share a connection when
// they must run in one transaction, or when a walk reads them one after
// another (shareByCluster); shared connections are marked so the merge
// reads their routes one at a time.
func (s *Session) takeConns(ctx context.Context, routes []planner.ShardRoute, write, shareByCluster bool) ([]*shardConn, error) {
	snap := s.env.Topology.Load()
	inTx := s.inTx || !s.autocommit
	var out []*shardConn
	byCluster := map[string]*shardConn{}
	for _, r := range routes {
		if first := byCluster[r.Cluster]; first != nil && (shareByCluster || inTx) {
			first.shared = true
			out = append(out, &shardConn{route: r, conn: first.conn, shared: true})
			continue
		}
		sc, err := s.takeConn(ctx, snap, r, write || inTx, inTx)
		if err != nil {
			s.giveBack(out)
			return nil, err
		}
		byCluster[r.Cluster] = sc
		out = append(out, sc)
	}
	return out, nil
}

// takeConn gets the connection of one route.
func (s *Session) takeConn(ctx context.Context, snap *topology.Snapshot, r planner.ShardRoute, primary, inTx bool) (*shardConn, error) {
	cl := snap.Cluster(r.Cluster)
	if cl == nil || cl.Primary == nil {
		return nil, errNoBackend("Strata: shard %s is not a configured cluster", r.Cluster)
	}
	if inTx && s.pinned != nil && s.pinned.Addr == cl.Primary.Addr {
		return &shardConn{route: r, conn: s.pinned, pinned: true}, nil
	}
	if primary {
		c, err := s.connect(ctx, cl.Primary.Addr)
		if err != nil {
			return nil, errNoBackend("Strata: shard %s: primary %s is unreachable (%v)", r.Cluster, cl.Primary.Addr, rootCause(err))
		}
		return &shardConn{route: r, conn: c, owned: true}, nil
	}
	rt, err := s.acquireReplica(ctx, cl, cl.DefaultPool, "", nil)
	if err != nil {
		return nil, errNoBackend("Strata: shard %s: %v", r.Cluster, rootCause(err))
	}
	return &shardConn{route: r, conn: rt.conn, owned: true}, nil
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

// execMerge runs a SELECT on its routes and merges the rows in Strata.
func (s *Session) execMerge(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	start := time.Now()
	conns, err := s.takeConns(ctx, plan.Routes, false, plan.Walk)
	if err != nil {
		return s.WriteError(err)
	}
	defer s.giveBack(conns)
	defer s.noteTxStatement(f)
	defer s.running(conns)()
	if plan.Walk || anyShared(conns) {
		return s.finishMerge(ctx, plan, conns, binary, start)
	}
	// Send every shard its query at once; a shard's rows are read as the
	// merge needs them.
	rows := make([]*backend.Rows, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, sc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i], errs[i] = sc.conn.QueryRows(ctx, sc.route.SQL)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			s.closeRows(rows, conns)
			s.markBroken(conns[i], err)
			s.env.Metrics.ObserveError("backend")
			return s.WriteError(shardError(conns[i].route.Cluster, err))
		}
	}
	return s.mergeOpened(ctx, plan, conns, rows, binary, start)
}

func (s *Session) markBroken(sc *shardConn, err error) {
	var werr *wire.Error
	if !errors.As(err, &werr) {
		sc.conn.Broken = true
		s.env.reportFailure(sc.conn.Addr, err)
	}
}

func (s *Session) closeRows(rows []*backend.Rows, conns []*shardConn) {
	for i, r := range rows {
		if r != nil {
			if err := r.Close(); err != nil {
				conns[i].conn.Broken = true
			}
		}
	}
}

// finishMerge is the ordered walk: each route opens only when the
// previous ones did not reach the limit.
func (s *Session) finishMerge(ctx context.Context, plan *planner.ShardPlan, conns []*shardConn, binary bool, start time.Time) error {
	first, err := conns[0].conn.QueryRows(ctx, conns[0].route.SQL)
	if err != nil {
		s.markBroken(conns[0], err)
		return s.WriteError(shardError(conns[0].route.Cluster, err))
	}
	rows := make([]*backend.Rows, len(conns))
	rows[0] = first
	return s.mergeOpened(ctx, plan, conns, rows, binary, start)
}

// buffered reads a route's whole answer into memory, so that the next
// route can use the same connection (routes of one transaction that a
// merge must read side by side).
func buffered(ctx context.Context, r *backend.Rows) (engine.RowStream, error) {
	all, err := engine.Collect(ctx, rowsStream{r})
	if err != nil {
		return nil, err
	}
	return engine.NewSliceStream(all...), nil
}

// mergeOpened merges the routes' rows (rows[i] nil: opened on demand) and
// sends them to the client. The first answer gives the column definitions.
func (s *Session) mergeOpened(ctx context.Context, plan *planner.ShardPlan, conns []*shardConn, rows []*backend.Rows, binary bool, start time.Time) error {
	defer s.closeRows(rows, conns)
	var cols []engine.Column
	var colPackets [][]byte
	for _, r := range rows {
		if r != nil && len(r.Columns()) > 0 {
			cols, colPackets = r.Columns(), r.ColumnPackets()
			break
		}
	}
	sources := make([]engine.Source, len(conns))
	for i, sc := range conns {
		i, sc := i, sc
		sources[i] = engine.NewSource(sc.route.Cluster, func(ctx context.Context) (engine.RowStream, error) {
			if rows[i] == nil {
				r, err := sc.conn.QueryRows(ctx, sc.route.SQL)
				if err != nil {
					s.markBroken(sc, err)
					return nil, err
				}
				rows[i] = r
			}
			if sc.shared && !plan.Walk {
				return buffered(ctx, rows[i])
			}
			return rowsStream{rows[i]}, nil
		})
	}
	var stream engine.RowStream
	var err error
	plan.Sequential = anyShared(conns)
	switch {
	case plan.Select != nil && len(conns) > 1:
		stream, err = plan.MergeStream(cols, sources)
	case plan.Sequential:
		stream = engine.NewOrderedWalk(sources, -1)
	default:
		stream = engine.NewConcat(sources...)
	}
	if err != nil {
		return s.refuseRouting(err)
	}
	if cols == nil {
		// Only a walk opens later sources lazily; its first route answered.
		return s.WriteError(shardError(conns[0].route.Cluster, errors.New("the shard returned no result set")))
	}
	visible := len(cols)
	if plan.Select != nil && len(conns) > 1 {
		visible = visibleColumns(plan.Select, len(cols))
	}
	if err := s.sendRows(ctx, cols[:visible], colPackets[:visible], stream, binary); err != nil {
		return err
	}
	label := "shard_merge"
	if len(conns) == 1 {
		label = "shard"
	}
	s.env.Metrics.ObserveQuery(label, strings.Join(plan.Clusters(), ","), time.Since(start))
	return nil
}

func visibleColumns(sel *sqlparse.ScatterSelect, n int) int {
	if sel.Visible >= 0 {
		return sel.Visible
	}
	return n - sel.Hidden
}

// rowsStream lets the engine close a shard's rows without closing them
// twice (mergeOpened closes every opened one at the end).
type rowsStream struct{ r *backend.Rows }

func (r rowsStream) Next(ctx context.Context) (engine.Row, error) { return r.r.Next(ctx) }

// Close drains the rest of the answer, so that a walk can send the next
// route's query on the same connection. Closing twice is harmless.
func (r rowsStream) Close() error { return r.r.Close() }

// sendRows writes a result set built by Strata: the shards' column
// definitions, the merged rows, the end packet. Nothing is written before
// the first row is known, so a shard failing early fails the whole query
// with an error; a failure after rows went out ends the connection.
func (s *Session) sendRows(ctx context.Context, cols []engine.Column, colPackets [][]byte, stream engine.RowStream, binary bool) error {
	var buf []byte
	started := false
	start := func() error {
		started = true
		s.client.Seq = 1
		if err := s.client.WritePacket(wire.AppendLenEnc(nil, uint64(len(cols)))); err != nil {
			return err
		}
		for _, p := range colPackets {
			if err := s.client.WritePacket(p); err != nil {
				return err
			}
		}
		if !s.flavor.DeprecateEOF {
			return s.client.WritePacket(wire.AppendEOF(nil, s.Status(), 0))
		}
		return nil
	}
	for {
		row, err := stream.Next(ctx)
		if err != nil {
			cerr := stream.Close()
			if err != io.EOF {
				s.env.Metrics.ObserveError("backend")
				if started {
					return fmt.Errorf("shard failed mid-result: %w", err)
				}
				var se *engine.SourceError
				if errors.As(err, &se) {
					return s.WriteError(shardError(se.Source, se.Err))
				}
				return s.WriteError(shardError("?", err))
			}
			if cerr != nil && !started {
				return s.WriteError(shardError("?", cerr))
			}
			break
		}
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		buf = buf[:0]
		if binary {
			if buf, err = engine.AppendBinaryRow(buf, cols, row); err != nil {
				return fmt.Errorf("encoding a row: %w", err)
			}
		} else {
			buf = engine.AppendTextRow(buf, row)
		}
		if err := s.client.WritePacket(buf); err != nil {
			return err
		}
	}
	if !started {
		if err := start(); err != nil {
			return err
		}
	}
	if s.flavor.DeprecateEOF {
		return s.client.WriteFlush(wire.AppendOK(nil, wire.HeaderEOF, 0, 0, s.Status(), 0))
	}
	return s.client.WriteFlush(wire.AppendEOF(nil, s.Status(), 0))
}

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
	s.invalidate(f)
	s.releaseWrite(conns, true)
	s.env.Metrics.ObserveQuery("shard_write", strings.Join(plan.Clusters(), ","), time.Since(start))
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
