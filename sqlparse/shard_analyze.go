package sqlparse

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// AnalyzeShard analyzes one statement against the sharded tables; see
// Mode.AnalyzeShard.
func AnalyzeShard(sql string, keyOf ShardKeyOf) (*ShardStmt, error) {
	return Mode{}.AnalyzeShard(sql, keyOf)
}

// AnalyzeShard parses exactly one statement and describes it for the
// sharding planner: its table uses and what its WHERE says about their
// shard keys, why it cannot be routed (Unsupported), and for a SELECT
// the merge a scatter needs. A statement the parser rejects is a
// *SyntaxError; empty text is the "Query was empty" error and several
// statements are ErrMultipleStatements.
//
// The result keeps the parsed statement for Render; it is meant to be
// cached per statement text and rendered many times.
func (m Mode) AnalyzeShard(sql string, keyOf ShardKeyOf) (*ShardStmt, error) {
	stmts, err := m.parseAST(sql)
	switch {
	case err != nil:
		return nil, err
	case len(stmts) == 0:
		return nil, emptyQueryError()
	case len(stmts) > 1:
		return nil, ErrMultipleStatements
	}
	return m.analyzeShard(stmts[0], m.analyze(stmts[0], sql), keyOf), nil
}

// AnalyzeShardOf is AnalyzeShard of sql, whose facts are f. Where f was
// parsed from this very text with its tree kept (ParseKeepingTree), the
// analysis takes that tree instead of parsing the text again: a bulk
// INSERT of a thousand rows costs milliseconds to parse, and the first
// parse, for routing, has already paid for it. The tree goes to one
// analysis only, as the analysis changes it; any later one parses anew.
func (m Mode) AnalyzeShardOf(sql string, f *Facts, keyOf ShardKeyOf) (*ShardStmt, error) {
	if stmt := f.takeTree(m, sql); stmt != nil {
		return m.analyzeShard(stmt, f, keyOf), nil
	}
	return m.AnalyzeShard(sql, keyOf)
}

// analyzeShard is AnalyzeShard of the parsed statement stmt, whose facts
// are facts.
func (m Mode) analyzeShard(stmt ast.StmtNode, facts *Facts, keyOf ShardKeyOf) *ShardStmt {
	impl := &shardImpl{mode: m, stmt: stmt}
	out := &ShardStmt{Kind: facts.Kind, impl: impl}
	out.Params = replaceParams(stmt, impl)
	out.FullText = fullTextUse(stmt)
	a := &analyzer{impl: impl, out: out, keyOf: keyOf, sources: map[*ast.TableSource]int{}}
	a.collect(stmt)

	switch st := stmt.(type) {
	case *ast.SelectStmt:
		nameFields(st)
		a.joinTree(st.From)
		a.filters(st.Where)
		if a.out.Unsupported == "" && a.topSharded() {
			a.selectStmt(st)
		}
	case *ast.SetOprStmt:
		// Every table of a UNION is nested: collect reported them.
	case *ast.InsertStmt:
		a.insertStmt(st)
	case *ast.UpdateStmt:
		a.joinTree(st.TableRefs)
		a.filters(st.Where)
		a.updateStmt(st)
		out.HasLimit = st.Limit != nil || st.Order != nil
		out.WriteLimit = writeLimit(impl, st.Limit, st.Order, st.MultipleTable, out.Uses)
	case *ast.DeleteStmt:
		a.joinTree(st.TableRefs)
		a.filters(st.Where)
		out.HasLimit = st.Limit != nil || st.Order != nil
		out.WriteLimit = writeLimit(impl, st.Limit, st.Order, st.IsMultiTable, out.Uses)
		impl.qualRename = !st.IsMultiTable
	default:
		// DDL and the rest: the tables touched, no routing information.
		for _, t := range facts.Tables {
			out.Uses = append(out.Uses, TableUse{Ref: t, Filter: KeyFilter{InIndex: -1}})
		}
		a.uses = make([]useInfo, len(out.Uses))
	}
	impl.uses = a.uses
	return out
}

// nameFields gives every unaliased expression of the select list its
// text as written as alias: MySQL names such a column by that text, and
// Render restores a normalized form (COUNT(*) becomes COUNT(1)), which
// would change the column names the client sees. Plain columns, literals
// and placeholders keep their own naming rules.
func nameFields(sel *ast.SelectStmt) {
	if sel.Fields == nil {
		return
	}
	for _, f := range sel.Fields.Fields {
		if f.Expr == nil || f.AsName.L != "" {
			continue
		}
		switch f.Expr.(type) {
		case *ast.ColumnNameExpr:
			continue
		case *paramNode:
			// MariaDB names a placeholder's column "?", whatever is
			// bound; the shards see the value written in.
			f.AsName = ast.NewCIStr("?")
			continue
		case ast.ValueExpr:
			// A literal is named by its value, as it is written back,
			// except hex and bit literals, which the parser writes back
			// as x'..' and b'..' whatever the client wrote (0x41, X'41').
			if !hexOrBitLiteral(f.Text()) {
				continue
			}
		}
		if t := strings.TrimSpace(f.Text()); t != "" {
			f.AsName = ast.NewCIStr(t)
		}
	}
}

// shardImpl is what Render needs: the parsed statement (with ? markers
// replaced by paramNodes), the scatter query built over the same nodes,
// and the nodes a Rewrite changes. Render mutates these nodes under mu,
// restores the text and undoes the changes.
type shardImpl struct {
	mu   sync.Mutex
	mode Mode
	stmt ast.StmtNode
	// scatter is the shard query of a ScatterSelect: a shallow copy of
	// the SELECT sharing FROM and WHERE with stmt, so renames and IN
	// replacements apply to both.
	scatter *ast.SelectStmt
	uses    []useInfo
	// inLists are the statement's IN lists in visiting order
	// (KeyFilter.InIndex indexes them).
	inLists []*ast.PatternInExpr
	// columns are all column references, for renames.
	columns []*ast.ColumnName
	// qualRename: the renamed table cannot take an alias (INSERT target,
	// single-table DELETE), so column qualifiers are renamed instead.
	qualRename bool
	// insert is the INSERT statement, for Rows/AddColumn.
	insert *ast.InsertStmt
	// args are the bound values of the Render call in progress.
	args []string
	// order, in a RenderTemplate call, collects the placeholders'
	// indexes in the order they are written.
	order *[]int
}

// useInfo is the analysis' side of a TableUse.
type useInfo struct {
	source  *ast.TableSource // nil for uses of non-DML statements
	key     string           // shard key; "" when not sharded
	sharded bool
	nested  string // the subquery/UNION/derived table/CTE it is read in; "" at top level
	// subquery is the query of the subquery it is read in, when that is
	// its only nesting (a subquery of the top-level statement).
	subquery *ast.SelectStmt
	// correlated: read in such a subquery that matches its shard key to
	// the shard key of a top-level table, so the rows it reads for a row
	// of that table live on that row's shard (a KeyJoin).
	correlated bool
}

type analyzer struct {
	impl    *shardImpl
	out     *ShardStmt
	keyOf   ShardKeyOf
	uses    []useInfo
	sources map[*ast.TableSource]int
	// conds are the top-level conjuncts of WHERE and inner-join ON.
	conds []ast.ExprNode
}

func (a *analyzer) unsupported(format string, args ...any) {
	if a.out.Unsupported == "" {
		a.out.Unsupported = fmt.Sprintf(format, args...)
	}
}

// collect records the table uses, IN lists and column names, and refuses
// sharded tables read in nested query blocks.
func (a *analyzer) collect(stmt ast.StmtNode) {
	c := &collector{a: a, ctes: cteNames(stmt)}
	if ins, ok := stmt.(*ast.InsertStmt); ok {
		// The target comes first in Uses although the parser visits the
		// SELECT source first.
		c.insertSelect = ins.Select
		if srcs := insertTarget(ins); srcs != nil {
			c.addUse(srcs, "")
			c.skip = srcs
		}
	}
	stmt.Accept(c)
	a.correlatedByKey()
	for i, u := range a.uses {
		if u.sharded && u.nested != "" && !u.correlated {
			a.unsupported("sharded table %s is read in %s", a.out.Uses[i].Ref, u.nested)
		}
	}
}

// correlatedByKey finds sharded tables read in a subquery whose WHERE
// matches their shard key to a top-level table's (SELECT ... (SELECT
// COUNT(*) FROM likes l WHERE l.entry_id = e.id) FROM entries e): each
// shard holds, for each of its rows of e, every row of the subquery, so
// the statement runs on the shards as written when the two tables are
// sharded the same way (the planner checks that, as for a join).
func (a *analyzer) correlatedByKey() {
	for i := range a.uses {
		u := &a.uses[i]
		if !u.sharded || u.subquery == nil {
			continue
		}
		for _, cond := range conjuncts(nil, u.subquery.Where) {
			b, ok := unparen(cond).(*ast.BinaryOperationExpr)
			if !ok || b.Op != opcode.EQ {
				continue
			}
			l, lok := unparen(b.L).(*ast.ColumnNameExpr)
			r, rok := unparen(b.R).(*ast.ColumnNameExpr)
			if !lok || !rok {
				continue
			}
			for _, pair := range [2][2]*ast.ColumnName{{l.Name, r.Name}, {r.Name, l.Name}} {
				if outer, ok := a.innerKeyToOuterKey(i, pair[0], pair[1]); ok {
					u.correlated = true
					a.out.KeyJoins = append(a.out.KeyJoins, [2]int{outer, i})
				}
			}
		}
	}
}

// innerKeyToOuterKey reports whether inner names use i's shard key and
// outer, qualified, a top-level sharded table's, and which.
func (a *analyzer) innerKeyToOuterKey(i int, inner, outer *ast.ColumnName) (int, bool) {
	if inner.Name.L != a.uses[i].key || outer.Table.L == "" || outer.Schema.L != "" {
		return 0, false
	}
	if inner.Table.L != "" && inner.Table.L != a.out.Uses[i].Alias && (a.out.Uses[i].Alias != "" || inner.Table.L != a.out.Uses[i].Ref.Name) {
		return 0, false
	}
	if inner.Table.L == outer.Table.L {
		return 0, false // both name the inner table's scope
	}
	for _, j := range a.keyUses(outer) {
		return j, true
	}
	return 0, false
}

func insertTarget(ins *ast.InsertStmt) *ast.TableSource {
	if ins.Table == nil || ins.Table.TableRefs == nil {
		return nil
	}
	ts, _ := ins.Table.TableRefs.Left.(*ast.TableSource)
	return ts
}

// cteNames lists the names of all CTEs of the statement: an unqualified
// table name equal to one is taken to be the CTE.
func cteNames(stmt ast.StmtNode) []string {
	var names []string
	containsNode(stmt, func(n ast.Node) bool {
		if cte, ok := n.(*ast.CommonTableExpression); ok {
			names = append(names, cte.Name.L)
		}
		return false
	})
	return names
}

type collector struct {
	a            *analyzer
	ctes         []string
	insertSelect ast.ResultSetNode
	skip         *ast.TableSource
	// reasons is the stack of nested blocks being visited.
	reasons []string
	owners  []ast.Node
}

func (c *collector) push(n ast.Node, reason string) {
	c.reasons = append(c.reasons, reason)
	c.owners = append(c.owners, n)
}

func (c *collector) Enter(n ast.Node) (ast.Node, bool) {
	if n == ast.Node(c.insertSelect) && n != nil {
		c.push(n, "the SELECT of an INSERT ... SELECT")
	}
	switch n := n.(type) {
	case *ast.SubqueryExpr:
		c.push(n, "a subquery")
	case *ast.CommonTableExpression:
		c.push(n, "a CTE")
	case *ast.SetOprStmt:
		c.push(n, "a UNION")
	case *ast.TableSource:
		switch src := n.Source.(type) {
		case *ast.SelectStmt, *ast.SetOprStmt:
			c.push(n, "a derived table")
		case *ast.TableName:
			if n != c.skip && src.Name.L != "" && !(src.Schema.L == "" && slices.Contains(c.ctes, src.Name.L)) {
				c.addUse(n, "")
			}
		}
	case *ast.PatternInExpr:
		if n.Sel == nil {
			c.a.impl.inLists = append(c.a.impl.inLists, n)
		}
	case *ast.ColumnName:
		c.a.impl.columns = append(c.a.impl.columns, n)
	}
	return n, false
}

func (c *collector) Leave(n ast.Node) (ast.Node, bool) {
	for len(c.owners) > 0 && c.owners[len(c.owners)-1] == n {
		c.owners = c.owners[:len(c.owners)-1]
		c.reasons = c.reasons[:len(c.reasons)-1]
	}
	return n, true
}

func (c *collector) addUse(ts *ast.TableSource, _ string) {
	tn := ts.Source.(*ast.TableName)
	ref := refOf(tn)
	u := useInfo{source: ts}
	if len(c.reasons) > 0 {
		u.nested = c.reasons[0]
	}
	if len(c.owners) == 1 {
		if sub, ok := c.owners[0].(*ast.SubqueryExpr); ok {
			u.subquery, _ = sub.Query.(*ast.SelectStmt)
		}
	}
	if c.a.keyOf != nil {
		u.key, u.sharded = c.a.keyOf(ref)
		u.key = strings.ToLower(u.key)
	}
	if !u.sharded {
		u.key = ""
	}
	c.a.sources[ts] = len(c.a.uses)
	c.a.uses = append(c.a.uses, u)
	c.a.out.Uses = append(c.a.out.Uses, TableUse{Ref: ref, Alias: ts.AsName.L, Nested: u.nested != "", Filter: KeyFilter{InIndex: -1}})
}

// topSharded: a sharded table is read at the top level.
func (a *analyzer) topSharded() bool {
	for _, u := range a.uses {
		if u.sharded && u.nested == "" {
			return true
		}
	}
	return false
}

// joinTree walks the top-level FROM: ON conditions of inner joins join
// the filter conjuncts, outer joins are checked, key joins recorded.
func (a *analyzer) joinTree(refs *ast.TableRefsClause) {
	if refs == nil || refs.TableRefs == nil {
		return
	}
	a.join(refs.TableRefs)
}

// join returns the uses under n.
func (a *analyzer) join(n ast.ResultSetNode) []int {
	switch n := n.(type) {
	case *ast.TableSource:
		if i, ok := a.sources[n]; ok {
			return []int{i}
		}
		if j, ok := n.Source.(*ast.Join); ok {
			return a.join(j)
		}
		return nil
	case *ast.Join:
		left := a.join(n.Left)
		var right []int
		if n.Right != nil {
			right = a.join(n.Right)
		}
		var on []ast.ExprNode
		if n.On != nil {
			on = conjuncts(nil, n.On.Expr)
		}
		joined := a.keyJoins(on, n.Using, left, right)
		switch n.Tp {
		case ast.LeftJoin, ast.RightJoin:
			inner := right
			if n.Tp == ast.RightJoin {
				inner = left
			}
			for _, i := range inner {
				if a.uses[i].sharded && !slices.Contains(joined, i) {
					a.unsupported("sharded table %s is the inner side of an outer join not joined on its shard key", a.out.Uses[i].Ref)
				}
			}
		default:
			a.conds = append(a.conds, on...)
		}
		return append(left, right...)
	}
	return nil
}

// keyJoins records the key equalities of an ON/USING clause between the
// uses on either side and returns the uses so joined.
func (a *analyzer) keyJoins(on []ast.ExprNode, using []*ast.ColumnName, left, right []int) []int {
	var joined []int
	add := func(i, j int) {
		if i == j || !a.uses[i].sharded || !a.uses[j].sharded {
			return
		}
		a.addKeyJoin(i, j)
		joined = append(joined, i, j)
	}
	for _, col := range using {
		for _, i := range left {
			for _, j := range right {
				if a.uses[i].key == col.Name.L && a.uses[j].key == col.Name.L {
					add(i, j)
				}
			}
		}
	}
	for _, e := range on {
		l, r, ok := a.keyEquality(e)
		if !ok {
			continue
		}
		for _, i := range l {
			for _, j := range r {
				add(i, j)
			}
		}
	}
	return joined
}

func (a *analyzer) addKeyJoin(i, j int) {
	if i > j {
		i, j = j, i
	}
	p := [2]int{i, j}
	if !slices.Contains(a.out.KeyJoins, p) {
		a.out.KeyJoins = append(a.out.KeyJoins, p)
	}
}

// keyEquality: e is key = key between sharded uses; it returns the uses
// each side's column may belong to.
func (a *analyzer) keyEquality(e ast.ExprNode) (l, r []int, ok bool) {
	b, isBin := unparen(e).(*ast.BinaryOperationExpr)
	if !isBin || b.Op != opcode.EQ {
		return nil, nil, false
	}
	lc, lok := unparen(b.L).(*ast.ColumnNameExpr)
	rc, rok := unparen(b.R).(*ast.ColumnNameExpr)
	if !lok || !rok {
		return nil, nil, false
	}
	l, r = a.keyUses(lc.Name), a.keyUses(rc.Name)
	return l, r, len(l) > 0 && len(r) > 0
}

// keyUses lists the top-level sharded uses whose shard key col may be.
func (a *analyzer) keyUses(col *ast.ColumnName) []int {
	var out []int
	for _, i := range a.qualified(col) {
		if a.uses[i].sharded && a.uses[i].key == col.Name.L {
			out = append(out, i)
		}
	}
	return out
}

// qualified lists the top-level uses a column's qualifier names (all of
// them for an unqualified column).
func (a *analyzer) qualified(col *ast.ColumnName) []int {
	var out []int
	if col.Table.L == "" {
		for i, u := range a.uses {
			if u.nested == "" && u.source != nil {
				out = append(out, i)
			}
		}
		return out
	}
	if col.Schema.L == "" {
		for i, u := range a.uses {
			if u.nested == "" && u.source != nil && a.out.Uses[i].Alias == col.Table.L {
				out = append(out, i)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	for i, u := range a.uses {
		use := a.out.Uses[i]
		if u.nested == "" && u.source != nil && use.Alias == "" && use.Ref.Name == col.Table.L &&
			(col.Schema.L == "" || col.Schema.L == use.Ref.Schema) {
			out = append(out, i)
		}
	}
	return out
}

// filters reads the WHERE conjuncts (with the inner-join ON conjuncts
// joinTree gathered) into the sharded uses' KeyFilters.
func (a *analyzer) filters(where ast.ExprNode) {
	conds := conjuncts(slices.Clone(a.conds), where)
	for _, e := range conds {
		if l, r, ok := a.keyEquality(e); ok {
			for _, i := range l {
				for _, j := range r {
					if i != j {
						a.addKeyJoin(i, j)
					}
				}
			}
			continue
		}
		a.predicate(e)
	}
}

// flipped swaps a comparison's sides: 5 < k is k > 5.
var flipped = map[opcode.Op]opcode.Op{
	opcode.EQ: opcode.EQ, opcode.LT: opcode.GT, opcode.LE: opcode.GE,
	opcode.GT: opcode.LT, opcode.GE: opcode.LE,
}

// predicate applies one conjunct to the filters of the uses whose key it
// constrains.
func (a *analyzer) predicate(e ast.ExprNode) {
	switch v := unparen(e).(type) {
	case *ast.BinaryOperationExpr:
		if _, ok := flipped[v.Op]; !ok {
			return
		}
		a.comparison(v.Op, v.L, v.R)
		a.comparison(flipped[v.Op], v.R, v.L)
	case *ast.PatternInExpr:
		c, isCol := unparen(v.Expr).(*ast.ColumnNameExpr)
		if v.Not || v.Sel != nil || !isCol {
			return
		}
		ops := make([]Operand, len(v.List))
		for k, x := range v.List {
			ops[k] = a.impl.operand(x)
			if ops[k].Expr {
				return
			}
		}
		idx := slices.Index(a.impl.inLists, v)
		a.soleIn(c.Name, ops)
		for _, i := range a.keyUses(c.Name) {
			a.out.Uses[i].Filter.addIn(ops, idx)
		}
	case *ast.BetweenExpr:
		c, isCol := unparen(v.Expr).(*ast.ColumnNameExpr)
		if v.Not || !isCol {
			return
		}
		lo, hi := a.impl.operand(v.Left), a.impl.operand(v.Right)
		for _, i := range a.keyUses(c.Name) {
			f := &a.out.Uses[i].Filter
			if f.Lo == nil && !lo.Expr {
				f.Lo = &RangeBound{Value: lo, Inclusive: true}
			}
			if f.Hi == nil && !hi.Expr {
				f.Hi = &RangeBound{Value: hi, Inclusive: true}
			}
		}
	case *ast.IsNullExpr:
		c, isCol := unparen(v.Expr).(*ast.ColumnNameExpr)
		if v.Not || !isCol {
			return
		}
		for _, i := range a.keyUses(c.Name) {
			a.out.Uses[i].Filter.Null = true
		}
	}
}

// comparison applies col op val when col is a shard key and val a
// literal or placeholder.
func (a *analyzer) comparison(op opcode.Op, col, val ast.ExprNode) {
	c, isCol := unparen(col).(*ast.ColumnNameExpr)
	if !isCol {
		return
	}
	o := a.impl.operand(val)
	if o.Expr {
		return
	}
	if op == opcode.EQ {
		a.soleEquality(c.Name, o)
	}
	for _, i := range a.keyUses(c.Name) {
		f := &a.out.Uses[i].Filter
		switch op {
		case opcode.EQ:
			f.addIn([]Operand{o}, -1)
		case opcode.GT, opcode.GE:
			if f.Lo == nil {
				f.Lo = &RangeBound{Value: o, Inclusive: op == opcode.GE}
			}
		case opcode.LT, opcode.LE:
			if f.Hi == nil {
				f.Hi = &RangeBound{Value: o, Inclusive: op == opcode.LE}
			}
		}
	}
}

// soleEquality records col = o on the statement's use when it has only
// one, a sharded table (TableUse.Equal). The first equality of a column
// is kept: a second of another value matches no row, which a guess of
// the row's shard then finds too.
func (a *analyzer) soleEquality(col *ast.ColumnName, o Operand) {
	for _, i := range a.soleUses(col) {
		keepFirst(&a.out.Uses[i].Equal, col.Name.L, o)
	}
}

// soleIn records col IN (ops) as soleEquality records col = v
// (TableUse.In): the first list of a column is kept, as a second can only
// match fewer of its rows.
func (a *analyzer) soleIn(col *ast.ColumnName, ops []Operand) {
	for _, i := range a.soleUses(col) {
		keepFirst(&a.out.Uses[i].In, col.Name.L, ops)
	}
}

// soleUses are the uses col may name where the statement has only one,
// a sharded table; none otherwise.
func (a *analyzer) soleUses(col *ast.ColumnName) []int {
	if len(a.uses) != 1 || !a.uses[0].sharded {
		return nil
	}
	return a.qualified(col)
}

// keepFirst sets (*m)[name] to v unless it holds a value already.
func keepFirst[V any](m *map[string]V, name string, v V) {
	if _, seen := (*m)[name]; seen {
		return
	}
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[name] = v
}

// addIn adds an equality (ops from key = v, idx -1) or an IN list (idx
// its index). Several are intersected when all values are literals; an
// empty intersection, or placeholders, keep the first.
func (f *KeyFilter) addIn(ops []Operand, idx int) {
	if f.In == nil {
		f.In, f.InIndex = ops, idx
		return
	}
	if !allLiterals(f.In) || !allLiterals(ops) {
		return
	}
	var both []Operand
	for _, o := range f.In {
		if slices.ContainsFunc(ops, func(p Operand) bool { return p.Literal == o.Literal }) {
			both = append(both, o)
		}
	}
	if len(both) == 0 {
		return
	}
	f.In = both
	if f.InIndex < 0 {
		f.InIndex = idx
	}
}

func allLiterals(ops []Operand) bool {
	for _, o := range ops {
		if o.Literal == "" {
			return false
		}
	}
	return true
}

// insertStmt describes INSERT/REPLACE ... VALUES (or SET).
func (a *analyzer) insertStmt(st *ast.InsertStmt) {
	a.impl.insert = st
	a.impl.qualRename = true
	if len(a.uses) == 0 || a.uses[0].source != insertTarget(st) {
		return
	}
	target, u := a.out.Uses[0], a.uses[0]
	if u.sharded {
		switch {
		case st.Select != nil:
			a.unsupported("INSERT ... SELECT into sharded table %s", target.Ref)
			return
		case len(st.Columns) == 0:
			a.unsupported("INSERT without a column list into sharded table %s, whose columns Strata has not read from the shards yet: name the columns", target.Ref)
			return
		}
	}
	if st.Select != nil {
		return
	}
	rows := &InsertRows{KeyCol: -1}
	for i, c := range st.Columns {
		rows.Columns = append(rows.Columns, c.Name.L)
		if u.sharded && c.Name.L == u.key && rows.KeyCol < 0 {
			rows.KeyCol = i
		}
	}
	for _, list := range st.Lists {
		row := make([]Operand, len(list))
		for i, e := range list {
			row[i] = a.impl.operand(e)
		}
		rows.Rows = append(rows.Rows, row)
	}
	for _, as := range st.OnDuplicate {
		if u.sharded && as.Column.Name.L == u.key && !keepsColumn(as.Expr, u.key) {
			rows.OnDuplicateSetsKey = true
		}
		a.out.Assigns = append(a.out.Assigns, a.assign(as))
	}
	a.out.Ignore = st.IgnoreErr
	a.out.Insert = rows
}

// keepsColumn reports whether e, assigned to column col by ON DUPLICATE
// KEY UPDATE, gives the row the value it has: col itself, or
// LAST_INSERT_ID(col), MySQL's idiom for making LAST_INSERT_ID() the id
// of the row an upsert updated (ON DUPLICATE KEY UPDATE id =
// LAST_INSERT_ID(id)), or VALUES(col), the value of the row the INSERT
// brought (every column, the shard key among them, in what ORMs write for
// an upsert: Rails' upsert_all, Laravel's upsert). Such an assignment of
// the shard key moves no row: the row it updates is one the shard found
// for the inserted row, which Strata sent to the shard of VALUES(col), so
// that value places the updated row where it is.
func keepsColumn(e ast.ExprNode, col string) bool {
	e = unparen(e)
	if call, ok := e.(*ast.FuncCallExpr); ok && call.FnName.L == ast.LastInsertId && len(call.Args) == 1 {
		e = unparen(call.Args[0])
	}
	if v, ok := e.(*ast.ValuesExpr); ok && v.Column != nil {
		return v.Column.Name.Name.L == col
	}
	name, ok := e.(*ast.ColumnNameExpr)
	return ok && name.Name.Name.L == col
}

// moveBlocker says why rows an UPDATE matches could not move between
// shards if it set their shard key: "" for a single-table UPDATE (not a
// join, which the parser does not mark MultipleTable, nor a derived
// table), without WITH or IGNORE.
func moveBlocker(st *ast.UpdateStmt) string {
	switch {
	case st.IgnoreErr:
		return "UPDATE IGNORE would skip a moved row whose key is taken on its new shard, where MariaDB skips only rows it cannot change in place; leave out IGNORE"
	case st.With != nil:
		return "a row moves between shards only by an UPDATE without WITH"
	}
	if st.MultipleTable || st.TableRefs == nil || st.TableRefs.TableRefs == nil || st.TableRefs.TableRefs.Right != nil {
		return "a row moves between shards only by a single-table UPDATE"
	}
	if ts, ok := st.TableRefs.TableRefs.Left.(*ast.TableSource); ok {
		if _, ok := ts.Source.(*ast.TableName); ok {
			return ""
		}
	}
	return "a row moves between shards only by a single-table UPDATE"
}

// updateStmt sets SetsShardKey, and NewKey (MariaDB applies the last
// assignment) or MoveBlocker.
func (a *analyzer) updateStmt(st *ast.UpdateStmt) {
	blocker := moveBlocker(st)
	a.out.Ignore = st.IgnoreErr
	for _, as := range st.List {
		a.out.Assigns = append(a.out.Assigns, a.assign(as))
		if len(a.keyUses(as.Column)) == 0 {
			continue
		}
		a.out.SetsShardKey = true
		if a.out.MoveBlocker = blocker; blocker == "" {
			op := a.impl.operand(as.Expr)
			a.out.NewKey = &op
		}
	}
}

// assign is the analysis of one SET assignment.
func (a *analyzer) assign(as *ast.Assignment) Assign {
	return Assign{Column: as.Column.Name.L, Table: as.Column.Table.L, Value: a.impl.operand(as.Expr)}
}

// writeLimit reads the LIMIT and ORDER BY of a single-table UPDATE or
// DELETE (MariaDB allows them on no other) that uses the tables uses.
func writeLimit(impl *shardImpl, limit *ast.Limit, order *ast.OrderByClause, multi bool, uses []TableUse) WriteLimit {
	if limit == nil {
		return WriteLimit{Count: -1}
	}
	n, param, ok := limitOf(impl, limit.Count)
	if !ok || limit.Offset != nil || multi {
		return WriteLimit{Count: -1, Unwalkable: true}
	}
	out := WriteLimit{Count: n, Param: param}
	if order != nil {
		scope := topScope(uses)
		for _, item := range order.Items {
			o := WriteOrder{Desc: item.Desc}
			if c, ok := unparen(item.Expr).(*ast.ColumnNameExpr); ok {
				o.Column = c.Name.Name.L
			} else {
				// An expression's text sorts by the collation MariaDB
				// derives from what it is made of, which the server does
				// not report: Strata derives it as for a SELECT's.
				o.Source = &TextSource{}
				o.Source.read(item.Expr, scope, true)
			}
			out.Order = append(out.Order, o)
		}
	}
	return out
}

// hexOrBitLiteral: text is a hexadecimal or bit literal (0x41, X'41',
// 0b101, b'101').
func hexOrBitLiteral(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	return strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "x'") || strings.HasPrefix(t, "0b") || strings.HasPrefix(t, "b'")
}
