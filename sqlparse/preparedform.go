package sqlparse

import (
	"strings"
	"sync/atomic"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// A server parses and plans every text it receives. An application that
// writes its values into the text (PHP PDO's default, emulated prepares)
// makes the server parse one statement shape over and over; a
// server-side prepared statement of the shape, executed with the values,
// is parsed once per connection. PreparedForm is that statement for a
// SELECT whose inlined values stand where a bound parameter means exactly
// what the literal does.

// PreparedForm is a SELECT written as a server-side prepared statement:
// its text with a ? in place of each value the shape blanks out
// (AppendShapeKey), for every text of the shape. It is made only where
// each such value is an operand of a comparison, IN, BETWEEN or LIKE, or
// a LIMIT count, outside the select list, GROUP BY and ORDER BY: there a
// parameter bound to the same value compares, matches and counts as the
// literal does, and no column name or type depends on it (a literal in
// the select list names its column; ORDER BY 1 is a column's position,
// ORDER BY ? a constant).
type PreparedForm struct {
	// SQL is the statement to prepare.
	SQL string
	// Params is the number of its parameters.
	Params int
	// off: the form failed on a server (the prepare was refused, or its
	// result has a column Strata cannot turn into text); the shape's
	// texts go to the server as they are.
	off atomic.Bool
}

// Off reports whether the form was turned off (TurnOff).
func (p *PreparedForm) Off() bool { return p.off.Load() }

// TurnOff stops the form's use for every text of its shape.
func (p *PreparedForm) TurnOff() { p.off.Store(true) }

// Literal is one value inlined in a statement's text, as its parameter
// takes it.
type Literal struct {
	// Text is a number's digits, or a string's value (its quotes gone
	// and each ” made ').
	Text string
	// String: the literal is a string; otherwise a number in digits.
	String bool
}

// Values appends to dst the values inlined in sql, a text of the form's
// shape, in parameter order. ok is false when a value cannot be bound as
// the literal means it: a string in double quotes (a name under
// ANSI_QUOTES) or with a backslash (whose meaning depends on sql_mode),
// or when sql is not of the shape.
func (p *PreparedForm) Values(dst []Literal, sql string) (_ []Literal, ok bool) {
	sc := newScanner(sql)
	for {
		t, more := sc.nextLiteral()
		if !more {
			break
		}
		if t.kind != tokString {
			dst = append(dst, Literal{Text: sql[t.start:t.end]})
			continue
		}
		v, ok := stringValue(sql[t.start:t.end])
		if !ok {
			return dst, false
		}
		dst = append(dst, Literal{Text: v, String: true})
	}
	return dst, len(dst) == p.Params
}

// stringValue is the value of a single-quoted string literal without
// backslashes: ” stands for one quote.
func stringValue(lit string) (string, bool) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' || strings.IndexByte(lit, '\\') >= 0 {
		return "", false
	}
	v := lit[1 : len(lit)-1]
	if strings.Contains(v, "''") {
		v = strings.ReplaceAll(v, "''", "'")
	}
	return v, true
}

// preparedForm returns the prepared form of sql, a lone SELECT parsed as
// stmt, or nil when one of its blanked values stands where a parameter
// could mean something else.
func preparedForm(sql string, stmt ast.StmtNode) *PreparedForm {
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok || sel.SelectIntoOpt != nil || sel.LockInfo != nil {
		return nil
	}
	if sc := newScanner(sql); !sc.hasLiteral() {
		return nil // nothing to bind: the text is its own shape
	}
	v := bindableValues{at: map[int]bool{}}
	sel.Accept(&v)
	var b strings.Builder
	sc := newScanner(sql)
	copied, params := 0, 0
	var last [2]token // the two tokens before t, comments left out
	for {
		t := sc.next()
		if t.kind == tokEOF {
			break
		}
		if t.kind == tokComment {
			continue
		}
		before := last
		last = [2]token{before[1], t}
		if sql[t.start:t.end] == "?" {
			// A parameter marker in a text, which the server refuses
			// as a syntax error; in the form it would be one parameter
			// more than the values bound.
			return nil
		}
		if !isLiteral(sql, t) {
			continue
		}
		if !v.at[t.start] && !(v.limits && !v.limitOutside && limitCount(sql, before)) {
			return nil
		}
		b.WriteString(sql[copied:t.start])
		b.WriteByte('?')
		copied = t.end
		params++
	}
	b.WriteString(sql[copied:])
	return &PreparedForm{SQL: b.String(), Params: params}
}

// hasLiteral reports whether a value a shape blanks out lies ahead.
func (sc *scanner) hasLiteral() bool {
	_, more := sc.nextLiteral()
	return more
}

// bindableValues finds the literals a parameter may stand for: at holds
// their offsets in the text. A literal counts when its parent is a
// comparison, IN, BETWEEN, LIKE or LIMIT and no select list, GROUP BY or
// ORDER BY holds it.
type bindableValues struct {
	at      map[int]bool
	parents []ast.Node
	outside int // depth inside select lists and BY items
	// The parser does not place a LIMIT's numbers in the text, so they
	// are found by the words before them (limitCount): limits says the
	// statement has a LIMIT, limitOutside that one is in a select list
	// (where LIMIT ? would name the column).
	limits, limitOutside bool
}

// limitCount reports whether a number after the tokens before (the
// nearer last) is a LIMIT's count or offset: LIMIT n, LIMIT m, n and
// OFFSET n.
func limitCount(sql string, before [2]token) bool {
	word := func(t token, w string) bool { return t.kind == tokWord && strings.EqualFold(sql[t.start:t.end], w) }
	prev := before[1]
	if word(prev, "LIMIT") || word(prev, "OFFSET") {
		return true
	}
	// LIMIT m, n: the comma follows a count that followed LIMIT, which
	// the scan already took as one; a comma after any other number is
	// not a LIMIT's.
	return prev.kind == tokPunct && sql[prev.start:prev.end] == "," && before[0].kind == tokWord && isLiteral(sql, before[0]) && limitAfter(sql, before[0].start)
}

// limitAfter reports whether the word LIMIT, then spaces, end just
// before offset at.
func limitAfter(sql string, at int) bool {
	head := strings.TrimRight(sql[:at], " \t\r\n")
	return len(head) >= 5 && strings.EqualFold(head[len(head)-5:], "LIMIT") &&
		(len(head) == 5 || !isWordByte(head[len(head)-6]))
}

// Enter implements ast.Visitor.
func (v *bindableValues) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SelectField, *ast.ByItem, *ast.WindowSpec:
		v.outside++
	case *ast.Limit:
		v.limits = true
		v.limitOutside = v.limitOutside || v.outside > 0
	case ast.ValueExpr:
		if v.outside == 0 && len(v.parents) > 0 && bindableIn(v.parents[len(v.parents)-1]) {
			v.at[n.(ast.ExprNode).OriginTextPosition()] = true
		}
	}
	v.parents = append(v.parents, n)
	return n, false
}

// Leave implements ast.Visitor.
func (v *bindableValues) Leave(n ast.Node) (ast.Node, bool) {
	v.parents = v.parents[:len(v.parents)-1]
	switch n.(type) {
	case *ast.SelectField, *ast.ByItem, *ast.WindowSpec:
		v.outside--
	}
	return n, true
}

// bindableIn reports whether a literal that is an operand of parent means
// the same as a parameter bound to its value.
func bindableIn(parent ast.Node) bool {
	switch p := parent.(type) {
	case *ast.BinaryOperationExpr:
		switch p.Op {
		case opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE, opcode.NullEQ:
			return true
		}
	case *ast.PatternInExpr, *ast.BetweenExpr, *ast.PatternLikeOrIlikeExpr, *ast.Limit:
		return true
	}
	return false
}
