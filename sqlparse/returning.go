package sqlparse

import "strings"

// MariaDB's INSERT/REPLACE/DELETE ... RETURNING select_list answers a
// write with the rows it wrote or deleted. The TiDB grammar lacks the
// clause, so the statement is read without it: the write before RETURNING
// routes as itself (the same tables, shard keys and flags), and the clause
// rides along to whichever servers run it.

// returningFacts reads text as a write followed by a RETURNING clause:
// the facts of the write alone, with Returning set to the clause and
// Text, Digest and Hint of the whole statement; nil when text is not one.
func (m Mode) returningFacts(text string) *Facts {
	for _, at := range returningOffsets(text, m.noBackslash) {
		f, err := m.Classify(text[:at])
		if err != nil || !returns(f.Kind) {
			continue // a column named returning, say: try a later one
		}
		clause := strings.TrimRight(strings.TrimSpace(text[at:]), "; \t\r\n")
		// The clause may read what only the session's connection holds
		// (LAST_INSERT_ID(), @var) or call functions with side effects:
		// the conservative reading of the whole statement says so.
		whole := m.ClassifyFallback(text)
		f.SessionFunctions = f.SessionFunctions || whole.SessionFunctions
		f.ReadsUserVars = f.ReadsUserVars || whole.ReadsUserVars
		f.SetsUserVars = f.SetsUserVars || whole.SetsUserVars
		f.LockFunctions = f.LockFunctions || whole.LockFunctions
		f.SideEffects = f.SideEffects || whole.SideEffects
		f.ReadsPrevious = f.ReadsPrevious || whole.ReadsPrevious
		f.ReadsReadOnly = f.ReadsReadOnly || whole.ReadsReadOnly
		f.ReadsBinlog = f.ReadsBinlog || whole.ReadsBinlog
		f.Returning = clause
		f.Text, f.Digest, f.Hint = cleanText(text), digest(cleanText(text)), extractHint(text)
		return f
	}
	return nil
}

// returns: the kinds of statement MariaDB lets end with RETURNING.
func returns(k Kind) bool {
	return k == KindInsert || k == KindReplace || k == KindDelete
}

// ReturningOffset returns where the RETURNING clause of an INSERT,
// REPLACE or DELETE begins in sql (the offset of the keyword), or -1 when
// it has none. noBackslash: the session's sql_mode has
// NO_BACKSLASH_ESCAPES. Of several candidates (a column named returning
// outside parentheses) it is the first after which the statement before it
// parses, as the facts were read.
func (m Mode) ReturningOffset(sql string) int {
	for _, at := range returningOffsets(sql, m.noBackslash) {
		if f, err := m.Classify(sql[:at]); err == nil && returns(f.Kind) {
			return at
		}
	}
	return -1
}

// returningOffsets lists the offsets of the word RETURNING outside
// parentheses, strings, quoted names and comments, in a statement that
// begins with INSERT, REPLACE or DELETE.
func returningOffsets(text string, noBackslash bool) []int {
	sc := newScanner(text)
	sc.noBackslash = noBackslash
	first := sc.nextCode()
	if !sc.isWord(first, "INSERT") && !sc.isWord(first, "REPLACE") && !sc.isWord(first, "DELETE") {
		return nil
	}
	var out []int
	for _, t := range sc.topLevelWords("RETURNING", false) {
		out = append(out, t.start)
	}
	return out
}

// HasPlaceholder reports whether text holds a ? placeholder (outside
// strings, quoted names and comments).
func HasPlaceholder(text string) bool {
	sc := newScanner(text)
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		if t.kind == tokPunct && text[t.start] == '?' {
			return true
		}
	}
	return false
}

// RenameQualifier rewrites, in clause (a RETURNING clause), the column
// references qualified by table (table.col, schema.table.col, table.*)
// to name physical instead: the period table a date-sharded write runs
// on, which has no alias in an INSERT or a DELETE, so posts.id in the
// clause would name a table the shard's statement does not write.
func (m Mode) RenameQualifier(clause, table, physical string) string {
	sc := newScanner(clause)
	sc.noBackslash = m.noBackslash
	var b strings.Builder
	last := 0
	var chain []token // the names of the dotted reference being read
	var dots int      // the '.' read after chain's last name
	flush := func() {
		at := -1
		switch len(chain) {
		case 2:
			at = 0 // table.col
		case 3:
			at = 1 // schema.table.col
		}
		if at >= 0 && strings.EqualFold(nameOf(sc.text(chain[at])), table) {
			t := chain[at]
			b.WriteString(clause[last:t.start])
			b.WriteString(QuoteIdentifier(physical))
			last = t.end
		}
		chain, dots = chain[:0], 0
	}
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		name := t.kind == tokWord || t.kind == tokQuoted || (t.kind == tokPunct && clause[t.start] == '*' && dots > 0)
		switch {
		case t.kind == tokPunct && clause[t.start] == '.' && len(chain) > dots:
			dots++
		case name && len(chain) == dots:
			chain = append(chain, t)
		default:
			flush()
			if name {
				chain = append(chain, t)
			}
		}
	}
	flush()
	if last == 0 {
		return clause
	}
	b.WriteString(clause[last:])
	return b.String()
}

// nameOf is a name token's name: without its backquotes, if quoted.
func nameOf(text string) string {
	if strings.HasPrefix(text, "`") {
		return quotedBody(text)
	}
	return text
}
