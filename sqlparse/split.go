package sqlparse

import "strings"

// SplitStatements returns the text of each statement of a multi-statement
// query, trimmed and without the ';' separators; empty statements and
// trailing comments are dropped. It does not parse, so it works on text
// the parser rejects (ParseOrFallback uses it then); when the parser
// accepts the text, Facts.Text gives the same pieces.
//
// ';' inside strings, quoted names and comments does not split. Stored
// program definitions (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT, MariaDB
// BEGIN NOT ATOMIC) are kept whole while inside BEGIN ... END or
// CASE ... END blocks. Known limit: a body without BEGIN whose IF/LOOP/
// WHILE/REPEAT holds several ';'-terminated statements is split; the
// mysql client needs DELIMITER for those anyway.
func SplitStatements(sql string) []string {
	var out []string
	sc := newScanner(sql)
	start := 0
	var blk blockTracker
	for {
		t := sc.next()
		switch {
		case t.kind == tokEOF:
			return appendStmt(out, sql[start:], blk.tokens > 0)
		case t.kind == tokComment:
			continue
		case t.kind == tokPunct && sql[t.start] == ';':
			if blk.endOfStatement(&sc, t) {
				out = appendStmt(out, sql[start:t.start], blk.tokens > 0)
				start, blk = t.end, blockTracker{}
			}
		default:
			blk.feed(&sc, t)
		}
	}
}

func appendStmt(out []string, s string, hasCode bool) []string {
	if !hasCode {
		return out
	}
	return append(out, strings.TrimSpace(s))
}

// blockTracker follows BEGIN ... END nesting inside stored program
// definitions, so that their inner ';' do not end the statement.
type blockTracker struct {
	tokens     int   // code tokens seen in this statement (';' excluded)
	first      token // first code token
	compound   bool  // defines a stored program or is a compound block
	notProgram bool  // seen TABLE, VIEW ...: cannot be a stored program definition
	depth      int
	pendingEnd bool // saw END: the next token tells whether it closes a level
}

// endOfStatement feeds a ';' and reports whether it ends the statement.
func (b *blockTracker) endOfStatement(sc *scanner, t token) bool {
	b.resolveEnd(sc, t)
	return b.depth == 0
}

// feed takes one code token other than ';'.
func (b *blockTracker) feed(sc *scanner, t token) {
	b.tokens++
	if b.tokens == 1 {
		b.first = t
	}
	if b.resolveEnd(sc, t) {
		return
	}
	if !b.compound {
		b.detectCompound(sc, t)
		return
	}
	switch {
	case sc.isWord(t, "BEGIN") || sc.isWord(t, "CASE"):
		b.depth++
	case sc.isWord(t, "END"):
		b.pendingEnd = true
	}
}

// resolveEnd settles a pending END with the token after it, and reports
// whether that token belongs to the END (END IF, END CASE, END label).
// END IF/LOOP/WHILE/REPEAT/FOR close constructs that are not counted;
// END, END CASE and END label close one BEGIN or CASE.
func (b *blockTracker) resolveEnd(sc *scanner, t token) bool {
	if !b.pendingEnd {
		return false
	}
	b.pendingEnd = false
	if !isAnyWord(sc, t, "IF", "LOOP", "WHILE", "REPEAT", "FOR") && b.depth > 0 {
		b.depth--
	}
	return t.kind == tokWord || t.kind == tokQuoted
}

// detectCompound looks at the leading tokens for a stored program
// definition (CREATE [DEFINER=...] PROCEDURE ...), BEGIN NOT ATOMIC or a
// labelled block (label: BEGIN ...).
func (b *blockTracker) detectCompound(sc *scanner, t token) {
	switch {
	case b.notProgram || b.tokens > 16:
	case b.tokens == 1: // the next token decides
	case b.tokens == 2 && sc.isWord(b.first, "BEGIN") && sc.isWord(t, "NOT"):
		b.compound, b.depth = true, 1
	case b.tokens == 2 && b.first.kind == tokWord && sc.text(t) == ":":
		b.compound = true
	case !isAnyWord(sc, b.first, "CREATE", "ALTER"):
		b.notProgram = true
	case isAnyWord(sc, t, "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE"):
		b.compound = true
	case isAnyWord(sc, t, "TABLE", "VIEW", "INDEX", "DATABASE", "SCHEMA", "USER", "ROLE", "SEQUENCE", "SERVER"):
		b.notProgram = true
	}
}

func isAnyWord(sc *scanner, t token, kws ...string) bool {
	for _, kw := range kws {
		if sc.isWord(t, kw) {
			return true
		}
	}
	return false
}
