package sqlparse

import "strings"

// TableSpan is where a statement names a table: Start:End spans the name
// (schema-qualified or not), Aliased says an alias follows it.
type TableSpan struct {
	Start, End int
	Aliased    bool
}

// notAliases are the words that may follow a table reference without
// being its alias.
var notAliases = map[string]bool{
	"where": true, "join": true, "inner": true, "left": true, "right": true, "cross": true,
	"natural": true, "straight_join": true, "on": true, "using": true, "group": true,
	"order": true, "limit": true, "union": true, "having": true, "window": true, "for": true,
	"lock": true, "into": true, "except": true, "intersect": true, "use": true, "ignore": true,
	"force": true, "partition": true, "returning": true, "offset": true, "fetch": true,
}

// ProcessListRefs finds where sql names information_schema.PROCESSLIST
// as a table (any case, quoted or not), or PROCESSLIST alone after FROM
// or JOIN when inSchema (the session's schema is information_schema). A
// name followed by a dot (information_schema.processlist.ID, a column)
// is not a table reference.
func (m Mode) ProcessListRefs(sql string, inSchema bool) []TableSpan {
	sc, toks := m.codeTokens(sql)
	is := func(i int, name string) bool {
		if i < 0 || i >= len(toks) {
			return false
		}
		text, ok := identText(&sc, toks[i])
		return ok && strings.EqualFold(text, name)
	}
	dot := func(i int) bool { return i >= 0 && i < len(toks) && sc.text(toks[i]) == "." }
	var out []TableSpan
	for i := range toks {
		if !is(i, "processlist") || dot(i+1) {
			continue
		}
		start := i
		switch {
		case dot(i-1) && is(i-2, "information_schema") && !dot(i-3):
			start = i - 2
		case dot(i - 1):
			continue // another schema's table
		case !inSchema || i == 0 || !(sc.isWord(toks[i-1], "from") || sc.isWord(toks[i-1], "join")):
			continue
		}
		out = append(out, TableSpan{Start: toks[start].start, End: toks[i].end, Aliased: aliasAt(&sc, toks, i+1)})
	}
	return out
}

// aliasAt reports whether toks[i] begins a table reference's alias.
func aliasAt(sc *scanner, toks []token, i int) bool {
	if i >= len(toks) {
		return false
	}
	switch t := toks[i]; t.kind {
	case tokQuoted:
		return true
	case tokWord:
		return !notAliases[strings.ToLower(sc.text(t))]
	}
	return false
}
