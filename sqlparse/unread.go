package sqlparse

import "fmt"

// Some texts cost the parser far more than their length: Strata does not
// give them to it, nor read them by their words (ClassifyFallback keeps a
// token per byte of such a text). Their facts say why (Unread), and the
// session refuses them, since nothing tells where they may run.
//
//   - Depth. The parser builds a tree as deep as the statement nests, and
//     every pass over it (its own flagging, Strata's walker, restoring
//     text) recurses once per level. Go cannot recover from a stack that
//     outgrows its limit: a 20 MB statement of nested parentheses, or of
//     1+1+...+1, would stop Strata and every client with it. MariaDB
//     itself refuses most such statements ("memory exhausted", or 1436
//     "Thread stack overrun").
//   - String literals side by side ('a' 'b' 'c' ..., which MariaDB reads
//     as one string). The parser joins them one at a time, copying what it
//     has joined so far each time, so its time grows with the square of
//     their number: 10,000 of 8 bytes took 1.2 s, 80,000 took 70 s, and a
//     20 MB text of them would hold a CPU for hours.

// Unread says why a statement was not given to the parser.
type Unread uint8

const (
	ReadFully Unread = iota
	// UnreadTooDeep: it may nest deeper than maxNesting levels.
	UnreadTooDeep
	// UnreadJoinedStrings: joining its string literals that stand side by
	// side would copy more than maxJoinedBytes.
	UnreadJoinedStrings
)

// maxNesting bounds the levels of a statement the parser reads. A level
// takes about 100 bytes of stack (400,000 nested parentheses, or 1+1+...,
// left 16–32 MB in use), so the bound keeps a parse to tens of MB, where
// ten million levels (20 MB of text) overflowed Go's 1 GB limit. MariaDB's
// own parser stops at about 20,000 nested parentheses.
const maxNesting = 250_000

// maxJoinedBytes bounds what the parser may copy joining a statement's
// runs of side-by-side string literals: 32 MB, 0.05–0.4 s (measured:
// 1–13 ns per byte copied, the most for the smallest pieces). A few
// pieces, as code that splits a long literal over lines writes, copy
// little (three of 1 MB: 6 MB); small pieces reach it in the thousands
// (4,000 of one character, 1,400 of eight).
const maxJoinedBytes = 32 << 20

// minCostlyText is the length under which no text can reach either bound.
// A run of short pieces copies the most for its length: pieces of two
// characters with their quotes alone, as in 'ab'"cd"'ef', copy about
// len²/16 bytes, under maxJoinedBytes below 23 KB. A level of depth takes
// at least a byte.
const minCostlyText = 16 << 10

// unread reports whether sql would cost the parser more than Strata lets
// one statement cost, and how. It runs on Strata's own tokenizer, which
// reads strings, quoted names and comments as the parser does, so nothing
// the parser reads as code hides from it.
//
// The depth estimate is an upper bound of the tree's depth: an open
// parenthesis is one level, and so is every keyword, name or operator
// since the last comma at each open level (an operator chain, a NOT NOT
// NOT ..., a CASE inside a CASE nest one level per token at most; the
// items of a list are side by side). Numbers, strings, quoted names and
// variables are leaves of the tree and do not count, so a WHERE of
// 100,000 ORs of `id = 5` still parses.
func (m Mode) unread(sql string) Unread {
	if len(sql) <= minCostlyText {
		return ReadFully
	}
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	sc.ansiQuotes = m.sqlMode.HasANSIQuotesMode()
	levels := []int{0} // tokens since the last comma, per open parenthesis
	depth := 1         // len(levels) + the sum of levels
	joined, copied := 0, 0
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		if t.kind == tokString {
			// The parser copies the run joined so far for each piece (its
			// content: the quotes are not counted, or a run of 'x' would
			// seem to cost three times what it does).
			joined += t.end - t.start - 2
			if copied += joined; copied > maxJoinedBytes {
				return UnreadJoinedStrings
			}
			continue
		}
		joined = 0
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
		case t.kind == tokQuoted || t.kind == tokUserVar || t.kind == tokSysVar || t.kind == tokWord && isDigit(text[0]):
			// a leaf
		default:
			levels[top]++
			depth++
		}
		if depth > maxNesting {
			return UnreadTooDeep
		}
	}
	return ReadFully
}

func (u Unread) String() string {
	switch u {
	case UnreadTooDeep:
		return fmt.Sprintf("it may nest more than %d levels deep", maxNesting)
	case UnreadJoinedStrings:
		return "joining its string literals that stand side by side would cost more than Strata spends on a statement"
	}
	return "read fully"
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
