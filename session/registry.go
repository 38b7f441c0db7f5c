package session

import (
	"errors"
	"fmt"
	"github.com/strata-proxy/strata/backend"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// Registry hands out Strata's own connection ids and finds sessions by id,
// so KILL uses the ids clients see rather than any one backend's thread ids.
type Registry struct {
	next     atomic.Uint32
	mu       sync.RWMutex
	sessions map[uint32]*Session
}

// FirstID is the first connection id a Strata process gives out. The
// servers number their threads from 1, and a client may hold one of their
// ids (IS_USED_LOCK(), information_schema.INNODB_TRX, a server's log):
// were Strata's ids numbered alike, KILL of such a thread id would end
// whichever client session had it in Strata. Numbered from here, the two
// do not meet, and KILL gets "Unknown thread id" with a hint instead.
const FirstID = 1_000_000_001

// NewRegistry creates an empty registry.
func NewRegistry() *Registry {
	r := &Registry{sessions: map[uint32]*Session{}}
	r.next.Store(FirstID - 1)
	return r
}

// NextID returns a new connection id (never 0).
func (r *Registry) NextID() uint32 {
	for {
		if id := r.next.Add(1); id != 0 {
			return id
		}
	}
}

// SkipTo makes later ids larger than id: ids a Strata process that
// handed over its clients gave out stay theirs.
func (r *Registry) SkipTo(id uint32) {
	for {
		cur := r.next.Load()
		if cur >= id || r.next.CompareAndSwap(cur, id) {
			return
		}
	}
}

// LastID is the last id given out.
func (r *Registry) LastID() uint32 { return r.next.Load() }

func (r *Registry) add(s *Session) {
	r.mu.Lock()
	r.sessions[s.ID] = s
	r.mu.Unlock()
}

func (r *Registry) remove(id uint32) {
	r.mu.Lock()
	delete(r.sessions, id)
	r.mu.Unlock()
}

// Get returns the session with the id, or nil.
func (r *Registry) Get(id uint32) *Session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.sessions[id]
}

// Len is the number of open sessions.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.sessions)
}

// ClientAttrs are what a client says of itself in its connection
// attributes (CLIENT_CONNECT_ATTRS), as MariaDB keeps them in
// performance_schema.session_connect_attrs: the servers only see
// Strata's connections, so Strata shows the clients' own.
type ClientAttrs struct {
	// Program is program_name, which applications and the mariadb CLI
	// set ("mysql"); Driver is _client_name and _client_version
	// ("mysqlnd 8.2.36", "libmariadb 3.3.8", "Go-MySQL-Driver").
	Program string `json:"program,omitempty"`
	Driver  string `json:"driver,omitempty"`
	// PID is _pid, the client's process id on its host (a PHP-FPM
	// worker, say).
	PID string `json:"client_pid,omitempty"`
}

// Info is a session as the admin API lists it: like a server's process
// list, with Strata's own ids (the ones KILL takes).
type Info struct {
	ID   uint32 `json:"id"`
	User string `json:"user"`
	// ServerAccount is the account the session's statements run as on
	// the servers: users[].backend.user, else backend.user.
	ServerAccount string `json:"server_account"`
	Client        string `json:"client"`
	// TLS and Compressed: how the client's connection carries its
	// packets (encrypted; the compressed protocol).
	TLS        bool `json:"tls"`
	Compressed bool `json:"compressed"`
	// The program the client says it is, from its connection attributes.
	ClientAttrs
	DB string `json:"db,omitempty"`
	// State is "query" while a statement runs, else "idle".
	State string `json:"state"`
	// Statement is the running statement's digest (literals as ?).
	Statement string `json:"statement,omitempty"`
	// RunningMs is how long it has run.
	RunningMs float64 `json:"running_ms,omitempty"`
	// IdleMs is how long an idle session has waited for its client's
	// next command (a session idle in a transaction holds its locks).
	IdleMs float64 `json:"idle_ms,omitempty"`
	// Servers run it now (several for a statement over shards).
	Servers       []string `json:"servers,omitempty"`
	InTransaction bool     `json:"in_transaction"`
	// Holds is the server the session keeps a connection to between
	// statements (its transaction, temporary tables, locks or user
	// variables live there).
	Holds string `json:"holds,omitempty"`
	// Branches are the servers that hold the XA branches of its
	// transaction across clusters (transactions.mode: twopc).
	Branches []string `json:"branches,omitempty"`
	// MergeMemory is what the running statement holds in Strata's own
	// memory (a merge's in-memory sort or DISTINCT set, rows read first),
	// against limits.max_merge_memory.
	MergeMemory int64 `json:"merge_memory_bytes,omitempty"`
}

// List describes every open session, by id.
func (r *Registry) List() []Info {
	r.mu.RLock()
	out := make([]Info, 0, len(r.sessions))
	now := time.Now()
	for _, s := range r.sessions {
		out = append(out, s.info(now))
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// info is s as List shows it at now; it reads only what the session
// publishes for other goroutines.
func (s *Session) info(now time.Time) Info {
	id := s.shared.Load()
	in := Info{ID: s.ID, User: id.user, ServerAccount: id.account, Client: s.ClientAddr, DB: id.db, State: "idle", InTransaction: s.txOpen.Load(),
		TLS: s.overTLS, Compressed: s.compressed, ClientAttrs: s.attrs}
	if h := s.heldConn.Load(); h != nil {
		in.Holds = h.Addr
	}
	if b := s.branchConns.Load(); b != nil {
		for _, c := range *b {
			in.Branches = append(in.Branches, c.Addr)
		}
		slices.Sort(in.Branches)
	}
	f := s.current.Load()
	if f == nil {
		in.IdleMs = float64(now.UnixNano()-s.idleSince.Load()) / 1e6
		return in
	}
	in.State, in.Statement = "query", truncateDigest(f.Digest)
	in.RunningMs = float64(now.UnixNano()-s.currentAt.Load()) / 1e6
	in.MergeMemory = s.budget.Load().Used()
	if c := s.active.Load(); c != nil {
		in.Servers = append(in.Servers, c.Addr)
	}
	if many := s.activeShards.Load(); many != nil {
		for _, c := range *many {
			in.Servers = append(in.Servers, c.Addr)
		}
	}
	return in
}

// maxListedDigest bounds the statement text a session list shows.
const maxListedDigest = 512

func truncateDigest(d string) string {
	if len(d) <= maxListedDigest {
		return d
	}
	return strings.ToValidUTF8(d[:maxListedDigest], "") + " …"
}

// startStatement records that the session starts f, for the session list.
// What the statement before held (a statement of the same multi-statement
// command) is free by now.
func (s *Session) startStatement(f *sqlparse.Facts) {
	s.killing.Store(false)
	s.releaseBudget()
	s.currentAt.Store(time.Now().UnixNano())
	s.current.Store(f)
	s.preparedTextKnown = false // a PREPARE's text is read again for each statement
}

// CommandDone records the end of a client command cmd (the front end calls
// it after each): nothing runs now, and whether a transaction is left open.
func (s *Session) CommandDone(cmd byte) {
	s.current.Store(nil)
	s.idleSince.Store(time.Now().UnixNano())
	s.releaseBudget()
	if s.toldDeadlock {
		s.toldDeadlock = false
		s.endDeadlockVictim()
	}
	switch cmd {
	case wire.ComQuery, wire.ComStmtExecute, wire.ComStmtBulkExecute:
		// What the statement before left (ROW_COUNT(), FOUND_ROWS()) is
		// the next statement's to read: a COM_STMT_PREPARE in between,
		// as PDO sends for SELECT FOUND_ROWS(), changes nothing.
		s.ageStatementState()
	}
	s.ageDiagnostics()
	s.txOpen.Store(s.inTransaction())
	switch {
	case s.pinned != nil:
		s.heldConn.Store(s.pinned)
	case s.sticky != nil:
		s.heldConn.Store(s.sticky)
	default:
		s.heldConn.Store(nil)
	}
	s.publishBranches()
}

// ageStatementState passes what the statement just answered left for the
// statement after it (ROW_COUNT(), FOUND_ROWS()) on to that one.
func (s *Session) ageStatementState() {
	if s.rowCountState > 0 {
		s.rowCountState-- // 2 (set by this statement) → 1 (the next may read it) → 0
	}
	if s.foundRowsState > 0 {
		s.foundRowsState-- // as rowCountState
	}
}

// ageDiagnostics passes the diagnostics Strata holds of the statement
// just answered on to the next command (as rowCountState), after any.
func (s *Session) ageDiagnostics() {
	if s.ownDiagState > 0 {
		s.ownDiagState--
	}
}

// publishBranches tells other goroutines (the session list, a switchover,
// the deadlock detector) which connections hold branches of the session's
// transaction across clusters, or its parts on several shards that may
// only end (Session.spread); it allocates only while there are some.
func (s *Session) publishBranches() {
	if len(s.branches) == 0 && len(s.spread) == 0 {
		if s.branchConns.Load() != nil {
			s.branchConns.Store(nil)
		}
		return
	}
	conns := make([]*backend.Conn, 0, len(s.branches)+len(s.spread))
	for _, c := range s.branches {
		conns = append(conns, c)
	}
	for _, sc := range s.spread {
		conns = append(conns, sc.conn)
	}
	s.branchConns.Store(&conns)
}

// TransactionOpen reports, from any goroutine, whether the session had a
// transaction open after its last command (a graceful shutdown lets it
// finish).
func (s *Session) TransactionOpen() bool { return s.txOpen.Load() }

// Holding lists the sessions that keep a connection to addr between
// statements, by id.
func (r *Registry) Holding(addr string) []uint32 {
	var ids []uint32
	for _, in := range r.List() {
		if in.Holds == addr || slices.Contains(in.Branches, addr) {
			ids = append(ids, in.ID)
		}
	}
	return ids
}

// ErrNoSession reports a kill of an id no open session has.
var ErrNoSession = errors.New("no such session")

// KillUser is Kill for every session of user (an account whose password
// leaked, a runaway job): it returns the ids it ended, in order. Sessions
// that logged in while it ran may be missed; a reload that removes the
// account first stops new ones.
func (r *Registry) KillUser(user string, queryOnly bool) ([]uint32, error) {
	r.mu.RLock()
	var ids []uint32
	for id, s := range r.sessions {
		if s.UserName() == user {
			ids = append(ids, id)
		}
	}
	r.mu.RUnlock()
	slices.Sort(ids)
	var errs []error
	killed := ids[:0]
	for _, id := range ids {
		_, err := r.Kill(id, queryOnly)
		if errors.Is(err, ErrNoSession) {
			continue // it ended meanwhile
		}
		killed = append(killed, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", id, err))
		}
	}
	return killed, errors.Join(errs...)
}

// Kill is KILL [QUERY] id for an operator (POST /api/sessions/{id}/kill):
// it interrupts the statement the session runs on its servers (KILL QUERY
// there) and, unless queryOnly, closes the client's connection. It reports
// whether a statement was running.
func (r *Registry) Kill(id uint32, queryOnly bool) (bool, error) {
	target := r.Get(id)
	if target == nil {
		return false, fmt.Errorf("%w: %d (GET /api/sessions lists them)", ErrNoSession, id)
	}
	running := target.current.Load() != nil
	err := target.killActive(target)
	if !queryOnly {
		target.closeClient()
		err = nil // the connection ends either way
	}
	return running, err
}

// ServerThread is a server connection of a session, as the deadlock
// detector sees it.
type ServerThread struct {
	Session  uint32
	Addr     string
	ThreadID uint32
	// InTransaction: the session had a transaction open after its last
	// command, or runs an autocommit write over several shards now, so
	// the locks it holds stay until the transaction or the write ends.
	InTransaction bool
}

// Threads lists the server connections every open session holds between
// commands (its transaction's, its XA branches') or runs its statement
// on now.
func (r *Registry) Threads() []ServerThread {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []ServerThread
	for _, s := range r.sessions {
		inTx := s.txOpen.Load() || s.spanningWrite.Load()
		for _, c := range s.serverConns() {
			out = append(out, ServerThread{Session: s.ID, Addr: c.Addr, ThreadID: c.ThreadID, InTransaction: inTx})
		}
	}
	return out
}

// serverConns is every connection s holds or runs a statement on, as it
// publishes them for other goroutines, each once.
func (s *Session) serverConns() []*backend.Conn {
	var conns []*backend.Conn
	add := func(c *backend.Conn) {
		if c != nil && !slices.Contains(conns, c) {
			conns = append(conns, c)
		}
	}
	add(s.heldConn.Load())
	if b := s.branchConns.Load(); b != nil {
		for _, c := range *b {
			add(c)
		}
	}
	add(s.active.Load())
	if many := s.activeShards.Load(); many != nil {
		for _, c := range *many {
			add(c)
		}
	}
	return conns
}

// Interrupt ends statement query (the server's query id) that session id
// runs on its connection to thread threadID at addr, to break a deadlock
// across servers: the connection is marked (backend.Conn.DeadlockVictim)
// so that the interrupted statement fails as a deadlock (error 1213),
// after which the session that ran it rolls its whole transaction back
// (the connection may have passed to another session since id's last
// command: that one is then the one told, and it rolls back), then KILL
// QUERY ID stops it. By query id, not thread: a statement that ended
// meanwhile is not stopped, nor is the next, which may be one Strata runs
// itself (the commit of the transaction).
func (r *Registry) Interrupt(id uint32, addr string, threadID uint32, query uint64) error {
	s := r.Get(id)
	if s == nil {
		return fmt.Errorf("%w: %d", ErrNoSession, id)
	}
	for _, c := range s.serverConns() {
		if c.Addr != addr || c.ThreadID != threadID {
			continue
		}
		c.DeadlockVictim.Store(true)
		err := s.killOn(c, "KILL QUERY ID "+strconv.FormatUint(query, 10))
		if err != nil {
			// Not stopped (it ended, or the server could not be
			// reached): nothing of it is to be taken for a deadlock.
			c.DeadlockVictim.Store(false)
		}
		return err
	}
	return fmt.Errorf("session %d holds no connection to thread %d on %s any more", id, threadID, addr)
}
