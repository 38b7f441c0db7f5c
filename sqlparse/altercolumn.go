package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// KeyColumnChange says how an ALTER TABLE of table changes its column
// column so that the column no longer exists under that name: "renames"
// (RENAME COLUMN, or CHANGE to another name) or "drops" (DROP COLUMN);
// and "lacks" for a CREATE TABLE of table that defines its columns
// without column (not one LIKE another table, nor one whose columns a
// SELECT gives); "" for any other statement. A sharded table's rows are placed by a
// column of the config's naming, which such a change takes away.
func (m Mode) KeyColumnChange(sql, table, column string) string {
	stmts, err := m.parseAST(sql)
	if err != nil || len(stmts) != 1 {
		return ""
	}
	named := func(c *ast.ColumnName) bool { return c != nil && strings.EqualFold(c.Name.O, column) }
	if create, ok := stmts[0].(*ast.CreateTableStmt); ok {
		if create.Table == nil || !strings.EqualFold(create.Table.Name.O, table) || len(create.Cols) == 0 || create.Select != nil || create.ReferTable != nil {
			return ""
		}
		for _, c := range create.Cols {
			if named(c.Name) {
				return ""
			}
		}
		return "lacks"
	}
	alter, ok := stmts[0].(*ast.AlterTableStmt)
	if !ok || alter.Table == nil || !strings.EqualFold(alter.Table.Name.O, table) {
		return ""
	}
	for _, spec := range alter.Specs {
		switch spec.Tp {
		case ast.AlterTableDropColumn:
			if named(spec.OldColumnName) {
				return "drops"
			}
		case ast.AlterTableRenameColumn:
			if named(spec.OldColumnName) && !named(spec.NewColumnName) {
				return "renames"
			}
		case ast.AlterTableChangeColumn:
			if named(spec.OldColumnName) && len(spec.NewColumns) == 1 && !named(spec.NewColumns[0].Name) {
				return "renames"
			}
		}
	}
	return ""
}
