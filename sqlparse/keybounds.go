package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// A read of a table sharded by time bounds its key by the clock: `WHERE
// at > NOW() - INTERVAL 1 DAY`. Strata routes by values, which such a
// bound does not show, so the statement went to every period table (365
// queries for a year of daily tables). The session evaluates such bounds
// first, once, where the statement would run, and writes their values
// in: the statement then reads the periods they name, and every shard
// compares with the same instant, as one server evaluates NOW() once per
// statement.

// KeyBounds are the conditions of a statement's WHERE on its table's
// shard key whose other side is an expression of the clock and constants.
type KeyBounds struct {
	// Exprs are the expressions to evaluate, in the statement's order.
	Exprs []string

	mode  Mode
	stmt  ast.StmtNode
	slots []*ast.ExprNode
}

// KeyBoundExprs finds, in a SELECT, UPDATE or DELETE of one table (keyOf:
// its shard key column, "" for a table Strata routes otherwise), the
// top-level WHERE conditions `key op expr`, `key BETWEEN expr AND expr`
// and `key IN (expr, ...)` whose expressions read only the clock and
// constants (clockConstant). ok is false when there are none.
func (m Mode) KeyBoundExprs(sql string, keyOf func(table string) string) (*KeyBounds, bool) {
	stmts, err := m.parseAST(sql)
	if err != nil || len(stmts) != 1 {
		return nil, false
	}
	var from *ast.TableRefsClause
	var where ast.ExprNode
	switch s := stmts[0].(type) {
	case *ast.SelectStmt:
		from, where = s.From, s.Where
		nameFields(s) // written back, the columns keep their names
	case *ast.UpdateStmt:
		from, where = s.TableRefs, s.Where
	case *ast.DeleteStmt:
		if s.IsMultiTable {
			return nil, false
		}
		from, where = s.TableRefs, s.Where
	default:
		return nil, false
	}
	ts, table, ok := onlyTable(from)
	if !ok || where == nil {
		return nil, false
	}
	name := ts.Source.(*ast.TableName)
	key := keyOf(table)
	if key == "" {
		return nil, false
	}
	isKey := func(e ast.ExprNode) bool {
		c, ok := e.(*ast.ColumnNameExpr)
		if !ok || c.Name.Name.L != strings.ToLower(key) {
			return false
		}
		q := c.Name.Table.L
		return q == "" || q == ts.AsName.L || ts.AsName.L == "" && q == name.Name.L
	}
	b := &KeyBounds{mode: m, stmt: stmts[0]}
	for _, c := range topConjuncts(where) {
		b.collect(c, isKey)
	}
	if len(b.slots) == 0 {
		return nil, false
	}
	for _, slot := range b.slots {
		text, err := m.restore(*slot)
		if err != nil {
			return nil, false
		}
		b.Exprs = append(b.Exprs, text)
	}
	return b, true
}

// topConjuncts splits e at its top-level ANDs, keeping pointers to each
// conjunct's place.
func topConjuncts(e ast.ExprNode) []ast.ExprNode {
	switch x := e.(type) {
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.LogicAnd {
			return append(topConjuncts(x.L), topConjuncts(x.R)...)
		}
	case *ast.ParenthesesExpr:
		return topConjuncts(x.Expr)
	}
	return []ast.ExprNode{e}
}

// collect notes the clock expressions of condition c on the key.
func (b *KeyBounds) collect(c ast.ExprNode, isKey func(ast.ExprNode) bool) {
	switch x := c.(type) {
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.EQ, opcode.GT, opcode.GE, opcode.LT, opcode.LE:
		default:
			return
		}
		switch {
		case isKey(x.L) && clockConstant(x.R):
			b.slots = append(b.slots, &x.R)
		case isKey(x.R) && clockConstant(x.L):
			b.slots = append(b.slots, &x.L)
		}
	case *ast.BetweenExpr:
		if x.Not || !isKey(x.Expr) {
			return
		}
		if clockConstant(x.Left) {
			b.slots = append(b.slots, &x.Left)
		}
		if clockConstant(x.Right) {
			b.slots = append(b.slots, &x.Right)
		}
	case *ast.PatternInExpr:
		if x.Not || x.Sel != nil || !isKey(x.Expr) {
			return
		}
		for i := range x.List {
			if clockConstant(x.List[i]) {
				b.slots = append(b.slots, &x.List[i])
			}
		}
	}
}

// statementClockFuncs give one value for a whole statement: the clock and date
// arithmetic over it.
var statementClockFuncs = map[string]bool{
	"now": true, "current_timestamp": true, "localtime": true, "localtimestamp": true,
	"curdate": true, "current_date": true, "curtime": true, "current_time": true,
	"utc_timestamp": true, "utc_date": true, "utc_time": true, "unix_timestamp": true,
	"from_unixtime": true, "date": true, "date_sub": true, "date_add": true, "subdate": true,
	"adddate": true, "timestamp": true, "timestampadd": true, "str_to_date": true,
	"makedate": true, "last_day": true, "convert_tz": true, "date_format": true,
}

// clockConstant: e reads the clock, and otherwise only constants, through
// statementClockFuncs and arithmetic: one value per statement, the same on every
// shard. A plain literal is not one (it routes as it is).
func clockConstant(e ast.ExprNode) bool {
	clock := false
	ok := !containsNode(e, func(n ast.Node) bool {
		switch x := n.(type) {
		case ast.ValueExpr, *ast.ParenthesesExpr, *ast.TimeUnitExpr, *ast.FuncCastExpr:
			return false
		case *ast.BinaryOperationExpr:
			switch x.Op {
			case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.IntDiv:
				return false
			}
			return true
		case *ast.UnaryOperationExpr:
			return x.Op != opcode.Minus
		case *ast.FuncCallExpr:
			if !statementClockFuncs[x.FnName.L] || x.Schema.L != "" {
				return true
			}
			clock = true
			return false
		}
		return true
	})
	return ok && clock
}

// Render is the statement with Exprs replaced by values (SQL literals, in
// order).
func (b *KeyBounds) Render(values []string) (string, error) {
	for i, slot := range b.slots {
		*slot = newRawExpr(values[i])
	}
	return b.mode.restore(b.stmt)
}
