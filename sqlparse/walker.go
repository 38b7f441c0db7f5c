package sqlparse

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// walker is the one AST visitor of the package: a single pass over a
// statement collects the expression-level facts (tables, variables,
// functions, locking). Statement-level facts (kind, targets, transaction
// effects) come from classify, which looks at the top node only.
//
// Sharding will extend this visitor (shard-key predicates per table,
// ORDER BY/LIMIT/aggregates, table renames) rather than add passes: one
// walk per statement keeps the hot path cheap.
type walker struct {
	f    *Facts
	ctes cteScopes
	skip []*ast.TableName // names that are aliases, not tables (DELETE a FROM t a; FOR UPDATE OF a)
	// callee is the procedure of a CALL: parsed as a function call, but
	// it is not a (stored) function in an expression.
	callee *ast.FuncCallExpr
}

// cteScope holds the CTE names visible inside the statement that owns a
// WITH clause; an unqualified table name matching one is not a table.
type cteScope struct {
	owner ast.Node
	names []string
}

// cteScopes are the WITH scopes open at a point of a walk, innermost
// last: a visitor calls enter and leave for every node.
type cteScopes []cteScope

func (s *cteScopes) enter(n ast.Node) {
	if withClauseOf(n) != nil {
		*s = append(*s, cteScope{owner: n})
	}
	if with, ok := n.(*ast.WithClause); ok && with.IsRecursive {
		// A recursive CTE refers to itself inside its own definition.
		for _, cte := range with.CTEs {
			s.add(cte.Name.L)
		}
	}
}

func (s *cteScopes) leave(n ast.Node) {
	if cte, ok := n.(*ast.CommonTableExpression); ok {
		// Visible to the rest of the statement and to later CTEs, but not
		// inside its own (non-recursive) definition: WITH t AS (SELECT * FROM t).
		s.add(cte.Name.L)
	}
	if last := len(*s) - 1; last >= 0 && (*s)[last].owner == n {
		*s = (*s)[:last]
	}
}

func (s cteScopes) add(name string) {
	if last := len(s) - 1; last >= 0 {
		s[last].names = append(s[last].names, name)
	}
}

// names reports whether the unqualified table name t is a CTE's.
func (s cteScopes) names(t *ast.TableName) bool {
	if t.Schema.L != "" {
		return false
	}
	for i := len(s) - 1; i >= 0; i-- {
		if slices.Contains(s[i].names, t.Name.L) {
			return true
		}
	}
	return false
}

// walk runs the walker over one statement.
func walk(f *Facts, stmt ast.Node) {
	w := walker{f: f}
	stmt.Accept(&w)
}

// Enter implements ast.Visitor.
func (w *walker) Enter(n ast.Node) (ast.Node, bool) {
	w.ctes.enter(n)
	switch n := n.(type) {
	case *ast.TableName:
		w.tableName(n)
	case *ast.SelectStmt:
		w.selectStmt(n)
	case *ast.InsertStmt:
		// The parser visits the SELECT source before the target; the
		// target comes first in the text.
		for _, src := range tableSources(n.Table) {
			w.f.addTable(src.ref)
		}
	case *ast.DeleteStmt:
		if n.IsMultiTable && n.Tables != nil {
			w.skip = append(w.skip, n.Tables.Tables...) // resolved against aliases by deleteTargets
		}
	case *ast.CallStmt:
		w.callee = n.Procedure
	case *ast.VariableExpr:
		w.variable(n)
	case *ast.FuncCallExpr:
		if n != w.callee {
			w.function(n)
		}
	case *ast.ProcedureInfo:
		return n, true // a routine body runs later, at CALL time, not now
	}
	return n, false
}

// Leave implements ast.Visitor.
func (w *walker) Leave(n ast.Node) (ast.Node, bool) {
	w.ctes.leave(n)
	return n, true
}

func withClauseOf(n ast.Node) *ast.WithClause {
	switch n := n.(type) {
	case *ast.SelectStmt:
		return n.With
	case *ast.SetOprStmt:
		return n.With
	case *ast.SetOprSelectList:
		return n.With
	case *ast.UpdateStmt:
		return n.With
	case *ast.DeleteStmt:
		return n.With
	}
	return nil
}

func (w *walker) tableName(n *ast.TableName) {
	if n.Name.L == "" || slices.Contains(w.skip, n) {
		return
	}
	if w.ctes.names(n) {
		return
	}
	w.f.addTable(refOf(n))
}

func (w *walker) selectStmt(n *ast.SelectStmt) {
	if n.LockInfo != nil && n.LockInfo.LockType != ast.SelectLockNone {
		w.f.Locking = true
		w.skip = append(w.skip, n.LockInfo.Tables...) // FOR UPDATE OF names aliases
	}
	if n.SelectIntoOpt != nil {
		if n.SelectIntoOpt.Tp == ast.SelectIntoVars {
			w.f.SetsUserVars = true
		} else {
			w.f.IntoOutfile = true
		}
	}
	if n.SelectStmtOpts != nil && n.SelectStmtOpts.CalcFoundRows {
		w.f.CalcFoundRows = true
	}
}

func (w *walker) variable(n *ast.VariableExpr) {
	switch {
	case n.IsSystem && n.Value != nil:
		w.f.SideEffects = true // assigns a system variable inside an expression
	case n.IsSystem:
		name := strings.ToLower(n.Name)
		w.f.SessionFunctions = w.f.SessionFunctions || sessionSysVars[name]
		w.f.ReadsPrevious = w.f.ReadsPrevious || previousSysVars[name]
		w.f.ReadsReadOnly = w.f.ReadsReadOnly || name == "read_only"
		w.f.ReadsBinlog = w.f.ReadsBinlog || binlogSysVars[name]
	case n.Value != nil:
		w.f.SetsUserVars = true // SELECT @x := expr
	default:
		w.f.ReadsUserVars = true
	}
}

func (w *walker) function(n *ast.FuncCallExpr) {
	name := n.FnName.L
	if n.Schema.L != "" || !isBuiltinFunc(name) {
		w.f.StoredFunctions = true
	}
	c := specialFuncs[name]
	w.f.LockFunctions = w.f.LockFunctions || c&funcLock != 0
	w.f.SessionFunctions = w.f.SessionFunctions || c&funcSession != 0
	w.f.SideEffects = w.f.SideEffects || c&funcSideEffect != 0
	w.f.ReadsPrevious = w.f.ReadsPrevious || c&funcPrevious != 0
	if name == "connection_id" && n.Schema.L == "" {
		w.f.ConnectionID = true
	}
	w.f.LoadsFile = w.f.LoadsFile || name == "load_file" && n.Schema.L == ""
	w.f.ReadsClock = w.f.ReadsClock || n.Schema.L == "" && clockCall(name, len(n.Args))
	if w.f.Volatile == "" && n.Schema.L == "" && volatileCall(name, len(n.Args)) {
		w.f.Volatile = strings.ToUpper(name) + "()"
	}
	w.f.SeededRand = w.f.SeededRand || name == "rand" && len(n.Args) > 0 && n.Schema.L == ""
	if name == "last_insert_id" && len(n.Args) > 0 {
		w.f.SideEffects = true // LAST_INSERT_ID(expr) sets the connection's value
		w.f.SetsInsertID = true
	}
}

// refOf converts a parsed name; CIStr.L is already lower-cased.
func refOf(n *ast.TableName) TableRef { return TableRef{Schema: n.Schema.L, Name: n.Name.L} }

// addTable appends t to Tables unless present. Statements reference few
// tables, so a linear scan beats a map.
func (f *Facts) addTable(t TableRef) {
	if !slices.Contains(f.Tables, t) {
		f.Tables = append(f.Tables, t)
	}
}

func (f *Facts) addWrite(t TableRef) {
	f.addTable(t)
	if !slices.Contains(f.WriteTables, t) {
		f.WriteTables = append(f.WriteTables, t)
	}
}
