package sqlparse

import "strings"

// hintPrefix starts a directive inside a comment. Directives are
// lower-case; several can follow one prefix, separated by commas:
//
//	/* strata:primary */  /* strata:pool=batch,shard=s1 */  -- strata:primary
//
// Only comments count: the text "strata:" in a string literal or in an
// executable /*! ... */ comment is ignored. Unknown keys are ignored so
// that older proxies tolerate newer directives.
const hintPrefix = "strata:"

// extractHint collects the directives of all comments in sql; a later
// directive overrides an earlier one.
func extractHint(sql string) Hint {
	var h Hint
	if !strings.Contains(sql, hintPrefix) { // fast path: most statements have none
		return h
	}
	sc := newScanner(sql)
	for t := sc.next(); t.kind != tokEOF; t = sc.next() {
		if t.kind == tokComment {
			h.parseComment(sc.text(t))
		}
	}
	return h
}

// parseComment applies every strata: directive found in one comment.
func (h *Hint) parseComment(c string) {
	for {
		i := strings.Index(c, hintPrefix)
		if i < 0 {
			return
		}
		c = h.parseDirectives(c[i+len(hintPrefix):])
	}
}

// parseDirectives reads key[=value]{,key[=value]} and returns the rest.
func (h *Hint) parseDirectives(s string) string {
	for {
		var key, val string
		key, s = takeWhile(s, isHintKeyByte)
		if strings.HasPrefix(s, "=") {
			val, s = takeWhile(s[1:], isHintValueByte)
		}
		h.apply(key, val)
		if !strings.HasPrefix(s, ",") {
			return s
		}
		s = strings.TrimLeft(s[1:], " \t")
	}
}

func (h *Hint) apply(key, val string) {
	switch key {
	case "primary":
		h.Primary = true
	case "pool":
		h.Pool = val
	case "shard":
		h.Shard = val
	}
}

func takeWhile(s string, ok func(byte) bool) (string, string) {
	i := 0
	for i < len(s) && ok(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isHintKeyByte(c byte) bool { return c >= 'a' && c <= 'z' || c == '_' }

func isHintValueByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.'
}
