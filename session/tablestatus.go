package session

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// withPlacedTableStatus completes the default cluster's SHOW TABLE STATUS
// [FROM db] [LIKE 'p'] rows (listed) as one server holding every table
// would answer: each placed table (table groups, sharded and reference
// tables, matching the pattern) once, with its figures where its rows
// are, in place of any row of that name. A sharded table's rows, sizes
// and free space are the sums over its shards (and a date table's period
// tables), its next AUTO_INCREMENT the highest, its creation the earliest
// and its last update the latest; tools that list tables with their size
// (phpMyAdmin, Adminer) see the whole table.
func (s *Session) withPlacedTableStatus(ctx context.Context, db string, placed []string, cols []engine.Column, listed []engine.Row) ([]engine.Row, error) {
	isPlaced := map[string]bool{}
	for _, name := range placed {
		isPlaced[name] = true
	}
	out := slices.DeleteFunc(listed, func(r engine.Row) bool { return isPlaced[strings.ToLower(string(r[0]))] })
	status, err := s.placedTableStatus(ctx, s.env.Sharding.Layout(), db, placed, cols)
	if err != nil {
		return nil, err
	}
	out = append(out, status...)
	slices.SortStableFunc(out, func(a, b engine.Row) int { return bytes.Compare(a[0], b[0]) })
	return out, nil
}

// placedTableStatus reads the status rows of the placed tables on the
// clusters that hold them, one query per cluster, and folds each table's
// rows into one.
func (s *Session) placedTableStatus(ctx context.Context, layout *shard.Layout, db string, placed []string, cols []engine.Column) ([]engine.Row, error) {
	var tables []*shard.Table
	for _, name := range placed {
		if t := layout.Table(name); t != nil {
			tables = append(tables, t)
		}
	}
	return s.foldStatusRows(ctx, tables, cols, func(on []*shard.Table) string { return tableStatusSQL(db, on) }, -1)
}

// foldStatusRows reads the status rows of tables (SHOW TABLE STATUS, or
// information_schema.TABLES) on the clusters that hold them, one query
// per cluster (sqlFor the tables it holds), and folds each table's rows
// into one, per schema when schemaCol is a column: its shards' and
// period tables' figures summed, as one server holding the whole table
// would show them.
func (s *Session) foldStatusRows(ctx context.Context, tables []*shard.Table, cols []engine.Column, sqlFor func([]*shard.Table) string, schemaCol int) ([]engine.Row, error) {
	byCluster := map[string][]*shard.Table{}
	var clusters []string
	for _, t := range tables {
		for _, c := range statusClusters(s.env.Sharding, t) {
			if byCluster[c] == nil {
				clusters = append(clusters, c)
			}
			byCluster[c] = append(byCluster[c], t)
		}
	}
	routes := make([]planner.ShardRoute, len(clusters))
	for i, c := range clusters {
		routes[i] = planner.ShardRoute{Cluster: c, SQL: sqlFor(byCluster[c])}
	}
	nameCol := columnIndex(cols, "name")
	if nameCol < 0 {
		nameCol = tableColumn(cols)
	}
	folded := map[string]*statusFold{}
	var order []string
	err := s.readEachCluster(ctx, routes, func(cluster string, rows []engine.Row) {
		for _, r := range rows {
			t := statusOwner(byCluster[cluster], string(r[nameCol]))
			if t == nil {
				continue
			}
			key := t.Name
			if schemaCol >= 0 {
				key = string(r[schemaCol]) + "." + key
			}
			if folded[key] == nil {
				folded[key] = newStatusFold(t.Name, cols)
				order = append(order, key)
			}
			folded[key].add(r)
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]engine.Row, 0, len(order))
	for _, key := range order {
		out = append(out, folded[key].row())
	}
	return out, nil
}

// statusClusters are the clusters whose status rows make up t's: every
// shard of a sharded table, one cluster holding a reference table or a
// table group's table.
func statusClusters(sh *planner.Sharding, t *shard.Table) []string {
	if t.Placement == shard.PlaceSharded {
		return t.Method.Shards()
	}
	return []string{sh.MetadataCluster(&sqlparse.Facts{Tables: []sqlparse.TableRef{{Name: t.Name}}})}
}

// tableStatusSQL asks a cluster for the status of tables: by name, and a
// date table's period tables (posts_2024_06) too.
func tableStatusSQL(db string, tables []*shard.Table) string {
	var conds []string
	for _, t := range tables {
		conds = append(conds, "Name = "+quoteLiteral([]byte(t.Name)))
		if _, ok := t.Method.(*shard.Date); ok {
			conds = append(conds, "Name REGEXP "+quoteLiteral([]byte("^"+regexp.QuoteMeta(t.Name)+"_[0-9]{4}(_[0-9]{2}){0,2}$")))
		}
	}
	return fmt.Sprintf("SHOW TABLE STATUS FROM %s WHERE %s", sqlparse.QuoteIdentifier(db), strings.Join(conds, " OR "))
}

// statusOwner is the table of tables a status row named name belongs to.
func statusOwner(tables []*shard.Table, name string) *shard.Table {
	name = strings.ToLower(name)
	for _, t := range tables {
		if name == t.Name {
			return t
		}
	}
	for _, t := range tables {
		if _, ok := t.Method.(*shard.Date); ok && strings.HasPrefix(name, t.Name+"_") {
			return t
		}
	}
	return nil
}

// statusFold folds the status rows of one table's parts.
type statusFold struct {
	name string
	cols map[string]int
	row0 engine.Row
	sums map[string]uint64
	max  map[string][]byte // Auto_increment, Update_time, Check_time
	min  []byte            // Create_time
	n    int
}

var (
	statusSummed = []string{"rows", "data_length", "max_data_length", "index_length", "data_free", "max_index_length"}
	statusLatest = []string{"auto_increment", "update_time", "check_time"}
)

// newStatusFold folds the rows of SHOW TABLE STATUS (Name, Rows, ...) or
// of information_schema.TABLES (TABLE_NAME, TABLE_ROWS, ...), whose other
// figures have the same names.
func newStatusFold(name string, cols []engine.Column) *statusFold {
	f := &statusFold{name: name, cols: map[string]int{}, sums: map[string]uint64{}, max: map[string][]byte{}}
	for i, c := range cols {
		n := strings.ToLower(c.Name)
		switch n {
		case "table_name":
			n = "name"
		case "table_rows":
			n = "rows"
		}
		f.cols[n] = i
	}
	return f
}

// nameOf is a row's table name.
func (f *statusFold) nameOf(r engine.Row) []byte { return r[f.cols["name"]] }

func (f *statusFold) add(r engine.Row) {
	if f.n == 0 || strings.EqualFold(string(f.nameOf(r)), f.name) {
		f.row0 = r // the table's own row (not a period table's) when there is one
	}
	f.n++
	for _, c := range statusSummed {
		if i, ok := f.cols[c]; ok && i < len(r) {
			n, _ := strconv.ParseUint(string(r[i]), 10, 64)
			f.sums[c] += n
		}
	}
	for _, c := range statusLatest {
		if i, ok := f.cols[c]; ok && i < len(r) && r[i] != nil && greater(r[i], f.max[c], c == "auto_increment") {
			f.max[c] = r[i]
		}
	}
	if i, ok := f.cols["create_time"]; ok && i < len(r) && r[i] != nil && (f.min == nil || bytes.Compare(r[i], f.min) < 0) {
		f.min = r[i]
	}
}

// greater compares status values: numbers as numbers, times as their text.
func greater(a, b []byte, numeric bool) bool {
	if b == nil {
		return true
	}
	if numeric {
		x, _ := strconv.ParseUint(string(a), 10, 64)
		y, _ := strconv.ParseUint(string(b), 10, 64)
		return x > y
	}
	return bytes.Compare(a, b) > 0
}

func (f *statusFold) row() engine.Row {
	out := slices.Clone(f.row0)
	out[f.cols["name"]] = []byte(f.name)
	set := func(col string, v []byte) {
		if i, ok := f.cols[col]; ok && i < len(out) {
			out[i] = v
		}
	}
	for _, c := range statusSummed {
		if i, ok := f.cols[c]; ok && i < len(out) && out[i] != nil {
			set(c, strconv.AppendUint(nil, f.sums[c], 10))
		}
	}
	if i, ok := f.cols["avg_row_length"]; ok && i < len(out) && out[i] != nil {
		avg := uint64(0)
		if rows := f.sums["rows"]; rows > 0 {
			avg = f.sums["data_length"] / rows
		}
		set("avg_row_length", strconv.AppendUint(nil, avg, 10))
	}
	for _, c := range statusLatest {
		if f.max[c] != nil {
			set(c, f.max[c])
		}
	}
	if f.min != nil {
		set("create_time", f.min)
	}
	return out
}
