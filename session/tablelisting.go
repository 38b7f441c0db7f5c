package session

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// answerTableListing answers a read of information_schema's views of
// tables (sqlparse.SchemaViews: TABLES, COLUMNS, STATISTICS,
// constraints) that names no table (Facts.ListsSchema: a schema's table
// or column list, as Laravel's Schema::getTables, its migrate:fresh and
// Doctrine's listTableNames and listTables read them) as one server
// holding every table would: the default cluster's rows, and each placed
// table's rows from where the table is in place of any of its name
// (readTableListing). The statement then runs on the default cluster over
// those rows (sqlparse.Materialization), its WHERE, joins and ORDER BY as
// written. ok is false when this does not apply, and the default cluster
// answers alone.
func (s *Session) answerTableListing(ctx context.Context, sql string, f *sqlparse.Facts) (ok bool, err error) {
	text, ok, err := s.tableListing(ctx, sql, f, nil)
	if !ok || err != nil {
		return ok, err
	}
	return true, s.Query(ctx, append([]byte{wire.ComQuery}, text...))
}

// executeTableListing is answerTableListing for a prepared statement and
// its bound values (SQL literals), answered in the binary protocol.
func (s *Session) executeTableListing(ctx context.Context, st *prepared, args []string) (ok bool, err error) {
	text, ok, err := s.tableListing(ctx, st.sql, st.facts, args)
	if !ok || err != nil {
		return ok, err
	}
	return true, s.executeOuter(ctx, text, errors.New("the table listing cannot be planned"))
}

// tableListing is the text of a table listing run over its rows read
// first; ok false when it does not apply, and err already answered.
func (s *Session) tableListing(ctx context.Context, sql string, f *sqlparse.Facts, args []string) (text string, ok bool, err error) {
	if s.env.Sharding == nil || s.env.Sharding.Layout().Empty() || !f.ListsSchema && !s.foldsTableFigures(f, args) {
		return "", false, nil
	}
	text, err = s.materializeWith(ctx, sql, args, pullLevel{}, s.readTableListing)
	switch {
	case errors.Is(err, errNotPulled):
		return "", false, nil
	case err != nil:
		return "", true, s.refuseRouting(err)
	}
	return text, true, nil
}

// readTableListing reads a view of information_schema with a row per
// table, column, index or constraint (sqlparse.SchemaViews) for a
// materialized statement, with the placed tables in it: for TABLES each
// placed table's row folded over where its rows are, for the others the
// rows of its definition on one cluster that holds it (the copies are
// alike; strata shards check-schema tells). Any other table is left to
// the default reading.
func (s *Session) readTableListing(ctx context.Context, t sqlparse.MatTable, query string, part pullLevel) ([]engine.Column, []engine.Row, bool, error) {
	schema, view, ok := strings.Cut(strings.ToLower(t.Name), ".")
	if !ok || schema != "information_schema" || !sqlparse.SchemaViews[view] {
		return nil, nil, false, nil
	}
	f, plan, err := s.planPulled(ctx, query, part)
	if err != nil {
		return nil, nil, true, err
	}
	cols, listed, more, err := s.collectRows(ctx, f, plan, s.maxPulled(), part.primary)
	switch {
	case err != nil:
		return nil, nil, true, err
	case more:
		return nil, nil, true, wire.NewError(wire.ErNotSupportedYet, "Strata: to list the tables Strata places on other clusters with the default cluster's, Strata reads information_schema.%s first, and more than %d rows (limits.max_pulled_rows) match: name the schema (WHERE table_schema = '...')", strings.ToUpper(view), s.maxPulled())
	}
	nameCol, schemaCol := tableColumn(cols), schemaColumn(cols)
	if nameCol < 0 || schemaCol < 0 {
		return nil, nil, true, fmt.Errorf("information_schema.%s without a table or a schema column", view)
	}
	layout := s.env.Sharding.Layout()
	var placed []engine.Row
	if view == "tables" {
		placed, err = s.placedTableRows(ctx, layout, cols)
	} else {
		placed, err = s.placedDefinitionRows(ctx, layout, view, cols)
	}
	if err != nil {
		return nil, nil, true, err
	}
	// The default cluster's own copy of a placed table (an empty
	// definition kept there for tools), or its part when it is a shard
	// too, gives way to the whole table's rows.
	listed = slices.DeleteFunc(listed, func(r engine.Row) bool {
		return !systemSchemas[strings.ToLower(string(r[schemaCol]))] && placedOwner(layout, string(r[nameCol])) != nil
	})
	return cols, append(listed, placed...), true, nil
}

// schemaColumn is the index of a view's schema column: TABLE_SCHEMA,
// CONSTRAINT_SCHEMA in the views of constraints that lack it,
// EVENT_OBJECT_SCHEMA in TRIGGERS.
func schemaColumn(cols []engine.Column) int {
	for _, name := range []string{"table_schema", "constraint_schema", "event_object_schema"} {
		if i := columnIndex(cols, name); i >= 0 {
			return i
		}
	}
	return -1
}

// tableColumn is the index of a view's table column: TABLE_NAME, or
// EVENT_OBJECT_TABLE in TRIGGERS.
func tableColumn(cols []engine.Column) int {
	if i := columnIndex(cols, "table_name"); i >= 0 {
		return i
	}
	return columnIndex(cols, "event_object_table")
}

// placedDefinitionRows reads the rows of view (columns, indexes,
// constraints) of every placed table, in every application schema, on the
// one cluster whose copy of each stands for the table (a date table's
// base table), one query per cluster.
func (s *Session) placedDefinitionRows(ctx context.Context, layout *shard.Layout, view string, cols []engine.Column) ([]engine.Row, error) {
	byCluster := map[string][]string{}
	var clusters []string
	for _, t := range layout.Tables() {
		c := s.env.Sharding.MetadataCluster(&sqlparse.Facts{Tables: []sqlparse.TableRef{{Name: t.Name}}})
		if byCluster[c] == nil {
			clusters = append(clusters, c)
		}
		byCluster[c] = append(byCluster[c], quoteLiteral([]byte(t.Name)))
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = sqlparse.QuoteIdentifier(c.Name)
	}
	schemaName := sqlparse.QuoteIdentifier(cols[schemaColumn(cols)].Name)
	tableName := sqlparse.QuoteIdentifier(cols[tableColumn(cols)].Name)
	routes := make([]planner.ShardRoute, len(clusters))
	for i, c := range clusters {
		routes[i] = planner.ShardRoute{Cluster: c, SQL: fmt.Sprintf("SELECT %s FROM information_schema.%s WHERE %s NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') AND %s IN (%s)",
			strings.Join(names, ", "), strings.ToUpper(view), schemaName, tableName, strings.Join(byCluster[c], ", "))}
	}
	var out []engine.Row
	err := s.readEachCluster(ctx, routes, func(_ string, rows []engine.Row) { out = append(out, rows...) })
	return out, err
}

// readEachCluster runs each route's read on its cluster and hands each
// cluster's whole answer to each, for Strata's own use.
func (s *Session) readEachCluster(ctx context.Context, routes []planner.ShardRoute, each func(cluster string, rows []engine.Row)) error {
	conns, err := s.takeConns(ctx, routes, false, true)
	if err != nil {
		return err
	}
	done := s.running(conns)
	defer func() { done(); s.giveBack(conns) }()
	for _, sc := range conns {
		_, got, err := s.readShard(ctx, sc, sc.route.SQL)
		if err != nil {
			return err
		}
		each(sc.route.Cluster, got)
	}
	return nil
}

// placedTableRows reads the information_schema.TABLES rows of every
// placed table, in every application schema, on the clusters that hold
// them, and folds each table's rows into one.
func (s *Session) placedTableRows(ctx context.Context, layout *shard.Layout, cols []engine.Column) ([]engine.Row, error) {
	return s.foldStatusRows(ctx, layout.Tables(), cols, func(on []*shard.Table) string { return placedTablesSQL(cols, on) }, columnIndex(cols, "table_schema"))
}

// placedTablesSQL asks a cluster for the information_schema.TABLES rows
// of tables in every schema but the system ones, with the columns the
// default cluster's read has (the same server version's, in its order),
// a date table's period tables too.
func placedTablesSQL(cols []engine.Column, tables []*shard.Table) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = sqlparse.QuoteIdentifier(c.Name)
	}
	var conds []string
	for _, t := range tables {
		conds = append(conds, "TABLE_NAME = "+quoteLiteral([]byte(t.Name)))
		if _, ok := t.Method.(*shard.Date); ok {
			conds = append(conds, "TABLE_NAME REGEXP "+quoteLiteral([]byte("^"+regexp.QuoteMeta(t.Name)+"_[0-9]{4}(_[0-9]{2}){0,2}$")))
		}
	}
	return fmt.Sprintf("SELECT %s FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') AND (%s)",
		strings.Join(names, ", "), strings.Join(conds, " OR "))
}

// placedOwner is the placed table a table name of a listing belongs to: the
// table itself, or a date table whose period table it is.
func placedOwner(layout *shard.Layout, name string) *shard.Table {
	name = strings.ToLower(name)
	if t := layout.Table(name); t != nil {
		return t
	}
	base, ok := periodBase(name)
	if !ok {
		return nil
	}
	if t := layout.Table(base); t != nil {
		if _, isDate := t.Method.(*shard.Date); isDate {
			return t
		}
	}
	return nil
}

// periodTableName matches a date table's period table name: the base name,
// then _YYYY, _YYYY_MM or _YYYY_MM_DD.
var periodTableName = regexp.MustCompile(`^(.+?)_[0-9]{4}(_[0-9]{2}){0,2}$`)

// periodBase is the base table a period table's name is made from.
func periodBase(name string) (string, bool) {
	m := periodTableName.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// columnIndex is the index of the column named name (any case), -1 when
// there is none.
func columnIndex(cols []engine.Column, name string) int {
	return slices.IndexFunc(cols, func(c engine.Column) bool { return strings.EqualFold(c.Name, name) })
}
