package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// An INSERT into a date-sharded log table gives its time key as NOW(), or
// leaves it to the column's DEFAULT CURRENT_TIMESTAMP; other tables give
// a key as UUID() or 1 + 19. Strata routes a row by the value of its
// key, which such an expression does not show. So the session evaluates
// those expressions first, where the statement would run, and writes
// their values into the statement as literals: the row is stored with the
// very value it is routed by, and one server stores what such an
// expression gives at that moment too. A key column whose default is such
// an expression (DEFAULT uuid()) is filled the same way in each row that
// leaves it to its default.

// InsertKeys are the shard-key values of an INSERT ... VALUES (or SET)
// that are expressions Strata can evaluate on their own.
type InsertKeys struct {
	// Table is the table written, as the statement names it.
	Table string
	// Exprs are the expressions to evaluate, one per row that gives one.
	Exprs []string
	// Missing: the statement gives no value for the key column, so each
	// row takes the column's default.
	Missing bool
	// Defaulted are the rows (by index) that give the key DEFAULT (or
	// DEFAULT(key)), and so take the column's default too.
	Defaulted []int
	// ReadsInsertID: an expression reads LAST_INSERT_ID() (a child row
	// keyed by the parent's new id), written LAST_INSERT_ID() in Exprs
	// for the session to put its value in.
	ReadsInsertID bool

	mode   Mode
	stmt   *ast.InsertStmt
	column string
	rows   []int // the row of each of Exprs
	at     int   // the key's index in the column list; -1 when Missing
}

// InsertKeyExprs finds, in an INSERT or REPLACE with VALUES or SET and a
// column list, the rows whose shard key (keyOf: the key column of a
// table as named, "" for a table not sharded) is an expression of no
// column, variable, placeholder or subquery, nor of the session's
// previous statement (LAST_INSERT_ID(), ROW_COUNT()), and those that leave
// the key to its default; ok is false when there are none.
func (m Mode) InsertKeyExprs(sql string, keyOf func(table string) string) (*InsertKeys, bool) {
	stmts, err := m.parseAST(sql)
	if err != nil || len(stmts) != 1 {
		return nil, false
	}
	ins, ok := stmts[0].(*ast.InsertStmt)
	if !ok || ins.Select != nil || len(ins.Columns) == 0 || len(ins.Lists) == 0 || ins.Table == nil {
		return nil, false
	}
	_, table, ok := onlyTable(ins.Table)
	if !ok {
		return nil, false
	}
	key := strings.ToLower(keyOf(table))
	if key == "" {
		return nil, false
	}
	k := &InsertKeys{Table: table, mode: m, stmt: ins, column: key, at: -1}
	for i, c := range ins.Columns {
		if c.Name.L == key {
			k.at = i
		}
	}
	if k.at < 0 {
		k.Missing = true
		return k, true
	}
	for row, values := range ins.Lists {
		if k.at >= len(values) {
			continue
		}
		if isDefaultOf(values[k.at], key) {
			k.Defaulted = append(k.Defaulted, row)
			continue
		}
		if !evaluableAlone(values[k.at]) {
			continue
		}
		k.ReadsInsertID = k.ReadsInsertID || containsNode(values[k.at], isInsertIDCall)
		text, err := m.restore(values[k.at])
		if err != nil {
			return nil, false
		}
		k.Exprs = append(k.Exprs, text)
		k.rows = append(k.rows, row)
	}
	return k, len(k.Exprs) > 0 || len(k.Defaulted) > 0
}

// isDefaultOf: e is DEFAULT, or DEFAULT(column), the default of the
// column it is written for.
func isDefaultOf(e ast.ExprNode, column string) bool {
	d, ok := e.(*ast.DefaultExpr)
	return ok && (d.Name == nil || d.Name.Name.L == column)
}

// TakingDefault is how many rows take the key column's default: every row
// when the column is Missing, else the Defaulted ones.
func (k *InsertKeys) TakingDefault() int {
	if k.Missing {
		return len(k.stmt.Lists)
	}
	return len(k.Defaulted)
}

// onlyTable is the one table a statement's FROM (or INSERT's INTO)
// names, and its name as written (schema-qualified when it is); ok is
// false for a join, a derived table or no table.
func onlyTable(from *ast.TableRefsClause) (*ast.TableSource, string, bool) {
	if from == nil || from.TableRefs == nil || from.TableRefs.Right != nil {
		return nil, "", false
	}
	ts, ok := from.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, "", false
	}
	name, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, "", false
	}
	table := name.Name.O
	if name.Schema.O != "" {
		table = name.Schema.O + "." + table
	}
	return ts, table, true
}

// previousStatementFuncs read the state the session's previous statement
// left on its connection, which another connection does not have.
var previousStatementFuncs = map[string]bool{
	"last_insert_id": true, "row_count": true, "found_rows": true, "connection_id": true,
	"nextval": true, "lastval": true, "setval": true, "next_value": true, "previous_value": true,
}

// evaluableAlone: e is an expression (not a literal) whose value does not
// depend on the row, the statement or the connection it runs on.
func evaluableAlone(e ast.ExprNode) bool {
	switch e.(type) {
	case ast.ValueExpr, *ast.DefaultExpr, *test_driver.ParamMarkerExpr, *paramNode:
		return false
	}
	return !containsNode(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ColumnNameExpr, *ast.SubqueryExpr, *ast.VariableExpr, *test_driver.ParamMarkerExpr,
			*ast.DefaultExpr, *ast.AggregateFuncExpr, *ast.WindowFuncExpr, *paramNode:
			return true
		case *ast.FuncCallExpr:
			// LAST_INSERT_ID() the session knows; LAST_INSERT_ID(expr)
			// sets it.
			return previousStatementFuncs[n.FnName.L] && !isInsertIDCall(n)
		}
		return false
	})
}

// isInsertIDCall: n is LAST_INSERT_ID(), which reads the session's value.
func isInsertIDCall(n ast.Node) bool {
	f, ok := n.(*ast.FuncCallExpr)
	return ok && f.FnName.L == "last_insert_id" && len(f.Args) == 0
}

// Render is the statement with Exprs replaced by values (SQL literals, in
// order) and the rows that take the key column's default given filled
// instead: when Missing, the key column is added with filled as the
// rows' values; else the Defaulted rows' DEFAULT is replaced. filled holds
// one value per such row (TakingDefault), or one for them all; none
// leaves them as written.
func (k *InsertKeys) Render(values, filled []string) (string, error) {
	for i, row := range k.rows {
		k.stmt.Lists[row][k.at] = newRawExpr(values[i])
	}
	fill := func(i int) ast.ExprNode {
		if len(filled) == 1 {
			return newRawExpr(filled[0])
		}
		return newRawExpr(filled[i])
	}
	switch {
	case len(filled) == 0:
	case k.Missing:
		k.stmt.Columns = append(k.stmt.Columns, &ast.ColumnName{Name: ast.NewCIStr(k.column)})
		for row := range k.stmt.Lists {
			k.stmt.Lists[row] = append(k.stmt.Lists[row], fill(row))
		}
	default:
		for i, row := range k.Defaulted {
			k.stmt.Lists[row][k.at] = fill(i)
		}
	}
	return k.mode.restore(k.stmt)
}

// EvaluableAlone reports whether expr, a column's default as
// information_schema writes it (uuid(), current_timestamp()), is an
// expression of no column, variable or other state of the session, which
// Strata can evaluate on its own: not a literal.
func (m Mode) EvaluableAlone(expr string) bool {
	stmts, err := m.parseAST("SELECT " + expr)
	if err != nil || len(stmts) != 1 {
		return false
	}
	sel, ok := stmts[0].(*ast.SelectStmt)
	if !ok || sel.From != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].Expr == nil {
		return false
	}
	return evaluableAlone(sel.Fields.Fields[0].Expr)
}
