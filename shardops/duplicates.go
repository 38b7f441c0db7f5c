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
// shard; a key of other columns is reported as not checked (their order
// is the collation's).
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
// key's columns, then the physical table the row is in (a shard reads
// its period tables in one query, so the cursors are one per shard).
type keyCursor struct {
	shard string
	rows  *sql.Rows
	cur   []string // the key's values, then the table
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

func (c *keyCursor) key() []string { return c.cur[:len(c.cur)-1] }

// where names the physical table of the current row: its shard, and its
// period table when it has one.
func (c *keyCursor) where(table string) string {
	if t := c.cur[len(c.cur)-1]; t != table {
		return c.shard + " (" + t + ")"
	}
	return c.shard
}

func findDuplicates(ctx context.Context, open Opener, schema string, t *shard.Table, k UniqueKey, rep *PlacementReport, examples int) error {
	if ok, err := integerColumns(ctx, open, t.Method.Shards()[0], schema, t.Name, k.Columns); err != nil || !ok {
		if err == nil {
			rep.NotChecked = "its columns are not all integers: not compared across shards"
		}
		return err
	}
	cols := make([]string, len(k.Columns))
	var notNull []string
	for i, c := range k.Columns {
		cols[i] = quoteIdent(c)
		notNull = append(notNull, cols[i]+" IS NOT NULL") // NULLs never collide
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
	for _, s := range shards {
		db, err := open(s)
		if err != nil {
			return err
		}
		var parts []string
		for _, table := range byShard[s] {
			if ok, err := tableExists(ctx, db, schema, table); err != nil {
				return err
			} else if !ok {
				continue // a period table not created yet
			}
			parts = append(parts, "SELECT "+strings.Join(cols, ", ")+", "+quoteString(table)+" FROM "+qualified(schema, table)+" WHERE "+strings.Join(notNull, " AND "))
		}
		if len(parts) == 0 {
			continue
		}
		order := make([]string, len(cols))
		for i := range cols {
			order[i] = strconv.Itoa(i + 1)
		}
		rows, err := db.QueryContext(ctx, strings.Join(parts, " UNION ALL ")+" ORDER BY "+strings.Join(order, ", "))
		if err != nil {
			return fmt.Errorf("reading %s on %s: %w", t.Name, s, err)
		}
		c := &keyCursor{shard: s, rows: rows, cur: make([]string, len(cols)+1)}
		cursors = append(cursors, c)
		if err := c.next(); err != nil {
			return err
		}
	}
	for {
		// The smallest key among the shards' next rows, and every row of it.
		var low []string
		for _, c := range cursors {
			if !c.done && (low == nil || compareInts(c.key(), low) < 0) {
				low = append([]string(nil), c.key()...)
			}
		}
		if low == nil {
			return nil
		}
		var in []string
		for _, c := range cursors {
			for !c.done && compareInts(c.key(), low) == 0 {
				in = append(in, c.where(t.Name))
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
				rep.Duplicated = append(rep.Duplicated, strings.Join(low, ", ")+" on "+strings.Join(in, ", "))
			}
		}
	}
}

// integerColumns reports whether every column of cols is of an integer
// type, so that Go orders their values as the servers do.
func integerColumns(ctx context.Context, open Opener, shardName, schema, table string, cols []string) (bool, error) {
	db, err := open(shardName)
	if err != nil {
		return false, err
	}
	for _, c := range cols {
		var dataType string
		if err := db.QueryRowContext(ctx, "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?", schema, table, c).Scan(&dataType); err != nil {
			return false, fmt.Errorf("the type of %s.%s: %w", table, c, err)
		}
		switch strings.ToLower(dataType) {
		case "tinyint", "smallint", "mediumint", "int", "bigint":
		default:
			return false, nil
		}
	}
	return true, nil
}

// compareInts orders two tuples of integers written in decimal (signed,
// or unsigned above the signed range).
func compareInts(a, b []string) int {
	for i := range a {
		if c := compareInt(a[i], b[i]); c != 0 {
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
