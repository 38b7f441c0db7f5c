package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/twophase"
	"github.com/strata-proxy/strata/wire"
)

// TwoPhase lets a transaction write several clusters (transactions.mode:
// twopc). The transaction's first cluster is its coordinator and runs it
// on the session's pinned connection, as any transaction; every other
// cluster it writes joins as an XA branch, and COMMIT commits all of them
// or none (package twophase describes the protocol).
type TwoPhase struct {
	Gtrids   *twophase.Gtrids
	Resolver *twophase.Resolver
}

// Errors a transaction across clusters ends with (MariaDB's numbers).
const (
	erXARollback     = 1402 // ER_XA_RBROLLBACK, SQLSTATE XA100
	erDuringCommit   = 1180 // ER_ERROR_DURING_COMMIT
	erDeadlock       = 1213
	erXAUnknownXID   = 1397
	stateXARollback  = "XA100"
	stateDuringError = "HY000"
)

// twoPhase reports whether transactions may write several clusters.
func (s *Session) twoPhase() bool { return s.twoPhaseNow() != nil }

// twoPhaseNow is the machinery of the session's transaction across
// clusters when one is open — a reload that sets transactions.mode to
// single lets it finish as it began — else the one new transactions use.
func (s *Session) twoPhaseNow() *TwoPhase {
	if s.tp != nil {
		return s.tp
	}
	return s.env.TwoPhase()
}

// errModeChanged refuses to begin a transaction across clusters when a
// reload set transactions.mode to single during the statement.
func errModeChanged() error {
	return &planner.RoutingError{Msg: "transactions.mode was changed to single by a reload: a transaction stays on one shard; run the statement again"}
}

// joinBranches makes every cluster in clusters other than the
// transaction's coordinator a branch of it, starting the coordinator on
// the first cluster when the transaction has no connection yet (a session
// with autocommit off whose first statement writes several clusters).
func (s *Session) joinBranches(ctx context.Context, clusters []string) error {
	snap := s.env.Topology.Load()
	if s.pinned == nil {
		c, err := s.connectCluster(ctx, snap, clusters[0])
		if err != nil {
			return err
		}
		s.pinned = c
	}
	coordinator := snap.PrimaryOf(s.pinned.Addr)
	for _, cluster := range clusters {
		if cluster == coordinator || s.branches[cluster] != nil {
			continue
		}
		if err := s.joinBranch(ctx, snap, coordinator, cluster); err != nil {
			return err
		}
	}
	return nil
}

// joinBranch starts the transaction's XA branch on cluster's primary.
func (s *Session) joinBranch(ctx context.Context, snap *topology.Snapshot, coordinator, cluster string) error {
	if s.xid.Gtrid == "" {
		tp := s.twoPhaseNow()
		if tp == nil {
			return errModeChanged()
		}
		// The decision log must exist before the transaction needs it:
		// creating it on the coordinator's own connection would commit.
		if err := tp.Resolver.Ensure(ctx, coordinator); err != nil {
			return errNoBackend("Strata: cannot start a transaction across clusters: %v", rootCause(err))
		}
		s.xid = twophase.XID{Gtrid: tp.Gtrids.Next(), Coordinator: coordinator}
		s.tp = tp
	}
	c, err := s.connectCluster(ctx, snap, cluster)
	if err != nil {
		return err
	}
	err = c.SimpleCommand(comQuery, twophase.Start(s.xid))
	if err == nil {
		err = s.replaySavepoints(c)
	}
	if err != nil {
		c.Broken = true
		s.put(c)
		return fmt.Errorf("starting the transaction's branch on cluster %s: %w", cluster, err)
	}
	if s.branches == nil {
		s.branches = map[string]*backend.Conn{}
	}
	s.branches[cluster] = c
	return nil
}

// connectCluster connects to cluster's primary, with the error a client sees.
func (s *Session) connectCluster(ctx context.Context, snap *topology.Snapshot, cluster string) (*backend.Conn, error) {
	cl := snap.Cluster(cluster)
	if cl == nil || cl.Primary == nil {
		return nil, errNoBackend("Strata: cluster %s has no primary in the topology", cluster)
	}
	c, cl, err := s.connectPrimary(ctx, cl)
	if err != nil {
		return nil, errNoBackend("Strata: primary %s of cluster %s is unreachable (%v)", cl.Primary.Addr, cluster, rootCause(err))
	}
	return c, nil
}

// endsTransaction answers a statement that would end (or implicitly
// commit) a transaction with branches: COMMIT and ROLLBACK run the
// protocol; a statement alone in its query that MariaDB commits the open
// transaction before (BEGIN, DDL, LOCK TABLES) has the whole transaction
// committed by the protocol first, then runs as any other (handled
// false); the others are refused, since the server would end only the
// coordinator's part. handled is false for every other statement.
func (s *Session) endsTransaction(ctx context.Context, stmts []*sqlparse.Facts) (handled bool, err error) {
	f := stmts[0]
	if len(stmts) == 1 && f.Kind == sqlparse.KindCommit && plainEnd(f.Text, "COMMIT") {
		return true, s.commitAcross(ctx, f)
	}
	if len(stmts) == 1 && f.Kind == sqlparse.KindRollback && plainEnd(f.Text, "ROLLBACK") {
		s.abortAcross()
		s.env.Metrics.TwoPhase("rolled_back")
		s.client.Seq = s.answerSeq()
		return true, s.WriteOK()
	}
	if len(stmts) == 1 && f.Kind == sqlparse.KindSavepoint && f.Savepoint.Action != sqlparse.SavepointNone {
		return true, s.savepointAcross(f)
	}
	if len(stmts) == 1 && f.ImplicitCommit && !f.EndsTx && f.Kind != sqlparse.KindXA {
		// A client that starts its next transaction without ending the
		// last (sysbench after a lock wait timeout, code that does not
		// track it) relies on this commit.
		if werr := s.commitAcrossImplicitly(ctx); werr != nil {
			s.env.Metrics.ObserveError("backend")
			return true, s.WriteError(werr)
		}
		return false, nil
	}
	for _, st := range stmts {
		if st.EndsTx || st.ImplicitCommit || st.StartsTx || st.Autocommit != nil ||
			st.Kind == sqlparse.KindSavepoint || st.Kind == sqlparse.KindXA || st.Kind == sqlparse.KindLockTables || st.Kind == sqlparse.KindUnlockTables {
			return true, s.refuse(wire.NewError(wire.ErNotSupportedYet,
				"Strata: the open transaction writes clusters %s; this statement would end only part of it (COMMIT or ROLLBACK with CHAIN or RELEASE, SET autocommit, UNLOCK TABLES, XA, or an end of the transaction inside a multi-statement query): send COMMIT or ROLLBACK first",
				strings.Join(s.cross().clusters(), ", ")))
		}
	}
	return false, nil
}

// plainEnd reports whether text is word (COMMIT or ROLLBACK) as the
// end of a transaction and nothing more: WORK, AND NO CHAIN, NO RELEASE
// and comments may be there (they change nothing), AND CHAIN and RELEASE
// may not (they ask the server for what follows).
func plainEnd(text, word string) bool {
	words := strings.Fields(strings.ToUpper(strings.TrimRight(withoutComments(text), "; \t\r\n")))
	if len(words) == 0 || words[0] != word {
		return false
	}
	rest := words[1:]
	if len(rest) > 0 && rest[0] == "WORK" {
		rest = rest[1:]
	}
	switch strings.Join(rest, " ") {
	case "", "AND NO CHAIN", "NO RELEASE", "AND NO CHAIN NO RELEASE":
		return true
	}
	return false
}

// withoutComments blanks /* */, # and -- comments out of a statement
// without quotes (COMMIT and ROLLBACK have none).
func withoutComments(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		switch {
		case strings.HasPrefix(text[i:], "/*"):
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 3
			b.WriteByte(' ')
		case text[i] == '#' || strings.HasPrefix(text[i:], "-- "):
			end := strings.IndexByte(text[i:], '\n')
			if end < 0 {
				return b.String()
			}
			i += end
			b.WriteByte(' ')
		default:
			b.WriteByte(text[i])
		}
	}
	return b.String()
}

// crossTx is one transaction across clusters: the coordinator's plain
// transaction and the other clusters' XA branches, all named by xid.
type crossTx struct {
	xid      twophase.XID
	tp       *TwoPhase
	coord    *backend.Conn
	branches map[string]*backend.Conn
}

// clusters names the coordinator then the branches, sorted: the order of
// messages and of the protocol's steps.
func (t *crossTx) clusters() []string {
	names := make([]string, 0, len(t.branches))
	for name := range t.branches {
		names = append(names, name)
	}
	slices.Sort(names)
	return append([]string{t.xid.Coordinator}, names...)
}

// session's transaction across clusters, its coordinator the pinned
// connection.
func (s *Session) cross() *crossTx {
	return &crossTx{xid: s.xid, tp: s.tp, coord: s.pinned, branches: s.branches}
}

// commitAcross answers the client's COMMIT of a transaction with branches.
func (s *Session) commitAcross(ctx context.Context, f *sqlparse.Facts) error {
	start := time.Now()
	t, status, werr := s.settleAcross(ctx)
	if werr == nil && !t.coord.Broken {
		s.learn(t.coord, []*sqlparse.Facts{f}, backend.Result{Status: status, HasStatus: true})
	}
	s.releaseCoordinator()
	if werr != nil {
		s.env.Metrics.ObserveError("backend")
		return s.WriteError(werr)
	}
	s.observeTwoPhase(f, t.clusters(), time.Since(start))
	s.client.Seq = s.answerSeq()
	return s.WriteOK()
}

// commitAcrossImplicitly commits the session's transaction across clusters
// before a statement MariaDB commits an open transaction before; the
// error, if any, is the client's: the transaction was rolled back or its
// commit is in doubt, and the statement does not run.
func (s *Session) commitAcrossImplicitly(ctx context.Context) *wire.Error {
	_, _, werr := s.settleAcross(ctx)
	s.releaseCoordinator()
	return werr
}

// settleAcross commits the session's transaction across clusters (t) and
// ends it in the session, whatever the outcome; status is the
// coordinator's after its COMMIT, werr the client's error.
func (s *Session) settleAcross(ctx context.Context) (t *crossTx, status uint16, werr *wire.Error) {
	t = s.cross()
	status, werr = s.commitCross(ctx, t)
	s.forgetCross()
	return t, status, werr
}

// forgetCross ends the session's transaction across clusters in the
// session, once its servers ended it. A deadlock noted is that
// transaction's, not the next one's.
func (s *Session) forgetCross() {
	s.branches, s.xid, s.tp, s.savepoints = nil, twophase.XID{}, nil, nil
	s.inTx, s.txDeadlock = false, false
}

// commitCross commits t: the decision row is written in the coordinator's
// transaction, every branch is prepared, the coordinator commits (that
// COMMIT is the decision), then the branches commit. Until the
// coordinator's COMMIT any failure rolls everything back; after it the
// transaction is committed, and a branch that could not be told is
// committed by the resolver. It hands the branches' connections back, not
// the coordinator's, and returns the coordinator's status flags after its
// COMMIT, or the error for the client.
func (s *Session) commitCross(ctx context.Context, t *crossTx) (uint16, *wire.Error) {
	clusters := t.clusters()
	all := strings.Join(clusters, ", ")
	rolledBack := func(format string, args ...any) (uint16, *wire.Error) {
		s.abortCross(t)
		s.env.Metrics.TwoPhase("rolled_back")
		return 0, errRolledBack(all, format, args...)
	}
	if t.coord == nil || t.coord.Broken {
		return rolledBack("the connection to cluster %s, which ran its first part, was lost", t.xid.Coordinator)
	}
	for _, name := range clusters[1:] {
		if t.branches[name].Broken {
			return rolledBack("the connection to cluster %s was lost during the transaction", name)
		}
	}
	// The decision row goes into the coordinator's transaction as the
	// branches end their parts, then the branches prepare: each step on
	// every cluster at once (backend.QueryEach), a round trip per step
	// rather than per cluster. Nothing is decided before the COMMIT below.
	branches := make([]*backend.Conn, len(clusters)-1)
	for i, name := range clusters[1:] {
		branches[i] = t.branches[name]
	}
	ends := make([]string, len(branches))
	for i := range ends {
		ends[i] = twophase.End(t.xid)
	}
	errs := backend.QueryEach(append([]*backend.Conn{t.coord}, branches...), append([]string{twophase.RecordCommit(t.xid.Gtrid)}, ends...))
	for i, err := range errs {
		if err != nil {
			c, name := t.coord, clusters[i]
			if i > 0 {
				c = branches[i-1]
			}
			s.markLost(c, err)
			if i == 0 {
				return rolledBack("recording the commit decision on cluster %s failed (%v)", t.xid.Coordinator, rootCause(err))
			}
			return rolledBack("cluster %s could not end its part (%v)", name, rootCause(err))
		}
	}
	prepares := make([]string, len(branches))
	for i := range prepares {
		prepares[i] = twophase.Prepare(t.xid)
	}
	for i, err := range backend.QueryEach(branches, prepares) {
		if err != nil {
			s.markLost(branches[i], err)
			return rolledBack("cluster %s could not prepare its part (%v)", clusters[i+1], rootCause(err))
		}
	}
	res, err := t.coord.Exec(ctx, "COMMIT")
	if err != nil {
		// Whether the COMMIT happened is read from the decision log, not
		// guessed from the error (a killed COMMIT answers with one too).
		s.markLost(t.coord, err)
		t.coord.NeedsReset = true
		decided, derr := t.tp.Resolver.Decide(ctx, t.xid.Gtrid, t.xid.Coordinator)
		switch {
		case derr != nil:
			return 0, s.inDoubt(t, all, err, derr)
		case decided != twophase.Commit:
			return rolledBack("the COMMIT on cluster %s failed (%v) and did not happen", t.xid.Coordinator, rootCause(err))
		}
	}
	s.recordCommitted(t.coord)
	s.finishBranches(t, twophase.Finish(t.xid), true)
	s.env.Metrics.TwoPhase("committed")
	return res.Status, nil
}

// errRolledBack is the error of a transaction across clusters (all, as
// listed) that Strata rolled back, saying why.
func errRolledBack(all, format string, args ...any) *wire.Error {
	return &wire.Error{Code: erXARollback, State: stateXARollback,
		Message: fmt.Sprintf("Strata: the transaction across clusters %s was rolled back, nothing of it is committed: ", all) + fmt.Sprintf(format, args...)}
}

// inDoubt is the error of a COMMIT whose decision could not be read: the
// coordinator's primary went away during it. The branches stay prepared
// (their connections are closed, which leaves a prepared branch as it
// is); the resolver settles them once the coordinator answers again.
func (s *Session) inDoubt(t *crossTx, all string, commitErr, decideErr error) *wire.Error {
	for _, c := range t.branches {
		c.Broken = true
		s.put(c)
	}
	s.env.Metrics.TwoPhase("in_doubt")
	return &wire.Error{Code: erDuringCommit, State: stateDuringError, Message: fmt.Sprintf(
		"Strata: the COMMIT of the transaction across clusters %s is in doubt: the COMMIT on its first cluster failed (%v) and its outcome cannot be read yet (%v). Every part is prepared and will be committed or rolled back as one by Strata's resolver within transactions.resolve_every once that primary answers; check before retrying",
		all, rootCause(commitErr), rootCause(decideErr))}
}

// abortAcross rolls back the session's transaction across clusters.
func (s *Session) abortAcross() {
	s.abortCross(s.cross())
	s.forgetCross()
	s.releaseCoordinator()
}

// abortCross rolls back t: the coordinator's part and every branch,
// prepared or not, and hands the branches' connections back. Connections
// that fail to roll back are closed, which rolls back what is not
// prepared; a prepared branch left behind has no commit decision, so the
// resolver rolls it back.
func (s *Session) abortCross(t *crossTx) {
	if c := t.coord; c != nil && !c.Broken {
		if err := c.SimpleCommand(comQuery, "ROLLBACK"); err != nil {
			s.markLost(c, err)
		}
	}
	for _, c := range t.branches {
		if !c.Broken {
			c.SimpleCommand(comQuery, twophase.End(t.xid)) // fails once ended or prepared: harmless
		}
	}
	s.finishBranches(t, twophase.Rollback(t.xid), false)
}

// finishBranches runs stmt (XA COMMIT, with commit set, or XA ROLLBACK)
// on every branch of t and hands the connections back; a committed
// branch's GTID is recorded for read-your-writes. A failure leaves the
// branch to the resolver, whose decision is the same.
func (s *Session) finishBranches(t *crossTx, stmt string, commit bool) {
	var names []string
	var conns []*backend.Conn
	var stmts []string
	for name, c := range t.branches {
		if !c.Broken {
			names, conns, stmts = append(names, name), append(conns, c), append(stmts, stmt)
		}
	}
	// Every branch at once: the decision is made, so no branch's outcome
	// changes what the others run.
	for i, err := range backend.QueryEach(conns, stmts) {
		var werr *wire.Error
		switch {
		case err == nil && commit:
			s.recordCommitted(conns[i])
		case err != nil && (!errors.As(err, &werr) || werr.Code != erXAUnknownXID):
			s.markLost(conns[i], err)
			s.logWarn("a branch of a transaction across clusters was not finished; the resolver finishes it",
				"cluster", names[i], "gtrid", t.xid.Gtrid, "statement", stmt, "err", err)
		}
	}
	for _, c := range t.branches {
		s.put(c)
	}
}

// endDeadlockVictim rolls back what is left of a transaction the
// deadlock detector chose to end a deadlock across servers: its statement
// was interrupted and the client told (error 1213, as a server tells its
// own victims, whose transaction it has rolled back), but the servers
// still hold the rest of it, and its locks.
func (s *Session) endDeadlockVictim() {
	if len(s.branches) > 0 {
		s.abortAcross()
		s.env.Metrics.TwoPhase("rolled_back")
		return
	}
	if c := s.pinned; c != nil && !c.Broken {
		if err := c.SimpleCommand(comQuery, "ROLLBACK"); err != nil {
			c.Broken = true
		}
	}
	s.inTx = false
	s.releaseCoordinator()
}

// releaseCoordinator hands the coordinator's connection back once its
// transaction ended, unless other session state keeps it pinned.
func (s *Session) releaseCoordinator() {
	c := s.pinned
	if c == nil {
		return
	}
	if c.Broken || len(s.holds) == 0 {
		s.pinned = nil
		s.put(c)
	}
}

// logWarn logs at WARN when the session has a logger.
func (s *Session) logWarn(msg string, args ...any) {
	if s.env.Log != nil {
		s.env.Log.Warn(msg, args...)
	}
}

// markLost marks c broken unless err is the server's own error, after
// which the connection is still good.
func (s *Session) markLost(c *backend.Conn, err error) {
	var werr *wire.Error
	if !errors.As(err, &werr) {
		c.Broken = true
		s.env.reportFailure(c.Addr, err)
	}
}

// checkBranches, after each statement of a transaction with branches,
// rolls the whole transaction back when a part of it is gone: the
// coordinator's connection was lost or its server ended the transaction
// (a deadlock), or a branch's connection was lost or its server rolled
// it back. MariaDB ends a transaction on a deadlock the same way; the
// statement's own error already told the client.
func (s *Session) checkBranches() {
	if len(s.branches) == 0 {
		return // ended by the statement (COMMIT, ROLLBACK) or never begun
	}
	lost := s.pinned == nil || s.pinned.Broken || s.txDeadlock
	for _, c := range s.branches {
		lost = lost || c.Broken
	}
	s.txDeadlock = false
	if lost {
		s.abortAcross()
		s.env.Metrics.TwoPhase("rolled_back")
	}
}

// noteDeadlock records that a statement of a transaction with branches
// failed with a deadlock: the server rolled back its part, so the whole
// transaction goes after the statement (checkBranches).
func (s *Session) noteDeadlock(err error) {
	var werr *wire.Error
	if len(s.branches) > 0 && errors.As(err, &werr) && werr.Code == erDeadlock {
		s.txDeadlock = true
	}
}
