package sqlparse

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// MySQLForm rewrites the MariaDB-only forms of a statement that MySQL's
// grammar (Strata's parser) has in other words with the same meaning on
// MariaDB, so a statement over sharded tables can be planned from a full
// parse: CAST(x AS INT) and CAST(x AS INTEGER) become CAST(x AS SIGNED),
// CAST(x AS UNSIGNED INT) CAST(x AS UNSIGNED), CAST(x AS VARCHAR(n))
// CAST(x AS CHAR(n)), and CONVERT(x, type) likewise; a SELECT's OFFSET n ROWS
// FETCH {FIRST | NEXT} m ROWS ONLY, at its end, LIMIT n, m; LOCK IN
// SHARE MODE NOWAIT or SKIP LOCKED, FOR SHARE NOWAIT or SKIP LOCKED
// (which Render writes back in MariaDB's words); CAST(x AS UUID) and
// CAST(x AS INET6), types MySQL lacks, a call the parser reads as a
// function's, which Render (renamedfunc.go) and MariaDBForm write back as
// the CAST. ok is false when there is nothing to rewrite (FETCH ... WITH
// TIES, whose meaning LIMIT lacks, is left as it is).
func (m Mode) MySQLForm(sql string) (string, bool) {
	form, _, ok := m.mysqlForm(sql)
	return form, ok
}

// formEdit is one replacement MySQLForm made: sql[from:to] became with.
type formEdit struct {
	from, to int
	with     string
}

// mysqlForm is MySQLForm, with the edits it made in order.
func (m Mode) mysqlForm(sql string) (string, []formEdit, bool) {
	var b strings.Builder
	var edits []formEdit
	last := 0 // sql[:last] is written
	replace := func(from, to int, with string) {
		b.WriteString(sql[last:from])
		b.WriteString(with)
		last = to
		edits = append(edits, formEdit{from, to, with})
	}
	selects := StartsSelect(sql)
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	depth, limited := 0, false
	castTypes := map[int]int{} // where a CAST's AS UUID or AS INET6 starts: its end
	var converts []bool        // per open parenthesis: it is CONVERT's
	var prev token
	for t := sc.nextCode(); t.kind != tokEOF; prev, t = t, sc.nextCode() {
		switch {
		case castTypes[t.start] > 0:
			replace(t.start, castTypes[t.start], "")
		case sc.isWord(t, "cast"):
			if as, end, typ, ok := castToFixedBinary(sc); ok {
				replace(t.start, t.end, castFuncPrefix+typ)
				castTypes[as] = end
			}
		case isPunct(sql, t, '('):
			depth++
			converts = append(converts, sc.isWord(prev, "convert"))
		case isPunct(sql, t, ')'):
			depth--
			if len(converts) > 0 {
				converts = converts[:len(converts)-1]
			}
		case isPunct(sql, t, ',') && len(converts) > 0 && converts[len(converts)-1]:
			// CONVERT(x, INT): the type follows the comma as it follows AS.
			if from, to, with, ok := castType(sc); ok {
				replace(from, to, with)
			}
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
				return b.String() + sql[last:], edits, true
			}
		}
	}
	if last == 0 {
		return sql, nil, false
	}
	b.WriteString(sql[last:])
	return b.String(), edits, true
}

// ParseMySQLForm is the facts of sql's MySQLForm, when it has MariaDB's
// forms and the parser reads it once they are rewritten; nil otherwise.
func (m Mode) ParseMySQLForm(sql string) (alt string, f *Facts) {
	alt, f, _ = m.parseMySQLForm(sql)
	return alt, f
}

// parseMySQLForm is ParseMySQLForm, with the edits MySQLForm made.
func (m Mode) parseMySQLForm(sql string) (alt string, f *Facts, edits []formEdit) {
	alt, edits, ok := m.mysqlForm(sql)
	if !ok {
		return sql, nil, nil
	}
	alt = m.keepColumnNames(sql, alt, edits)
	if facts, _ := m.ParseOrFallback(alt); len(facts) == 1 && !facts[0].Fallback {
		return alt, facts[0], edits
	}
	return sql, nil, nil
}

// ReadableMySQLForm is sql's MySQLForm (ParseMySQLForm) where MariaDB
// reads that text, once MariaDBForm has written its CASTs back, to the
// same effect: Strata can then take the statement apart (run its
// subqueries and derived tables first) and send what is left on as text.
// ok is false where a form only Render writes back in MariaDB's words
// (FOR SHARE NOWAIT).
func (m Mode) ReadableMySQLForm(sql string) (string, bool) {
	alt, f, edits := m.parseMySQLForm(sql)
	if f == nil {
		return sql, false
	}
	for _, e := range edits {
		if strings.HasPrefix(e.with, "FOR SHARE") {
			return sql, false
		}
	}
	return alt, true
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

// castType looks at the type after a CAST's AS or a CONVERT's comma (the
// scanner is past it, and stays there): where it is INT or INTEGER,
// alone or after SIGNED or UNSIGNED, or VARCHAR(n), and the call closes
// after it, the bytes of the type's word and the word MySQL writes.
func castType(sc scanner) (from, to int, with string, ok bool) {
	t := sc.nextCode()
	if sc.isWord(t, "varchar") {
		// VARCHAR(n), MariaDB's: MySQL's CHAR(n) casts to the same VARCHAR.
		if !isPunct(sc.s, sc.nextCode(), '(') || sc.nextCode().kind != tokWord || !isPunct(sc.s, sc.nextCode(), ')') || !isPunct(sc.s, sc.nextCode(), ')') {
			return 0, 0, "", false
		}
		return t.start, t.end, "CHAR", true
	}
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

// castFuncPrefix names the calls MySQLForm writes for a CAST to a type
// MySQL's grammar lacks: strata_cast_as_uuid(x) for CAST(x AS UUID).
const castFuncPrefix = "strata_cast_as_"

// castToFixedBinary looks past a CAST (the scanner is past it, and stays
// there): where its parentheses close right after AS UUID or AS INET6,
// where that AS starts and the type ends, and the type's name.
func castToFixedBinary(sc scanner) (as, end int, typ string, ok bool) {
	if !isPunct(sc.s, sc.nextCode(), '(') {
		return 0, 0, "", false
	}
	depth := 1
	var before, last token // the last two tokens inside the CAST's own parentheses
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		switch {
		case isPunct(sc.s, t, '('):
			depth++
		case isPunct(sc.s, t, ')'):
			depth--
		}
		if depth == 0 {
			break
		}
		if depth == 1 {
			before, last = last, t
		}
	}
	if depth != 0 || !sc.isWord(before, "as") {
		return 0, 0, "", false
	}
	for _, name := range []string{"uuid", "inet6"} {
		if sc.isWord(last, name) {
			return before.start, last.end, name, true
		}
	}
	return 0, 0, "", false
}

// HasFormCalls reports whether sql holds the calls MySQLForm writes for
// CASTs MySQL's grammar lacks (MySQLForm writes them in lower case, and
// Render writes them back as the CASTs).
func HasFormCalls(sql string) bool { return strings.Contains(sql, castFuncPrefix) }

// MariaDBForm writes back, in a statement planned from a MySQLForm, the
// CASTs to MariaDB's own types that MySQLForm wrote as calls: a route that
// keeps the statement's own text (one planned without rendering) would
// call a function no server has.
func (m Mode) MariaDBForm(sql string) string {
	if !HasFormCalls(sql) {
		return sql
	}
	var b strings.Builder
	last := 0
	var closing []string // at each open parenthesis: what its ')' is written as
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	pendingType := ""
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		switch {
		case isPunct(sql, t, '('):
			closing = append(closing, pendingType)
			pendingType = ""
		case isPunct(sql, t, ')') && len(closing) > 0:
			if typ := closing[len(closing)-1]; typ != "" {
				b.WriteString(sql[last:t.start])
				b.WriteString(" AS " + typ + ")")
				last = t.end
			}
			closing = closing[:len(closing)-1]
		case t.kind == tokWord && strings.HasPrefix(strings.ToLower(sc.text(t)), castFuncPrefix):
			if typ, ok := castNames[strings.ToLower(sc.text(t))]; ok {
				b.WriteString(sql[last:t.start])
				b.WriteString("CAST")
				last = t.end
				pendingType = typ
			}
		default:
			pendingType = "" // a call's name is followed by its "("
		}
	}
	b.WriteString(sql[last:])
	return b.String()
}

// keepColumnNames gives each select field of form (sql's MySQLForm, made
// with edits) that an edit changed and that has no alias sql's own text
// as its alias: a server names such a column by the text as the client
// wrote it (CAST(n AS INT), not CAST(n AS SIGNED)), and the shards, or
// Strata's merge, now name it so too. form is returned as it is when it
// does not parse.
func (m Mode) keepColumnNames(sql, form string, edits []formEdit) string {
	stmts, err := m.parseAST(form)
	if err != nil || len(stmts) != 1 {
		return form
	}
	// original maps an offset of form outside every edit to sql's.
	original := func(at int) int {
		shift := 0
		for _, e := range edits {
			formFrom := e.from + shift
			if formFrom >= at {
				break
			}
			shift += len(e.with) - (e.to - e.from)
		}
		return at - shift
	}
	type alias struct {
		at   int // where the field ends in form
		name string
	}
	var aliases []alias
	collect := &fieldVisitor{visit: func(f *ast.SelectField) {
		text := strings.TrimSpace(f.Text())
		if f.Expr == nil || f.AsName.O != "" || text == "" || f.Offset < 0 || f.Offset+len(text) > len(form) || form[f.Offset:f.Offset+len(text)] != text {
			return
		}
		from, to := original(f.Offset), original(f.Offset+len(text))
		if from < 0 || to > len(sql) || from >= to {
			return
		}
		if name := sql[from:to]; name != text && len(name) <= maxAliasLength {
			aliases = append(aliases, alias{at: f.Offset + len(text), name: name})
		}
	}}
	stmts[0].Accept(collect)
	slices.SortFunc(aliases, func(a, b alias) int { return b.at - a.at })
	for _, a := range aliases { // from the end, so earlier offsets hold
		form = form[:a.at] + " AS `" + strings.ReplaceAll(a.name, "`", "``") + "`" + form[a.at:]
	}
	return form
}

// maxAliasLength is the longest alias MariaDB takes (in characters; a
// byte count is a safe bound).
const maxAliasLength = 256

// fieldVisitor calls visit on every select field of a statement.
type fieldVisitor struct{ visit func(*ast.SelectField) }

func (v *fieldVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if f, ok := n.(*ast.SelectField); ok {
		v.visit(f)
	}
	return n, false
}

func (v *fieldVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }
