package session

import (
	"context"
	"errors"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// maintenanceJob is one table copy a maintenance statement acts on.
type maintenanceJob struct {
	table    string // the table as the client named it (schema.table)
	cluster  string
	physical string // the copy: a shard's table, a period table
}

// answerMaintenance runs ANALYZE, OPTIMIZE, CHECK or REPAIR TABLE
// (sqlparse.Maintenance) that names a placed table on every copy of it:
// each shard's table, a date table's base and period tables, a reference
// table's copy on every cluster, on the primaries, where the statistics,
// the rebuilt table and the binary log entry belong. Tables no config
// places run on the default cluster. It answers as one server would: per
// table, the rows every copy gave once, named by the table, and a row
// only some copies gave with the copy it is about in front of its text.
// ok is false when the statement names no placed table.
func (s *Session) answerMaintenance(ctx context.Context, sql string) (ok bool, err error) {
	if s.env.Sharding == nil || s.env.Sharding.Layout().Empty() {
		return false, nil
	}
	mt, parsed := s.readingMode().ParseMaintenance(sql)
	if !parsed || !s.namesPlaced(mt) {
		return false, nil
	}
	if len(s.branches) > 0 {
		return true, s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: %s TABLE commits the open transaction, which writes several shards; end it with COMMIT or ROLLBACK first", mt.Op))
	}
	if s.inTx {
		if committed, err := s.commitImplicitly(ctx); !committed {
			return true, err
		}
	}
	jobs, err := s.maintenanceJobs(ctx, mt)
	if err != nil {
		return true, s.refuseRouting(err)
	}
	if jobs == nil {
		return false, nil // no database selected: the server says so
	}
	routes := make([]planner.ShardRoute, len(jobs))
	for i, j := range jobs {
		routes[i] = planner.ShardRoute{Cluster: j.cluster, SQL: mt.For(schemaOf(j.table), j.physical)}
	}
	conns, err := s.takeConns(ctx, routes, true, true)
	if err != nil {
		return true, s.refuseRouting(err)
	}
	done := s.running(conns)
	defer func() { done(); s.giveBack(conns) }()
	var cols []engine.Column
	var colPackets [][]byte
	answers := make([][]engine.Row, len(jobs))
	for i, sc := range conns {
		rows, got, err := s.readShard(ctx, sc, sc.route.SQL)
		var werr *wire.Error
		switch {
		case errors.As(err, &werr):
			return true, s.refuse(werr)
		case err != nil:
			return true, s.refuseRouting(err)
		}
		if cols == nil {
			cols, colPackets = rows.Columns(), rows.ColumnPackets()
		}
		answers[i] = got
	}
	out := foldMaintenance(jobs, answers)
	if err := s.sendRows(ctx, cols, colPackets, engine.NewSliceStream(out...), false); err != nil {
		return true, err
	}
	return true, nil
}

// namesPlaced reports whether a maintenance statement names a table the
// config places.
func (s *Session) namesPlaced(mt *sqlparse.Maintenance) bool {
	layout := s.env.Sharding.Layout()
	for _, ref := range mt.Tables {
		if !systemSchemas[ref.Schema] && layout.Table(ref.Name) != nil {
			return true
		}
	}
	return false
}

// maintenanceJobs lists the copies of each table mt names, in its order;
// nil when a table has no schema and none is selected.
func (s *Session) maintenanceJobs(ctx context.Context, mt *sqlparse.Maintenance) ([]maintenanceJob, error) {
	layout := s.env.Sharding.Layout()
	var jobs []maintenanceJob
	for i, ref := range mt.Tables {
		schema := mt.Written[i].Schema
		if schema == "" {
			schema = s.DB
		}
		if schema == "" {
			return nil, nil
		}
		name := schema + "." + ref.Name
		t := layout.Table(ref.Name)
		if systemSchemas[strings.ToLower(schema)] {
			t = nil
		}
		copies, err := s.tableCopies(ctx, layout, t)
		if err != nil {
			return nil, err
		}
		if copies == nil { // not placed: the default cluster's table, as written
			name = schema + "." + mt.Written[i].Name
			copies = []shard.DateTable{{Shard: s.env.Topology.Load().DefaultCluster, Table: mt.Written[i].Name}}
		}
		for _, c := range copies {
			jobs = append(jobs, maintenanceJob{table: name, cluster: c.Shard, physical: c.Table})
		}
	}
	return jobs, nil
}

// tableCopies lists where a placed table's copies are: every shard's
// table (for a date table its base table and every period table that
// exists), a reference table on every shard cluster, a table group's on
// its cluster; nil for a table no config places.
func (s *Session) tableCopies(ctx context.Context, layout *shard.Layout, t *shard.Table) ([]shard.DateTable, error) {
	if t == nil {
		return nil, nil
	}
	var out []shard.DateTable
	switch t.Placement {
	case shard.PlaceSharded:
		for _, sh := range t.Method.Shards() {
			out = append(out, shard.DateTable{Shard: sh, Table: t.Name})
		}
		d, ok := t.Method.(*shard.Date)
		if !ok {
			return out, nil
		}
		periods, err := s.existingPeriods(ctx, t, d)
		return append(out, periods...), err
	case shard.PlaceReference:
		for _, c := range layout.ShardClusters() {
			out = append(out, shard.DateTable{Shard: c, Table: t.Name})
		}
		return out, nil
	}
	return []shard.DateTable{{Shard: t.Cluster, Table: t.Name}}, nil
}

// existingPeriods lists the period tables of a date table that exist on
// each of its shards.
func (s *Session) existingPeriods(ctx context.Context, t *shard.Table, d *shard.Date) ([]shard.DateTable, error) {
	if s.env.Sharding.TablesOn == nil {
		return nil, &planner.RoutingError{Msg: "table " + t.Name + " keeps one table per period, and Strata cannot list them now"}
	}
	var names []string
	for _, dt := range d.DateTables(shard.Bound{Kind: shard.Unbounded}, shard.Bound{Kind: shard.Unbounded}) {
		names = append(names, dt.Table)
	}
	var out []shard.DateTable
	for _, sh := range t.Method.Shards() {
		existing, err := s.env.Sharding.TablesOn(ctx, sh, names)
		if err != nil {
			return nil, err
		}
		for _, name := range existing {
			out = append(out, shard.DateTable{Shard: sh, Table: name})
		}
	}
	return out, nil
}

// schemaOf is the schema of a schema.table name.
func schemaOf(qualified string) string {
	schema, _, _ := strings.Cut(qualified, ".")
	return schema
}

// foldMaintenance makes one answer of the copies' answers: per table, in
// the statement's order, each row (Op, Msg_type, Msg_text) every copy
// gave once, named by the table; a row only some copies gave once per
// copy, its text led by the copy (s1 (posts_2025_03): ...).
func foldMaintenance(jobs []maintenanceJob, answers [][]engine.Row) []engine.Row {
	var out []engine.Row
	for start := 0; start < len(jobs); {
		end := start + 1
		for end < len(jobs) && jobs[end].table == jobs[start].table {
			end++
		}
		out = append(out, foldTable(jobs[start:end], answers[start:end])...)
		start = end
	}
	return out
}

// foldTable folds the answers of one table's copies.
func foldTable(jobs []maintenanceJob, answers [][]engine.Row) []engine.Row {
	type seen struct {
		row    engine.Row
		copies []int
	}
	var order []string
	byKey := map[string]*seen{}
	for i, rows := range answers {
		for _, r := range rows {
			if len(r) < 4 {
				continue
			}
			key := string(r[1]) + "\x00" + string(r[2]) + "\x00" + string(r[3])
			if byKey[key] == nil {
				byKey[key] = &seen{row: r}
				order = append(order, key)
			}
			if c := byKey[key].copies; len(c) == 0 || c[len(c)-1] != i {
				byKey[key].copies = append(c, i)
			}
		}
	}
	var out []engine.Row
	for _, key := range order {
		e := byKey[key]
		if len(e.copies) == len(jobs) {
			out = append(out, engine.Row{[]byte(jobs[0].table), e.row[1], e.row[2], e.row[3]})
			continue
		}
		for _, i := range e.copies {
			text := jobs[i].cluster + " (" + jobs[i].physical + "): " + string(e.row[3])
			out = append(out, engine.Row{[]byte(jobs[0].table), e.row[1], e.row[2], []byte(text)})
		}
	}
	return out
}
