package session

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// maintenanceJob is one table copy a maintenance statement acts on.
type maintenanceJob struct {
	index    int    // which of the statement's tables it is a copy of
	table    string // the table as the client named it (schema.table)
	cluster  string
	physical string // the copy: a shard's table, a period table
	// whole: the copy holds all the table's rows (a reference table's
	// copy), where a shard's holds its part.
	whole bool
}

// answerMaintenance runs ANALYZE, OPTIMIZE, CHECK, REPAIR or CHECKSUM
// TABLE (sqlparse.Maintenance) that names a placed table on every copy of
// it: each shard's table, a date table's base and period tables, a
// reference table's copy on every cluster, on the primaries, where the
// statistics, the rebuilt table and the binary log entry belong. Tables
// no config places run on the default cluster. It answers as one server
// would: per table, the rows every copy gave once, named by the table,
// and a row only some copies gave with the copy it is about in front of
// its text; CHECKSUM, the checksum one server holding all the rows gives
// (foldChecksums). ok is false when the statement names no placed table.
func (s *Session) answerMaintenance(ctx context.Context, sql string) (ok bool, err error) {
	if s.env.Sharding == nil || s.env.Sharding.Layout().Empty() {
		return false, nil
	}
	mt, parsed := s.readingMode().ParseMaintenance(sql)
	if !parsed || !s.namesPlaced(mt) {
		return false, nil
	}
	// CHECKSUM TABLE reads, in the transaction as any read; the others
	// commit it first, as on one server.
	checksum := mt.Op == "CHECKSUM"
	if !checksum && len(s.branches) > 0 {
		return true, s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: %s TABLE commits the open transaction, which writes several shards; end it with COMMIT or ROLLBACK first", mt.Op))
	}
	if !checksum && s.inTx {
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
	if name := namedTwice(jobs); name != "" {
		return true, s.refuse(wire.NewError(mysql.ER_NONUNIQ_TABLE, "Not unique table/alias: '%s'", name))
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
	if checksum {
		var werr *wire.Error
		if out, werr = foldChecksums(jobs, answers); werr != nil {
			return true, s.refuse(werr)
		}
	}
	if err := s.sendRows(ctx, cols, colPackets, engine.NewSliceStream(out...), false); err != nil {
		return true, err
	}
	return true, nil
}

// namedTwice is a table the statement names twice, which a server
// refuses (each table of the list is opened under its name), "" if none.
func namedTwice(jobs []maintenanceJob) string {
	index := map[string]int{}
	for _, j := range jobs {
		if i, seen := index[j.table]; seen && i != j.index {
			_, name, _ := strings.Cut(j.table, ".")
			return name
		}
		index[j.table] = j.index
	}
	return ""
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
		whole := t != nil && t.Placement == shard.PlaceReference
		for _, c := range copies {
			jobs = append(jobs, maintenanceJob{index: i, table: name, cluster: c.Shard, physical: c.Table, whole: whole})
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
	eachTable(jobs, func(start, end int) {
		out = append(out, foldTable(jobs[start:end], answers[start:end])...)
	})
	return out
}

// eachTable calls f with the range of jobs of each table the statement
// names, in its order (a table named twice is two).
func eachTable(jobs []maintenanceJob, f func(start, end int)) {
	for start := 0; start < len(jobs); {
		end := start + 1
		for end < len(jobs) && jobs[end].index == jobs[start].index {
			end++
		}
		f(start, end)
		start = end
	}
}

// foldChecksums makes one CHECKSUM TABLE answer (Table, Checksum) of the
// copies' answers. A server's checksum is the sum, modulo 2^32, of its
// rows' checksums, so a table split over shards and period tables has
// the sum of its parts' checksums: the one a server holding all its rows
// gives. A reference table's copies each hold every row: they must agree,
// and copies that differ are an error naming them, never one copy's
// checksum. A copy without a checksum (a missing table, QUICK on a table
// that keeps none) makes the table's NULL, as on one server.
func foldChecksums(jobs []maintenanceJob, answers [][]engine.Row) ([]engine.Row, *wire.Error) {
	var out []engine.Row
	var err *wire.Error
	eachTable(jobs, func(start, end int) {
		if err != nil {
			return
		}
		var sum engine.Row
		if sum, err = tableChecksum(jobs[start:end], answers[start:end]); err == nil {
			out = append(out, sum)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// tableChecksum folds the checksums of one table's copies.
func tableChecksum(jobs []maintenanceJob, answers [][]engine.Row) (engine.Row, *wire.Error) {
	name := []byte(jobs[0].table)
	var total uint64
	byValue := map[string][]string{}
	var values []string
	for i, rows := range answers {
		if len(rows) != 1 || len(rows[0]) < 2 || rows[0][1] == nil {
			return engine.Row{name, nil}, nil
		}
		text := string(rows[0][1])
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return nil, wire.NewError(wire.ErUnknownError, "Strata: CHECKSUM TABLE %s: %s (%s) answered %q, not a checksum", jobs[i].table, jobs[i].cluster, jobs[i].physical, text)
		}
		total = (total + n) & 0xffffffff
		if byValue[text] == nil {
			values = append(values, text)
		}
		byValue[text] = append(byValue[text], jobs[i].cluster)
	}
	if !jobs[0].whole {
		return engine.Row{name, []byte(strconv.FormatUint(total, 10))}, nil
	}
	if len(values) > 1 {
		var parts []string
		for _, v := range values {
			parts = append(parts, strings.Join(byValue[v], ", ")+": "+v)
		}
		return nil, wire.NewError(wire.ErUnknownError, "Strata: CHECKSUM TABLE %s: the copies of this reference table differ (%s), so it has no one checksum. Run strata shards verify to find the rows that differ, then correct them through Strata", jobs[0].table, strings.Join(parts, "; "))
	}
	return engine.Row{name, []byte(values[0])}, nil
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
