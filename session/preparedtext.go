package session

import (
	"context"
	"encoding/hex"
	"unicode/utf8"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// The text of a SQL-level PREPARE name FROM ... or EXECUTE IMMEDIATE ...
// is a statement of its own, which the server runs as Strata's account.
// Unread, it would carry past Strata what Strata refuses as a statement
// (EXECUTE IMMEDIATE 'RESET MASTER', PREPARE s FROM 'DROP USER strata'),
// and KILL or SHOW EXPLAIN FOR there would name a server's thread, not
// the Strata session the client means. So Strata reads the text: as
// written when it is a literal; otherwise it computes the expression on
// the connection that runs the statement, checks what it gives, and
// sends that text as the literal, so the server runs what was checked.

// refusedInPrepared is the error of a PREPARE or EXECUTE IMMEDIATE whose
// literal text holds a statement Strata refuses; nil for any other.
func (s *Session) refusedInPrepared(f *sqlparse.Facts) *wire.Error {
	pt, ok := s.readingMode().PreparedText(f.Text)
	if !ok || pt.Expr != "" {
		return nil
	}
	return s.refusedText(pt.Text)
}

// refusedText is the error of a prepared statement's text that Strata
// would refuse, or whose connection ids it could not map.
func (s *Session) refusedText(text string) *wire.Error {
	parsed := s.parse(text)
	if e := s.refusedAtOnce(parsed.Statements); e != nil {
		return e
	}
	if s.readsProcessList(parsed.Summary) {
		return errProcessListPrepared()
	}
	if s.namesConnections(parsed.Statements) {
		return wire.NewError(wire.ErNotSupportedYet,
			"Strata: KILL, SHOW EXPLAIN FOR and EXPLAIN FOR CONNECTION name a connection by Strata's id, which Strata maps to a server's thread only in a statement of their own: in a SQL-level PREPARE or EXECUTE IMMEDIATE the server would read it as one of its own threads. Send the statement itself (or prepare it with the client library: KILL QUERY ? works)")
	}
	return nil
}

// readPreparedText reads the text a query of one PREPARE or EXECUTE
// IMMEDIATE runs: a literal is recorded for learnSQLPrepare at once; an
// expression is returned (computes) for checkComputedText to compute on
// the connection that runs it. Any other query leaves nothing recorded.
func (s *Session) readPreparedText(parsed *planner.Parsed) (computed sqlparse.PreparedText, computes bool) {
	s.preparedText, s.preparedTextKnown = "", false
	if len(parsed.Statements) != 1 || parsed.Summary.Kind != sqlparse.KindPrepare {
		return computed, false
	}
	pt, ok := s.readingMode().PreparedText(parsed.SQL)
	switch {
	case !ok:
		return computed, false
	case pt.Expr != "":
		return pt, true
	}
	s.preparedText, s.preparedTextKnown = pt.Text, true
	return computed, false
}

// preparesSQL reports whether stmts hold a SQL-level PREPARE, EXECUTE,
// EXECUTE IMMEDIATE or DEALLOCATE PREPARE: in a multi-statement query
// each statement then runs on its own, so a text computed from what the
// statements before it set (SET @sql = ...; PREPARE s FROM @sql) is read
// after they ran, and what each leaves on the connection is learned from
// its own text (learnSQLPrepare).
func preparesSQL(stmts []*sqlparse.Facts) bool {
	for _, f := range stmts {
		if f.Kind == sqlparse.KindPrepare {
			return true
		}
	}
	return false
}

// checkComputedText computes pt's expression on c, the connection about
// to run sql, and checks the text it gives. It returns the request to
// send: sql with that text as a literal in place of the expression, or
// packet unchanged when the expression gives no text (NULL, or an error:
// the server then answers as it does). refused is the error the client
// gets instead when Strata refuses the text.
func (s *Session) checkComputedText(ctx context.Context, c *backend.Conn, pt sqlparse.PreparedText, sql string, packet []byte) (request []byte, refused *wire.Error) {
	_, row, err := queryRow(ctx, c, "SELECT "+pt.Expr)
	if err != nil || len(row) != 1 || row[0] == nil {
		return packet, nil
	}
	text := row[0]
	if e := s.refusedText(string(text)); e != nil {
		return nil, e
	}
	s.preparedText, s.preparedTextKnown = string(text), true
	if pt.Expr[0] == '@' {
		// A user variable stays as it is on this connection until the
		// statement reads it: the text sent is the one checked.
		return packet, nil
	}
	// Computed once, here: a second computation by the server could
	// give other text (RAND(), FOUND_ROWS() after this SELECT).
	out := append([]byte{wire.ComQuery}, sql[:pt.Start]...)
	out = append(out, textLiteral(text, s.readingMode().NoBackslashEscapes())...)
	return append(out, sql[pt.End:]...), nil
}

// What a SQL-level prepared statement leaves on its connection. The
// session stays on the connection while the server holds a statement it
// prepared there (PREPARE, until DEALLOCATE PREPARE), and an EXECUTE or
// an EXECUTE IMMEDIATE leaves what its text leaves (a temporary table,
// user variables, a named lock), learned from the text as from the
// statement itself. Before, any of them kept the session on the primary
// for good: one EXECUTE IMMEDIATE 'SELECT ...' sent every later read of
// the connection there.

// unreadText stands for the text of a statement prepared on the server
// that Strata did not read.
const unreadText = "\x00unread"

// learnSQLPrepare learns what a PREPARE, EXECUTE, EXECUTE IMMEDIATE or
// DEALLOCATE PREPARE the server ran on c leaves there.
func (s *Session) learnSQLPrepare(c *backend.Conn, f *sqlparse.Facts) {
	text := unreadText
	if s.preparedTextKnown {
		text = s.preparedText
	}
	p, ok := s.readingMode().ParseSQLPrepare(f.Text)
	switch {
	case !ok:
		s.holds["sql prepared statement (not read)"] = true
	case p.Verb == "PREPARE":
		if s.serverStmts == nil {
			s.serverStmts = map[string]string{}
		}
		s.serverStmts[p.Name] = text
	case p.Verb == "DEALLOCATE":
		delete(s.serverStmts, p.Name)
	case p.Verb == "EXECUTE":
		if t, in := s.serverStmts[p.Name]; in {
			s.learnText(c, t)
		}
	case p.Verb == "IMMEDIATE":
		s.learnText(c, text)
	}
	if len(s.serverStmts) > 0 {
		s.holds["sql prepared statement"] = true
	} else {
		delete(s.holds, "sql prepared statement")
	}
}

// learnText learns what the statements of text, run by an EXECUTE,
// left on c; a text Strata did not read keeps the session on c.
func (s *Session) learnText(c *backend.Conn, text string) {
	if text == unreadText {
		s.holds["sql prepared statement (not read)"] = true
		return
	}
	for _, f := range s.parse(text).Statements {
		if f.Kind != sqlparse.KindPrepare { // the server prepares no PREPARE
			s.learnOne(c, f)
		}
	}
}

// textLiteral writes a statement's text as a string literal the server
// reads back byte for byte: quotes doubled, backslashes doubled unless
// the sql_mode has NO_BACKSLASH_ESCAPES; text that is not UTF-8 or holds
// a NUL byte as a hex literal, which PREPARE and EXECUTE IMMEDIATE take
// too.
func textLiteral(text []byte, noBackslash bool) []byte {
	plain := utf8.Valid(text)
	for _, c := range text {
		plain = plain && c != 0
	}
	if !plain {
		return []byte("X'" + hex.EncodeToString(text) + "'")
	}
	out := make([]byte, 0, len(text)+2)
	out = append(out, '\'')
	for _, c := range text {
		switch {
		case c == '\'':
			out = append(out, '\'', '\'')
		case c == '\\' && !noBackslash:
			out = append(out, '\\', '\\')
		default:
			out = append(out, c)
		}
	}
	return append(out, '\'')
}

// answerRefusedOn answers a statement Strata refused after it took c for
// it: the client gets the error, c ran nothing of the statement.
func (s *Session) answerRefusedOn(e *wire.Error) (backend.Result, error) {
	s.forgetPrevious()
	s.noteOwnError(e)
	s.env.Metrics.ObserveError("proxy")
	if s.client.Chain != nil {
		s.client.Chain.Failed = true
	}
	if err := s.client.WritePacket(wire.AppendErr(nil, e)); err != nil {
		return backend.Result{}, &backend.ClientError{Err: err}
	}
	return backend.Result{Err: e, Sent: true}, nil
}
