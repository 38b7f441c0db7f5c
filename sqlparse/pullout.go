package sqlparse

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// A SELECT that reads a sharded table in a subquery — `x IN (SELECT y
// FROM sharded ...)`, the ORM's way to filter by another table; a value
// `(SELECT COUNT(*) FROM sharded)`; `EXISTS (SELECT ...)` — cannot run on
// the shards as written: each shard would see only its own part of the
// subquery's rows. Strata runs such a subquery first, as a statement of its
// own (routed, scattered and merged like any other), and puts what it
// returned in its place: `x IN (3, 7, 9)`, `(20000)`, `1`. That also lets
// the outer statement route by the values when x is a shard key.
//
// Only uncorrelated subqueries can run alone. Whether one is correlated is
// decided by running it: a subquery that names a column or table of the
// outer statement fails on its own with an unknown-column error, and one
// whose names all resolve alone resolves the same way inside the
// statement (MySQL binds a name to the innermost query that has it).

// Pullout is a SELECT with subqueries to run first.
type Pullout struct {
	// Subqueries are the texts of the subqueries, in order of appearance,
	// and Kinds what each stands for.
	Subqueries []string
	Kinds      []PullKind
	// Typed: the subquery's value is a column of the result, whose type
	// the client sees (a literal of its own type then); elsewhere a plain
	// literal lets a compared shard key route.
	Typed  []bool
	mode   Mode
	stmt   ast.StmtNode
	nodes  []ast.Node // the node each subquery's values replace
	tables map[int]PulledTable
	kept   map[int]bool
	// rewritten: subqueries that stay subqueries, with this query in
	// place of theirs (Rewrite).
	rewritten map[int]string
	// counting: the statement is SELECT COUNT(*) FROM (derived) t and
	// nothing else; its derived table is subquery 0.
	counting *ast.SelectStmt
	// branches: where a UNION branch (PullTable) sits in its list.
	branches map[int]branchAt
	// recursive: the recursive CTEs (PullRecursive), by subquery.
	recursive map[int]*RecursiveCTE
	// Columns, when set, names a table's columns (lower case; nil when
	// not known): with it an INSERT ... SELECT's ON DUPLICATE KEY UPDATE
	// resolves a column name as one server does (onDuplicateFromValues).
	Columns func(table string) map[string]bool
}

type branchAt struct {
	list *ast.SetOprSelectList
	i    int
}

// PullKind is how a subquery's rows replace it.
type PullKind uint8

const (
	// PullIn is x [NOT] IN (SELECT y ...): the distinct values of y.
	PullIn PullKind = iota
	// PullScalar is (SELECT y ...) as a value: its one row's y, NULL
	// without rows; more than one row is MySQL's error 1242.
	PullScalar
	// PullExists is [NOT] EXISTS (SELECT ...): whether it has a row.
	PullExists
	// PullTable is a derived table, a CTE's query or a branch of a UNION:
	// its rows, as a table of literals (SetTable). One that SetTable was
	// not given stays as written.
	PullTable
	// PullRows is any other subquery in an expression: x > ANY (SELECT
	// ...), a row (SELECT a, b ...), IN over a UNION. Its rows replace its
	// query (SetTable), and the server compares with them.
	PullRows
	// PullInsert is the SELECT of an INSERT ... SELECT: its rows, as
	// plain literals (SetTable), become the INSERT's VALUES, which route
	// row by row.
	PullInsert
	// PullRecursive is a recursive CTE (Recursive): Strata runs its
	// rounds, and its rows replace its query as a PullTable's do. Its
	// Subqueries text is the anchor.
	PullRecursive
)

// ErrNothingToInsert: the SELECT of an INSERT ... SELECT returned no
// rows, so there is no statement to run; the answer is an OK of 0 rows.
var ErrNothingToInsert = errors.New("sqlparse: the INSERT ... SELECT has no rows to insert")

// PulledTable is what a PullTable subquery returned: its column names,
// and its rows and a NULL of each column's type as SQL literals of that
// type (the NULLs type the columns of a table without rows).
type PulledTable struct {
	Columns []string
	Nulls   []string
	Rows    [][]string
	// Text, when set, goes in the table's place instead (EXPLAIN's
	// marker for rows not read).
	Text string
	// Counted: only the number of rows was read (Count), for a statement
	// that CountsRowsOf the table.
	Counted bool
	Count   int64
}

// ErrNoPullout: the statement has no subquery Strata can run first.
var ErrNoPullout = errors.New("sqlparse: no IN (SELECT ...) to run first")

// PullOut finds the subqueries of a SELECT's select list, WHERE, HAVING
// and ORDER BY that Strata can run first (not those inside another
// subquery: they run with theirs). It returns ErrNoPullout when there is
// none.
func (m Mode) PullOut(sql string) (*Pullout, error) { return m.PullOutArgs(sql, nil) }

// PullOutArgs is PullOut for a prepared statement's text: its ? markers
// are the bound values args (SQL literals), in the subqueries and in the
// rendered statement alike.
func (m Mode) PullOutArgs(sql string, args []string) (*Pullout, error) {
	stmts, err := m.parseAST(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, ErrNoPullout
	}
	stmt := stmts[0]
	if !pullable(stmt) {
		return nil, ErrNoPullout
	}
	if args != nil {
		if n := replaceParams(stmt, &shardImpl{args: args}); n != len(args) {
			return nil, fmt.Errorf("sqlparse: %d bound values for %d placeholders", len(args), n)
		}
	}
	p := &Pullout{mode: m, stmt: stmt, tables: map[int]PulledTable{}, kept: map[int]bool{}, rewritten: map[int]string{}, branches: map[int]branchAt{}, recursive: map[int]*RecursiveCTE{}}
	if err := p.find(stmt); err != nil {
		return nil, err
	}
	if len(p.nodes) == 0 {
		return nil, ErrNoPullout
	}
	return p, nil
}

// pullable reports whether stmt is of a kind whose subqueries over shards
// Strata can run first: a read, an UPDATE or DELETE, an INSERT ...
// SELECT, or SET @x = (SELECT ...).
func pullable(stmt ast.StmtNode) bool {
	switch stmt := stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.UpdateStmt, *ast.DeleteStmt:
	case *ast.InsertStmt:
		if stmt.Select == nil {
			return false
		}
	case *ast.SetStmt:
		for _, v := range stmt.Variables {
			if v.IsSystem || v.Value == nil {
				return false // only SET @x = (SELECT ...)
			}
		}
	default:
		return false
	}
	return true
}

// find collects the subqueries over shards that stmt's rows depend on.
func (p *Pullout) find(stmt ast.StmtNode) error {
	switch stmt := stmt.(type) {
	case *ast.SelectStmt:
		nameFields(stmt) // the rendered text keeps the client's column names
		if err := p.findInSelect(stmt); err != nil {
			return err
		}
		if countsDerived(stmt) && len(p.nodes) == 1 {
			p.counting = stmt
		}
	case *ast.SetOprStmt:
		if err := p.findInUnion(stmt); err != nil {
			return err
		}
	case *ast.UpdateStmt:
		// A multi-table UPDATE joined with a derived table (`UPDATE
		// comments c JOIN (SELECT entry_id, MAX(votes) ... GROUP BY
		// entry_id) m ON ... SET c.votes = m.mv`): its rows run first,
		// and every shard joins its own rows with all of them.
		if err := p.findDerivedOf(stmt.TableRefs); err != nil {
			return err
		}
		var exprs []ast.Node
		if stmt.TableRefs != nil {
			exprs = joinConditions(stmt.TableRefs.TableRefs, exprs)
		}
		for _, a := range stmt.List {
			exprs = append(exprs, a.Expr)
		}
		if err := p.findInExprs(append(exprs, stmt.Where)); err != nil {
			return err
		}
	case *ast.DeleteStmt:
		var exprs []ast.Node
		if stmt.IsMultiTable {
			if err := p.findDerivedOf(stmt.TableRefs); err != nil {
				return err
			}
			if stmt.TableRefs != nil {
				exprs = joinConditions(stmt.TableRefs.TableRefs, exprs)
			}
		}
		if err := p.findInExprs(append(exprs, stmt.Where)); err != nil {
			return err
		}
	case *ast.SetStmt:
		var exprs []ast.Node
		for _, v := range stmt.Variables {
			exprs = append(exprs, v.Value)
		}
		if err := p.findInExprs(exprs); err != nil {
			return err
		}
	case *ast.InsertStmt:
		if err := p.add(stmt, stmt.Select, PullInsert, false); err != nil {
			return err
		}
	}
	return nil
}

// findInSelect collects the subqueries of a SELECT to run first: its CTEs
// and derived tables, then the subqueries of its select list, WHERE,
// HAVING and ORDER BY.
func (p *Pullout) findInSelect(sel *ast.SelectStmt) error {
	if err := p.findCTEs(sel.With); err != nil {
		return err
	}
	if sel.From != nil {
		if err := p.findDerived(sel.From.TableRefs); err != nil {
			return err
		}
	}
	f := &subqueryFinder{}
	if sel.Fields != nil {
		sel.Fields.Accept(f)
	}
	inFields := len(f.found)
	var exprs []ast.Node
	if sel.From != nil {
		// A join's ON may filter by a subquery too (`LEFT JOIN entries e
		// ON e.user_id = u.id AND e.id IN (SELECT entry_id FROM likes
		// ...)`).
		exprs = joinConditions(sel.From.TableRefs, exprs)
	}
	for _, e := range []ast.ExprNode{sel.Where, havingExpr(sel)} {
		if e != nil {
			exprs = append(exprs, e)
		}
	}
	if sel.OrderBy != nil {
		exprs = append(exprs, sel.OrderBy)
	}
	for _, e := range exprs {
		e.Accept(f)
	}
	if f.refused != nil {
		return f.refused
	}
	for i, node := range f.found {
		if err := p.add(node, f.queries[i], f.kinds[i], i < inFields); err != nil {
			return err
		}
	}
	return nil
}

// joinConditions adds the ON conditions of a FROM clause's joins to out.
func joinConditions(n ast.ResultSetNode, out []ast.Node) []ast.Node {
	switch n := n.(type) {
	case *ast.Join:
		out = joinConditions(n.Left, out)
		if n.Right != nil {
			out = joinConditions(n.Right, out)
		}
		if n.On != nil {
			out = append(out, n.On.Expr)
		}
	case *ast.TableSource:
		if j, ok := n.Source.(*ast.Join); ok {
			out = joinConditions(j, out)
		}
	}
	return out
}

// findInExprs collects the subqueries of an UPDATE's SET values and WHERE
// or a DELETE's WHERE: the write then routes by what they returned.
func (p *Pullout) findInExprs(exprs []ast.Node) error {
	f := &subqueryFinder{}
	for _, e := range exprs {
		if e != nil {
			e.Accept(f)
		}
	}
	if f.refused != nil {
		return f.refused
	}
	for i, node := range f.found {
		if err := p.add(node, f.queries[i], f.kinds[i], false); err != nil {
			return err
		}
	}
	return nil
}

// findInUnion collects a UNION's CTEs and its branches: each runs first,
// as a statement of its own, and the server that runs the UNION combines
// their rows (DISTINCT, ORDER BY and LIMIT included) as it would the
// tables'.
func (p *Pullout) findInUnion(u *ast.SetOprStmt) error {
	if err := p.findCTEs(u.With); err != nil {
		return err
	}
	return p.findBranches(u.SelectList)
}

func (p *Pullout) findBranches(list *ast.SetOprSelectList) error {
	if list == nil {
		return nil
	}
	if err := p.findCTEs(list.With); err != nil {
		return err
	}
	for i, n := range list.Selects {
		switch n := n.(type) {
		case *ast.SelectStmt:
			if n.Kind != ast.SelectStmtKindSelect || n.With != nil {
				continue
			}
			p.branches[len(p.nodes)] = branchAt{list: list, i: i}
			if err := p.add(n, n, PullTable, false); err != nil {
				return err
			}
		case *ast.SetOprSelectList:
			if err := p.findBranches(n); err != nil {
				return err
			}
		}
	}
	return nil
}

// findCTEs collects the queries of a WITH clause's CTEs; a recursive
// one's query reads itself and cannot run alone: Strata runs its rounds
// (findRecursive).
func (p *Pullout) findCTEs(with *ast.WithClause) error {
	if with == nil {
		return nil
	}
	if with.IsRecursive {
		return p.findRecursive(with)
	}
	for i, cte := range with.CTEs {
		if cte.IsRecursive || cte.Query == nil {
			continue
		}
		if err := p.add(cte, cte.Query.Query, PullTable, false); err != nil {
			return err
		}
		if err := p.withCTEsBefore(with, i); err != nil {
			return err
		}
	}
	return nil
}

// withCTEsBefore puts the CTEs before CTE i of with in front of the
// subquery just added, CTE i's query, when that reads one of them: run
// alone, it would read a table of that name instead (WITH a AS (...), b
// AS (SELECT ... FROM a)).
func (p *Pullout) withCTEsBefore(with *ast.WithClause, i int) error {
	q := with.CTEs[i].Query.Query
	if !slices.ContainsFunc(with.CTEs[:i], func(c *ast.CommonTableExpression) bool { return readsTable(q, c.Name.L) }) {
		return nil
	}
	prefix, err := p.mode.restore(&ast.WithClause{IsRecursive: with.IsRecursive, CTEs: with.CTEs[:i]})
	if err != nil {
		return err
	}
	last := len(p.Subqueries) - 1
	p.Subqueries[last] = prefix + p.Subqueries[last]
	return nil
}

// findDerivedOf is findDerived for a write's table references.
func (p *Pullout) findDerivedOf(refs *ast.TableRefsClause) error {
	if refs == nil || refs.TableRefs == nil {
		return nil
	}
	return p.findDerived(refs.TableRefs)
}

// findDerived collects the derived tables of a FROM clause, those inside
// joins too.
func (p *Pullout) findDerived(n ast.ResultSetNode) error {
	switch n := n.(type) {
	case *ast.Join:
		if err := p.findDerived(n.Left); err != nil {
			return err
		}
		if n.Right != nil {
			return p.findDerived(n.Right)
		}
	case *ast.TableSource:
		switch src := n.Source.(type) {
		case *ast.SelectStmt, *ast.SetOprStmt:
			return p.add(n, src, PullTable, false)
		case *ast.Join:
			return p.findDerived(src)
		}
	}
	return nil
}

// add records one subquery to run first: node is what its values
// replace, q its query.
func (p *Pullout) add(node ast.Node, q ast.ResultSetNode, kind PullKind, typed bool) error {
	if sel, ok := q.(*ast.SelectStmt); ok && kind == PullTable {
		nameFields(sel) // the outer statement reads its columns by these names
	}
	if sel, ok := q.(*ast.SelectStmt); ok && sel.OrderBy != nil && sel.Limit == nil && kind != PullInsert {
		// MariaDB drops the ORDER BY of a subquery, derived table or
		// UNION branch without LIMIT (rows of a table have no order),
		// and with it the temporary table such an ORDER BY can bring,
		// which rounds an AVG inside an expression: run it without. (An
		// INSERT ... SELECT keeps it: it orders the ids the rows get.)
		order := sel.OrderBy
		sel.OrderBy = nil
		defer func() { sel.OrderBy = order }()
	}
	text, err := p.mode.restore(q)
	if err != nil {
		return err
	}
	p.Subqueries = append(p.Subqueries, text)
	p.Kinds = append(p.Kinds, kind)
	p.Typed = append(p.Typed, typed)
	p.nodes = append(p.nodes, node)
	return nil
}

// CountsRowsOf reports whether the statement needs only the number of
// rows of subquery i: SELECT COUNT(*) FROM (...) t, nothing else. Its
// SetTable may then be a count (PulledTable.Counted), of any size.
func (p *Pullout) CountsRowsOf(i int) bool { return p.counting != nil && i == 0 }

// countsDerived: SELECT COUNT(*) FROM (SELECT ...) t without WHERE,
// grouping, ordering or LIMIT.
func countsDerived(sel *ast.SelectStmt) bool {
	if sel.With != nil || sel.Where != nil || sel.GroupBy != nil || sel.Having != nil || sel.OrderBy != nil ||
		sel.Limit != nil || sel.Distinct || sel.WindowSpecs != nil || sel.LockInfo != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return false
	}
	agg, ok := sel.Fields.Fields[0].Expr.(*ast.AggregateFuncExpr)
	if !ok || !strings.EqualFold(agg.F, ast.AggFuncCount) || agg.Distinct || len(agg.Args) != 1 {
		return false
	}
	if v, ok := agg.Args[0].(ast.ValueExpr); !ok || v.GetValue() == nil {
		return false // COUNT(*) is COUNT(1) here; COUNT(x) skips NULLs
	}
	if sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return false
	}
	ts, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return false
	}
	switch ts.Source.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return true
	}
	return false
}

// SetTable gives the rows of subquery i, a PullTable.
func (p *Pullout) SetTable(i int, t PulledTable) { p.tables[i] = t }

// Keep leaves subquery i as written: it reads no placed table, and the
// server that runs the statement runs it too.
func (p *Pullout) Keep(i int) { p.kept[i] = true }

// Rewrite leaves subquery i a subquery, with query in place of its own:
// a correlated subquery (which cannot run alone) whose own subqueries ran
// first (`l.entry_id = e.id AND l.user_id IN (3, 7)` where it read
// `IN (SELECT id FROM users ...)`), so the statement may now route. Only
// for subqueries in expressions (not PullTable, PullInsert,
// PullRecursive), which are the ones that can be correlated.
func (p *Pullout) Rewrite(i int, query string) error {
	if subqueryOf(p.nodes[i]) == nil {
		return fmt.Errorf("sqlparse: subquery %d is no subquery of an expression", i)
	}
	p.rewritten[i] = query
	return nil
}

// NamesOuterTable reports whether a subquery's text (one of
// Pullout.Subqueries) qualifies a column by a table it does not read:
// `e.id` in `SELECT 1 FROM likes l WHERE l.entry_id = e.id`, a
// correlated subquery, which cannot run alone. It tells without running
// it, for EXPLAIN; a subquery that names the outer statement's columns
// unqualified is not seen (running it alone tells).
func (m Mode) NamesOuterTable(sql string) bool {
	stmts, err := m.parseAST(sql)
	if err != nil || len(stmts) != 1 {
		return false
	}
	names := &tableSourceNames{names: map[string]bool{}}
	stmts[0].Accept(names)
	q := &qualifiers{names: map[string]bool{}}
	stmts[0].Accept(q)
	for name := range q.names {
		if !names.names[name] {
			return true
		}
	}
	return false
}

// qualifiers collects the table names (lower case) that columns are
// qualified with.
type qualifiers struct{ names map[string]bool }

func (q *qualifiers) Enter(n ast.Node) (ast.Node, bool) {
	if c, ok := n.(*ast.ColumnNameExpr); ok && c.Name.Table.L != "" {
		q.names[c.Name.Table.L] = true
	}
	return n, false
}

func (q *qualifiers) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// subqueryOf is the subquery a PullIn, PullExists, PullScalar or PullRows
// node holds (nil for other nodes).
func subqueryOf(node ast.Node) *ast.SubqueryExpr {
	switch n := node.(type) {
	case *ast.PatternInExpr:
		sub, _ := n.Sel.(*ast.SubqueryExpr)
		return sub
	case *ast.ExistsSubqueryExpr:
		sub, _ := n.Sel.(*ast.SubqueryExpr)
		return sub
	case *ast.SubqueryExpr:
		return n
	}
	return nil
}

func havingExpr(sel *ast.SelectStmt) ast.ExprNode {
	if sel.Having == nil {
		return nil
	}
	return sel.Having.Expr
}

// subqueryFinder collects the subqueries Strata can run first: IN lists
// and scalar values of one column, EXISTS, none inside another subquery
// (they run with theirs) and not x > ANY (SELECT ...).
type subqueryFinder struct {
	found   []ast.Node
	queries []ast.ResultSetNode
	kinds   []PullKind
	// refused is MariaDB's own error for a subquery it does not run:
	// Strata, which could run it first, refuses it as one server does.
	refused error
}

// ErrLimitInSubquery is MariaDB's answer to x IN (SELECT ... LIMIT n), and
// to ANY, ALL and SOME over such a subquery; PullOut returns it for such a
// statement, which the session refuses as one server would.
var ErrLimitInSubquery = &ServerError{Code: 1235, SQLState: "42000", Msg: "This version of MariaDB doesn't yet support 'LIMIT & IN/ALL/ANY/SOME subquery'"}

// inSubqueryOfList makes x IN ((SELECT ...)), a list of one subquery in
// parentheses, the x IN (SELECT ...) MariaDB reads it as: the rows of the
// subquery, not its one value.
func inSubqueryOfList(in *ast.PatternInExpr) {
	if in.Sel != nil || len(in.List) != 1 {
		return
	}
	e := in.List[0]
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	if sub, ok := e.(*ast.SubqueryExpr); ok {
		in.Sel, in.List = sub, nil
	}
}

// limited: q, the subquery of an IN, ANY, ALL or SOME, has a LIMIT of its
// own (not one inside a derived table it reads).
func limited(q ast.ResultSetNode) bool {
	switch q := q.(type) {
	case *ast.SelectStmt:
		return q.Limit != nil
	case *ast.SetOprStmt:
		return q.Limit != nil
	}
	return false
}

func (f *subqueryFinder) add(n ast.Node, q ast.ResultSetNode, kind PullKind) {
	f.found = append(f.found, n)
	f.queries = append(f.queries, q)
	f.kinds = append(f.kinds, kind)
}

func (f *subqueryFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.PatternInExpr:
		inSubqueryOfList(v)
		sub, ok := v.Sel.(*ast.SubqueryExpr)
		if !ok {
			return n, false
		}
		if limited(sub.Query) {
			f.refused = ErrLimitInSubquery
		}
		if oneColumn(sub.Query) {
			f.add(v, sub.Query, PullIn)
		} else {
			f.add(sub, sub.Query, PullRows) // (a, b) IN (SELECT c, d ...), a UNION
		}
		return n, true
	case *ast.ExistsSubqueryExpr:
		if sub, ok := v.Sel.(*ast.SubqueryExpr); ok {
			if _, ok := sub.Query.(*ast.SelectStmt); ok {
				f.add(v, sub.Query, PullExists)
			} else {
				f.add(sub, sub.Query, PullRows)
			}
		}
		return n, true
	case *ast.CompareSubqueryExpr:
		// x > ANY (SELECT ...), x <> ALL (...): the server compares x
		// with the rows, whose NULLs and emptiness keep their meaning.
		if sub, ok := v.R.(*ast.SubqueryExpr); ok {
			if limited(sub.Query) {
				f.refused = ErrLimitInSubquery
			}
			f.add(sub, sub.Query, PullRows)
		}
		return n, true
	case *ast.SubqueryExpr:
		if oneColumn(v.Query) {
			f.add(v, v.Query, PullScalar)
		} else {
			f.add(v, v.Query, PullRows) // a row: (a, b) = (SELECT c, d ...)
		}
		return n, true
	}
	return n, false
}

func (f *subqueryFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// oneColumn: a single SELECT of one column, no *.
func oneColumn(q ast.ResultSetNode) bool {
	sel, ok := q.(*ast.SelectStmt)
	return ok && sel.Fields != nil && len(sel.Fields.Fields) == 1 && sel.Fields.Fields[0].WildCard == nil
}

// Render returns the statement with each subquery replaced by its
// values (SQL literals; NULL allowed): an IN list by values[i] (x IN (1,
// NULL) means what it means with the subquery; without values IN is false
// and NOT IN true, whatever x is, as MySQL has it), a scalar by its one
// value (NULL without one), EXISTS by whether values[i] has any. Render
// changes the parsed statement: call it once.
func (p *Pullout) Render(values [][]string) (string, error) {
	if values == nil {
		values = make([][]string, len(p.nodes))
	}
	if len(values) != len(p.nodes) {
		return "", errors.New("sqlparse: Render needs the values of every subquery")
	}
	swap := map[ast.Node]string{}
	for i, node := range p.nodes {
		if p.kept[i] {
			continue
		}
		if q, ok := p.rewritten[i]; ok {
			subqueryOf(node).Query = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: q}
			continue
		}
		if err := p.renderNode(i, node, values[i], swap); err != nil {
			return "", err
		}
	}
	if len(swap) > 0 {
		p.stmt.Accept(&nodeSwapper{swap: swap})
	}
	return p.mode.restore(p.stmt)
}

// renderNode puts subquery i's values (or its rows' table) in place of
// node: in the tree itself, or, for a node that becomes a literal, in swap.
func (p *Pullout) renderNode(i int, node ast.Node, vals []string, swap map[ast.Node]string) error {
	switch p.Kinds[i] {
	case PullIn:
		in := node.(*ast.PatternInExpr)
		if len(vals) == 0 {
			swap[in] = map[bool]string{false: "0", true: "1"}[in.Not]
			return nil
		}
		list := make([]ast.ExprNode, len(vals))
		for k, v := range vals {
			list[k] = newRawExpr(v)
		}
		in.Sel, in.List = nil, list
	case PullScalar:
		switch len(vals) {
		case 0:
			swap[node] = "NULL"
		case 1:
			swap[node] = "(" + vals[0] + ")"
		default:
			return errors.New("sqlparse: a scalar subquery has one value")
		}
	case PullExists:
		exists := len(vals) > 0
		if node.(*ast.ExistsSubqueryExpr).Not {
			exists = !exists
		}
		swap[node] = map[bool]string{false: "0", true: "1"}[exists]
	case PullInsert:
		t, ok := p.tables[i]
		if !ok {
			return nil
		}
		if len(t.Rows) == 0 && t.Text == "" {
			return ErrNothingToInsert
		}
		ins := node.(*ast.InsertStmt)
		if err := onDuplicateFromValues(ins, p.Columns); err != nil {
			return err
		}
		ins.Select, ins.Lists = nil, nil
		if t.Text != "" { // EXPLAIN's marker
			ins.Lists = [][]ast.ExprNode{{newRawExpr(t.Text)}}
		}
		for _, row := range t.Rows {
			list := make([]ast.ExprNode, len(row))
			for k, v := range row {
				list[k] = newRawExpr(v)
			}
			ins.Lists = append(ins.Lists, list)
		}
	case PullTable, PullRows, PullRecursive:
		if t, ok := p.tables[i]; ok && t.Counted && p.CountsRowsOf(i) {
			// The count is the answer: a BIGINT, as COUNT(*)'s.
			p.counting.Fields.Fields[0].Expr = newRawExpr(fmt.Sprintf("CAST(X'%x' AS SIGNED)", fmt.Sprintf("%020d", t.Count)))
			p.counting.From = nil
			return nil
		}
		if t, ok := p.tables[i]; ok {
			if err := p.replaceTable(i, node, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// onDuplicateFromValues rewrites the ON DUPLICATE KEY UPDATE of an INSERT
// ... SELECT whose rows Strata inserts as VALUES. There a column of the
// SELECT's tables (`votes = l.weight * 10`) is the row's value of it; when
// the SELECT lists that very column, the row inserts that value in the
// column at its place, so it is VALUES(that column) (`votes =
// VALUES(votes) * 10`). Any other such column (one the SELECT computes
// from, `score + 1`) has no value in the VALUES row: refused.
//
// A name resolves as on one server, which looks it up in the inserted
// table and the SELECT's tables alike: a name two of them have is
// MariaDB's error 1052 (`n = n + 1` when both have n, `t.n` when the
// SELECT reads t itself), and a bare name only a SELECT's table has is
// that table's column. columns (nil, or nil for a table) tells the
// tables' columns; where they are not known a bare name is the inserted
// table's, as the VALUES statement reads it.
func onDuplicateFromValues(ins *ast.InsertStmt, columns func(string) map[string]bool) error {
	if len(ins.OnDuplicate) == 0 {
		return nil
	}
	var sources []fromTable
	var fields []*ast.SelectField
	if sel, ok := ins.Select.(*ast.SelectStmt); ok {
		if sel.From != nil {
			sources = fromTables(sel.From.TableRefs, columns, sources)
		}
		if sel.Fields != nil {
			fields = sel.Fields.Fields
		}
	}
	target := ""
	if t, ok := ins.Table.TableRefs.Left.(*ast.TableSource); ok {
		if name, ok := t.Source.(*ast.TableName); ok {
			target = name.Name.L
		}
	}
	var targetColumns map[string]bool
	if columns != nil && target != "" {
		targetColumns = columns(target)
	}
	source := func(name string) *fromTable {
		for i := range sources {
			if sources[i].name == name && name != target {
				return &sources[i] // target.col is the row already there
			}
		}
		return nil
	}
	var failed error
	swap := &exprSwapper{skip: isValues}
	swap.swap = func(n ast.Node) ast.Node {
		c, ok := n.(*ast.ColumnNameExpr)
		if !ok || failed != nil || swap.subqueries > 0 && c.Name.Table.L == "" {
			return nil // a bare name in a subquery is first its own tables'
		}
		from, err := resolveUpsertColumn(c.Name, target, targetColumns, sources)
		if err != nil {
			failed = err
			return nil
		}
		if from == "" {
			from = c.Name.Table.L
		}
		src := source(from)
		if src == nil {
			return nil
		}
		for i, f := range fields {
			if fc, ok := f.Expr.(*ast.ColumnNameExpr); ok && i < len(ins.Columns) && fc.Name.Name.L == c.Name.Name.L && (fc.Name.Table.L == src.name || fc.Name.Table.L == "" && len(sources) == 1) {
				return &ast.ValuesExpr{Column: &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ins.Columns[i].Name}}}
			}
		}
		failed = &UnsupportedError{Msg: fmt.Sprintf("the ON DUPLICATE KEY UPDATE of this INSERT ... SELECT over sharded tables reads %s.%s, which the SELECT does not insert as it is: Strata inserts the SELECT's rows as VALUES, so it can read only the values a row inserts. Write VALUES(column) for the value the row inserts in a column, or list %[1]s.%[2]s in the SELECT and the INSERT's columns",
			src.shown, c.Name.Name.O)}
		return nil
	}
	for _, a := range ins.OnDuplicate {
		if e, ok := a.Expr.Accept(swap); ok {
			a.Expr = e.(ast.ExprNode)
		}
	}
	return failed
}

// resolveUpsertColumn finds which table a column of an ON DUPLICATE KEY
// UPDATE names, as MariaDB does for INSERT ... SELECT: from is the name of
// the SELECT's table a bare name belongs to ("" for the inserted table's,
// or when not known); a name that two of the tables have is error 1052.
func resolveUpsertColumn(name *ast.ColumnName, target string, targetColumns map[string]bool, sources []fromTable) (from string, err error) {
	ambiguous := func(shown string) error {
		return &ServerError{Code: ErrCodeNonUniq, SQLState: "23000", Msg: fmt.Sprintf("Column '%s' in UPDATE is ambiguous", shown)}
	}
	if name.Table.L != "" {
		// t.n where the SELECT reads t by that name too.
		for _, s := range sources {
			if s.name == name.Table.L && s.name == target && (targetColumns == nil || targetColumns[name.Name.L]) {
				return "", ambiguous(name.Table.O + "." + name.Name.O)
			}
		}
		return "", nil
	}
	if targetColumns == nil {
		return "", nil
	}
	for _, s := range sources {
		if !s.columns[name.Name.L] {
			continue
		}
		if targetColumns[name.Name.L] || from != "" {
			return "", ambiguous(name.Name.O)
		}
		from = s.name
	}
	return from, nil
}

// fromTable is a table of a FROM clause: the name the statement calls
// it by (lower case) and its columns (nil when not known).
type fromTable struct {
	name    string
	shown   string // the name as written
	columns map[string]bool
}

// fromTables adds the tables of a FROM clause to out: a table by its
// alias or name, its columns from columns; a derived table by its alias,
// its columns the names its SELECT gives them.
func fromTables(n ast.ResultSetNode, columns func(string) map[string]bool, out []fromTable) []fromTable {
	switch n := n.(type) {
	case *ast.TableSource:
		switch src := n.Source.(type) {
		case *ast.TableName:
			t := fromTable{name: src.Name.L, shown: src.Name.O}
			if n.AsName.L != "" {
				t.name, t.shown = n.AsName.L, n.AsName.O
			}
			if columns != nil {
				t.columns = columns(src.Name.L)
			}
			return append(out, t)
		case *ast.SelectStmt:
			if n.AsName.L != "" {
				return append(out, fromTable{name: n.AsName.L, shown: n.AsName.O, columns: selectColumns(src)})
			}
		default:
			if n.AsName.L != "" {
				return append(out, fromTable{name: n.AsName.L, shown: n.AsName.O})
			}
			return fromTables(n.Source, columns, out)
		}
	case *ast.Join:
		out = fromTables(n.Left, columns, out)
		if n.Right != nil {
			out = fromTables(n.Right, columns, out)
		}
	}
	return out
}

// selectColumns names the columns of a derived table's SELECT, or nil
// when one is not a plain column or aliased (a server names it by its
// text, or a * stands for several).
func selectColumns(sel *ast.SelectStmt) map[string]bool {
	if sel.Fields == nil {
		return nil
	}
	out := map[string]bool{}
	for _, f := range sel.Fields.Fields {
		switch c, ok := f.Expr.(*ast.ColumnNameExpr); {
		case f.AsName.L != "":
			out[f.AsName.L] = true
		case ok:
			out[c.Name.Name.L] = true
		default:
			return nil
		}
	}
	return out
}

func isValues(n ast.Node) bool { _, ok := n.(*ast.ValuesExpr); return ok }

// exprSwapper replaces the nodes swap returns a node for, and leaves
// alone those skip says to (and what is inside them). subqueries counts
// the subqueries around the node swap is given.
type exprSwapper struct {
	swap       func(ast.Node) ast.Node
	skip       func(ast.Node) bool
	subqueries int
}

func (s *exprSwapper) Enter(n ast.Node) (ast.Node, bool) {
	if s.skip != nil && s.skip(n) {
		return n, true
	}
	if _, ok := n.(*ast.SubqueryExpr); ok {
		s.subqueries++
	}
	return n, false
}

func (s *exprSwapper) Leave(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.SubqueryExpr); ok {
		s.subqueries--
	}
	if r := s.swap(n); r != nil {
		return r, true
	}
	return n, true
}

// replaceTable puts the rows of subquery i in its place: a derived
// table's and a CTE's query become a SELECT of literals, a UNION branch a
// SELECT * of such a derived table.
func (p *Pullout) replaceTable(i int, node ast.Node, t PulledTable) error {
	rows := tableOfLiterals(t)
	switch n := node.(type) {
	case *ast.TableSource:
		n.Source = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: "(" + rows + ")"}
	case *ast.CommonTableExpression:
		n.Query.Query = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: rows}
	case *ast.SubqueryExpr:
		fields, inner := numbered(t)
		n.Query = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: fmt.Sprintf("SELECT %s FROM (%s) AS `_strata_sub_%d`", strings.Join(fields, ", "), tableOfLiterals(inner), i)}
	case *ast.SelectStmt:
		at, ok := p.branches[i]
		if !ok {
			return errors.New("sqlparse: a pulled SELECT that is not a UNION branch")
		}
		fields, inner := numbered(t)
		stmts, err := p.mode.parseAST(fmt.Sprintf("SELECT %s FROM t AS `_strata_union_%d`", strings.Join(fields, ", "), i))
		if err != nil {
			return err
		}
		sel := stmts[0].(*ast.SelectStmt)
		sel.From.TableRefs.Left.(*ast.TableSource).Source = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: "(" + tableOfLiterals(inner) + ")"}
		sel.AfterSetOperator = n.AfterSetOperator
		at.list.Selects[at.i] = sel
	}
	return nil
}

// numbered renames t's columns _1, _2, ... and returns the select list
// that gives them their names back: a UNION branch or a subquery may name
// two columns alike (COUNT(*) twice), which a derived table may not.
func numbered(t PulledTable) (fields []string, inner PulledTable) {
	inner = t
	inner.Columns = make([]string, len(t.Columns))
	for k, name := range t.Columns {
		inner.Columns[k] = fmt.Sprintf("_%d", k+1)
		fields = append(fields, fmt.Sprintf("`_%d` AS %s", k+1, QuoteIdentifier(name)))
	}
	if len(fields) == 0 {
		fields = []string{"*"} // EXPLAIN's marker
	}
	return fields, inner
}

// tableOfLiterals writes rows as one SELECT per row joined by UNION ALL,
// the first naming the columns; a table without rows is one row of typed
// NULLs that WHERE 0 filters out.
func tableOfLiterals(t PulledTable) string {
	if t.Text != "" {
		return t.Text
	}
	var b strings.Builder
	first := t.Nulls
	if len(t.Rows) > 0 {
		first = t.Rows[0]
	}
	b.WriteString("SELECT ")
	for k, v := range first {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v)
		b.WriteString(" AS ")
		b.WriteString(QuoteIdentifier(t.Columns[k]))
	}
	if len(t.Rows) == 0 {
		b.WriteString(" FROM DUAL WHERE 0")
		return b.String()
	}
	for _, row := range t.Rows[1:] {
		b.WriteString(" UNION ALL SELECT ")
		b.WriteString(strings.Join(row, ", "))
	}
	return b.String()
}

// QuoteIdentifier quotes a name (table, column, savepoint) in backticks.
func QuoteIdentifier(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// rawResultSet is SQL text in the place of a query.
type rawResultSet struct {
	ast.ResultSetNode
	text string
}

// Restore implements ast.Node.
func (r *rawResultSet) Restore(ctx *format.RestoreCtx) error {
	ctx.WritePlain(r.text)
	return nil
}

// Accept implements ast.Node.
func (r *rawResultSet) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(r)
	return v.Leave(n)
}

// nodeSwapper replaces nodes by SQL text.
type nodeSwapper struct{ swap map[ast.Node]string }

func (r *nodeSwapper) Enter(n ast.Node) (ast.Node, bool) {
	if v, ok := r.swap[n]; ok {
		return newRawExpr(v), true
	}
	return n, false
}

func (r *nodeSwapper) Leave(n ast.Node) (ast.Node, bool) { return n, true }
