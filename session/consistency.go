package session

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/wire"
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
		gtid, err = queryValue(c, "SELECT @@last_gtid")
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

// replicaHas reports whether c's server has applied gtid, waiting up to its
// cluster's read_your_writes_wait for it.
func (s *Session) replicaHas(c *backend.Conn, gtid string) bool {
	wait := strconv.FormatFloat(s.readYourWritesWait(c.Addr).Seconds(), 'f', 3, 64)
	v, err := queryValue(c, "SELECT MASTER_GTID_WAIT('"+gtid+"', "+wait+")")
	applied := err == nil && v == "0"
	if s.env.Metrics != nil {
		s.env.Metrics.GTIDWaited(applied)
	}
	return applied
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

// replicaHasWrites reports whether c's server, a replica of cluster, has
// applied the session's last write to that cluster (GTIDs of other
// clusters never reach it, and need not).
func (s *Session) replicaHasWrites(c *backend.Conn, cluster string) bool {
	m, wrote := s.writes[cluster]
	switch {
	case !wrote || m.gtid == "" && !m.unknown || s.gtidApplied[c.Addr]:
		return true
	case m.unknown:
		return false
	}
	if !s.replicaHas(c, m.gtid) {
		return false
	}
	s.gtidApplied[c.Addr] = true
	return true
}

// consistentRead moves a replica read to its cluster's primary when the
// replica has not applied what the read must see: the session's own writes
// (under consistency: session) or, for a result cache fill, the last write
// to the cached tables.
func (s *Session) consistentRead(ctx context.Context, rt route, fillGTID string) (route, error) {
	if !rt.read {
		return rt, nil
	}
	snap := s.env.Topology.Load()
	srv := snap.Server(rt.conn.Addr)
	if srv == nil {
		return rt, nil // removed from the topology meanwhile: nothing to compare with
	}
	cl := snap.Cluster(srv.Cluster)
	ok, settle := true, false
	switch cl.Consistency {
	case "session":
		ok = s.replicaHasWrites(rt.conn, cl.Name)
	case "global":
		if cl.Primary != nil {
			ok, settle = s.replicaHasEveryWrite(rt.conn, cl.Primary.Addr)
		}
	}
	if ok && fillGTID != "" {
		ok = s.replicaHas(rt.conn, fillGTID)
	}
	if ok {
		return rt, nil
	}
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

// replicaHasEveryWrite reports whether c's server, a replica of the
// primary at primary, has applied every write Strata acknowledged there
// (consistency: global), waiting up to read_your_writes_wait for it.
// settle: the read goes to the primary because a write's position is
// unknown, and is to read the primary's position there
// (settleUnknownWrite).
func (s *Session) replicaHasEveryWrite(c *backend.Conn, primary string) (ok, settle bool) {
	marks := s.env.Marks
	if marks == nil {
		return true, false
	}
	w := marks.Need(primary, c.Addr, time.Now())
	switch {
	case w.Primary:
		return false, w.Settle
	case w.Text == "":
		return true, false
	}
	if s.replicaHas(c, w.Text) {
		marks.Reached(c.Addr, w, time.Now())
		return true, false
	}
	// Until its wait would be over again, reads that need as much go to
	// the primary at once rather than each wait for this replica.
	marks.Missed(c.Addr, w, time.Now().Add(s.readYourWritesWait(c.Addr)))
	return false, false
}

// settleUnknownWrite reads the binary log position of the primary c is
// connected to, where what Strata acknowledged is not all known (its first
// read there, a write whose position could not be read): it holds those
// writes, so replicas that have applied it serve reads again.
func (s *Session) settleUnknownWrite(c *backend.Conn) {
	if pos, err := queryValue(c, "SELECT @@gtid_binlog_pos"); err == nil {
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

// queryValue runs a one-row, one-column query on c and returns the value
// ("" for NULL or no row).
func queryValue(c *backend.Conn, sql string) (string, error) {
	if err := c.Command(append([]byte{comQuery}, sql...)); err != nil {
		return "", err
	}
	p, err := c.ReadPacket()
	if err != nil {
		c.Broken = true
		return "", err
	}
	switch p[0] {
	case wire.HeaderErr:
		return "", wire.ParseErr(p)
	case wire.HeaderOK:
		return "", nil
	}
	cols, _ := wire.ReadLenEnc(p)
	skip := int(cols)
	if !c.Flavor.DeprecateEOF {
		skip++
	}
	for range skip {
		if _, err := c.ReadPacket(); err != nil {
			c.Broken = true
			return "", err
		}
	}
	value := ""
	for {
		p, err := c.ReadPacket()
		if err != nil {
			c.Broken = true
			return "", err
		}
		switch {
		case p[0] == wire.HeaderErr:
			return "", wire.ParseErr(p)
		case p[0] == wire.HeaderEOF && (len(p) < 9 || c.Flavor.DeprecateEOF):
			return value, nil
		case p[0] != 0xfb: // not NULL
			if n, w := wire.ReadLenEnc(p); w > 0 && w+int(n) <= len(p) {
				value = string(p[w : w+int(n)])
			}
		}
	}
}
