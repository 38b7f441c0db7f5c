package shardops

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/shard"
)

// RebalanceReport is the rows of a table that one shard holds and the
// layout places on another: after a layout change (a hash range split in
// two, a range given to a new shard) they must move there, or Strata does
// not find them by their key.
type RebalanceReport struct {
	Table string `json:"table"`
	From  string `json:"from"`
	To    string `json:"to"`
	// Rows is how many were found; Moved how many were copied to To and
	// deleted on From; Resolved how many were already on To, the same
	// row (left by an interrupted run), and were deleted on From.
	Rows     int64 `json:"rows"`
	Moved    int64 `json:"moved"`
	Resolved int64 `json:"resolved"`
	// Conflicts are primary keys whose row on To differs from the one on
	// From: both are left for the operator to settle.
	Conflicts []string `json:"conflicts,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// Rebalance finds the rows of table that a shard holds and layout places
// on another, and with apply moves them there in batches of batch rows:
// each batch is read and locked on its shard, inserted on the owner and
// committed there, then deleted where it was. An interrupted run leaves
// rows on both shards, never on neither; run again, it deletes the
// leftover copies that equal the owner's. Run it while nothing writes the
// table (docs/sharding.md, "Re-distributing rows"): a write through Strata
// to a row not moved yet would land on its new shard beside the old copy.
func Rebalance(ctx context.Context, layout *shard.Layout, open Opener, schema, table string, batch int, apply bool) ([]RebalanceReport, error) {
	t := layout.Table(table)
	switch {
	case t == nil || t.Placement != shard.PlaceSharded:
		return nil, fmt.Errorf("%s is not a sharded table of the config", table)
	}
	if d, ok := t.Method.(*shard.Date); ok {
		return rebalancePeriods(ctx, open, schema, layout.ShardClusters(), t, d, batch, apply)
	}
	if apply {
		// An online move (rebalance -online) that did not end has rows by
		// two layouts; moving them by one would undo what it did.
		pending, err := PendingMoves(ctx, open, layout.ShardClusters(), schema)
		if err != nil {
			return nil, fmt.Errorf("checking for an unfinished online move: %w", err)
		}
		for _, p := range pending {
			if p.Table == t.Name {
				return nil, fmt.Errorf("an online move of %s is unfinished (marks %v in strata.rebalance_marks): start Strata to carry it on (strata shards rebalance -online -status)", t.Name, p.Marks)
			}
		}
	}
	first, err := open(t.Method.Shards()[0])
	if err != nil {
		return nil, err
	}
	cols, err := readColumns(ctx, first, schema, t.Name)
	if err != nil {
		return nil, err
	}
	var out []RebalanceReport
	for _, from := range t.Method.Shards() {
		groups, err := misplacedKeys(ctx, open, schema, t, cols, from)
		if err != nil {
			out = append(out, RebalanceReport{Table: t.Name, From: from, Error: err.Error()})
			continue
		}
		for _, g := range groups {
			rep := RebalanceReport{Table: t.Name, From: from, To: g.to, Rows: int64(len(g.keys)), Error: g.why}
			if apply && g.to != "" {
				if err := moveKeys(ctx, open, schema, t.Name, cols, &rep, g.keys, batch); err != nil {
					rep.Error = err.Error()
				}
			}
			out = append(out, rep)
		}
	}
	return out, nil
}

// tableColumns is what a row move copies: the columns that are not
// generated (their select items), and which of them form the primary key.
type tableColumns struct {
	names, items []string
	key          []int
	shardKey     int // the shard key's column (online moves)
}

func readColumns(ctx context.Context, db *sql.DB, schema, table string) (*tableColumns, error) {
	rows, err := db.QueryContext(ctx, "SELECT c.COLUMN_NAME, LOWER(c.DATA_TYPE), c.IS_GENERATED <> 'NEVER', s.COLUMN_NAME IS NOT NULL"+
		" FROM information_schema.COLUMNS c LEFT JOIN information_schema.STATISTICS s"+
		" ON s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME AND s.COLUMN_NAME = c.COLUMN_NAME AND s.INDEX_NAME = 'PRIMARY'"+
		" WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION", schema, table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s.%s: %w", schema, table, err)
	}
	defer rows.Close()
	tc := &tableColumns{}
	for rows.Next() {
		var name, dataType string
		var generated, primary bool
		if err := rows.Scan(&name, &dataType, &generated, &primary); err != nil {
			return nil, err
		}
		switch {
		case generated:
			continue // computed again where the row lands
		case strings.Contains(dataType, "geometry") || strings.Contains(dataType, "point") || strings.Contains(dataType, "polygon") || strings.Contains(dataType, "linestring"):
			return nil, fmt.Errorf("%s.%s has a spatial column (%s), which rebalance does not copy", schema, table, name)
		case primary:
			tc.key = append(tc.key, len(tc.names))
		}
		tc.names = append(tc.names, name)
		tc.items = append(tc.items, quoteIdent(name))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(tc.key) == 0 {
		return nil, fmt.Errorf("%s.%s has no primary key to name each row by (or no columns on this shard)", schema, table)
	}
	return tc, nil
}

// keyIn is the primary key's columns as the left side of an IN, and
// the placeholders of n values of it.
func (tc *tableColumns) keyIn(n int) string {
	names := make([]string, len(tc.key))
	for i, k := range tc.key {
		names[i] = quoteIdent(tc.names[k])
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(tc.key)), ", ") + ")"
	return "(" + strings.Join(names, ", ") + ") IN (" + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ") + ")"
}

type misplacedGroup struct {
	to   string
	keys [][]any // primary key values
	why  string  // to is "": why no shard owns them
}

// misplacedKeys reads the primary key and shard key of every row of t on
// shard from, and groups the rows the layout places elsewhere by owner.
func misplacedKeys(ctx context.Context, open Opener, schema string, t *shard.Table, tc *tableColumns, from string) ([]*misplacedGroup, error) {
	db, err := open(from)
	if err != nil {
		return nil, err
	}
	items := make([]string, 0, len(tc.key)+1)
	for _, k := range tc.key {
		items = append(items, tc.items[k])
	}
	items = append(items, quoteIdent(t.Method.Key()))
	rows, err := db.QueryContext(ctx, "SELECT "+strings.Join(items, ", ")+" FROM "+qualified(schema, t.Name))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	quoted := !numericColumn(types[len(types)-1].DatabaseTypeName())
	byOwner := map[string]*misplacedGroup{}
	var out []*misplacedGroup
	for rows.Next() {
		vals, err := scanBytes(rows, len(items))
		if err != nil {
			return nil, err
		}
		key, _ := vals[len(vals)-1].([]byte)
		owner, err := ownerOf(ctx, t, sql.NullString{String: string(key), Valid: key != nil}, quoted)
		if err != nil {
			// No shard owns it: listed under To "", never moved.
			owner = ""
			if byOwner[owner] == nil {
				byOwner[owner] = &misplacedGroup{why: fmt.Sprintf("rows the layout places nowhere stay where they are, e.g. %s %q: %v; fix them by hand", t.Method.Key(), key, err)}
				out = append(out, byOwner[owner])
			}
		} else if owner == from {
			continue
		}
		g := byOwner[owner]
		if g == nil {
			g = &misplacedGroup{to: owner}
			byOwner[owner] = g
			out = append(out, g)
		}
		g.keys = append(g.keys, vals[:len(tc.key)])
	}
	return out, rows.Err()
}

// moveKeys moves the rows of the given primary keys from rep.From to
// rep.To, batch by batch.
func moveKeys(ctx context.Context, open Opener, schema, table string, tc *tableColumns, rep *RebalanceReport, keys [][]any, batch int) error {
	src, err := open(rep.From)
	if err != nil {
		return err
	}
	dst, err := open(rep.To)
	if err != nil {
		return err
	}
	for len(keys) > 0 {
		n := min(max(batch, 1), len(keys))
		if err := moveBatch(ctx, src, dst, schema, table, tc, rep, keys[:n]); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// moveBatch copies a batch's rows, read and locked on the source, to the
// destination (committed there first), then deletes on the source those
// that are now on the destination.
func moveBatch(ctx context.Context, src, dst *sql.DB, schema, table string, tc *tableColumns, rep *RebalanceReport, keys [][]any) error {
	tx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := selectRows(ctx, tx, schema, table, tc, keys, " FOR UPDATE")
	if err != nil {
		return err
	}
	moved, resolved, err := insertRows(ctx, dst, schema, table, tc, rows, rep)
	if err != nil {
		return err
	}
	gone := append(moved, resolved...)
	if len(gone) > 0 {
		res, err := tx.ExecContext(ctx, "DELETE FROM "+qualified(schema, table)+" WHERE "+tc.keyIn(len(gone)), flatten(keysOf(tc, gone))...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(len(gone)) {
			return fmt.Errorf("deleting %d moved rows on %s deleted %d; nothing deleted", len(gone), rep.From, n)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	rep.Moved += int64(len(moved))
	rep.Resolved += int64(len(resolved))
	return nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// execQuerier is a *sql.DB or a *sql.Tx, to write with.
type execQuerier interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// selectRows reads the rows of the given primary keys, each column's
// value as its bytes (nil for NULL).
func selectRows(ctx context.Context, q querier, schema, table string, tc *tableColumns, keys [][]any, suffix string) ([][]any, error) {
	return selectWhere(ctx, q, schema, table, tc, tc.keyIn(len(keys))+suffix, flatten(keys))
}

// scanBytes reads the current row's n columns, each as its bytes ([]byte,
// or nil for NULL), to pass back as statement arguments.
func scanBytes(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]sql.RawBytes, n)
	dest := make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	row := make([]any, n)
	for i, v := range vals {
		if v != nil {
			row[i] = bytes.Clone(v)
		}
	}
	return row, nil
}

// insertRows inserts rows on dst in one transaction. When a primary key is
// taken there it goes row by row: a row equal to the one there (a copy an
// interrupted run left) counts as resolved, a different one is a conflict
// and stays where it is.
func insertRows(ctx context.Context, dst execQuerier, schema, table string, tc *tableColumns, rows [][]any, rep *RebalanceReport) (moved, resolved [][]any, err error) {
	if len(rows) == 0 {
		return nil, nil, nil
	}
	insert := func(n int) string {
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(tc.items)), ", ") + ")"
		return "INSERT INTO " + qualified(schema, table) + " (" + strings.Join(tc.items, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
	}
	if _, err := dst.ExecContext(ctx, insert(len(rows)), flatten(rows)...); err == nil {
		return rows, nil, nil
	} else if !duplicateKey(err) {
		return nil, nil, err
	}
	for _, row := range rows {
		_, err := dst.ExecContext(ctx, insert(1), row...)
		switch {
		case err == nil:
			moved = append(moved, row)
			continue
		case !duplicateKey(err):
			return nil, nil, err
		}
		there, err := selectRows(ctx, dst, schema, table, tc, keysOf(tc, [][]any{row}), "")
		if err != nil {
			return nil, nil, err
		}
		if len(there) == 1 && sameRow(there[0], row) {
			resolved = append(resolved, row)
		} else {
			rep.Conflicts = append(rep.Conflicts, keyText(keysOf(tc, [][]any{row})[0]))
		}
	}
	return moved, resolved, nil
}

// keyText shows a primary key's values, comma-separated.
func keyText(key []any) string {
	parts := make([]string, len(key))
	for i, v := range key {
		b, _ := v.([]byte)
		parts[i] = string(b)
	}
	return strings.Join(parts, ",")
}

func duplicateKey(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

func sameRow(a, b []any) bool {
	for i := range a {
		x, _ := a[i].([]byte)
		y, _ := b[i].([]byte)
		if (a[i] == nil) != (b[i] == nil) || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// keysOf is the primary key values of rows.
func keysOf(tc *tableColumns, rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		for _, k := range tc.key {
			out[i] = append(out[i], r[k])
		}
	}
	return out
}

func flatten(rows [][]any) []any {
	var out []any
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// rebalancePeriods moves the period tables of a date table to the shards
// that now own their periods (an archive shard given the old years, say):
// every row of a period table found on another shard is copied, batch by
// batch, into that period's table on its owner (created LIKE the base
// table there when missing), then deleted where it was, as Rebalance
// moves rows. The emptied table is left in place: nothing reads it.
//
// Every shard cluster of the layout is searched, not only the table's: a
// shard the new layout no longer names may hold old periods.
func rebalancePeriods(ctx context.Context, open Opener, schema string, clusters []string, t *shard.Table, d *shard.Date, batch int, apply bool) ([]RebalanceReport, error) {
	periods := d.DateTables(shard.Bound{Kind: shard.Unbounded}, shard.Bound{Kind: shard.Unbounded})
	names := make([]string, len(periods))
	for i, p := range periods {
		names[i] = p.Table
	}
	var out []RebalanceReport
	for _, from := range clusters {
		held, err := TablesOn(ctx, open, schema, from, names)
		if err != nil {
			out = append(out, RebalanceReport{Table: t.Name, From: from, Error: err.Error()})
			continue
		}
		for _, p := range periods {
			if p.Shard == from || !slices.Contains(held, p.Table) {
				continue
			}
			rep := RebalanceReport{Table: p.Table, From: from, To: p.Shard}
			if err := movePeriod(ctx, open, schema, t.Name, &rep, batch, apply); err != nil {
				rep.Error = err.Error()
			}
			if rep.Rows > 0 || rep.Error != "" {
				out = append(out, rep)
			}
		}
	}
	return out, nil
}

// movePeriod moves (with apply; else counts) the rows of period table
// rep.Table from rep.From to rep.To, creating the table there LIKE base.
func movePeriod(ctx context.Context, open Opener, schema, base string, rep *RebalanceReport, batch int, apply bool) error {
	create := func() error {
		if _, err := precreateOne(ctx, open, schema, base, shard.DateTable{Table: rep.Table, Shard: rep.To}); err != nil {
			return fmt.Errorf("creating %s on %s: %w", rep.Table, rep.To, err)
		}
		return nil
	}
	return moveMatching(ctx, open, schema, rep, batch, apply, create, "1")
}

// moveMatching moves (with apply; else counts) the rows of rep.Table that
// match where (with its args) from rep.From to rep.To, batch by batch as
// Rebalance does; prepare, when set, runs before the first row moves.
func moveMatching(ctx context.Context, open Opener, schema string, rep *RebalanceReport, batch int, apply bool, prepare func() error, where string, args ...any) error {
	src, err := open(rep.From)
	if err != nil {
		return err
	}
	tc, err := readColumns(ctx, src, schema, rep.Table)
	if err != nil {
		return err
	}
	keys, err := primaryKeys(ctx, src, schema, rep.Table, tc, where, args...)
	if err != nil {
		return err
	}
	rep.Rows = int64(len(keys))
	if !apply || len(keys) == 0 {
		return nil
	}
	if prepare != nil {
		if err := prepare(); err != nil {
			return err
		}
	}
	return moveKeys(ctx, open, schema, rep.Table, tc, rep, keys, batch)
}

// primaryKeys reads the primary keys of table's rows that match where
// (with its args), each value as its bytes.
func primaryKeys(ctx context.Context, db *sql.DB, schema, table string, tc *tableColumns, where string, args ...any) ([][]any, error) {
	items := make([]string, len(tc.key))
	for i, k := range tc.key {
		items[i] = tc.items[k]
	}
	rows, err := db.QueryContext(ctx, "SELECT "+strings.Join(items, ", ")+" FROM "+qualified(schema, table)+" WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys [][]any
	for rows.Next() {
		vals, err := scanBytes(rows, len(items))
		if err != nil {
			return nil, err
		}
		keys = append(keys, vals)
	}
	return keys, rows.Err()
}
