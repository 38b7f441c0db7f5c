package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// Sharding plans statements over the tables the `tables:` config places:
// table groups on their own cluster, sharded tables, reference tables.
// Statements that touch none of them never get here.
type Sharding struct {
	layout atomic.Pointer[shard.Layout]
	stmts  sync.Map // statement text -> *analyzed
	n      atomic.Int64
	// Assign records the shard of a lookup key an INSERT brings for the
	// first time (nil: such an INSERT is refused).
	Assign func(ctx context.Context, t *shard.Table, key shard.Value) (string, error)
	// NextID hands out the next id of a sequence.
	NextID func(ctx context.Context, sequence string) (int64, error)
}

// analyzed is a statement's analysis, shared by all executions of its text.
type analyzed struct {
	stmt *sqlparse.ShardStmt
	err  error
}

// NewSharding plans over layout (nil or empty: nothing is placed).
func NewSharding(layout *shard.Layout) *Sharding {
	s := &Sharding{}
	s.SetLayout(layout)
	return s
}

// SetLayout replaces the layout (config reload) and forgets analyses,
// which depend on which tables are sharded.
func (s *Sharding) SetLayout(l *shard.Layout) {
	s.layout.Store(l)
	s.stmts.Clear()
	s.n.Store(0)
}

// Layout is the current layout.
func (s *Sharding) Layout() *shard.Layout { return s.layout.Load() }

// Touches reports whether f references a table the layout places.
func (s *Sharding) Touches(f *sqlparse.Facts) bool {
	l := s.layout.Load()
	if l == nil || l.Empty() {
		return false
	}
	for _, t := range f.Tables {
		if l.Table(t.Name) != nil {
			return true
		}
	}
	return false
}

// PlanKind is the shape of a ShardPlan.
type PlanKind uint8

const (
	// PlanRelay: one statement on one cluster; its answer is relayed to
	// the client byte for byte, with the usual read/write split.
	PlanRelay PlanKind = iota
	// PlanMerge: a SELECT on several shards (or period tables) merged in
	// Strata.
	PlanMerge
	// PlanWrite: writes on several shards, each in its own transaction,
	// committed together; the client gets one OK.
	PlanWrite
)

var planKindNames = [...]string{PlanRelay: "relay", PlanMerge: "merge", PlanWrite: "write"}

func (k PlanKind) String() string { return planKindNames[k] }

// ShardRoute is one statement on one cluster.
type ShardRoute struct {
	Cluster string
	SQL     string
	// Template is the route's statement with the ? placeholders kept, for
	// a prepared statement that runs on one shard: prepared there and
	// executed with the client's own EXECUTE. "" when the route's text
	// depends on the bound values (an IN list split by value, sequence ids).
	Template string
	// Tables are the physical tables it reads or writes (period tables).
	Tables []string
}

// ShardPlan is how one statement runs over placed tables.
type ShardPlan struct {
	Kind   PlanKind
	Routes []ShardRoute
	// Write: the statement writes (runs on primaries).
	Write bool
	// Select is the merge of a PlanMerge.
	Select *sqlparse.ScatterSelect
	// Walk: routes are in key order and are read one after another until
	// the LIMIT is met (ordered walk with early stop).
	Walk bool
	// InsertID is the first sequence id an INSERT filled in, returned to
	// the client as LAST_INSERT_ID(); 0 when none.
	InsertID int64
	// Reason says why the plan has this shape, for EXPLAIN STRATA.
	Reason string
	// Sequential: the executor runs the routes one after another on a
	// shared connection (a transaction's), so rows are not read from
	// several routes at once.
	Sequential bool
	// Args are the prepared statement's bound values the plan was made
	// for (LIMIT ? and HAVING ... ? are applied in Strata).
	Args []string
}

// Clusters lists the distinct clusters of the plan's routes, in order.
func (p *ShardPlan) Clusters() []string {
	var out []string
	for _, r := range p.Routes {
		if !slices.Contains(out, r.Cluster) {
			out = append(out, r.Cluster)
		}
	}
	return out
}

// RoutingError is a statement Strata refuses because it cannot route it
// correctly; the session sends it as ER_NOT_SUPPORTED_YET.
type RoutingError struct{ Msg string }

func (e *RoutingError) Error() string { return e.Msg }

func refuse(format string, args ...any) error {
	return &RoutingError{Msg: fmt.Sprintf(format, args...)}
}

// Plan decides how the statement sql, with facts f, runs. args are the
// bound values of a prepared statement as SQL literals (nil for text
// queries).
func (s *Sharding) Plan(ctx context.Context, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	p, err := s.plan(ctx, sql, f, args)
	if p != nil {
		p.Args = args
	}
	return p, err
}

func (s *Sharding) plan(ctx context.Context, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	l := s.layout.Load()
	var sharded, reference, other []*shard.Table
	var unplaced []string
	groups := map[string]bool{}
	for _, ref := range f.Tables {
		t := l.Table(ref.Name)
		switch {
		case t == nil:
			unplaced = append(unplaced, ref.Name)
		case t.Placement == shard.PlaceSharded:
			sharded = append(sharded, t)
		case t.Placement == shard.PlaceReference:
			reference = append(reference, t)
		default:
			groups[t.Cluster] = true
			other = append(other, t)
		}
	}
	if len(sharded)+len(reference) > 0 {
		if err := refuseUnsplittable(f, append(sharded, reference...)[0]); err != nil {
			return nil, err
		}
	}
	switch {
	case len(sharded) > 0:
		if len(other) > 0 || len(unplaced) > 0 {
			return nil, refuse("Strata cannot join sharded table %s with %s, which lives on one cluster; query them separately", sharded[0].Name, firstName(other, unplaced))
		}
		return s.planSharded(ctx, l, sql, f, args)
	case len(reference) > 0:
		if len(other) > 0 || len(unplaced) > 0 {
			return nil, refuse("reference table %s lives on the shard clusters and %s does not; Strata cannot join them", reference[0].Name, firstName(other, unplaced))
		}
		p := planReference(l, sql, f)
		if p.Kind == PlanRelay {
			p.Routes[0].Template = templateIf(args, sql)
		}
		return p, nil
	}
	if len(groups) > 1 || (len(unplaced) > 0 && !groups[l.DefaultCluster()]) {
		return nil, refuse("the tables of this statement live on different clusters (%s); Strata cannot run one statement across clusters", describeClusters(l, f))
	}
	return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{{Cluster: other[0].Cluster, SQL: sql, Template: templateIf(args, sql)}}, Write: !f.ReadOnly,
		Reason: "table group: " + other[0].Name + " lives on cluster " + other[0].Cluster}, nil
}

// refuseUnsplittable refuses statements on sharded or reference tables
// that Strata cannot divide between shards or repeat on each: running them
// on one shard would put rows or locks in the wrong place.
func refuseUnsplittable(f *sqlparse.Facts, t *shard.Table) error {
	switch f.Kind {
	case sqlparse.KindLoadData:
		return refuse("LOAD DATA into %s: Strata cannot split a file between shards; load each shard directly, or send the rows as INSERT ... VALUES", t.Name)
	case sqlparse.KindLockTables:
		return refuse("LOCK TABLES on %s: the table lives on several shards and Strata cannot lock them together", t.Name)
	case sqlparse.KindCall, sqlparse.KindPrepare, sqlparse.KindDo:
		return refuse("%s touching %s: Strata cannot route it by shard key; run it on the shards directly", strings.ToUpper(f.Kind.String()), t.Name)
	}
	return nil
}

func firstName(ts []*shard.Table, names []string) string {
	if len(ts) > 0 {
		return ts[0].Name
	}
	return names[0]
}

func describeClusters(l *shard.Layout, f *sqlparse.Facts) string {
	var parts []string
	for _, ref := range f.Tables {
		cl := l.DefaultCluster()
		if t := l.Table(ref.Name); t != nil {
			cl = t.Cluster
		}
		parts = append(parts, ref.Name+" on "+cl)
	}
	return strings.Join(parts, ", ")
}

// planReference: reads of reference tables run on one shard cluster (every
// one holds a copy); writes run on all of them.
func planReference(l *shard.Layout, sql string, f *sqlparse.Facts) *ShardPlan {
	clusters := l.ShardClusters()
	if f.ReadOnly {
		return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{{Cluster: clusters[0], SQL: sql}}, Reason: "reference table: any shard holds a copy"}
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, Reason: "reference table: the write goes to every shard cluster"}
	for _, c := range clusters {
		p.Routes = append(p.Routes, ShardRoute{Cluster: c, SQL: sql})
	}
	return p
}

// maxAnalyses bounds the analysis cache (it starts over past it).
const maxAnalyses = 10000

func (s *Sharding) analyze(l *shard.Layout, sql string) (*sqlparse.ShardStmt, error) {
	if v, ok := s.stmts.Load(sql); ok {
		a := v.(*analyzed)
		return a.stmt, a.err
	}
	st, err := sqlparse.AnalyzeShard(sql, func(t sqlparse.TableRef) (string, bool) {
		tb := l.Table(t.Name)
		if tb == nil || tb.Placement != shard.PlaceSharded {
			return "", false
		}
		return strings.ToLower(tb.Method.Key()), true
	})
	if s.n.Add(1) > maxAnalyses {
		s.stmts.Clear()
		s.n.Store(0)
	}
	s.stmts.Store(sql, &analyzed{stmt: st, err: err})
	return st, err
}

// target is one shard (and, for date tables, one period table) a
// statement runs on, with the IN values that belong there.
type target struct {
	shard string
	table string // physical period table; "" for non-date tables
	in    []sqlparse.Operand
}

func (s *Sharding) planSharded(ctx context.Context, l *shard.Layout, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	st, err := s.analyze(l, sql)
	if err != nil {
		return nil, err
	}
	if st.Unsupported != "" {
		return nil, refuse("%s", st.Unsupported)
	}
	if st.Params > 0 && len(args) < st.Params {
		return nil, refuse("the statement has %d placeholders but %d values were bound", st.Params, len(args))
	}
	lead, err := s.checkCoSharded(l, st)
	if err != nil {
		return nil, err
	}
	switch st.Kind {
	case sqlparse.KindInsert, sqlparse.KindReplace:
		return s.planInsert(ctx, l, st, lead, args)
	case sqlparse.KindSelect, sqlparse.KindUpdate, sqlparse.KindDelete:
	default:
		p, err := planBroadcast(l, st, sql, f)
		if err == nil && p.Kind == PlanRelay {
			p.Routes[0].Template = templateIf(args, sql)
		}
		return p, err
	}
	u := st.Uses[lead]
	t := l.Table(u.Ref.Name)
	targets, reason, err := s.targets(ctx, t, u.Filter, args)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		// No shard can hold a matching row (key = NULL, or no lookup
		// entry): one shard still answers, with the right empty result.
		targets = s.emptyTarget(t)
		reason += "; no shard holds matching rows, one shard answers the empty result"
	} else if all := len(targets) == len(s.allTargets(t)); all && t.ScatterDeny && u.Filter.In == nil {
		return nil, refuse("table %s is sharded by %s and refuses scatter queries (scatter: deny); this %s has no condition on %s", t.Name, t.Method.Key(), strings.ToUpper(st.Kind.String()), t.Method.Key())
	}
	if st.Kind != sqlparse.KindSelect {
		return s.planModify(st, lead, t, targets, reason, args)
	}
	return s.planSelect(st, lead, t, targets, reason, args)
}

// checkCoSharded returns the index of the first sharded use and checks
// that every other sharded use is joined to it on the shard key and
// sharded the same way, so each shard can run the join alone.
func (s *Sharding) checkCoSharded(l *shard.Layout, st *sqlparse.ShardStmt) (int, error) {
	var idx []int
	for i, u := range st.Uses {
		if t := l.Table(u.Ref.Name); t != nil && t.Placement == shard.PlaceSharded {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return 0, refuse("no sharded table found in the statement")
	}
	lead := idx[0]
	if len(idx) == 1 {
		return lead, nil
	}
	joined := map[int]int{}
	for i := range st.Uses {
		joined[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for joined[i] != i {
			i = joined[i]
		}
		return i
	}
	for _, kj := range st.KeyJoins {
		joined[find(kj[0])] = find(kj[1])
	}
	a := l.Table(st.Uses[lead].Ref.Name)
	for _, i := range idx[1:] {
		b := l.Table(st.Uses[i].Ref.Name)
		if find(i) != find(lead) {
			return 0, refuse("tables %s and %s are sharded; Strata joins them only on their shard keys (%s.%s = %s.%s)", a.Name, b.Name, a.Name, a.Method.Key(), b.Name, b.Method.Key())
		}
		if !sameSharding(a.Method, b.Method) {
			return 0, refuse("tables %s and %s are not sharded the same way (%s over %v, %s over %v); their rows with equal keys may live on different shards", a.Name, b.Name, a.Method.Name(), a.Method.Shards(), b.Method.Name(), b.Method.Shards())
		}
	}
	return lead, nil
}

// sameSharding reports whether two methods place every key on the same
// shard: same method, same shards, and the same answer for sample keys.
func sameSharding(a, b shard.Method) bool {
	if a.Name() != b.Name() || !slices.Equal(a.Shards(), b.Shards()) {
		return false
	}
	if _, ok := a.(shard.Periodic); ok {
		return false // period tables of different tables cannot be joined pairwise
	}
	if a.Name() == shard.MethodLookup {
		return false
	}
	for i := int64(-1000); i <= 5000; i += 37 {
		for _, v := range []shard.Value{shard.Int(i), shard.String(fmt.Sprint(i))} {
			x, errA := a.ShardFor(v)
			y, errB := b.ShardFor(v)
			if (errA == nil) != (errB == nil) || x != y {
				return false
			}
		}
	}
	return true
}

// value reads an operand: a literal, or a bound argument.
func value(op sqlparse.Operand, args []string) (shard.Value, bool) {
	lit := op.Literal
	if op.Param > 0 {
		if op.Param > len(args) {
			return shard.Value{}, false
		}
		lit = args[op.Param-1]
	}
	if op.Expr || lit == "" {
		return shard.Value{}, false
	}
	v, err := shard.ParseLiteral(lit)
	if err != nil || ambiguousNumber(v) {
		return shard.Value{}, false
	}
	return v, true
}

// ambiguousNumber: a quoted string that MySQL would compare with a numeric
// column as a number other than its own text ('05', '5.0', ' 7'). Routing it
// by its text could pick another shard than the number's, so such values
// are not routed by (the statement scatters, where every shard filters).
func ambiguousNumber(v shard.Value) bool {
	s, ok := v.Str()
	if !ok {
		return false
	}
	if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
		return false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return err != nil || strconv.FormatInt(n, 10) != s
}

// targets computes where rows matching filter can live.
func (s *Sharding) targets(ctx context.Context, t *shard.Table, filter sqlparse.KeyFilter, args []string) ([]target, string, error) {
	key := t.Method.Key()
	if filter.Null {
		return nil, key + " IS NULL: no shard holds NULL keys", nil
	}
	if filter.In != nil {
		out, ok, err := s.inTargets(ctx, t, filter.In, args)
		if err != nil {
			return nil, "", err
		}
		if ok {
			return out, fmt.Sprintf("%s = / IN (%d values): the owning shards", key, len(filter.In)), nil
		}
	}
	if filter.Lo != nil || filter.Hi != nil {
		lo, okLo := bound(filter.Lo, args)
		hi, okHi := bound(filter.Hi, args)
		if okLo && okHi {
			out, err := rangeTargets(t, lo, hi)
			if err == nil {
				return out, "range on " + key + ": the overlapping shards", nil
			}
		}
	}
	return s.allTargets(t), "no usable condition on " + key + ": scatter to every shard", nil
}

func bound(b *sqlparse.RangeBound, args []string) (shard.Bound, bool) {
	if b == nil {
		return shard.Bound{}, true
	}
	v, ok := value(b.Value, args)
	if !ok {
		return shard.Bound{}, false
	}
	if b.Inclusive {
		return shard.Incl(v), true
	}
	return shard.Excl(v), true
}

// inTargets groups IN values by the shard (and period table) that owns
// them. ok is false when a value cannot be routed (an expression, a value
// of the wrong type): the caller then scatters.
func (s *Sharding) inTargets(ctx context.Context, t *shard.Table, in []sqlparse.Operand, args []string) ([]target, bool, error) {
	byKey := map[string]int{}
	var out []target
	for _, op := range in {
		v, ok := value(op, args)
		if !ok {
			return nil, false, nil
		}
		sh, err := t.Method.ShardForContext(ctx, v)
		switch {
		case errors.Is(err, shard.ErrNullKey), errors.Is(err, shard.ErrNotFound):
			continue // matches no row
		case errors.Is(err, shard.ErrKeyType):
			return nil, false, nil
		case err != nil:
			return nil, false, fmt.Errorf("routing %s by %s: %w", t.Name, t.Method.Key(), err)
		}
		table := ""
		if p, isDate := t.Method.(shard.Periodic); isDate {
			table = p.PeriodTable(v)
		}
		k := sh + "\x00" + table
		i, seen := byKey[k]
		if !seen {
			i = len(out)
			byKey[k] = i
			out = append(out, target{shard: sh, table: table})
		}
		out[i].in = append(out[i].in, op)
	}
	return out, true, nil
}

// rangeTargets lists the shards (and period tables) a key range overlaps,
// in ascending key order.
func rangeTargets(t *shard.Table, lo, hi shard.Bound) ([]target, error) {
	if d, ok := t.Method.(*shard.Date); ok {
		var out []target
		for _, dt := range d.DateTables(lo, hi) {
			out = append(out, target{shard: dt.Shard, table: dt.Table})
		}
		slices.Reverse(out) // DateTables lists newest first
		return out, nil
	}
	shards, err := t.Method.ShardsForRange(lo, hi)
	if err != nil {
		return nil, err
	}
	out := make([]target, len(shards))
	for i, sh := range shards {
		out[i] = target{shard: sh}
	}
	return out, nil
}

// allTargets is every shard (and every period table) of t, in key order.
func (s *Sharding) allTargets(t *shard.Table) []target {
	out, err := rangeTargets(t, shard.Bound{}, shard.Bound{})
	if err != nil || len(out) == 0 {
		for _, sh := range t.Method.Shards() {
			out = append(out, target{shard: sh})
		}
	}
	return out
}

// emptyTarget is one place to run a query that matches no rows.
func (s *Sharding) emptyTarget(t *shard.Table) []target {
	all := s.allTargets(t)
	return all[len(all)-1:]
}

// rewrite is the Rewrite of one target.
func rewrite(st *sqlparse.ShardStmt, lead int, t *shard.Table, tg target, args []string, splitIn bool) sqlparse.Rewrite {
	rw := sqlparse.Rewrite{Args: args}
	if tg.table != "" {
		rw.Tables = map[sqlparse.TableRef]string{st.Uses[lead].Ref: tg.table}
	}
	if splitIn && tg.in != nil && st.Uses[lead].Filter.InIndex >= 0 {
		rw.In = map[int][]sqlparse.Operand{st.Uses[lead].Filter.InIndex: tg.in}
	}
	return rw
}

func (s *Sharding) planSelect(st *sqlparse.ShardStmt, lead int, t *shard.Table, targets []target, reason string, args []string) (*ShardPlan, error) {
	if len(targets) == 1 {
		sql, err := st.Render(rewrite(st, lead, t, targets[0], args, true))
		if err != nil {
			return nil, err
		}
		route := ShardRoute{Cluster: targets[0].shard, SQL: sql, Tables: tableList(t, targets[0])}
		if route.Template, err = template(st, lead, t, targets[0], args); err != nil {
			return nil, err
		}
		return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{route}, Reason: reason + "; one shard: relayed"}, nil
	}
	if st.Select == nil {
		return nil, refuse("Strata cannot merge this SELECT on %s from several shards; add a condition on %s", t.Name, t.Method.Key())
	}
	p := &ShardPlan{Kind: PlanMerge, Select: st.Select, Reason: reason}
	if walkable(st.Select, t) {
		p.Walk = true
		targets = s.inKeyOrder(t, targets)
		if st.Select.OrderBy[0].Desc {
			slices.Reverse(targets)
		}
		p.Reason += "; ordered walk: reads shards in " + t.Method.Key() + " order and stops at the LIMIT"
	}
	for _, tg := range targets {
		rw := rewrite(st, lead, t, tg, args, true)
		rw.Scatter = true
		sql, err := st.Render(rw)
		if err != nil {
			return nil, err
		}
		p.Routes = append(p.Routes, ShardRoute{Cluster: tg.shard, SQL: sql, Tables: tableList(t, tg)})
	}
	return p, nil
}

// inKeyOrder sorts targets (which an IN list gives in its own order) in
// the key order of the table's shards and period tables.
func (s *Sharding) inKeyOrder(t *shard.Table, targets []target) []target {
	pos := map[string]int{}
	for i, tg := range s.allTargets(t) {
		pos[tg.shard+"\x00"+tg.table] = i
	}
	out := slices.Clone(targets)
	slices.SortStableFunc(out, func(a, b target) int {
		return pos[a.shard+"\x00"+a.table] - pos[b.shard+"\x00"+b.table]
	})
	return out
}

// templateIf is sql as the template of a prepared statement's route (args
// non-nil), else "".
func templateIf(args []string, sql string) string {
	if args == nil {
		return ""
	}
	return sql
}

// template renders a prepared statement's single route with its
// placeholders kept: the period table renamed, the IN list whole (each ?
// stays where the client's EXECUTE binds it).
func template(st *sqlparse.ShardStmt, lead int, t *shard.Table, tg target, args []string) (string, error) {
	if args == nil {
		return "", nil
	}
	return st.Render(rewrite(st, lead, t, tg, nil, false))
}

// walkable: ORDER BY starts with the shard key of an ordered method, with
// a LIMIT, without grouping: each shard's (or period table's) rows are a
// contiguous key range, so reading them in key order yields sorted rows
// and the walk can stop at the limit.
func walkable(sel *sqlparse.ScatterSelect, t *shard.Table) bool {
	if sel.Aggregated || sel.Distinct || sel.Limit < 0 && sel.LimitParam == 0 || len(sel.OrderBy) == 0 || !t.Method.Ordered() {
		return false
	}
	return strings.EqualFold(sel.OrderBy[0].Column, t.Method.Key())
}

func tableList(t *shard.Table, tg target) []string {
	if tg.table != "" {
		return []string{tg.table}
	}
	return []string{t.Name}
}

func (s *Sharding) planModify(st *sqlparse.ShardStmt, lead int, t *shard.Table, targets []target, reason string, args []string) (*ShardPlan, error) {
	if st.SetsShardKey {
		return nil, refuse("this UPDATE changes %s, the shard key of %s; a row cannot move between shards: DELETE it and INSERT it again", t.Method.Key(), t.Name)
	}
	if st.HasLimit && len(targets) > 1 {
		return nil, refuse("%s with LIMIT on sharded table %s needs its shard key (%s): a LIMIT cannot be split across shards", strings.ToUpper(st.Kind.String()), t.Name, t.Method.Key())
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, Reason: reason}
	if len(targets) == 1 {
		p.Kind = PlanRelay
	}
	for _, tg := range targets {
		sql, err := st.Render(rewrite(st, lead, t, tg, args, true))
		if err != nil {
			return nil, err
		}
		p.Routes = append(p.Routes, ShardRoute{Cluster: tg.shard, SQL: sql, Tables: tableList(t, tg)})
	}
	if p.Kind == PlanRelay {
		var err error
		if p.Routes[0].Template, err = template(st, lead, t, targets[0], args); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// planBroadcast runs statements other than DML (DDL, SHOW, ...) on a
// sharded table: DDL on every shard, the rest on the first.
func planBroadcast(l *shard.Layout, st *sqlparse.ShardStmt, sql string, f *sqlparse.Facts) (*ShardPlan, error) {
	t := l.Table(st.Uses[0].Ref.Name)
	if f.Kind != sqlparse.KindDDL {
		return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{{Cluster: t.Method.Shards()[0], SQL: sql}}, Write: !f.ReadOnly,
			Reason: "statement about sharded table " + t.Name + ": answered by its first shard"}, nil
	}
	if _, ok := t.Method.(shard.Periodic); ok {
		return nil, refuse("table %s keeps one table per period; change its base table on every shard and run `strata shards precreate`, Strata does not rewrite DDL into each period table", t.Name)
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, Reason: "DDL on sharded table " + t.Name + ": runs on every shard"}
	for _, sh := range t.Method.Shards() {
		p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: sql, Tables: []string{t.Name}})
	}
	return p, nil
}

// planInsert routes each row of INSERT ... VALUES by its shard key,
// filling sequence ids first.
func (s *Sharding) planInsert(ctx context.Context, l *shard.Layout, st *sqlparse.ShardStmt, lead int, args []string) (*ShardPlan, error) {
	ins := st.Insert
	t := l.Table(st.Uses[lead].Ref.Name)
	if ins == nil {
		return nil, refuse("Strata routes INSERT into sharded table %s only from a VALUES list", t.Name)
	}
	if ins.OnDuplicateSetsKey {
		return nil, refuse("ON DUPLICATE KEY UPDATE changes %s, the shard key of %s; a row cannot move between shards", t.Method.Key(), t.Name)
	}
	key := strings.ToLower(t.Method.Key())
	var addCol string
	var ids []int64
	if seq := t.Sequence; seq != nil && !slices.Contains(ins.Columns, strings.ToLower(seq.Column)) {
		if s.NextID == nil {
			return nil, refuse("sequence %s of table %s is not available", seq.Name, t.Name)
		}
		addCol = seq.Column
		for range ins.Rows {
			id, err := s.NextID(ctx, seq.Name)
			if err != nil {
				return nil, fmt.Errorf("taking an id from sequence %s for %s: %w", seq.Name, t.Name, err)
			}
			ids = append(ids, id)
		}
	}
	keyOf := func(row int) (shard.Value, bool) {
		if ins.KeyCol >= 0 {
			return value(ins.Rows[row][ins.KeyCol], args)
		}
		if addCol != "" && strings.EqualFold(addCol, key) {
			return shard.Int(ids[row]), true
		}
		return shard.Value{}, false
	}
	type group struct {
		tg   target
		rows []int
	}
	var groups []*group
	byKey := map[string]*group{}
	for i := range ins.Rows {
		v, ok := keyOf(i)
		if !ok {
			return nil, refuse("INSERT into sharded table %s must give %s (its shard key) as a constant in every row", t.Name, key)
		}
		sh, err := t.Method.ShardForContext(ctx, v)
		if errors.Is(err, shard.ErrNotFound) && s.Assign != nil {
			sh, err = s.Assign(ctx, t, v)
		}
		if err != nil {
			return nil, refuse("row %d of the INSERT into %s: %v", i+1, t.Name, err)
		}
		table := ""
		if p, ok := t.Method.(shard.Periodic); ok {
			table = p.PeriodTable(v)
		}
		k := sh + "\x00" + table
		g := byKey[k]
		if g == nil {
			g = &group{tg: target{shard: sh, table: table}}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, i)
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, Reason: fmt.Sprintf("INSERT of %d rows routed by %s", len(ins.Rows), key)}
	if len(ids) > 0 {
		p.InsertID = ids[0]
		p.Reason += fmt.Sprintf("; %s filled from sequence %s", addCol, t.Sequence.Name)
	} else if len(groups) == 1 {
		p.Kind = PlanRelay
		tmpl, err := template(st, lead, t, groups[0].tg, args)
		if err != nil {
			return nil, err
		}
		defer func() {
			if len(p.Routes) == 1 {
				p.Routes[0].Template = tmpl
			}
		}()
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].rows[0] < groups[j].rows[0] })
	for _, g := range groups {
		rw := rewrite(st, lead, t, g.tg, args, false)
		rw.Rows = g.rows
		if addCol != "" {
			rw.AddColumn = addCol
			for _, r := range g.rows {
				rw.AddValues = append(rw.AddValues, fmt.Sprint(ids[r]))
			}
		}
		sql, err := st.Render(rw)
		if err != nil {
			return nil, err
		}
		p.Routes = append(p.Routes, ShardRoute{Cluster: g.tg.shard, SQL: sql, Tables: tableList(t, g.tg)})
	}
	return p, nil
}

// MetadataCluster is a cluster that holds every placed table of f, for
// preparing a statement there to learn its parameters and columns.
func (s *Sharding) MetadataCluster(f *sqlparse.Facts) string {
	l := s.layout.Load()
	for _, ref := range f.Tables {
		t := l.Table(ref.Name)
		switch {
		case t == nil:
		case t.Placement == shard.PlaceSharded:
			return t.Method.Shards()[0]
		case t.Placement == shard.PlaceReference:
			return l.ShardClusters()[0]
		default:
			return t.Cluster
		}
	}
	return ""
}
