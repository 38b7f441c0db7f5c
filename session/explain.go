package session

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// explainStrata recognizes EXPLAIN STRATA <statement> and returns the
// statement.
func explainStrata(sql string) (string, bool) {
	// Every query passes here: reject all but EXPLAIN ... before any
	// allocation.
	head := strings.TrimLeft(sql, " \t\r\n")
	if len(head) < len("explain strata x") || !strings.EqualFold(head[:len("explain")], "explain") {
		return "", false
	}
	words := strings.Fields(sql)
	if len(words) < 3 || !strings.EqualFold(words[0], "explain") || !strings.EqualFold(words[1], "strata") {
		return "", false
	}
	rest := strings.TrimSpace(sql)
	for _, w := range words[:2] {
		rest = strings.TrimSpace(rest[len(w):])
	}
	return strings.TrimRight(rest, "; \t\r\n"), true
}

// ExplainRow is one line of EXPLAIN STRATA: a step of the plan.
type ExplainRow struct {
	Step    string `json:"step"`
	Cluster string `json:"cluster"`
	Tables  string `json:"tables"`
	Detail  string `json:"detail"`
}

// ExplainPlan describes where sql would run now, as this session.
func (s *Session) ExplainPlan(ctx context.Context, sql string) ([]ExplainRow, error) {
	return s.explainPlan(ctx, sql, 0)
}

// explainPlan is ExplainPlan for a statement depth levels inside the parts
// Strata runs first. Like the run, it stops at maxPulloutDepth: a part
// that is refused again is not taken apart again (a table's read that
// the planner refuses would otherwise be explained as the same read
// without end).
func (s *Session) explainPlan(ctx context.Context, sql string, depth int) ([]ExplainRow, error) {
	parsed := s.parse(sql)
	if depth == 0 {
		if rule, text, re, rerr := s.rewritten(parsed, sql, true); rerr != nil {
			return []ExplainRow{{Step: "refuse", Tables: tableNames(parsed.Summary.Tables), Detail: rerr.Message}}, nil
		} else if rule >= 0 {
			rows, err := s.explainPlan(ctx, text, depth+1)
			return append([]ExplainRow{{Step: "rewrite", Tables: tableNames(parsed.Summary.Tables), Detail: fmt.Sprintf("routing.%d rewrites it to: %s", rule, re.SQL)}}, rows...), err
		}
	}
	f := parsed.Summary
	if rule, msg := s.refusal(statements(parsed), true); rule >= 0 {
		return []ExplainRow{{Step: "refuse", Tables: tableNames(f.Tables), Detail: errRefused(rule, msg).Message}}, nil
	}
	if rows, ok, err := s.explainOwnAnswer(ctx, sql, f); ok {
		return rows, err
	}
	if !s.placed(f) {
		d := s.decideFor(f, "", true)
		target := "primary"
		if !d.Primary {
			target = "pool " + d.Pool
		}
		name := d.ClusterName
		if d.Cluster != nil {
			name = d.Cluster.Name
		}
		rows := []ExplainRow{{Step: "route", Cluster: name, Tables: tableNames(f.Tables), Detail: target + ": " + decisionReason(d)}}
		if line := s.explainConsistency(d); line != "" {
			rows = append(rows, ExplainRow{Step: "consistency", Cluster: name, Tables: tableNames(f.Tables), Detail: line})
		}
		if line := s.explainCache(d, f); line != "" {
			rows = append(rows, ExplainRow{Step: "cache", Cluster: name, Tables: tableNames(f.Tables), Detail: line})
		}
		if form := s.textPrepared(parsed, sql); form != nil {
			rows = append(rows, ExplainRow{Step: "prepare", Cluster: name, Tables: tableNames(f.Tables),
				Detail: "runs on the server as the prepared statement " + form.SQL + ", each ? bound to the text's value (backend.prepare_text_reads)"})
		}
		return rows, nil
	}
	if f.Masked {
		return []ExplainRow{{Step: "refuse", Tables: tableNames(f.Tables), Detail: s.errMaskedPlaced().Message}}, nil
	}
	plan, err := s.env.Sharding.Plan(ctx, s.readingMode(), sql, f, nil)
	if err != nil {
		if depth >= maxPulloutDepth {
			return nil, err
		}
		if rows, ok := s.explainPullout(ctx, sql, depth); ok {
			return rows, nil
		}
		if rows, ok := s.explainMaterialize(ctx, sql, depth); ok {
			return rows, nil
		}
		if rows, ok := s.explainWriteApart(ctx, sql, depth); ok {
			return rows, nil
		}
		return nil, err
	}
	if s.mayBoundByClock(f, plan) && depth < maxPulloutDepth {
		// As Session.queryPlaced: the key's clock bounds evaluated (a
		// SELECT of them; nothing of the statement runs).
		if text, ok, kerr := s.withKeyBoundValues(ctx, sql); kerr == nil && ok {
			rows, err := s.explainPlan(ctx, text, depth+1)
			return append([]ExplainRow{{Step: "strata", Tables: tableNames(f.Tables), Detail: "the shard key's clock bounds evaluated first: " + text}}, rows...), err
		}
	}
	rows := describePlan(plan)
	if line := s.explainLocation(f, plan); line != "" {
		rows = append(rows, ExplainRow{Step: "strata", Detail: line})
	}
	if plan.Move != nil && !s.twoPhase() {
		rows = append(rows, ExplainRow{Step: "strata", Detail: "transactions.mode is not twopc: refused, nothing changed, if a matched row is on another shard than " + plan.Move.Dest})
	}
	return rows, nil
}

// explainPullout describes a SELECT whose subqueries over shards run first
// (sqlparse.Pullout): each subquery's plan, then the statement with their
// values in place. Nothing runs.
func (s *Session) explainPullout(ctx context.Context, sql string, depth int) ([]ExplainRow, bool) {
	rows, outer, ok := s.explainPulloutOf(ctx, sql, depth)
	if !ok {
		return nil, false
	}
	return append(rows, ExplainRow{Step: "strata", Detail: "runs the subqueries first, then: " + outer}), true
}

// explainPulloutOf is explainPullout's rows for the subqueries, and the
// statement as it runs after them (their values marked).
func (s *Session) explainPulloutOf(ctx context.Context, sql string, depth int) ([]ExplainRow, string, bool) {
	po, err := s.readingMode().PullOut(sql)
	if err != nil {
		return nil, "", false
	}
	po.Columns = s.env.Sharding.TableColumns
	// As Session.pullOutArgs: the parts over placed tables, or when there
	// are none those over tables of the default cluster.
	facts := make([]*sqlparse.Facts, len(po.Subqueries))
	anyPlaced := false
	for i, sub := range po.Subqueries {
		if po.Kinds[i] == sqlparse.PullRecursive {
			sub = po.Recursive(i).Alone // the tables of its anchor and its step
		}
		facts[i] = s.parse(sub).Summary
		anyPlaced = anyPlaced || s.placed(facts[i])
	}
	var rows []ExplainRow
	marks := make([][]string, len(po.Subqueries))
	pulled := 0
	for i, sub := range po.Subqueries {
		if !s.placed(facts[i]) && (anyPlaced || len(facts[i].Tables) == 0) {
			po.Keep(i) // it stays as written
			continue
		}
		pulled++
		if s.readingMode().NamesOuterTable(sub) {
			// Correlated: it cannot run first, but its own subqueries
			// may (Session.pullInner); else the tables are read first.
			innerRows, inner, ok := s.explainPulloutOf(ctx, sub, depth+1)
			if !ok || po.Rewrite(i, inner) != nil {
				return nil, "", false
			}
			for _, r := range innerRows {
				r.Step = fmt.Sprintf("subquery %d: %s", i+1, r.Step)
				rows = append(rows, r)
			}
			continue
		}
		if k := po.Kinds[i]; k == sqlparse.PullTable || k == sqlparse.PullRows || k == sqlparse.PullInsert || k == sqlparse.PullRecursive {
			po.SetTable(i, sqlparse.PulledTable{Text: fmt.Sprintf("SELECT /* rows of subquery %d */", i+1)})
		}
		subRows, err := s.explainPlan(ctx, sub, depth+1)
		if err != nil {
			return nil, "", false
		}
		for _, r := range subRows {
			r.Step = fmt.Sprintf("subquery %d: %s", i+1, r.Step)
			rows = append(rows, r)
		}
		if po.Kinds[i] == sqlparse.PullRecursive {
			rows = append(rows, explainRounds(po.Recursive(i), i))
		}
		marks[i] = []string{fmt.Sprintf("/* values of subquery %d */", i+1)}
	}
	if pulled == 0 {
		return nil, "", false
	}
	outer, err := po.Render(marks)
	if err != nil {
		return nil, "", false
	}
	return rows, outer, true
}

// explainRounds describes the rounds of recursive CTE i, whose anchor's
// plan comes before.
func explainRounds(r *sqlparse.RecursiveCTE, i int) ExplainRow {
	step, err := r.Step(sqlparse.PulledTable{Text: "SELECT /* the rows the round before added */"})
	if err != nil {
		step = err.Error()
	}
	union := "UNION ALL: every row kept"
	if r.Distinct {
		union = "UNION: rows found before dropped"
	}
	return ExplainRow{Step: fmt.Sprintf("subquery %d: rounds", i+1),
		Detail: fmt.Sprintf("recursive CTE %s: subquery %d is its anchor; then, until a round adds no row (%s, at most @@max_recursive_iterations rounds): %s", r.Name, i+1, union, step)}
}

// explainMaterialize describes a join of tables that live apart
// (sqlparse.Materialization): each table's read, then the statement over
// their rows. Nothing runs, so the join keys show as markers.
func (s *Session) explainMaterialize(ctx context.Context, sql string, depth int) ([]ExplainRow, bool) {
	mat, err := s.readingMode().Materialize(sql, nil)
	if err != nil {
		return nil, false
	}
	mat.Columns = s.env.Sharding.TableColumns
	rows, tables, ok := s.explainFirstReads(ctx, firstReads{tables: mat.Tables, order: mat.Order(), query: mat.Query}, depth)
	if !ok {
		return nil, false
	}
	outer, err := mat.Render(tables)
	if err != nil {
		return nil, false
	}
	return append(rows, ExplainRow{Step: "strata", Detail: "reads each table's rows first, then: " + outer}), true
}

// explainWriteApart describes an UPDATE or DELETE that reads tables living
// apart from those it writes (sqlparse.WriteApart): each such table's
// read, then the write over their rows. Nothing runs.
func (s *Session) explainWriteApart(ctx context.Context, sql string, depth int) ([]ExplainRow, bool) {
	w, err := s.planWriteApart(sql, nil)
	if err != nil {
		return nil, false
	}
	rows, tables, ok := s.explainFirstReads(ctx, firstReads{tables: w.Tables, order: w.Reads, query: w.Query}, depth)
	if !ok {
		return nil, false
	}
	outer, err := w.Render(tables)
	if err != nil {
		return nil, false
	}
	return append(rows, ExplainRow{Step: "strata", Detail: "reads the tables this write only reads first, then: " + outer}), true
}

// explainFirstReads describes the reads of r (numbered in their order)
// and returns the markers that stand for their rows in the statement.
func (s *Session) explainFirstReads(ctx context.Context, r firstReads, depth int) ([]ExplainRow, []sqlparse.PulledTable, bool) {
	var rows []ExplainRow
	tables := make([]sqlparse.PulledTable, len(r.order))
	for k, i := range r.order {
		t := r.tables[i]
		keys := make([][]string, len(t.Keys))
		for n, key := range t.Keys {
			before := slices.Index(r.order[:k], key.Other)
			if before < 0 {
				continue // a table not read: no narrowing
			}
			keys[n] = []string{"NULL"} // the values read, at run time
			rows = append(rows, ExplainRow{Step: fmt.Sprintf("table %d: keys", k+1), Tables: t.Name,
				Detail: fmt.Sprintf("%s.%s IN (the %s values of table %d)", t.Alias, key.Column, key.OtherColumn, before+1)})
		}
		subRows, err := s.explainPlan(ctx, s.inScanOrder(t, r.query(i, keys)), depth+1)
		if err != nil {
			return nil, nil, false
		}
		for _, row := range subRows {
			row.Step = fmt.Sprintf("table %d: %s", k+1, row.Step)
			rows = append(rows, row)
		}
		tables[k] = sqlparse.PulledTable{Text: fmt.Sprintf("SELECT /* rows of table %d */", k+1)}
	}
	return rows, tables, true
}

// explainConsistency says what a replica read of d must wait for under
// its cluster's consistency ("" when nothing: eventual, the primary, or
// no write to wait for).
func (s *Session) explainConsistency(d planner.Decision) string {
	cl := d.Cluster
	if d.Primary || cl == nil || cl.Primary == nil {
		return ""
	}
	wait := s.readYourWritesWaitOf(cl)
	switch cl.Consistency {
	case "session":
		m, wrote := s.writes[cl.Name]
		switch {
		case !wrote:
			return ""
		case m.unknown:
			return "consistency session: on the primary, as the position of this session's last write there is unknown"
		}
		return fmt.Sprintf("consistency session: on a replica once it has applied this session's last write there (%s), waiting up to %s, else on the primary", m.gtid, wait)
	case "global":
		if s.env.Marks == nil {
			return ""
		}
		if pos := s.env.Marks.Written(cl.Primary.Addr); pos != "" {
			return fmt.Sprintf("consistency global: on a replica once it has applied every write Strata acknowledged there (%s), waiting up to %s, else on the primary", pos, wait)
		}
		return "consistency global: on a replica once it has applied every write Strata acknowledged there (the primary's position is read first)"
	}
	return ""
}

// explainCache says, for a read a cache: rule keeps, which writes drop
// its answer besides those to its own tables ("" when the rule caches
// nothing or the sources are not read yet).
func (s *Session) explainCache(d planner.Decision, f *sqlparse.Facts) string {
	if d.Cache <= 0 || s.env.Cache == nil || !s.cacheable(f) {
		return ""
	}
	sources := s.env.Cache.Sources()
	var also []string
	known := true
	for _, t := range s.qualify(f.Tables) {
		srcs, ok := sources[t]
		known = known && ok
		also = append(also, srcs...)
	}
	switch {
	case !known:
		return "the answer is kept " + d.Cache.String() + "; which other tables' writes drop it is read from information_schema at its first run"
	case len(also) == 0:
		return "the answer is kept " + d.Cache.String() + ", dropped by writes to its tables"
	}
	slices.Sort(also)
	return "the answer is kept " + d.Cache.String() + ", dropped by writes to its tables and to " + strings.Join(slices.Compact(also), ", ")
}

// decisionReason says why d was taken; for a routing rule, which one and
// what it adds (cache, timeout), so EXPLAIN matches the rule an operator
// sees in GET /api/rules.
func decisionReason(d planner.Decision) string {
	if d.Rule < 0 {
		return d.Reason
	}
	r := fmt.Sprintf("%s routing.%d", d.Reason, d.Rule)
	if d.Cache > 0 {
		r += ", cache " + d.Cache.String()
	}
	if d.Timeout > 0 {
		r += ", timeout " + d.Timeout.String()
	}
	if d.Gate != nil {
		r += fmt.Sprintf(", max_running %d", d.Gate.Max())
	}
	return r
}

func describePlan(plan *planner.ShardPlan) []ExplainRow {
	var rows []ExplainRow
	step := "route"
	switch plan.Kind {
	case planner.PlanMerge:
		step = "scatter"
		if plan.Walk {
			step = "walk"
		}
	case planner.PlanWrite:
		step = "write"
	case planner.PlanLoad:
		step = "load"
	}
	for _, r := range plan.Routes {
		rows = append(rows, ExplainRow{Step: step, Cluster: r.Cluster, Tables: strings.Join(r.Tables, ","), Detail: r.SQL})
	}
	for _, m := range planner.MergeSteps(plan) {
		rows = append(rows, ExplainRow{Step: "strata", Detail: m})
	}
	rows = append(rows, ExplainRow{Step: "reason", Detail: plan.Reason})
	return rows
}

func tableNames[T interface{ String() string }](ts []T) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, t.String())
	}
	return strings.Join(parts, ",")
}

// explainStrata answers EXPLAIN STRATA with the plan's steps as rows.
func (s *Session) explainStrata(ctx context.Context, sql string) error {
	rows, err := s.ExplainPlan(ctx, sql)
	if err != nil {
		return s.refuseRouting(err)
	}
	names := []string{"step", "cluster", "tables", "detail"}
	var cols []engine.Column
	var packets [][]byte
	for _, n := range names {
		cols = append(cols, engine.Column{Name: n, Type: engine.TypeVarString, Charset: 45})
		packets = append(packets, wire.AppendTextColumn(nil, n))
	}
	var out []engine.Row
	for _, r := range rows {
		out = append(out, engine.Row{[]byte(r.Step), []byte(r.Cluster), []byte(r.Tables), []byte(r.Detail)})
	}
	return s.sendRows(ctx, cols, packets, engine.NewSliceStream(out...), false)
}

// Explain plans sql as a fresh session of user in schema would, without
// running it (GET /api/explain).
func Explain(ctx context.Context, env *Env, sql, user, schema string) ([]ExplainRow, error) {
	s := &Session{env: env, User: user, DB: schema, autocommit: true, holds: map[string]bool{}}
	if stmt, ok := explainStrata(sql); ok {
		sql = stmt
	}
	return s.ExplainPlan(ctx, sql)
}
