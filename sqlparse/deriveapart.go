package sqlparse

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A multi-table UPDATE or DELETE that joins the tables it writes with a
// table living apart from them — `UPDATE entries e JOIN users u ON u.id =
// e.user_id SET e.status = 'hidden' WHERE u.banned = 1`, entries sharded
// and users on a cluster of its own — has no server holding every table.
// The table it only reads can become a derived table of its rows, `(SELECT
// * FROM users AS u WHERE u.banned = 1) AS u`, which Strata runs first
// (Pullout) and puts in every shard's statement as literals: each shard
// then joins its own rows of the written table with all of them, as one
// server would. The read keeps the conditions of WHERE and ON that are
// the table's own (Materialization's rules: never WHERE's to the inner
// side of an outer join).

// WrittenJoin is an equality of WHERE or ON between a column of a table
// that a write reads and a column of a table it writes (names as written).
type WrittenJoin struct{ Column, Written, WrittenColumn string }

// DeriveApart rewrites a multi-table UPDATE or DELETE (args: a prepared
// statement's bound values, as in PullOutArgs) so that each table it only
// reads, and that apart says lives apart from the tables it writes (names
// as written; joins: the read table's equalities with them), is a derived
// table of its usable rows. It returns
// ErrNotMaterialized when the statement is not such a write, when which
// table a SET column belongs to is not written out (`SET score = 1`, where
// only the schema knows), or when no table is apart.
func (m Mode) DeriveApart(sql string, args []string, apart func(read string, written []string, joins []WrittenJoin) bool) (string, error) {
	stmts, err := m.parseAST(sql)
	if err != nil {
		return "", err
	}
	if len(stmts) != 1 {
		return "", ErrNotMaterialized
	}
	refs, where, targets, ok := writtenTables(stmts[0])
	if !ok || refs == nil || refs.TableRefs == nil {
		return "", ErrNotMaterialized
	}
	if args != nil {
		if n := replaceParams(stmts[0], &shardImpl{args: args}); n != len(args) {
			return "", fmt.Errorf("sqlparse: %d bound values for %d placeholders", len(args), n)
		}
	}
	mat, err := m.materialize(&ast.SelectStmt{Kind: ast.SelectStmtKindSelect, From: refs, Where: where})
	if err != nil {
		return "", err
	}
	isTarget := func(t MatTable) bool { return slices.Contains(targets, strings.ToLower(t.Alias)) }
	var written []string
	for _, t := range mat.Tables {
		if isTarget(t) {
			written = append(written, t.Name)
		}
	}
	if len(written) == 0 {
		return "", ErrNotMaterialized
	}
	derived := 0
	for i, t := range mat.Tables {
		if isTarget(t) || t.Derived != "" || t.inSubquery || !apart(t.Name, written, mat.writtenJoins(i, isTarget)) {
			continue
		}
		t.source.Source = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: "(" + mat.Query(i, nil) + ")"}
		t.source.AsName = ast.NewCIStr(t.Alias)
		derived++
	}
	if derived == 0 {
		return "", ErrNotMaterialized
	}
	return m.restore(stmts[0])
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

// writtenTables is a multi-table UPDATE's or DELETE's table references,
// WHERE, and the names (aliases, lower case) of the tables it writes; ok
// is false for any other statement, or an UPDATE that sets a column
// without naming its table.
func writtenTables(stmt ast.StmtNode) (refs *ast.TableRefsClause, where ast.ExprNode, targets []string, ok bool) {
	switch st := stmt.(type) {
	case *ast.UpdateStmt:
		// (MultipleTable is set for a comma list only, not for JOIN: a
		// one-table UPDATE has no table apart and ends below.)
		if st.With != nil {
			return nil, nil, nil, false
		}
		for _, a := range st.List {
			if a.Column.Table.L == "" {
				return nil, nil, nil, false
			}
			targets = append(targets, a.Column.Table.L)
		}
		return st.TableRefs, st.Where, targets, true
	case *ast.DeleteStmt:
		if !st.IsMultiTable || st.With != nil || st.Tables == nil {
			return nil, nil, nil, false
		}
		for _, t := range st.Tables.Tables {
			targets = append(targets, t.Name.L)
		}
		return st.TableRefs, st.Where, targets, true
	}
	return nil, nil, nil, false
}
