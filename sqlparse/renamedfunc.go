package sqlparse

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// The parser reads MariaDB's CHAR(n, ... [USING charset]) and the string
// function INSERT(s, pos, len, new) as calls of its own char_func(n, ...,
// charset or NULL) and insert_func(...), and writes them back so: a
// statement Strata renders for the shards would call functions no server
// has ("FUNCTION blog.CHAR_FUNC does not exist"). renamedFuncs swaps each
// such call for a renamedFunc, which writes the MariaDB name again.

// sqlNames maps the parser's names to MariaDB's.
var sqlNames = map[string]string{ast.CharFunc: "CHAR", ast.InsertFunc: "INSERT"}

// renamedFunc is such a call; its arguments stay visible to visitors.
type renamedFunc struct {
	*ast.FuncCallExpr
	name string
}

// castNames maps the calls MySQLForm writes for a CAST to a type MySQL's
// grammar lacks to that type.
var castNames = map[string]string{castFuncPrefix + "uuid": "UUID", castFuncPrefix + "inet6": "INET6"}

// Restore writes NAME(args), CHAR's charset as USING, and a stand-in of a
// CAST as CAST(arg AS type).
func (c *renamedFunc) Restore(ctx *format.RestoreCtx) error {
	if typ, ok := castNames[c.FnName.L]; ok && len(c.Args) == 1 {
		ctx.WriteKeyWord("CAST")
		ctx.WritePlain("(")
		if err := c.Args[0].Restore(ctx); err != nil {
			return err
		}
		ctx.WriteKeyWord(" AS " + typ)
		ctx.WritePlain(")")
		return nil
	}
	ctx.WriteKeyWord(c.name)
	ctx.WritePlain("(")
	args := c.Args
	var using ast.ExprNode
	if c.FnName.L == ast.CharFunc && len(args) > 0 {
		args, using = args[:len(args)-1], args[len(args)-1]
	}
	for i, a := range args {
		if i > 0 {
			ctx.WritePlain(", ")
		}
		if err := a.Restore(ctx); err != nil {
			return err
		}
	}
	if v, ok := using.(ast.ValueExpr); ok && v.GetValue() != nil {
		ctx.WriteKeyWord(" USING ")
		ctx.WriteKeyWord(v.GetString())
	}
	ctx.WritePlain(")")
	return nil
}

// Accept visits the call and its arguments, keeping the call renamed.
func (c *renamedFunc) Accept(v ast.Visitor) (ast.Node, bool) {
	n, skip := v.Enter(c)
	if skip || n != ast.Node(c) {
		return v.Leave(n)
	}
	for i, a := range c.Args {
		node, ok := a.Accept(v)
		if !ok {
			return c, false
		}
		c.Args[i] = node.(ast.ExprNode)
	}
	return v.Leave(c)
}

// renamedFuncs is the visitor that installs renamedFuncs.
type renamedFuncs struct{}

func (renamedFuncs) Enter(n ast.Node) (ast.Node, bool) { return n, false }

func (renamedFuncs) Leave(n ast.Node) (ast.Node, bool) {
	if f, ok := n.(*ast.FuncCallExpr); ok {
		if name, ok := sqlNames[f.FnName.L]; ok {
			return &renamedFunc{FuncCallExpr: f, name: name}, true
		}
		if _, ok := castNames[f.FnName.L]; ok {
			return &renamedFunc{FuncCallExpr: f, name: "CAST"}, true
		}
	}
	return n, true
}
