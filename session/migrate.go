package session

import (
	"maps"
	"time"

	"github.com/strata-proxy/strata/wire"
)

// State is what a session carries between statements when it holds
// nothing on any server: enough for another Strata process to serve the
// same client on, after a handover (package handover), with the same
// answers it would have had here.
type State struct {
	ID         uint32            `json:"id"`
	User       string            `json:"user"`
	DB         string            `json:"db"`
	ClientAddr string            `json:"client_addr"`
	Caps       uint32            `json:"caps"`
	Collation  byte              `json:"collation"`
	Autocommit bool              `json:"autocommit"`
	Vars       map[string]string `json:"vars"` // name → the statement that set it
	// SQLMode is the session's sql_mode when it reads statements unlike
	// the default (NO_BACKSLASH_ESCAPES, ANSI_QUOTES...); "" otherwise.
	SQLMode string `json:"sql_mode,omitempty"`
	// Charset is the client's character set (character_set_client), ""
	// when Strata does not know it.
	Charset string `json:"charset,omitempty"`
	// Results is character_set_results when the client set it apart from
	// SET NAMES (Session.results).
	Results  string `json:"results_charset,omitempty"`
	NextStmt uint32 `json:"next_stmt"`
	// LastInsertID is the session's LAST_INSERT_ID(): set on the
	// connection of the next statement that reads it.
	LastInsertID uint64 `json:"last_insert_id"`
	// Writes are the positions of the session's last writes per cluster,
	// so its reads still see them (consistency: session).
	Writes map[string]WriteMark `json:"writes,omitempty"`
	// Stmts are the client's prepared statements under their ids: Strata
	// prepares them on a backend when they run, so only the text moves.
	Stmts    []StmtState `json:"stmts,omitempty"`
	LastStmt uint32      `json:"last_stmt,omitempty"` // for statement id -1; 0: none
	// WaitTimeout is the session's own wait_timeout in seconds (0: none),
	// after which Strata closes the idle client.
	WaitTimeout int `json:"wait_timeout,omitempty"`
	// Attrs are the client's connection attributes, for the process list.
	Attrs ClientAttrs `json:"attrs"`
}

// StmtState is a client's prepared statement.
type StmtState struct {
	ID      uint32 `json:"id"`
	SQL     string `json:"sql"`
	DB      string `json:"db"` // the database it was prepared in
	Params  int    `json:"params"`
	Columns int    `json:"columns"`
	Types   []byte `json:"types,omitempty"` // the last parameter types the client sent
}

// WriteMark is a session's last committed write on a cluster.
type WriteMark struct {
	GTID    string `json:"gtid,omitempty"`
	Unknown bool   `json:"unknown,omitempty"`
}

// Export returns the session's state when it can move to another process:
// between statements, outside a transaction, holding no connection, no
// streamed parameter data and no state kept on a server (temporary
// tables, locks, user variables). ok is false otherwise.
func (s *Session) Export() (State, bool) {
	if !s.Movable() {
		return State{}, false
	}
	st := State{
		ID: s.ID, User: s.User, DB: s.DB, ClientAddr: s.ClientAddr,
		Caps: s.caps, Collation: s.collation, Autocommit: s.autocommit,
		Vars: maps.Clone(s.vars.m), SQLMode: s.modeValue, NextStmt: s.nextStmt, LastInsertID: s.lastInsertID,
		WaitTimeout: int(s.waitTimeout / time.Second), Attrs: s.attrs,
	}
	st.Charset, st.Results = s.charset, s.results
	for _, p := range s.stmts {
		st.Stmts = append(st.Stmts, StmtState{ID: p.id, SQL: p.sql, DB: p.db, Params: p.params, Columns: p.columns, Types: p.types})
	}
	if s.lastStmt != nil {
		st.LastStmt = s.lastStmt.id
	}
	if len(s.writes) > 0 {
		st.Writes = map[string]WriteMark{}
		for cluster, w := range s.writes {
			st.Writes[cluster] = WriteMark{GTID: w.gtid, Unknown: w.unknown}
		}
	}
	return st, true
}

// Movable reports whether Export would give the state: the session's
// goroutine asks it between commands, without allocating.
func (s *Session) Movable() bool {
	// With autocommit off, a transaction is open exactly while a
	// connection is pinned: between COMMIT and the next statement the
	// session moves too, and goes on with autocommit off.
	movable := !s.inTx && !s.txOpen.Load() && !s.inTransaction() && len(s.holds) == 0 &&
		s.pinned == nil && s.sticky == nil &&
		!s.wroteSinceTx && len(s.pendingWrites) == 0 && len(s.txWrites) == 0
	for _, st := range s.stmts {
		movable = movable && !st.long.held()
	}
	return movable
}

// Adopt creates the session of a client another Strata process served
// until now (Export there), under its id.
func Adopt(env *Env, client *wire.Conn, st State, kill func()) *Session {
	env.Registry.SkipTo(st.ID)
	s := New(env, client, Options{ID: st.ID, User: st.User, ClientAddr: st.ClientAddr, DB: st.DB,
		Caps: st.Caps, Collation: st.Collation, Attrs: st.Attrs, Kill: kill})
	s.autocommit = st.Autocommit
	if len(st.Vars) > 0 {
		s.vars.m = maps.Clone(st.Vars)
		s.vars.names, s.vars.print = nil, ""
	}
	s.setSQLMode(st.SQLMode)
	if st.Charset != "" { // else the handshake collation's, as New set it
		s.setCharset(st.Charset)
	}
	s.results = st.Results
	s.nextStmt = st.NextStmt
	s.lastInsertID = st.LastInsertID
	s.waitTimeout = time.Duration(st.WaitTimeout) * time.Second
	for cluster, w := range st.Writes {
		s.writes[cluster] = writeMark{gtid: w.GTID, unknown: w.Unknown}
	}
	for _, ps := range st.Stmts {
		parsed := s.parse(ps.SQL)
		p := &prepared{id: ps.ID, sql: ps.SQL, db: ps.DB, facts: parsed.Summary, parsed: parsed.Statements, reply: parsed.Reply,
			params: ps.Params, columns: ps.Columns, types: ps.Types}
		p.placed = s.placed(p.facts)
		s.stmts[p.id] = p
	}
	s.lastStmt = s.stmts[st.LastStmt]
	return s
}
