package sqlparse

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// The scatter form of a SELECT over sharded tables: the ScatterSelect
// the merge engine runs and the shard query (shardImpl.scatter).
//
// Shard query, not aggregated: the select list plus hidden columns, the
// WHERE/HAVING/ORDER BY as written, LIMIT offset+limit without offset.
// Aggregated: AVG(x) becomes SUM(x) plus a hidden COUNT(x), COUNT(DISTINCT
// x) becomes x with x added to GROUP BY, hidden columns for GROUP BY,
// HAVING and ORDER BY operands not selected, ORDER BY the group keys
// (by position), no HAVING, no LIMIT, no DISTINCT.

type scatterBuilder struct {
	impl   *shardImpl
	sel    *ast.SelectStmt
	orig   []*ast.SelectField
	fields []*ast.SelectField // the shard query's list: visible, then hidden
	// wild is the index of the first * field (len(orig) when none);
	// fields from there on have no known position.
	wild       int
	visible    int
	hiddenKeys []string
	// aggCols maps an aggregate's text to its result column.
	aggCols map[string]int
	// groupCols are the columns of the GROUP BY items.
	groupCols []int
	groupExpr []ast.ExprNode
	// pending are the select fields that are expressions over aggregates,
	// registered (computed) once the group keys are known;
	// computedText maps such a field's text to its column.
	pending      []int
	computedText map[string]int
	// wholeGroups: every group is whole on one shard (buildWholeGroups).
	wholeGroups bool
	// wholeWindows: every window is partitioned by a shard key, so the
	// shards compute window functions over whole partitions.
	wholeWindows bool
	// distinct are the DISTINCT aggregates' arguments, each grouped by on
	// the shards in its own column.
	distinct []countDistinct
	// randomOrder maps ORDER BY items that are RAND() to the hidden
	// column holding each row's value: the shards order by that column
	// (by its alias), so the value they sort by is the one they send.
	randomOrder map[int]string
	out         *ScatterSelect
	why         string
}

func (b *scatterBuilder) fail(format string, args ...any) {
	if b.why == "" {
		b.why = fmt.Sprintf(format, args...)
	}
}

// selectStmt builds out.Select, or sets Unsupported.
func (a *analyzer) selectStmt(sel *ast.SelectStmt) {
	var table TableRef
	for i, u := range a.uses {
		if u.sharded && u.nested == "" {
			table = a.out.Uses[i].Ref
			break
		}
	}
	windows := a.windowsWholeOnShards(sel)
	b := newScatterBuilder(a.impl, sel)
	b.wholeWindows = windows
	ss := b.build()
	// A VARIANCE or STDDEV merged from partials is computed again in
	// Strata, in floating point, a GROUP_CONCAT merged from lists is
	// refused where a value holds 0x1F, and JSON_ARRAYAGG's elements would
	// come in shard order: where every group is whole on a shard, the
	// shard's own value is the one server's. So with a DISTINCT aggregate,
	// whose partials are every distinct value of every group (the shards
	// grouped by it too): each shard's own count is exact, reads a row per
	// group, and is described as the server describes it.
	wholeBetter := func(n ast.Node) bool {
		return isDeviation(n) || isGroupConcat(n) || isJSONAgg(n) || isDistinctAgg(n)
	}
	better := containsNode(sel.Fields, wholeBetter) || (sel.Having != nil && containsNode(sel.Having, wholeBetter)) ||
		(sel.OrderBy != nil && containsNode(sel.OrderBy, wholeBetter))
	if (b.why != "" || better) && a.groupsWholeOnShards(sel) {
		// The aggregates cannot be merged from partials, but every group
		// is whole on one shard: the shards can answer it as written.
		w := newScatterBuilder(a.impl, sel)
		w.wholeWindows = windows
		if ws := w.buildWholeGroups(); w.why == "" {
			b, ss = w, ws
		}
	}
	if b.why != "" {
		a.unsupported("SELECT over sharded table %s: %s", table, b.why)
		return
	}
	ss.Sources = b.textSources(a.out.Uses)
	a.out.Select = ss
}

func newScatterBuilder(impl *shardImpl, sel *ast.SelectStmt) *scatterBuilder {
	return &scatterBuilder{impl: impl, sel: sel, aggCols: map[string]int{}, computedText: map[string]int{}}
}

// start sets up the select list and the common refusals.
func (b *scatterBuilder) start() {
	sel := b.sel
	if sel.Fields != nil {
		b.orig = sel.Fields.Fields
	}
	b.wild = len(b.orig)
	for i, f := range b.orig {
		if f.WildCard != nil {
			b.wild = i
			break
		}
	}
	b.visible = len(b.orig)
	if b.wild < len(b.orig) {
		b.visible = -1
	}
	b.fields = append([]*ast.SelectField(nil), b.orig...)
	b.out = &ScatterSelect{Visible: b.visible, Limit: -1, Distinct: sel.Distinct,
		FoundRows: sel.SelectStmtOpts != nil && sel.SelectStmtOpts.CalcFoundRows}

	switch {
	case sel.SelectIntoOpt != nil:
		b.fail("SELECT ... INTO")
	case (containsNode(sel.Fields, isWindowFunc) || containsNode(sel.OrderBy, isWindowFunc) || len(sel.WindowSpecs) > 0) && !b.wholeWindows:
		b.fail("window functions (unless every window is PARTITION BY the shard key)")
	case sel.GroupBy != nil && sel.GroupBy.Rollup:
		b.fail("GROUP BY ... WITH ROLLUP")
	}
}

func (b *scatterBuilder) build() *ScatterSelect {
	sel := b.sel
	b.start()
	aggregated := sel.GroupBy != nil || hasAggregate(sel.Fields) || (sel.Having != nil && hasAggregate(sel.Having)) ||
		hasAggregate(sel.OrderBy)
	b.out.Aggregated = aggregated
	if aggregated && (containsNode(sel.Fields, isWindowFunc) || containsNode(sel.OrderBy, isWindowFunc)) {
		b.fail("window functions over groups Strata merges")
	}

	scatter := *sel
	if aggregated {
		b.aggregateFields()
		b.groupBy()
		for _, i := range b.pending {
			b.computed(i)
		}
		if sel.Having != nil {
			b.out.Having = b.having(sel.Having.Expr)
		}
	}
	b.orderBy()
	b.limit()
	if b.why != "" {
		return nil
	}

	if aggregated {
		var items []*ast.ByItem
		var order []*ast.ByItem
		if sel.GroupBy != nil {
			items = append(items, sel.GroupBy.Items...)
		}
		for i, g := range b.out.GroupBy {
			if g.Collation != "" {
				order = append(order, &ast.ByItem{Expr: sel.GroupBy.Items[i].Expr, Desc: g.Desc})
			} else {
				order = append(order, &ast.ByItem{Expr: &ast.PositionExpr{N: g.Col + 1}, Desc: g.Desc})
			}
		}
		b.out.MergeOrder = append([]Order(nil), b.out.GroupBy...)
		for _, cd := range b.distinct {
			items = append(items, &ast.ByItem{Expr: cd.arg})
			order = append(order, &ast.ByItem{Expr: &ast.PositionExpr{N: cd.col + 1}})
			b.out.MergeOrder = append(b.out.MergeOrder, Order{Col: cd.col})
		}
		scatter.GroupBy = nil
		if len(items) > 0 {
			scatter.GroupBy = &ast.GroupByClause{Items: items}
		}
		scatter.OrderBy = nil
		if len(order) > 0 {
			scatter.OrderBy = &ast.OrderByClause{Items: order}
		}
		scatter.Having = nil
		scatter.Limit = nil
		scatter.Distinct = false
		return b.finish(&scatter)
	}
	return b.finishRows(&scatter)
}

// finishRows ends the scatter of rows merged as they are (no aggregation
// in Strata): merged by the ORDER BY, each shard asked for offset+limit.
func (b *scatterBuilder) finishRows(scatter *ast.SelectStmt) *ScatterSelect {
	b.out.MergeOrder = b.out.OrderBy
	scatter.Limit = b.shardLimit()
	if len(b.randomOrder) > 0 {
		items := slices.Clone(scatter.OrderBy.Items)
		for i, alias := range b.randomOrder {
			items[i] = &ast.ByItem{Expr: &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(alias)}}, Desc: items[i].Desc}
		}
		scatter.OrderBy = &ast.OrderByClause{Items: items}
	}
	return b.finish(scatter)
}

// finish sets the shard query's select list (visible, then hidden) and
// keeps it for Render.
func (b *scatterBuilder) finish(scatter *ast.SelectStmt) *ScatterSelect {
	scatter.Fields = &ast.FieldList{Fields: b.fields}
	b.out.Hidden = len(b.hiddenKeys)
	b.impl.scatter = scatter
	return b.out
}

// buildWholeGroups is the scatter of an aggregated SELECT whose groups
// each live whole on one shard (it groups by the shard key): every shard
// runs the statement as written — aggregates of any kind, HAVING,
// expressions — and Strata merges the groups' rows as a plain SELECT's:
// merge by ORDER BY (by the GROUP BY when there is none, the order
// MariaDB gives grouped rows), DISTINCT, LIMIT.
func (b *scatterBuilder) buildWholeGroups() *ScatterSelect {
	sel := b.sel
	b.wholeGroups = true
	b.start()
	b.out.WholeGroups = true
	scatter := *sel
	if sel.OrderBy == nil && sel.GroupBy != nil {
		order := &ast.OrderByClause{}
		for _, item := range sel.GroupBy.Items {
			order.Items = append(order.Items, &ast.ByItem{Expr: item.Expr})
		}
		b.sel = &scatter
		scatter.OrderBy = order
	}
	b.orderBy()
	b.limit()
	b.sel = sel
	for i, f := range b.orig {
		if b.known(i) && f.Expr != nil && containsNode(f.Expr, isDeviation) {
			b.out.FullCopies = append(b.out.FullCopies, FullCopy{Col: i, Full: b.fullCopy(unparen(f.Expr))})
		}
	}
	if b.why != "" {
		return nil
	}
	return b.finishRows(&scatter)
}

// hiddenCol is the Col of hidden column h.
func (b *scatterBuilder) hiddenCol(h int) int {
	if b.visible < 0 {
		return -(h + 1)
	}
	return b.visible + h
}

// addHidden appends a helper column (or finds it by key).
func (b *scatterBuilder) addHidden(key string, e ast.ExprNode) int {
	col, _ := b.addHiddenAlias(key, e)
	return col
}

// addHiddenAlias is addHidden that also returns the column's alias in the
// shard query.
func (b *scatterBuilder) addHiddenAlias(key string, e ast.ExprNode) (int, string) {
	for h, k := range b.hiddenKeys {
		if k == key {
			return b.hiddenCol(h), hiddenAlias(h)
		}
	}
	h := len(b.hiddenKeys)
	b.hiddenKeys = append(b.hiddenKeys, key)
	b.fields = append(b.fields, &ast.SelectField{Expr: e, AsName: ast.NewCIStr(hiddenAlias(h))})
	return b.hiddenCol(h), hiddenAlias(h)
}

func hiddenAlias(h int) string { return fmt.Sprintf("strata_h%d", h) }

// isUnseededRand: RAND() without a seed. With a seed its sequence is one
// server's, which no merge of the shards' sequences reproduces.
func isUnseededRand(e ast.ExprNode) bool {
	f, ok := e.(*ast.FuncCallExpr)
	return ok && f.FnName.L == ast.Rand && len(f.Args) == 0
}

// fieldName is the column name the client sees for select field f.
func (b *scatterBuilder) fieldName(f *ast.SelectField) string {
	if f.AsName.O != "" {
		return f.AsName.O
	}
	if t := strings.TrimSpace(f.Text()); t != "" {
		return t
	}
	return b.impl.text(f.Expr)
}

// countDistinct is a COUNT(DISTINCT x) of the select list: the shards
// select x in its column and group by it as well.
type countDistinct struct {
	arg ast.ExprNode
	col int
}

// aggregateFields registers the select list's aggregates and rewrites
// AVG and COUNT(DISTINCT) for the shard query.
func (b *scatterBuilder) aggregateFields() {
	for i, f := range b.orig {
		if f.WildCard != nil {
			b.fail("SELECT * with GROUP BY or aggregates")
			return
		}
		e := unparen(f.Expr)
		ag, ok := e.(*ast.AggregateFuncExpr)
		if !ok && zeroDefaulted(e) {
			b.out.Aggs = append(b.out.Aggs, Agg{Col: i, Func: AggSumZero})
			if key := b.impl.text(e); !b.hasAggCol(key) {
				b.aggCols[key] = i
			}
			continue
		}
		if !ok {
			if hasAggregate(e) {
				b.pending = append(b.pending, i)
			}
			continue
		}
		fn, why := aggFuncOf(ag)
		if why != "" {
			b.fail("%s cannot be merged across shards", why)
			return
		}
		key := b.impl.text(ag)
		switch fn {
		case AggAvg:
			nf := *f
			nf.Expr = &ast.AggregateFuncExpr{F: ast.AggFuncSum, Args: ag.Args}
			nf.AsName = ast.NewCIStr(b.fieldName(f))
			b.fields[i] = &nf
			cnt := b.addHidden("avgcount:"+key, &ast.AggregateFuncExpr{F: ast.AggFuncCount, Args: ag.Args})
			b.out.Aggs = append(b.out.Aggs, Agg{Col: i, Func: AggAvg, CountCol: cnt, PrecCol: b.divPrecision(), ExactCol: b.exactSum(ag)})
		case AggSum:
			b.out.Aggs = append(b.out.Aggs, Agg{Col: i, Func: fn, ExactCol: b.exactSum(ag)})
		case AggVarPop, AggVarSamp, AggStdPop, AggStdSamp:
			b.out.Aggs = append(b.out.Aggs, b.deviation(ag, i, fn))
		case AggGroupConcat:
			nf := *f
			nf.Expr = b.groupConcatList(ag)
			nf.AsName = ast.NewCIStr(b.fieldName(f))
			b.fields[i] = &nf
			b.out.Aggs = append(b.out.Aggs, b.groupConcat(ag, i))
		case AggJSONArray, AggJSONObject:
			b.out.Aggs = append(b.out.Aggs, Agg{Col: i, Func: fn, LenCol: b.addHidden("gclen", newRawExpr("MAX(@@group_concat_max_len)"))})
		case AggCountDistinct, AggSumDistinct, AggAvgDistinct:
			nf := *f
			nf.Expr = ag.Args[0]
			nf.AsName = ast.NewCIStr(b.fieldName(f))
			b.fields[i] = &nf
			b.distinct = append(b.distinct, countDistinct{arg: ag.Args[0], col: i})
			agg := Agg{Col: i, Func: fn}
			if fn == AggAvgDistinct {
				agg.PrecCol = b.divPrecision()
			}
			b.out.Aggs = append(b.out.Aggs, agg)
		default:
			b.out.Aggs = append(b.out.Aggs, Agg{Col: i, Func: fn})
		}
		if _, dup := b.aggCols[key]; !dup {
			b.aggCols[key] = i
		}
	}
}

// isComputed reports whether select field i is an expression over
// aggregates.
func (b *scatterBuilder) isComputed(i int) bool { return slices.Contains(b.pending, i) }

func (b *scatterBuilder) hasAggCol(key string) bool {
	_, ok := b.aggCols[key]
	return ok
}

// aggCol is the column of an aggregate used in HAVING or ORDER BY: the
// select list's, or a new hidden one.
func (b *scatterBuilder) aggCol(ag *ast.AggregateFuncExpr) int {
	key := b.impl.text(ag)
	if col, ok := b.aggCols[key]; ok {
		return col
	}
	fn, why := aggFuncOf(ag)
	var col int
	switch {
	case why != "":
		b.fail("%s cannot be merged across shards", why)
		return 0
	case fn == AggGroupConcat || fn.JSON():
		b.fail("aggregate %s() cannot be merged across shards inside an expression, HAVING or ORDER BY", strings.ToUpper(ag.F))
		return 0
	case fn == AggCountDistinct || fn == AggSumDistinct || fn == AggAvgDistinct:
		b.fail("%s that is not in the select list", key)
		return 0
	case fn == AggAvg:
		col = b.addHidden("agg:"+key, &ast.AggregateFuncExpr{F: ast.AggFuncSum, Args: ag.Args})
		cnt := b.addHidden("avgcount:"+key, &ast.AggregateFuncExpr{F: ast.AggFuncCount, Args: ag.Args})
		b.out.Aggs = append(b.out.Aggs, Agg{Col: col, Func: AggAvg, CountCol: cnt, PrecCol: b.divPrecision(), ExactCol: b.exactSum(ag)})
	case fn == AggSum:
		col = b.addHidden("agg:"+key, ag)
		b.out.Aggs = append(b.out.Aggs, Agg{Col: col, Func: fn, ExactCol: b.exactSum(ag)})
	case fn.Deviation():
		col = b.addHidden("agg:"+key, ag)
		b.out.Aggs = append(b.out.Aggs, b.deviation(ag, col, fn))
	default:
		col = b.addHidden("agg:"+key, ag)
		b.out.Aggs = append(b.out.Aggs, Agg{Col: col, Func: fn})
	}
	b.aggCols[key] = col
	return col
}

// exactSum is the hidden column of SUM(x) with every fraction digit the
// server keeps, for a SUM or AVG whose argument divides (x / 7 is kept
// with 9 digits and shown with 4), or 0 when the shown sum is exact.
func (b *scatterBuilder) exactSum(ag *ast.AggregateFuncExpr) int {
	if len(ag.Args) != 1 || ag.Distinct || !containsNode(ag.Args[0], isDivision) {
		return 0
	}
	arg := ag.Args[0]
	return b.addHidden("exact:"+b.impl.text(arg), &rawExpr{ExprNode: &ast.DefaultExpr{}, write: func(ctx *format.RestoreCtx) error {
		ctx.WritePlain("CAST(SUM(")
		if err := arg.Restore(ctx); err != nil {
			return err
		}
		ctx.WritePlain(") AS DECIMAL(65,30))")
		return nil
	}})
}

// isDivision: a / b, whose DECIMAL result the server keeps with more
// fraction digits than it shows.
func isDivision(n ast.Node) bool {
	op, ok := n.(*ast.BinaryOperationExpr)
	return ok && op.Op == opcode.Div
}

// divPrecision is the hidden column of the session's
// div_precision_increment, which Strata divides an AVG's sum by its count
// with, as the server would: a session that sets it gets averages of
// its scale. One per query.
func (b *scatterBuilder) divPrecision() int {
	return b.addHidden("divprec", newRawExpr("MAX(@@div_precision_increment)"))
}

// known: select field i has a known position.
func (b *scatterBuilder) known(i int) bool { return i < b.wild }

// resolve finds the result column of a GROUP BY or ORDER BY item, adding
// a hidden column when the select list does not have it. aliasFirst: an
// unqualified name is looked up among the aliases before the columns
// (ORDER BY; GROUP BY looks at the tables first).
func (b *scatterBuilder) resolve(e ast.ExprNode, aliasFirst bool) int {
	e = unparen(e)
	switch v := e.(type) {
	case *ast.PositionExpr:
		if v.P != nil || v.N < 1 || (b.visible >= 0 && v.N > b.visible) {
			b.fail("position %s", b.impl.text(v))
			return 0
		}
		return v.N - 1
	case *ast.ColumnNameExpr:
		if aliasFirst {
			if col, ok := b.byAlias(v.Name); ok {
				return col
			}
		}
		for i, f := range b.orig {
			if c, ok := unparen(f.Expr).(*ast.ColumnNameExpr); ok && b.known(i) && sameColumn(c.Name, v.Name) {
				return i
			}
		}
		if !aliasFirst {
			if col, ok := b.byAlias(v.Name); ok {
				return col
			}
		}
		if f := b.aliasAfterWild(v.Name); f != nil {
			// ORDER BY likes_count of SELECT e.*, (...) AS likes_count:
			// its position is not known, and a select list cannot name
			// an alias of its own, so the hidden column repeats the
			// aliased expression.
			if c, ok := unparen(f.Expr).(*ast.ColumnNameExpr); ok {
				return b.addHidden("expr:"+b.impl.text(c), c)
			}
			return b.resolve(f.Expr, aliasFirst)
		}
		return b.addHidden("expr:"+b.impl.text(v), v)
	case *ast.AggregateFuncExpr:
		if !b.wholeGroups {
			return b.aggCol(v)
		}
	}
	if b.wholeGroups {
		// Each shard computes the whole group's values: an aggregate is
		// a plain expression, selected or hidden.
		t := b.impl.text(e)
		if containsNode(e, isDeviation) {
			return b.fullCopy(e)
		}
		for i, f := range b.orig {
			if b.known(i) && f.Expr != nil && b.impl.text(unparen(f.Expr)) == t {
				return i
			}
		}
		return b.addHidden("expr:"+t, e)
	}
	if col, ok := b.aggCols[b.impl.text(e)]; ok && zeroDefaulted(e) {
		return col // ORDER BY IFNULL(SUM(x), 0), as in the select list
	}
	if col, ok := b.computedText[b.impl.text(e)]; ok {
		return col // ORDER BY SUM(a) / COUNT(*), as in the select list
	}
	if hasAggregate(e) {
		b.fail("aggregate inside an expression (%s)", b.impl.text(e))
		return 0
	}
	if col, ok := b.byText(e); ok {
		return col
	}
	return b.addHidden("expr:"+b.impl.text(e), e)
}

func (b *scatterBuilder) byAlias(c *ast.ColumnName) (int, bool) {
	if c.Table.L != "" {
		return 0, false
	}
	for i, f := range b.orig {
		if b.known(i) && f.AsName.L != "" && f.AsName.L == c.Name.L {
			return i, true
		}
	}
	return 0, false
}

// aliasAfterWild is the select field after a * (whose position is not
// known) that an unqualified c names by its alias, or nil.
func (b *scatterBuilder) aliasAfterWild(c *ast.ColumnName) *ast.SelectField {
	if c.Table.L != "" {
		return nil
	}
	for i, f := range b.orig {
		if !b.known(i) && f.Expr != nil && f.AsName.L != "" && f.AsName.L == c.Name.L {
			return f
		}
	}
	return nil
}

// byText finds a non-aggregate select field with the same text as e.
func (b *scatterBuilder) byText(e ast.ExprNode) (int, bool) {
	t := b.impl.text(e)
	for i, f := range b.orig {
		if b.known(i) && f.Expr != nil && !hasAggregate(f.Expr) && b.impl.text(unparen(f.Expr)) == t {
			return i, true
		}
	}
	return 0, false
}

func (b *scatterBuilder) groupBy() {
	if b.sel.GroupBy == nil {
		return
	}
	for _, item := range b.sel.GroupBy.Items {
		e, coll := item.Expr, ""
		if sc, ok := unparen(e).(*ast.SetCollationExpr); ok {
			e, coll = sc.Expr, sc.Collate
		}
		if hasAggregate(e) {
			b.fail("aggregate in GROUP BY")
			return
		}
		col := b.resolve(e, false)
		b.groupCols = append(b.groupCols, col)
		b.groupExpr = append(b.groupExpr, unparen(e))
		b.out.GroupBy = append(b.out.GroupBy, Order{Col: col, Desc: item.Desc, Collation: coll})
	}
}

func (b *scatterBuilder) orderBy() {
	if b.sel.OrderBy == nil {
		return
	}
	for i, item := range b.sel.OrderBy.Items {
		e, coll := unparen(item.Expr), ""
		if sc, ok := e.(*ast.SetCollationExpr); ok {
			e, coll = unparen(sc.Expr), sc.Collate
		}
		if _, ok := e.(*paramNode); ok {
			continue // ORDER BY ?: a constant
		}
		if isUnseededRand(e) && !b.out.Aggregated {
			// ORDER BY RAND() [LIMIT n], "a random row": each shard
			// sends its rows sorted by a random value of their own,
			// and merged by it the rows come in a random order of all
			// of them, as on one server; with LIMIT, each shard's n
			// lowest hold the n lowest of all.
			col, alias := b.addHiddenAlias(fmt.Sprintf("rand:%d", i), e)
			if b.randomOrder == nil {
				b.randomOrder = map[int]string{}
			}
			b.randomOrder[i] = alias
			b.out.OrderBy = append(b.out.OrderBy, Order{Col: col, Desc: item.Desc})
			continue
		}
		if s, ok := b.impl.literalText(e); ok {
			if strings.EqualFold(s, "NULL") {
				continue // ORDER BY NULL: no order
			}
			b.fail("ORDER BY a constant (%s)", s)
			return
		}
		if containsNode(e, func(n ast.Node) bool {
			f, ok := n.(*ast.FuncCallExpr)
			return ok && (f.FnName.L == ast.Rand || f.FnName.L == ast.UUID)
		}) {
			b.fail("ORDER BY an expression over a random value (RAND(n), RAND() + x, UUID()), which each shard would draw on its own")
			return
		}
		col := b.resolve(e, true)
		if b.wholeGroups && col >= 0 && col < len(b.orig) && b.known(col) && containsNode(b.orig[col].Expr, isDeviation) {
			col = b.fullCopy(unparen(b.orig[col].Expr)) // ORDER BY its alias or position
		}
		name := ""
		if cn, ok := e.(*ast.ColumnNameExpr); ok {
			name = cn.Name.Name.L
		}
		b.out.OrderBy = append(b.out.OrderBy, Order{Col: col, Desc: item.Desc, Collation: coll, Column: name})
	}
}

// having translates a HAVING condition over the combined rows.
func (b *scatterBuilder) having(e ast.ExprNode) *Expr {
	e = unparen(e)
	if p, ok := e.(*paramNode); ok {
		return &Expr{Op: ExprParam, Param: p.idx + 1}
	}
	if s, ok := b.impl.literalText(e); ok {
		return &Expr{Op: ExprLiteral, Literal: s}
	}
	switch v := e.(type) {
	case *ast.AggregateFuncExpr:
		return &Expr{Op: ExprColumn, Col: b.aggCol(v)}
	case *ast.ColumnNameExpr:
		if col, ok := b.byAlias(v.Name); ok {
			if b.isComputed(col) {
				// HAVING filters before the expression is evaluated:
				// filter on the expression itself.
				return b.having(b.orig[col].Expr)
			}
			return &Expr{Op: ExprColumn, Col: col}
		}
		for i, f := range b.orig {
			if c, ok := unparen(f.Expr).(*ast.ColumnNameExpr); ok && b.known(i) && sameColumn(c.Name, v.Name) {
				return &Expr{Op: ExprColumn, Col: i}
			}
		}
		for k, g := range b.groupExpr {
			if c, ok := g.(*ast.ColumnNameExpr); ok && sameColumn(c.Name, v.Name) {
				return &Expr{Op: ExprColumn, Col: b.groupCols[k]}
			}
		}
		b.fail("HAVING column %s is neither selected nor grouped", b.impl.text(v))
		return nil
	case *ast.UnaryOperationExpr:
		switch v.Op {
		case opcode.Not, opcode.Not2:
			return b.node(ExprNot, v.V)
		case opcode.Minus:
			return b.node(ExprNeg, v.V)
		case opcode.Plus:
			return b.having(v.V)
		}
	case *ast.BinaryOperationExpr:
		if op, ok := havingOps[v.Op]; ok {
			return b.node(op, v.L, v.R)
		}
	case *ast.IsNullExpr:
		if v.Not {
			return b.node(ExprIsNotNull, v.Expr)
		}
		return b.node(ExprIsNull, v.Expr)
	}
	if col, ok := b.aggCols[b.impl.text(e)]; ok && zeroDefaulted(e) {
		return &Expr{Op: ExprColumn, Col: col} // HAVING IFNULL(SUM(x), 0) > n, as selected
	}
	if !hasAggregate(e) {
		if col, ok := b.byText(e); ok {
			return &Expr{Op: ExprColumn, Col: col}
		}
		for k, g := range b.groupExpr {
			if b.impl.text(g) == b.impl.text(e) {
				return &Expr{Op: ExprColumn, Col: b.groupCols[k]}
			}
		}
	}
	b.fail("HAVING expression %s", b.impl.text(e))
	return nil
}

func (b *scatterBuilder) node(op ExprOp, args ...ast.ExprNode) *Expr {
	x := &Expr{Op: op}
	for _, a := range args {
		sub := b.having(a)
		if sub == nil {
			return nil
		}
		x.Args = append(x.Args, sub)
	}
	return x
}

func (b *scatterBuilder) limit() {
	l := b.sel.Limit
	if l == nil {
		return
	}
	var ok bool
	if b.out.Limit, b.out.LimitParam, ok = b.limitValue(l.Count); !ok {
		b.fail("LIMIT %s", b.impl.text(l.Count))
	}
	if l.Offset != nil {
		if b.out.Offset, b.out.OffsetParam, ok = b.limitValue(l.Offset); !ok {
			b.fail("OFFSET %s", b.impl.text(l.Offset))
		}
	}
}

func (b *scatterBuilder) limitValue(e ast.ExprNode) (int64, int, bool) {
	return limitOf(b.impl, e)
}

// limitOf reads a LIMIT or OFFSET value: a count, or the 1-based index of
// its ? placeholder.
func limitOf(impl *shardImpl, e ast.ExprNode) (int64, int, bool) {
	if p, ok := unparen(e).(*paramNode); ok {
		return 0, p.idx + 1, true
	}
	s, ok := impl.literalText(e)
	if !ok {
		return 0, 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, 0, err == nil && n >= 0
}

// shardLimit is the pushed-down LIMIT offset+limit of a query that is
// not aggregated. With placeholders it is computed from the Render
// call's Args; without Args only a lone LIMIT ? can stay a placeholder.
func (b *scatterBuilder) shardLimit() *ast.Limit {
	if b.sel.Limit == nil {
		return nil
	}
	out, impl := b.out, b.impl
	if out.LimitParam == 0 && out.OffsetParam == 0 {
		return &ast.Limit{Count: newRawExpr(strconv.FormatInt(out.Limit+out.Offset, 10))}
	}
	r := newRawExpr("")
	r.write = func(ctx *format.RestoreCtx) error {
		args := impl.args
		if args == nil {
			if out.OffsetParam == 0 && out.Offset == 0 {
				ctx.WritePlain("?")
				return nil
			}
			return fmt.Errorf("sqlparse: the pushed-down LIMIT of a scatter needs the bound values (Rewrite.Args)")
		}
		n, o := out.Limit, out.Offset
		var err error
		if out.LimitParam > 0 {
			if n, err = argInt(args, out.LimitParam); err != nil {
				return err
			}
		}
		if out.OffsetParam > 0 {
			if o, err = argInt(args, out.OffsetParam); err != nil {
				return err
			}
		}
		ctx.WritePlain(strconv.FormatInt(n+o, 10))
		return nil
	}
	return &ast.Limit{Count: r}
}

// argInt reads bound value p (1-based) as a LIMIT count.
func argInt(args []string, p int) (int64, error) {
	if p > len(args) {
		return 0, fmt.Errorf("sqlparse: no value for placeholder %d", p)
	}
	n, ok := CountValue(args[p-1])
	if !ok {
		return 0, fmt.Errorf("sqlparse: LIMIT value %q is not a count", args[p-1])
	}
	return n, nil
}

// CountValue reads a bound value, as the session writes it, as a LIMIT
// count: digits, quoted or not, or a DOUBLE that names a whole number
// (3e+00: Node's mysql2 binds every number as a DOUBLE, and the server
// takes a whole one as a count); ok is false for anything else.
func CountValue(lit string) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(lit), `'"`)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, n >= 0
	}
	if !strings.ContainsAny(s, "eE") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f >= 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// Resolve returns s with plain column indexes once the shard result's
// column count ncols is known: for Visible -1 (a * in the select list)
// Visible becomes ncols-Hidden and negative Cols (hidden columns) become
// indexes. A ScatterSelect with Visible >= 0 is returned as is.
func (s *ScatterSelect) Resolve(ncols int) *ScatterSelect {
	if s.Visible >= 0 {
		return s
	}
	c := *s
	c.Visible = ncols - s.Hidden
	fix := columnFix(func(col int) int {
		if col < 0 {
			return c.Visible - col - 1
		}
		return col
	})
	c.GroupBy, c.MergeOrder, c.OrderBy = fix.orders(s.GroupBy), fix.orders(s.MergeOrder), fix.orders(s.OrderBy)
	if s.FullCopies != nil {
		c.FullCopies = make([]FullCopy, len(s.FullCopies))
		for i, fc := range s.FullCopies {
			c.FullCopies[i] = FullCopy{Col: fix(fc.Col), Full: fix(fc.Full)}
		}
	}
	if s.Aggs != nil {
		c.Aggs = make([]Agg, len(s.Aggs))
		for i, a := range s.Aggs {
			c.Aggs[i] = fix.agg(a)
		}
	}
	c.Having = fix.expr(s.Having)
	if s.Computed != nil {
		c.Computed = make([]Computed, len(s.Computed))
		for i, cp := range s.Computed {
			c.Computed[i] = fix.computed(cp)
		}
	}
	return &c
}

// columnFix maps a column index of a ScatterSelect, negative for a hidden
// column, to the shard result's own (Resolve).
type columnFix func(col int) int

func (fix columnFix) orders(in []Order) []Order {
	if in == nil {
		return nil
	}
	out := make([]Order, len(in))
	for i, o := range in {
		o.Col = fix(o.Col)
		out[i] = o
	}
	return out
}

// agg fixes every column an aggregate's merge reads.
func (fix columnFix) agg(a Agg) Agg {
	a.Col = fix(a.Col)
	if a.Func == AggAvg || a.Func.Deviation() {
		a.CountCol = fix(a.CountCol)
	}
	if a.Func.Deviation() {
		a.SumCol, a.VarCol = fix(a.SumCol), fix(a.VarCol)
	}
	if a.Func.JSON() {
		a.LenCol = fix(a.LenCol)
	}
	if a.Func == AggAvg || a.Func == AggAvgDistinct {
		a.PrecCol = fix(a.PrecCol)
	}
	if a.ExactCol != 0 {
		a.ExactCol = fix(a.ExactCol)
	}
	if a.Func == AggGroupConcat {
		a.CountCol = fix(a.CountCol)
		gc := *a.GroupConcat
		gc.KeyCol, gc.LenCol = fix(gc.KeyCol), fix(gc.LenCol)
		a.GroupConcat = &gc
	}
	return a
}

// expr is a copy of e with its column references fixed.
func (fix columnFix) expr(e *Expr) *Expr {
	if e == nil {
		return nil
	}
	x := *e
	if x.Op == ExprColumn {
		x.Col = fix(x.Col)
	}
	x.Args = make([]*Expr, len(e.Args))
	for i, a := range e.Args {
		x.Args[i] = fix.expr(a)
	}
	return &x
}

// computed fixes a computed column and the columns its parts read.
func (fix columnFix) computed(cp Computed) Computed {
	cp.Col = fix(cp.Col)
	parts := make([]ComputedPart, len(cp.Parts))
	for k, p := range cp.Parts {
		if p.Kind == PartColumn || p.Kind == PartAvg {
			p.Col, p.CountCol = fix(p.Col), fix(p.CountCol)
		}
		if p.ExactCol != 0 {
			p.ExactCol = fix(p.ExactCol)
		}
		if p.PrecCol != 0 {
			p.PrecCol = fix(p.PrecCol)
		}
		parts[k] = p
	}
	cp.Parts = parts
	return cp
}

// deviation is the merge of a VARIANCE or STDDEV in column col: the
// shards also send COUNT(x), SUM(x) and VAR_POP(x) in full, from which
// Strata combines the groups' counts, means and squared deviations.
func (b *scatterBuilder) deviation(ag *ast.AggregateFuncExpr, col int, fn AggFunc) Agg {
	arg := ag.Args
	key := b.impl.text(arg[0])
	cnt := b.addHidden("devcount:"+key, &ast.AggregateFuncExpr{F: ast.AggFuncCount, Args: arg})
	sum := b.addHidden("devsum:"+key, &ast.AggregateFuncExpr{F: ast.AggFuncSum, Args: arg})
	v := b.addHidden("devvar:"+key, &ast.BinaryOperationExpr{Op: opcode.Plus,
		L: &ast.ParenthesesExpr{Expr: &ast.AggregateFuncExpr{F: "var_pop", Args: arg}}, R: newRawExpr("0e0")})
	return Agg{Col: col, Func: fn, CountCol: cnt, SumCol: sum, VarCol: v}
}

// groupConcatList is the GROUP_CONCAT each shard runs in place of ag: its
// list joined by the byte 0x1F, which Strata splits again.
func (b *scatterBuilder) groupConcatList(ag *ast.AggregateFuncExpr) *ast.AggregateFuncExpr {
	list := *ag
	list.Args = []ast.ExprNode{ag.Args[0], newRawExpr("0x1F")}
	return &list
}

// groupConcat is the merge of the GROUP_CONCAT ag in column col: beside
// each shard's list, the number of elements it must split into, MIN(x)
// for how x compares, and the shard's group_concat_max_len.
func (b *scatterBuilder) groupConcat(ag *ast.AggregateFuncExpr, col int) Agg {
	arg := ag.Args[:1]
	key := b.impl.text(arg[0])
	count := &ast.AggregateFuncExpr{F: ast.AggFuncCount, Args: arg, Distinct: ag.Distinct}
	cnt := b.addHidden(fmt.Sprintf("gccount:%v:%s", ag.Distinct, key), count)
	min := b.addHidden("gcmin:"+key, &ast.AggregateFuncExpr{F: ast.AggFuncMin, Args: arg})
	maxLen := b.addHidden("gclen", newRawExpr("MAX(@@group_concat_max_len)"))
	gc := &GroupConcat{KeyCol: min, LenCol: maxLen, Sep: unparen(ag.Args[1]).(ast.ValueExpr).GetString(), Distinct: ag.Distinct}
	if ag.Order != nil {
		gc.Ordered, gc.Desc = true, ag.Order.Items[0].Desc
	}
	return Agg{Col: col, Func: AggGroupConcat, CountCol: cnt, GroupConcat: gc}
}

// fullCopy is a hidden column that holds e, a STDDEV or VARIANCE, printed
// in full: the server prints those doubles with 4 decimals but sorts by
// the whole value, so merging by the printed value would see shards' rows
// out of order.
func (b *scatterBuilder) fullCopy(e ast.ExprNode) int {
	return b.addHidden("full:"+b.impl.text(e), &ast.BinaryOperationExpr{Op: opcode.Plus, L: &ast.ParenthesesExpr{Expr: e}, R: newRawExpr("0e0")})
}

// isJSONAgg: a JSON_ARRAYAGG or JSON_OBJECTAGG.
func isJSONAgg(n ast.Node) bool {
	a, ok := n.(*ast.AggregateFuncExpr)
	return ok && (strings.EqualFold(a.F, ast.AggFuncJsonArrayagg) || strings.EqualFold(a.F, ast.AggFuncJsonObjectAgg))
}

// isDistinctAgg: COUNT, SUM or AVG of DISTINCT values.
func isDistinctAgg(n ast.Node) bool {
	a, ok := n.(*ast.AggregateFuncExpr)
	return ok && a.Distinct && !isGroupConcat(n)
}

// isGroupConcat: a GROUP_CONCAT.
func isGroupConcat(n ast.Node) bool {
	a, ok := n.(*ast.AggregateFuncExpr)
	return ok && strings.EqualFold(a.F, ast.AggFuncGroupConcat)
}

// isDeviation: STDDEV and VARIANCE in all their names, doubles MariaDB
// prints with a fixed 4 decimals.
func isDeviation(n ast.Node) bool {
	a, ok := n.(*ast.AggregateFuncExpr)
	if !ok {
		return false
	}
	switch strings.ToLower(a.F) {
	case "std", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp":
		return true
	}
	return false
}

// groupsWholeOnShards reports whether every group of sel lies whole on
// one shard: it groups by the shard key of a top-level sharded table, and
// every other top-level sharded table is joined to that one on the shard
// key (ON a.k = b.k), so rows of one group share the shard. Rows with the
// same key are always on the same shard, for every method — with string
// keys compared byte by byte, as docs/sharding.md says.
func (a *analyzer) groupsWholeOnShards(sel *ast.SelectStmt) bool {
	if sel.GroupBy == nil || sel.GroupBy.Rollup {
		return false
	}
	return a.wholeOnShards(sel.GroupBy.Items)
}

// windowsWholeOnShards reports whether every window of sel is partitioned
// by a shard key (as groupsWholeOnShards has it for GROUP BY): each shard
// holds whole partitions, so it computes ROW_NUMBER(), SUM() OVER and the
// rest as one server would.
func (a *analyzer) windowsWholeOnShards(sel *ast.SelectStmt) bool {
	named := map[string]*ast.WindowSpec{}
	for i := range sel.WindowSpecs {
		named[sel.WindowSpecs[i].Name.L] = &sel.WindowSpecs[i]
	}
	whole := true
	check := func(n ast.Node) bool {
		wf, ok := n.(*ast.WindowFuncExpr)
		if !ok {
			return false
		}
		spec := &wf.Spec
		for spec.PartitionBy == nil && (spec.Ref.L != "" || spec.Name.L != "") {
			ref := spec.Ref.L
			if ref == "" {
				ref = spec.Name.L
			}
			next, ok := named[ref]
			if !ok || next == spec {
				break
			}
			spec = next
		}
		if spec.PartitionBy == nil || !a.wholeOnShards(spec.PartitionBy.Items) {
			whole = false
		}
		return false
	}
	containsNode(sel.Fields, check)
	if sel.OrderBy != nil {
		containsNode(sel.OrderBy, check)
	}
	return whole
}

// wholeOnShards reports whether rows equal in items lie on one shard:
// items has the shard key of a top-level sharded table, and every other
// sharded table is joined to that one on the shard key.
func (a *analyzer) wholeOnShards(items []*ast.ByItem) bool {
	whole := map[int]bool{}
	for _, item := range items {
		if c, ok := unparen(item.Expr).(*ast.ColumnNameExpr); ok {
			if uses := a.keyUses(c.Name); len(uses) == 1 {
				whole[uses[0]] = true
			}
		}
	}
	for grew := true; grew; {
		grew = false
		for _, pair := range a.out.KeyJoins {
			if whole[pair[0]] != whole[pair[1]] {
				whole[pair[0]], whole[pair[1]] = true, true
				grew = true
			}
		}
	}
	for i, u := range a.uses {
		if u.sharded && u.nested == "" && !whole[i] {
			return false
		}
	}
	return len(whole) > 0
}
