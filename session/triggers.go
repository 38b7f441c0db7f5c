package session

import (
	"context"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
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
	if schema == "" {
		schema = strings.ToLower(s.DB)
	}
	if schema == "" {
		return false, nil
	}
	clusters := placedClusters(s.env.Sharding.Layout())
	routes := make([]planner.ShardRoute, len(clusters))
	lookup := "SELECT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " + quoteLiteral([]byte(schema)) + " AND TRIGGER_NAME = " + quoteLiteral([]byte(name))
	for i, c := range clusters {
		routes[i] = planner.ShardRoute{Cluster: c, SQL: lookup}
	}
	var have []string
	var table string
	err = s.readEachCluster(ctx, routes, func(cluster string, rows []engine.Row) {
		if len(rows) > 0 {
			have, table = append(have, cluster), string(rows[0][0])
		}
	})
	if err != nil {
		return true, s.refuseRouting(err)
	}
	if len(have) == 0 {
		return false, nil
	}
	plan := &planner.ShardPlan{Kind: planner.PlanWrite, Write: true, SchemaChange: true, Reason: "DROP TRIGGER of table " + table + ": on every cluster that has it"}
	for _, c := range have {
		plan.Routes = append(plan.Routes, planner.ShardRoute{Cluster: c, SQL: sql, Tables: []string{table}})
	}
	return true, s.execPlan(ctx, f, plan, false)
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
