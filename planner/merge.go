package planner

import (
	"fmt"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
)

// MergeStream builds the engine steps of a PlanMerge over its sources (one
// per route, in route order). cols describe the shard query's result
// columns, as the first shard reported them. The stream yields the
// client's rows: hidden helper columns are dropped.
//
// The steps, as the query needs them:
//
//	ordered walk | merge sort | concat   → rows of all shards
//	aggregate (+ having)                 → one row per group
//	sort                                 → ORDER BY that differs from GROUP BY
//	distinct                             → SELECT DISTINCT
//	limit                                → LIMIT / OFFSET
//	project                              → the visible columns
//
// eval evaluates the select list's expressions over aggregates
// (Select.Computed); it may be nil when there are none. budget bounds
// what the steps that hold rows (sort, distinct, a DISTINCT aggregate's
// values) keep in memory at once; nil bounds nothing.
func (p *ShardPlan) MergeStream(cols []engine.Column, sources []engine.Source, eval engine.Evaluator, budget *engine.Budget) (engine.RowStream, error) {
	args := p.Args
	sel := p.Select.Resolve(len(cols))
	visible := sel.Visible
	if visible < 0 {
		visible = len(cols) - sel.Hidden
	}
	if visible <= 0 || visible > len(cols) {
		return nil, fmt.Errorf("merge: the shards returned %d columns, %d of them hidden", len(cols), sel.Hidden)
	}
	limit, offset, err := limits(sel, args)
	if err != nil {
		return nil, err
	}
	keep := offsetPlusLimit(offset, limit)
	in, merged, err := p.mergeInput(cols, sources, sel, keep)
	if err != nil {
		return nil, err
	}
	if sel.Aggregated {
		if in, err = p.aggregateStep(in, cols, sel, merged, keep, eval, budget); err != nil {
			return nil, err
		}
	}
	if p.Binary && len(sel.FullCopies) > 0 {
		in = engine.NewCopyColumns(in, fullCopies(sel.FullCopies))
	}
	if sel.Distinct {
		if in, err = p.distinctStep(in, sel, cols, visible, budget); err != nil {
			return nil, err
		}
	}
	if limit >= 0 || offset > 0 {
		in = engine.NewLimit(in, offset, limit)
	}
	return engine.NewProject(in, visible), nil
}

// mergeInput joins the shards' row streams into one: walked shard by
// shard, merged in sel.MergeOrder (merged is then true), or concatenated.
// keep is how many rows a walk needs (-1: all).
func (p *ShardPlan) mergeInput(cols []engine.Column, sources []engine.Source, sel *sqlparse.ScatterSelect, keep int64) (in engine.RowStream, merged bool, err error) {
	switch {
	case p.Walk:
		return engine.NewOrderedWalk(sources, keep), false, nil
	case len(sel.MergeOrder) > 0:
		cmp, err := engine.NewComparator(cols, sortKeys(sel.MergeOrder))
		if err != nil {
			return nil, false, fmt.Errorf("merge order: %w", err)
		}
		ms := engine.NewMergeSort(cmp, sources...)
		// Rows a shard sends out of the order Strata compares by (a
		// collation it approximates, values the client's character set
		// turned into '?') would be merged out of order, and a LIMIT would
		// keep the wrong ones: stop with an error instead.
		ms.CheckOrder = true
		return ms, true, nil
	case p.Sequential:
		return engine.NewOrderedWalk(sources, -1), false, nil
	default:
		return engine.NewConcat(sources...), false, nil
	}
}

// aggregateStep folds the shards' partial aggregates into one row per
// group, computes what the SELECT computes from them, and orders the
// groups (keeping only the first keep, -1: all, where it may).
func (p *ShardPlan) aggregateStep(in engine.RowStream, cols []engine.Column, sel *sqlparse.ScatterSelect, merged bool, keep int64, eval engine.Evaluator, budget *engine.Budget) (engine.RowStream, error) {
	args := p.Args
	spec := engine.AggregateSpec{GroupBy: sortKeys(sel.GroupBy), Outputs: aggOutputs(sel, len(cols), merged), Budget: budget}
	if sel.Having != nil {
		// Over the merged values: a COUNT(DISTINCT dt) is a count by
		// then, though the shards' column holds dt.
		h, err := compileHaving(sel.Having, aggColumns(cols, sel), args, p.Charset)
		if err != nil {
			return nil, err
		}
		spec.Having = h
	}
	in, err := engine.NewAggregate(in, cols, spec)
	if err != nil {
		return nil, err
	}
	if len(sel.Computed) > 0 {
		if in, err = computeStep(in, aggColumns(cols, sel), sel.Computed, args, eval); err != nil {
			return nil, err
		}
	}
	if len(sel.OrderBy) == 0 || sameOrder(sel.OrderBy, sel.GroupBy) {
		return in, nil
	}
	cmp, err := engine.NewComparator(aggColumns(cols, sel), sortKeys(sel.OrderBy))
	if err != nil {
		return nil, fmt.Errorf("order by: %w", err)
	}
	if keep >= 0 && keepsTopRows(sel) {
		return engine.NewTopN(in, cmp, keep, budget), nil
	}
	return engine.NewSort(in, cmp, budget), nil
}

// fullCopies is the engine's form of the columns a binary answer takes
// from their full copies: to ← from.
func fullCopies(fcs []sqlparse.FullCopy) map[int]int {
	out := make(map[int]int, len(fcs))
	for _, fc := range fcs {
		out[fc.Col] = fc.Full
	}
	return out
}

// distinctStep drops the repeated rows of a SELECT DISTINCT, judged on
// the visible columns. When the merged rows come in an order by exactly
// those columns (SELECT DISTINCT tag ... ORDER BY tag), equal rows arrive
// together and one row is held; otherwise every distinct row's key is
// remembered, within budget. An ORDER BY with its own COLLATE does not
// count: it may sort apart rows DISTINCT deems equal ('A', 'B', 'a'
// under a binary order, where the column's _ci collation makes 'A' and
// 'a' one row).
func (p *ShardPlan) distinctStep(in engine.RowStream, sel *sqlparse.ScatterSelect, cols []engine.Column, visible int, budget *engine.Budget) (engine.RowStream, error) {
	in = engine.NewProject(in, visible)
	if p.distinctStreams(sel, visible) {
		cmp, err := engine.NewComparator(cols[:visible], sortKeys(sel.MergeOrder))
		if err != nil {
			return nil, fmt.Errorf("distinct: %w", err)
		}
		return engine.NewDistinct(in, cmp), nil
	}
	return engine.NewHashDistinct(in, cols[:visible], budget)
}

// distinctStreams reports whether the DISTINCT of sel, whose first
// visible columns the client sees, gets the merged rows in an order by
// exactly those columns (a merge sort, not a walk or a concatenation, of
// plain rows), so equal rows arrive together.
func (p *ShardPlan) distinctStreams(sel *sqlparse.ScatterSelect, visible int) bool {
	return !p.Walk && !sel.Aggregated && visible >= 0 && ordersExactly(sel.MergeOrder, visible)
}

// ordersExactly reports whether order sorts by every one of the first n
// columns, by nothing else, each by its own collation: rows equal in
// those columns are then next to each other.
func ordersExactly(order []sqlparse.Order, n int) bool {
	seen := make([]bool, n)
	for _, o := range order {
		if o.Col < 0 || o.Col >= n || o.Collation != "" {
			return false
		}
		seen[o.Col] = true
	}
	for _, ok := range seen {
		if !ok {
			return false
		}
	}
	return true
}

// computeStep evaluates the expressions over aggregates of the merged
// rows, whose columns are cols.
func computeStep(in engine.RowStream, cols []engine.Column, computed []sqlparse.Computed, args []string, eval engine.Evaluator) (engine.RowStream, error) {
	if eval == nil {
		return nil, fmt.Errorf("merge: no server to evaluate the expressions over aggregates on")
	}
	fields := make([]engine.ComputeField, len(computed))
	for i, c := range computed {
		f := engine.ComputeField{Col: c.Col}
		for _, part := range c.Parts {
			switch part.Kind {
			case sqlparse.PartText:
				f.Parts = append(f.Parts, engine.ComputePart{Text: part.Text})
			case sqlparse.PartParam:
				if part.Param < 1 || part.Param > len(args) {
					return nil, fmt.Errorf("merge: placeholder %d has no bound value", part.Param)
				}
				f.Parts = append(f.Parts, engine.ComputePart{Text: args[part.Param-1]})
			case sqlparse.PartColumn:
				f.Parts = append(f.Parts, withExactSum(engine.ComputePart{Input: true, Col: part.Col}, part))
			case sqlparse.PartAvg:
				f.Parts = append(f.Parts, withExactSum(engine.ComputePart{Input: true, Avg: true, Col: part.Col, CountCol: part.CountCol}, part))
			}
		}
		fields[i] = f
	}
	return engine.NewCompute(in, cols, fields, eval)
}

// withExactSum has p read its sum with every digit the server kept, where
// part has them (a SUM of a division's values), and divide with the
// session's div_precision_increment.
func withExactSum(p engine.ComputePart, part sqlparse.ComputedPart) engine.ComputePart {
	p.ExactCol, p.PrecCol = max(part.ExactCol, 0), max(part.PrecCol, 0)
	return p
}

// OutputColumns describes the merged rows' columns as the client must see
// them: an aggregate Strata computes has its own type where the shards'
// column was its argument or a partial (COUNT(DISTINCT x) is a BIGINT, not
// x's type; an average has 4 more decimals, like MySQL's AVG).
func (p *ShardPlan) OutputColumns(cols []engine.Column) []engine.Column {
	if p.Select == nil || !p.Select.Aggregated {
		return cols
	}
	return aggColumns(cols, p.Select.Resolve(len(cols)))
}

// aggColumns is the column description of aggregated rows.
func aggColumns(cols []engine.Column, sel *sqlparse.ScatterSelect) []engine.Column {
	out := append([]engine.Column(nil), cols...)
	for _, a := range sel.Aggs {
		c := &out[a.Col]
		float := c.Type == engine.TypeFloat || c.Type == engine.TypeDouble
		switch a.Func {
		case sqlparse.AggCount:
			// The shards ran the COUNT itself: their column is the one a
			// server describes (NOT NULL among its flags).
		case sqlparse.AggCountDistinct:
			*c = engine.Column{Name: c.Name, Type: engine.TypeLongLong, Flags: engine.FlagNotNull | engine.FlagBinary | engine.FlagNum, Charset: engine.CharsetBinary, Length: 21}
		case sqlparse.AggSumDistinct:
			if !float {
				*c = engine.Column{Name: c.Name, Type: engine.TypeNewDecimal, Flags: engine.FlagBinary, Charset: engine.CharsetBinary, Decimals: c.Decimals}
			}
		case sqlparse.AggAvg, sqlparse.AggAvgDistinct:
			switch {
			case float:
				c.Type = engine.TypeDouble
			case a.Func == sqlparse.AggAvg:
				*c = avgOfSum(*c)
			default:
				*c = engine.Column{Name: c.Name, Type: engine.TypeNewDecimal, Flags: engine.FlagBinary, Charset: engine.CharsetBinary, Decimals: min(c.Decimals+4, 30)}
			}
		}
	}
	return out
}

// avgOfSum describes AVG(x) as a server does, from the column of the
// shards' SUM(x): a server gives SUM the precision of x plus 22 digits
// (at most 65) and AVG that of x plus div_precision_increment (4), with 4
// more decimals (at most 30); a DECIMAL column's length is its precision,
// one for the point when it has decimals, one for the sign.
func avgOfSum(sum engine.Column) engine.Column {
	const sumDigits, incrementDigits = 22, 4
	sign := uint32(1)
	if sum.Flags&engine.FlagUnsigned != 0 {
		sign = 0
	}
	point := func(decimals byte) uint32 {
		if decimals > 0 {
			return 1
		}
		return 0
	}
	avg := engine.Column{Name: sum.Name, Type: engine.TypeNewDecimal, Flags: engine.FlagBinary | sum.Flags&engine.FlagUnsigned, Charset: engine.CharsetBinary, Decimals: min(sum.Decimals+incrementDigits, 30)}
	if sumPrecision := int(sum.Length) - int(point(sum.Decimals)) - int(sign); sumPrecision > sumDigits && sumPrecision < 65 {
		avg.Length = uint32(sumPrecision-sumDigits+incrementDigits) + point(avg.Decimals) + sign
	}
	return avg
}

func limits(sel *sqlparse.ScatterSelect, args []string) (limit, offset int64, err error) {
	limit, offset = sel.Limit, sel.Offset
	if sel.LimitParam > 0 {
		if limit, err = intArg(args, sel.LimitParam); err != nil {
			return 0, 0, err
		}
	}
	if sel.OffsetParam > 0 {
		if offset, err = intArg(args, sel.OffsetParam); err != nil {
			return 0, 0, err
		}
	}
	return limit, offset, nil
}

func intArg(args []string, i int) (int64, error) {
	if i > len(args) {
		return 0, fmt.Errorf("LIMIT placeholder %d has no bound value", i)
	}
	n, ok := sqlparse.CountValue(args[i-1])
	if !ok {
		return 0, refuse("LIMIT value %s is not a non-negative integer", args[i-1])
	}
	return n, nil
}

// keepsTopRows reports whether the sort of merged groups keeps only the
// LIMIT's rows (engine.NewTopN) rather than every group: a LIMIT cuts
// them right after the sort, with no DISTINCT in between to drop some.
func keepsTopRows(sel *sqlparse.ScatterSelect) bool {
	return !sel.Distinct && (sel.Limit >= 0 || sel.LimitParam > 0)
}

func offsetPlusLimit(offset, limit int64) int64 {
	if limit < 0 {
		return -1
	}
	if offset+limit < 0 { // LIMIT 18446744073709551615, "all the rows"
		return -1
	}
	return offset + limit
}

func sortKeys(orders []sqlparse.Order) []engine.SortKey {
	out := make([]engine.SortKey, len(orders))
	for i, o := range orders {
		out[i] = engine.SortKey{Col: o.Col, Desc: o.Desc, Collation: o.Collation}
	}
	return out
}

func sameOrder(a, b []sqlparse.Order) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i].Col != b[i].Col || a[i].Desc != b[i].Desc || a[i].Collation != b[i].Collation {
			return false
		}
	}
	return true
}

// aggOutputs maps every shard column to how Aggregate combines it: the
// aggregates as listed, every other column passed through (group keys and
// columns constant within a group). merged: the rows come merged in
// sel.MergeOrder.
func aggOutputs(sel *sqlparse.ScatterSelect, n int, merged bool) []engine.AggOutput {
	sortedCol := -1 // the column the rows are sorted by within a group
	if merged && len(sel.MergeOrder) > len(sel.GroupBy) && sameOrder(sel.GroupBy, sel.MergeOrder) {
		sortedCol = sel.MergeOrder[len(sel.GroupBy)].Col
	}
	out := make([]engine.AggOutput, n)
	for i := range out {
		out[i] = engine.AggOutput{Func: engine.AggKey, Col: i}
	}
	for _, a := range sel.Aggs {
		o := engine.AggOutput{Col: a.Col, CountCol: a.CountCol, SumCol: a.SumCol, VarCol: a.VarCol, LenCol: a.LenCol, Func: engineAgg[a.Func]}
		if (a.Func == sqlparse.AggAvg || a.Func == sqlparse.AggAvgDistinct) && a.PrecCol > 0 {
			o.PrecCol = a.PrecCol + 1 // engine: column + 1 (a hidden column is never column 0)
		}
		if a.ExactCol > 0 {
			o.ExactCol = a.ExactCol + 1
			// The merged row keeps the total of every digit too, which an
			// expression over the sum reads (computeStep).
			out[a.ExactCol] = engine.AggOutput{Func: engine.AggSum, Col: a.ExactCol}
		}
		switch a.Func {
		case sqlparse.AggCountDistinct, sqlparse.AggSumDistinct, sqlparse.AggAvgDistinct:
			o.Sorted = a.Col == sortedCol
		}
		if gc := a.GroupConcat; gc != nil {
			o.GroupConcat = &engine.GroupConcatSpec{KeyCol: gc.KeyCol, LenCol: gc.LenCol, Sep: gc.Sep,
				Distinct: gc.Distinct, Ordered: gc.Ordered, Desc: gc.Desc}
		}
		out[a.Col] = o
	}
	return out
}

// engineAgg is how the engine combines each aggregate of the select list.
var engineAgg = map[sqlparse.AggFunc]engine.AggFunc{
	sqlparse.AggCount:         engine.AggCount,
	sqlparse.AggSum:           engine.AggSum,
	sqlparse.AggSumZero:       engine.AggSumZero,
	sqlparse.AggMin:           engine.AggMin,
	sqlparse.AggMax:           engine.AggMax,
	sqlparse.AggAvg:           engine.AggAvg,
	sqlparse.AggCountDistinct: engine.AggCountDistinct,
	sqlparse.AggSumDistinct:   engine.AggSumDistinct,
	sqlparse.AggAvgDistinct:   engine.AggAvgDistinct,
	sqlparse.AggBitAnd:        engine.AggBitAnd,
	sqlparse.AggBitOr:         engine.AggBitOr,
	sqlparse.AggBitXor:        engine.AggBitXor,
	sqlparse.AggVarPop:        engine.AggVarPop,
	sqlparse.AggVarSamp:       engine.AggVarSamp,
	sqlparse.AggStdPop:        engine.AggStdPop,
	sqlparse.AggStdSamp:       engine.AggStdSamp,
	sqlparse.AggGroupConcat:   engine.AggGroupConcat,
	sqlparse.AggJSONArray:     engine.AggJSONArray,
	sqlparse.AggJSONObject:    engine.AggJSONObject,
}

// MergeSteps describes what Strata itself does with a plan's rows, for
// EXPLAIN STRATA.
func MergeSteps(p *ShardPlan) []string {
	var out []string
	switch p.Kind {
	case PlanWrite:
		switch {
		case p.SchemaChange && len(p.Routes) > 1:
			out = append(out, fmt.Sprintf("run on %d tables of the shards one after the other, each committing at once (a schema change cannot be rolled back: one that fails part-way says where it ran)", len(p.Routes)))
		case p.LimitWalk && p.TopOrder != nil:
			out = append(out, fmt.Sprintf("on each of %d shards, in a transaction: %s; merge them by the ORDER BY; run the write on each shard with LIMIT the number of the first %d rows overall that are its own; commit together; sum affected rows", len(p.Routes), p.Routes[0].Candidates, p.Limit))
		case p.LimitWalk:
			out = append(out, fmt.Sprintf("run on %d shards one after the other, each with what the ones before left of LIMIT %d (none left: the rest run nothing), each in a transaction, commit together; sum affected rows", len(p.Routes), p.Limit))
		case len(p.Routes) > 1:
			out = append(out, fmt.Sprintf("run on %d shards, each in a transaction, commit together; sum affected rows", len(p.Routes)))
		}
		if p.Returning && len(p.Routes) > 1 {
			out = append(out, "send every shard's RETURNING rows as one result set (an INSERT's in the order of its VALUES), its end after the commit")
		}
		if p.InsertID > 0 {
			out = append(out, fmt.Sprintf("LAST_INSERT_ID() = %d from the sequence", p.InsertID))
		}
		if m := p.Move; m != nil {
			out = append(out, fmt.Sprintf("move the rows matched on %s to %s: read and lock them, INSERT them on %s, apply the SET there by primary key, DELETE them where they were", strings.Join(m.Sources(p), ", "), m.Dest, m.Dest))
		}
		return out
	case PlanLoad:
		what := "send each row of the client's file to the shard of its " + p.Load.KeyColumn
		if p.Load.KeyColumn == "" {
			what = "send every row of the client's file to every shard cluster"
		}
		return []string{what + fmt.Sprintf(", each of the %d loads in a transaction, commit together; sum the counts", len(p.Routes))}
	case PlanRelay:
		return nil
	}
	sel := p.Select
	switch {
	case p.Walk:
		out = append(out, "ordered walk: read routes in order, stop once the LIMIT is met")
	case len(sel.MergeOrder) > 0:
		out = append(out, fmt.Sprintf("merge sort of %d sorted streams by %s", len(p.Routes), describeOrder(sel.MergeOrder)))
	default:
		out = append(out, fmt.Sprintf("concatenate %d streams", len(p.Routes)))
	}
	if sel.Aggregated {
		out = append(out, fmt.Sprintf("aggregate %d partial columns by group %s", len(sel.Aggs), describeOrder(sel.GroupBy)))
		if sel.Having != nil {
			out = append(out, "having filter")
		}
		if len(sel.Computed) > 0 {
			out = append(out, fmt.Sprintf("evaluate %d expressions over the merged aggregates (%s) on a shard's connection", len(sel.Computed), describeComputed(sel.Computed)))
		}
		if len(sel.OrderBy) > 0 && !sameOrder(sel.OrderBy, sel.GroupBy) {
			sorting := "sort by " + describeOrder(sel.OrderBy)
			if keepsTopRows(sel) {
				sorting += ", keeping only the first rows the LIMIT needs"
			}
			out = append(out, sorting)
		}
	}
	if sel.WholeGroups {
		out = append(out, "each group is whole on one shard (grouped by the shard key): the shards aggregate, Strata merges their rows")
	}
	if sel.Distinct {
		if p.distinctStreams(sel, sel.Visible) {
			out = append(out, "distinct: repeats arrive together in this order, one row held")
		} else {
			out = append(out, "distinct: remembers each row sent (within limits.max_merge_memory)")
		}
	}
	if sel.Limit >= 0 || sel.LimitParam > 0 {
		out = append(out, fmt.Sprintf("limit %d offset %d", sel.Limit, sel.Offset))
	}
	return out
}

// describeComputed names the columns of expressions over aggregates.
func describeComputed(computed []sqlparse.Computed) string {
	parts := make([]string, len(computed))
	for i, c := range computed {
		parts[i] = fmt.Sprintf("column %d", c.Col+1)
	}
	return strings.Join(parts, ", ")
}

func describeOrder(orders []sqlparse.Order) string {
	var parts []string
	for _, o := range orders {
		var s string
		switch {
		case o.Column != "":
			s = o.Column
		case o.Col >= 0:
			s = fmt.Sprintf("column %d", o.Col+1)
		default:
			s = "a hidden column"
		}
		if o.Desc {
			s += " desc"
		}
		parts = append(parts, s)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
