package sqlparse

import (
	"strconv"
	"strings"
)

// DiagnosticsRead is a statement that only reads what the previous one
// left in the diagnostics area: SHOW [COUNT(*)] WARNINGS | ERRORS [LIMIT
// ...], or a SELECT whose every item is @@warning_count or @@error_count.
// Where those diagnostics are Strata's own (an error it answered, the
// warnings of a read merged over shards), no server holds them, so
// Strata answers such a statement itself.
type DiagnosticsRead struct {
	// Show: a SHOW WARNINGS or SHOW ERRORS (ErrorsOnly); otherwise the
	// SELECT of Counts.
	Show, ErrorsOnly bool
	// Count: SHOW COUNT(*) WARNINGS | ERRORS, one row with the number.
	Count bool
	// Offset and Limit: SHOW's LIMIT [offset,] n or LIMIT n OFFSET m;
	// Limit is -1 without one.
	Offset, Limit int64
	// Counts: the SELECT's items in order.
	Counts []DiagnosticsCount
}

// DiagnosticsCount is one item of a SELECT of @@warning_count or
// @@error_count.
type DiagnosticsCount struct {
	Name   string // the column's name: the alias, or the item as written
	Errors bool   // @@error_count (else @@warning_count)
}

// ParseDiagnosticsRead reads a DiagnosticsRead; ok is false for any
// other statement.
func (m Mode) ParseDiagnosticsRead(sql string) (d *DiagnosticsRead, ok bool) {
	sc, toks := m.codeTokens(sql)
	switch {
	case len(toks) >= 2 && sc.isWord(toks[0], "show"):
		return parseShowDiagnostics(&sc, toks[1:])
	case len(toks) >= 2 && sc.isWord(toks[0], "select"):
		return parseCountsSelect(&sc, toks[1:])
	}
	return nil, false
}

// parseShowDiagnostics reads what follows SHOW.
func parseShowDiagnostics(sc *scanner, toks []token) (*DiagnosticsRead, bool) {
	d := &DiagnosticsRead{Show: true, Limit: -1}
	if len(toks) >= 4 && sc.isWord(toks[0], "count") && punctsAre(sc, toks[1:4], "(*)") {
		d.Count, toks = true, toks[4:]
	}
	switch {
	case len(toks) == 0:
		return nil, false
	case sc.isWord(toks[0], "warnings"):
	case sc.isWord(toks[0], "errors"):
		d.ErrorsOnly = true
	default:
		return nil, false
	}
	toks = toks[1:]
	if len(toks) == 0 {
		return d, true
	}
	if d.Count || !sc.isWord(toks[0], "limit") {
		return nil, false // not a form the server takes: it says why
	}
	return d, readLimit(sc, toks[1:], d)
}

// readLimit reads n, "m, n" or "n OFFSET m" into d.
func readLimit(sc *scanner, toks []token, d *DiagnosticsRead) bool {
	num := func(t token) (int64, bool) {
		if t.kind != tokWord {
			return 0, false
		}
		n, err := strconv.ParseInt(sc.text(t), 10, 64)
		return n, err == nil && n >= 0
	}
	var ok1, ok2 bool
	switch {
	case len(toks) == 1:
		d.Limit, ok1 = num(toks[0])
		return ok1
	case len(toks) == 3 && sc.text(toks[1]) == ",":
		d.Offset, ok1 = num(toks[0])
		d.Limit, ok2 = num(toks[2])
	case len(toks) == 3 && sc.isWord(toks[1], "offset"):
		d.Limit, ok1 = num(toks[0])
		d.Offset, ok2 = num(toks[2])
	}
	return ok1 && ok2
}

// parseCountsSelect reads the items of a SELECT that reads only
// @@warning_count and @@error_count, each with an optional alias.
func parseCountsSelect(sc *scanner, toks []token) (*DiagnosticsRead, bool) {
	d := &DiagnosticsRead{Limit: -1}
	for len(toks) > 0 {
		errs, ok := countVariable(sc, toks[0])
		if !ok {
			return nil, false
		}
		item := DiagnosticsCount{Name: sc.text(toks[0]), Errors: errs}
		toks = toks[1:]
		if len(toks) > 0 && sc.isWord(toks[0], "as") {
			toks = toks[1:]
			if len(toks) == 0 {
				return nil, false
			}
		}
		if len(toks) > 0 && sc.text(toks[0]) != "," {
			alias, ok := identText(sc, toks[0])
			if !ok || isReservedAfterItem(alias) {
				return nil, false
			}
			item.Name, toks = alias, toks[1:]
		}
		d.Counts = append(d.Counts, item)
		if len(toks) == 0 {
			return d, true
		}
		if sc.text(toks[0]) != "," || len(toks) == 1 {
			return nil, false
		}
		toks = toks[1:]
	}
	return nil, false
}

// countVariable reports whether t is @@[session.|local.]warning_count or
// error_count, and which.
func countVariable(sc *scanner, t token) (errs, ok bool) {
	if t.kind != tokSysVar {
		return false, false
	}
	name := strings.ToLower(strings.TrimPrefix(sc.text(t), "@@"))
	name = strings.TrimPrefix(strings.TrimPrefix(name, "session."), "local.")
	switch name {
	case "warning_count":
		return false, true
	case "error_count":
		return true, true
	}
	return false, false
}

// isReservedAfterItem: words that continue a SELECT after its items
// (FROM, WHERE, ...), which make it something else than a read of counts.
func isReservedAfterItem(w string) bool {
	switch strings.ToLower(w) {
	case "from", "where", "limit", "into", "union", "order", "group", "having", "for", "lock", "procedure", "window", "except", "intersect":
		return true
	}
	return false
}

// punctsAre reports whether toks are the punctuation characters of s, one
// each.
func punctsAre(sc *scanner, toks []token, s string) bool {
	if len(toks) != len(s) {
		return false
	}
	for i, t := range toks {
		if t.kind != tokPunct || sc.text(t) != s[i:i+1] {
			return false
		}
	}
	return true
}

// IsGetDiagnostics reports whether sql is GET [CURRENT | STACKED]
// DIAGNOSTICS, which copies the diagnostics area into variables.
func (m Mode) IsGetDiagnostics(sql string) bool {
	sc, toks := m.codeTokens(sql)
	if len(toks) < 2 || !sc.isWord(toks[0], "get") {
		return false
	}
	if sc.isWord(toks[1], "current") || sc.isWord(toks[1], "stacked") {
		toks = toks[1:]
	}
	return len(toks) >= 2 && sc.isWord(toks[1], "diagnostics")
}
