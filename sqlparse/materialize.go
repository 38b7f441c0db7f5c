package sqlparse

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// A SELECT that joins tables living apart — a sharded table with a table
// of the default cluster, two tables sharded differently — has no server
// that holds all its rows; nor has a SELECT of one sharded table whose
// answer the shards' partial answers cannot make (WITH ROLLUP, a window
// over rows of several shards, GROUP_CONCAT of groups split between
// shards). Strata reads each table's rows the statement
// can use (its own conditions from WHERE and ON pushed down, and the join
// keys already read: `users WHERE id IN (<user_ids of the comments read>)`)
// and runs the statement over them, each table replaced by a table of its
// rows as literals. The server then joins, filters, groups and orders as
// it would the tables.
//
// A condition goes down to a table only when all its columns name that
// table (c.entry_id = 42, not entry_id = 42: Strata does not know which
// table holds an unqualified column), and never to the inner side of an
// outer join from WHERE (it filters the NULL-extended rows there). The
// tables of a correlated subquery are read last, with the conditions of
// the subquery's own WHERE on them and narrowed by the outer columns
// they are matched with.

// Materialization is a SELECT whose tables Strata reads first.
type Materialization struct {
	// Tables in the order to read them: those with conditions first, the
	// inner sides of outer joins last.
	Tables []MatTable
	mode   Mode
	stmt   *ast.SelectStmt
}

// MatTable is one table of the statement.
type MatTable struct {
	Name  string // as written, schema-qualified when it was
	Alias string // how the statement names it
	// Derived is the query of a derived table that reads no table: rows
	// already in the statement's text (a table of literals Strata put in
	// place of a derived table it ran first, as an ORM's `(SELECT ...
	// LIMIT 10) AS e LEFT JOIN likes ...` becomes). It is read like a
	// table, on the default cluster, so that its values narrow the
	// others; Name is empty then.
	Derived string
	Filters []string
	// Keys are the join equalities by which tables read before this one
	// narrow it: this table's column Column IN (the values of column
	// OtherColumn of table Other, an index into Tables).
	Keys       []MatKey
	nullable   bool
	inSubquery bool
	source     *ast.TableSource
	derived    ast.ResultSetNode
}

// Describe names the table for a message: its name, or "the derived
// table alias".
func (t MatTable) Describe() string {
	if t.Derived != "" {
		return "the derived table " + t.Alias
	}
	return t.Name
}

// MatKey is one join equality usable to narrow a table.
type MatKey struct {
	Column      string
	Other       int
	OtherColumn string
}

// ErrNotMaterialized: the statement is not a SELECT whose tables are all
// in its FROM clause.
var ErrNotMaterialized = errors.New("sqlparse: not a join Strata can read table by table")

// Materialize analyzes a SELECT (args: a prepared statement's bound
// values, as in PullOutArgs).
func (m Mode) Materialize(sql string, args []string) (*Materialization, error) {
	stmts, err := m.parseAST(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, ErrNotMaterialized
	}
	sel, ok := stmts[0].(*ast.SelectStmt)
	if !ok || sel.From == nil || sel.LockInfo != nil || sel.With != nil {
		return nil, ErrNotMaterialized
	}
	if args != nil {
		if n := replaceParams(sel, &shardImpl{args: args}); n != len(args) {
			return nil, fmt.Errorf("sqlparse: %d bound values for %d placeholders", len(args), n)
		}
	}
	nameFields(sel)
	return m.materialize(sel)
}

// materialize analyzes a parsed SELECT (Materialize).
func (m Mode) materialize(sel *ast.SelectStmt) (*Materialization, error) {
	mat := &Materialization{mode: m, stmt: sel}
	var err error
	var tables []*MatTable
	var joinConds []joinCond
	if !collectSources(sel.From.TableRefs, false, &tables, &joinConds) || len(tables) == 0 {
		return nil, ErrNotMaterialized
	}
	inBlock(joinConds, tables)
	// The tables of subqueries (a correlated one, which cannot run
	// alone): read after the statement's own, narrowed by their own
	// conditions and by the outer columns they are matched with.
	outer := len(tables)
	for _, sub := range subqueriesOf(sel) {
		inner := &tableCounter{}
		sub.Accept(inner)
		if inner.n == 0 {
			// No table (SELECT 1, rows already in the text): nothing to
			// read. A UNION is listed as an empty SELECT: its tables stay
			// uncounted, and the count below refuses the statement.
			continue
		}
		first, firstCond := len(tables), len(joinConds)
		if sub.From == nil || sub.With != nil || !collectSources(sub.From.TableRefs, false, &tables, &joinConds) {
			return nil, ErrNotMaterialized
		}
		inBlock(joinConds[firstCond:], tables[first:])
		for i := firstCond; i < len(joinConds); i++ {
			joinConds[i].outer = tables[:outer]
		}
		for _, t := range tables[first:] {
			t.inSubquery = true
		}
		for _, c := range conjuncts(nil, sub.Where) {
			joinConds = append(joinConds, joinCond{expr: c, where: true, block: tables[first:], outer: tables[:outer]})
		}
	}

	// Every table of the statement must be one of these: a table read in
	// a subquery would not be replaced.
	names := &tableCounter{}
	sel.Accept(names)
	named := 0
	for _, t := range tables {
		if t.derived == nil {
			named++
			continue
		}
		if t.Derived, err = m.restore(t.derived); err != nil {
			return nil, err
		}
	}
	if names.n != named {
		return nil, ErrNotMaterialized
	}
	for _, c := range conjuncts(nil, sel.Where) {
		joinConds = append(joinConds, joinCond{expr: c, where: true, block: tables[:outer]})
	}
	for _, jc := range joinConds {
		if err := mat.place(tables, jc); err != nil {
			return nil, err
		}
	}
	mat.order(tables)
	return mat, nil
}

// joinCond is one conjunct of WHERE or of an ON; nullable lists the
// tables on the inner side of that ON's outer join.
type joinCond struct {
	expr     ast.ExprNode
	where    bool
	outerOn  bool // the ON of an outer join
	nullable map[*MatTable]bool
	// block: the tables of the query block whose WHERE or ON it is;
	// outer: those of the statement, for a subquery's (a name is looked
	// up in the block first, as MariaDB does).
	block, outer []*MatTable
}

// scope is the tables a condition's names can mean, nearest first.
func (jc joinCond) scope() [][]*MatTable { return [][]*MatTable{jc.block, jc.outer} }

// subqueriesOf lists the SELECTs of a statement's subqueries (select
// list, WHERE, HAVING, ORDER BY), not those inside them (a table read
// there is left uncounted, so the statement is not materialized); a
// subquery that is not a plain SELECT gives one without FROM, which is
// not materialized either.
func subqueriesOf(sel *ast.SelectStmt) []*ast.SelectStmt {
	f := &subqueryLister{}
	for _, n := range []ast.Node{sel.Fields, sel.Where, havingExpr(sel), sel.OrderBy} {
		if n != nil && !reflect.ValueOf(n).IsNil() {
			n.Accept(f)
		}
	}
	return f.found
}

type subqueryLister struct{ found []*ast.SelectStmt }

func (l *subqueryLister) Enter(n ast.Node) (ast.Node, bool) {
	sub, ok := n.(*ast.SubqueryExpr)
	if !ok {
		return n, false
	}
	q, ok := sub.Query.(*ast.SelectStmt)
	if !ok {
		q = &ast.SelectStmt{}
	}
	l.found = append(l.found, q)
	return n, true
}

func (l *subqueryLister) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// inBlock sets the query block of ON conditions just collected.
func inBlock(conds []joinCond, block []*MatTable) {
	for i := range conds {
		if conds[i].block == nil {
			conds[i].block = block
		}
	}
}

// collectSources lists the tables of a FROM clause and the conjuncts of
// its ONs. nullable: the subtree is the inner side of an outer join.
func collectSources(n ast.ResultSetNode, nullable bool, tables *[]*MatTable, conds *[]joinCond) bool {
	switch n := n.(type) {
	case *ast.TableSource:
		if rowsInText(n) {
			*tables = append(*tables, &MatTable{Alias: n.AsName.O, nullable: nullable, source: n, derived: n.Source})
			return true
		}
		name, ok := n.Source.(*ast.TableName)
		if !ok {
			return false
		}
		t := &MatTable{Name: name.Name.O, Alias: n.AsName.O, nullable: nullable, source: n}
		if name.Schema.O != "" {
			t.Name = name.Schema.O + "." + name.Name.O
		}
		if t.Alias == "" {
			t.Alias = name.Name.O
		}
		*tables = append(*tables, t)
		return true
	case *ast.Join:
		// NATURAL and USING joins run on the server as written: the
		// tables' rows keep their column names, so it merges the same
		// columns. USING between two tables narrows like the ON it
		// stands for; NATURAL, whose columns only the schema knows, does
		// not narrow.
		before := len(*tables)
		if !collectSources(n.Left, nullable || n.Tp == ast.RightJoin, tables, conds) {
			return false
		}
		mid := len(*tables)
		if n.Right != nil && !collectSources(n.Right, nullable || n.Tp == ast.LeftJoin, tables, conds) {
			return false
		}
		var on []ast.ExprNode
		switch {
		case n.On != nil:
			on = conjuncts(nil, n.On.Expr)
		case len(n.Using) > 0 && mid-before == 1 && len(*tables)-mid == 1:
			on = usingEqualities(n.Using, (*tables)[before], (*tables)[mid])
		}
		if len(on) > 0 {
			inner := map[*MatTable]bool{}
			switch n.Tp {
			case ast.LeftJoin:
				for _, t := range (*tables)[mid:] {
					inner[t] = true
				}
			case ast.RightJoin:
				for _, t := range (*tables)[before:mid] {
					inner[t] = true
				}
			}
			for _, c := range on {
				*conds = append(*conds, joinCond{expr: c, outerOn: n.Tp != ast.CrossJoin, nullable: inner})
			}
		}
		return true
	}
	return false
}

// rowsInText: the source is a derived table that reads no table (its
// rows are in the text), with the alias MariaDB requires.
func rowsInText(ts *ast.TableSource) bool {
	switch ts.Source.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
	default:
		return false
	}
	if ts.AsName.L == "" {
		return false
	}
	inner := &tableCounter{}
	ts.Source.Accept(inner)
	return inner.n == 0
}

// usingEqualities is JOIN ... USING (cols) between tables l and r as the
// ON it stands for: l.col = r.col for each column.
func usingEqualities(cols []*ast.ColumnName, l, r *MatTable) []ast.ExprNode {
	out := make([]ast.ExprNode, 0, len(cols))
	for _, c := range cols {
		side := func(t *MatTable) ast.ExprNode {
			return &ast.ColumnNameExpr{Name: &ast.ColumnName{Table: ast.NewCIStr(t.Alias), Name: c.Name}}
		}
		out = append(out, &ast.BinaryOperationExpr{Op: opcode.EQ, L: side(l), R: side(r)})
	}
	return out
}

// place pushes a conjunct down to its table, or records a join key.
func (m *Materialization) place(tables []*MatTable, jc joinCond) error {
	owners, ok := columnOwners(jc.expr, jc.scope())
	if !ok || len(owners) == 0 {
		return nil // stays in the statement only
	}
	if len(owners) == 1 {
		t := owners[0]
		// From WHERE only to tables of its own block that no outer join
		// extends with NULLs; from an outer join's ON only to its inner
		// side.
		if indexOf(jc.block, t) < 0 || (jc.where && t.nullable) || (jc.outerOn && !jc.nullable[t]) {
			return nil
		}
		text, err := m.mode.restore(jc.expr)
		if err != nil {
			return err
		}
		t.Filters = append(t.Filters, text)
		return nil
	}
	eq, ok := jc.expr.(*ast.BinaryOperationExpr)
	if !ok || eq.Op != opcode.EQ || len(owners) != 2 {
		return nil
	}
	l, lok := unparen(eq.L).(*ast.ColumnNameExpr)
	r, rok := unparen(eq.R).(*ast.ColumnNameExpr)
	if !lok || !rok {
		return nil
	}
	lt, rt := ownerOf(l, jc.scope()), ownerOf(r, jc.scope())
	if lt == nil || rt == nil || lt == rt {
		return nil
	}
	// Either side may narrow the other, unless that would drop rows an
	// outer join keeps: only a table the join may extend with NULLs (its
	// inner side) is narrowed by the other's keys.
	for _, pair := range [2][2]*ast.ColumnNameExpr{{l, r}, {r, l}} {
		own, other := ownerOf(pair[0], jc.scope()), ownerOf(pair[1], jc.scope())
		if canNarrow(jc, own, other) {
			own.Keys = append(own.Keys, MatKey{Column: pair[0].Name.Name.O, Other: indexOf(tables, other), OtherColumn: pair[1].Name.Name.O})
		}
	}
	return nil
}

func canNarrow(jc joinCond, own, other *MatTable) bool {
	switch {
	case own.inSubquery != other.inSubquery:
		// A subquery's table is narrowed by the outer rows its WHERE
		// matches it with, never the other way (NOT EXISTS keeps the
		// outer rows without a match).
		return own.inSubquery && jc.where && !own.nullable
	case jc.where:
		return !own.nullable && !other.nullable
	case jc.outerOn && len(jc.nullable) > 0:
		return jc.nullable[own] && !jc.nullable[other]
	default: // an inner join's ON
		return !own.nullable && !other.nullable
	}
}

// columnOwners lists the tables whose columns e names; false when a
// column is unqualified or names no table in scope, or e holds a
// subquery, a variable or a function that differs per call.
func columnOwners(e ast.ExprNode, scope [][]*MatTable) ([]*MatTable, bool) {
	var owners []*MatTable
	ok := true
	containsNode(e, func(n ast.Node) bool {
		switch v := n.(type) {
		case *ast.ColumnNameExpr:
			t := ownerOf(v, scope)
			if t == nil {
				ok = false
				return true
			}
			if indexOf(owners, t) < 0 {
				owners = append(owners, t)
			}
		case *ast.SubqueryExpr, *ast.VariableExpr, *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
			ok = false
			return true
		case *ast.FuncCallExpr:
			if volatileFuncs[v.FnName.L] {
				ok = false
				return true
			}
		}
		return false
	})
	return owners, ok
}

// ownerOf is the table a qualified column names, by its alias, looked up
// in the nearest scope first; an unqualified column's when the statement
// reads one table.
func ownerOf(c *ast.ColumnNameExpr, scope [][]*MatTable) *MatTable {
	if c.Name.Table.L == "" {
		if len(scope[0]) == 1 && len(scope[1]) == 0 {
			return scope[0][0]
		}
		return nil
	}
	for _, tables := range scope {
		for _, t := range tables {
			if strings.EqualFold(t.Alias, c.Name.Table.O) {
				return t
			}
		}
	}
	return nil
}

func indexOf(tables []*MatTable, t *MatTable) int {
	for i, x := range tables {
		if x == t {
			return i
		}
	}
	return -1
}

// order sorts the tables to read: those with their own conditions first,
// then the others, the inner sides of outer joins last; keys point to
// tables read before.
func (m *Materialization) order(tables []*MatTable) {
	rank := func(t *MatTable) int {
		switch {
		case t.inSubquery:
			return 3
		case t.nullable:
			return 2
		case len(t.Filters) > 0 || t.Derived != "":
			// (Rows in the text cost no server a scan: read first, they
			// narrow the tables joined with them.)
			return 0
		}
		return 1
	}
	var sorted []*MatTable
	for r := 0; r <= 3; r++ {
		for _, t := range tables {
			if rank(t) == r {
				sorted = append(sorted, t)
			}
		}
	}
	for _, t := range sorted {
		var keys []MatKey
		for _, k := range t.Keys {
			other := tables[k.Other]
			if at := indexOf(sorted, other); at >= 0 && at < indexOf(sorted, t) {
				keys = append(keys, MatKey{Column: k.Column, Other: at, OtherColumn: k.OtherColumn})
			}
		}
		t.Keys = keys
		m.Tables = append(m.Tables, *t)
	}
}

// Order lists the indexes of Tables, the order to read them in.
func (m *Materialization) Order() []int {
	order := make([]int, len(m.Tables))
	for i := range order {
		order[i] = i
	}
	return order
}

// Query is the statement that reads table i: SELECT * with its own
// conditions, and narrowed by each key's values (SQL literals; none
// means no row can join).
func (m *Materialization) Query(i int, keyValues [][]string) string {
	t := m.Tables[i]
	conds := append([]string(nil), t.Filters...)
	for k, key := range t.Keys {
		if k >= len(keyValues) || keyValues[k] == nil {
			continue
		}
		if len(keyValues[k]) == 0 {
			conds = append(conds, "0")
			continue
		}
		conds = append(conds, QuoteIdentifier(t.Alias)+"."+QuoteIdentifier(key.Column)+" IN ("+strings.Join(keyValues[k], ",")+")")
	}
	from := quoteTable(t.Name)
	if t.Derived != "" {
		from = "(" + t.Derived + ")"
	}
	q := "SELECT * FROM " + from + " AS " + QuoteIdentifier(t.Alias)
	if len(conds) > 1 {
		// Each condition was restored alone, without the parentheses
		// that kept an OR inside it: a AND b OR c would read other rows.
		for i, c := range conds {
			conds[i] = "(" + c + ")"
		}
	}
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return q
}

func quoteTable(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = QuoteIdentifier(p)
	}
	return strings.Join(parts, ".")
}

// Render returns the statement with each table replaced by its rows
// (tables[i] for Tables[i]).
func (m *Materialization) Render(tables []PulledTable) (string, error) {
	if len(tables) != len(m.Tables) {
		return "", errors.New("sqlparse: Render needs the rows of every table")
	}
	for i, t := range m.Tables {
		ts := t.source
		ts.Source = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: "(" + tableOfLiterals(tables[i]) + ")"}
		ts.AsName = ast.NewCIStr(t.Alias)
	}
	return m.mode.restore(m.stmt)
}

// tableCounter counts the table names of a statement, in subqueries too.
type tableCounter struct{ n int }

func (c *tableCounter) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.TableName); ok {
		c.n++
	}
	return n, false
}

func (c *tableCounter) Leave(n ast.Node) (ast.Node, bool) { return n, true }
