package sqlparse

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// InKeyOrder returns sql, a SELECT of one table that leaves the order of
// its rows to the server, ordered by that table's primary key (key names
// its columns for a table's name as written, nil when not known): the
// order InnoDB keeps the rows in, and so the order one server reads
// them in. Strata runs such a SELECT first over shards (a derived table,
// a CTE, an INSERT ... SELECT), whose answers arrive in any order: so
// ordered, the rows a LIMIT keeps, the ids an INSERT gives them and what
// RAND(n) draws over them are one server's, and the same each time. ok
// is false, and sql is returned as it is, for any other statement: one
// with an ORDER BY, GROUP BY, DISTINCT, aggregates, window functions,
// several tables, or a table whose key is not known.
func (m Mode) InKeyOrder(sql string, key func(table string) []string) (string, bool) {
	stmts, err := m.parseAST(sql)
	if err != nil || len(stmts) != 1 {
		return sql, false
	}
	sel, ok := stmts[0].(*ast.SelectStmt)
	if !ok || sel.OrderBy != nil || sel.GroupBy != nil || sel.Having != nil || sel.Distinct || sel.WindowSpecs != nil ||
		sel.LockInfo != nil || sel.SelectIntoOpt != nil || sel.With != nil || sel.From == nil || sel.Fields == nil {
		return sql, false
	}
	src, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok || sel.From.TableRefs.Right != nil {
		return sql, false
	}
	table, ok := src.Source.(*ast.TableName)
	if !ok {
		return sql, false
	}
	for _, f := range sel.Fields.Fields {
		if f.Expr != nil && containsNode(f.Expr, func(n ast.Node) bool {
			switch n.(type) {
			case *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
				return true
			}
			return false
		}) {
			return sql, false
		}
	}
	name := table.Name.O
	if table.Schema.O != "" {
		name = table.Schema.O + "." + name
	}
	columns := key(name)
	if len(columns) == 0 {
		return sql, false
	}
	qualifier := table.Name
	if src.AsName.L != "" {
		qualifier = src.AsName
	}
	by := &ast.OrderByClause{}
	for _, c := range columns {
		by.Items = append(by.Items, &ast.ByItem{Expr: &ast.ColumnNameExpr{Name: &ast.ColumnName{Table: qualifier, Name: ast.NewCIStr(c)}}})
	}
	sel.OrderBy = by
	out, err := m.restore(sel)
	if err != nil {
		return sql, false
	}
	return out, true
}
