package session

import (
	"context"

	"github.com/strata-proxy/strata/sqlparse"
)

// explainOwnAnswer describes, for EXPLAIN STRATA, the statements Strata
// answers in its own way before the planner sees them: table maintenance
// on every copy, DROP and SHOW CREATE TRIGGER where the trigger is, and
// information_schema listings with the placed tables in them. ok is false
// for any other statement.
func (s *Session) explainOwnAnswer(ctx context.Context, sql string, f *sqlparse.Facts) ([]ExplainRow, bool, error) {
	if s.env.Sharding == nil || s.env.Sharding.Layout().Empty() {
		return nil, false, nil
	}
	m := s.readingMode()
	if mt, ok := m.ParseMaintenance(sql); ok && f.Kind == sqlparse.KindAnalyze && s.namesPlaced(mt) {
		jobs, err := s.maintenanceJobs(ctx, mt)
		if err != nil || jobs == nil {
			return nil, jobs != nil || err != nil, err
		}
		var rows []ExplainRow
		step := "write"
		if mt.Op == "CHECKSUM" {
			step = "route"
		}
		for _, j := range jobs {
			rows = append(rows, ExplainRow{Step: step, Cluster: j.cluster, Tables: j.physical, Detail: mt.For(schemaOf(j.table), j.physical)})
		}
		if mt.Op == "CHECKSUM" {
			return append(rows,
				ExplainRow{Step: "strata", Detail: "answer per table: the sum of its parts' checksums modulo 2^32 (one server's checksum of all the rows); a reference table's copies must agree"},
				ExplainRow{Step: "reason", Detail: "CHECKSUM TABLE of placed tables: on every copy of each, on the primaries"}), true, nil
		}
		return append(rows,
			ExplainRow{Step: "strata", Detail: "answer per table: a row every copy gave once, a row only some copies gave once per copy, its text led by the copy"},
			ExplainRow{Step: "reason", Detail: mt.Op + " TABLE of placed tables: on every copy of each, on the primaries"}), true, nil
	}
	if schema, name, _, ok := m.ParseDropTrigger(sql); ok {
		return s.explainTrigger(ctx, schema, name, "write", "DROP TRIGGER: on every cluster whose tables have it", sql)
	}
	if schema, name, ok := m.ParseShowCreateTrigger(sql); ok {
		return s.explainTrigger(ctx, schema, name, "route", "SHOW CREATE TRIGGER: from a cluster whose tables have it", sql)
	}
	if f.ListsSchema {
		return []ExplainRow{
			{Step: "strata", Tables: tableNames(f.Tables), Detail: "read these views' rows on the default cluster, and each placed table's where it is (in TABLES a sharded table folded into one row), then run the statement over them on the default cluster"},
			{Step: "reason", Detail: "an information_schema listing that names no table: the placed tables belong in it"},
		}, true, nil
	}
	return nil, false, nil
}

// explainTrigger lists the clusters a trigger statement runs on; ok is
// false when only the default cluster may have the trigger.
func (s *Session) explainTrigger(ctx context.Context, schema, name, step, reason, sql string) ([]ExplainRow, bool, error) {
	have, table, err := s.triggerClusters(ctx, schema, name)
	if err != nil || len(have) == 0 {
		return nil, err != nil, err
	}
	if step == "route" {
		have = have[:1]
	}
	var rows []ExplainRow
	for _, c := range have {
		rows = append(rows, ExplainRow{Step: step, Cluster: c, Tables: table, Detail: sql})
	}
	return append(rows, ExplainRow{Step: "reason", Detail: reason}), true, nil
}
