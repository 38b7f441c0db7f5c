package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/strata-proxy/strata/shard"
)

// PlacementReport is what one shard's table (a period table of a date
// table) holds against the layout: rows whose shard key another shard, or
// another period table, owns are misplaced, and Strata would not find
// them by their key. For a reference table it compares the copies.
type PlacementReport struct {
	Table string `json:"table"`
	Shard string `json:"shard"`
	// Physical is the table read: a period table of a date table, or the
	// table itself.
	Physical  string `json:"physical"`
	Rows      int64  `json:"rows"`
	Misplaced int64  `json:"misplaced"`
	// Examples are up to the asked number of misplaced rows' keys, with
	// where they belong.
	Examples []MisplacedRow `json:"examples,omitempty"`
	// Checksum is a reference table's CHECKSUM TABLE on this cluster;
	// Differs is set on every copy when they are not all equal.
	Checksum *int64 `json:"checksum,omitempty"`
	Differs  bool   `json:"differs,omitempty"`
	// Duplicates (a report of Shard "(every shard)" about a unique key
	// each shard enforces alone): how many of the key's values more than
	// one shard (or period table) holds, with up to the asked number of
	// them and where; Rows is then the key's distinct values. NotChecked
	// says why a key was not compared.
	Duplicates int64    `json:"duplicates,omitempty"`
	Duplicated []string `json:"duplicated,omitempty"`
	NotChecked string   `json:"not_checked,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// MisplacedRow is one row on the wrong shard or period table.
type MisplacedRow struct {
	Key string `json:"key"`
	// Belongs is the shard (and period table) its key routes to, or why
	// it routes nowhere (a NULL key, no lookup entry).
	Belongs string `json:"belongs"`
}

// Verify reads the shard key of every row of every sharded table of
// layout (only table, when not empty) on each of its shards, and checks
// that the layout places the row there; for each unique key without the
// shard key it finds the values several shards hold (duplicateReports);
// it compares the copies of
// reference tables with CHECKSUM TABLE. It reads whole tables: run it when
// moving a hand-sharded application behind Strata, after changing a
// layout, or after writing to shards directly. A shard that cannot be read
// has Error set; the others are still reported.
func Verify(ctx context.Context, layout *shard.Layout, open Opener, schema, table string, examples int) []PlacementReport {
	out := []PlacementReport{}
	for _, t := range layout.Tables() {
		if table != "" && !strings.EqualFold(t.Name, table) {
			continue
		}
		switch t.Placement {
		case shard.PlaceSharded:
			for _, p := range physicalTables(t) {
				rep := PlacementReport{Table: t.Name, Shard: p.Shard, Physical: p.Table}
				if err := verifyTable(ctx, open, schema, t, &rep, examples); err != nil {
					rep.Error = err.Error()
				}
				out = append(out, rep)
			}
			out = append(out, duplicateReports(ctx, open, schema, t, examples)...)
		case shard.PlaceReference:
			out = append(out, compareCopies(ctx, open, schema, layout, t)...)
		}
	}
	return out
}

// physicalTables lists where t's rows may be: every shard's table, or
// for a date table every period table from since to the ones ahead.
func physicalTables(t *shard.Table) []shard.DateTable {
	if d, ok := t.Method.(*shard.Date); ok {
		return d.DateTables(shard.Bound{}, shard.Bound{})
	}
	var out []shard.DateTable
	for _, s := range t.Method.Shards() {
		out = append(out, shard.DateTable{Table: t.Name, Shard: s})
	}
	return out
}

func verifyTable(ctx context.Context, open Opener, schema string, t *shard.Table, rep *PlacementReport, examples int) error {
	db, err := open(rep.Shard)
	if err != nil {
		return err
	}
	if ok, err := tableExists(ctx, db, schema, rep.Physical); err != nil || !ok {
		if err == nil && t.Method.Name() != "date" {
			err = fmt.Errorf("no table %s.%s on this shard", schema, rep.Physical)
		}
		return err // a period table not created yet holds no rows
	}
	// The key as text, and whether the column is a string: the same text
	// routes as a number or as a string by the column's type.
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s", quoteIdent(t.Method.Key()), qualified(schema, rep.Physical)))
	if err != nil {
		return err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	quoted := !numericColumn(types[0].DatabaseTypeName())
	for rows.Next() {
		var key sql.NullString
		if err := rows.Scan(&key); err != nil {
			return err
		}
		rep.Rows++
		belongs, ok := placeOf(ctx, t, key, quoted, rep)
		if ok {
			continue
		}
		rep.Misplaced++
		if len(rep.Examples) < examples {
			rep.Examples = append(rep.Examples, MisplacedRow{Key: key.String, Belongs: belongs})
		}
	}
	return rows.Err()
}

// placeOf says where a stored key belongs, and whether that is rep's shard
// and physical table.
func placeOf(ctx context.Context, t *shard.Table, key sql.NullString, quoted bool, rep *PlacementReport) (string, bool) {
	v, owner, err := keyOwner(ctx, t, key, quoted)
	if err != nil {
		return "nowhere: " + err.Error(), false
	}
	if p, ok := t.Method.(shard.Periodic); ok {
		if table := p.PeriodTable(v); table != rep.Physical {
			return owner + " (" + table + ")", false
		}
	}
	return owner, owner == rep.Shard
}

// ownerOf is the shard a stored key belongs to.
func ownerOf(ctx context.Context, t *shard.Table, key sql.NullString, quoted bool) (string, error) {
	_, owner, err := keyOwner(ctx, t, key, quoted)
	return owner, err
}

// keyOwner reads a stored key (its text, quoted when the column is not
// numeric, so it routes as MariaDB compares it) and finds its shard.
func keyOwner(ctx context.Context, t *shard.Table, key sql.NullString, quoted bool) (shard.Value, string, error) {
	if !key.Valid {
		return shard.Value{}, "", errors.New("the key is NULL")
	}
	lit := key.String
	if quoted {
		lit = "'" + strings.ReplaceAll(strings.ReplaceAll(lit, `\`, `\\`), "'", "''") + "'"
	}
	v, err := shard.ParseLiteral(lit)
	if err != nil {
		return v, "", err
	}
	owner, err := t.Method.ShardForContext(ctx, v)
	if errors.Is(err, shard.ErrNotFound) {
		return v, "", errors.New("no lookup entry")
	}
	return v, owner, err
}

func numericColumn(dbType string) bool {
	switch strings.TrimPrefix(strings.ToUpper(dbType), "UNSIGNED ") {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "DECIMAL", "YEAR", "BIT":
		return true
	}
	return false
}

// compareCopies checksums a reference table on each of its clusters.
func compareCopies(ctx context.Context, open Opener, schema string, layout *shard.Layout, t *shard.Table) []PlacementReport {
	var out []PlacementReport
	var first *int64
	differs := false
	for _, cluster := range layout.ShardClusters() {
		rep := PlacementReport{Table: t.Name, Shard: cluster, Physical: t.Name}
		if err := checksum(ctx, open, schema, &rep); err != nil {
			rep.Error = err.Error()
		} else if first == nil {
			first = rep.Checksum
		} else if *first != *rep.Checksum {
			differs = true
		}
		out = append(out, rep)
	}
	for i := range out {
		out[i].Differs = differs
	}
	return out
}

func checksum(ctx context.Context, open Opener, schema string, rep *PlacementReport) error {
	db, err := open(rep.Shard)
	if err != nil {
		return err
	}
	var name string
	var sum sql.NullInt64
	if err := db.QueryRowContext(ctx, "CHECKSUM TABLE "+qualified(schema, rep.Physical)+" EXTENDED").Scan(&name, &sum); err != nil {
		return err
	}
	if !sum.Valid {
		return fmt.Errorf("no table %s.%s on this cluster", schema, rep.Physical)
	}
	rep.Checksum = &sum.Int64
	return db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+qualified(schema, rep.Physical)).Scan(&rep.Rows)
}
