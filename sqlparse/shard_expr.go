package sqlparse

import (
	"reflect"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Expression helpers of the sharding analysis: the AST nodes Strata puts
// into a statement for rendering (placeholders bound at render time,
// literal text), operand conversion and the small predicates the
// analysis needs.

// paramNode replaces every ? of an analyzed statement. It restores as
// the bound value of the Render call in progress (shardImpl.args, set
// under shardImpl.mu), or as ? when the call has no Args.
type paramNode struct {
	ast.ExprNode     // the parser's marker, for the interface's other methods
	idx          int // 0-based, in text order
	impl         *shardImpl
	count        bool // a LIMIT's count or offset (boundText)
}

// Restore implements ast.Node.
func (p *paramNode) Restore(ctx *format.RestoreCtx) error {
	if args := p.impl.args; args != nil && p.idx < len(args) {
		ctx.WritePlain(boundText(args[p.idx], p.count))
		return nil
	}
	if p.impl.order != nil {
		*p.impl.order = append(*p.impl.order, p.idx)
	}
	ctx.WritePlain("?")
	return nil
}

// Accept implements ast.Node: a leaf that is not replaced by a visitor's
// return value unless the visitor asks.
func (p *paramNode) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(p)
	return v.Leave(n)
}

// rawExpr is SQL text put into the AST (a literal of a replaced IN list,
// a value added to an INSERT row, a pushed-down LIMIT). write, when set,
// computes the text at render time.
type rawExpr struct {
	ast.ExprNode
	text  string
	write func(ctx *format.RestoreCtx) error
}

func newRawExpr(text string) *rawExpr {
	return &rawExpr{ExprNode: &ast.DefaultExpr{}, text: text}
}

// Restore implements ast.Node.
func (r *rawExpr) Restore(ctx *format.RestoreCtx) error {
	if r.write != nil {
		return r.write(ctx)
	}
	ctx.WritePlain(r.text)
	return nil
}

// Accept implements ast.Node.
func (r *rawExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(r)
	return v.Leave(n)
}

// paramReplacer swaps the parser's ? markers for paramNodes.
type paramReplacer struct {
	impl    *shardImpl
	markers []*test_driver.ParamMarkerExpr
	nodes   []*paramNode
}

func (p *paramReplacer) Enter(n ast.Node) (ast.Node, bool) { return n, false }

func (p *paramReplacer) Leave(n ast.Node) (ast.Node, bool) {
	if l, ok := n.(*ast.Limit); ok {
		for _, e := range []ast.ExprNode{l.Count, l.Offset} {
			if pn, ok := e.(*paramNode); ok {
				pn.count = true
			}
		}
	}
	if pm, ok := n.(*test_driver.ParamMarkerExpr); ok {
		node := &paramNode{ExprNode: pm, impl: p.impl}
		p.markers = append(p.markers, pm)
		p.nodes = append(p.nodes, node)
		return node, true
	}
	return n, true
}

// replaceParams installs paramNodes and numbers them in text order; it
// returns the number of placeholders.
func replaceParams(stmt ast.StmtNode, impl *shardImpl) int {
	r := &paramReplacer{impl: impl}
	stmt.Accept(r)
	// Number by position in the text: the visiting order of the parser
	// does not always follow the text (INSERT visits its SELECT first).
	for i, node := range r.nodes {
		rank := 0
		for _, other := range r.markers {
			if other.Offset < r.markers[i].Offset {
				rank++
			}
		}
		node.idx = rank
	}
	return len(r.nodes)
}

// unparen strips parentheses.
func unparen(e ast.ExprNode) ast.ExprNode {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// conjuncts appends the top-level AND terms of e.
func conjuncts(out []ast.ExprNode, e ast.ExprNode) []ast.ExprNode {
	if e == nil {
		return out
	}
	e = unparen(e)
	if b, ok := e.(*ast.BinaryOperationExpr); ok && b.Op == opcode.LogicAnd {
		out = conjuncts(out, b.L)
		return conjuncts(out, b.R)
	}
	return append(out, e)
}

// text renders a node for comparisons and for names (placeholders as ?).
func (impl *shardImpl) text(n ast.Node) string {
	s, err := impl.mode.restore(n)
	if err != nil {
		return ""
	}
	return s
}

// literalText returns the SQL text of e when it is a literal that
// shard.ParseLiteral may read (numbers, possibly negative, strings, hex
// and bit values, NULL, TRUE/FALSE, DATE/TIME/TIMESTAMP '...').
func (impl *shardImpl) literalText(e ast.ExprNode) (string, bool) {
	e = unparen(e)
	switch v := e.(type) {
	case *paramNode:
		return "", false
	case ast.ValueExpr:
		s := impl.text(v)
		return s, s != ""
	case *ast.UnaryOperationExpr:
		if v.Op != opcode.Minus && v.Op != opcode.Plus {
			return "", false
		}
		inner, ok := unparen(v.V).(ast.ValueExpr)
		if !ok {
			return "", false
		}
		s := impl.text(inner)
		if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '.') {
			return "", false
		}
		if v.Op == opcode.Minus {
			if strings.HasPrefix(s, "-") {
				return s[1:], true
			}
			return "-" + s, true
		}
		return s, true
	case *ast.FuncCallExpr:
		switch v.FnName.L {
		case ast.DateLiteral, ast.TimeLiteral, ast.TimestampLiteral:
			s := impl.text(v)
			return s, s != ""
		}
	}
	return "", false
}

// operand converts a value of a predicate or an INSERT row.
func (impl *shardImpl) operand(e ast.ExprNode) Operand {
	if p, ok := unparen(e).(*paramNode); ok {
		return Operand{Param: p.idx + 1}
	}
	if s, ok := impl.literalText(e); ok {
		if impl.mode.emptyIsNull && EmptyStringLiteral(s) {
			s = "NULL" // as the server reads it
		}
		return Operand{Literal: s}
	}
	o := Operand{Expr: true}
	if d, ok := unparen(e).(*ast.DefaultExpr); ok {
		o.Default = true
		if d.Name != nil {
			o.DefaultOf = d.Name.Name.L
		}
	}
	return o
}

// containsNode reports whether any node below (and including) e
// satisfies pred. Subqueries are searched too.
func containsNode(e ast.Node, pred func(ast.Node) bool) bool {
	if e == nil {
		return false
	}
	if v := reflect.ValueOf(e); v.Kind() == reflect.Pointer && v.IsNil() {
		return false // a nil *OrderByClause and the like
	}
	f := &nodeFinder{pred: pred}
	e.Accept(f)
	return f.found
}

type nodeFinder struct {
	pred  func(ast.Node) bool
	found bool
}

func (f *nodeFinder) Enter(n ast.Node) (ast.Node, bool) {
	if f.found {
		return n, true
	}
	if f.pred(n) {
		f.found = true
		return n, true
	}
	// An aggregate inside a subquery belongs to the subquery.
	if _, ok := n.(*ast.SubqueryExpr); ok {
		return n, true
	}
	return n, false
}

func (f *nodeFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func isAggregate(n ast.Node) bool {
	_, ok := n.(*ast.AggregateFuncExpr)
	return ok
}

func isWindowFunc(n ast.Node) bool {
	_, ok := n.(*ast.WindowFuncExpr)
	return ok
}

func hasAggregate(n ast.Node) bool { return containsNode(n, isAggregate) }

// zeroDefaulted reports whether e is IFNULL(agg, 0) or COALESCE(agg, 0)
// of a plain SUM or COUNT — reporting code's way to say 0 rather than
// NULL over no rows. Each shard then answers 0 where it has no rows, and
// a 0 adds nothing, so the sum of the shards' values is the answer: the
// expression merges as a SUM, pushed down unchanged.
func zeroDefaulted(e ast.ExprNode) bool {
	call, ok := unparen(e).(*ast.FuncCallExpr)
	if !ok || (call.FnName.L != "ifnull" && call.FnName.L != "coalesce") || len(call.Args) != 2 {
		return false
	}
	ag, ok := unparen(call.Args[0]).(*ast.AggregateFuncExpr)
	if !ok || ag.Distinct {
		return false
	}
	if f := strings.ToLower(ag.F); f != ast.AggFuncSum && f != ast.AggFuncCount {
		return false
	}
	zero, ok := unparen(call.Args[1]).(ast.ValueExpr)
	if !ok {
		return false
	}
	switch v := zero.GetValue().(type) {
	case int64:
		return v == 0
	case uint64:
		return v == 0
	}
	return false
}

// aggFuncOf maps an aggregate to the merge Strata can do, or explains why
// it cannot combine it.
func aggFuncOf(a *ast.AggregateFuncExpr) (AggFunc, string) {
	name := strings.ToLower(a.F)
	switch {
	case name == ast.AggFuncCount && a.Distinct:
		if len(a.Args) != 1 {
			return AggNone, "COUNT(DISTINCT) of several expressions"
		}
		return AggCountDistinct, ""
	case (name == ast.AggFuncSum || name == ast.AggFuncAvg) && a.Distinct:
		if len(a.Args) != 1 {
			return AggNone, strings.ToUpper(name) + "(DISTINCT) of several expressions"
		}
		if name == ast.AggFuncSum {
			return AggSumDistinct, ""
		}
		return AggAvgDistinct, ""
	case name == ast.AggFuncCount:
		return AggCount, ""
	case name == ast.AggFuncSum && !a.Distinct:
		return AggSum, ""
	case name == ast.AggFuncMin:
		return AggMin, ""
	case name == ast.AggFuncMax:
		return AggMax, ""
	case name == ast.AggFuncAvg && !a.Distinct:
		return AggAvg, ""
	case isDeviation(a) && !a.Distinct && len(a.Args) == 1:
		switch name {
		case "var_samp":
			return AggVarSamp, ""
		case "stddev_samp":
			return AggStdSamp, ""
		case "std", "stddev", "stddev_pop":
			return AggStdPop, ""
		}
		return AggVarPop, "" // variance, var_pop
	case name == ast.AggFuncGroupConcat:
		if why := groupConcatMergeable(a); why != "" {
			return AggNone, why
		}
		return AggGroupConcat, ""
	case name == ast.AggFuncJsonArrayagg && !a.Distinct && len(a.Args) == 1 && a.Order == nil:
		return AggJSONArray, ""
	case name == ast.AggFuncJsonObjectAgg && !a.Distinct && len(a.Args) == 2 && a.Order == nil:
		return AggJSONObject, ""
	case name == ast.AggFuncBitAnd && !a.Distinct:
		return AggBitAnd, ""
	case name == ast.AggFuncBitOr && !a.Distinct:
		return AggBitOr, ""
	case name == ast.AggFuncBitXor && !a.Distinct:
		return AggBitXor, ""
	}
	if a.Distinct {
		return AggNone, "aggregate " + strings.ToUpper(name) + "(DISTINCT ...)"
	}
	return AggNone, "aggregate " + strings.ToUpper(name) + "()"
}

// sameColumn: two column names that may denote the same column (the
// qualifier of one may be omitted).
func sameColumn(a, b *ast.ColumnName) bool {
	if a.Name.L != b.Name.L {
		return false
	}
	if a.Table.L != "" && b.Table.L != "" && a.Table.L != b.Table.L {
		return false
	}
	return a.Schema.L == "" || b.Schema.L == "" || a.Schema.L == b.Schema.L
}

// havingOps maps the binary operators of the HAVING language.
var havingOps = map[opcode.Op]ExprOp{
	opcode.LogicAnd: ExprAnd,
	opcode.LogicOr:  ExprOr,
	opcode.EQ:       ExprEQ,
	opcode.NE:       ExprNE,
	opcode.LT:       ExprLT,
	opcode.LE:       ExprLE,
	opcode.GT:       ExprGT,
	opcode.GE:       ExprGE,
	opcode.Plus:     ExprPlus,
	opcode.Minus:    ExprMinus,
	opcode.Mul:      ExprMul,
	opcode.Div:      ExprDiv,
}

// groupConcatMergeable says why Strata cannot merge a GROUP_CONCAT from
// the shards' lists, or "": one expression, ordered by itself or not at
// all, with a literal separator.
func groupConcatMergeable(a *ast.AggregateFuncExpr) string {
	if len(a.Args) != 2 {
		return "GROUP_CONCAT of several expressions"
	}
	if _, ok := unparen(a.Args[1]).(ast.ValueExpr); !ok {
		return "GROUP_CONCAT with this SEPARATOR"
	}
	if a.Order != nil {
		if len(a.Order.Items) != 1 || restoreText(a.Order.Items[0].Expr) != restoreText(a.Args[0]) {
			return "GROUP_CONCAT ordered by something else than its own value"
		}
	}
	return ""
}

// restoreText is e as SQL text, "" when it cannot be written.
func restoreText(e ast.ExprNode) string {
	var b strings.Builder
	if err := e.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
		return ""
	}
	return b.String()
}
