package sqlparse

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// A server names a select list's column without an alias by the field's
// text as the client wrote it: SELECT @v + n names its column "@v + n".
// Where Strata writes a value in the place of something the server
// cannot read (a user variable that lives on another connection,
// ROW_COUNT() of a write over shards, CONNECTION_ID()), the server would
// name the column by the value instead ("777 + n"), and a client that
// reads columns by name (PHP's fetch(PDO::FETCH_ASSOC)) finds nothing.
// So each changed field gets its text as written as alias.

// Replacement is a span of a statement's text, sql[Start:End], and the
// text to write in its place.
type Replacement struct {
	Start, End int
	Text       string
}

// Replace writes rs (in order, not overlapping) into sql, read as
// ReplaceCall reads it. Each field of a select list that a replacement
// changes and that has no alias gets its text as written as one.
func (m Mode) Replace(sql, read string, rs []Replacement) string {
	if len(read) != len(sql) {
		read = sql
	}
	aliases := m.fieldAliases(sql, read, rs)
	var b strings.Builder
	last := 0
	writeTo := func(end int) { // sql up to end, with the aliases due in it
		for len(aliases) > 0 && aliases[0].at <= end {
			b.WriteString(sql[last:aliases[0].at])
			b.WriteString(aliases[0].text)
			last = aliases[0].at
			aliases = aliases[1:]
		}
		b.WriteString(sql[last:end])
		last = end
	}
	for _, r := range rs {
		writeTo(r.Start)
		b.WriteString(r.Text)
		last = r.End
		for len(aliases) > 0 && aliases[0].at == r.End {
			b.WriteString(aliases[0].text)
			aliases = aliases[1:]
		}
	}
	writeTo(len(sql))
	return b.String()
}

// fieldAlias is an alias to write at offset at of the statement.
type fieldAlias struct {
	at   int
	text string
}

// selectListEnds are the words that end a select list at its depth:
// its clauses, and what may follow a SELECT without FROM inside another
// statement (INSERT ... SELECT 1 ON DUPLICATE KEY UPDATE, RETURNING).
var selectListEnds = map[string]bool{
	"from": true, "into": true, "where": true, "group": true, "having": true, "order": true, "limit": true,
	"union": true, "except": true, "intersect": true, "minus": true, "window": true, "for": true, "lock": true,
	"on": true, "returning": true, "offset": true, "fetch": true, "procedure": true,
}

// selectModifiers are the words between SELECT and its first field.
var selectModifiers = map[string]bool{
	"all": true, "distinct": true, "distinctrow": true, "high_priority": true, "straight_join": true,
	"sql_small_result": true, "sql_big_result": true, "sql_buffer_result": true, "sql_cache": true,
	"sql_no_cache": true, "sql_calc_found_rows": true,
}

// operatorWords are the words after which a word is an operand, not an
// alias (x IS NULL, a DIV b, x COLLATE utf8mb4_bin).
var operatorWords = map[string]bool{
	"and": true, "or": true, "xor": true, "not": true, "div": true, "mod": true, "is": true, "like": true,
	"regexp": true, "rlike": true, "in": true, "between": true, "sounds": true, "escape": true,
	"collate": true, "interval": true, "case": true, "when": true, "then": true, "else": true,
	"binary": true, "as": true,
}

// fieldOfList is a select list's field being read: its text so far,
// sql[start:end], and its last two tokens at the list's depth.
type fieldOfList struct {
	depth      int // the parentheses the list is inside
	start, end int
	started    bool
	as         bool // AS at the list's depth: an alias follows
	last, prev token
	prevSet    bool
}

func (f *fieldOfList) add(sc *scanner, t token) {
	if !f.started {
		if t.kind == tokWord && selectModifiers[strings.ToLower(sc.text(t))] {
			return
		}
		f.start, f.started = t.start, true
	} else {
		f.prev, f.prevSet = f.last, true
	}
	f.last, f.end = t, t.end
	if t.kind == tokWord && strings.EqualFold(sc.text(t), "as") {
		f.as = true
	}
}

// aliased reports whether the field ends with an alias: after AS, or a
// name or string right after an operand (a + b total, CASE ... END c).
// A doubt counts as an alias: another one would be a syntax error.
func (f *fieldOfList) aliased(sc *scanner) bool {
	if f.as {
		return true
	}
	if !f.prevSet {
		return false
	}
	switch f.last.kind {
	case tokWord, tokQuoted, tokString:
	default:
		return false
	}
	switch f.prev.kind {
	case tokQuoted, tokString, tokUserVar, tokSysVar:
		return true
	case tokPunct:
		return sc.text(f.prev) == ")"
	case tokWord:
		return !operatorWords[strings.ToLower(sc.text(f.prev))]
	}
	return false
}

// fieldAliases finds the fields of the statement's select lists that a
// replacement of rs changes and that have no alias, and returns where
// each one's alias goes (after its text), in order.
func (m Mode) fieldAliases(sql, read string, rs []Replacement) []fieldAlias {
	sc := newScanner(read)
	sc.noBackslash = m.noBackslash
	var open []*fieldOfList // innermost last
	var out []fieldAlias
	depth := 0
	finish := func(f *fieldOfList) {
		if !f.started || f.aliased(&sc) {
			return
		}
		text := sql[f.start:f.end]
		changed := slices.ContainsFunc(rs, func(r Replacement) bool { return r.Start >= f.start && r.End <= f.end })
		if changed && utf8.RuneCountInString(text) <= maxAliasLength {
			out = append(out, fieldAlias{f.end, " AS " + QuoteIdentifier(text)})
		}
	}
	closeDeeper := func() {
		for n := len(open); n > 0 && open[n-1].depth > depth; n = len(open) {
			finish(open[n-1])
			open = open[:n-1]
		}
	}
	for t := sc.next(); t.kind != tokEOF; t = sc.next() {
		if t.kind == tokComment {
			continue
		}
		text := sc.text(t)
		var top *fieldOfList
		if n := len(open); n > 0 && open[n-1].depth == depth {
			top = open[n-1]
		}
		switch {
		case t.kind == tokPunct && text == "(":
			if top != nil {
				top.add(&sc, t)
			}
			depth++
		case t.kind == tokPunct && text == ")":
			depth--
			closeDeeper()
			if n := len(open); n > 0 && open[n-1].depth == depth {
				open[n-1].add(&sc, t)
			}
		case t.kind == tokWord && strings.EqualFold(text, "select"):
			open = append(open, &fieldOfList{depth: depth})
		case top != nil && t.kind == tokPunct && text == ",":
			finish(top)
			*top = fieldOfList{depth: depth}
		case top != nil && (t.kind == tokPunct && text == ";" || t.kind == tokWord && selectListEnds[strings.ToLower(text)]):
			finish(top)
			open = open[:len(open)-1]
		case top != nil:
			top.add(&sc, t)
		}
	}
	for i := len(open) - 1; i >= 0; i-- {
		finish(open[i])
	}
	slices.SortFunc(out, func(a, b fieldAlias) int { return a.at - b.at })
	return out
}
