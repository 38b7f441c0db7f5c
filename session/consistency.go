package session

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/gtid"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
)

// Read-your-writes (cluster consistency: session). After the session's
// write commits, Strata records the write's GTID, which the primary
// reports in the write's OK (Strata's server connections track
// last_gtid), or else answers to SELECT @@last_gtid; a later read goes
// to a replica only once that replica has applied it (MASTER_GTID_WAIT
// with a short timeout), else to the primary.
//
// consistency: global does the same with every session's writes: the
// GTIDs go to the shared gtid.Marks before the write's answer reaches its
// client, so a read another client sends after that answer (the page a
// web form redirects to, on a new connection) runs on a replica only
// once the replica has applied it.

// recordWrite records the GTID of the session's last committed write on c,
// the primary connection that ran it, for read-your-writes and for the
// result cache (which must not refill from a replica without the write).
// answer is the relayed answer of the statement that committed it, when
// there is one: the GTID the server reported there saves asking for it.
func (s *Session) recordWrite(c *backend.Conn, tables []string, answer *backend.Result) {
	gtid, reported := reportedGTID(c, answer)
	if reported && gtid == "" {
		// Nothing reached the binary log (an UPDATE that changed no
		// row, a transaction that wrote nothing): no replica has
		// anything new to apply. What the cache kept of the tables
		// goes all the same, and a fill still waits for their last
		// write.
		if s.env.Cache != nil && len(tables) > 0 {
			s.env.Cache.Invalidate(tables)
		}
		return
	}
	var err error
	if !reported {
		gtid, err = c.QueryValue("SELECT @@last_gtid")
	}
	if s.env.Cache != nil && len(tables) > 0 {
		s.env.Cache.NoteWrite(tables, gtid)
	}
	snap := s.env.Topology.Load()
	cluster := snap.PrimaryOf(c.Addr)
	if cl := snap.Cluster(cluster); cl != nil && cl.Consistency == "global" && s.env.Marks != nil {
		// Marks are kept per primary: after a switchover or a failover
		// the new primary's position is read afresh, and writes the old
		// one lost are not waited for.
		if err != nil {
			s.env.Marks.Unknown(c.Addr)
		} else {
			s.env.Marks.Wrote(c.Addr, gtid)
		}
	}
	if err != nil || gtid == "" {
		// Unknown position: read from the primary until the next write.
		s.writes[cluster] = writeMark{unknown: true}
		return
	}
	s.writes[cluster] = writeMark{gtid: gtid}
	clear(s.gtidApplied)
}

// reportedGTID returns the GTID the server reported in answer, the
// relayed answer of a statement just run on c (nil: the answer to the
// last command on c, read by Strata itself, as a COMMIT of a write over
// shards is), and whether that report can be trusted: an answer that
// ended in an error may have committed before it failed (a CALL), and a
// client that changed the session's trackers may have silenced them.
func reportedGTID(c *backend.Conn, answer *backend.Result) (string, bool) {
	if !c.TracksGTID {
		return "", false
	}
	for name := range c.Vars {
		if strings.HasPrefix(name, "session_track") {
			return "", false
		}
	}
	if answer == nil {
		return c.ReportedGTID()
	}
	if !answer.GTIDTracked || answer.Err != nil {
		return "", false
	}
	return answer.GTID, true
}

// recordShardWrites is trackWrites for a write over shards that committed
// outside a client transaction: each shard's part has its own GTID, and a
// read of any of those shards right after must see it.
func (s *Session) recordShardWrites(f *sqlparse.Facts, conns []*shardConn) {
	if !s.sessionConsistency() && s.env.Cache == nil {
		return
	}
	var tables []string
	for _, t := range s.qualify(f.WriteTables) {
		if s.env.Cache != nil && s.env.Cache.Tracks(t) {
			tables = append(tables, t)
		}
	}
	for _, sc := range conns {
		if !sc.conn.Broken {
			s.recordWrite(sc.conn, tables, nil)
		}
	}
}

// recordCommitted records the GTID of a transaction part just committed on
// c (a part of a transaction across clusters), for read-your-writes.
func (s *Session) recordCommitted(c *backend.Conn) {
	if s.sessionConsistency() && !c.Broken {
		s.recordWrite(c, nil, nil)
	}
}

// writeMark is the position of the session's last committed write on one
// cluster: a GTID, or unknown (read from that cluster's primary).
type writeMark struct {
	gtid    string
	unknown bool
}

// gtidWait is a replica's wait for a write a read must see, and whose
// record its outcome updates.
type gtidWait struct {
	gtid string
	kind waitKind
	need gtid.Wait // waitGlobal: what the shared marks asked for
}

type waitKind uint8

const (
	waitSession waitKind = iota // the session's own last write (s.gtidApplied)
	waitGlobal                  // every write Strata acknowledged (s.env.Marks)
	waitFill                    // a result cache fill's last write to its tables
)

// waitSQL is the statement that waits for w on c's server, up to its
// cluster's read_your_writes_wait; it answers 0 once the server has
// applied w.
func (s *Session) waitSQL(c *backend.Conn, w *gtidWait) string {
	wait := strconv.FormatFloat(s.readYourWritesWait(c.Addr).Seconds(), 'f', 3, 64)
	return "SELECT MASTER_GTID_WAIT('" + w.gtid + "', " + wait + ")"
}

// awaitGTID waits on c for w and reports whether c's server applied it.
func (s *Session) awaitGTID(c *backend.Conn, w *gtidWait) bool {
	v, err := c.QueryValue(s.waitSQL(c, w))
	applied := err == nil && v == "0"
	s.waited(c, w, applied, false)
	return applied
}

// waited records the outcome of w on c, waited for alone (awaitGTID) or
// with the read (withRead: backend.Conn.WaitFirst).
func (s *Session) waited(c *backend.Conn, w *gtidWait, applied, withRead bool) {
	if s.env.Metrics != nil {
		s.env.Metrics.GTIDWaited(applied, withRead)
	}
	switch {
	case w.kind == waitSession && applied:
		s.gtidApplied[c.Addr] = true
	case w.kind == waitGlobal && applied:
		s.env.Marks.Reached(c.Addr, w.need, time.Now())
	case w.kind == waitGlobal:
		// Until its wait would be over again, reads that need as much
		// go to the primary at once rather than each wait for this
		// replica.
		s.env.Marks.Missed(c.Addr, w.need, time.Now().Add(s.readYourWritesWait(c.Addr)))
	}
}

// readYourWritesWait is how long a read waits for server addr to apply a
// write: its cluster's read_your_writes_wait.
func (s *Session) readYourWritesWait(addr string) time.Duration {
	snap := s.env.Topology.Load()
	if srv := snap.Server(addr); srv != nil {
		return s.readYourWritesWaitOf(snap.Cluster(srv.Cluster))
	}
	return s.env.ReadYourWritesWait
}

// readYourWritesWaitOf is cl's read_your_writes_wait.
func (s *Session) readYourWritesWaitOf(cl *topology.Cluster) time.Duration {
	if cl != nil && cl.ReadYourWritesWait > 0 {
		return cl.ReadYourWritesWait
	}
	return s.env.ReadYourWritesWait
}

// sessionWait is what c's server, a replica of cluster, must have applied
// for the session to read its own last write to that cluster (GTIDs of
// other clusters never reach it, and need not): nothing (nil), a wait, or
// — the write's position unknown — nothing it can show (toPrimary).
func (s *Session) sessionWait(c *backend.Conn, cluster string) (w *gtidWait, toPrimary bool) {
	m, wrote := s.writes[cluster]
	switch {
	case !wrote || m.gtid == "" && !m.unknown || s.gtidApplied[c.Addr]:
		return nil, false
	case m.unknown:
		return nil, true
	}
	return &gtidWait{gtid: m.gtid, kind: waitSession}, false
}

// globalWait is what c's server, a replica of the primary at primary, must
// have applied to hold every write Strata acknowledged there (consistency:
// global). toPrimary: the read goes to the primary at once; settle: because
// a write's position is unknown, and the read is to read the primary's
// position there (settleUnknownWrite).
func (s *Session) globalWait(c *backend.Conn, primary string) (w *gtidWait, toPrimary, settle bool) {
	marks := s.env.Marks
	if marks == nil {
		return nil, false, false
	}
	need := marks.Need(primary, c.Addr, time.Now())
	switch {
	case need.Primary:
		return nil, true, need.Settle
	case need.Text == "":
		return nil, false, false
	}
	return &gtidWait{gtid: need.Text, kind: waitGlobal, need: need}, false, false
}

// consistentRead moves a replica read to its cluster's primary when the
// replica has not applied what the read must see: the session's own writes
// (under consistency: session), every acknowledged write (global) or, for
// a result cache fill, the last write to the cached tables. With
// withRead, the one wait a read needs is not run here: it comes back in
// rt.wait, for the caller to send with the read itself (run,
// backend.Conn.WaitFirst) or beside the other shards' (awaitShards).
func (s *Session) consistentRead(ctx context.Context, rt route, fillGTID string, withRead bool) (route, error) {
	if !rt.read {
		return rt, nil
	}
	snap := s.env.Topology.Load()
	srv := snap.Server(rt.conn.Addr)
	if srv == nil {
		return rt, nil // removed from the topology meanwhile: nothing to compare with
	}
	cl := snap.Cluster(srv.Cluster)
	var w *gtidWait
	toPrimary, settle := false, false
	switch cl.Consistency {
	case "session":
		w, toPrimary = s.sessionWait(rt.conn, cl.Name)
	case "global":
		if cl.Primary != nil {
			w, toPrimary, settle = s.globalWait(rt.conn, cl.Primary.Addr)
		}
	}
	if !toPrimary && fillGTID != "" {
		if w != nil {
			toPrimary = !s.awaitGTID(rt.conn, w)
		}
		w = &gtidWait{gtid: fillGTID, kind: waitFill}
	}
	if !toPrimary && w != nil {
		if withRead {
			rt.wait = w
			return rt, nil
		}
		toPrimary = !s.awaitGTID(rt.conn, w)
	}
	if !toPrimary {
		return rt, nil
	}
	return s.readOnPrimary(ctx, rt, cl, settle)
}

// readOnPrimary gives back rt's replica connection and routes the read to
// cl's primary instead, which holds what the replica lacks.
func (s *Session) readOnPrimary(ctx context.Context, rt route, cl *topology.Cluster, settle bool) (route, error) {
	s.put(rt.conn)
	c, cl, err := s.connectPrimary(ctx, cl)
	if err != nil {
		return route{}, errNoBackend("Strata: read-your-writes needs the primary %s of cluster %s, which is unreachable (%v)", cl.Primary.Addr, cl.Name, rootCause(err))
	}
	if settle {
		s.settleUnknownWrite(c)
	}
	s.env.Metrics.ConsistencyFallback()
	return route{label: "primary", conn: c, primary: true}, nil
}

// pipelinedWaitDone records how the wait sent with a read on rt ended (err:
// what sending and relaying the read returned): when the replica lacked
// the write, the read's answer was dropped (backend.ErrReplicaBehind) and
// the read goes to the primary instead (again: run it there).
func (s *Session) pipelinedWaitDone(ctx context.Context, rt route, err error) (next route, again bool, nextErr error) {
	w := rt.wait
	rt.wait = nil
	if rt.conn.CancelWait() {
		// The command ended before its request went out (a prepare
		// the server refused): it read nothing, and the replica's
		// position is as unknown as before.
		return rt, false, err
	}
	behind := errors.Is(err, backend.ErrReplicaBehind)
	if err != nil && !behind {
		return rt, false, err // the server failed: run decides what next
	}
	s.waited(rt.conn, w, !behind, true)
	if !behind {
		return rt, false, nil
	}
	// The dropped answer may have left warnings there.
	rt.conn.WarnedBy = s.ID
	snap := s.env.Topology.Load()
	srv := snap.Server(rt.conn.Addr)
	if srv == nil {
		return route{}, false, errNoBackend("Strata: %s left the topology during a read", rt.conn.Addr)
	}
	next, nextErr = s.readOnPrimary(ctx, rt, snap.Cluster(srv.Cluster), false)
	return next, true, nextErr
}

// settleUnknownWrite reads the binary log position of the primary c is
// connected to, where what Strata acknowledged is not all known (its first
// read there, a write whose position could not be read): it holds those
// writes, so replicas that have applied it serve reads again.
func (s *Session) settleUnknownWrite(c *backend.Conn) {
	if pos, err := c.QueryValue("SELECT @@gtid_binlog_pos"); err == nil {
		s.env.Marks.Settle(c.Addr, pos)
	}
}

// sessionConsistency reports whether any cluster reads written data back
// (consistency: session or global), so writes' positions are recorded.
func (s *Session) sessionConsistency() bool {
	for _, cl := range s.env.Topology.Load().Clusters {
		if cl.Consistency == "session" || cl.Consistency == "global" {
			return true
		}
	}
	return false
}
