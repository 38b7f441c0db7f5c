package sqlparse

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// MariaDB's extensions of aggregate and window calls —
// GROUP_CONCAT(... LIMIT n), JSON_ARRAYAGG(DISTINCT x ORDER BY y LIMIT n),
// MEDIAN(x) OVER (...), PERCENTILE_CONT(f) WITHIN GROUP (ORDER BY x)
// OVER (...) — and its JSON_TABLE(...) are not in MySQL's grammar, so
// Strata's parser cannot read a statement that holds one. Where the
// shards compute such a call whole — the statement reads one shard, each
// group lives on one shard (GROUP BY the shard key), each window is
// partitioned by the shard key — Strata needs no more of it than the
// statement's route and merge: its stand-in, the statement with each such
// call replaced by a call of the same shape the parser reads, around a
// string literal of its own, is planned, and each stand-in call in the
// planned statements is replaced by the client's call again, which the
// shards' MariaDB reads.

// markerPrefix begins every stand-in's marker literal.
const markerPrefix = "strata-stand-in-"

// standInShape is what a call's stand-in keeps of it, so that the stand-in
// plans as the statement would: an aggregate stays an aggregate (the rows
// are grouped, and only whole groups are merged as they are), a window
// function a window function over the same window (which the planner
// checks is partitioned by the shard key), a table a derived table. An
// aggregate's stand-in is one Strata merges from several shards only as
// whole groups, where it can.
type standInShape uint8

const (
	standInAggregate standInShape = iota // JSON_ARRAYAGG('marker')
	standInWindow                        // FIRST_VALUE('marker') OVER <the call's window>
	standInTable                         // (SELECT 'marker')
)

// standInCall is one call StandIn replaced.
type standInCall struct {
	text    string // the client's call, its OVER clause included
	standIn string // what StandIn wrote in its place
	marker  string // its literal, quoted
	shape   standInShape
}

// StandIn is sql with each of MariaDB's aggregate and window extensions
// replaced by a stand-in of its shape, and the function that puts the
// calls back in a statement planned from it (false when a stand-in is not
// there exactly once, as written or as the parser restores it). ok is
// false when sql has no such call, when a call holds a ? placeholder (the
// stand-in would bind one value fewer), or when the text already holds a
// marker.
func (m Mode) StandIn(sql string) (standIn string, back func(planned string) (string, bool), ok bool) {
	if strings.Contains(sql, markerPrefix) {
		return "", nil, false
	}
	var b strings.Builder
	var calls []standInCall
	last := 0
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		end, over, found := extensionCall(&sc, t)
		if !found {
			continue
		}
		call := standInCall{text: sql[t.start:end], marker: fmt.Sprintf("'%s%d'", markerPrefix, len(calls))}
		if hasPlaceholder(m, call.text) {
			return "", nil, false
		}
		switch {
		case sc.isWord(t, "json_table"):
			call.shape, call.standIn = standInTable, "(SELECT "+call.marker+")"
		case over > 0:
			call.shape, call.standIn = standInWindow, "FIRST_VALUE("+call.marker+") "+sql[over:end]
		default:
			call.shape, call.standIn = standInAggregate, "JSON_ARRAYAGG("+call.marker+")"
		}
		b.WriteString(sql[last:t.start])
		b.WriteString(call.standIn)
		last = end
		calls = append(calls, call)
	}
	if len(calls) == 0 {
		return "", nil, false
	}
	b.WriteString(sql[last:])
	back = func(planned string) (string, bool) {
		for _, call := range calls {
			start, end, ok := m.standInSpan(planned, call)
			if !ok {
				return "", false
			}
			planned = planned[:start] + call.text + planned[end:]
			if planned, ok = m.namesBack(planned, call); !ok {
				return "", false
			}
		}
		// A marker left anywhere (a string the planner wrote from the
		// stand-in) would reach a shard as a value the client never sent.
		return planned, !strings.Contains(planned, markerPrefix)
	}
	return b.String(), back, true
}

// standInSpan is where call's stand-in is in planned, a statement planned
// from a stand-in: its marker exactly once, inside the stand-in call's
// words, in any case and spacing.
func (m Mode) standInSpan(planned string, call standInCall) (start, end int, ok bool) {
	sc := newScanner(planned)
	sc.noBackslash = m.noBackslash
	var toks []token
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		toks = append(toks, t)
	}
	at := -1
	for i, t := range toks {
		if t.kind == tokString && planned[t.start:t.end] == call.marker {
			if at >= 0 {
				return 0, 0, false
			}
			at = i
		}
	}
	if at < 2 {
		return 0, 0, false
	}
	before := toks[at-2 : at]
	if call.shape == standInTable {
		if !isPunct(planned, before[0], '(') || !sc.isWord(before[1], "select") ||
			at+1 >= len(toks) || !isPunct(planned, toks[at+1], ')') {
			return 0, 0, false
		}
		return before[0].start, toks[at+1].end, true
	}
	fn := "json_arrayagg"
	if call.shape == standInWindow {
		fn = "first_value"
	}
	if !sc.isWord(before[0], fn) || !isPunct(planned, before[1], '(') {
		return 0, 0, false
	}
	// The call ends at its closing parenthesis (the parser may write
	// more inside it); a window function's OVER clause follows.
	rest := newScanner(planned)
	rest.noBackslash = m.noBackslash
	rest.pos = before[0].end
	end, ok = closingParen(&rest)
	if !ok || call.shape == standInAggregate {
		return before[0].start, end, ok
	}
	if !rest.isWord(rest.nextCode(), "over") {
		return 0, 0, false
	}
	name := rest
	if t := name.nextCode(); t.kind == tokWord || t.kind == tokQuoted {
		return before[0].start, t.end, true
	}
	end, ok = closingParen(&rest)
	return before[0].start, end, ok
}

// namesBack puts call back in the column names of planned: where a shard
// query names a column by the client's text of its expression (the
// planner's alias for an expression it rewrote), the name holds the
// stand-in's text, which the client's call replaces.
func (m Mode) namesBack(planned string, call standInCall) (string, bool) {
	sc := newScanner(planned)
	sc.noBackslash = m.noBackslash
	var b strings.Builder
	last := 0
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		name := planned[t.start:t.end]
		if t.kind != tokQuoted || !strings.Contains(name, call.marker) {
			continue
		}
		unquoted := strings.ReplaceAll(name[1:len(name)-1], "``", "`")
		if strings.Count(unquoted, call.standIn) != 1 {
			return "", false
		}
		unquoted = strings.Replace(unquoted, call.standIn, call.text, 1)
		b.WriteString(planned[last:t.start])
		b.WriteString("`" + strings.ReplaceAll(unquoted, "`", "``") + "`")
		last = t.end
	}
	b.WriteString(planned[last:])
	return b.String(), true
}

// ParseStandIn is the facts of sql's stand-in (StandIn), when it has one
// and the parser reads it; nil otherwise.
func (m Mode) ParseStandIn(sql string) (standIn string, back func(string) (string, bool), f *Facts) {
	standIn, back, ok := m.StandIn(sql)
	if !ok {
		return "", nil, nil
	}
	if facts, _ := m.ParseOrFallback(standIn); len(facts) == 1 && !facts[0].Fallback {
		return standIn, back, facts[0]
	}
	return "", nil, nil
}

// StandInColumns reports, for each column of planned, a SELECT planned
// from a stand-in (StandIn), whether it may hold what a stand-in call
// computes: it holds a stand-in, or names a column of a stand-in table
// (or a column without a table, which may be one). Strata cannot compare
// such a value as the shards do — it does not know its type or collation
// — so a merge must not sort by it. ok is false when the columns cannot
// be told: planned is not one SELECT, or its list has a *.
func (m Mode) StandInColumns(planned string) (cols []bool, ok bool) {
	stmts, err := m.parseAST(planned)
	if err != nil || len(stmts) != 1 {
		return nil, false
	}
	sel, isSelect := stmts[0].(*ast.SelectStmt)
	if !isSelect || sel.Fields == nil {
		return nil, false
	}
	var tables []string // the stand-in tables' names
	if sel.From != nil {
		containsNode(sel.From, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TableSource); ok {
				if text, err := m.restore(ts.Source); err == nil && strings.Contains(text, markerPrefix) {
					tables = append(tables, ts.AsName.L)
				}
			}
			return false
		})
	}
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			return nil, false
		}
		text, err := m.restore(f.Expr)
		if err != nil {
			return nil, false
		}
		stand := strings.Contains(text, markerPrefix)
		if len(tables) > 0 {
			stand = stand || containsNode(f.Expr, func(n ast.Node) bool {
				c, ok := n.(*ast.ColumnNameExpr)
				return ok && (c.Name.Table.L == "" || slices.Contains(tables, c.Name.Table.L))
			})
		}
		cols = append(cols, stand)
	}
	return cols, true
}

// extensionCall reports whether the call starting at word t is one of
// MariaDB's extensions StandIn replaces, where it ends (the scanner is
// then past it) and where its OVER clause starts (0 when it has none).
func extensionCall(sc *scanner, t token) (end, over int, ok bool) {
	percentile := sc.isWord(t, "median") || sc.isWord(t, "percentile_cont") || sc.isWord(t, "percentile_disc")
	jsonAgg := sc.isWord(t, "json_arrayagg")
	jsonTable := sc.isWord(t, "json_table")
	if !percentile && !jsonAgg && !jsonTable && !sc.isWord(t, "group_concat") {
		return 0, 0, false
	}
	probe := *sc
	open := probe.nextCode()
	if !isPunct(probe.s, open, '(') {
		return 0, 0, false
	}
	extended := percentile || jsonTable
	depth, first := 1, true
	var w token
	for w = probe.nextCode(); w.kind != tokEOF; w = probe.nextCode() {
		switch {
		case isPunct(probe.s, w, '('):
			depth++
		case isPunct(probe.s, w, ')'):
			depth--
		case depth == 1 && jsonAgg && (first && probe.isWord(w, "distinct") || probe.isWord(w, "order")):
			extended = true
		case depth == 1 && probe.isWord(w, "limit"):
			extended = true
		}
		first = false
		if depth == 0 {
			break
		}
	}
	if depth != 0 || !extended {
		return 0, 0, false
	}
	end = w.end
	if percentile {
		// WITHIN GROUP (ORDER BY ...), then OVER (...) or OVER name.
		for _, clause := range []string{"within", "over"} {
			next := probe
			word := next.nextCode()
			if !next.isWord(word, clause) {
				continue
			}
			if clause == "within" && !next.isWord(next.nextCode(), "group") {
				return 0, 0, false
			}
			if clause == "over" {
				over = word.start
			}
			after := next
			if tok := after.nextCode(); clause == "over" && (tok.kind == tokWord || tok.kind == tokQuoted) {
				probe, end = after, tok.end // a named window
				continue
			}
			closeAt, ok := closingParen(&next)
			if !ok {
				return 0, 0, false
			}
			probe, end = next, closeAt
		}
	}
	*sc = probe
	return end, over, true
}

// closingParen reads a parenthesized group (the scanner is before its
// opening parenthesis) and returns where it ends.
func closingParen(sc *scanner) (int, bool) {
	if t := sc.nextCode(); !isPunct(sc.s, t, '(') {
		return 0, false
	}
	for depth, t := 1, sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		switch {
		case isPunct(sc.s, t, '('):
			depth++
		case isPunct(sc.s, t, ')'):
			if depth--; depth == 0 {
				return t.end, true
			}
		}
	}
	return 0, false
}

// hasPlaceholder reports whether text holds a ? placeholder.
func hasPlaceholder(m Mode, text string) bool {
	sc := newScanner(text)
	sc.noBackslash = m.noBackslash
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		if isPunct(text, t, '?') {
			return true
		}
	}
	return false
}
