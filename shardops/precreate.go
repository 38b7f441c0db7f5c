package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-proxy/strata/shard"
)

// PeriodTable is one period table of a date-sharded table as Precreate
// found or made it.
type PeriodTable struct {
	Table   string `json:"table"`
	Base    string `json:"base"`
	Shard   string `json:"shard"`
	Created bool   `json:"created"` // false: it existed already
	Error   string `json:"error,omitempty"`
}

// Precreate makes the tables of the n periods starting with the one
// holding now (d.Upcoming), each on the shard that owns it, as
// CREATE TABLE IF NOT EXISTS schema.<period table> LIKE schema.base.
// The base table must exist on each of those shards as the template. It
// goes on past a failing shard and returns every table with what happened
// to it, and the failures joined.
func Precreate(ctx context.Context, open Opener, schema string, d *shard.Date, base string, now time.Time, n int) ([]PeriodTable, error) {
	var out []PeriodTable
	var errs []error
	tables := d.Upcoming(now, n)
	if n == AllPeriods {
		// Every period table Strata reads: since through now + ahead.
		tables = d.DateTables(shard.Bound{}, shard.Bound{})
		slices.Reverse(tables)
	}
	for _, dt := range tables {
		pt := PeriodTable{Table: dt.Table, Base: base, Shard: dt.Shard}
		created, err := precreateOne(ctx, open, schema, base, dt)
		pt.Created = created
		if err != nil {
			pt.Error = err.Error()
			errs = append(errs, fmt.Errorf("%s on %s: %w", dt.Table, dt.Shard, err))
		}
		out = append(out, pt)
	}
	return out, errors.Join(errs...)
}

func precreateOne(ctx context.Context, open Opener, schema, base string, dt shard.DateTable) (bool, error) {
	db, err := open(dt.Shard)
	if err != nil {
		return false, err
	}
	exists, err := tableExists(ctx, db, schema, dt.Table)
	if err != nil || exists {
		return false, err
	}
	if ok, err := tableExists(ctx, db, schema, base); err != nil {
		return false, err
	} else if !ok {
		return false, fmt.Errorf("template table %s.%s does not exist on this shard", schema, base)
	}
	q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s LIKE %s", qualified(schema, dt.Table), qualified(schema, base))
	if _, err := db.ExecContext(ctx, q); err != nil {
		return false, err
	}
	return true, nil
}

// TablesOn lists which of the tables names exist in schema on cluster's
// primary, in the order of names.
func TablesOn(ctx context.Context, open Opener, schema, cluster string, names []string) ([]string, error) {
	db, err := open(cluster)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		have[strings.ToLower(name)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, name := range names {
		if have[strings.ToLower(name)] {
			out = append(out, name)
		}
	}
	return out, nil
}

func tableExists(ctx context.Context, db *sql.DB, schema, table string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", schema, table).Scan(&n)
	return n > 0, err
}

// PrecreateAll runs Precreate for every date-sharded table of layout, for
// periods periods from now (periods < 1: the current one and the table's
// ahead, as configured).
// AllPeriods as the number of periods creates every missing period table
// from the table's since: through the current period plus ahead, for a
// date table put behind Strata with history.
const AllPeriods = -1

func PrecreateAll(ctx context.Context, layout *shard.Layout, open Opener, schema string, now time.Time, periods int) ([]PeriodTable, error) {
	var out []PeriodTable
	var errs []error
	for _, t := range layout.Tables() {
		d, ok := t.Method.(*shard.Date)
		if !ok || t.Placement != shard.PlaceSharded {
			continue
		}
		n := periods
		if n < 1 && n != AllPeriods {
			n = d.Ahead() + 1
		}
		got, err := Precreate(ctx, open, schema, d, t.Name, now, n)
		out = append(out, got...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}
