package sharding

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// The random SELECT generator. Every query is plain MariaDB SQL that the
// single server answers directly; Strata must give the same answer.
//
// Shapes (see shapeNames): plain rows with WHERE on and off the shard key,
// ORDER BY 1-3 columns and LIMIT/OFFSET; aggregates without GROUP BY;
// GROUP BY 1-2 columns with HAVING and ORDER BY on aggregates; DISTINCT;
// the same over the co-sharded join entries/entry_likes and the reference
// join members/countries; an ORM's eager load with a limit (a page of
// entries LEFT JOINed with their likes or comments). Any column of a select list, GROUP BY, ORDER BY
// or aggregate may be an expression of it instead (scalarForms: LEFT(name,
// 1), amount / 4, DATE(created_at), CASE ...), as applications write them.

type genQuery struct {
	sql       string
	table     string
	shape     string
	mode      compareMode
	orderCols []int // result columns of the ORDER BY keys (mode ordered)
	foldCols  []int // result columns to compare under the collation
	cols      int   // result columns
}

type queryGen struct {
	// countDistinct: the query being generated has its COUNT(DISTINCT).
	countDistinct bool
	// scalars numbers the query's expressions of columns (their aliases).
	scalars int
	// decimalGroup: the query groups by a DECIMAL expression, whose NULL
	// group MariaDB 10.11 drops beside COUNT/SUM/AVG(DISTINCT) when
	// sorting it DESC (GROUP BY weight / 4 ORDER BY 1 DESC; the shards do
	// too, so Strata's merge, which pushes the DISTINCT down as a group,
	// is right where the single server is not): no DISTINCT aggregate then.
	decimalGroup bool
	r            *rand.Rand
	tables       []*tableDef // weighted pick
	total        int
}

func newQueryGen(seed uint64, ds *dataSet) *queryGen {
	g := &queryGen{r: rand.New(rand.NewPCG(seed, 99))}
	for _, name := range ds.order {
		g.tables = append(g.tables, ds.tables[name])
	}
	g.tables = append(g.tables, ds.views...)
	for _, t := range g.tables {
		g.total += t.weight
	}
	return g
}

func (g *queryGen) pct(p int) bool { return g.r.IntN(100) < p }

func (g *queryGen) next() *genQuery {
	n := g.r.IntN(g.total)
	for _, t := range g.tables {
		if n < t.weight {
			return g.query(t)
		}
		n -= t.weight
	}
	panic("unreachable")
}

// item is one select-list entry.
type item struct {
	text     string // as written in the select list
	ref      string // how ORDER BY / HAVING refer to it
	fold     bool
	isAgg    bool
	numeric  bool
	countish bool // COUNT/SUM: HAVING thresholds are small numbers
	// distinctAgg: COUNT(DISTINCT x); HAVING refers to it by alias only
	distinctAgg bool
}

func (g *queryGen) query(t *tableDef) *genQuery {
	g.countDistinct, g.scalars, g.decimalGroup = false, 0, false
	p := g.r.IntN(100)
	switch {
	case p < 4 && t.name == "entries":
		return g.eagerLoad(t)
	case p < 40:
		return g.plain(t)
	case p < 55:
		return g.aggregate(t)
	case p < 80:
		return g.grouped(t)
	case p < 83 && t.name == "entries":
		return g.correlated(t)
	case p < 84 && t.key >= 0 && !t.isView && !t.reference && t.pk >= 0:
		return g.wholeGroups(t)
	case p < 85 && t.key >= 0 && !t.isView && !t.reference && t.pk >= 0:
		return g.windows(t)
	case p < 85:
		return g.grouped(t)
	case p < 88:
		return g.derived(t)
	case p < 90 && !t.scatterDeny:
		return g.rollup(t)
	default:
		return g.distinct(t)
	}
}

func (g *queryGen) from(t *tableDef) string {
	if t.isView {
		return t.from
	}
	return t.name
}

// value is a literal of column c taken from a random row (never NULL when
// the column has a non-NULL value), sometimes a value no row has.
func (g *queryGen) value(c *colDef) string {
	rows := c.src.rows
	for range 20 {
		v := rows[g.r.IntN(len(rows))][c.srcCol]
		if v != "NULL" {
			if g.pct(8) {
				return g.miss(c, v)
			}
			return v
		}
	}
	return g.miss(c, "")
}

// miss is a value near v that probably matches nothing.
func (g *queryGen) miss(c *colDef, v string) string {
	switch c.kind {
	case kInt:
		n, _ := strconv.ParseInt(v, 10, 64)
		return strconv.FormatInt(n+1, 10)
	case kDec:
		return "7.77"
	case kDate:
		return "'2001-02-03'"
	case kDatetime:
		if v != "" && c.src.name == "posts" {
			return v[:len(v)-3] + "01'" // another second of the same minute
		}
		return "'2001-02-03 04:05:06'"
	}
	return sqlStr("zz-nobody-" + strconv.Itoa(g.r.IntN(9)))
}

// less orders two literals of one column the way MariaDB compares them
// (numbers numerically; dates and the lower-case ASCII keys as text).
func less(c *colDef, a, b string) bool {
	if c.kind.numeric() {
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return x < y
	}
	return fold(a) < fold(b)
}

// keyValue is a value of the key column c; an integer sometimes quoted
// and spelt otherwise ('0042', '+42', ' 42') or written in hex or bits
// (0x2a, b'101010'), which MariaDB compares as the number and Strata must
// route as that number.
func (g *queryGen) keyValue(c *colDef) string {
	v := g.value(c)
	if c.kind != kInt || !g.pct(15) {
		return v
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil && g.pct(30) {
		if g.pct(50) {
			return "0x" + strconv.FormatUint(n, 16)
		}
		return "b'" + strconv.FormatUint(n, 2) + "'"
	}
	return sqlStr([]string{"0", "+", " ", "00"}[g.r.IntN(4)] + v)
}

// keyPred is a predicate on the shard key.
func (g *queryGen) keyPred(t *tableDef, onlyEq bool) string {
	c := t.cols[t.key]
	k := c.expr
	p := g.r.IntN(100)
	if onlyEq {
		p %= 50
	}
	switch {
	case p < 25:
		return k + " = " + g.keyValue(c)
	case p < 50:
		n := 2 + g.r.IntN(6)
		vals := make([]string, n)
		for i := range vals {
			vals[i] = g.keyValue(c)
		}
		return k + " IN (" + strings.Join(vals, ", ") + ")"
	case p < 70:
		a, b := g.keyValue(c), g.keyValue(c)
		if less(c, b, a) && g.pct(90) {
			a, b = b, a
		}
		if c.src.name == "posts" && g.pct(50) {
			// whole months: 'YYYY-MM-01'
			a, b = a[:8]+"01'", b[:8]+"01'"
		}
		return k + " BETWEEN " + a + " AND " + b
	default:
		op := []string{"<", "<=", ">", ">="}[g.r.IntN(4)]
		v := g.keyValue(c)
		if c.src.name == "posts" && g.pct(50) {
			v = v[:8] + "01'"
		}
		return k + " " + op + " " + v
	}
}

// otherPred is a predicate on a column other than the key.
func (g *queryGen) otherPred(t *tableDef) string {
	c := t.cols[g.r.IntN(len(t.cols))]
	k := c.expr
	p := g.r.IntN(100)
	switch {
	case p < 12 && c.nullable:
		return k + " IS NULL"
	case p < 20 && c.nullable:
		return k + " IS NOT NULL"
	case p < 40:
		return k + " = " + g.value(c)
	case p < 55:
		return k + " IN (" + g.value(c) + ", " + g.value(c) + ", " + g.value(c) + ")"
	case p < 65 && c.kind == kText:
		v := unquote(g.value(c))
		r := []rune(v)
		return k + " LIKE " + sqlStr(strings.NewReplacer("%", "", "_", "").Replace(string(r[:min(len(r), 1+g.r.IntN(2))]))+"%")
	case p < 75:
		return "(" + g.simplePred(c) + " OR " + g.simplePred(t.cols[g.r.IntN(len(t.cols))]) + ")"
	default:
		return g.simplePred(c)
	}
}

func (g *queryGen) simplePred(c *colDef) string {
	op := []string{"<", "<=", ">", ">=", "=", "<>"}[g.r.IntN(6)]
	return c.expr + " " + op + " " + g.value(c)
}

func (g *queryGen) where(t *tableDef) string {
	var preds []string
	keyed := t.scatterDeny || (t.key >= 0 && g.pct(50))
	if keyed {
		preds = append(preds, g.keyPred(t, t.scatterDeny))
	}
	if g.pct(45) {
		preds = append(preds, g.otherPred(t))
		if g.pct(25) {
			preds = append(preds, g.otherPred(t))
		}
	}
	if len(preds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(preds, " AND ")
}

func (g *queryGen) dir() string {
	if g.pct(50) {
		return " DESC"
	}
	return ""
}

func (g *queryGen) limit() string {
	n := 1 + g.r.IntN(25)
	if g.pct(40) {
		return fmt.Sprintf(" LIMIT %d OFFSET %d", n, g.r.IntN(40))
	}
	return fmt.Sprintf(" LIMIT %d", n)
}

// colItem is a plain column in a select list.
func colItem(c *colDef, folded bool) item {
	return item{text: c.selectItem(), ref: c.orderRef(), fold: folded && c.kind == kText && c.variants, numeric: c.kind.numeric()}
}

// finish assembles the query from its parts and computes the comparison.
func finish(t *tableDef, shape string, distinct bool, items []item, where, groupBy, having string, order []int, dirs []string, limit string) *genQuery {
	q := &genQuery{table: t.name, shape: shape, mode: multiset, cols: len(items)}
	var b strings.Builder
	b.WriteString("SELECT ")
	if distinct {
		b.WriteString("DISTINCT ")
	}
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it.text)
		if it.fold {
			q.foldCols = append(q.foldCols, i)
		}
	}
	b.WriteString(" FROM ")
	if t.isView {
		b.WriteString(t.from)
	} else {
		b.WriteString(t.name)
	}
	b.WriteString(where + groupBy + having)
	if len(order) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range order {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(items[o].ref + dirs[i])
		}
		q.orderCols = order
		q.mode = ordered
		if limit != "" {
			q.mode = exact
		}
	}
	b.WriteString(limit)
	q.sql = b.String()
	return q
}

// plain: SELECT cols|* FROM t [WHERE] [ORDER BY 1-3 [LIMIT n [OFFSET m]]].
func (g *queryGen) plain(t *tableDef) *genQuery {
	var items []item
	idx := map[int]int{} // table column -> item
	star := !t.isView && g.pct(15)
	addCol := func(ci int) int {
		if i, ok := idx[ci]; ok {
			return i
		}
		idx[ci] = len(items)
		items = append(items, colItem(t.cols[ci], false))
		return idx[ci]
	}
	// addScalar adds an expression of column ci (an item of its own).
	addScalar := func(ci int) int {
		items = append(items, colItem(g.scalar(t.cols[ci], false), false))
		return len(items) - 1
	}
	if star {
		for ci := range t.cols {
			addCol(ci)
		}
	} else {
		for _, ci := range g.r.Perm(len(t.cols))[:1+g.r.IntN(min(4, len(t.cols)))] {
			if g.pct(15) {
				addScalar(ci)
			} else {
				addCol(ci)
			}
		}
	}
	var order []int
	var dirs []string
	limit := ""
	if g.pct(65) {
		for _, ci := range g.r.Perm(len(t.cols))[:1+g.r.IntN(3)] {
			if g.pct(15) {
				// after a *: "SELECT *, expr AS x1 ... ORDER BY x1"
				order = append(order, addScalar(ci))
			} else {
				order = append(order, addCol(ci))
			}
			dirs = append(dirs, g.dir())
		}
		if g.pct(55) {
			if pi, ok := idx[t.pk]; !ok || !slices.Contains(order, pi) {
				order = append(order, addCol(t.pk))
				dirs = append(dirs, g.dir())
			}
			limit = g.limit()
		}
	}
	q := finish(t, "plain", false, items, g.where(t), "", "", order, dirs, limit)
	if star {
		q.sql = strings.Replace(q.sql, "SELECT "+joinItems(items[:len(t.cols)]), "SELECT *", 1)
		q.shape = "plain *"
	}
	return q
}

func joinItems(items []item) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.text
	}
	return strings.Join(parts, ", ")
}

// agg is a random aggregate over t; folded says MIN/MAX of variant text.
func (g *queryGen) agg(t *tableDef, n int) item {
	for {
		c := t.cols[g.r.IntN(len(t.cols))]
		if g.pct(15) {
			c = g.scalar(c, false)
		}
		var it item
		switch p := g.r.IntN(10); p {
		case 0:
			it = item{text: "COUNT(*)", numeric: true, countish: true}
		case 1:
			it = item{text: "COUNT(" + c.expr + ")", numeric: true, countish: true}
		case 2, 3:
			if !c.kind.numeric() {
				continue
			}
			fn := []string{"SUM", "AVG"}[p-2]
			arg := c.expr
			if g.pct(25) && !g.decimalGroup {
				arg = "DISTINCT " + c.expr // merged from the shards' distinct values
			}
			it = item{text: fn + "(" + arg + ")", numeric: true, countish: fn == "SUM"}
		case 4, 5:
			fn := []string{"MIN", "MAX"}[p-4]
			it = item{text: fn + "(" + c.expr + ")", fold: c.kind == kText && c.variants, numeric: c.kind.numeric()}
		case 6:
			// COUNT(DISTINCT x): Strata pushes each down as an extra GROUP
			// BY column; a query may have several.
			if g.decimalGroup {
				continue
			}
			g.countDistinct = true
			it = item{text: "COUNT(DISTINCT " + c.expr + ")", numeric: true, countish: true, distinctAgg: true}
		case 7:
			// 0 rather than NULL over no rows, as reports write it.
			if !c.kind.numeric() {
				continue
			}
			fn := []string{"IFNULL", "COALESCE"}[g.r.IntN(2)]
			inner := []string{"SUM(" + c.expr + ")", "COUNT(" + c.expr + ")"}[g.r.IntN(2)]
			it = item{text: fn + "(" + inner + ", 0)", numeric: true, countish: true}
		case 8:
			// An expression over aggregates: Strata merges the aggregates
			// and has MariaDB evaluate the rest. Not over a division's
			// SUM or AVG: the server keeps more digits of those than it
			// shows, and Strata's merged value is the shown one
			// (docs/sharding.md).
			if strings.Contains(c.expr, " / ") {
				continue
			}
			var ok bool
			if it, ok = g.overAggregates(t, c); !ok {
				continue
			}
		case 9:
			// Bit aggregates merge from the shards' partials.
			if c.kind != kInt {
				continue
			}
			it = item{text: []string{"BIT_OR", "BIT_AND", "BIT_XOR"}[g.r.IntN(3)] + "(" + c.expr + ")", numeric: true}
		}
		it.isAgg = true
		it.ref = it.text
		if g.pct(50) {
			alias := fmt.Sprintf("a%d", n)
			it.text += " AS " + alias
			it.ref = alias
		}
		return it
	}
}

// overAggregates is an expression over aggregates of column c, as
// reports write them; false when c does not suit one.
func (g *queryGen) overAggregates(t *tableDef, c *colDef) (item, bool) {
	var other *colDef
	for _, oc := range t.cols {
		if oc.kind.numeric() && oc != c && (other == nil || g.pct(50)) {
			other = oc
		}
	}
	x := c.expr
	switch c.kind {
	case kDate, kDatetime:
		switch g.r.IntN(3) {
		case 0:
			return item{text: "DATEDIFF(MAX(" + x + "), MIN(" + x + "))", numeric: true}, true
		case 1:
			return item{text: "TIMESTAMPDIFF(HOUR, MIN(" + x + "), MAX(" + x + "))", numeric: true}, true
		}
		return item{text: "DATE_FORMAT(MAX(" + x + "), '%Y-%m')"}, true
	case kInt, kDec:
	default:
		return item{}, false
	}
	forms := []string{
		fmt.Sprintf("ROUND(AVG(%s), %d)", x, g.r.IntN(4)),
		"SUM(" + x + ") / COUNT(*)",
		"MAX(" + x + ") - MIN(" + x + ")",
		fmt.Sprintf("COUNT(*) * %d + 1", 1+g.r.IntN(5)),
		"AVG(" + x + ") * 100",
		"(SUM(" + x + ") + 1) / (COUNT(*) + 1)",
		"IF(COUNT(" + x + ") > 2, 'many', 'few')",
		"CONCAT(COUNT(*), ' rows')",
		"TRUNCATE(AVG(" + x + "), 1) + MAX(" + x + ")",
		"COUNT(*) / COUNT(DISTINCT " + x + ")",
		"COALESCE(SUM(DISTINCT " + x + "), 0) - MIN(" + x + ")",
	}
	if other != nil {
		forms = append(forms, "SUM("+x+") / NULLIF(SUM("+other.expr+"), 0)", "ROUND(SUM("+x+") * 100 / NULLIF(COUNT("+other.expr+"), 0), 2)")
	}
	text := forms[g.r.IntN(len(forms))]
	if g.decimalGroup && strings.Contains(text, "DISTINCT") {
		return item{}, false
	}
	numeric := !strings.HasPrefix(text, "IF(") && !strings.HasPrefix(text, "CONCAT(")
	return item{text: text, numeric: numeric}, true
}

// aggregate: SELECT agg, ... FROM t [WHERE] (one row).
func (g *queryGen) aggregate(t *tableDef) *genQuery {
	var items []item
	for i := range 1 + g.r.IntN(4) {
		items = append(items, g.agg(t, i))
	}
	return finish(t, "aggregate", false, items, g.where(t), "", "", nil, nil, "")
}

// grouped: SELECT g1[, g2], aggs FROM t [WHERE] GROUP BY g1[, g2]
// [HAVING ...] [ORDER BY groups/aggregates [LIMIT]].
func (g *queryGen) grouped(t *tableDef) *genQuery {
	var low []int
	for i, c := range t.cols {
		if c.lowCard || (c.variants && g.pct(30)) {
			low = append(low, i)
		}
	}
	if len(low) == 0 {
		low = []int{g.r.IntN(len(t.cols))}
	}
	groupCols := []int{low[g.r.IntN(len(low))]}
	if g.pct(35) {
		if c := low[g.r.IntN(len(low))]; c != groupCols[0] {
			groupCols = append(groupCols, c)
		}
	}
	coarse := g.pct(10) // a column of many values, grouped by an expression
	if coarse {
		groupCols = []int{g.r.IntN(len(t.cols))}
	}
	var items []item
	var groupRefs []string
	for _, ci := range groupCols {
		c, ref := t.cols[ci], t.cols[ci].expr
		if coarse || g.pct(20) {
			c = g.scalar(c, !c.lowCard)
			ref = []string{c.expr, c.alias}[g.r.IntN(2)]
			g.decimalGroup = g.decimalGroup || c.kind == kDec
		}
		items = append(items, colItem(c, true))
		groupRefs = append(groupRefs, ref)
	}
	nGroup := len(items)
	for i := range 1 + g.r.IntN(3) {
		items = append(items, g.agg(t, i))
	}
	having := ""
	if g.pct(40) {
		having = " HAVING " + g.having(t, items[nGroup:])
	}
	var order []int
	var dirs []string
	limit := ""
	if g.pct(65) {
		for _, i := range g.r.Perm(len(items))[:1+g.r.IntN(min(3, len(items)))] {
			order = append(order, i)
			dirs = append(dirs, g.dir())
		}
		if g.pct(50) {
			for i := range nGroup { // groups are unique: a total order
				if !slices.Contains(order, i) {
					order = append(order, i)
					dirs = append(dirs, g.dir())
				}
			}
			limit = g.limit()
		}
	}
	return finish(t, "group by", false, items, g.where(t), " GROUP BY "+strings.Join(groupRefs, ", "), having, order, dirs, limit)
}

// wholeGroups: SELECT key, GROUP_CONCAT(...), BIT_OR(...), STDDEV_POP(...)
// FROM t [WHERE] GROUP BY key [HAVING] [ORDER BY ... [LIMIT]]: every
// group is whole on one shard, so aggregates that do not merge from
// partials are answered by the shards.
func (g *queryGen) wholeGroups(t *tableDef) *genQuery {
	key := t.cols[t.key]
	items := []item{colItem(key, false)}
	pk := t.cols[t.pk].expr
	for n := range 1 + g.r.IntN(3) {
		c := t.cols[g.r.IntN(len(t.cols))]
		var it item
		switch {
		case g.pct(40):
			// Ties under the collation are broken by the unique column,
			// so the concatenation is one answer. MariaDB's LIMIT inside
			// (which Strata's parser lacks) keeps the first few.
			limit := ""
			if g.pct(30) {
				limit = fmt.Sprintf(" LIMIT %d", 1+g.r.IntN(3))
			}
			it = item{text: "GROUP_CONCAT(" + c.expr + " ORDER BY " + c.expr + ", " + pk + " SEPARATOR '|'" + limit + ")"}
		case c.kind == kInt && g.pct(50):
			it = item{text: []string{"BIT_OR", "BIT_AND", "BIT_XOR"}[g.r.IntN(3)] + "(" + c.expr + ")", numeric: true}
		case c.kind.numeric():
			it = item{text: []string{"STDDEV_POP", "VAR_POP", "STDDEV_SAMP"}[g.r.IntN(3)] + "(" + c.expr + ")", numeric: true}
		default:
			it = item{text: "COUNT(*)", numeric: true, countish: true}
		}
		it.isAgg, it.ref = true, it.text
		if g.pct(40) {
			alias := fmt.Sprintf("w%d", n)
			it.text += " AS " + alias
			it.ref = alias
		}
		items = append(items, it)
	}
	having := ""
	if g.pct(25) {
		having = fmt.Sprintf(" HAVING COUNT(*) > %d", g.r.IntN(3))
	}
	var order []int
	var dirs []string
	limit := ""
	if g.pct(60) {
		for _, i := range g.r.Perm(len(items))[:1+g.r.IntN(len(items))] {
			if strings.HasPrefix(items[i].text, "STDDEV") || strings.HasPrefix(items[i].text, "VAR_") {
				// Its last bits depend on the order the server read the
				// group's rows in, so ties would break either way.
				continue
			}
			if strings.Contains(items[i].text, "' LIMIT") {
				continue // Strata cannot sort by a value it cannot read: refused
			}
			order = append(order, i)
			dirs = append(dirs, g.dir())
		}
		if !slices.Contains(order, 0) {
			order = append(order, 0) // the key is unique per group: a total order
			dirs = append(dirs, g.dir())
		}
		if g.pct(50) {
			limit = g.limit()
		}
	}
	return finish(t, "whole groups", false, items, g.where(t), " GROUP BY "+key.expr, having, order, dirs, limit)
}

// correlated: SELECT ..., (SELECT agg FROM entry_likes l WHERE
// l.entry_id = entries.id ...) FROM entries [WHERE [NOT] EXISTS (...)]
// [ORDER BY ... [LIMIT]]: subqueries matched on the shard key, which run
// on the shards as written (entry_likes is sharded like entries).
func (g *queryGen) correlated(t *tableDef) *genQuery {
	// On the shard key the shards answer; on another column Strata reads
	// both tables' rows and one server does.
	match, shape := "l.entry_id = entries.id", "correlated by key"
	if g.pct(35) {
		match, shape = "l.user_id = entries.user_id", "correlated off the key"
	}
	// A subquery inside: one that runs alone (first), one that names
	// only likes (read with it), one that names entries too (its table
	// read as well).
	nested := []string{
		"l.user_id IN (SELECT id FROM users WHERE karma > %d)",
		"EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id AND u.karma > %d)",
		"NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id AND u.karma + %d < entries.score)",
	}
	likes := func() string {
		cond := match
		if g.pct(50) {
			cond += fmt.Sprintf(" AND l.weight > %d", g.r.IntN(4))
		}
		if g.pct(25) {
			cond += " AND " + fmt.Sprintf(nested[g.r.IntN(len(nested))], g.r.IntN(9))
		}
		return "FROM entry_likes l WHERE " + cond
	}
	items := []item{colItem(t.cols[t.pk], false)}
	for _, ci := range g.r.Perm(len(t.cols))[:g.r.IntN(3)] {
		if ci != t.pk {
			items = append(items, colItem(t.cols[ci], false))
		}
	}
	agg := []string{"COUNT(*)", "SUM(l.weight)", "MAX(l.user_id)", "MIN(l.liked_at)"}[g.r.IntN(4)]
	sub := item{text: "(SELECT " + agg + " " + likes() + ")", numeric: agg != "MIN(l.liked_at)"}
	sub.ref = sub.text
	if g.pct(50) {
		sub.text += " AS sub"
		sub.ref = "sub"
	}
	items = append(items, sub)
	where := ""
	if g.pct(50) {
		where = " WHERE " + []string{"", "NOT "}[g.r.IntN(2)] + "EXISTS (SELECT 1 " + likes() + ")"
	}
	var order []int
	var dirs []string
	limit := ""
	if g.pct(60) {
		order = []int{len(items) - 1, 0} // the pk breaks ties
		dirs = []string{g.dir(), g.dir()}
		if g.pct(50) {
			limit = g.limit()
		}
	}
	return finish(t, shape, false, items, where, "", "", order, dirs, limit)
}

// derived: a query of another shape read through a CTE (its columns
// named by the CTE, so duplicate names do not matter) and counted, or put
// in a UNION [ALL] with itself: Strata runs the inner query first and the
// outer statement over its rows on one server.
func (g *queryGen) derived(t *tableDef) *genQuery {
	var inner *genQuery
	switch g.r.IntN(3) {
	case 0:
		inner = g.plain(t)
	case 1:
		inner = g.grouped(t)
	default:
		inner = g.distinct(t)
	}
	q := &genQuery{table: t.name, mode: exact}
	if g.pct(25) {
		if quantified := g.quantified(t); quantified != nil {
			return quantified
		}
	}
	if g.pct(50) {
		names := make([]string, inner.cols)
		for i := range names {
			names[i] = fmt.Sprintf("c%d", i+1)
		}
		q.shape = "CTE of " + inner.shape
		q.sql = fmt.Sprintf("WITH d (%s) AS (%s) SELECT COUNT(*), COUNT(DISTINCT c1) FROM d", strings.Join(names, ", "), inner.sql)
		q.cols = 2
		return q
	}
	union := []string{" UNION ", " UNION ALL "}[g.r.IntN(2)]
	q.shape = strings.TrimSpace(union) + " of " + inner.shape
	q.sql = "(" + inner.sql + ")" + union + "(" + inner.sql + ")"
	q.mode, q.foldCols, q.cols = multiset, inner.foldCols, inner.cols
	if union == " UNION " {
		// UNION keeps one of collation-equal rows, whichever it meets
		// first: compare every column under the collation.
		q.foldCols = nil
		for i := range inner.cols {
			q.foldCols = append(q.foldCols, i)
		}
	}
	return q
}

// eagerLoad is an ORM's eager load with a limit (Sequelize's include with
// limit): a page of entries as a derived table, LEFT JOINed with their
// likes (sharded alike) or with the comments on their user_id (sharded
// apart), rows or counted per entry.
func (g *queryGen) eagerLoad(t *tableDef) *genQuery {
	page := fmt.Sprintf("SELECT id, user_id, title, score FROM entries%s ORDER BY id%s LIMIT %d", g.where(t), g.dir(), 1+g.r.IntN(15))
	child, on := "entry_likes l", "l.entry_id = d.id"
	cols := "l.id, l.weight"
	if g.pct(40) {
		child, on, cols = "comments l", "l.entry_id = d.user_id", "l.id, l.votes"
	}
	if g.pct(30) {
		on += fmt.Sprintf(" AND l.id %% %d = 0", 2+g.r.IntN(3))
	}
	q := &genQuery{table: t.name, shape: "eager load", mode: exact}
	if g.pct(40) {
		q.sql = fmt.Sprintf("SELECT d.id, COUNT(l.id), MAX(%s) FROM (%s) d LEFT JOIN %s ON %s GROUP BY d.id ORDER BY d.id", strings.Split(cols, ", ")[1], page, child, on)
		q.cols = 3
		return q
	}
	q.sql = fmt.Sprintf("SELECT d.id, d.title, d.score, %s FROM (%s) d LEFT JOIN %s ON %s ORDER BY d.id, l.id", cols, page, child, on)
	q.cols = 5
	return q
}

// quantified: SELECT COUNT(*), SUM(1) FROM t WHERE c op ANY|ALL (SELECT d
// FROM u [WHERE]) with numeric c and d: Strata runs the subquery first
// and the server compares with its rows (NULLs and no rows included).
func (g *queryGen) quantified(t *tableDef) *genQuery {
	numeric := func(t *tableDef) *colDef {
		for _, ci := range g.r.Perm(len(t.cols)) {
			if c := t.cols[ci]; c.kind == kInt {
				return c
			}
		}
		return nil
	}
	c := numeric(t)
	if c == nil || t.scatterDeny {
		return nil
	}
	u := g.tables[g.r.IntN(len(g.tables))]
	if u.isView {
		return nil
	}
	d := numeric(u)
	if d == nil {
		return nil
	}
	op := []string{"<", ">", "=", "<>", ">="}[g.r.IntN(5)]
	quant := []string{"ANY", "ALL"}[g.r.IntN(2)]
	sql := fmt.Sprintf("SELECT COUNT(*), COUNT(%s) FROM %s WHERE %s %s %s (SELECT %s FROM %s%s)",
		c.expr, g.from(t), c.expr, op, quant, d.expr, u.name, g.where(u))
	return &genQuery{sql: sql, table: t.name, shape: "x " + op + " " + quant + " (SELECT ...)", mode: exact, cols: 2}
}

// rollup: SELECT c, COUNT(*), SUM(n) FROM t [WHERE] GROUP BY c WITH
// ROLLUP: Strata reads the rows and one server rolls them up.
func (g *queryGen) rollup(t *tableDef) *genQuery {
	var group, num *colDef
	for _, ci := range g.r.Perm(len(t.cols)) {
		c := t.cols[ci]
		if group == nil && c.lowCard {
			group = c
		} else if num == nil && c.kind.numeric() {
			num = c
		}
	}
	if group == nil || num == nil {
		return g.grouped(t)
	}
	items := []item{colItem(group, true), {text: "COUNT(*)"}, {text: "SUM(" + num.expr + ")"}}
	q := finish(t, "rollup", false, items, g.where(t), " GROUP BY "+group.expr+" WITH ROLLUP", "", nil, nil, "")
	return q
}

// windows: SELECT key, pk, window functions PARTITION BY key FROM t
// [WHERE] [ORDER BY key, pk [LIMIT]]: whole partitions on each shard.
func (g *queryGen) windows(t *tableDef) *genQuery {
	key, pk := t.cols[t.key], t.cols[t.pk]
	items := []item{colItem(key, false), colItem(pk, false)}
	// Partitioned by the key, the shards compute the windows; else
	// Strata reads the rows and one server does.
	part, shape := "PARTITION BY "+key.expr, "windows"
	if g.pct(30) {
		part, shape = "", "windows across shards"
	}
	over := "OVER (" + part + " ORDER BY " + pk.expr + ")"
	fns := []string{"ROW_NUMBER() " + over, "COUNT(*) OVER (" + part + ")"}
	for _, c := range t.cols {
		if c.kind.numeric() && c != pk {
			fns = append(fns, "SUM("+c.expr+") "+over, "MAX("+c.expr+") OVER ("+part+")")
		}
	}
	for n, i := range g.r.Perm(len(fns))[:1+g.r.IntN(2)] {
		it := item{text: fns[i], numeric: true}
		it.text += fmt.Sprintf(" AS w%d", n)
		it.ref = fmt.Sprintf("w%d", n)
		items = append(items, it)
	}
	var order []int
	var dirs []string
	limit := ""
	if g.pct(70) {
		order, dirs = []int{0, 1}, []string{g.dir(), g.dir()}
		if g.pct(50) {
			limit = g.limit()
		}
	}
	return finish(t, shape, false, items, g.where(t), "", "", order, dirs, limit)
}

func (g *queryGen) having(t *tableDef, aggs []item) string {
	switch p := g.r.IntN(4); {
	case p == 0:
		return fmt.Sprintf("COUNT(*) > %d", 1+g.r.IntN(3))
	case p == 1:
		for _, a := range aggs {
			if a.countish && (!a.distinctAgg || a.ref != a.text) {
				return fmt.Sprintf("%s >= %d", a.ref, 2+g.r.IntN(4))
			}
		}
		return fmt.Sprintf("COUNT(*) >= %d", 2+g.r.IntN(4))
	case p == 2:
		for _, ci := range g.r.Perm(len(t.cols)) {
			if c := t.cols[ci]; c.kind.numeric() && ci != t.pk {
				return fmt.Sprintf("SUM(%s) >= %d", c.expr, g.r.IntN(20))
			}
		}
		return "COUNT(*) > 1"
	default:
		for _, ci := range g.r.Perm(len(t.cols)) {
			if c := t.cols[ci]; c.kind.numeric() {
				return fmt.Sprintf("MAX(%s) > %s OR COUNT(*) > %d", c.expr, g.value(c), 2+g.r.IntN(3))
			}
		}
		return "COUNT(*) > 2"
	}
}

// distinct: SELECT DISTINCT c1[, c2] FROM t [WHERE] [ORDER BY all [LIMIT]].
func (g *queryGen) distinct(t *tableDef) *genQuery {
	var items []item
	for _, ci := range g.r.Perm(len(t.cols))[:1+g.r.IntN(2)] {
		c := t.cols[ci]
		if g.pct(25) {
			c = g.scalar(c, false)
		}
		items = append(items, colItem(c, true))
	}
	var order []int
	var dirs []string
	limit := ""
	if g.pct(60) {
		for _, i := range g.r.Perm(len(items)) {
			order = append(order, i)
			dirs = append(dirs, g.dir())
		}
		if g.pct(50) {
			limit = g.limit()
			if t.isView {
				// MariaDB 10.11 answers SELECT DISTINCT over a join whose
				// WHERE makes the selected table a constant one with a row
				// even past an OFFSET (the single server gave 1 row for
				// LIMIT 16 OFFSET 19 of a 1-row answer): no OFFSET here.
				limit, _, _ = strings.Cut(limit, " OFFSET")
			}
		}
	}
	return finish(t, "distinct", true, items, g.where(t), "", "", order, dirs, limit)
}

// scalarForm is one expression of a column, as applications select,
// group, sort and aggregate by (prices rounded, names' first letters,
// days of timestamps).
type scalarForm struct {
	text string // %[1]s is the column
	kind colKind
	// keepsVariants: text of a variants column stays collation-equal
	// between its variants (UPPER('Émile') and UPPER('emile')).
	keepsVariants bool
	// coarse: few distinct values even over a column with many: a good
	// GROUP BY key of any column.
	coarse bool
	// nullableOnly: taken only over a nullable column. MariaDB folds
	// c IS NULL of a NOT NULL column to a constant, and grouped by it
	// alone, with an ORDER BY of an expression over AVG, rounds the AVG
	// to its scale first, which Strata does not reproduce (documented in
	// docs/sharding.md).
	nullableOnly bool
}

var scalarForms = map[colKind][]scalarForm{
	kInt: {
		{text: "%[1]s + 1", kind: kInt}, {text: "%[1]s * 2", kind: kInt}, {text: "-%[1]s", kind: kInt},
		{text: "%[1]s DIV 10", kind: kInt, coarse: true}, {text: "%[1]s %% 7", kind: kInt, coarse: true},
		{text: "ABS(%[1]s - 40)", kind: kInt}, {text: "COALESCE(%[1]s, -1)", kind: kInt},
		{text: "IF(%[1]s > 20, 'hi', 'lo')", kind: kText, coarse: true},
		{text: "CASE WHEN %[1]s IS NULL THEN 'none' WHEN %[1]s < 10 THEN 'small' ELSE 'big' END", kind: kText, coarse: true},
		{text: "%[1]s / 4", kind: kDec}, {text: "CAST(%[1]s AS CHAR)", kind: kText},
		{text: "GREATEST(%[1]s, 10)", kind: kInt}, {text: "%[1]s IS NULL", kind: kInt, coarse: true, nullableOnly: true},
		{text: "MOD(%[1]s, 4)", kind: kInt, coarse: true}, {text: "SIGN(%[1]s - 25)", kind: kInt, coarse: true},
		{text: "CRC32(%[1]s) %% 5", kind: kInt, coarse: true},
		{text: "LPAD(%[1]s, 4, '0')", kind: kText}, {text: "CONCAT_WS('-', %[1]s, 'n')", kind: kText},
	},
	kDec: {
		{text: "ROUND(%[1]s)", kind: kDec}, {text: "FLOOR(%[1]s)", kind: kInt}, {text: "%[1]s * 2", kind: kDec},
		{text: "TRUNCATE(%[1]s, 1)", kind: kDec}, {text: "CEIL(%[1]s)", kind: kInt}, {text: "%[1]s + 0.5", kind: kDec},
		{text: "CAST(%[1]s AS SIGNED)", kind: kInt}, {text: "ROUND(%[1]s, -1)", kind: kDec, coarse: true},
		{text: "%[1]s > 50", kind: kInt, coarse: true},
	},
	kText: {
		{text: "UPPER(%[1]s)", kind: kText, keepsVariants: true}, {text: "LOWER(%[1]s)", kind: kText, keepsVariants: true},
		{text: "LEFT(%[1]s, 1)", kind: kText, keepsVariants: true, coarse: true},
		{text: "LENGTH(%[1]s)", kind: kInt, coarse: true}, {text: "CHAR_LENGTH(%[1]s)", kind: kInt, coarse: true},
		{text: "CONCAT(%[1]s, '-')", kind: kText, keepsVariants: true}, {text: "REVERSE(%[1]s)", kind: kText, keepsVariants: true},
		{text: "SUBSTRING(%[1]s, 2)", kind: kText, keepsVariants: true}, {text: "IFNULL(%[1]s, '')", kind: kText, keepsVariants: true},
		{text: "TRIM(%[1]s)", kind: kText, keepsVariants: true}, {text: "%[1]s LIKE 'a%%'", kind: kInt, coarse: true},
		{text: "HEX(%[1]s)", kind: kText},
		{text: "REPLACE(%[1]s, 'e', 'E')", kind: kText, keepsVariants: true},
		{text: "SUBSTRING_INDEX(%[1]s, ' ', 1)", kind: kText, keepsVariants: true, coarse: true},
		{text: "CONCAT_WS(' ', %[1]s, 'x')", kind: kText, keepsVariants: true}, {text: "LPAD(%[1]s, 8, '*')", kind: kText, keepsVariants: true},
		{text: "SOUNDEX(%[1]s)", kind: kText, keepsVariants: true, coarse: true}, {text: "LOCATE('a', %[1]s)", kind: kInt, coarse: true},
		{text: "RIGHT(%[1]s, 2)", kind: kText, keepsVariants: true, coarse: true}, {text: "COALESCE(%[1]s, 'none')", kind: kText, keepsVariants: true},
		{text: "NULLIF(%[1]s, '')", kind: kText, keepsVariants: true}, {text: "CHAR_LENGTH(TRIM(%[1]s)) > 5", kind: kInt, coarse: true},
	},
	kDate: {
		{text: "YEAR(%[1]s)", kind: kInt, coarse: true}, {text: "MONTH(%[1]s)", kind: kInt, coarse: true},
		{text: "DATE_FORMAT(%[1]s, '%%Y-%%m')", kind: kText, coarse: true}, {text: "%[1]s + INTERVAL 1 DAY", kind: kDate},
		{text: "DAYOFWEEK(%[1]s)", kind: kInt, coarse: true}, {text: "DATEDIFF('2030-01-01', %[1]s)", kind: kInt},
		{text: "QUARTER(%[1]s)", kind: kInt, coarse: true}, {text: "DATE_SUB(%[1]s, INTERVAL 1 MONTH)", kind: kDate},
	},
	kDatetime: {
		{text: "DATE(%[1]s)", kind: kDate, coarse: true}, {text: "YEAR(%[1]s)", kind: kInt, coarse: true},
		{text: "MONTH(%[1]s)", kind: kInt, coarse: true}, {text: "DATE_FORMAT(%[1]s, '%%Y-%%m')", kind: kText, coarse: true},
		{text: "%[1]s + INTERVAL 1 DAY", kind: kDatetime}, {text: "DAYOFWEEK(%[1]s)", kind: kInt, coarse: true},
		{text: "TIMESTAMPDIFF(HOUR, %[1]s, '2030-01-01')", kind: kInt}, {text: "HOUR(%[1]s)", kind: kInt, coarse: true},
		{text: "QUARTER(%[1]s)", kind: kInt, coarse: true}, {text: "WEEK(%[1]s)", kind: kInt, coarse: true},
		{text: "LAST_DAY(%[1]s)", kind: kDate, coarse: true}, {text: "DATE_ADD(%[1]s, INTERVAL 90 MINUTE)", kind: kDatetime},
		{text: "DAYNAME(%[1]s)", kind: kText, coarse: true}, {text: "TIME(%[1]s)", kind: kText},
	},
}

// scalar is an expression of column c that takes its place in a select
// list, GROUP BY, ORDER BY or aggregate; coarseOnly picks a form with few
// values, for grouping a column that has many.
func (g *queryGen) scalar(c *colDef, coarseOnly bool) *colDef {
	var forms []scalarForm
	for _, f := range scalarForms[c.kind] {
		if (f.coarse || !coarseOnly) && (c.nullable || !f.nullableOnly) {
			forms = append(forms, f)
		}
	}
	f := forms[g.r.IntN(len(forms))]
	g.scalars++
	return &colDef{
		name:     c.name,
		kind:     f.kind,
		nullable: c.nullable,
		// A case change or a prefix can make different values
		// collation-equal ('e' of 'emma' and 'E' of 'Eve').
		variants: c.kind == kText && f.keepsVariants,
		lowCard:  c.lowCard || f.coarse,
		expr:     fmt.Sprintf(f.text, c.expr),
		alias:    fmt.Sprintf("x%d", g.scalars),
	}
}
