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
