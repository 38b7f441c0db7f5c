package session

import (
	"context"
	"fmt"
	"slices"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// createSelect answers CREATE [TEMPORARY] TABLE t [AS] SELECT ... that
// reads placed tables into t, a table of the default cluster (a report's
// temporary table of totals): no server holds both. A shard that holds
// the SELECT's tables creates a temporary table of its columns and no
// rows, whose definition gives t's columns their types as one server
// types them (SUM(n) a DECIMAL(32,0), a column its own); Strata reads the
// SELECT's rows first (up to limits.max_pulled_rows), and the default
// cluster creates t with that definition and those rows, in one
// statement. handled is false when this does not apply (another form,
// t placed, a table the shard lacks), and the planner's refusal stands.
func (s *Session) createSelect(ctx context.Context, sql string) (handled bool, err error) {
	cs, ok := s.readingMode().CreateSelect(sql)
	if !ok || s.env.Sharding.Layout().Table(cs.Name) != nil {
		return false, nil
	}
	cluster, ok := s.shapeCluster(cs.Select)
	if !ok {
		return false, nil
	}
	shape, err := s.selectShape(ctx, cluster, cs)
	if err != nil {
		return true, s.refuseRouting(err)
	}
	cols, rows, err := s.readPart(ctx, cs.Select, pullLevel{primary: true}.next(), "Strata: the SELECT of this CREATE TABLE ... SELECT (%s) returned more than %d rows (limits.max_pulled_rows); Strata reads them first and creates the table with them: create it with CREATE TABLE, then fill it in batches with INSERT ... SELECT ... WHERE id BETWEEN ...")
	if err != nil {
		return true, s.refuseRouting(err)
	}
	table, err := literalTable(cols, rows)
	if err != nil {
		return true, s.refuseRouting(err)
	}
	text, ok := cs.WithRows(shape, table)
	if !ok {
		return true, s.refuseRouting(fmt.Errorf("the definition of the SELECT's columns is not a table's: %.80s", shape))
	}
	s.env.Metrics.RunFirst("insert", int64(len(rows)))
	return true, s.Query(ctx, append([]byte{wire.ComQuery}, text...))
}

// shapeCluster is a cluster that holds every table sel reads (a shard of
// its sharded tables, which holds the reference ones too); ok is false
// when none does: a table of the default cluster, or a date table, whose
// name no shard holds (only its period tables).
func (s *Session) shapeCluster(sel string) (string, bool) {
	parsed := s.parse(sel)
	if parsed.Err != nil || len(parsed.Summary.Tables) == 0 {
		return "", false
	}
	layout := s.env.Sharding.Layout()
	var tables []*shard.Table
	for _, ref := range parsed.Summary.Tables {
		t := layout.Table(ref.Name)
		if t == nil || t.Placement == shard.PlaceSharded && t.Method.Name() == shard.MethodDate {
			return "", false
		}
		tables = append(tables, t)
	}
	holds := func(cluster string) bool {
		return !slices.ContainsFunc(tables, func(t *shard.Table) bool {
			switch t.Placement {
			case shard.PlaceSharded:
				return !slices.Contains(t.Method.Shards(), cluster)
			case shard.PlaceReference:
				return !slices.Contains(layout.ShardClusters(), cluster)
			}
			return t.Cluster != cluster
		})
	}
	var candidates []string
	for _, t := range tables {
		switch t.Placement {
		case shard.PlaceSharded:
			candidates = append(candidates, t.Method.Shards()...)
		case shard.PlaceReference:
			candidates = append(candidates, layout.ShardClusters()...)
		default:
			candidates = append(candidates, t.Cluster)
		}
	}
	for _, c := range candidates {
		if holds(c) {
			return c, true
		}
	}
	return "", false
}

// selectShape has cluster's primary create the temporary table of
// cs.Select's columns and no rows, reads its definition (SHOW CREATE
// TABLE) and drops it. A SELECT the server refuses (an unknown column,
// two columns of one name) gets its error, as the CREATE would.
func (s *Session) selectShape(ctx context.Context, cluster string, cs *sqlparse.CreateSelect) (string, error) {
	sc, err := s.takeConn(ctx, s.env.Topology.Load(), planner.ShardRoute{Cluster: cluster}, true, false)
	if err != nil {
		return "", err
	}
	defer s.giveBack([]*shardConn{sc})
	c := sc.conn
	if _, err := c.Exec(ctx, cs.ShapeSQL()); err != nil {
		return "", shardError(cluster, err)
	}
	defer func() {
		if _, err := c.Exec(ctx, "DROP TEMPORARY TABLE "+sqlparse.QuoteIdentifier(sqlparse.ShapeTable)); err != nil {
			c.Broken = true // not handed to another session with the table on it
		}
	}()
	_, row, err := queryRow(ctx, c, "SHOW CREATE TABLE "+sqlparse.QuoteIdentifier(sqlparse.ShapeTable))
	if err != nil {
		return "", shardError(cluster, err)
	}
	if len(row) < 2 {
		return "", fmt.Errorf("SHOW CREATE TABLE answered %d columns", len(row))
	}
	return string(row[1]), nil
}
