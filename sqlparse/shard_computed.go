package sqlparse

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// Select-list expressions over aggregates (SUM(a) / COUNT(*),
// ROUND(AVG(x), 2), MAX(x) - MIN(x), CONCAT(COUNT(*), ' posts')) cannot be
// merged by adding or comparing the shards' values. Strata merges the
// aggregates inside them instead (hidden columns of the shard query), then
// has MariaDB evaluate the expression over the merged values, so that
// every function, type and rounding rule is MariaDB's own (engine.Compute).
// The shards still compute the expression in its own column: its value is
// replaced, but its column definition is exactly what the client would
// get from one server.

// Computed is a column whose merged value is an expression evaluated over
// other merged columns.
type Computed struct {
	Col int
	// Parts, concatenated with each input replaced by its merged value
	// written as a typed SQL literal, are the expression's SQL text.
	Parts []ComputedPart
}

// PartKind says what a ComputedPart stands for.
type PartKind uint8

const (
	PartText   PartKind = iota // Text, as is
	PartColumn                 // the merged value of column Col
	PartAvg                    // AVG: merged SUM in Col divided by merged COUNT in CountCol
	PartParam                  // bound value Param (1-based)
)

// ComputedPart is a piece of a Computed expression's text.
type ComputedPart struct {
	Kind     PartKind
	Text     string
	Col      int
	CountCol int
	Param    int
	// ExactCol, for a SUM (or an AVG's sum) of a division's values: the
	// column of the sum with every digit the server kept (Agg.ExactCol),
	// which the server computes an expression over, not the digits it
	// shows. PrecCol, with it and for an AVG: the column of the session's
	// div_precision_increment, which MariaDB divides with (0: none).
	ExactCol, PrecCol int
}

// computedMarks swaps the inputs of an expression over aggregates for
// markers while its text is rendered, and puts the nodes back after.
type computedMarks struct {
	b      *scatterBuilder
	parts  []ComputedPart // indexed by marker number
	saved  map[*rawExpr]ast.Node
	failed string
	// rounded: MariaDB keeps each group's aggregates in a temporary
	// table before it evaluates the select list (a DISTINCT aggregate and
	// an ORDER BY other than the groups'): an AVG inside an expression is
	// then its value rounded to the AVG's scale (4 more decimals than its
	// argument), not the exact quotient.
	rounded bool
}

func (m *computedMarks) mark(n ast.Node, p ComputedPart) ast.Node {
	r := newRawExpr("\x00" + strconv.Itoa(len(m.parts)) + "\x00")
	m.parts = append(m.parts, p)
	m.saved[r] = n
	return r
}

func (m *computedMarks) Enter(n ast.Node) (ast.Node, bool) {
	if m.failed != "" {
		return n, true
	}
	b := m.b
	switch v := n.(type) {
	case *ast.AggregateFuncExpr:
		fn, why := aggFuncOf(v)
		switch {
		case why != "":
			m.failed = why + " cannot be merged across shards"
		case fn == AggAvg && m.rounded:
			// Merged AVG, rounded to its scale as MariaDB stores it.
			return m.mark(n, ComputedPart{Kind: PartColumn, Col: b.aggCol(v)}), true
		case fn == AggAvg:
			sum := b.aggCol(&ast.AggregateFuncExpr{F: ast.AggFuncSum, Args: v.Args})
			cnt := b.aggCol(&ast.AggregateFuncExpr{F: ast.AggFuncCount, Args: v.Args})
			// Divided by MariaDB with the session's increment.
			return m.mark(n, b.withExactSum(ComputedPart{Kind: PartAvg, Col: sum, CountCol: cnt, PrecCol: b.divPrecision()})), true
		case fn == AggCountDistinct || fn == AggSumDistinct || fn == AggAvgDistinct:
			key := b.impl.text(v)
			col, ok := b.aggCols[key]
			if !ok {
				// Its argument in a hidden column the shards group by,
				// as for one in the select list.
				col = b.addHidden("distinct:"+key, v.Args[0])
				b.distinct = append(b.distinct, countDistinct{arg: v.Args[0], col: col})
				agg := Agg{Col: col, Func: fn}
				if fn == AggAvgDistinct {
					agg.PrecCol = b.divPrecision()
				}
				b.out.Aggs = append(b.out.Aggs, agg)
				b.aggCols[key] = col
			}
			return m.mark(n, ComputedPart{Kind: PartColumn, Col: col}), true
		case fn == AggSum:
			return m.mark(n, b.withExactSum(ComputedPart{Kind: PartColumn, Col: b.aggCol(v)})), true
		default:
			return m.mark(n, ComputedPart{Kind: PartColumn, Col: b.aggCol(v)}), true
		}
		return n, true
	case *paramNode:
		return m.mark(n, ComputedPart{Kind: PartParam, Param: v.idx + 1}), true
	case *ast.SubqueryExpr, *ast.VariableExpr, *ast.WindowFuncExpr, *ast.DefaultExpr, *ast.ValuesExpr:
		m.failed = "a subquery, variable or window function inside an expression over aggregates"
		return n, true
	case *ast.FuncCallExpr:
		if !reevaluable(v.FnName.L) {
			m.failed = v.FnName.O + "() inside an expression over aggregates"
			return n, true
		}
	}
	if e, ok := n.(ast.ExprNode); ok {
		if col, ok := m.groupKey(e); ok {
			return m.mark(n, ComputedPart{Kind: PartColumn, Col: col}), true
		}
		if c, ok := e.(*ast.ColumnNameExpr); ok {
			m.failed = "column " + b.impl.text(c) + " inside an expression over aggregates is not in GROUP BY"
			return n, true
		}
	}
	return n, false
}

func (m *computedMarks) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// groupKey finds e among the GROUP BY items: a column by name, anything
// else by its text.
func (m *computedMarks) groupKey(e ast.ExprNode) (int, bool) {
	b := m.b
	if c, ok := e.(*ast.ColumnNameExpr); ok {
		for k, g := range b.groupExpr {
			if gc, ok := g.(*ast.ColumnNameExpr); ok && sameColumn(gc.Name, c.Name) {
				return b.groupCols[k], true
			}
		}
		return 0, false
	}
	if _, ok := e.(*ast.ParenthesesExpr); ok {
		return 0, false
	}
	t := b.impl.text(e)
	for k, g := range b.groupExpr {
		if _, ok := g.(*ast.ColumnNameExpr); !ok && b.impl.text(g) == t {
			return b.groupCols[k], true
		}
	}
	return 0, false
}

// restoreMarks puts back the nodes computedMarks took out.
type restoreMarks struct{ saved map[*rawExpr]ast.Node }

func (r restoreMarks) Enter(n ast.Node) (ast.Node, bool) {
	if raw, ok := n.(*rawExpr); ok {
		if orig, ok := r.saved[raw]; ok {
			return orig, true
		}
	}
	return n, false
}

func (r restoreMarks) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// reevaluable reports whether a function gives the same value when MariaDB
// evaluates the expression again after the merge, on another connection
// and a moment later: not so for the functions that matter for routing
// (locks, the connection's own values, sequences) nor for random ones.
func reevaluable(name string) bool {
	return specialFuncs[name] == 0 && !volatileFuncs[name]
}

// volatileFuncs give another value at each call.
var volatileFuncs = map[string]bool{
	"rand": true, "uuid": true, "uuid_short": true, "sys_guid": true, "sleep": true,
	"benchmark": true, "sysdate": true,
}

// computed registers select field i, an expression over aggregates, for
// evaluation after the merge. It runs after groupBy: the expression may
// use the group keys.
func (b *scatterBuilder) computed(i int) {
	f := b.orig[i]
	m := &computedMarks{b: b, saved: map[*rawExpr]ast.Node{}, rounded: b.materializesGroups()}
	marked, _ := f.Expr.Accept(m)
	text := b.impl.text(marked.(ast.ExprNode))
	restored, _ := marked.Accept(restoreMarks{saved: m.saved})
	f.Expr = restored.(ast.ExprNode)
	if m.failed != "" {
		b.fail("%s", m.failed)
		return
	}
	if text == "" {
		b.fail("aggregate inside an expression in the select list (%s)", b.impl.text(f.Expr))
		return
	}
	c := Computed{Col: i}
	for k, piece := range strings.Split(text, "\x00") {
		if k%2 == 0 {
			if piece != "" {
				c.Parts = append(c.Parts, ComputedPart{Kind: PartText, Text: piece})
			}
			continue
		}
		n, err := strconv.Atoi(piece)
		if err != nil || n >= len(m.parts) {
			b.fail("aggregate inside an expression in the select list (%s)", b.impl.text(f.Expr))
			return
		}
		c.Parts = append(c.Parts, m.parts[n])
	}
	b.out.Computed = append(b.out.Computed, c)
	b.computedText[b.impl.text(unparen(f.Expr))] = i
	b.fields[i] = notEvaluated(f)
}

// notEvaluated is the shard query's field for f, an expression over
// aggregates that Strata evaluates over the merged aggregates: the shards
// describe its column (its name, type and length are what one server
// sends) but do not compute it. Over one shard's partial aggregates it
// could fail where the merged ones do not: MAX(a) - 3 over an UNSIGNED
// column is out of range (1690) on a shard whose largest a is 2, and a
// division by a shard's zero warns. IF(0, e, NULL) has e's type and is
// never e. Its column may be NULL, as e's is when an aggregate other than
// COUNT is in it; an expression over COUNTs only (never NULL, and of
// signed integers) stays as written, so its column keeps NOT NULL.
func notEvaluated(f *ast.SelectField) *ast.SelectField {
	if !containsNode(f.Expr, isNullableAggregate) {
		return f
	}
	wrapped := &ast.FuncCallExpr{FnName: ast.NewCIStr("IF"), Args: []ast.ExprNode{newRawExpr("0"), f.Expr, newRawExpr("NULL")}}
	return &ast.SelectField{Expr: wrapped, AsName: f.AsName}
}

// isNullableAggregate: an aggregate that is NULL over no rows (all but
// COUNT).
func isNullableAggregate(n ast.Node) bool {
	ag, ok := n.(*ast.AggregateFuncExpr)
	return ok && !strings.EqualFold(ag.F, ast.AggFuncCount)
}

// materializesGroups reports whether MariaDB evaluates the select list
// over aggregates it stored in a temporary table, rounded to their
// columns' scale: found by comparing with one server (the differential
// test), when a DISTINCT aggregate meets an ORDER BY that is not the
// GROUP BY's order — not its items in their order, or a leading part of
// them (GROUP BY a, b ORDER BY a keeps the exact values, ORDER BY b or
// b, a rounds them; the directions do not matter).
func (b *scatterBuilder) materializesGroups() bool {
	sel := b.sel
	if sel.GroupBy == nil || sel.OrderBy == nil || !hasDistinctAggregate(sel) || b.groupsFixedByWhere() {
		return false
	}
	for k, item := range sel.OrderBy.Items {
		if k >= len(b.groupExpr) || !b.isGroupItem(unparen(item.Expr), b.groupExpr[k:k+1]) {
			return true
		}
	}
	return false
}

// groupsFixedByWhere reports whether WHERE sets every GROUP BY column to
// a constant (status = 'hidden' ... GROUP BY status): MariaDB then drops
// the grouping, and the temporary table with it.
func (b *scatterBuilder) groupsFixedByWhere() bool {
	conds := conjuncts(nil, b.sel.Where)
	for _, g := range b.groupExpr {
		gc, ok := g.(*ast.ColumnNameExpr)
		if !ok {
			return false
		}
		fixed := false
		for _, cond := range conds {
			eq, ok := unparen(cond).(*ast.BinaryOperationExpr)
			if !ok || eq.Op != opcode.EQ {
				continue
			}
			for _, side := range [2][2]ast.ExprNode{{eq.L, eq.R}, {eq.R, eq.L}} {
				c, isCol := unparen(side[0]).(*ast.ColumnNameExpr)
				if _, isLit := b.impl.literalText(side[1]); isCol && isLit && sameColumn(c.Name, gc.Name) {
					fixed = true
				}
			}
		}
		if !fixed {
			return false
		}
	}
	return len(b.groupExpr) > 0
}

// isGroupItem reports whether e (an ORDER BY item) is one of the GROUP BY
// items groups: by position, alias, column or text.
// dealias is the select list's expression that e, a name, is the alias
// of; e itself when it is no alias, or the alias of that very column.
func (b *scatterBuilder) dealias(e ast.ExprNode) ast.ExprNode {
	v, ok := e.(*ast.ColumnNameExpr)
	if !ok {
		return e
	}
	if col, ok := b.byAlias(v.Name); ok {
		if c, isCol := unparen(b.orig[col].Expr).(*ast.ColumnNameExpr); !isCol || !sameColumn(c.Name, v.Name) {
			return unparen(b.orig[col].Expr)
		}
	}
	return e
}

func (b *scatterBuilder) isGroupItem(e ast.ExprNode, groups []ast.ExprNode) bool {
	switch v := e.(type) {
	case *ast.PositionExpr:
		if v.N >= 1 && v.N <= len(b.orig) {
			return b.isGroupItem(unparen(b.orig[v.N-1].Expr), groups)
		}
		return false
	case *ast.ColumnNameExpr:
		if d := b.dealias(v); d != e {
			return b.isGroupItem(d, groups)
		}
	}
	if hasAggregate(e) {
		return false
	}
	t := b.impl.text(e)
	for _, g := range groups {
		g = b.dealias(g) // GROUP BY x1, an alias, groups by its expression
		if b.impl.text(g) == t {
			return true
		}
		if gc, ok := g.(*ast.ColumnNameExpr); ok {
			if c, ok := e.(*ast.ColumnNameExpr); ok && sameColumn(gc.Name, c.Name) {
				return true
			}
		}
	}
	return false
}

// hasDistinctAggregate reports whether sel has COUNT/SUM/AVG(DISTINCT ...)
// anywhere.
func hasDistinctAggregate(sel *ast.SelectStmt) bool {
	distinct := func(n ast.Node) bool {
		a, ok := n.(*ast.AggregateFuncExpr)
		return ok && a.Distinct
	}
	return containsNode(sel.Fields, distinct) || (sel.Having != nil && containsNode(sel.Having, distinct)) ||
		(sel.OrderBy != nil && containsNode(sel.OrderBy, distinct))
}

// withExactSum gives p, a part over the SUM in p.Col, the columns of that
// sum's every digit and of the session's div_precision_increment, when
// the sum is of a division's values (Agg.ExactCol).
func (b *scatterBuilder) withExactSum(p ComputedPart) ComputedPart {
	for _, a := range b.out.Aggs {
		if a.Col == p.Col && a.Func == AggSum && a.ExactCol != 0 {
			p.ExactCol, p.PrecCol = a.ExactCol, b.divPrecision()
			break
		}
	}
	return p
}
