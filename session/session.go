// Package session is one client connection's state machine: it tracks what
// the client has set up (schema, session variables, transaction, prepared
// statements), asks the planner where each statement goes, keeps backend
// connections in step with that state, and decides when a session must stay
// pinned to one backend connection.
package session

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/gtid"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/querystats"
	"github.com/strata-proxy/strata/resultcache"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/twophase"
	"github.com/strata-proxy/strata/wire"
)

// Env is what every session shares: the routing truth, the planner, the
// backend pools and the metrics. It holds no per-client state.
type Env struct {
	Topology *topology.Topology
	Planner  *planner.Planner
	Pools    *backend.Pools
	Metrics  *metrics.Metrics
	Registry *Registry
	// Cache holds results of reads whose routing rule says cache:; nil
	// when no rule does.
	Cache *resultcache.Cache
	// backendLogin is the default server account (BackendLogin), used
	// for out-of-band commands such as KILL QUERY, which need a connection
	// of their own.
	backendLogin atomic.Pointer[backend.Login]
	// Accounts are the server accounts of users that have their own
	// (config users[].backend); the others run as BackendUser.
	Accounts *backend.Accounts
	// BackendSockets maps server addresses to the Unix sockets to dial.
	BackendSockets map[string]string
	// BackendTLS, when set, encrypts those out-of-band connections.
	BackendTLS *tls.Config
	// limits are the bounds a config reload may change while sessions
	// run (Limits, SetLimits).
	limits atomic.Pointer[Limits]
	// Log receives the slow-statement log (Limits.SlowLog).
	Log *slog.Logger
	// zone is where this Strata runs; replicas in it are preferred
	// (Zone, SetZone).
	zone atomic.Pointer[string]
	// stateTables are where Strata keeps its own state on the servers
	// (StateTables, SetStateTables).
	stateTables atomic.Pointer[[]sqlparse.TableRef]
	// toolAccounts are server accounts Strata's tools log in as
	// (SetToolAccounts).
	toolAccounts atomic.Pointer[[]string]
	// OnBackendFailure is told when a server could not be reached, so the
	// monitor checks it at once instead of at its next interval (may be nil).
	OnBackendFailure func(addr string)
	// Sharding plans statements over the tables the `tables:` config places
	// (nil: no table is placed).
	Sharding *planner.Sharding
	// ReadYourWritesWait bounds how long a read waits for a replica to apply
	// the session's last write before it goes to the primary instead.
	ReadYourWritesWait time.Duration
	// Marks are the positions of every session's acknowledged writes, for
	// clusters with consistency: global (nil: none has it, or a test).
	Marks *gtid.Marks
	// MergeMemory is what all statements' merges hold together, bounded
	// by limits.max_merge_memory_total; each statement's own budget
	// draws on it (nil: no shared bound).
	MergeMemory *engine.Budget
	// Stats counts statements by digest and route (nil: not kept).
	Stats *querystats.Store
	// FailoverWait, when above 0 (switchover.auto_failover), is how long
	// a statement that cannot reach its primary waits for a failover to
	// name a new one before it fails. Only statements never sent wait, so
	// none runs twice.
	FailoverWait atomic.Int64 // nanoseconds
	// twoPhase, when set (transactions.mode: twopc), lets a transaction
	// write several clusters, committed with two-phase commit; nil keeps
	// each transaction on one cluster (TwoPhase, SetTwoPhase).
	twoPhase atomic.Pointer[TwoPhase]
}

// TwoPhase is the two-phase commit machinery new transactions use (nil:
// transactions.mode single).
func (e *Env) TwoPhase() *TwoPhase { return e.twoPhase.Load() }

// SetTwoPhase changes transactions.mode (a reload). A transaction across
// clusters already open keeps the machinery it began with until it ends.
func (e *Env) SetTwoPhase(tp *TwoPhase) { e.twoPhase.Store(tp) }

// Limits are the bounds every session reads per statement, so a config
// reload that changes them applies to the sessions already connected, at
// their next statement.
type Limits struct {
	// ConnectTimeout bounds dialing a server out of band (KILL QUERY).
	ConnectTimeout time.Duration
	// PoolWait bounds the wait for a max_running slot (limits.pool_wait).
	PoolWait time.Duration
	// MaxPreparedStmts bounds the statements a session keeps prepared
	// (limits.max_prepared_statements; 0: no bound).
	MaxPreparedStmts int
	// MaxLongData bounds the parameters a session's statements hold
	// streamed until their EXECUTE (limits.max_allowed_packet; 0: no
	// bound).
	MaxLongData int
	// MaxPulledRows bounds the rows read from one table or subquery to run
	// a statement over sharded tables on one server
	// (limits.max_pulled_rows; 0: the default).
	MaxPulledRows int
	// MaxMergeMemory bounds the bytes one statement's merge over shards
	// holds at once (limits.max_merge_memory; 0: the default).
	MaxMergeMemory int64
	// SlowLog is the threshold of the slow-statement log (0: off; config
	// slow_log).
	SlowLog time.Duration
	// PrepareTextReads runs a text SELECT as its shape's server-side
	// prepared statement where that answers the same
	// (backend.prepare_text_reads; textprepared.go).
	PrepareTextReads bool
}

// Zone is where this Strata runs (config zone; "" for none).
func (e *Env) Zone() string {
	if z := e.zone.Load(); z != nil {
		return *z
	}
	return ""
}

// SetZone changes the zone whose replicas reads prefer (a reload); the
// next read uses it.
func (e *Env) SetZone(zone string) { e.zone.Store(&zone) }

// SetStateTables names the tables where Strata keeps its own state on the
// servers (server.StateTables), which clients may read but not change.
func (e *Env) SetStateTables(tables []sqlparse.TableRef) { e.stateTables.Store(&tables) }

// SetToolAccounts names the server accounts Strata's switchover logs in as
// and gives replicas (config switchover.user, .replication_user), which
// clients may not change, as backend.user.
func (e *Env) SetToolAccounts(names []string) { e.toolAccounts.Store(&names) }

// StateTables are the tables SetStateTables named last.
func (e *Env) StateTables() []sqlparse.TableRef {
	if t := e.stateTables.Load(); t != nil {
		return *t
	}
	return nil
}

// BackendLogin is the default server account (config backend.user).
func (e *Env) BackendLogin() backend.Login {
	if l := e.backendLogin.Load(); l != nil {
		return *l
	}
	return backend.Login{}
}

// SetBackendLogin replaces the default server account (a reload).
func (e *Env) SetBackendLogin(l backend.Login) { e.backendLogin.Store(&l) }

// Limits returns the bounds in force (zero ones before SetLimits).
func (e *Env) Limits() *Limits {
	if l := e.limits.Load(); l != nil {
		return l
	}
	return &noLimits
}

var noLimits Limits

// SetLimits replaces the bounds; statements that start afterwards use them.
func (e *Env) SetLimits(l Limits) { e.limits.Store(&l) }

func (e *Env) reportFailure(addr string, err error) {
	if e.OnBackendFailure != nil && backend.IsServerGone(err) {
		e.OnBackendFailure(addr)
	}
}

// inUse is a server's backend connections in use, for least_connections.
func (e *Env) inUse(addr string) int { return e.Pools.For(addr).Stats().InUse }

// Session is one client's state.
type Session struct {
	ID         uint32
	User       string
	ClientAddr string
	DB         string

	env       *Env
	client    *wire.Conn
	flavor    backend.Flavor
	caps      uint32
	collation byte

	// literals, params and execPacket are execTextPrepared's buffers.
	literals   []sqlparse.Literal
	params     []wire.Param
	execPacket []byte

	vars       varSet
	autocommit bool
	inTx       bool
	// keysWritten: the statement running is an INSERT whose shard keys
	// Strata evaluated and wrote in (withInsertKeyValues): it is not
	// rewritten again.
	keysWritten bool
	// fenced: the statement running holds the fences of moving tables
	// (passFences). It reads them on the primaries: a replica may not
	// have applied the last batch yet, and would show a row on both
	// shards or on neither.
	fenced bool
	// mode is how the session's sql_mode reads SQL text when it does not
	// read it as the default does (sqlmode.go); nil: the default.
	// keepsZero: it has NO_AUTO_VALUE_ON_ZERO, which reads as the default
	// but keeps an AUTO_INCREMENT column's 0 (sqlparse.Mode.NumbersZero).
	// modeValue is the sql_mode when either is set, else "".
	mode      *sqlparse.Mode
	keepsZero bool
	modeValue string
	// loginIgnoreSpace: the client logged in with CLIENT_IGNORE_SPACE,
	// and the session's sql_mode is still the server's one with
	// IGNORE_SPACE added, as a server gives such a client.
	loginIgnoreSpace bool
	// overTLS and compressed: how the client's connection carries its
	// packets (fixed at login; read by other goroutines, for the process
	// list).
	overTLS, compressed bool
	// attrs: which program the client says it is (fixed at login).
	attrs ClientAttrs
	// timeZone is the time_zone the session set ("" for the server's):
	// a date table keyed by a TIMESTAMP places the session's literals by
	// the moment they name in it (sqlparse.Mode.Zone).
	timeZone string
	// multibyte is the client's character set when its two-byte
	// characters may end in an ASCII byte (sjis, cp932, gbk, big5): its
	// statements are read masked (parseMasked). nil for the others.
	multibyte *sqlparse.Multibyte
	// charset is the client's character set (character_set_client: what
	// its statements and string parameters are written in), "" when
	// Strata does not know it.
	charset string
	// results is the character set the client reads its results in
	// (character_set_results) when it set that apart from SET NAMES: ""
	// while it follows charset, "unknown" for a name Strata does not
	// know, "binary" for NULL (the server converts nothing).
	results string
	// modePending: the server's global sql_mode was not read yet when the
	// session started; its first statement after the monitor read it
	// takes it (takeServerSQLMode).
	modePending bool
	// holds names session state living on one backend connection (user
	// variables, temporary tables, named locks, LOCK TABLES): while any is
	// held the session stays pinned to that connection.
	holds map[string]bool
	// pinned is the backend connection the session is bound to, if any.
	pinned *backend.Conn
	// sticky is the connection of the last statement when it left state
	// the next may read there — a write's ROW_COUNT(), SQL_CALC_FOUND_ROWS's
	// FOUND_ROWS(), warnings — kept while the following statements read
	// it; the first statement that does not releases it.
	sticky *backend.Conn
	// lastInsertID is the session's LAST_INSERT_ID() as the OK packets of
	// its writes reported it; insertIDConn is the connection known to hold
	// it (another connection gets it set before a statement reads it).
	lastInsertID uint64
	insertIDConn *backend.Conn
	// txFresh: the open transaction has run nothing since it began, so it
	// may still move to the cluster (shard) of its first statement; txBegin
	// is the statement that began it, replayed there.
	txFresh bool
	txBegin string
	// narrowing: the statement running now is a transaction's write or
	// locking read over several shards, run tentatively on each to find
	// its rows (narrow.go, narrowread.go). spread:
	// the connections of such a write that changed rows on several
	// shards, each in the client's transaction, which may only end now.
	narrowing narrowKind
	spread    []*shardConn
	// widens: the narrowing statement runs under transactions.mode
	// twopc, where rows on other shards widen the transaction across
	// them (errWidenAcross) instead of being refused.
	widens bool
	// locate names the row the statement running now can touch, where
	// it sets a unique: column equal to a value (planner.ShardPlan.Locate),
	// and locateEach the rows of the values it lists in such a column's
	// IN list (planner.ShardPlan.LocateEach); guessing: it runs first on
	// the shards those rows were last seen on, alone (locate.go);
	// learning: a read of locateEach's rows runs on every shard with its
	// rows held, to learn from them where each row is.
	locate     *shard.LocationKey
	locateEach []shard.LocationKey
	guessing   bool
	learning   bool
	// branches: the other clusters a transaction across clusters wrote
	// (TwoPhase), each an XA branch named by xid; the pinned connection is
	// its coordinator. txDeadlock: a statement of it hit a deadlock, so
	// its server rolled back a part (checkBranches ends the rest).
	branches map[string]*backend.Conn
	xid      twophase.XID
	tp       *TwoPhase // what xid was begun with, kept to its end
	// stmtTwoPhase: the write running now commits under two-phase commit
	// (writeShards), so it may move rows between shards.
	stmtTwoPhase bool
	txDeadlock   bool
	// toldDeadlock: the client was just told that its statement was
	// interrupted to end a deadlock across servers (backend.DeadlockError);
	// the rest of its transaction is rolled back at the command's end
	// (endDeadlockVictim).
	toldDeadlock bool
	// savepoints: the open transaction's savepoints, oldest first, kept
	// so that a cluster joining it as a branch gets them too
	// (savepoints.go).
	savepoints []string
	// last is the connection used last, preferred when it is idle so its
	// session variables need not be set again. lastUses is its Uses when
	// the session's last statement ended there: while they match, what
	// that statement left there (FOUND_ROWS(), warnings) is the session's.
	last     *backend.Conn
	lastUses uint64

	stmts map[uint32]*prepared
	// longDataBytes is what all of stmts hold of streamed parameters
	// (longdata.go).
	longDataBytes int
	// sqlStmts: SQL-level prepared statements over placed tables, name
	// -> text (sqlprepare.go).
	sqlStmts map[string]string
	// serverStmts: SQL-level prepared statements the server holds on the
	// session's connection, name to text (unreadText when not read);
	// preparedText is the text the PREPARE or EXECUTE IMMEDIATE running
	// now runs, when known (preparedtext.go).
	serverStmts       map[string]string
	preparedText      string
	preparedTextKnown bool

	nextStmt uint32
	lastStmt *prepared // the last one prepared, for lastPreparedID
	// execBuf is reused for the EXECUTE sent to a backend (executeOn).
	execBuf []byte
	// timeLimit is the running statement's max_statement_time from its
	// routing rule (setStatementTime), "" for none: sync applies it.
	timeLimit string
	// rowCount is ROW_COUNT() after a write Strata split over shards (or
	// that took ids from a sequence): the affected rows it reported, which
	// no connection holds; -1 after a result set Strata merged itself, as
	// after any SELECT. rowCountState: 2 set by the running command, 1
	// readable by this one, 0 none (CommandDone ages it).
	rowCount      int64
	rowCountState uint8
	// varsTravel: the running statement writes placed tables (or calls
	// stored functions), whose triggers may read the user variables the
	// session keeps on its pinned connection; varsSET is the SET that
	// copies them to another connection ("" for none), read once per
	// statement (varsRead; carryUserVars).
	varsTravel, varsRead bool
	varsSET              string
	// nextTx are the SET TRANSACTION statements run since the last
	// transaction ended (the "next transaction settings" hold): a
	// transaction that moves to a shard before running anything
	// replays them there before it begins (moveTransaction).
	nextTx []string
	// foundRows is FOUND_ROWS() after a result Strata sent itself (a
	// merge of shards, its own answers): the rows it sent, or with
	// SQL_CALC_FOUND_ROWS the shards' counts added up. foundRowsState
	// ages as rowCountState. foundRowsLost names the shard whose count
	// could not be read: FOUND_ROWS() is then refused, not answered wrong.
	foundRows      uint64
	foundRowsState uint8
	foundRowsLost  string
	// ownDiag is what SHOW WARNINGS lists after a statement whose
	// diagnostics no one server holds: the error Strata itself answered
	// with, or the warnings of a write over shards (diagnostics.go);
	// ownDiagState ages like rowCountState.
	ownDiag      heldDiagnostics
	ownDiagState uint8
	// evalDiag is what the evaluations of the merge in progress left on
	// their connection (shardmerge.go); nil when it evaluates nothing.
	evalDiag *evalDiagnostics
	// waitTimeout is the session's own wait_timeout (SET SESSION
	// wait_timeout = n), 0 when it never set one: the client's idle limit.
	waitTimeout time.Duration
	// writes holds, per cluster, the position of the session's last
	// committed write there, for read-your-writes; gtidApplied lists
	// replicas known to have it.
	writes       map[string]writeMark
	gtidApplied  map[string]bool
	wroteSinceTx bool
	// pendingWrites are tables written since the last recorded GTID.
	pendingWrites []string
	// txWrites are tables written in the open transaction, invalidated in
	// the result cache again when it ends.
	txWrites []string

	active atomic.Pointer[backend.Conn] // the connection running a statement now, for KILL QUERY
	// shared is User, the server account its statements run as and the
	// schema, as other goroutines read them (session list, KILL
	// ownership), published because COM_CHANGE_USER and USE change them.
	shared atomic.Pointer[identity]
	// activeShards are the connections of a scatter or multi-shard write
	// running now, for KILL QUERY.
	activeShards atomic.Pointer[[]*backend.Conn]
	// killing: a KILL QUERY of the running statement came. A server
	// ignores KILL QUERY for a thread whose statement has not started, so
	// a shard query not yet sent is not sent, and one that started as the
	// KILL came is killed by the goroutine that sent it (execMerge).
	killing atomic.Bool
	// spanningWrite: an autocommit write over several shards runs now,
	// in a transaction of its own on each (writeShards) or across
	// clusters (writeAcross), or a transaction's statement runs on several
	// shards to find its rows (narrow.go, narrowread.go). Its connections
	// hold their locks until it commits or settles on all of them, as a
	// transaction's do, so the deadlock detector may end it.
	spanningWrite atomic.Bool
	// current is the statement the session runs now (nil between
	// commands) and currentAt when it began, for GET /api/sessions; txOpen
	// is inTransaction as of the last command's end.
	current   atomic.Pointer[sqlparse.Facts]
	currentAt atomic.Int64
	// idleSince is when the last command ended (or the login): how long
	// a session has waited for its client, as MariaDB's process list
	// shows for Sleep.
	idleSince atomic.Int64
	txOpen    atomic.Bool
	// budget accounts what the statement running now holds in Strata's
	// memory (statementBudget); nil until it holds something. Atomic for
	// the session list, which shows it.
	budget atomic.Pointer[engine.Budget]
	// heldConn is the connection the session keeps between commands (a
	// transaction, temporary tables, locks), as of the last command's
	// end; nil when it keeps none. A switchover waits for its server; the
	// deadlock detector reads its thread id. Only Addr and ThreadID, which
	// never change, are read from other goroutines.
	heldConn    atomic.Pointer[backend.Conn]
	branchConns atomic.Pointer[[]*backend.Conn] // its XA branches' connections (publishBranches)
	closed      atomic.Bool
	closeClient func() // closes the client socket
}

// Options describe the client connection after the handshake.
type Options struct {
	ID         uint32
	User       string
	ClientAddr string
	DB         string
	Caps       uint32
	Collation  byte
	Attrs      ClientAttrs
	// Kill closes the client connection (KILL CONNECTION from another session).
	Kill func()
}

// New creates the session of an authenticated client.
func New(env *Env, client *wire.Conn, o Options) *Session {
	s := &Session{
		ID: o.ID, User: o.User, ClientAddr: o.ClientAddr, DB: o.DB,
		env: env, client: client, caps: o.Caps,
		flavor: backend.Flavor{
			Collation:    backendCollation,
			DeprecateEOF: o.Caps&wire.ClientDeprecateEOF != 0,
			FoundRows:    o.Caps&wire.ClientFoundRows != 0,
			Account:      env.Accounts.Of(o.User),
		},
		collation:   o.Collation,
		overTLS:     client.OverTLS(),
		compressed:  o.Caps&wire.ClientCompress != 0,
		attrs:       o.Attrs,
		autocommit:  true,
		holds:       map[string]bool{},
		stmts:       map[uint32]*prepared{},
		gtidApplied: map[string]bool{},
		writes:      map[string]writeMark{},
		closeClient: o.Kill,
	}
	s.vars.init(o.Collation)
	s.setCharset(engine.CharsetOfCollation(uint16(o.Collation)))
	if o.Caps&wire.ClientIgnoreSpace != 0 {
		s.ignoreSpaceAtLogin()
	}
	if o.Caps&wire.ClientInteractive != 0 {
		s.vars.set("wait_timeout", setInteractiveTimeout)
	}
	s.takeServerSQLMode()
	s.publishUser()
	s.idleSince.Store(time.Now().UnixNano())
	env.Registry.add(s)
	return s
}

// Client is the session's client connection.
func (s *Session) Client() *wire.Conn { return s.client }

// MultiStatements reports whether the client may send several statements in one query.
func (s *Session) MultiStatements() bool { return s.caps&wire.ClientMultiStatements != 0 }

// SetMultiStatements follows COM_SET_OPTION.
func (s *Session) SetMultiStatements(on bool) {
	if on {
		s.caps |= wire.ClientMultiStatements
	} else {
		s.caps &^= wire.ClientMultiStatements
	}
}

// Close releases every backend connection the session holds.
func (s *Session) Close() {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	s.env.Registry.remove(s.ID)
	s.releaseAll()
	s.releaseBudget() // a command that failed never reached CommandDone
}

// releaseAll returns pinned and sticky connections, resetting any that carry
// state another client must not inherit.
func (s *Session) releaseAll() {
	if len(s.branches) > 0 {
		s.abortAcross()
	}
	s.endSpread("ROLLBACK")
	dirty := s.inTx || len(s.holds) > 0 || !s.autocommit
	if s.pinned != nil {
		s.pinned.NeedsReset = s.pinned.NeedsReset || dirty
		s.put(s.pinned)
		s.pinned = nil
	}
	if s.sticky != nil {
		s.put(s.sticky)
		s.sticky = nil
	}
	s.inTx = false
	s.holds = map[string]bool{}
	s.serverStmts = nil // the connection, reset before its next use, held them
}

// put hands c back to its pool. From then on another session may take
// it, so the session no longer shows it as its own (heldConn): the
// deadlock detector, which reads every session's connections, would see
// it in two sessions and could not tell whose its locks are.
func (s *Session) put(c *backend.Conn) {
	if c == s.insertIDConn {
		s.insertIDConn = nil // another client may change it in the pool
	}
	s.heldConn.CompareAndSwap(c, nil)
	s.env.Pools.For(c.Addr).Put(c)
}

// Reset returns the session to a fresh state (COM_RESET_CONNECTION,
// COM_CHANGE_USER): transactions roll back, variables and statements go.
// A zero collation keeps the one from the handshake.
func (s *Session) Reset(user, db string, collation byte) {
	if collation != 0 {
		s.collation = collation
	}
	if s.pinned != nil {
		s.pinned.NeedsReset = true
	}
	s.releaseAll()
	s.User, s.DB = user, db
	s.flavor.Account = s.env.Accounts.Of(user) // connections are taken anew: releaseAll gave them back
	s.publishUser()
	s.autocommit = true
	s.loginIgnoreSpace = false // the server adds it at login only
	s.takeServerSQLMode()
	s.timeZone = ""
	s.vars.init(s.collation)
	s.waitTimeout = 0
	s.setCharset(engine.CharsetOfCollation(uint16(s.collation)))
	s.stmts = map[uint32]*prepared{}
	s.longDataBytes = 0
	s.sqlStmts, s.serverStmts = nil, nil
	s.lastStmt = nil
}

// IdleTimeout is how long the client may send nothing before Strata
// closes it, as the server would: the session's wait_timeout when it set
// one shorter than limit (limits.client_idle_timeout, 0: none), else
// limit. The operator's limit stays a ceiling: Rails, for one, sets
// wait_timeout to 24 days on every connection. own reports that the
// session's was taken.
func (s *Session) IdleTimeout(limit time.Duration) (timeout time.Duration, own bool) {
	if s.waitTimeout > 0 && (limit <= 0 || s.waitTimeout < limit) {
		return s.waitTimeout, true
	}
	return limit, false
}

// setInteractiveTimeout is what the server does for a client that logs
// in with CLIENT_INTERACTIVE (the mariadb CLI): its wait_timeout is the
// server's interactive_timeout. Strata's server connections do not log in
// so, since the pool's reset would drop it; the session sets it on each
// of them instead, as a variable the client could have set itself (its
// own SET wait_timeout replaces it; COM_RESET_CONNECTION and
// COM_CHANGE_USER drop it, as on the server). Strata's own idle limit for
// the client stays limits.client_idle_timeout.
const setInteractiveTimeout = "SET SESSION wait_timeout = @@GLOBAL.interactive_timeout"

// learnWaitTimeout follows SET SESSION wait_timeout. Strata closes an idle
// client itself: the server's wait_timeout closes only the backend
// connection, which the pool then replaces. A value Strata cannot read
// (an expression) leaves the limit as it was.
func (s *Session) learnWaitTimeout(v sqlparse.SessionVar) {
	if strings.EqualFold(v.Value, "DEFAULT") {
		s.waitTimeout = 0
		return
	}
	if n, err := strconv.ParseUint(strings.Trim(v.Value, "'\""), 10, 32); err == nil && !v.Dynamic {
		s.waitTimeout = time.Duration(max(n, 1)) * time.Second // the server takes 0 as 1
	}
}

// route is where one statement runs.
type route struct {
	label   string // primary, pool name, pinned
	conn    *backend.Conn
	pool    string
	primary bool
	read    bool // a read that may be retried on another replica
	// wait: the read is to be sent behind this wait for a write it must
	// see (consistentRead), in the same write.
	wait *gtidWait
}

// needsPrimary reports whether the session's state or the statement forces
// the primary. A statement that starts state the session then stays with
// (Hold: SET profiling, HANDLER ... OPEN) runs there, where the session's
// next statements, writes too, can go.
func (s *Session) needsPrimary(f *sqlparse.Facts) bool {
	return s.inTx || !s.autocommit || s.fenced || f.Locking || f.StartsTx || f.SetsUserVars || f.TempTable ||
		f.LockFunctions || f.Kind == sqlparse.KindLockTables || f.Kind == sqlparse.KindPrepare ||
		f.SessionFunctions || f.Kind == sqlparse.KindUse || f.NextTxSettings || f.SideEffects ||
		(f.Fallback && f.Kind == sqlparse.KindSet) || f.Hold != ""
}

// readable reports whether a statement may run on a replica.
func readable(f *sqlparse.Facts) bool {
	if f.ReadOnly {
		return true
	}
	// Session variable assignments run anywhere: the session replays them
	// on whichever connection serves it next.
	if f.Kind == sqlparse.KindSet && !f.SetsUserVars && f.Autocommit == nil {
		for _, v := range f.SessionVars {
			if v.Global || maskedValue(f, v) {
				return false
			}
		}
		return len(f.SessionVars) > 0
	}
	return false
}

// maskedValue reports whether v's value was read from multi-byte text
// Strata cannot replay: the session stays on the connection that ran it
// (learnOne), so that must be the primary's.
func maskedValue(f *sqlparse.Facts, v sqlparse.SessionVar) bool {
	return f.Masked && strings.Contains(v.SQL, sqlparse.MaskedChar)
}

// errNoBackend is the error a client sees when no server can take its statement.
func errNoBackend(format string, args ...any) *wire.Error {
	return wire.NewError(1429, format, args...) // ER_CONNECT_TO_FOREIGN_DATA_SOURCE, HY000
}

// held returns the connection the session must use because it holds
// state: pinned, or the sticky connection of the last statement for a
// statement that reads what it left (ROW_COUNT(), FOUND_ROWS(), warnings).
func (s *Session) held(f *sqlparse.Facts) (route, bool) {
	if s.pinned != nil {
		if rt, ok := s.previousBesidePin(f); ok {
			return rt, true
		}
		return route{label: "pinned", conn: s.pinned, primary: s.env.Topology.Load().IsPrimary(s.pinned.Addr)}, true
	}
	if s.sticky != nil {
		c := s.sticky
		s.sticky = nil
		if f.SessionFunctions {
			if rt, ok := keptRoute(c, s.env.Topology.Load().IsPrimary(c.Addr), f); ok {
				return rt, true
			}
		}
		s.put(c)
	}
	return route{}, false
}

// previousBesidePin is, for f that reads what the statement before left
// on its connection (SHOW WARNINGS, ROW_COUNT()), that connection when
// it is not the pinned one: a session pinned for its user variables or
// temporary tables, not a transaction, ran that statement on a shard of
// another cluster, and Strata kept the connection sticky. Sent to the
// pinned connection, f would read an empty list or -1. f must read
// nothing that lives on the pinned connection (a user variable, a table).
func (s *Session) previousBesidePin(f *sqlparse.Facts) (route, bool) {
	c := s.sticky
	if !f.ReadsPrevious || c == nil || c != s.last || s.inTx || !s.autocommit || f.ReadsUserVars || len(f.Tables) > 0 {
		return route{}, false
	}
	s.sticky = nil
	if rt, ok := keptRoute(c, s.env.Topology.Load().IsPrimary(c.Addr), f); ok {
		return rt, true
	}
	s.put(c)
	return route{}, false
}

// keptRoute is the route for f of a connection the session kept or took
// back because f reads what the previous statement left there: the
// primary's, or a replica's (that statement was a read: its warnings,
// SQL_CALC_FOUND_ROWS's FOUND_ROWS()) when f may run on a replica.
func keptRoute(c *backend.Conn, primary bool, f *sqlparse.Facts) (route, bool) {
	switch {
	case primary:
		return route{label: "primary", conn: c, primary: true}, true
	case replicaSafe(f):
		return route{label: "held", conn: c}, true
	}
	return route{}, false
}

// replicaSafe reports whether f, which reads the previous statement's
// connection (SessionFunctions), may run on a replica's: it is a read
// without side effects, locks, user variables or temporary tables.
// LAST_INSERT_ID() is carried over to any connection (restoreInsertID).
func replicaSafe(f *sqlparse.Facts) bool {
	return f.ReadOnly && !f.Locking && !f.SideEffects && !f.SetsUserVars && !f.ReadsUserVars &&
		!f.LockFunctions && !f.TempTable && !f.StoredFunctions
}

// noteWarnings records on c whose warnings it holds after f: this
// session's when f left some; none when f used a table, which makes the
// server drop earlier ones (a statement without tables, such as SELECT 1,
// leaves them).
func (s *Session) noteWarnings(c *backend.Conn, f *sqlparse.Facts, res backend.Result) {
	switch {
	case leftDiagnostics(res):
		c.WarnedBy = s.ID
	case len(f.Tables) > 0 && !f.ReadsPrevious:
		c.WarnedBy = 0
	}
}

// wouldLeaveForeignDiagnostics reports whether c, just taken from its
// pool for f, holds another session's warnings or error that f would
// leave there: f uses no table (PREPARE, SELECT 1, SELECT ... INTO @v),
// so the server keeps them, and the SHOW WARNINGS after it would read
// another client's statement, its values in the message. Rare: only a
// connection whose last statement warned or failed is reset for it.
func (s *Session) wouldLeaveForeignDiagnostics(c *backend.Conn, f *sqlparse.Facts) bool {
	return c.WarnedBy != 0 && c.WarnedBy != s.ID && len(f.Tables) == 0
}

// leftDiagnostics reports whether a statement's result left warnings or
// an error on its connection, for a SHOW WARNINGS that follows to read.
func leftDiagnostics(res backend.Result) bool { return res.Err != nil || res.Warnings > 0 }

// decide asks the planner where f goes, to run it there.
func (s *Session) decide(f *sqlparse.Facts, cluster string) planner.Decision {
	return s.decideFor(f, cluster, false)
}

// decideFor is decide; explain asks without running (EXPLAIN STRATA), so
// the rule that matches does not count it as a hit.
func (s *Session) decideFor(f *sqlparse.Facts, cluster string, explain bool) planner.Decision {
	if r := readable(f); r != f.ReadOnly {
		ff := *f
		ff.ReadOnly = r
		f = &ff
	}
	return s.env.Planner.Route(s.env.Topology.Load(), &planner.Request{
		Facts: f, User: s.User, Schema: s.DB, ClientAddr: s.ClientAddr, PrimaryOnly: s.needsPrimary(f), Cluster: cluster, Explain: explain,
	})
}

// connectTo takes a connection to the decision's server.
func (s *Session) connectTo(ctx context.Context, d planner.Decision, f *sqlparse.Facts) (route, error) {
	if d.Cluster == nil {
		return route{}, errNoBackend("Strata: cluster %q is not configured", d.ClusterName)
	}
	if d.Primary {
		c, cl, err := s.connectPrimary(ctx, d.Cluster)
		if busy := poolBusy(err); busy != nil {
			// The primary is up, Strata's connections to it are all in use:
			// say that (1040, as MariaDB says too many connections), not
			// that it is down.
			return route{}, busy
		}
		if refused := serverRefused(err); refused != nil {
			return route{}, refused
		}
		if err != nil {
			return route{}, errNoBackend("Strata: primary %s of cluster %s is unreachable (%v); writes and transactions fail until it is back", cl.Primary.Addr, cl.Name, rootCause(err))
		}
		return route{label: "primary", conn: c, primary: true}, nil
	}
	return s.acquireReplica(ctx, d.Cluster, d.Pool, affinityKey(f), nil)
}

// acquireReplica tries the members of pool until one accepts, then the
// pool's fallback; tried lists servers that already failed this statement.
func (s *Session) acquireReplica(ctx context.Context, cl *topology.Cluster, pool, digest string, tried map[string]error) (route, error) {
	if tried == nil {
		tried = map[string]error{}
	}
	// After a write, a replica that already showed it has the write
	// (consistency: session) serves the session's reads without a wait.
	var prefer func(addr string) bool
	if len(s.gtidApplied) > 0 {
		prefer = func(addr string) bool { return s.gtidApplied[addr] }
	}
	for {
		srv := planner.PickReplica(cl, pool, planner.Pick{
			Digest: digest,
			Zone:   s.env.Zone(),
			Load:   s.env.inUse,
			Skip:   func(addr string) bool { _, bad := tried[addr]; return bad },
			Prefer: prefer,
		})
		if srv == nil {
			break
		}
		c, err := s.connect(ctx, srv.Addr)
		if err == nil {
			return route{label: pool, conn: c, pool: pool, read: true}, nil
		}
		tried[srv.Addr] = err
		s.env.reportFailure(srv.Addr, err)
		s.env.Metrics.ReadRetried(pool)
	}
	switch fb := cl.PoolSettings(pool).Fallback; {
	case fb == "primary" || !cl.HasPool(pool):
		// A cluster without replicas in the pool reads from its primary.
		c, pcl, err := s.connectPrimary(ctx, cl)
		if err == nil {
			return route{label: "primary", conn: c, primary: true}, nil
		}
		tried[pcl.Primary.Addr] = err
	case fb != "" && fb != pool:
		if r, err := s.acquireReplica(ctx, cl, fb, digest, tried); err == nil {
			return r, nil
		}
	}
	return route{}, errNoBackend("Failed pool: %s (%s)", pool, describeFailures(cl, pool, tried))
}

// serverRefused is the server's own error when a server that works
// refused what this session asked of it — its server account
// (users[].backend), its schema — rather than failing: the client hears
// that error, not that the server is unreachable.
func serverRefused(err error) *wire.Error {
	var refused *wire.Error
	if err == nil || backend.IsServerGone(err) || !errors.As(err, &refused) {
		return nil
	}
	return refused
}

func describeFailures(cl *topology.Cluster, pool string, tried map[string]error) string {
	var parts []string
	for _, r := range cl.Replicas {
		if r.Pool != pool {
			continue
		}
		if err, ok := tried[r.Addr]; ok {
			parts = append(parts, fmt.Sprintf("%s: %v", r.Addr, rootCause(err)))
		} else if !r.Routable() {
			parts = append(parts, fmt.Sprintf("%s: %s", r.Addr, r.State))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("cluster %s has no replica in pool %s", cl.Name, pool)
	}
	return "no member can serve reads: " + strings.Join(parts, "; ")
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// connect takes a connection to addr from its pool and brings it in step
// with the session (schema, variables).
func (s *Session) connect(ctx context.Context, addr string) (*backend.Conn, error) {
	prefer := s.last
	if prefer != nil && prefer.Addr != addr {
		prefer = nil
	}
	c, err := s.env.Pools.For(addr).Get(ctx, s.flavor, prefer)
	if err != nil {
		return nil, err
	}
	if err := s.sync(c); err != nil {
		var werr *wire.Error
		if errors.As(err, &werr) {
			// The server refused our state (e.g. the schema is gone): the
			// connection is fine, the client must hear the error.
			s.put(c)
			return nil, err
		}
		c.Broken = true
		s.put(c)
		return nil, err
	}
	if err := s.carryUserVars(ctx, c); err != nil {
		c.Broken = true
		s.put(c)
		return nil, err
	}
	return c, nil
}

// connectPrimary takes a connection to cl's primary. During a switchover
// the old primary's pool holds the request back; afterwards the request
// follows the primary to its new address, so no statement reaches a
// server that was demoted after this session read the topology. It
// returns the cluster as it was when c was taken (c is its Primary).
func (s *Session) connectPrimary(ctx context.Context, cl *topology.Cluster) (*backend.Conn, *topology.Cluster, error) {
	for try := 0; ; try++ {
		addr := cl.Primary.Addr
		c, err := s.connect(ctx, addr)
		if err == nil {
			now := s.env.Topology.Load().Cluster(cl.Name)
			if now == nil || now.Primary.Addr == addr {
				return c, cl, nil
			}
			s.put(c) // the primary moved while we connected
			err = backend.ErrRerouted
		}
		if backend.IsServerGone(err) && try < 3 && s.awaitNewPrimary(ctx, cl.Name, addr, err) {
			err = backend.ErrRerouted
		}
		if !errors.Is(err, backend.ErrRerouted) || try >= 3 {
			return nil, cl, err
		}
		if now := s.env.Topology.Load().Cluster(cl.Name); now != nil && now.Primary != nil {
			cl = now
		}
	}
}

// awaitNewPrimary waits up to FailoverWait for the topology to name
// another primary of cluster than addr, which failed with err; it reports
// whether it did. The monitor hears of the failure at once, so a failover
// starts without waiting for the next check.
func (s *Session) awaitNewPrimary(ctx context.Context, cluster, addr string, err error) bool {
	wait := time.Duration(s.env.FailoverWait.Load())
	if wait <= 0 {
		return false
	}
	s.env.reportFailure(addr, err)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if cl := s.env.Topology.Load().Cluster(cluster); cl == nil || cl.Primary.Addr != addr {
			return cl != nil
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}

// sync applies the session's schema and variables to c where they differ.
// A variable an earlier session left that the server will not set back to
// its default costs a connection reset, not this session's statement.
func (s *Session) sync(c *backend.Conn) error {
	err := s.syncOnce(c)
	if err != nil && c.NeedsReset && isSQLError(err) {
		err = s.syncOnce(c)
	}
	return err
}

// poolBusy returns the pool's "all connections are busy" error inside
// err, or nil.
func poolBusy(err error) *wire.Error {
	if err == nil {
		return nil
	}
	var werr *wire.Error
	if errors.As(err, &werr) && werr.Code == wire.ErConCount {
		return werr
	}
	return nil
}

// isSQLError reports whether err is the server's answer, not a broken
// connection. (A function of its own: the error's address escapes, which
// must not cost an allocation on every statement.)
func isSQLError(err error) bool {
	var werr *wire.Error
	return errors.As(err, &werr)
}

func (s *Session) syncOnce(c *backend.Conn) error {
	if c.NeedsReset || (s.DB == "" && c.DB != "") {
		if err := c.Reset(); err != nil {
			return err
		}
	}
	if s.DB != "" && c.DB != s.DB {
		if err := c.SimpleCommand(wire.ComInitDB, s.DB); err != nil {
			return err
		}
		c.DB = s.DB
	}
	return s.vars.apply(c, s.timeLimit)
}

// inStep brings a connection the session holds (its pinned one, a
// transaction's branch on a shard) in step with what the session set
// since: its schema and variables, such as a SET sql_mode between two
// statements of a transaction over shards, which ran on one connection
// of it. Unlike sync it never resets the connection, which would end the
// transaction on it.
func (s *Session) inStep(c *backend.Conn) error {
	if s.DB != "" && c.DB != s.DB {
		if err := c.SimpleCommand(wire.ComInitDB, s.DB); err != nil {
			return err
		}
		c.DB = s.DB
	}
	return s.vars.apply(c, s.timeLimit)
}

// release hands c back after a statement, or keeps it pinned or sticky:
// for the statement that may follow and read what this one left there
// (ROW_COUNT() of a write, FOUND_ROWS() of SQL_CALC_FOUND_ROWS, warnings).
// diagnostics: the statement left warnings or an error on c, or read
// them (SHOW WARNINGS), so the statement that follows may read them.
func (s *Session) release(c *backend.Conn, f *sqlparse.Facts, primary, diagnostics bool) {
	if c.Broken {
		if s.pinned == c {
			s.pinned = nil
		}
		s.put(c)
		return
	}
	s.last, s.lastUses = c, c.Uses
	if (s.inTx || len(s.holds) > 0) && (s.pinned == nil || s.pinned == c) {
		s.pinned = c
		return
	}
	if s.pinned == c {
		// Pinned state ended (COMMIT, UNLOCK TABLES): the connection is clean.
		s.pinned = nil
	}
	if diagnostics || f.CalcFoundRows || (primary && (isDML(f) || f.SessionFunctions)) {
		s.sticky = c
		return
	}
	s.put(c)
}

func isDML(f *sqlparse.Facts) bool {
	switch f.Kind {
	case sqlparse.KindInsert, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindReplace, sqlparse.KindLoadData:
		return true
	}
	return false
}

// learn updates session state from statements that succeeded on c.
func (s *Session) learn(c *backend.Conn, stmts []*sqlparse.Facts, res backend.Result) {
	if res.Err != nil {
		if res.Err.Code == 1213 { // deadlock: the server rolled the transaction back
			s.inTx = false
			s.txDeadlock = len(s.branches) > 0
			// Or Strata interrupted the statement, and rolls back the rest.
			s.toldDeadlock = s.toldDeadlock || backend.IsDeadlockError(res.Err)
			return
		}
		if !s.autocommit {
			// With autocommit off even a statement that fails opens a
			// transaction: the locks it took (a duplicate key's, say)
			// stay until COMMIT or ROLLBACK. So the session keeps the
			// connection, and it is reset, not pooled with them, when
			// the client leaves. The next statement's status says
			// whether a transaction is really open.
			s.inTx = true
		}
		return
	}
	if res.HasStatus {
		s.inTx = res.Status&wire.StatusInTrans != 0
	}
	for _, f := range stmts {
		if f.StartsTx || (!s.inTx && f.Kind != sqlparse.KindSavepoint) {
			s.savepoints = nil // the transaction ended or begins anew, its savepoints with it
		}
		s.learnOne(c, f)
	}
}

func (s *Session) learnOne(c *backend.Conn, f *sqlparse.Facts) {
	s.learnKind(c, f)
	if f.Hold != "" {
		s.holds[f.Hold] = true
	}
	if f.Release != "" {
		delete(s.holds, f.Release)
	}
	s.learnSessionVars(c, f)
	s.learnConnectionState(c, f)
}

// learnKind records what statements of some kinds leave: USE's schema,
// and the table locks, savepoints and prepared statements that live on
// the connection.
func (s *Session) learnKind(c *backend.Conn, f *sqlparse.Facts) {
	switch f.Kind {
	case sqlparse.KindUse:
		if f.Masked && strings.Contains(f.Schema, sqlparse.MaskedChar) {
			// The name read is not the client's bytes: only this
			// connection knows the database, so the session stays on it.
			s.holds["database named in multi-byte text"] = true
			break
		}
		s.DB, c.DB = f.Schema, f.Schema
		s.publishUser() // the session list shows the schema
	case sqlparse.KindLockTables:
		s.holds["lock tables"] = true
	case sqlparse.KindFlush:
		if f.Locking { // FLUSH TABLES ... WITH READ LOCK, ... FOR EXPORT
			s.holds["read lock"] = true
		}
	case sqlparse.KindSavepoint:
		s.noteSavepoint(f.Savepoint)
	case sqlparse.KindUnlockTables:
		delete(s.holds, "lock tables")
		delete(s.holds, "read lock")
	case sqlparse.KindPrepare:
		s.learnSQLPrepare(c, f)
	}
}

// settingAsSet rewrites a SET of session variable v whose value the
// server computed (CONCAT(@@sql_mode, ',NO_ZERO_DATE'), IF(@@time_zone
// ...)) with the value it left on c. Replayed as written on another
// connection, it would be computed from that connection's settings, not
// the session's: a sql_mode set to ANSI_QUOTES before would be lost
// there. v as it is when the value cannot be read back.
func settingAsSet(c *backend.Conn, v sqlparse.SessionVar) sqlparse.SessionVar {
	if !plainVarName(v.Name) {
		return v
	}
	cols, row, err := queryRow(context.Background(), c, "SELECT @@SESSION."+v.Name)
	if err != nil || len(cols) != 1 || len(row) != 1 {
		return v // a name MariaDB does not read this way: replayed as written
	}
	lit, err := userVarLiteral(cols[0], row[0])
	if err != nil {
		return v
	}
	v.SQL = "SET SESSION " + v.Name + " = " + lit
	v.Value, v.Dynamic = string(row[0]), false
	return v
}

// plainVarName: a system variable's name as SELECT @@SESSION.name reads it.
func plainVarName(name string) bool {
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return name != ""
}

// learnSessionVars records the session variables f set, to be applied on
// whichever connection serves the session next.
func (s *Session) learnSessionVars(c *backend.Conn, f *sqlparse.Facts) {
	for _, v := range f.SessionVars {
		if !v.Global && maskedValue(f, v) {
			// Its value is not the client's bytes and cannot be replayed
			// on another connection: the session stays on this one.
			s.holds["session variable set in multi-byte text"] = true
			continue
		}
		if !v.Global {
			if v.Dynamic {
				v = settingAsSet(c, v)
			}
			s.learnCharset(v)
			s.vars.set(v.Name, v.SQL)
			name := v.Name
			if name == "character set" {
				name = namesVar
			}
			forgetOverridden(c.Vars, name)
			c.Vars[name] = v.SQL
			if v.Name == "sql_mode" {
				s.learnSQLMode(c, v)
			}
			if v.Name == "time_zone" {
				s.learnTimeZone(v)
			}
			if v.Name == "wait_timeout" {
				s.learnWaitTimeout(v)
			}
		}
	}
}

// learnConnectionState records the state f left that only connection c
// holds (user variables, temporary tables, named locks, a value of
// LAST_INSERT_ID(expr), SET TRANSACTION, a SET Strata could not read):
// the session then stays on c.
func (s *Session) learnConnectionState(c *backend.Conn, f *sqlparse.Facts) {
	if f.Autocommit != nil {
		s.autocommit = *f.Autocommit
		if _, known := s.vars.m["autocommit"]; !known {
			// A SET Strata could not read: only this connection knows the
			// session's autocommit, so the session stays on it (and it is
			// reset before another session uses it).
			s.holds["autocommit"] = true
		}
	}
	if f.SetsUserVars {
		s.holds["user variables"] = true
	}
	if f.SetsInsertID {
		// LAST_INSERT_ID(expr): a value Strata does not see, so only this
		// connection has it; the session stays on it.
		s.holds["LAST_INSERT_ID(expr)"] = true
		s.insertIDConn = c
	}
	if f.TempTable {
		s.holds["temporary tables"] = true
	}
	if f.LockFunctions {
		s.holds["named locks"] = true
	}
	if f.Fallback && f.Kind == sqlparse.KindSet && len(f.SessionVars) == 0 {
		// A SET the parser could not read cannot be replayed elsewhere.
		// The fallback still reads a plain SET NAMES / CHARACTER SET, of
		// character sets the parser does not know (sjis, cp932, big5...):
		// that one is replayed like any other.
		s.holds["unparsed SET"] = true
	}
	// SET TRANSACTION applies to the next transaction on this connection.
	if f.NextTxSettings {
		s.holds["next transaction settings"] = true
		s.nextTx = append(s.nextTx, f.Text)
	} else if f.EndsTx {
		delete(s.holds, "next transaction settings")
		s.nextTx = nil
	}
}

// identity is who a session is: its user, and the server account its
// statements run as.
type identity struct{ user, account, db string }

// UseSchema makes db the session's schema (the one a client names at
// login, once the server has it).
func (s *Session) UseSchema(db string) {
	s.DB = db
	s.publishUser()
}

func (s *Session) publishUser() {
	account := s.flavor.Account
	if account == "" {
		account = s.env.BackendLogin().User
	}
	s.shared.Store(&identity{user: s.User, account: account, db: s.DB})
}

// UserName is the session's user, safe to read from any goroutine.
func (s *Session) UserName() string {
	if id := s.shared.Load(); id != nil {
		return id.user
	}
	return ""
}

// noteInsertID records an auto-increment id a write generated on c.
func (s *Session) noteInsertID(c *backend.Conn, id uint64) {
	if id != 0 {
		s.lastInsertID, s.insertIDConn = id, c
	}
}

// readsInsertID: the statement reads LAST_INSERT_ID() (or @@identity /
// @@last_insert_id), per its normalized text.
func readsInsertID(f *sqlparse.Facts) bool {
	return f.SessionFunctions && (strings.Contains(f.Digest, "last_insert_id") || strings.Contains(f.Digest, "@@identity"))
}

// restoreInsertID gives the connection about to run f the session's
// LAST_INSERT_ID() when f reads it and the connection is not the one that
// holds it: the value must not be lost when the write's connection went
// back to the pool, nor be another client's left on a pooled connection.
func (s *Session) restoreInsertID(rt route, f *sqlparse.Facts) error {
	// Not exempt when pinned: the session may have pinned a connection
	// (BEGIN, autocommit off) after its insert ran on another one.
	if !readsInsertID(f) || rt.conn == s.insertIDConn {
		return nil
	}
	if err := rt.conn.SimpleCommand(comQuery, "DO LAST_INSERT_ID("+strconv.FormatUint(s.lastInsertID, 10)+")"); err != nil {
		return err
	}
	s.insertIDConn = rt.conn
	return nil
}

// inTransaction reports whether the session has a transaction open: its
// writes are not committed yet, so a graceful shutdown lets it finish.
func (s *Session) inTransaction() bool { return s.inTx || (!s.autocommit && s.pinned != nil) }

// HoldsIdleConnection reports whether the session keeps a backend
// connection only for statements that may follow (the last write's, for
// ROW_COUNT() and the like) — one to hand back if the client idles.
func (s *Session) HoldsIdleConnection() bool { return s.sticky != nil && s.pinned == nil }

// ReleaseIdle hands the kept connection back to its pool: the client has
// been idle, and other clients may need it. LAST_INSERT_ID() survives
// (restoreInsertID); ROW_COUNT() and FOUND_ROWS() of that write do not.
func (s *Session) ReleaseIdle() {
	if s.sticky != nil && s.pinned == nil {
		s.put(s.sticky)
		s.sticky = nil
		s.heldConn.Store(nil) // the session list (and a switchover) must not see it any more
	}
}

// noteTxStatement tracks whether the open transaction has run anything
// yet (see txFresh).
func (s *Session) noteTxStatement(f *sqlparse.Facts) {
	if f.StartsTx {
		s.txFresh, s.txBegin = s.inTx, f.Text
		return
	}
	s.txFresh = false
}

// clusterFor is the named cluster, or the default one for "".
func (s *Session) clusterFor(name string) *topology.Cluster {
	snap := s.env.Topology.Load()
	if name == "" {
		return snap.Default()
	}
	return snap.Cluster(name)
}

// Pinned reports why the session is bound to one backend connection ("" when not).
func (s *Session) Pinned() string {
	if s.inTx {
		return "transaction"
	}
	for reason := range s.holds {
		return reason
	}
	return ""
}

// affinityKey is what balance: affinity hashes. A server's query cache is
// keyed by the exact statement text, so the same text must reach the same
// replica; statements that differ only in literals spread over the pool.
func affinityKey(f *sqlparse.Facts) string {
	if f.Text != "" {
		return f.Text
	}
	return f.Digest
}

// previousStatementConn is where f, which reads what the session's
// previous statement left on its connection, runs when held (the
// session's connection, if any) does not settle it: the previous
// statement's connection taken back from its pool, reset first if it
// still holds another client's warnings. held false: route it as usual
// (run resets the connection it gets).
func (s *Session) previousStatementConn(f *sqlparse.Facts, rt route, held bool, cluster string) (route, bool, error) {
	if !held {
		rt, held = s.reclaimLast(f, cluster)
	}
	// The session's statements there left no warnings, and another
	// client's may still be there. Not on a pinned connection: a reset
	// would end its transaction.
	if held && rt.conn != s.pinned && rt.conn.WarnedBy != 0 && rt.conn.WarnedBy != s.ID {
		return rt, held, s.resetForForeignState(rt)
	}
	return rt, held, nil
}

// reclaimLast takes back, for f, which reads what the session's last
// statement left on its connection, that connection when it sits idle in
// its pool untouched since (a read's connection goes back at once; a
// write's after the client idled): the statement reads it there. A
// statement that also reads tables must belong on that server's cluster
// (cluster, or the default one when "").
func (s *Session) reclaimLast(f *sqlparse.Facts, cluster string) (route, bool) {
	c := s.last
	if c == nil || !s.env.Pools.For(c.Addr).Reclaim(c) {
		return route{}, false
	}
	// Read only now: until Reclaim, another session may be using c.
	snap := s.env.Topology.Load()
	rt, ok := keptRoute(c, snap.IsPrimary(c.Addr), f)
	if !ok || c.Uses != s.lastUses || len(f.Tables) > 0 && !onCluster(snap, c.Addr, cluster) {
		s.put(c)
		return route{}, false
	}
	return rt, true
}

// onCluster reports whether the server at addr belongs to cluster (the
// default cluster when "").
func onCluster(snap *topology.Snapshot, addr, cluster string) bool {
	if cluster == "" {
		cluster = snap.DefaultCluster
	}
	srv := snap.Server(addr)
	return srv != nil && srv.Cluster == cluster
}

// forgetPrevious is for a statement no single connection answers (Strata
// itself, its result cache, several shards): the connection of the
// statement before holds that statement's state, not this one's, so a
// statement that reads the previous one's (SHOW WARNINGS, FOUND_ROWS())
// must not be sent there. A pinned connection stays pinned.
func (s *Session) forgetPrevious() {
	s.last = nil
	if s.sticky != nil {
		s.put(s.sticky)
		s.sticky = nil
	}
}

// resetForForeignState resets rt's connection before a statement that
// reads what the previous statement left on a connection, when what this
// one holds is another client's (its warnings, its FOUND_ROWS()): the
// statement must read none of it.
func (s *Session) resetForForeignState(rt route) error {
	if s.insertIDConn == rt.conn {
		s.insertIDConn = nil // the reset clears it: restoreInsertID sets it again
	}
	rt.conn.NeedsReset = true
	if err := s.sync(rt.conn); err != nil {
		rt.conn.Broken = true
		s.put(rt.conn)
		return err
	}
	return nil
}
