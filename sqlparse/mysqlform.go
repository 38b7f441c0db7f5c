package sqlparse

import (
	"strings"
)

// MySQLForm rewrites the MariaDB-only forms of a statement that MySQL's
// grammar (Strata's parser) has in other words with the same meaning on
// MariaDB, so a statement over sharded tables can be planned from a full
// parse: CAST(x AS INT) and CAST(x AS INTEGER) become CAST(x AS SIGNED),
// CAST(x AS UNSIGNED INT) CAST(x AS UNSIGNED); a SELECT's OFFSET n ROWS
// FETCH {FIRST | NEXT} m ROWS ONLY, at its end, LIMIT n, m; LOCK IN
// SHARE MODE NOWAIT or SKIP LOCKED, FOR SHARE NOWAIT or SKIP LOCKED
// (which Render writes back in MariaDB's words). ok is false when there
// is nothing to rewrite (FETCH ... WITH TIES, whose meaning LIMIT lacks,
// is left as it is).
func (m Mode) MySQLForm(sql string) (string, bool) {
	var b strings.Builder
	last := 0 // sql[:last] is written
	replace := func(from, to int, with string) {
		b.WriteString(sql[last:from])
		b.WriteString(with)
		last = to
	}
	selects := StartsSelect(sql)
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	depth, limited := 0, false
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		switch {
		case isPunct(sql, t, '('):
			depth++
		case isPunct(sql, t, ')'):
			depth--
		case depth > 0 && sc.isWord(t, "as"):
			if from, to, with, ok := castType(sc); ok {
				replace(from, to, with)
			}
		case depth == 0 && sc.isWord(t, "limit"):
			limited = true
		case depth == 0 && selects && sc.isWord(t, "lock"):
			if to, with, ok := shareModeOption(sc); ok {
				replace(t.start, to, with)
			}
		case depth == 0 && selects && !limited && (sc.isWord(t, "offset") || sc.isWord(t, "fetch")):
			if limit, ok := offsetFetch(sc, sql, t); ok {
				replace(t.start, len(strings.TrimRight(strings.TrimSpace(sql), ";")), limit)
				return b.String() + sql[last:], true
			}
		}
	}
	if last == 0 {
		return sql, false
	}
	b.WriteString(sql[last:])
	return b.String(), true
}

// ParseMySQLForm is the facts of sql's MySQLForm, when it has MariaDB's
// forms and the parser reads it once they are rewritten; nil otherwise.
func (m Mode) ParseMySQLForm(sql string) (alt string, f *Facts) {
	alt, ok := m.MySQLForm(sql)
	if !ok {
		return sql, nil
	}
	if facts, _ := m.ParseOrFallback(alt); len(facts) == 1 && !facts[0].Fallback {
		return alt, facts[0]
	}
	return sql, nil
}

// shareModeOption looks past a LOCK (the scanner is past it, and stays
// there): where IN SHARE MODE follows with NOWAIT or SKIP LOCKED, where
// that ends and MySQL's words for it.
func shareModeOption(sc scanner) (to int, with string, ok bool) {
	for _, w := range []string{"in", "share", "mode"} {
		if !sc.isWord(sc.nextCode(), w) {
			return 0, "", false
		}
	}
	switch t := sc.nextCode(); {
	case sc.isWord(t, "nowait"):
		return t.end, "FOR SHARE NOWAIT", true
	case sc.isWord(t, "skip"):
		if t = sc.nextCode(); sc.isWord(t, "locked") {
			return t.end, "FOR SHARE SKIP LOCKED", true
		}
	}
	return 0, "", false
}

func isPunct(sql string, t token, c byte) bool {
	return t.kind == tokPunct && sql[t.start] == c
}

// castType looks at the type after a CAST's AS (the scanner is past AS,
// and stays there): where it is INT or INTEGER, alone or after SIGNED or
// UNSIGNED, and the CAST closes after it, the bytes of the type and the
// word MySQL writes it as.
func castType(sc scanner) (from, to int, with string, ok bool) {
	t := sc.nextCode()
	from, with = t.start, "SIGNED"
	if sc.isWord(t, "unsigned") || sc.isWord(t, "signed") {
		with = strings.ToUpper(sc.text(t))
		t = sc.nextCode()
	}
	if !sc.isWord(t, "int") && !sc.isWord(t, "integer") || !isPunct(sc.s, sc.nextCode(), ')') {
		return 0, 0, "", false
	}
	return from, t.end, with, true
}

// offsetFetch reads, from first (OFFSET or FETCH) to the end of the
// statement, [OFFSET n {ROW | ROWS}] [FETCH {FIRST | NEXT} m {ROW | ROWS}
// ONLY]: the LIMIT that says it.
func offsetFetch(sc scanner, sql string, first token) (string, bool) {
	words := []string{sc.text(first)}
	for t := sc.nextCode(); t.kind != tokEOF && !isPunct(sql, t, ';'); t = sc.nextCode() {
		words = append(words, sc.text(t))
	}
	count := func(s string) bool { return s == "?" || s != "" && strings.Trim(s, "0123456789") == "" }
	rows := func(s string) bool { return strings.EqualFold(s, "row") || strings.EqualFold(s, "rows") }
	offset := ""
	if strings.EqualFold(words[0], "offset") {
		if len(words) < 3 || !count(words[1]) || !rows(words[2]) {
			return "", false
		}
		offset, words = words[1], words[3:]
	}
	switch {
	// LIMIT offset, count keeps the values in their order: bound ones
	// (?) are bound by position.
	case len(words) == 0 && offset != "":
		return "LIMIT " + offset + ", 18446744073709551615", true
	case len(words) == 5 && strings.EqualFold(words[0], "fetch") && (strings.EqualFold(words[1], "first") || strings.EqualFold(words[1], "next")) &&
		count(words[2]) && rows(words[3]) && strings.EqualFold(words[4], "only"):
		if offset == "" {
			return "LIMIT " + words[2], true
		}
		return "LIMIT " + offset + ", " + words[2], true
	}
	return "", false
}
