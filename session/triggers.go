package session

import (
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
