package session

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// SHOW EXPLAIN FOR id, SHOW ANALYZE FOR id and EXPLAIN FOR CONNECTION id
// name a connection by its id, and the id a client has is Strata's (from
// CONNECTION_ID() or SHOW PROCESSLIST). Passed on, a server would read it
// as one of its own threads: unknown, or another session's connection,
// whose plan the client would get as if it were the one it asked for. So
// Strata answers them as it answers KILL: it finds the session, the
// server its statement runs on and the thread there, and asks that server
// about that thread.

// explainFor answers a statement about another session's running
// statement, as a query's answer or, binary, an EXECUTE's. As on MariaDB,
// a session of another user needs PROCESS, which no Strata user has over
// others' sessions.
func (s *Session) explainFor(ctx context.Context, sql string, ref sqlparse.ConnectionRef, binary bool) error {
	target := s.env.Registry.Get(ref.ID)
	if target == nil {
		return s.refuse(errUnknownSession(uint64(ref.ID)))
	}
	if target.UserName() != s.User {
		return s.refuse(wire.NewError(wire.ErSpecificAccess, "Access denied; you need (at least one of) the PROCESS privilege(s) for this operation"))
	}
	conns := target.runningOn()
	switch {
	case target == s || len(conns) == 0:
		return s.refuse(wire.NewError(errTargetNotExplainable, "Target is not executing an operation with a query plan"))
	case len(conns) > 1:
		return s.refuse(wire.NewError(wire.ErNotSupportedYet,
			"Strata: session %d runs its statement on %d servers at once (one part on each shard), and each has its own plan: ask each server about its thread, on its own address (%s)",
			ref.ID, len(conns), serverThreads(conns)))
	}
	c := conns[0]
	text := sql[:ref.Start] + strconv.FormatUint(uint64(c.ThreadID), 10) + sql[ref.End:]
	// From a connection of this session's account, which the server lets
	// look at its own account's threads: the target's, since both
	// sessions are the same user's.
	pool := s.env.Pools.For(c.Addr)
	ec, err := pool.Get(ctx, s.flavor, nil)
	if err != nil {
		return s.refuse(errNoBackend("Strata: cannot reach %s, where session %d's statement runs: %v", c.Addr, ref.ID, rootCause(err)))
	}
	defer pool.Put(ec)
	request := append([]byte{wire.ComQuery}, text...)
	if binary {
		// Prepared there too, so the rows come in the binary protocol.
		bst, err := ec.Stmt(ec.DB, text)
		if werr, ok := err.(*wire.Error); ok {
			return s.refuse(werr)
		}
		if err != nil {
			return s.refuse(errNoBackend("Strata: lost %s asking about session %d's statement: %v", c.Addr, ref.ID, rootCause(err)))
		}
		request = executeWithoutParams(bst.ID)
	}
	if err := ec.Request(request); err != nil {
		ec.Broken = true
		return s.refuse(errNoBackend("Strata: lost %s asking about session %d's statement: %v", c.Addr, ref.ID, rootCause(err)))
	}
	if _, err := ec.Relay(s.client, false); err != nil {
		return err
	}
	return s.client.Flush()
}

// errTargetNotExplainable is MariaDB's ER_TARGET_NOT_EXPLAINABLE.
const errTargetNotExplainable = 1933

// runningOn is the server connections s runs its current statement on:
// none when it runs none, several for a statement over shards.
func (s *Session) runningOn() []*backend.Conn {
	var conns []*backend.Conn
	if c := s.active.Load(); c != nil {
		conns = append(conns, c)
	}
	if many := s.activeShards.Load(); many != nil {
		conns = append(conns, *many...)
	}
	return conns
}

// serverThreads names each connection's server and thread.
func serverThreads(conns []*backend.Conn) string {
	parts := make([]string, len(conns))
	for i, c := range conns {
		parts[i] = fmt.Sprintf("%s thread %d", c.Addr, c.ThreadID)
	}
	return strings.Join(parts, ", ")
}

// namesConnections reports whether a statement of a multi-statement query
// names a connection by its id (KILL, SHOW EXPLAIN FOR, ...): each is
// answered on its own, the id read as Strata's.
func (s *Session) namesConnections(stmts []*sqlparse.Facts) bool {
	for _, f := range stmts {
		if _, ok := s.explainForRef(f, f.Text); ok || f.Kind == sqlparse.KindKill {
			return true
		}
	}
	return false
}

// explainForRef reads text, a statement of facts f, as one about another
// connection's running statement (sqlparse.ExplainFor): ok, and where in
// text its id is.
func (s *Session) explainForRef(f *sqlparse.Facts, text string) (sqlparse.ConnectionRef, bool) {
	if f.Kind != sqlparse.KindShow && f.Kind != sqlparse.KindExplain {
		return sqlparse.ConnectionRef{}, false
	}
	return s.readingMode().ExplainFor(text)
}

// executeWithoutParams is a COM_STMT_EXECUTE of statement id, which takes
// no parameters: no cursor, one iteration.
func executeWithoutParams(id uint32) []byte {
	p := []byte{wire.ComStmtExecute}
	p = binary.LittleEndian.AppendUint32(p, id)
	p = append(p, 0)
	return binary.LittleEndian.AppendUint32(p, 1)
}

// executeAboutConnection answers an EXECUTE of KILL or SHOW EXPLAIN FOR
// (KILL QUERY ?, as go-sql-driver sends db.Exec("KILL QUERY ?", id)):
// the id bound is Strata's, as in a query. ok is false for any other
// statement.
func (s *Session) executeAboutConnection(ctx context.Context, st *prepared, packet []byte) (ok bool, err error) {
	kind := st.facts.Kind
	if kind != sqlparse.KindKill && kind != sqlparse.KindShow && kind != sqlparse.KindExplain {
		return false, nil
	}
	args, err := st.executeArgs(packet, s.charset)
	if err != nil {
		return true, s.refuse(errMalformed(err.Error()))
	}
	for i, a := range args { // a number bound as a string ('12', PDO's default)
		if n := strings.Trim(a, "'"); len(a) == len(n)+2 && n != "" && strings.Trim(n, "0123456789") == "" {
			args[i] = n
		}
	}
	text, _ := s.readingMode().BindPlaceholders(st.sql, args)
	if kind == sqlparse.KindKill {
		s.dropLongData(st)
		return true, s.kill(text)
	}
	ref, ok := s.readingMode().ExplainFor(text)
	if !ok {
		return false, nil
	}
	s.dropLongData(st)
	return true, s.explainFor(ctx, text, ref, true)
}
