package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// CreateSelect is CREATE [TEMPORARY] TABLE [IF NOT EXISTS] t [AS] SELECT
// ..., in its plain form (no column definitions, keys, options or
// partitions of its own): the new table takes the SELECT's columns.
// Over placed tables Strata reads the SELECT's rows first, and the
// server that creates the table (the default cluster's) takes them as
// literals, with the column definitions a shard gives the SELECT.
type CreateSelect struct {
	// Table is the new table as written, quoted.
	Table string
	// Name is its unqualified name, lower case.
	Name                   string
	Temporary, IfNotExists bool
	// Select is the SELECT.
	Select string
	// shape is the SELECT with LIMIT 0 in place of its own: its columns,
	// typed as the SELECT's, and no rows.
	shape string
}

// CreateSelect reads sql as a plain CREATE TABLE ... SELECT; ok is
// false for any other statement or form.
func (m Mode) CreateSelect(sql string) (*CreateSelect, bool) {
	stmts, err := m.parseAST(sql)
	if err != nil || len(stmts) != 1 {
		return nil, false
	}
	st, ok := stmts[0].(*ast.CreateTableStmt)
	if !ok || st.Select == nil || st.ReferTable != nil || len(st.Cols) > 0 || len(st.Constraints) > 0 ||
		len(st.Options) > 0 || st.Partition != nil || st.OnDuplicate != ast.OnDuplicateKeyHandlingError ||
		st.TemporaryKeyword == ast.TemporaryGlobal {
		return nil, false
	}
	sel, err := m.restore(st.Select)
	if err != nil {
		return nil, false
	}
	// LIMIT 0 in the SELECT's own place: around it, in parentheses or
	// as a derived table, the server would type the columns of a
	// materialized result (a NOT NULL column gains a DEFAULT 0).
	none := &ast.Limit{Count: ast.NewValueExpr(0, "", "")}
	switch q := st.Select.(type) {
	case *ast.SelectStmt:
		q.Limit = none
	case *ast.SetOprStmt:
		q.Limit = none
	default:
		return nil, false
	}
	shape, err := m.restore(st.Select)
	if err != nil {
		return nil, false
	}
	table := QuoteIdentifier(st.Table.Name.O)
	if st.Table.Schema.O != "" {
		table = QuoteIdentifier(st.Table.Schema.O) + "." + table
	}
	return &CreateSelect{Table: table, Name: st.Table.Name.L, Temporary: st.TemporaryKeyword == ast.TemporaryLocal,
		IfNotExists: st.IfNotExists, Select: sel, shape: shape}, true
}

// ShapeTable is the temporary table a shard creates with the SELECT's
// columns and no rows (ShapeSQL), whose definition the new table takes.
const ShapeTable = "strata_create_select_shape"

// ShapeSQL creates ShapeTable on a shard: the SELECT's columns, typed as
// one server types them, and no rows.
func (c *CreateSelect) ShapeSQL() string {
	return "CREATE TEMPORARY TABLE " + QuoteIdentifier(ShapeTable) + " AS " + c.shape
}

// WithRows is the statement that creates the table from shape, the SHOW
// CREATE TABLE of ShapeTable, and fills it with rows, the SELECT's rows
// read first: CREATE [TEMPORARY] TABLE [IF NOT EXISTS] t (<shape's
// columns>) <shape's options> SELECT * FROM (<rows>) AS `strata_rows`,
// whose columns the server matches with the definitions by name. ok is
// false when shape is not such a definition.
func (c *CreateSelect) WithRows(shape string, rows PulledTable) (string, bool) {
	prefix := "CREATE TEMPORARY TABLE " + QuoteIdentifier(ShapeTable) + " ("
	if !strings.HasPrefix(shape, prefix) {
		return "", false
	}
	var b strings.Builder
	b.WriteString("CREATE ")
	if c.Temporary {
		b.WriteString("TEMPORARY ")
	}
	b.WriteString("TABLE ")
	if c.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(c.Table)
	b.WriteString(" (")
	b.WriteString(shape[len(prefix):])
	b.WriteString(" SELECT * FROM (")
	b.WriteString(tableOfLiterals(rows))
	b.WriteString(") AS `strata_rows`")
	return b.String(), true
}
