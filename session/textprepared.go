package session

import (
	"math"
	"strconv"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// A client that writes its values into the text (PHP PDO's default,
// emulated prepares) makes the server parse and check every SELECT anew.
// With backend.prepare_text_reads, Strata runs such a SELECT as its
// shape's server-side prepared statement (sqlparse.PreparedForm),
// prepared once per server connection, with the values bound, and turns
// the binary rows of the answer back into the text rows the client
// expects (backend.RelayAsText): the same answer, byte for byte, for less
// of the server's CPU.

// textPrepared returns the prepared form to run the query sql by, or nil
// when it goes to the server as text: the setting is off; the text is not
// one statement of a shape with a form; the form failed before; Strata
// rewrote the text; the session reads text another way than the parse
// did (sql_mode, a multibyte character set whose bytes Strata's scanner
// would misread inside strings); or the session profiles its statements
// (SHOW PROFILES lists what the server ran, and the client wants its
// texts there, not their forms with a ? for each value).
func (s *Session) textPrepared(parsed *planner.Parsed, sql string) *sqlparse.PreparedForm {
	form := parsed.Summary.Prepared
	if form == nil || form.Off() || len(parsed.Statements) != 1 || sql != parsed.SQL ||
		!s.env.Limits().PrepareTextReads || s.multibyte != nil || !s.readingMode().ReadsAsDefault() ||
		s.holds["profiling"] {
		return nil
	}
	return form
}

// turnOff stops form's use for every text of its shape, counted under
// outcome.
func (s *Session) turnOff(form *sqlparse.PreparedForm, outcome string) {
	form.TurnOff()
	s.env.Metrics.TextPrepared(outcome)
}

// execTextPrepared runs the query sql on c as form's prepared statement
// with sql's values bound, and relays the answer as the answer to the
// query. done is false when nothing was sent and the caller must send
// the text itself: a value that cannot be bound as its literal means it,
// a prepare the server refused, or a result Strata cannot turn into text
// rows. The last two turn the form off for every text of its shape.
func (s *Session) execTextPrepared(c *backend.Conn, capture *backend.Capture, form *sqlparse.PreparedForm, sql string, reply *wire.ReplyPoll) (res backend.Result, done bool, err error) {
	params, ok := s.boundValues(form, sql)
	if !ok {
		return res, false, nil
	}
	st, err := c.TextStmt(s.DB, form.SQL)
	if werr, ok := err.(*wire.Error); ok {
		if !preparesLater(werr) {
			s.turnOff(form, "refused")
		}
		return res, false, nil
	}
	if err != nil {
		return res, true, err
	}
	if st.NumParams != len(params) {
		// The server reads the form otherwise than Strata: an
		// executable comment of a version newer than the server's
		// (/*!110000 ... */ on MariaDB 10.11), which Strata reads as
		// code, hides a parameter from it. Bound values would land on
		// other parameters: the text goes instead.
		s.turnOff(form, "refused")
		return res, false, nil
	}
	s.execPacket = wire.AppendExecute(s.execPacket[:0], st.ID, params)
	if err := c.RequestFor(s.execPacket, reply); err != nil {
		return res, true, &backend.ServerError{Addr: c.Addr, Err: err}
	}
	res, err = c.RelayAsText(s.client, capture, st)
	if err == backend.ErrNoTextRows {
		s.turnOff(form, "untextable")
		return res, false, nil
	}
	s.env.Metrics.TextPrepared("executed")
	return res, true, err
}

// preparesLater reports whether a server's refusal to prepare a form may
// not hold for long, so the form stays on: a table or column not there
// yet (the text fails alike), or the server's max_prepared_stmt_count
// reached for now.
func preparesLater(e *wire.Error) bool {
	switch e.Code {
	case wire.ErMaxPreparedStmts, wire.ErBadDB, wire.ErNoSuchTable, wire.ErBadField:
		return true
	}
	return false
}

// boundValues is sql's inlined values as form's parameters; ok is false
// when one cannot be bound as its literal means it (a number beyond
// BIGINT UNSIGNED is a DECIMAL).
func (s *Session) boundValues(form *sqlparse.PreparedForm, sql string) (params []wire.Param, ok bool) {
	s.literals, ok = form.Values(s.literals[:0], sql)
	if !ok {
		return nil, false
	}
	params = s.params[:0]
	for _, v := range s.literals {
		if v.String {
			params = append(params, wire.Param{String: true, Str: v.Text})
			continue
		}
		n, err := strconv.ParseUint(v.Text, 10, 64)
		if err != nil {
			return nil, false
		}
		params = append(params, wire.Param{Int: n, Unsigned: n > math.MaxInt64})
	}
	s.params = params
	return params, true
}
