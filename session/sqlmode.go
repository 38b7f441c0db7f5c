package session

import (
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
)

// A session's sql_mode changes how the server reads its statements: with
// NO_BACKSLASH_ESCAPES 'a\' ends a string where the default reading goes
// on, so text that Strata would take for the inside of a string is code
// to the server (a second statement, a write); with ANSI_QUOTES "t" is a
// name. Strata reads a session's statements as its server does, so it
// routes what the server will run: sessions whose mode reads text like the
// default share the planner's caches, the others parse with their mode.

// parse returns the facts of sql as this session's server reads it.
func (s *Session) parse(sql string) *planner.Parsed {
	if s.modePending {
		s.takeServerSQLMode()
	}
	if s.multibyte != nil {
		if masked, ok := s.multibyte.Mask(sql); ok {
			return s.parseMasked(sql, masked)
		}
	}
	if s.mode == nil {
		return s.env.Planner.Parse(sql)
	}
	return s.env.Planner.ParseMode(*s.mode, sql)
}

// parseBytes is parse of a statement still in a packet buffer.
func (s *Session) parseBytes(sql []byte) *planner.Parsed {
	if s.modePending {
		s.takeServerSQLMode()
	}
	if s.multibyte != nil {
		return s.parse(string(sql))
	}
	if s.mode == nil {
		return s.env.Planner.ParseBytes(sql)
	}
	return s.env.Planner.ParseMode(*s.mode, string(sql))
}

// A session that has not set sql_mode has the server's global one, which
// the topology monitor reads on every check (topology.Server.SQLMode): a
// session starts, and starts over after COM_RESET_CONNECTION or
// COM_CHANGE_USER, reading as its cluster's primary does. A change of the
// global value applies to sessions opened after it, as on the server.

// parseMasked reads text, whose client character set puts ASCII bytes
// inside characters, from its masked copy (sqlparse.Multibyte.Mask); the
// text to run stays the client's.
func (s *Session) parseMasked(text, masked string) *planner.Parsed {
	p := s.env.Planner.ParseMode(s.readingMode(), masked) // not cached: masks of different texts are alike
	p.SQL = text
	p.Summary.Masked = true
	for _, f := range p.Statements {
		f.Masked = true
	}
	return p
}

// learnCharset follows the client's character set: from the handshake's
// collation, or SET NAMES, SET CHARACTER SET, SET character_set_client;
// and the one it reads results in, when it sets character_set_results
// apart.
func (s *Session) learnCharset(v sqlparse.SessionVar) {
	name, _, _ := strings.Cut(v.Value, " ")
	switch v.Name {
	case "names", "character set":
		s.setCharset(name)
		s.results = ""
	case "character_set_client":
		s.setCharset(name)
	case "character_set_results":
		s.results = resultsCharset(name)
	}
}

// resultsCharset reads a value of character_set_results: NULL is
// "binary" (no conversion), a name Strata does not know (or DEFAULT, the
// server's global) "unknown".
func resultsCharset(value string) string {
	name := strings.ToLower(strings.Trim(value, "'\"` "))
	switch {
	case name == "null":
		return "binary"
	case name == "utf8":
		return "utf8mb3"
	case !engine.IsCharset(name):
		return "unknown"
	}
	return name
}

// setCharset makes name (as SET NAMES writes it, quoted or not) the
// client's character set; DEFAULT and names Strata does not know leave
// it unknown.
func (s *Session) setCharset(name string) {
	name = strings.ToLower(strings.Trim(name, "'\"` "))
	s.multibyte = sqlparse.MultibyteCharset(name)
	switch {
	case name == "utf8":
		name = "utf8mb3"
	case !engine.IsCharset(name):
		name = ""
	}
	s.charset = name
}

// replaceConnectionID is sqlparse.ReplaceConnectionID for the session's
// reading of sql (its sql_mode and character set).
func (s *Session) replaceConnectionID(sql string) (string, bool) {
	return s.replaceCall(sql, "connection_id", strconv.FormatUint(uint64(s.ID), 10))
}

// replaceCall is sqlparse.Mode.ReplaceCall for the session's reading of
// sql (its sql_mode and character set).
func (s *Session) replaceCall(sql, fn, value string) (string, bool) {
	read := sql
	if s.multibyte != nil {
		read, _ = s.multibyte.Mask(sql)
	}
	return s.readingMode().ReplaceCall(sql, read, fn, value)
}

// readingMode is how the session reads SQL text: its sql_mode, the
// character set its literals are written in, and the time_zone it reads
// TIMESTAMP literals in.
func (s *Session) readingMode() sqlparse.Mode {
	if s.mode == nil {
		return sqlparse.Mode{}.KeepingZero(s.keepsZero).WithCharset(s.charset).WithZone(s.timeZone)
	}
	return s.mode.WithCharset(s.charset).WithZone(s.timeZone)
}

// learnTimeZone follows a SET of the session's time_zone (a value the
// server computed was asked back as a literal: settingAsSet). DEFAULT is
// the server's own again.
func (s *Session) learnTimeZone(v sqlparse.SessionVar) { s.timeZone = v.Zone() }

// takeServerSQLMode gives a new or reset session the server's global
// sql_mode. A session that starts before the monitor's first check has
// read it (Strata just started) stays pending and takes it at its first
// statement after the check: read with the default for its whole life, a
// long-lived pooled connection would be read wrongly long after.
func (s *Session) takeServerSQLMode() {
	if s.env.Topology == nil { // sessions built by tests
		s.setSQLMode(map[bool]string{true: ignoreSpace}[s.loginIgnoreSpace])
		return
	}
	mode, read := s.env.Topology.Load().DefaultSQLMode()
	if s.loginIgnoreSpace {
		mode = withIgnoreSpace(mode)
	}
	if !read {
		// Checked again at every statement until read: no allocation.
		s.mode, s.keepsZero, s.modeValue, s.modePending = nil, false, "", true
		if s.loginIgnoreSpace {
			// Until then the login's IGNORE_SPACE, which the session's
			// server connections have already.
			s.setSQLMode(ignoreSpace)
			s.modePending = true
		}
		return
	}
	s.setSQLMode(mode)
}

// A client that logs in with CLIENT_IGNORE_SPACE (mariadb -i,
// PDO::MYSQL_ATTR_IGNORE_SPACE) gets IGNORE_SPACE added to its session's
// sql_mode by the server, so COUNT (*) reads as COUNT(*). Strata's own
// connections to the servers do not log in so; the session sets it on
// each of them instead, as a variable the client could have set itself
// (replaced when the client sets sql_mode, gone after COM_RESET_CONNECTION
// and COM_CHANGE_USER, as on the server), and reads its statements so.

const ignoreSpace = "IGNORE_SPACE"

// setIgnoreSpace is what sets the login's IGNORE_SPACE on a server
// connection: the server's global sql_mode with it added.
const setIgnoreSpace = "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@GLOBAL.sql_mode, ''), 'IGNORE_SPACE')"

func (s *Session) ignoreSpaceAtLogin() {
	s.loginIgnoreSpace = true
	s.vars.set("sql_mode", setIgnoreSpace)
}

// withIgnoreSpace is sql_mode value mode with IGNORE_SPACE added.
func withIgnoreSpace(mode string) string {
	for _, m := range strings.Split(mode, ",") {
		if strings.EqualFold(strings.TrimSpace(m), ignoreSpace) {
			return mode
		}
	}
	if mode == "" {
		return ignoreSpace
	}
	return mode + "," + ignoreSpace
}

// learnSQLMode follows a SET of the session's sql_mode that ran on c. A
// value computed by the server (CONCAT(@@sql_mode, ...), REPLACE(...),
// common in PHP applications) or DEFAULT (the server's global value) is
// asked back from c.
func (s *Session) learnSQLMode(c *backend.Conn, v sqlparse.SessionVar) {
	s.loginIgnoreSpace = false // the client's own value replaces the login's
	value := v.Value
	if v.Dynamic || strings.EqualFold(value, "DEFAULT") {
		got, err := c.QueryValue("SELECT @@SESSION.sql_mode")
		if err != nil {
			// The connection failed after the SET: the session will hear of
			// it; until it sets sql_mode again, read as the server's default.
			if s.env.Log != nil {
				s.env.Log.Warn("could not read the session's sql_mode after it was set; reading its statements with the default", "id", s.ID, "err", err)
			}
			s.takeServerSQLMode()
			return
		}
		value = got
	}
	s.setSQLMode(value)
}

// setSQLMode makes the session read its statements as sql_mode value
// does ("" or a mode that reads like the default: the shared caches).
func (s *Session) setSQLMode(value string) {
	s.modePending = false
	m := sqlparse.NewMode(value)
	s.keepsZero = !m.NumbersZero()
	switch {
	case !m.ReadsAsDefault():
		s.mode, s.modeValue = &m, value
	case s.keepsZero:
		s.mode, s.modeValue = nil, value
	default:
		s.mode, s.modeValue = nil, ""
	}
}
