package sqlparse

import "strings"

// This is a small MySQL tokenizer, separate from the parser's, for the
// jobs the parser cannot do: splitting statements when the parser fails,
// finding strata: directives in comments (the parser drops comments), and
// classifying statements the parser rejects. It only has to know where
// strings, quoted names, variables and comments start and end.

type tokKind uint8

const (
	tokEOF     tokKind = iota
	tokWord            // keyword, name or number
	tokQuoted          // `quoted name`
	tokString          // 'string' or "string"
	tokUserVar         // @name, @'name', @`name`
	tokSysVar          // @@name, @@session.name
	tokComment         // /* ... */, -- ..., # ...  (not /*! ... */, whose content is code)
	tokPunct           // any other single character, or :=
)

type token struct {
	kind       tokKind
	start, end int // byte offsets into the scanned text
}

// scanner walks SQL text token by token without allocating.
type scanner struct {
	s           string
	pos         int
	noBackslash bool // sql_mode NO_BACKSLASH_ESCAPES: '\' does not escape in strings
	ansiQuotes  bool // sql_mode ANSI_QUOTES: "name" is a quoted name, where '\' does not escape (set by nestsTooDeep only)
	inExec      bool // inside a /*! ... */ executable comment
	prev        token
}

func newScanner(s string) scanner { return scanner{s: s} }

func (sc *scanner) text(t token) string { return sc.s[t.start:t.end] }

// next returns the next token, comments included.
func (sc *scanner) next() token {
	sc.skipSpace()
	if sc.pos >= len(sc.s) {
		return token{kind: tokEOF, start: len(sc.s), end: len(sc.s)}
	}
	t := sc.scanToken()
	sc.prev = t
	return t
}

// skipSpace skips whitespace and the markers of the executable comments
// MariaDB runs (/*!50100, /*M!100616 and their closing */), whose content
// is code.
func (sc *scanner) skipSpace() {
	for sc.pos < len(sc.s) {
		c := sc.s[sc.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			sc.pos++
		case c == '/' && execCommentAt(sc.s, sc.pos):
			end, runs := execMarker(sc.s, sc.pos)
			if !runs {
				return // a comment MariaDB skips: a token of its own
			}
			sc.pos, sc.inExec = end, true
		case c == '*' && sc.inExec && strings.HasPrefix(sc.s[sc.pos:], "*/"):
			sc.pos += 2
			sc.inExec = false
		default:
			return
		}
	}
}

func (sc *scanner) scanToken() token {
	start := sc.pos
	c := sc.s[start]
	kind := tokPunct
	switch {
	case c == '#':
		kind, sc.pos = tokComment, lineEnd(sc.s, start)
	case c == '-' && isDashComment(sc.s, start):
		kind, sc.pos = tokComment, lineEnd(sc.s, start)
	case c == '/' && strings.HasPrefix(sc.s[start:], "/*"):
		kind, sc.pos = tokComment, blockEnd(sc.s, start+2)
	case c == '\'' || c == '"':
		kind, sc.pos = tokString, sc.quoteEnd(start, c)
	case c == '`':
		kind, sc.pos = tokQuoted, sc.quoteEnd(start, c)
	case c == '@':
		kind, sc.pos = sc.scanVar(start)
	case isWordByte(c):
		kind, sc.pos = tokWord, wordEnd(sc.s, start)
	case c == ':' && strings.HasPrefix(sc.s[start:], ":="):
		sc.pos += 2
	default:
		sc.pos++
	}
	return token{kind: kind, start: start, end: sc.pos}
}

// isDashComment: MySQL needs whitespace (or a control character, or the
// end) after "--" for it to start a comment; "a--1" is a minus minus.
func isDashComment(s string, i int) bool {
	if !strings.HasPrefix(s[i:], "--") {
		return false
	}
	return i+2 >= len(s) || s[i+2] <= ' '
}

func lineEnd(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

func blockEnd(s string, i int) int {
	if j := strings.Index(s[i:], "*/"); j >= 0 {
		return i + j + 2
	}
	return len(s)
}

// quoteEnd returns the offset after the closing quote q of a string or
// quoted name starting at i. Doubled quotes stand for one; backslash
// escapes only in strings and only without NO_BACKSLASH_ESCAPES.
// An unterminated quote runs to the end.
func (sc *scanner) quoteEnd(i int, q byte) int {
	s := sc.s
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && (q == '\'' || q == '"' && !sc.ansiQuotes) && !sc.noBackslash:
			j++
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j++
		case s[j] == q:
			return j + 1
		}
	}
	return len(s)
}

// scanVar scans @user_var or @@system_var. An '@' glued to a preceding
// name or string is the user@host of an account ('u'@'h'), not a
// variable.
func (sc *scanner) scanVar(i int) (tokKind, int) {
	s := sc.s
	if sc.prev.end == i && (sc.prev.kind == tokString || sc.prev.kind == tokQuoted || sc.prev.kind == tokWord) {
		return tokPunct, i + 1
	}
	if i+1 < len(s) && s[i+1] == '@' {
		j := i + 2
		for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
			j++
		}
		return tokSysVar, j
	}
	if i+1 < len(s) {
		switch q := s[i+1]; {
		case q == '\'' || q == '"' || q == '`':
			return tokUserVar, sc.quoteEnd(i+1, q)
		case isWordByte(q) || q == '.':
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			return tokUserVar, j
		}
	}
	return tokPunct, i + 1
}

// isWordByte: identifier characters; bytes >= 0x80 are parts of UTF-8
// letters, which MySQL allows in unquoted names.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '$' || c >= 0x80
}

func wordEnd(s string, i int) int {
	for i < len(s) && isWordByte(s[i]) {
		i++
	}
	return i
}

// nextCode returns the next token that is not a comment.
func (sc *scanner) nextCode() token {
	for {
		t := sc.next()
		if t.kind != tokComment {
			return t
		}
	}
}

// isWord reports whether t is the (case-insensitive) keyword kw.
func (sc *scanner) isWord(t token, kw string) bool {
	return t.kind == tokWord && strings.EqualFold(sc.text(t), kw)
}

// quotedBody is the name or string a quoted token holds: without its
// quotes, doubled quotes made single. A token left open at the end of
// the text (the server will refuse its syntax) holds the rest.
func quotedBody(text string) string {
	if text == "" {
		return ""
	}
	q, body := text[:1], text[1:]
	if strings.HasSuffix(body, q) {
		body = body[:len(body)-1]
	}
	return strings.ReplaceAll(body, q+q, q)
}

// topLevelWords reads the rest of the text and returns its tokens that
// are the word kw outside parentheses (strings, quoted names and
// comments are tokens of their own, never words): only the first when
// first is set.
func (sc *scanner) topLevelWords(kw string, first bool) []token {
	var out []token
	depth := 0
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		if depth = sc.depthAfter(t, depth); depth == 0 && sc.isWord(t, kw) {
			out = append(out, t)
			if first {
				return out
			}
		}
	}
	return out
}

// depthAfter is the parenthesis depth after t, depth before it.
func (sc *scanner) depthAfter(t token, depth int) int {
	switch {
	case t.kind != tokPunct:
	case sc.s[t.start] == '(':
		depth++
	case sc.s[t.start] == ')':
		depth--
	}
	return depth
}
