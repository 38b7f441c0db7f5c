package sqlparse

import (
	"strconv"
	"strings"
)

// SQLPrepare is a SQL-level prepared statement command as written:
// PREPARE name FROM 'text' | @var, EXECUTE name [USING item, ...],
// DEALLOCATE | DROP PREPARE name, EXECUTE IMMEDIATE text [USING item,
// ...]. Strata runs those of statements over placed tables itself, so it
// reads them.
type SQLPrepare struct {
	Verb string // PREPARE, EXECUTE, DEALLOCATE (DROP PREPARE too) or IMMEDIATE
	Name string // lower-cased: statement names are not case-sensitive
	// FromVar: PREPARE ... FROM @var, the variable as written (@name).
	FromVar string
	// Using: EXECUTE's USING items as written, one per placeholder.
	Using []string
}

// ParseSQLPrepare reads a PREPARE, EXECUTE, DEALLOCATE PREPARE or EXECUTE
// IMMEDIATE; ok is false for any other statement or one it cannot read.
func (m Mode) ParseSQLPrepare(sql string) (*SQLPrepare, bool) {
	sc, toks := m.codeTokens(sql)
	if len(toks) < 2 {
		return nil, false
	}
	out := &SQLPrepare{}
	name := func(i int) bool {
		if i >= len(toks) {
			return false
		}
		n, ok := identText(&sc, toks[i])
		out.Name = strings.ToLower(n)
		return ok
	}
	switch {
	case sc.isWord(toks[0], "prepare"):
		out.Verb = "PREPARE"
		if !name(1) || len(toks) != 4 || !sc.isWord(toks[2], "from") {
			return nil, false
		}
		switch toks[3].kind {
		case tokUserVar:
			out.FromVar = sc.text(toks[3])
		case tokString:
		default:
			return nil, false
		}
		return out, true
	case sc.isWord(toks[0], "execute") && sc.isWord(toks[1], "immediate") && len(toks) > 2:
		// The text is PreparedText's to read.
		out.Verb = "IMMEDIATE"
		if at := topLevelWord(&sc, toks[2:], "using"); at >= 0 {
			out.Using = splitItems(&sc, sql, toks[2+at+1:])
			return out, out.Using != nil
		}
		return out, true
	case sc.isWord(toks[0], "execute"):
		out.Verb = "EXECUTE"
		if !name(1) {
			return nil, false
		}
		if len(toks) == 2 {
			return out, true
		}
		if !sc.isWord(toks[2], "using") || len(toks) == 3 {
			return nil, false
		}
		out.Using = splitItems(&sc, sql, toks[3:])
		return out, out.Using != nil
	case sc.isWord(toks[0], "deallocate") || sc.isWord(toks[0], "drop"):
		out.Verb = "DEALLOCATE"
		if len(toks) != 3 || !sc.isWord(toks[1], "prepare") || !name(2) {
			return nil, false
		}
		return out, true
	}
	return nil, false
}

// splitItems cuts a comma-separated list of expressions at its top-level
// commas; nil when an item is empty.
func splitItems(sc *scanner, sql string, toks []token) []string {
	var out []string
	depth, start := 0, 0
	for i, t := range toks {
		if t.kind != tokPunct {
			continue
		}
		switch sql[t.start] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				if i == start {
					return nil
				}
				out = append(out, sql[toks[start].start:toks[i-1].end])
				start = i + 1
			}
		}
	}
	if start >= len(toks) {
		return nil
	}
	return append(out, sql[toks[start].start:toks[len(toks)-1].end])
}

// BindPlaceholders writes args, SQL literals, in place of the ?
// placeholders of sql, in order; n is the number of placeholders, and
// text is only complete when n == len(args). The select list's fields
// keep the names a server gives them, their text as written ("?",
// "? + 1"; Replace).
func (m Mode) BindPlaceholders(sql string, args []string) (text string, n int) {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	var rs []Replacement
	inLimit := false // after LIMIT or OFFSET, through its counts
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		isPunct := func(c byte) bool { return t.kind == tokPunct && sql[t.start] == c }
		switch {
		case sc.isWord(t, "limit"), sc.isWord(t, "offset"):
			inLimit = true
			continue
		case isPunct(','), t.kind == tokWord && sql[t.start] >= '0' && sql[t.start] <= '9':
			continue
		case !isPunct('?'):
			inLimit = false
			continue
		}
		if n < len(args) {
			rs = append(rs, Replacement{Start: t.start, End: t.end, Text: boundText(args[n], inLimit)})
		}
		n++
	}
	return m.Replace(sql, sql, rs), n
}

// boundText is a bound value as a statement's text holds it: in a LIMIT,
// a count as digits (a whole DOUBLE, 3e+00, is 3: the server takes one
// there, and the grammar takes only digits); elsewhere as the value.
func boundText(value string, count bool) string {
	if n, ok := CountValue(value); count && ok {
		return strconv.FormatInt(n, 10)
	}
	return value
}

// IsLiteral reports whether an expression is one number or string
// literal (a USING item Strata can pass as written).
func IsLiteral(expr string) bool {
	sc := newScanner(expr)
	t := sc.nextCode()
	if sc.nextCode().kind != tokEOF {
		return false
	}
	switch t.kind {
	case tokString:
		return true
	case tokWord:
		return expr[t.start] >= '0' && expr[t.start] <= '9' || strings.EqualFold(sc.text(t), "null")
	}
	return false
}

// IsUserVar reports whether an expression is one user variable (@x).
func IsUserVar(expr string) bool {
	sc := newScanner(expr)
	return sc.nextCode().kind == tokUserVar && sc.nextCode().kind == tokEOF
}

// SplitIntoVars cuts SELECT ... INTO @a, @b ... into the SELECT without
// its INTO clause and the variables, as written. MySQL's grammar reads
// the clause before FROM or at the end, but the SQL parser reads neither,
// so Strata takes it out, runs the SELECT over the shards, and assigns
// the row it gave. ok is false for any other statement.
func (m Mode) SplitIntoVars(sql string) (selectText string, vars []string, ok bool) {
	sc, toks := m.codeTokens(sql)
	if len(toks) == 0 || !sc.isWord(toks[0], "select") && !(toks[0].kind == tokPunct && sql[toks[0].start] == '(') {
		return "", nil, false
	}
	depth, from, to := 0, -1, -1
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tokPunct && sql[t.start] == '(':
			depth++
		case t.kind == tokPunct && sql[t.start] == ')':
			depth--
		case depth == 0 && sc.isWord(t, "into") && i+1 < len(toks) && toks[i+1].kind == tokUserVar:
			if from >= 0 {
				return "", nil, false // two INTO clauses: the server says what is wrong
			}
			from = t.start
			j := i + 1
			for {
				vars = append(vars, sc.text(toks[j]))
				to = toks[j].end
				if j+2 < len(toks) && sc.text(toks[j+1]) == "," && toks[j+2].kind == tokUserVar {
					j += 2
					continue
				}
				break
			}
			i = j
		}
	}
	if from < 0 {
		return "", nil, false
	}
	end := toks[len(toks)-1].end
	return strings.TrimSpace(strings.TrimSpace(sql[:from]) + " " + strings.TrimSpace(sql[to:end])), vars, true
}

// StartsSelect reports whether a statement is a SELECT (or WITH, or a
// parenthesized query): one sql_select_limit applies to.
func StartsSelect(sql string) bool {
	sc := newScanner(sql)
	t := sc.nextCode()
	return sc.isWord(t, "select") || sc.isWord(t, "with") || t.kind == tokPunct && sql[t.start] == '('
}

// HasTopLevelLimit reports whether a statement has a LIMIT of its own,
// outside its parentheses, which takes the place of sql_select_limit.
func HasTopLevelLimit(sql string) bool {
	sc := newScanner(sql)
	return len(sc.topLevelWords("limit", true)) > 0
}

// PreparedText is the statement a PREPARE name FROM ... or an EXECUTE
// IMMEDIATE ... runs: Text when it is written as one string literal,
// otherwise Expr, the expression the server computes it from (@var,
// CONCAT(...)), which lies at Start:End of the statement.
type PreparedText struct {
	Text       string
	Expr       string
	Start, End int
}

// PreparedText reads the text a PREPARE or EXECUTE IMMEDIATE runs; ok is
// false for any other statement (EXECUTE name, DEALLOCATE PREPARE) and
// for one without an expression.
func (m Mode) PreparedText(sql string) (PreparedText, bool) {
	sc, toks := m.codeTokens(sql)
	var expr []token
	switch {
	case len(toks) >= 4 && sc.isWord(toks[0], "prepare") && sc.isWord(toks[2], "from"):
		expr = toks[3:]
	case len(toks) >= 3 && sc.isWord(toks[0], "execute") && sc.isWord(toks[1], "immediate"):
		expr = toks[2:]
		if end := topLevelWord(&sc, expr, "using"); end >= 0 {
			expr = expr[:end]
		}
	}
	if len(expr) == 0 {
		return PreparedText{}, false
	}
	out := PreparedText{Start: expr[0].start, End: expr[len(expr)-1].end}
	out.Expr = sql[out.Start:out.End]
	if len(expr) == 1 && expr[0].kind == tokString {
		// The parser decodes the literal as the server does (escapes,
		// doubled quotes, the sql_mode's NO_BACKSLASH_ESCAPES).
		if f, err := m.Classify("PREPARE s FROM " + out.Expr); err == nil && f.Kind == KindPrepare && !f.Fallback {
			out.Text, out.Expr = f.PrepareSQL, ""
		}
	}
	return out, true
}

// topLevelWord is the index in toks of the first word kw outside
// parentheses, -1 when there is none.
func topLevelWord(sc *scanner, toks []token, kw string) int {
	depth := 0
	for i, t := range toks {
		if depth = sc.depthAfter(t, depth); depth == 0 && sc.isWord(t, kw) {
			return i
		}
	}
	return -1
}
