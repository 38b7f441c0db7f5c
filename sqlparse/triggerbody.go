package sqlparse

import "strings"

// AssignsNewColumn reports whether the body of trigger definition body
// (a CREATE TRIGGER statement, or the ACTION_STATEMENT
// information_schema.TRIGGERS holds) assigns NEW.col, col lower-case:
// as a target of SET (SET NEW.col = ..., or one of a SET's list) or of
// SELECT ... INTO / FETCH ... INTO. A BEFORE trigger that does changes
// the row after the statement named it: Strata places a row by the key
// the statement gives, so a trigger that rewrites the shard key would
// store the row where reads of its new key never look. A comparison
// (IF NEW.col = 5) is not an assignment; a SET target spelled like one
// inside a function's arguments is counted, which can only refuse.
func (m Mode) AssignsNewColumn(body, col string) bool {
	sc, toks := m.codeTokens(body)
	isNewCol := func(i int) bool {
		if i+2 >= len(toks) || !sc.isWord(toks[i], "new") || sc.text(toks[i+1]) != "." {
			return false
		}
		name, ok := identText(&sc, toks[i+2])
		return ok && strings.EqualFold(name, col)
	}
	assigned := func(i int) bool {
		return isNewCol(i) && i+3 < len(toks) && (sc.text(toks[i+3]) == "=" || sc.text(toks[i+3]) == ":=")
	}
	// inSet: within a SET statement's list of assignments, whose items
	// are separated by commas at the depth of parentheses of its SET.
	inSet, depth, setDepth := false, 0, 0
	for i, t := range toks {
		switch text := sc.text(t); {
		case text == "(":
			depth++
		case text == ")":
			depth--
		case text == ";":
			inSet = false
		case sc.isWord(t, "set"):
			inSet, setDepth = true, depth
			if assigned(i + 1) {
				return true
			}
		case text == "," && inSet && depth == setDepth:
			if assigned(i + 1) {
				return true
			}
		case sc.isWord(t, "into"):
			if intoTargets(&sc, toks, i+1, isNewCol) {
				return true
			}
		}
	}
	return false
}

// intoTargets reports whether one of the targets listed from token i on
// (after INTO: @vars, NEW.cols, local variables, separated by commas)
// is one isTarget picks. The list ends at the first token that does not
// continue it, so INSERT INTO audit SELECT ..., NEW.id reads only audit.
func intoTargets(sc *scanner, toks []token, i int, isTarget func(int) bool) bool {
	for i < len(toks) {
		if isTarget(i) {
			return true
		}
		if sc.isWord(toks[i], "new") && i+2 < len(toks) && sc.text(toks[i+1]) == "." {
			i += 3
		} else {
			i++
		}
		if i >= len(toks) || sc.text(toks[i]) != "," {
			return false
		}
		i++
	}
	return false
}
