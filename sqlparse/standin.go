package sqlparse

import (
	"fmt"
	"strings"
)

// MariaDB's extensions of aggregate and window calls —
// GROUP_CONCAT(... LIMIT n), JSON_ARRAYAGG(DISTINCT x ORDER BY y LIMIT n),
// MEDIAN(x) OVER (...), PERCENTILE_CONT(f) WITHIN GROUP (ORDER BY x)
// OVER (...) — and its JSON_TABLE(...) are not in MySQL's grammar, so
// Strata's parser cannot read a statement that holds one. Such a
// statement that reads one shard (`... WHERE entry_id = 5`) needs no more
// of Strata than its route: its stand-in, the statement with each such
// call replaced by a string literal of its own (a JSON_TABLE by a derived
// table of one such literal), is planned, and each marker in the planned
// statement is replaced by the client's call again, which the shard's
// MariaDB reads.

// StandIn is sql with each of MariaDB's aggregate and window extensions
// replaced by a marker literal, and the function that puts the calls
// back in a statement planned from it (false when a marker is not there
// exactly once). ok is false when sql has no such call, when a call holds
// a ? placeholder (the stand-in would bind one value fewer), or when the
// text already holds a marker.
func (m Mode) StandIn(sql string) (standIn string, back func(planned string) (string, bool), ok bool) {
	var b strings.Builder
	var calls, markers []string
	last := 0
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		end, found := extensionCall(&sc, t)
		if !found {
			continue
		}
		call := sql[t.start:end]
		if hasPlaceholder(m, call) {
			return "", nil, false
		}
		marker := fmt.Sprintf("'strata-stand-in-%d'", len(calls))
		if sc.isWord(t, "json_table") {
			marker = "(SELECT " + marker + ")" // a table of the FROM clause
		}
		b.WriteString(sql[last:t.start])
		b.WriteString(marker)
		last = end
		calls, markers = append(calls, call), append(markers, marker)
	}
	if len(calls) == 0 || strings.Contains(sql, "strata-stand-in-") {
		return "", nil, false
	}
	b.WriteString(sql[last:])
	back = func(planned string) (string, bool) {
		for i, marker := range markers {
			if strings.Count(planned, marker) != 1 {
				return "", false
			}
			planned = strings.Replace(planned, marker, calls[i], 1)
		}
		return planned, true
	}
	return b.String(), back, true
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

// extensionCall reports whether the call starting at word t is one of
// MariaDB's extensions StandIn replaces, and where it ends (the scanner
// is then past it).
func extensionCall(sc *scanner, t token) (end int, ok bool) {
	percentile := sc.isWord(t, "median") || sc.isWord(t, "percentile_cont") || sc.isWord(t, "percentile_disc")
	jsonAgg := sc.isWord(t, "json_arrayagg")
	jsonTable := sc.isWord(t, "json_table")
	if !percentile && !jsonAgg && !jsonTable && !sc.isWord(t, "group_concat") {
		return 0, false
	}
	probe := *sc
	open := probe.nextCode()
	if !isPunct(probe.s, open, '(') {
		return 0, false
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
		return 0, false
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
				return 0, false
			}
			after := next
			if tok := after.nextCode(); clause == "over" && (tok.kind == tokWord || tok.kind == tokQuoted) {
				probe, end = after, tok.end // a named window
				continue
			}
			closeAt, ok := closingParen(&next)
			if !ok {
				return 0, false
			}
			probe, end = next, closeAt
		}
	}
	*sc = probe
	return end, true
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
