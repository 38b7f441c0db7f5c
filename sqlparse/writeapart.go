package sqlparse

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// An UPDATE or DELETE that joins the tables it writes with a table
// living apart from them — `UPDATE entries e JOIN users u ON u.id =
// e.user_id SET e.status = 'hidden' WHERE u.banned = 1`, entries sharded
// and users on a cluster of its own — or reads such a table in a
// subquery (`DELETE FROM entries WHERE NOT EXISTS (SELECT 1 FROM users u
// WHERE u.id = entries.user_id)`, `SET author = (SELECT name FROM users u
// WHERE u.id = e.user_id)`), has no server holding every table. Strata
// reads the rows of each table it only reads first, with the conditions of
// WHERE and ON that are that table's own (Materialization's rules: never
// WHERE's to the inner side of an outer join, a subquery's own WHERE to
// its tables), and puts them in the statement as a table of literals: each
// shard then joins (or compares) its own rows of the written table with
// all of them, as one server would.

// WrittenJoin is an equality of WHERE or ON between a column of a table
// that a write reads and a column of a table it writes (names as written).
type WrittenJoin struct{ Column, Written, WrittenColumn string }

// WriteApart is an UPDATE or DELETE with tables to read first.
type WriteApart struct {
	// Reads are the indexes (into Tables) of the tables to read, in order.
	Reads  []int
	Tables []MatTable
	mat    *Materialization
	stmt   ast.StmtNode
}

// WriteApart analyzes an UPDATE or DELETE (args: a prepared statement's
// bound values, as in PullOutArgs): each table it only reads, and that
// apart says lives apart from the tables it writes (names as written;
// joins: the read table's equalities with them), is to be read first. It
// returns ErrNotMaterialized when the statement is not such a write, when
// which table a SET column of a multi-table UPDATE belongs to is not
// written out (`SET score = 1`, where only the schema knows), or when no
// table is apart.
func (m Mode) WriteApart(sql string, args []string, apart func(read string, written []string, joins []WrittenJoin) bool) (*WriteApart, error) {
	stmts, err := m.parseAST(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, ErrNotMaterialized
	}
	refs, where, set, targets, ok := writtenTables(stmts[0])
	if !ok || refs == nil || refs.TableRefs == nil {
		return nil, ErrNotMaterialized
	}
	if args != nil {
		if n := replaceParams(stmts[0], &shardImpl{args: args}); n != len(args) {
			return nil, fmt.Errorf("sqlparse: %d bound values for %d placeholders", len(args), n)
		}
	}
	// The statement as a SELECT of its SET values over its tables: what
	// Materialization reads, subqueries included.
	sel := &ast.SelectStmt{Kind: ast.SelectStmtKindSelect, From: refs, Where: where}
	if len(set) > 0 {
		sel.Fields = &ast.FieldList{}
		for _, e := range set {
			sel.Fields.Fields = append(sel.Fields.Fields, &ast.SelectField{Expr: e})
		}
	}
	mat, err := m.materialize(sel, false)
	if err != nil {
		return nil, err
	}
	if targets == nil { // a one-table write: its table
		for _, t := range mat.Tables {
			if t.depth == 0 {
				targets = append(targets, strings.ToLower(t.Alias))
			}
		}
	}
	isTarget := func(t MatTable) bool { return t.depth == 0 && slices.Contains(targets, strings.ToLower(t.Alias)) }
	var written []string
	for _, t := range mat.Tables {
		if isTarget(t) {
			written = append(written, t.Name)
		}
	}
	if len(written) == 0 {
		return nil, ErrNotMaterialized
	}
	w := &WriteApart{Tables: mat.Tables, mat: mat, stmt: stmts[0]}
	for i, t := range mat.Tables {
		if !isTarget(t) && t.Derived == "" && apart(t.Name, written, mat.writtenJoins(i, isTarget)) {
			w.Reads = append(w.Reads, i)
		}
	}
	if len(w.Reads) == 0 {
		return nil, ErrNotMaterialized
	}
	return w, nil
}

// Query is the statement that reads table i (one of Reads): as
// Materialization.Query, narrowed by the keys of tables read before it
// (nil values for a key on a table not read).
func (w *WriteApart) Query(i int, keyValues [][]string) string { return w.mat.Query(i, keyValues) }

// Render returns the write with each table of Reads replaced by its rows
// (tables[k] for Reads[k]).
func (w *WriteApart) Render(tables []PulledTable) (string, error) {
	if len(tables) != len(w.Reads) {
		return "", fmt.Errorf("sqlparse: Render needs the rows of %d tables", len(w.Reads))
	}
	read := make([]MatTable, 0, len(w.Reads))
	for k, i := range w.Reads {
		t := w.Tables[i]
		t.source.Source = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: "(" + tableOfLiterals(tables[k]) + ")"}
		t.source.AsName = ast.NewCIStr(t.Alias)
		read = append(read, t)
	}
	// (A table not read stays in place, with the conjuncts it was to be
	// read with.)
	dropPushed(w.stmt, read)
	return w.mat.mode.restore(w.stmt)
}

// writtenJoins lists the join equalities between table i and the tables
// written. (Materialization keeps each equality once, on the table read
// later, pointing to the one read before.)
func (m *Materialization) writtenJoins(i int, isTarget func(MatTable) bool) []WrittenJoin {
	var out []WrittenJoin
	for _, k := range m.Tables[i].Keys {
		if w := m.Tables[k.Other]; isTarget(w) {
			out = append(out, WrittenJoin{Column: k.Column, Written: w.Name, WrittenColumn: k.OtherColumn})
		}
	}
	for _, w := range m.Tables {
		if !isTarget(w) {
			continue
		}
		for _, k := range w.Keys {
			if k.Other == i {
				out = append(out, WrittenJoin{Column: k.OtherColumn, Written: w.Name, WrittenColumn: k.Column})
			}
		}
	}
	return out
}

// writtenTables is an UPDATE's or DELETE's table references, WHERE, SET
// values, and the names (aliases, lower case) of the tables it writes:
// nil for a one-table write, whose table is the one written; ok is false
// for any other statement, or a multi-table UPDATE that sets a column
// without naming its table.
func writtenTables(stmt ast.StmtNode) (refs *ast.TableRefsClause, where ast.ExprNode, set []ast.ExprNode, targets []string, ok bool) {
	switch st := stmt.(type) {
	case *ast.UpdateStmt:
		if st.With != nil || st.TableRefs == nil || st.TableRefs.TableRefs == nil {
			return nil, nil, nil, nil, false
		}
		// (MultipleTable is set for a comma list only, not for JOIN.)
		_, oneTable := st.TableRefs.TableRefs.Left.(*ast.TableSource)
		oneTable = oneTable && st.TableRefs.TableRefs.Right == nil
		for _, a := range st.List {
			set = append(set, a.Expr)
			if oneTable {
				continue
			}
			if a.Column.Table.L == "" {
				return nil, nil, nil, nil, false
			}
			targets = append(targets, a.Column.Table.L)
		}
		return st.TableRefs, st.Where, set, targets, true
	case *ast.DeleteStmt:
		if st.With != nil {
			return nil, nil, nil, nil, false
		}
		if !st.IsMultiTable {
			return st.TableRefs, st.Where, nil, nil, true
		}
		if st.Tables == nil {
			return nil, nil, nil, nil, false
		}
		for _, t := range st.Tables.Tables {
			targets = append(targets, t.Name.L)
		}
		return st.TableRefs, st.Where, nil, targets, true
	}
	return nil, nil, nil, nil, false
}
