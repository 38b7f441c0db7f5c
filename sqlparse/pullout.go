package sqlparse

import (
	"errors"
	"fmt"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A SELECT that filters with `x [NOT] IN (SELECT y FROM sharded ...)`
// cannot run on the shards as written: each shard would see only its own
// part of the subquery's rows. Strata runs such a subquery first, as a
// statement of its own (routed, scattered and merged like any other), and
// puts its values in place of it: `x IN (3, 7, 9)`. That also lets the
// outer statement route by the values when x is a shard key.
//
// Only uncorrelated subqueries can run alone. Whether one is correlated is
// decided by running it: a subquery that names a column or table of the
// outer statement fails on its own with an unknown-column error, and one
// whose names all resolve alone resolves the same way inside the
// statement (MySQL binds a name to the innermost query that has it).

// Pullout is a SELECT with IN subqueries to run first.
type Pullout struct {
	// Subqueries are the texts of the subqueries, in order of appearance.
	Subqueries []string
	mode       Mode
	stmt       ast.StmtNode
	ins        []*ast.PatternInExpr
}

// ErrNoPullout: the statement has no IN subquery Strata can run first.
var ErrNoPullout = errors.New("sqlparse: no IN (SELECT ...) to run first")

// PullOut finds the IN (SELECT one column ...) subqueries of a SELECT's
// WHERE and HAVING (not those inside another subquery: they run with
// theirs). It returns ErrNoPullout when there is none.
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
	f := &inFinder{}
	for _, cond := range []ast.ExprNode{sel.Where, havingExpr(sel)} {
		if cond != nil {
			cond.Accept(f)
		}
	}
	for _, in := range f.found {
		text, err := m.restore(in.Sel.(*ast.SubqueryExpr).Query)
		if err != nil {
			return nil, err
		}
		p.Subqueries = append(p.Subqueries, text)
		p.ins = append(p.ins, in)
	}
	if len(p.ins) == 0 {
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

// inFinder collects IN subqueries whose query is one SELECT of one
// column, without descending into any subquery.
type inFinder struct{ found []*ast.PatternInExpr }

func (f *inFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.PatternInExpr:
		sub, ok := v.Sel.(*ast.SubqueryExpr)
		if !ok {
			return n, false
		}
		if q, ok := sub.Query.(*ast.SelectStmt); ok && q.Fields != nil && len(q.Fields.Fields) == 1 && q.Fields.Fields[0].WildCard == nil {
			f.found = append(f.found, v)
		}
		return n, true
	case *ast.SubqueryExpr:
		return n, true
	}
	return n, false
}

func (f *inFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// Render returns the statement with subquery i replaced by the SQL
// literals values[i] (NULL allowed: x IN (1, NULL) means what it means
// with the subquery). A subquery without rows makes its IN false and its
// NOT IN true, whatever x is, as MySQL has it. Render changes the parsed
// statement: call it once.
func (p *Pullout) Render(values [][]string) (string, error) {
	if len(values) != len(p.ins) {
		return "", errors.New("sqlparse: Render needs the values of every subquery")
	}
	empty := map[*ast.PatternInExpr]string{}
	for i, in := range p.ins {
		if len(values[i]) == 0 {
			empty[in] = "0"
			if in.Not {
				empty[in] = "1"
			}
			continue
		}
		list := make([]ast.ExprNode, len(values[i]))
		for k, v := range values[i] {
			list[k] = newRawExpr(v)
		}
		in.Sel, in.List = nil, list
	}
	if len(empty) > 0 {
		p.stmt.Accept(&inReplacer{empty: empty})
	}
	return p.mode.restore(p.stmt)
}

// inReplacer swaps IN nodes for a constant.
type inReplacer struct{ empty map[*ast.PatternInExpr]string }

func (r *inReplacer) Enter(n ast.Node) (ast.Node, bool) {
	if in, ok := n.(*ast.PatternInExpr); ok {
		if v, ok := r.empty[in]; ok {
			return newRawExpr(v), true
		}
	}
	return n, false
}

func (r *inReplacer) Leave(n ast.Node) (ast.Node, bool) { return n, true }
