package sqlparse

// The parser builds a tree as deep as the statement nests, and every pass
// over it (its own flagging, Strata's walker, restoring text) recurses
// once per level. Go cannot recover from a stack that outgrows its limit:
// a 20 MB statement of nested parentheses, or of 1+1+...+1, would stop
// Strata and every client with it. So a statement that may nest deeper
// than maxNesting levels is not given to the parser, nor read by its
// words (ClassifyFallback keeps a token per byte of such a text): its
// facts say TooDeep, and the session refuses it. MariaDB itself refuses
// most such statements ("memory exhausted", or 1436 "Thread stack
// overrun").

// maxNesting bounds the levels of a statement the parser reads. A level
// takes about 100 bytes of stack (400,000 nested parentheses, or 1+1+...,
// left 16–32 MB in use), so the bound keeps a parse to tens of MB, where
// ten million levels (20 MB of text) overflowed Go's 1 GB limit. The
// estimate counts every token of an operator chain, so a WHERE of 50,000
// ORs still parses; MariaDB's own parser stops at about 20,000 nested
// parentheses.
const maxNesting = 250_000

// nestsTooDeep reports whether sql may nest deeper than maxNesting. The
// estimate is an upper bound of the tree's depth: an open parenthesis is
// one level, and so is every token since the last comma at each open
// level (an operator chain, a NOT NOT NOT ..., a CASE inside a CASE
// nest one level per token at most; the items of a list are side by
// side). It runs on Strata's own tokenizer, which reads strings, quoted
// names and comments as the parser does, so nothing the parser reads as
// code hides from it. Text shorter than the bound cannot reach it and is
// not scanned.
func (m Mode) nestsTooDeep(sql string) bool {
	if len(sql) <= maxNesting {
		return false
	}
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	sc.ansiQuotes = m.sqlMode.HasANSIQuotesMode()
	levels := []int{0} // tokens since the last comma, per open parenthesis
	depth := 1         // len(levels) + the sum of levels
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		top := len(levels) - 1
		switch text := sql[t.start:t.end]; {
		case t.kind == tokPunct && text == "(":
			levels = append(levels, 0)
			depth++
		case t.kind == tokPunct && text == ")" && top > 0:
			depth -= levels[top] + 1
			levels = levels[:top]
		case t.kind == tokPunct && text == ",":
			depth -= levels[top]
			levels[top] = 0
		default:
			levels[top]++
			depth++
		}
		if depth > maxNesting {
			return true
		}
	}
	return false
}
