package shardops

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/strata-proxy/strata/shard"
)

// CapacityReport is how full the open-ended last range of one
// range-sharded table is, measured against the previous range's size
// (shard.Range.Capacity).
type CapacityReport struct {
	Table string `json:"table"`
	// Shard holds the last range, which starts at LastRangeStart.
	Shard          string `json:"shard"`
	LastRangeStart int64  `json:"last_range_start"`
	// MaxKey is the largest shard key stored there; nil when it is empty.
	MaxKey *int64 `json:"max_key"`
	// Fraction is the share of the previous range's size already used
	// (may exceed 1); Warn is set when it reached WarnAt.
	Fraction float64 `json:"fraction"`
	WarnAt   float64 `json:"warn_at"`
	Warn     bool    `json:"warn"`
	// Error says why the table could not be measured.
	Error string `json:"error,omitempty"`
}

// RangeTables reports whether layout has a range-sharded table, the only
// kind Capacity measures.
func RangeTables(layout *shard.Layout) bool {
	for _, t := range layout.Tables() {
		if _, ok := t.Method.(*shard.Range); ok && t.Placement == shard.PlaceSharded {
			return true
		}
	}
	return false
}

// Capacity measures every range-sharded table of layout with
// SELECT MAX(key) FROM schema.table on the shard of its last range. A table
// that cannot be measured (a single range, a shard down) has Error set; the
// others are still reported.
func Capacity(ctx context.Context, layout *shard.Layout, open Opener, schema string) []CapacityReport {
	out := []CapacityReport{}
	for _, t := range layout.Tables() {
		r, ok := t.Method.(*shard.Range)
		if !ok || t.Placement != shard.PlaceSharded {
			continue
		}
		shardName, start := r.Last()
		rep := CapacityReport{Table: t.Name, Shard: shardName, LastRangeStart: start, WarnAt: t.CapacityWarn}
		if rep.WarnAt <= 0 {
			rep.WarnAt = 0.8
		}
		if err := measure(ctx, &rep, r, open, schema); err != nil {
			rep.Error = err.Error()
		}
		out = append(out, rep)
	}
	return out
}

func measure(ctx context.Context, rep *CapacityReport, r *shard.Range, open Opener, schema string) error {
	if len(r.Shards()) < 2 {
		return fmt.Errorf("table %s has one range: nothing to compare its growth with", rep.Table)
	}
	db, err := open(rep.Shard)
	if err != nil {
		return err
	}
	var maxKey sql.NullInt64
	q := fmt.Sprintf("SELECT MAX(%s) FROM %s", quoteIdent(r.Key()), qualified(schema, rep.Table))
	if err := db.QueryRowContext(ctx, q).Scan(&maxKey); err != nil {
		return err
	}
	if !maxKey.Valid {
		return nil
	}
	rep.MaxKey = &maxKey.Int64
	rep.Fraction, rep.Warn, err = r.Capacity(maxKey.Int64, rep.WarnAt)
	return err
}
