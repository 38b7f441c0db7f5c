package shardops

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/shard"
)

// duplicateReports finds the rows of a sharded table that share the
// value of a unique key each shard enforces alone (perShardKeys; also
// the keys of unique:, whose rows written before it was set, or around
// Strata, were not checked): one server would have refused the second. Each such key of integer columns
// is read from every shard at once, sorted by the servers (a shard's
// period tables in one query), and merged, so memory stays one row per
// shard. Integer columns compare as numbers, text columns by their
// collation's weights (keyColumns), binary ones by their bytes; a key of
// other columns (dates, decimals) is reported as not checked.
func duplicateReports(ctx context.Context, open Opener, schema string, t *shard.Table, examples int) []PlacementReport {
	shards := t.Method.Shards()
	keys, err := UniqueKeys(ctx, open, shards[0], schema, t.Name)
	if err != nil {
		return []PlacementReport{{Table: t.Name, Shard: allShards, Error: err.Error()}}
	}
	var out []PlacementReport
	for _, k := range perShardKeys(t, keys) {
		rep := PlacementReport{Table: t.Name, Shard: allShards, Physical: "unique key " + k.String()}
		if err := findDuplicates(ctx, open, schema, t, k, &rep, examples); err != nil {
			rep.Error = err.Error()
		}
		out = append(out, rep)
	}
	return out
}

// allShards is the Shard of a report about every shard of a table.
const allShards = "(every shard)"

// keyCursor is one shard's rows of a unique key, in key order: the
// key's columns as compared (keyColumn.compared), as written, then the
// physical table the row is in (a shard reads its period tables in one
// query, so the cursors are one per shard).
type keyCursor struct {
	shard string
	rows  *sql.Rows
	cur   []string // the key's compared values, its values, the table
	done  bool
}

func (c *keyCursor) next() error {
	if !c.rows.Next() {
		c.done = true
		return c.rows.Err()
	}
	vals := make([]sql.NullString, len(c.cur))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := c.rows.Scan(ptrs...); err != nil {
		return err
	}
	for i, v := range vals {
		c.cur[i] = v.String
	}
	return nil
}

// key is the current row's key as compared; shown as written.
func (c *keyCursor) key() []string { return c.cur[:(len(c.cur)-1)/2] }

func (c *keyCursor) shown() []string { return c.cur[(len(c.cur)-1)/2 : len(c.cur)-1] }

// where names the physical table of the current row: its shard, and its
// period table when it has one.
func (c *keyCursor) where(table string) string {
	if t := c.cur[len(c.cur)-1]; t != table {
		return c.shard + " (" + t + ")"
	}
	return c.shard
}

func findDuplicates(ctx context.Context, open Opener, schema string, t *shard.Table, k UniqueKey, rep *PlacementReport, examples int) error {
	kinds, err := keyColumns(ctx, open, t.Method.Shards()[0], schema, t.Name, k.Columns)
	if err != nil || kinds == nil {
		if err == nil {
			rep.NotChecked = "its columns are not all integers, text or binary: not compared across shards"
		}
		return err
	}
	compared, shown := make([]string, len(kinds)), make([]string, len(kinds))
	var notNull []string
	for i, kc := range kinds {
		compared[i], shown[i] = kc.compared(), quoteIdent(kc.name)
		notNull = append(notNull, shown[i]+" IS NOT NULL") // NULLs never collide
	}
	byShard := map[string][]string{}
	var shards []string
	for _, p := range physicalTables(t) {
		if _, ok := byShard[p.Shard]; !ok {
			shards = append(shards, p.Shard)
		}
		byShard[p.Shard] = append(byShard[p.Shard], p.Table)
	}
	var cursors []*keyCursor
	defer func() {
		for _, c := range cursors {
			c.rows.Close()
		}
	}()
	q := keyQuery{schema: schema, compared: compared, shown: shown, notNull: notNull}
	for _, s := range shards {
		c, err := q.open(ctx, open, s, t.Name, byShard[s])
		if err != nil {
			return err
		}
		if c != nil {
			cursors = append(cursors, c)
		}
	}
	return countDuplicates(cursors, kinds, t.Name, rep, examples)
}

// keyQuery reads a unique key's values, in key order, from a shard's
// tables.
type keyQuery struct {
	schema          string
	compared, shown []string // the key's columns as compared, and as shown
	notNull         []string // NULLs never collide
}

// open starts reading the key of one shard's tables, or returns nil when
// none of them exists yet.
func (q keyQuery) open(ctx context.Context, open Opener, shardName, tableName string, tables []string) (*keyCursor, error) {
	db, err := open(shardName)
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, table := range tables {
		if ok, err := tableExists(ctx, db, q.schema, table); err != nil {
			return nil, err
		} else if !ok {
			continue // a period table not created yet
		}
		parts = append(parts, "SELECT "+strings.Join(q.compared, ", ")+", "+strings.Join(q.shown, ", ")+", "+quoteString(table)+" FROM "+qualified(q.schema, table)+" WHERE "+strings.Join(q.notNull, " AND "))
	}
	if len(parts) == 0 {
		return nil, nil
	}
	order := make([]string, len(q.compared))
	for i := range q.compared {
		order[i] = strconv.Itoa(i + 1)
	}
	rows, err := db.QueryContext(ctx, strings.Join(parts, " UNION ALL ")+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return nil, fmt.Errorf("reading %s on %s: %w", tableName, shardName, err)
	}
	c := &keyCursor{shard: shardName, rows: rows, cur: make([]string, 2*len(q.compared)+1)}
	if err := c.next(); err != nil {
		rows.Close()
		return nil, err
	}
	return c, nil
}

// countDuplicates merges the shards' key-ordered cursors and counts, in
// rep, the keys and the keys found in more than one place.
func countDuplicates(cursors []*keyCursor, kinds []keyColumn, tableName string, rep *PlacementReport, examples int) error {
	for {
		// The smallest key among the shards' next rows, and every row of it.
		var low, lowShown []string
		for _, c := range cursors {
			if !c.done && (low == nil || compareKeys(kinds, c.key(), low) < 0) {
				low, lowShown = slices.Clone(c.key()), slices.Clone(c.shown())
			}
		}
		if low == nil {
			return nil
		}
		var in []string
		for _, c := range cursors {
			for !c.done && compareKeys(kinds, c.key(), low) == 0 {
				in = append(in, c.where(tableName))
				if err := c.next(); err != nil {
					return err
				}
			}
		}
		rep.Rows++
		if len(in) > 1 {
			slices.Sort(in)
			rep.Duplicates++
			if len(rep.Duplicated) < examples {
				rep.Duplicated = append(rep.Duplicated, strings.Join(lowShown, ", ")+" on "+strings.Join(in, ", "))
			}
		}
	}
}

// keyColumn is a column of a unique key as the merge compares it.
type keyColumn struct {
	name    string
	integer bool // compared as a number; else as bytes
	// padded: a text column whose collation ignores trailing spaces
	// ('a' = 'a  '); weighed: compared by its collation's weights.
	padded, weighed bool
}

// compared is the expression a shard sorts the column by, and the merge
// compares: the value of an integer column, the collation's weights of a
// text one (WEIGHT_STRING: 'Ann' and 'ann' weigh alike under a _ci
// collation, in the order the server sorts them), with trailing spaces
// cut where the collation ignores them (WEIGHT_STRING keeps their
// weight), and the bytes of a binary one. The weights and bytes sort as
// binary strings, in Go's order of their bytes.
func (k keyColumn) compared() string {
	col := quoteIdent(k.name)
	switch {
	case k.integer:
		return col
	case k.padded:
		return "WEIGHT_STRING(TRIM(TRAILING ' ' FROM " + col + "))"
	case k.weighed:
		return "WEIGHT_STRING(" + col + ")"
	}
	return "CAST(" + col + " AS BINARY)"
}

// keyColumns reads the types of a unique key's columns; nil when one is
// of a type the merge cannot compare as the servers do.
func keyColumns(ctx context.Context, open Opener, shardName, schema, table string, cols []string) ([]keyColumn, error) {
	db, err := open(shardName)
	if err != nil {
		return nil, err
	}
	out := make([]keyColumn, len(cols))
	for i, c := range cols {
		var dataType string
		var collation sql.NullString
		if err := db.QueryRowContext(ctx, "SELECT DATA_TYPE, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?", schema, table, c).Scan(&dataType, &collation); err != nil {
			return nil, fmt.Errorf("the type of %s.%s: %w", table, c, err)
		}
		out[i].name = c
		switch strings.ToLower(dataType) {
		case "tinyint", "smallint", "mediumint", "int", "bigint":
			out[i].integer = true
		case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
			out[i].weighed = true
			out[i].padded = !strings.Contains(strings.ToLower(collation.String), "nopad")
		case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		default:
			return nil, nil
		}
	}
	return out, nil
}

// compareKeys orders two keys as compared: integers as numbers (signed,
// or unsigned above the signed range), the rest by their bytes.
func compareKeys(kinds []keyColumn, a, b []string) int {
	for i, k := range kinds {
		c := strings.Compare(a[i], b[i])
		if k.integer {
			c = compareInt(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func compareInt(a, b string) int {
	x, xerr := strconv.ParseInt(a, 10, 64)
	y, yerr := strconv.ParseInt(b, 10, 64)
	switch {
	case xerr == nil && yerr == nil:
		return cmpInt(x, y)
	case xerr == nil:
		return -1 // b is above the signed range
	case yerr == nil:
		return 1
	}
	u, _ := strconv.ParseUint(a, 10, 64)
	v, _ := strconv.ParseUint(b, 10, 64)
	return cmpInt(u, v)
}

func cmpInt[T int64 | uint64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// quoteString writes s as a SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}
