package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// placed reports whether f touches a table the `tables:` config places
// (a table group, a sharded or a reference table).
func (s *Session) placed(f *sqlparse.Facts) bool {
	return s.env.Sharding != nil && s.env.Sharding.Touches(f)
}

// passFences waits while rows of a moving table f touches change shards
// (planner.Sharding.Enter), and holds them in place until release. A
// statement that runs another inside (a subquery pulled out) passes
// once.
func (s *Session) passFences(ctx context.Context, f *sqlparse.Facts) (release func(), err *wire.Error) {
	if s.fenced || s.env.Sharding == nil {
		return noRelease, nil
	}
	r, ferr := s.env.Sharding.Enter(ctx, f)
	if ferr != nil {
		return nil, wire.NewError(wire.ErQueryInterrupted, "Strata: the statement was interrupted while it waited for rows of its table to move between shards: %v", ferr)
	}
	if r == nil {
		return noRelease, nil
	}
	s.fenced = true
	return func() { s.fenced = false; r() }, nil
}

func noRelease() {}

// queryPlaced runs a COM_QUERY over placed tables.
func (s *Session) queryPlaced(ctx context.Context, sql string, parsed *planner.Parsed) error {
	release, ferr := s.passFences(ctx, parsed.Summary)
	if ferr != nil {
		return s.refuse(ferr)
	}
	defer release()
	if len(parsed.Statements) > 1 {
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: a multi-statement query that touches sharded or placed tables is not supported; send the statements one by one"))
	}
	f := parsed.Summary
	if f.Masked {
		return s.refuse(s.errMaskedPlaced())
	}
	if handled, err := s.answerBeforePlanning(ctx, sql, f); handled {
		return err
	}
	plan, err := s.env.Sharding.Plan(ctx, s.readingMode(), sql, f, nil)
	if err != nil {
		return s.answerUnplanned(ctx, sql, f, err)
	}
	if s.mayBoundByClock(f, plan) && !s.keysWritten {
		// WHERE at > NOW() - INTERVAL 1 DAY on a table sharded by time:
		// with the bound's value written in, it reads the periods that
		// value names, not every one. Where it cannot be evaluated, the
		// plan over every period stands.
		if text, ok, kerr := s.withKeyBoundValues(ctx, sql); kerr == nil && ok {
			s.keysWritten = true
			defer func() { s.keysWritten = false }()
			return s.Query(ctx, append([]byte{wire.ComQuery}, text...))
		}
	}
	return s.execPlan(ctx, f, plan, false)
}

// answerBeforePlanning answers the statements whose plan needs a value
// or a step first (CREATE ... SELECT, SELECT ... INTO @x, a condition on
// a user variable, EXPLAIN), and says whether it did.
func (s *Session) answerBeforePlanning(ctx context.Context, sql string, f *sqlparse.Facts) (bool, error) {
	if f.Kind == sqlparse.KindDDL && f.DDLForm == "create-select" {
		if handled, err := s.createSelect(ctx, sql); handled {
			return true, err
		}
	}
	if f.Fallback && f.SetsUserVars && f.Kind == sqlparse.KindSelect {
		if ok, err := s.answerSelectIntoVars(ctx, sql); ok {
			return true, err
		}
	}
	if f.ReadsUserVars && !f.SetsUserVars {
		// WHERE id = @x: the value, read where the session keeps it,
		// routes the statement.
		text, ok, err := s.withUserVarValues(ctx, sql)
		if err != nil {
			return true, s.refuse(errUserVars(err))
		}
		if ok && !s.parse(text).Summary.ReadsUserVars {
			return true, s.Query(ctx, append([]byte{wire.ComQuery}, text...))
		}
	}
	if f.Kind == sqlparse.KindExplain {
		if handled, err := s.explainOnShards(ctx, sql, nil, false); handled {
			return true, err
		}
	}
	return false, nil
}

// answerUnplanned runs a statement the planner refused (err) where a
// value evaluated first, or a subquery run first, makes it routable, and
// refuses it otherwise.
func (s *Session) answerUnplanned(ctx context.Context, sql string, f *sqlparse.Facts, err error) error {
	if !s.keysWritten {
		// INSERT ... VALUES (NOW(), ...) into a table sharded by time:
		// the key's value, evaluated first, routes the row.
		text, ok, kerr := s.withInsertKeyValues(ctx, sql, f)
		if kerr != nil {
			return s.refuseRouting(kerr)
		}
		if ok {
			s.keysWritten = true // once: the statement with the values is planned as it is
			defer func() { s.keysWritten = false }()
			return s.Query(ctx, append([]byte{wire.ComQuery}, text...))
		}
	}
	if pullsOut(f) {
		// x IN (SELECT ... FROM sharded): run the subquery first. In
		// MariaDB's words the parser lacks (CAST(x AS INT)), in MySQL's.
		pulled := sql
		if alt, ok := s.readingMode().ReadableMySQLForm(sql); f.Fallback && ok {
			pulled = alt
		}
		outer, perr := s.pullOut(ctx, pulled, pullLevel{primary: f.Kind != sqlparse.KindSelect})
		switch {
		case perr == nil:
			return s.Query(ctx, append([]byte{wire.ComQuery}, outer...))
		case errors.Is(perr, sqlparse.ErrNothingToInsert):
			return s.WriteOK()
		case !errors.Is(perr, errNotPulled):
			err = perr
		}
	}
	if werr := s.serverSyntaxError(ctx, f, sql); werr != nil {
		return s.refuse(werr)
	}
	return s.refuseRouting(err)
}

// serverSyntaxError is MariaDB's own syntax error (1064) for a statement
// Strata's parser could not read and would refuse on placed tables, when
// the statement is not MariaDB's either: a typo (`SELEC * FROM entries`)
// gets the server's error, which points at the spot, not Strata's "cannot
// read" refusal, which suggests the statement is MariaDB syntax Strata
// lacks. The server only prepares the statement (nothing runs), on a
// connection of the default cluster. nil when the server reads it, or
// cannot be asked.
func (s *Session) serverSyntaxError(ctx context.Context, f *sqlparse.Facts, sql string) *wire.Error {
	if !f.Fallback || sqlparse.UnparsedForm(sql) != "" {
		return nil // a known MariaDB form: the refusal says what to write
	}
	snap := s.env.Topology.Load()
	conns, err := s.takeConns(ctx, []planner.ShardRoute{{Cluster: snap.DefaultCluster}}, false, false)
	if err != nil {
		return nil
	}
	defer s.giveBack(conns)
	_, err = conns[0].conn.Stmt(s.DB, sql)
	var werr *wire.Error
	if errors.As(err, &werr) && werr.Code == wire.ErParse {
		return werr
	}
	if err != nil && !errors.As(err, &werr) {
		s.markBroken(conns[0], err)
	}
	return nil
}

// pinnedAway reports whether f, a statement over tables no config places
// (they live on the default cluster), comes while the session is pinned to
// another cluster: a transaction that moved to a shard, or session state
// held there. Relayed to the pinned connection it would read or write that
// shard's tables of the same name, so it is planned as a statement for the
// default cluster instead, and checkTransaction decides whether it may run.
func (s *Session) pinnedAway(f *sqlparse.Facts) bool {
	if s.pinned == nil || s.env.Sharding == nil || len(f.Tables)+len(f.WriteTables) == 0 {
		return false
	}
	snap := s.env.Topology.Load()
	return snap.PrimaryOf(s.pinned.Addr) != snap.DefaultCluster
}

// pullsOut: a statement the sharding planner refused may have its
// subqueries over shards run first (Session.pullOut): a SELECT, an
// UPDATE, a DELETE, or an INSERT ... SELECT. Not a locking read: the subquery's rows would not
// be locked.
func pullsOut(f *sqlparse.Facts) bool {
	if f.Returning != "" {
		// The statement run after the pull would be rendered without
		// its RETURNING clause: refused rather than answered with an OK.
		return false
	}
	switch f.Kind {
	case sqlparse.KindSelect:
		return !f.Locking
	case sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindInsert:
		return true
	case sqlparse.KindSet:
		return f.SetsUserVars // SET @x = (SELECT ... FROM sharded)
	}
	return false
}

// errMaskedPlaced refuses a statement over placed tables whose text has
// two-byte characters ending in an ASCII byte: its structure was read
// right, but the values that route it (shard keys, names) were not.
func (s *Session) errMaskedPlaced() *wire.Error {
	name := "of this connection"
	if s.multibyte != nil {
		name = s.multibyte.Name()
	}
	return wire.NewError(wire.ErNotSupportedYet, "Strata: this statement on sharded or placed tables holds characters of character set %s whose second byte is an ASCII byte (such as 0x95 0x5C in sjis); Strata cannot read the values that route it safely. Send statements on these tables over a utf8mb4 connection (SET NAMES utf8mb4)", name)
}

// refuseRouting answers a statement the sharding planner would not route.
func (s *Session) refuseRouting(err error) error {
	var rerr *planner.RoutingError
	var werr *wire.Error
	var serr *sqlparse.SyntaxError
	var cerr *engine.CollationUnknownError
	var uerr *sqlparse.UnsupportedError
	var sverr *sqlparse.ServerError
	switch {
	case errors.As(err, &sverr):
		return s.refuse(&wire.Error{Code: sverr.Code, State: sverr.SQLState, Message: sverr.Msg})
	case errors.As(err, &rerr):
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: %s", rerr.Msg))
	case errors.As(err, &uerr):
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: %s", uerr.Msg))
	case errors.As(err, &cerr):
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: %s", cerr.Reason))
	case errors.As(err, &serr):
		return s.refuse(wire.NewError(wire.ErParse, "%s", serr.Msg))
	case errors.As(err, &werr):
		return s.refuse(werr)
	case errors.Is(err, engine.ErrNotComputable):
		// A value Strata cannot write back into SQL as its type: its own
		// refusal, not a failure.
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: %v; give the shard key so one shard answers", err))
	}
	return s.refuse(wire.NewError(wire.ErUnknownError, "Strata: %v", err))
}

// execPlan runs a plan. binary: the client ran a prepared statement and
// expects binary-protocol rows.
func (s *Session) execPlan(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	s.varsTravel, s.varsRead, s.varsSET = plan.Write || plan.Kind == planner.PlanLoad || f.StoredFunctions, false, ""
	defer func() { s.varsTravel, s.varsRead, s.varsSET = false, false, "" }()
	if plan.Kind == planner.PlanLoad {
		return s.execLoad(ctx, f, plan) // never in a transaction
	}
	if f.ImplicitCommit && plan.Write && (s.inTx || !s.autocommit) && !s.onTxCluster(plan) {
		if committed, err := s.commitImplicitly(ctx); !committed {
			return err
		}
	}
	narrowing := s.narrows(f, plan)
	if guessable(f, plan) {
		// Where it finds its rows is learned (locate.go).
		s.locate, s.locateEach = plan.Locate, plan.LocateEach
		defer func() { s.locate, s.locateEach = nil, nil }()
	}
	err := errGuessMissed
	if guess := s.guessedPlan(f, plan, narrowing); guess != nil {
		// The rows' shards are known: those shards alone first (locate.go).
		err = s.execGuessed(ctx, f, guess, narrowing, binary)
	}
	if errors.Is(err, errGuessMissed) && s.learnsEach(f, narrowing) {
		err = s.execLearningRead(ctx, f, plan, binary)
	}
	if errors.Is(err, errGuessMissed) {
		err = s.execNarrowing(ctx, f, plan, narrowing, binary, false)
	}
	if errors.Is(err, errWidenAcross) {
		// twopc: the statement's rows are on other shards than the
		// transaction's, and it was undone; it runs again as a
		// transaction across them.
		if err := s.checkTransaction(ctx, f, plan); err != nil {
			return s.refuseRouting(err)
		}
		return s.execRoutes(ctx, f, plan, binary)
	}
	return err
}

// execNarrowing runs a plan, narrowing the transaction where narrowing
// says so (narrow.go). guessing: the plan is the statement on the shard
// its row was last seen on (locate.go), which ends errGuessMissed, undone,
// where the row was not there.
func (s *Session) execNarrowing(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, narrowing narrowKind, binary, guessing bool) error {
	s.guessing = guessing
	defer func() { s.guessing = false }()
	if s.narrowing = narrowing; s.narrowing != notNarrowed {
		// Run on each shard in a transaction there; where it changed
		// rows decides where the client's transaction is (narrow.go).
		s.widens = s.twoPhase()
		defer func() { s.narrowing, s.widens = notNarrowed, false }()
	} else if err := s.checkTransaction(ctx, f, plan); err != nil {
		return s.refuseRouting(err)
	}
	return s.execRoutes(ctx, f, plan, binary)
}

// execRoutes runs a plan whose transaction checkTransaction accepted, or
// that narrows it (narrow.go).
func (s *Session) execRoutes(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	switch {
	case plan.Kind == planner.PlanRelay && !binary && !s.outsideTx(plan.Routes[0].Cluster):
		r := plan.Routes[0]
		s.dropForeignSticky(r.Cluster)
		packet := append([]byte{comQuery}, r.SQL...)
		// A replica's wait for the session's writes there goes out with
		// the statement (waitWithRead).
		return s.run(ctx, command{facts: f, stmts: []*sqlparse.Facts{f}, cluster: r.Cluster, cacheQuery: r.Cluster + "\x00" + r.SQL, waitWithRead: true},
			func(c *backend.Conn, capture *backend.Capture) (backend.Result, error) {
				if err := c.RequestFor(packet, nil); err != nil {
					return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
				}
				return c.RelayRenaming(s.client, s.caps&wire.ClientLocalFiles != 0, capture, s.periodNames(r))
			})
	case plan.Write || !f.ReadOnly && plan.Kind != planner.PlanMerge && !lockingRead(f):
		return s.execWrite(ctx, f, plan, binary)
	case s.narrowing != notNarrowed:
		return s.execNarrowedRead(ctx, f, plan, binary) // a locking read (narrowread.go)
	case s.guessing:
		return s.execGuessedRead(ctx, f, plan, binary) // on its rows' last shards (locate.go)
	}
	return s.execMerge(ctx, f, plan, binary)
}

// lockingRead reports whether f is a SELECT ... FOR UPDATE (or LOCK IN
// SHARE MODE): it answers rows, as a read, though it may not run on a
// replica. One that runs on one shard where the relay cannot take it (in
// the binary protocol after its transaction moved there, or with a route
// text its bound values wrote) is merged from its one route.
func lockingRead(f *sqlparse.Facts) bool { return f.Kind == sqlparse.KindSelect && f.Locking }

// periodNames is how the answer of routes names the tables it read: a
// date-sharded table's period tables (posts_2024_06) as the table the
// client named (posts), as one server holding it would; nil when the
// routes read no period table.
func (s *Session) periodNames(routes ...planner.ShardRoute) func(string) string {
	l := s.env.Sharding.Layout()
	for _, r := range routes {
		for _, t := range r.Tables {
			if l.TableOfPeriod(t) != "" {
				return l.TableOfPeriod
			}
		}
	}
	return nil
}

// onTxCluster reports whether plan runs only on the cluster of the
// session's pinned connection, where the server itself commits the open
// transaction before a schema change.
func (s *Session) onTxCluster(plan *planner.ShardPlan) bool {
	clusters := plan.Clusters()
	return s.pinned != nil && len(clusters) == 1 && clusters[0] == s.env.Topology.Load().PrimaryOf(s.pinned.Addr)
}

// commitImplicitly commits the session's open transaction before a schema
// change of other clusters or several shards, as MariaDB commits it before any statement
// that commits implicitly (an ORM's migration wrapped in BEGIN ...
// COMMIT): the change then runs outside it, on every shard. It reports
// false when the COMMIT failed, the error already answered.
func (s *Session) commitImplicitly(ctx context.Context) (bool, error) {
	if !s.inTx || s.pinned == nil {
		return true, nil // nothing open yet (autocommit off, no statement since)
	}
	commit := s.parse("COMMIT").Summary
	committed := false
	err := s.run(ctx, command{facts: commit, stmts: []*sqlparse.Facts{commit}}, func(c *backend.Conn, _ *backend.Capture) (backend.Result, error) {
		res, err := c.Exec(ctx, "COMMIT")
		var werr *wire.Error
		switch {
		case errors.As(err, &werr):
			// The server refused the COMMIT (the transaction was rolled
			// back): the client hears it, as after its own COMMIT.
			return backend.Result{Err: werr}, s.WriteError(werr)
		case err != nil:
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		committed = true
		return backend.Result{Status: res.Status, HasStatus: true}, nil
	})
	return committed && err == nil, err
}

// checkTransaction keeps a transaction on one cluster. A transaction that
// has run nothing yet moves to the cluster of its first statement.
func (s *Session) checkTransaction(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan) error {
	if f.ImplicitCommit && !s.inTx && len(s.branches) == 0 {
		return nil // a schema change runs outside any transaction (commitImplicitly)
	}
	// A plain read may look at other shards: it runs outside the
	// transaction there (their committed rows) and on the transaction's
	// connection on its own shard. Writes and locking reads may not.
	read := !plan.Write && f.ReadOnly && !f.Locking
	if s.pinned == nil {
		if (s.inTx || !s.autocommit) && len(plan.Clusters()) > 1 && !read {
			if s.twoPhase() {
				return s.joinBranches(ctx, plan.Clusters())
			}
			return &planner.RoutingError{Msg: fmt.Sprintf("a transaction stays on one shard, and this statement needs %s%s; run it outside the transaction or add the shard key%s", strings.Join(plan.Clusters(), ", "), uniqueNeeds(plan), twoPCHint(true))}
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
	if s.txFresh && s.inTx && s.movableState() && len(clusters) == 1 {
		return s.moveTransaction(ctx, clusters[0], true)
	}
	if !s.inTx && !s.autocommit && s.movableState() && len(clusters) == 1 {
		// Autocommit off and nothing run since the last transaction: the
		// statement begins the next one, on its shard, with the state.
		return s.moveTransaction(ctx, clusters[0], false)
	}
	if s.inTx && read {
		return nil
	}
	if s.twoPhase() && (s.inTx || !s.autocommit) {
		if s.txFresh && s.inTx && s.movableState() && len(s.branches) == 0 && !slices.Contains(clusters, txCluster) {
			// Nothing ran on the cluster BEGIN went to: the transaction
			// starts on the statement's first cluster instead.
			if err := s.moveTransaction(ctx, clusters[0], true); err != nil {
				return err
			}
		}
		return s.joinBranches(ctx, clusters)
	}
	if !s.inTx && s.autocommit && s.movableState() && len(clusters) == 1 {
		// No transaction, and the state (user variables) can move: it
		// goes to the statement's cluster, which then holds it.
		return s.moveTransaction(ctx, clusters[0], false)
	}
	if !s.inTx && s.autocommit {
		// No transaction: the statement uses state (a user variable, a
		// temporary table) that lives on another cluster's connection.
		return &planner.RoutingError{Msg: fmt.Sprintf("this statement uses session state (%s) that lives on this session's connection to cluster %s, and it runs on %s, where that state is not: %s", s.heldState(), txCluster, strings.Join(clusters, ", "), s.stateApartHint(f))}
	}
	if s.txFresh && s.inTx && !s.movableState() && len(clusters) == 1 {
		// "add the shard key" would not help: the transaction began where
		// the session's state lives, and that state cannot move with it.
		return &planner.RoutingError{Msg: fmt.Sprintf("the transaction began on cluster %s, where this session keeps state (%s) on its connection, so it cannot move to %s, which this statement needs; create that state inside the transaction, after its first statement, or run the statement outside it%s", txCluster, s.heldState(), clusters[0], twoPCHint(true))}
	}
	if s.txFresh && s.inTx {
		// Nothing ran on txCluster yet: naming it would mislead.
		return &planner.RoutingError{Msg: fmt.Sprintf("a transaction stays on one shard, and this statement, its first, needs %s%s; give the shard key, or run it outside the transaction%s", strings.Join(clusters, ", "), uniqueNeeds(plan), twoPCHint(true))}
	}
	return &planner.RoutingError{Msg: fmt.Sprintf("the open transaction is on cluster %s and this statement needs %s%s; a transaction stays on one shard (COMMIT first, or add the shard key%s)", txCluster, strings.Join(clusters, ", "), uniqueNeeds(plan), twoPCHint(s.inTx))}
}

// uniqueNeeds says why a write that checks unique columns needs every
// shard, for errors.
func uniqueNeeds(plan *planner.ShardPlan) string {
	if len(plan.Unique) == 0 {
		return ""
	}
	return " (it writes " + strings.Join(plan.Unique[0].Columns, ", ") + ", which Strata checks is unique on every shard: unique: in its config)"
}

// heldState names the state that pins the session, for errors.
// stateApartHint says what to do about a statement f refused because it
// uses session state that lives on another cluster's connection.
func (s *Session) stateApartHint(f *sqlparse.Facts) string {
	switch {
	case f.TempTable && s.holds["temporary tables"]:
		return "a temporary table named as a sharded table lives on its shards, and this session keeps its temporary tables on one connection; drop the others first (DROP TEMPORARY TABLE), or give this one a name no placed table has"
	case s.holds["user variables"]:
		return "write the values into the statement instead of user variables, or keep the state on the cluster of the tables that use it"
	}
	return "keep the state on the cluster of the tables that use it"
}

func (s *Session) heldState() string {
	if len(s.holds) == 0 {
		return "the session's own values"
	}
	return strings.Join(slices.Sorted(maps.Keys(s.holds)), ", ")
}

// twoPCHint points a refused transaction at transactions.mode: twopc.
func twoPCHint(inTx bool) string {
	if !inTx {
		return ""
	}
	return "; transactions.mode: twopc in Strata's config lets a transaction write several clusters"
}

// movableState reports whether what the session keeps on its pinned
// connection can move to another connection with a transaction that has
// run nothing yet: user variables, which moveTransaction copies
// (information_schema.USER_VARIABLES lists them all), SET TRANSACTION's
// settings, which it replays, and a LAST_INSERT_ID(expr), which it sets
// again. Temporary tables, locks and the like cannot move.
func (s *Session) movableState() bool {
	for hold := range s.holds {
		switch hold {
		case "user variables", "next transaction settings", "LAST_INSERT_ID(expr)":
		default:
			return false
		}
	}
	return true
}

// moveTransaction moves the session's pinned connection to cluster's
// primary: the state it keeps there goes with it (movedState), and with
// begin the empty transaction on it ends there and starts again, with the
// same statement, on the new connection (without begin, autocommit off
// or outside a transaction, the statement about to run starts one if
// any). The new connection is readied before the old one is let go, so a
// failure leaves the session as it was.
func (s *Session) moveTransaction(ctx context.Context, cluster string, begin bool) error {
	old := s.pinned
	st, err := s.readMovedState(ctx, old)
	if err != nil {
		return err
	}
	c, err := s.connectCluster(ctx, s.env.Topology.Load(), cluster)
	if err != nil {
		return err
	}
	if err := s.applyMovedState(ctx, c, st); err != nil {
		c.Broken = true
		s.put(c)
		return fmt.Errorf("moving the session's state to %s: %w", cluster, err)
	}
	if err := old.SimpleCommand(comQuery, "ROLLBACK"); err != nil {
		old.Broken = true
	}
	old.NeedsReset = true // it held the session's state
	s.pinned = nil
	s.put(old)
	if begin {
		text := s.txBegin
		if text == "" {
			text = "START TRANSACTION"
		}
		if err := c.SimpleCommand(comQuery, text); err != nil {
			c.Broken = true
			s.put(c)
			s.inTx = false
			return fmt.Errorf("starting the transaction on %s: %w", cluster, err)
		}
	}
	s.pinned = c
	return nil
}

// movedState is the session state moveTransaction carries from one
// connection to another: a SET of the user variables, and the value of a
// LAST_INSERT_ID(expr) ("" for none of either). SET TRANSACTION's
// settings the session keeps itself (nextTx).
type movedState struct {
	vars, insertID string
}

// readMovedState reads on old the state that moves with the session.
func (s *Session) readMovedState(ctx context.Context, old *backend.Conn) (movedState, error) {
	var st movedState
	if s.holds["user variables"] {
		set, err := userVarsSET(ctx, old)
		if err != nil {
			return st, fmt.Errorf("reading the session's user variables on %s: %w", old.Addr, err)
		}
		st.vars = set
	}
	if s.holds["LAST_INSERT_ID(expr)"] && s.insertIDConn == old {
		_, row, err := queryRow(ctx, old, "SELECT LAST_INSERT_ID()")
		if err != nil {
			return st, fmt.Errorf("reading the session's LAST_INSERT_ID() on %s: %w", old.Addr, err)
		}
		st.insertID = string(row[0])
	}
	return st, nil
}

// applyMovedState sets st and the session's SET TRANSACTION settings on
// c, which is reset before another session takes it.
func (s *Session) applyMovedState(ctx context.Context, c *backend.Conn, st movedState) error {
	sets := s.nextTx
	if st.vars != "" {
		sets = append([]string{st.vars}, sets...)
	}
	if st.insertID != "" {
		sets = append(sets, "DO LAST_INSERT_ID("+st.insertID+")")
	}
	for _, set := range sets {
		c.NeedsReset = true
		if _, err := c.Exec(ctx, set); err != nil {
			return err
		}
	}
	if st.insertID != "" {
		if n, err := strconv.ParseUint(st.insertID, 10, 64); err == nil {
			s.lastInsertID = n
		}
		s.insertIDConn = c
	}
	return nil
}

// outsideTx reports whether a statement on cluster runs outside the open
// transaction (a read of another shard): its answer must not change what
// the session knows of the transaction, so Strata answers it itself
// instead of relaying the other server's status flags.
func (s *Session) outsideTx(cluster string) bool {
	return s.pinned != nil && s.inTx && s.env.Topology.Load().PrimaryOf(s.pinned.Addr) != cluster
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
