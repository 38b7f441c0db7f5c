package session

import (
	"bytes"
	"context"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// answerDropTrigger runs DROP TRIGGER on every cluster whose tables have a
// trigger of that name: CREATE TRIGGER on a sharded or reference table
// made one on each copy (planner.planCreateTrigger), and the statement
// names no table to route it by. ok is false when no cluster but the
// default one has it; the default cluster then answers, its error for a
// trigger nobody has included.
func (s *Session) answerDropTrigger(ctx context.Context, sql string, f *sqlparse.Facts) (ok bool, err error) {
	if s.env.Sharding == nil || s.env.Sharding.Layout().Empty() {
		return false, nil
	}
	schema, name, _, parsed := s.readingMode().ParseDropTrigger(sql)
	if !parsed {
		return false, nil
	}
	have, table, err := s.triggerClusters(ctx, schema, name)
	if err != nil || len(have) == 0 {
		return err != nil, s.refuseIf(err)
	}
	plan := &planner.ShardPlan{Kind: planner.PlanWrite, Write: true, SchemaChange: true, Reason: "DROP TRIGGER of table " + table + ": on every cluster that has it"}
	for _, c := range have {
		plan.Routes = append(plan.Routes, planner.ShardRoute{Cluster: c, SQL: sql, Tables: []string{table}})
	}
	return true, s.execPlan(ctx, f, plan, false)
}

// answerShowCreateTrigger answers SHOW CREATE TRIGGER (how mariadb-dump
// reads each trigger of the tables it dumps) from a cluster whose tables
// have the trigger, as its copies are alike; ok is false when only the
// default cluster may have it.
func (s *Session) answerShowCreateTrigger(ctx context.Context, sql string, f *sqlparse.Facts) (ok bool, err error) {
	if s.env.Sharding == nil || s.env.Sharding.Layout().Empty() {
		return false, nil
	}
	schema, name, parsed := s.readingMode().ParseShowCreateTrigger(sql)
	if !parsed {
		return false, nil
	}
	have, _, err := s.triggerClusters(ctx, schema, name)
	if err != nil || len(have) == 0 {
		return err != nil, s.refuseIf(err)
	}
	packet := append([]byte{wire.ComQuery}, sql...)
	return true, s.run(ctx, command{facts: f, stmts: []*sqlparse.Facts{f}, cluster: have[0]}, func(c *backend.Conn, capture *backend.Capture) (backend.Result, error) {
		if err := c.Command(packet); err != nil {
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		return c.RelayCapture(s.client, false, capture)
	})
}

// refuseIf answers err, when there is one, as a refusal.
func (s *Session) refuseIf(err error) error {
	if err == nil {
		return nil
	}
	return s.refuseRouting(err)
}

// triggerClusters lists the clusters other than the default one whose
// tables have trigger schema.name (the session's schema when none is
// named), and the table it is on.
func (s *Session) triggerClusters(ctx context.Context, schema, name string) (have []string, table string, err error) {
	if schema == "" {
		schema = strings.ToLower(s.DB)
	}
	if schema == "" {
		return nil, "", nil
	}
	clusters := placedClusters(s.env.Sharding.Layout())
	routes := make([]planner.ShardRoute, len(clusters))
	lookup := "SELECT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " + quoteLiteral([]byte(schema)) + " AND TRIGGER_NAME = " + quoteLiteral([]byte(name))
	for i, c := range clusters {
		routes[i] = planner.ShardRoute{Cluster: c, SQL: lookup}
	}
	err = s.readEachCluster(ctx, routes, func(cluster string, rows []engine.Row) {
		if len(rows) > 0 {
			have, table = append(have, cluster), string(rows[0][0])
		}
	})
	return have, table, err
}

// placedClusters lists the clusters that hold placed tables, other than
// the default one, in a stable order.
func placedClusters(layout *shard.Layout) []string {
	var out []string
	add := func(c string) {
		if c != "" && c != layout.DefaultCluster() && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, t := range layout.Tables() {
		switch t.Placement {
		case shard.PlaceSharded:
			for _, c := range t.Method.Shards() {
				add(c)
			}
		case shard.PlaceReference:
			for _, c := range layout.ShardClusters() {
				add(c)
			}
		default:
			add(t.Cluster)
		}
	}
	return out
}

// answerShowTriggers answers SHOW TRIGGERS [FROM db] [LIKE 'p' | WHERE
// cond] that names no one table as one server holding every table would:
// the default cluster's triggers and, besides them, those of the tables
// `tables:` places on other clusters, each once (a sharded table's copies
// have the same triggers), in the server's order (by table name, each
// table's as its server lists them). ok is false when there is nothing to
// add (no placed tables, a system schema).
func (s *Session) answerShowTriggers(ctx context.Context, f *sqlparse.Facts) (ok bool, err error) {
	st := f.ShowTriggers
	db, ok := s.listedSchema(st)
	if !ok {
		return false, nil
	}
	layout := s.env.Sharding.Layout()
	clusters := placedClusters(layout)
	if len(clusters) == 0 {
		return false, nil
	}
	every := "SHOW TRIGGERS FROM " + sqlparse.QuoteIdentifier(db)
	return true, s.answerFromDefault(ctx, f, every, func(c *backend.Conn, cols []engine.Column, listed []engine.Row) ([]engine.Row, error) {
		routes := make([]planner.ShardRoute, len(clusters))
		for i, cl := range clusters {
			routes[i] = planner.ShardRoute{Cluster: cl, SQL: every}
		}
		var placed []engine.Row
		err := s.readEachCluster(ctx, routes, func(_ string, rows []engine.Row) { placed = append(placed, rows...) })
		if err != nil {
			return nil, err
		}
		out := withPlacedTriggers(listed, placed, layout)
		if st.Like {
			out = slices.DeleteFunc(out, func(r engine.Row) bool {
				return !sqlparse.LikeMatches(st.Pattern, string(r[triggerTableColumn]))
			})
		}
		if st.Where == "" {
			return out, nil
		}
		return filterShownRows(ctx, c, cols, out, st.Where)
	})
}

// triggerTableColumn is SHOW TRIGGERS' Table column.
const triggerTableColumn = 2

// withPlacedTriggers adds to the default cluster's SHOW TRIGGERS rows the
// rows other clusters list for placed tables, each trigger once, and
// orders them as a server does: by table name (bytes: the server sorts
// its table files' names), each table's triggers in its server's order.
func withPlacedTriggers(listed, others []engine.Row, layout *shard.Layout) []engine.Row {
	key := func(r engine.Row) string { return string(r[triggerTableColumn]) + "\x00" + string(r[0]) }
	have := map[string]bool{}
	for _, r := range listed {
		have[key(r)] = true
	}
	for _, r := range others {
		if len(r) <= triggerTableColumn || have[key(r)] || layout.Table(string(r[triggerTableColumn])) == nil {
			continue
		}
		have[key(r)] = true
		listed = append(listed, r)
	}
	slices.SortStableFunc(listed, func(a, b engine.Row) int { return bytes.Compare(a[triggerTableColumn], b[triggerTableColumn]) })
	return listed
}
