package sqlparse

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
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
	// pushedTables: how many tables the conjuncts pushed down with
	// subqueries of their own read (MatTable.pushed).
	pushedTables int
	// Columns names a table's columns as last read (nil: not known); with
	// it, Query reads a table's columns the statement names only.
	Columns func(table string) map[string]bool
	named   *namedColumns // nil: read every column (a write's tables)
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
	Keys     []MatKey
	nullable bool
	// depth: 0 for the statement's own tables, 1 for a subquery's, 2 for
	// a subquery's inside that, and so on. A table is narrowed only by
	// the tables of the queries around it, never by those inside it.
	depth int
	// pushed: conjuncts of a subquery's WHERE, holding subqueries of
	// their own, that the table is read with (pushNested); each is 1 in
	// the statement once the table is replaced by its rows.
	pushed  []ast.Node
	source  *ast.TableSource
	derived ast.ResultSetNode
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
	if !ok || sel.From == nil || sel.LockInfo != nil {
		return nil, ErrNotMaterialized
	}
	if args != nil {
		if n := replaceParams(sel, &shardImpl{args: args}); n != len(args) {
			return nil, fmt.Errorf("sqlparse: %d bound values for %d placeholders", len(args), n)
		}
	}
	if containsNode(sel, func(n ast.Node) bool { _, ok := n.(*ast.MatchAgainst); return ok }) {
		// MATCH ... AGAINST needs a table's full-text index, which a
		// table of rows read first lacks.
		return nil, ErrNotMaterialized
	}
	if sel.With != nil {
		if err := m.ctesAsDerived(sel); err != nil {
			return nil, ErrNotMaterialized
		}
	}
	nameFields(sel)
	named := newNamedColumns(sel)
	mat, err := m.materialize(sel, true)
	if err != nil {
		return nil, err
	}
	mat.named = named
	return mat, nil
}

// materialize analyzes a parsed SELECT (Materialize). push: a condition
// of a subquery's WHERE that holds subqueries of its own is read with its
// table where it can be (pushNested), as when every table is read first;
// else, and for a write, whose tables may stay in place, the tables of
// those inner subqueries are read too, each narrowed by the queries
// around it.
func (m Mode) materialize(sel *ast.SelectStmt, push bool) (*Materialization, error) {
	mat := &Materialization{mode: m, stmt: sel}
	var err error
	c := &matCollector{mat: mat, pushDown: push}
	if !collectSources(sel.From.TableRefs, false, &c.tables, &c.conds) || len(c.tables) == 0 {
		return nil, ErrNotMaterialized
	}
	inBlock(c.conds, c.tables)
	// The tables of subqueries (a correlated one, which cannot run
	// alone): read after the statement's own, narrowed by their own
	// conditions and by the outer columns they are matched with.
	outer := len(c.tables)
	stmtTables := slices.Clone(c.tables)
	for _, sub := range subqueriesOf(sel) {
		if err := c.subquery(sub, 1, stmtTables); err != nil {
			return nil, err
		}
	}
	tables, joinConds := c.tables, c.conds

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
	for _, c := range conjuncts(nil, sel.Where) {
		joinConds = append(joinConds, joinCond{expr: c, where: true, block: tables[:outer]})
	}
	for _, jc := range joinConds {
		if err := mat.place(tables, jc); err != nil {
			return nil, err
		}
	}
	// Every table of the statement must be one of these, or read with
	// one (pushNested): a table read in a subquery would not be replaced.
	names := &tableCounter{}
	sel.Accept(names)
	if names.n != named+mat.pushedTables {
		return nil, ErrNotMaterialized
	}
	mat.order(tables)
	return mat, nil
}

// ctesAsDerived makes each place the statement reads a CTE of its WITH
// clause a derived table that reads it, (WITH ... SELECT * FROM name) AS
// name, and drops the clause. A CTE whose rows are in its text (a list
// of dates, rows Strata read from the shards and put there) is then
// read first like a derived table of rows, and the statement runs over
// them: WITH d AS (SELECT ...) SELECT ... FROM d LEFT JOIN sharded ...
// as (SELECT ...) d LEFT JOIN sharded ... is. The CTE's column list and
// the CTEs it reads stay with it; a recursive one runs whole there.
func (m Mode) ctesAsDerived(sel *ast.SelectStmt) error {
	with := sel.With
	prefix, err := m.restore(with)
	if err != nil {
		return err
	}
	sel.With = nil
	var refs []*ast.TableSource // found before any is replaced: a read holds the names again
	for _, cte := range with.CTEs {
		refs = append(refs, tableRefs(sel, cte.Name.L)...)
	}
	for _, ts := range refs {
		name := ts.Source.(*ast.TableName).Name
		stmts, err := m.parseAST(prefix + "SELECT * FROM " + QuoteIdentifier(name.O))
		if err != nil {
			return err
		}
		read, ok := stmts[0].(*ast.SelectStmt)
		if len(stmts) != 1 || !ok {
			return ErrNotMaterialized
		}
		ts.Source = read
		if ts.AsName.L == "" {
			ts.AsName = name
		}
	}
	return nil
}

// matCollector gathers the tables and conditions of a statement and its
// subqueries (materialize).
type matCollector struct {
	mat      *Materialization
	pushDown bool
	tables   []*MatTable
	conds    []joinCond
}

// subquery collects the tables of a subquery at depth, whose names not
// its own mean those of around (nearest first), and the conditions of
// its WHERE; then those of the subqueries inside its WHERE, unless the
// condition holding them is read with its table (pushNested).
func (c *matCollector) subquery(sub *ast.SelectStmt, depth int, around []*MatTable) error {
	inner := &tableCounter{}
	sub.Accept(inner)
	if inner.n == 0 {
		// No table (SELECT 1, rows already in the text): nothing to
		// read. A UNION is listed as an empty SELECT: its tables stay
		// uncounted, and the count in materialize refuses the statement.
		return nil
	}
	first, firstCond := len(c.tables), len(c.conds)
	if sub.From == nil || sub.With != nil || !collectSources(sub.From.TableRefs, false, &c.tables, &c.conds) {
		return ErrNotMaterialized
	}
	block := slices.Clone(c.tables[first:])
	inBlock(c.conds[firstCond:], block)
	for i := firstCond; i < len(c.conds); i++ {
		c.conds[i].outer = around
	}
	for _, t := range block {
		t.depth = depth
	}
	for _, e := range conjuncts(nil, sub.Where) {
		jc := joinCond{expr: e, where: true, block: block, outer: around}
		if containsNode(e, isSubquery) {
			if c.pushDown {
				pushed, err := c.mat.pushNested(jc)
				if err != nil {
					return err
				}
				if pushed {
					continue
				}
			}
			inside := append(slices.Clone(block), around...)
			for _, nested := range subqueriesIn(e) {
				if err := c.subquery(nested, depth+1, inside); err != nil {
					return err
				}
			}
		}
		c.conds = append(c.conds, jc)
	}
	return nil
}

// subqueriesIn lists the SELECTs of the subqueries of an expression, not
// those inside them.
func subqueriesIn(e ast.ExprNode) []*ast.SelectStmt {
	f := &subqueryLister{}
	e.Accept(f)
	return f.found
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
		if rowsInText(n) && assignsUserVars(n.Source) {
			// (SELECT @rank := 0) AS init, the start of a running
			// @rank := @rank + 1: it stays in the statement, which runs
			// where the session keeps its variables, and sets them there
			// before the rows are read, as on one server.
			return true
		}
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

// assignsUserVars: n sets a user variable (@x := ...).
func assignsUserVars(n ast.Node) bool {
	return containsNode(n, func(n ast.Node) bool {
		v, ok := n.(*ast.VariableExpr)
		return ok && !v.IsSystem && v.Value != nil
	})
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

// pushNested pushes down a conjunct of a correlated subquery's WHERE
// that holds subqueries of its own: `EXISTS (SELECT 1 FROM users u WHERE
// u.id = l.user_id AND u.karma > 5)` in the WHERE of a subquery over
// likes l, or the EXISTS over a table sharded as l that Laravel's nested
// whereHas writes. When the names it uses outside its own subqueries'
// tables all name one table of the block, that table is read with it (on
// that table's servers, where Strata plans its subqueries as for any
// statement: matched on the shard key there, or run first), and in the
// statement it becomes 1, since every row read satisfies it. Else it
// stays, and its tables, read by no one, keep the statement from being
// materialized.
func (m *Materialization) pushNested(jc joinCond) (bool, error) {
	f := &nestedOwners{scope: jc.scope(), inner: map[string]bool{}, ok: true}
	jc.expr.Accept(&tableSourceNames{names: f.inner})
	jc.expr.Accept(f)
	if !f.ok || len(f.owners) != 1 {
		return false, nil
	}
	t := f.owners[0]
	if indexOf(jc.block, t) < 0 || t.nullable {
		return false, nil
	}
	text, err := m.mode.restore(jc.expr)
	if err != nil {
		return false, err
	}
	t.Filters = append(t.Filters, text)
	t.pushed = append(t.pushed, jc.expr)
	m.pushedTables += f.tables
	return true, nil
}

func isSubquery(n ast.Node) bool {
	_, ok := n.(*ast.SubqueryExpr)
	return ok
}

// nestedOwners finds the tables of scope a conjunct with subqueries names
// (pushNested). Inside its subqueries a column qualified by one of their
// own tables (inner), or not qualified, binds there or to the table the
// conjunct is read with, as on the server, which looks names up from the
// innermost query out (a name that binds further out fails the read with
// an unknown column, never reads another column).
type nestedOwners struct {
	scope  [][]*MatTable
	inner  map[string]bool
	depth  int
	owners []*MatTable
	tables int
	ok     bool
}

func (f *nestedOwners) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.SubqueryExpr:
		f.depth++
	case *ast.TableName:
		f.tables++
	case *ast.ColumnNameExpr:
		if f.depth > 0 && (v.Name.Table.L == "" || f.inner[v.Name.Table.L]) {
			break
		}
		t := ownerOf(v, f.scope)
		if t == nil {
			f.ok = false
		} else if indexOf(f.owners, t) < 0 {
			f.owners = append(f.owners, t)
		}
	case *ast.VariableExpr, *ast.WindowFuncExpr:
		f.ok = false
	case *ast.AggregateFuncExpr:
		f.ok = f.ok && f.depth > 0
	case *ast.FuncCallExpr:
		if volatileFuncs[v.FnName.L] {
			f.ok = false
		}
	}
	return n, false
}

func (f *nestedOwners) Leave(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.SubqueryExpr); ok {
		f.depth--
	}
	return n, true
}

// tableSourceNames collects the names (lower case) by which the tables of
// a node's FROM clauses are known: aliases, else table names.
type tableSourceNames struct{ names map[string]bool }

func (c *tableSourceNames) Enter(n ast.Node) (ast.Node, bool) {
	if ts, ok := n.(*ast.TableSource); ok {
		if ts.AsName.L != "" {
			c.names[ts.AsName.L] = true
		} else if name, ok := ts.Source.(*ast.TableName); ok {
			c.names[name.Name.L] = true
		}
	}
	return n, false
}

func (c *tableSourceNames) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func canNarrow(jc joinCond, own, other *MatTable) bool {
	switch {
	case own.depth != other.depth:
		// A subquery's table is narrowed by the outer rows its WHERE
		// matches it with, never the other way (NOT EXISTS keeps the
		// outer rows without a match).
		return own.depth > other.depth && jc.where && !own.nullable
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
		case t.depth > 0:
			return 2 + t.depth // a subquery's after the tables around it
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
	maxRank := 0
	for _, t := range tables {
		maxRank = max(maxRank, rank(t))
	}
	for r := 0; r <= maxRank; r++ {
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
	q := "SELECT " + m.readList(i) + " FROM " + from + " AS " + QuoteIdentifier(t.Alias)
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

// NamedColumns lists the columns the statement names as table i's (by
// its alias, or unqualified when it reads no other table): when one is
// not among the table's columns as last read, they are read again before
// its rows, which are read with those it names only.
func (m *Materialization) NamedColumns(i int) []string {
	if m.named == nil || m.Tables[i].Derived != "" {
		return nil
	}
	return m.named.namesOf(m.Tables[i].Alias, len(m.Tables) == 1)
}

// readList is the select list table i is read with (namedColumns).
func (m *Materialization) readList(i int) string {
	if m.named == nil || m.Columns == nil {
		return "*"
	}
	var others []map[string]bool
	for k, t := range m.Tables {
		if k != i && t.Derived == "" {
			if cols := m.Columns(t.Name); cols != nil {
				others = append(others, cols)
			}
		}
	}
	t := m.Tables[i]
	var known map[string]bool
	if t.Derived == "" {
		known = m.Columns(t.Name)
	}
	return m.named.readList(t, known, others)
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
	dropPushed(m.stmt, m.Tables)
	return m.mode.restore(m.stmt)
}

// dropPushed makes 1 of the conjuncts that the tables, each now replaced
// by the rows read with them, were read with: every row satisfies them,
// and their subqueries read tables the server may not have.
func dropPushed(stmt ast.Node, tables []MatTable) {
	swap := map[ast.Node]string{}
	for _, t := range tables {
		for _, c := range t.pushed {
			swap[c] = "1"
		}
	}
	if len(swap) > 0 {
		stmt.Accept(&nodeSwapper{swap: swap})
	}
}

// tableCounter counts the table names of a statement, in subqueries too;
// a CTE's name where the statement reads it is not a table.
type tableCounter struct {
	n    int
	ctes cteScopes
}

func (c *tableCounter) Enter(n ast.Node) (ast.Node, bool) {
	c.ctes.enter(n)
	if t, ok := n.(*ast.TableName); ok && !c.ctes.names(t) {
		c.n++
	}
	return n, false
}

func (c *tableCounter) Leave(n ast.Node) (ast.Node, bool) {
	c.ctes.leave(n)
	return n, true
}
