package sqlparse

import (
	"errors"
	"fmt"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A SELECT that reads a sharded table in a subquery — `x IN (SELECT y
// FROM sharded ...)`, the ORM's way to filter by another table; a value
// `(SELECT COUNT(*) FROM sharded)`; `EXISTS (SELECT ...)` — cannot run on
// the shards as written: each shard would see only its own part of the
// subquery's rows. Strata runs such a subquery first, as a statement of its
// own (routed, scattered and merged like any other), and puts what it
// returned in its place: `x IN (3, 7, 9)`, `(20000)`, `1`. That also lets
// the outer statement route by the values when x is a shard key.
//
// Only uncorrelated subqueries can run alone. Whether one is correlated is
// decided by running it: a subquery that names a column or table of the
// outer statement fails on its own with an unknown-column error, and one
// whose names all resolve alone resolves the same way inside the
// statement (MySQL binds a name to the innermost query that has it).

// Pullout is a SELECT with subqueries to run first.
type Pullout struct {
	// Subqueries are the texts of the subqueries, in order of appearance,
	// and Kinds what each stands for.
	Subqueries []string
	Kinds      []PullKind
	// Typed: the subquery's value is a column of the result, whose type
	// the client sees (a literal of its own type then); elsewhere a plain
	// literal lets a compared shard key route.
	Typed []bool
	mode  Mode
	stmt  ast.StmtNode
	nodes []ast.ExprNode // the node each subquery's values replace
}

// PullKind is how a subquery's rows replace it.
type PullKind uint8

const (
	// PullIn is x [NOT] IN (SELECT y ...): the distinct values of y.
	PullIn PullKind = iota
	// PullScalar is (SELECT y ...) as a value: its one row's y, NULL
	// without rows; more than one row is MySQL's error 1242.
	PullScalar
	// PullExists is [NOT] EXISTS (SELECT ...): whether it has a row.
	PullExists
)

// ErrNoPullout: the statement has no subquery Strata can run first.
var ErrNoPullout = errors.New("sqlparse: no IN (SELECT ...) to run first")

// PullOut finds the subqueries of a SELECT's select list, WHERE, HAVING
// and ORDER BY that Strata can run first (not those inside another
// subquery: they run with theirs). It returns ErrNoPullout when there is
// none.
func (m Mode) PullOut(sql string) (*Pullout, error) { return m.PullOutArgs(sql, nil) }

// PullOutArgs is PullOut for a prepared statement's text: its ? markers
// are the bound values args (SQL literals), in the subqueries and in the
// rendered statement alike.
func (m Mode) PullOutArgs(sql string, args []string) (*Pullout, error) {
	stmts, err := m.parseAST(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, ErrNoPullout
	}
	sel, ok := stmts[0].(*ast.SelectStmt)
	if !ok {
		return nil, ErrNoPullout
	}
	if args != nil {
		if n := replaceParams(sel, &shardImpl{args: args}); n != len(args) {
			return nil, fmt.Errorf("sqlparse: %d bound values for %d placeholders", len(args), n)
		}
	}
	nameFields(sel) // the rendered text keeps the client's column names
	p := &Pullout{mode: m, stmt: sel}
	f := &subqueryFinder{}
	if sel.Fields != nil {
		sel.Fields.Accept(f)
	}
	inFields := len(f.found)
	var exprs []ast.Node
	for _, e := range []ast.ExprNode{sel.Where, havingExpr(sel)} {
		if e != nil {
			exprs = append(exprs, e)
		}
	}
	if sel.OrderBy != nil {
		exprs = append(exprs, sel.OrderBy)
	}
	for _, e := range exprs {
		e.Accept(f)
	}
	for i, node := range f.found {
		text, err := m.restore(f.queries[i])
		if err != nil {
			return nil, err
		}
		p.Subqueries = append(p.Subqueries, text)
		p.Kinds = append(p.Kinds, f.kinds[i])
		p.Typed = append(p.Typed, i < inFields)
		p.nodes = append(p.nodes, node)
	}
	if len(p.nodes) == 0 {
		return nil, ErrNoPullout
	}
	return p, nil
}

func havingExpr(sel *ast.SelectStmt) ast.ExprNode {
	if sel.Having == nil {
		return nil
	}
	return sel.Having.Expr
}

// subqueryFinder collects the subqueries Strata can run first: IN lists
// and scalar values of one column, EXISTS, none inside another subquery
// (they run with theirs) and not x > ANY (SELECT ...).
type subqueryFinder struct {
	found   []ast.ExprNode
	queries []ast.ResultSetNode
	kinds   []PullKind
}

func (f *subqueryFinder) add(n ast.ExprNode, q ast.ResultSetNode, kind PullKind) {
	f.found = append(f.found, n)
	f.queries = append(f.queries, q)
	f.kinds = append(f.kinds, kind)
}

func (f *subqueryFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.PatternInExpr:
		sub, ok := v.Sel.(*ast.SubqueryExpr)
		if !ok {
			return n, false
		}
		if oneColumn(sub.Query) {
			f.add(v, sub.Query, PullIn)
		}
		return n, true
	case *ast.ExistsSubqueryExpr:
		if sub, ok := v.Sel.(*ast.SubqueryExpr); ok {
			if _, ok := sub.Query.(*ast.SelectStmt); ok {
				f.add(v, sub.Query, PullExists)
			}
		}
		return n, true
	case *ast.CompareSubqueryExpr:
		return n, true
	case *ast.SubqueryExpr:
		if oneColumn(v.Query) {
			f.add(v, v.Query, PullScalar)
		}
		return n, true
	}
	return n, false
}

func (f *subqueryFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// oneColumn: a single SELECT of one column, no *.
func oneColumn(q ast.ResultSetNode) bool {
	sel, ok := q.(*ast.SelectStmt)
	return ok && sel.Fields != nil && len(sel.Fields.Fields) == 1 && sel.Fields.Fields[0].WildCard == nil
}

// Render returns the statement with each subquery replaced by its
// values (SQL literals; NULL allowed): an IN list by values[i] (x IN (1,
// NULL) means what it means with the subquery; without values IN is false
// and NOT IN true, whatever x is, as MySQL has it), a scalar by its one
// value (NULL without one), EXISTS by whether values[i] has any. Render
// changes the parsed statement: call it once.
func (p *Pullout) Render(values [][]string) (string, error) {
	if len(values) != len(p.nodes) {
		return "", errors.New("sqlparse: Render needs the values of every subquery")
	}
	swap := map[ast.Node]string{}
	for i, node := range p.nodes {
		vals := values[i]
		switch p.Kinds[i] {
		case PullIn:
			in := node.(*ast.PatternInExpr)
			if len(vals) == 0 {
				swap[in] = map[bool]string{false: "0", true: "1"}[in.Not]
				continue
			}
			list := make([]ast.ExprNode, len(vals))
			for k, v := range vals {
				list[k] = newRawExpr(v)
			}
			in.Sel, in.List = nil, list
		case PullScalar:
			switch len(vals) {
			case 0:
				swap[node] = "NULL"
			case 1:
				swap[node] = "(" + vals[0] + ")"
			default:
				return "", errors.New("sqlparse: a scalar subquery has one value")
			}
		case PullExists:
			exists := len(vals) > 0
			if node.(*ast.ExistsSubqueryExpr).Not {
				exists = !exists
			}
			swap[node] = map[bool]string{false: "0", true: "1"}[exists]
		}
	}
	if len(swap) > 0 {
		p.stmt.Accept(&nodeSwapper{swap: swap})
	}
	return p.mode.restore(p.stmt)
}

// nodeSwapper replaces nodes by SQL text.
type nodeSwapper struct{ swap map[ast.Node]string }

func (r *nodeSwapper) Enter(n ast.Node) (ast.Node, bool) {
	if v, ok := r.swap[n]; ok {
		return newRawExpr(v), true
	}
	return n, false
}

func (r *nodeSwapper) Leave(n ast.Node) (ast.Node, bool) { return n, true }
