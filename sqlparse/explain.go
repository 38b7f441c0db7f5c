package sqlparse

import "strings"

// SplitExplain cuts EXPLAIN (DESCRIBE, DESC) of a statement, or
// MariaDB's ANALYZE of one (which runs it and shows the plan with the
// rows each step read), into its head — the keyword with FORMAT=... or
// EXTENDED/PARTITIONS, comments before it kept — and the statement
// explained: a SELECT, WITH, a write or a parenthesized query. ok is
// false for anything else: EXPLAIN of a table (DESCRIBE t), EXPLAIN FOR
// CONNECTION, EXPLAIN ANALYZE, ANALYZE TABLE, or text that is not an
// EXPLAIN.
func SplitExplain(sql string) (head, stmt string, ok bool) {
	sc := newScanner(sql)
	t := sc.nextCode()
	analyze := sc.isWord(t, "analyze")
	if !analyze && !sc.isWord(t, "explain") && !sc.isWord(t, "describe") && !sc.isWord(t, "desc") {
		return "", "", false
	}
	for {
		mark := sc.pos
		t = sc.nextCode()
		switch {
		case sc.isWord(t, "extended"), sc.isWord(t, "partitions"):
			continue
		case sc.isWord(t, "format"):
			if eq := sc.nextCode(); eq.kind != tokPunct || sc.s[eq.start] != '=' {
				return "", "", false
			}
			if v := sc.nextCode(); v.kind != tokWord && v.kind != tokString && v.kind != tokQuoted {
				return "", "", false
			}
			continue
		case t.kind == tokPunct && sc.s[t.start] == '(':
		case t.kind != tokWord:
			return "", "", false
		default:
			switch word := strings.ToLower(sc.text(t)); word {
			case "select", "with", "insert", "update", "delete", "replace", "values", "table":
				if analyze && word == "table" {
					return "", "", false // ANALYZE TABLE t: maintenance
				}
			default:
				return "", "", false
			}
		}
		return strings.TrimSpace(sql[:mark]), strings.TrimSpace(sql[t.start:]), true
	}
}

// RunsExplained reports whether an explain head (SplitExplain) is
// MariaDB's ANALYZE, which runs the statement it explains.
func RunsExplained(head string) bool {
	sc := newScanner(head)
	return sc.isWord(sc.nextCode(), "analyze")
}

// UnparsedForm names a MySQL or MariaDB statement form that the SQL
// parser does not read, so a refusal can say what to do instead of
// blaming the syntax: "checksum" for CHECKSUM TABLE, "into-variable" for
// SELECT ... INTO @variable, "into-dumpfile" for SELECT ... INTO
// DUMPFILE, "json-arrayagg" for MariaDB's JSON_ARRAYAGG(DISTINCT x ORDER BY ... LIMIT n), "group-concat-limit"
// for its GROUP_CONCAT(... LIMIT n), "percentile" for its MEDIAN(),
// PERCENTILE_CONT() and PERCENTILE_DISC() window functions, "json-table"
// for JSON_TABLE(...) in a FROM clause, "handler" for HANDLER t ...,
// "flush-export" for FLUSH TABLES t FOR EXPORT,
// "create-trigger" for CREATE [DEFINER = ...] TRIGGER, "create-program"
// for CREATE PROCEDURE, FUNCTION, EVENT or PACKAGE; "" for anything
// else.
func UnparsedForm(sql string) string {
	sc := newScanner(sql)
	t := sc.nextCode()
	switch {
	case sc.isWord(t, "checksum"):
		return "checksum"
	case sc.isWord(t, "handler"):
		return "handler"
	case sc.isWord(t, "load"):
		if w := sc.nextCode(); sc.isWord(w, "xml") {
			return "load-xml"
		}
	case sc.isWord(t, "flush"):
		for w := sc.nextCode(); w.kind != tokEOF; w = sc.nextCode() {
			if sc.isWord(w, "export") {
				return "flush-export"
			}
		}
	case sc.isWord(t, "create"):
		for w := sc.nextCode(); w.kind != tokEOF; w = sc.nextCode() {
			switch {
			case sc.isWord(w, "trigger"):
				return "create-trigger"
			case sc.isWord(w, "procedure"), sc.isWord(w, "function"), sc.isWord(w, "event"), sc.isWord(w, "package"):
				return "create-program"
			case sc.isWord(w, "table"), sc.isWord(w, "view"), sc.isWord(w, "index"):
				return ""
			}
		}
		return ""
	case sc.isWord(t, "select"), t.kind == tokPunct && sc.s[t.start] == '(':
		for _, into := range sc.topLevelWords("into", false) {
			rest := newScanner(sql[into.end:])
			switch next := rest.nextCode(); {
			case next.kind == tokUserVar:
				return "into-variable"
			case rest.isWord(next, "dumpfile"):
				return "into-dumpfile"
			}
		}
	}
	return aggregateExtension(sql)
}

// aggregateExtension finds MariaDB's extensions of aggregate calls that
// the parser does not read: JSON_ARRAYAGG with DISTINCT, ORDER BY or
// LIMIT inside, GROUP_CONCAT with LIMIT; and JSON_TABLE, which it does
// not read either.
func aggregateExtension(sql string) string {
	sc := newScanner(sql)
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		if sc.isWord(t, "median") || sc.isWord(t, "percentile_cont") || sc.isWord(t, "percentile_disc") {
			if open := sc.nextCode(); open.kind == tokPunct && sc.s[open.start] == '(' {
				return "percentile"
			}
			continue
		}
		if sc.isWord(t, "json_table") {
			if open := sc.nextCode(); open.kind == tokPunct && sc.s[open.start] == '(' {
				return "json-table"
			}
			continue
		}
		jsonAgg := sc.isWord(t, "json_arrayagg")
		if !jsonAgg && !sc.isWord(t, "group_concat") {
			continue
		}
		if open := sc.nextCode(); open.kind != tokPunct || sc.s[open.start] != '(' {
			continue
		}
		depth, first := 1, true
		for w := sc.nextCode(); w.kind != tokEOF && depth > 0; w = sc.nextCode() {
			switch {
			case w.kind == tokPunct && sc.s[w.start] == '(':
				depth++
			case w.kind == tokPunct && sc.s[w.start] == ')':
				depth--
			case depth == 1 && jsonAgg && (first && sc.isWord(w, "distinct") || sc.isWord(w, "order")):
				return "json-arrayagg"
			case depth == 1 && sc.isWord(w, "limit"):
				if jsonAgg {
					return "json-arrayagg"
				}
				return "group-concat-limit"
			}
			first = false
		}
	}
	return ""
}
