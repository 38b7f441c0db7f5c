package sqlparse

import (
	"strconv"
	"strings"
)

// ReplaceConnectionID returns sql with every call of the builtin
// CONNECTION_ID() replaced by id, and whether it replaced any. Behind a
// proxy the server's answer is the id of Strata's backend connection,
// which the client would then give to KILL: it must see its own, Strata's.
// Strings, quoted names, comments and schema-qualified functions
// (db.connection_id()) are left alone.
func ReplaceConnectionID(sql string, id uint32) (string, bool) {
	return Mode{}.ReplaceConnectionID(sql, sql, id)
}

// ReplaceConnectionID is ReplaceConnectionID for text read as m reads it
// (NO_BACKSLASH_ESCAPES changes where strings end). read is the text to
// find the calls in: sql itself, or its masked copy (Multibyte.Mask, of
// the same length) when the client's character set puts ASCII bytes
// inside characters; the replaced text is made from sql.
func (m Mode) ReplaceConnectionID(sql, read string, id uint32) (string, bool) {
	return m.ReplaceCall(sql, read, "connection_id", strconv.FormatUint(uint64(id), 10))
}

// ReplaceCall returns sql with every call of the builtin fn() (no
// arguments; name in lower case) replaced by value, and whether it
// replaced any: a value Strata knows and the server's connection does
// not. Strings, quoted names, comments and schema-qualified functions are
// left alone; read is as for ReplaceConnectionID. The select list's
// fields keep their column names (Replace).
func (m Mode) ReplaceCall(sql, read, fn, value string) (string, bool) {
	if len(read) != len(sql) {
		read = sql
	}
	sc := newScanner(read)
	sc.noBackslash = m.noBackslash
	var rs []Replacement
	var prev token
	for {
		t := sc.next()
		if t.kind == tokEOF {
			break
		}
		if t.kind == tokWord && strings.EqualFold(sc.text(t), fn) && !(prev.kind == tokPunct && sc.text(prev) == ".") {
			if end, ok := emptyCallEnd(read, t.end); ok {
				rs = append(rs, Replacement{Start: t.start, End: end, Text: value})
				sc.pos = end
			}
		}
		if t.kind != tokComment {
			prev = t
		}
	}
	if len(rs) == 0 {
		return sql, false
	}
	return m.Replace(sql, read, rs), true
}

// emptyCallEnd reports whether "()" (spaces allowed inside) follows at i,
// as a call of a builtin must be written, and where it ends.
func emptyCallEnd(s string, i int) (int, bool) {
	if i >= len(s) || s[i] != '(' {
		return 0, false
	}
	j := i + 1
	for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
		j++
	}
	if j >= len(s) || s[j] != ')' {
		return 0, false
	}
	return j + 1, true
}

// UserVarSpan is where a user variable (@x, @'a b', @`c`) is read in a
// statement's text: Text[Start:End] is how it is written.
type UserVarSpan struct{ Start, End int }

// UserVars lists the user variables sql names, as m reads it: strings,
// quoted names and comments are left out, and so are system variables
// (@@x).
func (m Mode) UserVars(sql string) []UserVarSpan {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	var out []UserVarSpan
	for t := sc.next(); t.kind != tokEOF; t = sc.next() {
		if t.kind == tokUserVar {
			out = append(out, UserVarSpan{t.start, t.end})
		}
	}
	return out
}

// ConnectionRef is a statement about another connection by its id: SHOW
// EXPLAIN [FORMAT=JSON] FOR id, SHOW ANALYZE [FORMAT=JSON] FOR id, EXPLAIN
// [FORMAT=JSON] FOR CONNECTION id. The id is Strata's (what CONNECTION_ID()
// and SHOW PROCESSLIST give a client through it); a server reads it as one
// of its threads, so the statement must be answered with the server's.
type ConnectionRef struct {
	ID uint32
	// Start and End are where the id is written in the text.
	Start, End int
}

// ExplainFor reads sql as a statement about another connection's running
// statement; ok is false for any other text.
func (m Mode) ExplainFor(sql string) (ref ConnectionRef, ok bool) {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	word := func(kw string) bool {
		save := sc.pos
		if t := sc.nextCode(); sc.isWord(t, kw) {
			return true
		}
		sc.pos = save
		return false
	}
	format := func() bool { // [FORMAT = name]
		if !word("format") {
			return true
		}
		if t := sc.nextCode(); t.kind != tokPunct || sc.text(t) != "=" {
			return false
		}
		t := sc.nextCode()
		return t.kind == tokWord || t.kind == tokString || t.kind == tokQuoted
	}
	switch {
	case word("show"):
		if !(word("explain") || word("analyze")) || !format() || !word("for") {
			return ref, false
		}
	case word("explain"):
		if !format() || !word("for") || !word("connection") {
			return ref, false
		}
	default:
		return ref, false
	}
	t := sc.nextCode()
	id, err := strconv.ParseUint(sc.text(t), 10, 32)
	if t.kind != tokWord || err != nil {
		return ref, false
	}
	ref = ConnectionRef{ID: uint32(id), Start: t.start, End: t.end}
	if end := sc.nextCode(); end.kind == tokPunct && sc.text(end) == ";" {
		t = sc.nextCode()
	} else {
		t = end
	}
	return ref, t.kind == tokEOF
}

// KillStatement is a KILL as written: KILL [HARD | SOFT] [CONNECTION |
// QUERY [ID]] {id | CONNECTION_ID() | USER name}.
type KillStatement struct {
	ID        uint64
	Query     bool // KILL QUERY: the statement, not the connection
	ByQueryID bool // KILL QUERY ID n: n is a server's query id
	Own       bool // KILL CONNECTION_ID(): the session's own id
	User      bool // KILL USER name: every connection of an account
}

// Kill reads a KILL statement, its comments skipped; ok is false for any
// other statement and for a KILL whose target is an expression Strata
// does not compute (the server takes any).
func (m Mode) Kill(sql string) (KillStatement, bool) {
	sc, toks := m.codeTokens(sql)
	var k KillStatement
	if len(toks) < 2 || !sc.isWord(toks[0], "kill") {
		return k, false
	}
	i := 1
options:
	for ; i < len(toks)-1; i++ {
		switch t := toks[i]; {
		case sc.isWord(t, "hard"), sc.isWord(t, "soft"), sc.isWord(t, "connection"):
		case sc.isWord(t, "query"):
			k.Query = true
		case sc.isWord(t, "id") && k.Query:
			k.ByQueryID = true
		default:
			break options
		}
	}
	rest := toks[i:]
	switch {
	case sc.isWord(rest[0], "user"):
		k.User = true
		return k, len(rest) > 1
	case len(rest) == 3 && sc.isWord(rest[0], "connection_id") && sc.text(rest[1]) == "(" && sc.text(rest[2]) == ")":
		k.Own = true
		return k, true
	case len(rest) != 1 || rest[0].kind != tokWord:
		return k, false
	}
	id, err := strconv.ParseUint(sc.text(rest[0]), 10, 64)
	k.ID = id
	return k, err == nil
}
