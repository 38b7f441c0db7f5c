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
// left alone; read is as for ReplaceConnectionID. A call that is a whole
// field of a select list keeps its column's name, the call as written
// (SELECT ROW_COUNT(), @@warning_count names its first column
// ROW_COUNT(), not the value).
func (m Mode) ReplaceCall(sql, read, fn, value string) (string, bool) {
	if len(read) != len(sql) {
		read = sql
	}
	var b strings.Builder
	sc := newScanner(read)
	sc.noBackslash = m.noBackslash
	copied := 0
	var prev token
	var lists selectLists
	for {
		t := sc.next()
		if t.kind == tokEOF {
			break
		}
		if t.kind == tokWord && strings.EqualFold(sc.text(t), fn) && !(prev.kind == tokPunct && sc.text(prev) == ".") {
			if end, ok := emptyCallEnd(read, t.end); ok {
				b.WriteString(sql[copied:t.start])
				b.WriteString(value)
				if lists.fieldStarts(&sc, prev) && fieldEndsAt(read, end, m.noBackslash) {
					b.WriteString(" AS " + QuoteIdentifier(sql[t.start:end]))
				}
				copied = end
				sc.pos = end
				prev = token{kind: tokPunct, start: end - 1, end: end}
				continue
			}
		}
		if t.kind != tokComment {
			lists.follow(&sc, t)
			prev = t
		}
	}
	if copied == 0 {
		return sql, false
	}
	b.WriteString(sql[copied:])
	return b.String(), true
}

// selectLists follows, token by token, whether the text is inside the
// select list of a SELECT, at which parenthesis depth.
type selectLists struct {
	depth int
	open  []int // the depths of the SELECTs whose select list runs, innermost last
}

// selectListEnds are the words that end a select list at its depth.
var selectListEnds = map[string]bool{
	"from": true, "into": true, "where": true, "group": true, "having": true, "order": true, "limit": true,
	"union": true, "except": true, "intersect": true, "window": true, "for": true, "lock": true,
}

func (l *selectLists) follow(sc *scanner, t token) {
	switch text := sc.text(t); {
	case t.kind == tokPunct && text == "(":
		l.depth++
	case t.kind == tokPunct && text == ")":
		l.depth--
		l.closeDeeper()
	case t.kind == tokWord && strings.EqualFold(text, "select"):
		l.open = append(l.open, l.depth)
	case t.kind == tokWord && selectListEnds[strings.ToLower(text)]:
		if n := len(l.open); n > 0 && l.open[n-1] == l.depth {
			l.open = l.open[:n-1]
		}
	}
}

func (l *selectLists) closeDeeper() {
	for n := len(l.open); n > 0 && l.open[n-1] > l.depth; n = len(l.open) {
		l.open = l.open[:n-1]
	}
}

// fieldStarts reports whether a field of a select list starts after
// prev: right after SELECT or a comma of the list.
func (l *selectLists) fieldStarts(sc *scanner, prev token) bool {
	n := len(l.open)
	if n == 0 || l.open[n-1] != l.depth {
		return false
	}
	text := sc.text(prev)
	return prev.kind == tokPunct && text == "," || prev.kind == tokWord && strings.EqualFold(text, "select")
}

// fieldEndsAt reports whether a field of a select list ends at i: what
// follows is a comma, the list's end or the statement's, not an
// operator or an alias.
func fieldEndsAt(read string, i int, noBackslash bool) bool {
	sc := newScanner(read[i:])
	sc.noBackslash = noBackslash
	t := sc.next()
	for t.kind == tokComment {
		t = sc.next()
	}
	text := sc.text(t)
	switch t.kind {
	case tokEOF:
		return true
	case tokPunct:
		return text == "," || text == ")" || text == ";"
	case tokWord:
		return selectListEnds[strings.ToLower(text)]
	}
	return false
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
