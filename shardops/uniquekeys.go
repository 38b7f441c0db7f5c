package shardops

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/shard"
)

// A unique key (the primary key or a UNIQUE index) of a sharded table
// that does not hold the shard key is enforced by each shard on its own
// rows: `comments` sharded by entry_id, with PRIMARY KEY (id), takes a
// row of an id another shard holds, where one server refuses it (1062) or
// updates the row there (ON DUPLICATE KEY UPDATE). Strata tells the
// operator, so the ids come from a sequence or a key that holds the
// shard key, rather than find two rows of one id later.

// UniqueKey is one unique index of a table: its name and columns, in
// index order.
type UniqueKey struct {
	Name    string
	Columns []string
}

// String is the key as the log and GET /api/tables show it: "PRIMARY
// (id)", "uniq_slug (site_id, slug)".
func (k UniqueKey) String() string {
	return k.Name + " (" + strings.Join(k.Columns, ", ") + ")"
}

// ShardLocalKeys lists the unique keys of t that each shard enforces
// only on its own rows: those without the shard key column. A key of
// the sequence's column alone is left out: the ids Strata hands out are
// unique across shards (a client that writes its own ids is not); so is
// one of a column of unique:, which Strata checks across the shards.
func ShardLocalKeys(t *shard.Table, keys []UniqueKey) []UniqueKey {
	var out []UniqueKey
	for _, k := range perShardKeys(t, keys) {
		// A key of unique: is checked across the shards.
		if !slices.ContainsFunc(t.Unique, func(u []string) bool { return sameColumns(u, k.Columns) }) {
			out = append(out, k)
		}
	}
	return out
}

// sameColumns reports whether two keys have the same columns, in any
// order and case.
func sameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, c := range a {
		if !slices.ContainsFunc(b, func(d string) bool { return strings.EqualFold(c, d) }) {
			return false
		}
	}
	return true
}

// perShardKeys are t's unique keys that hold neither its shard key nor
// its sequence column alone: each shard's server enforces them on its own
// rows (checked across shards or not).
func perShardKeys(t *shard.Table, keys []UniqueKey) []UniqueKey {
	if t == nil || t.Placement != shard.PlaceSharded {
		return nil
	}
	var out []UniqueKey
	for _, k := range keys {
		holdsKey := slices.ContainsFunc(k.Columns, func(c string) bool { return strings.EqualFold(c, t.Method.Key()) })
		bySequence := t.Sequence != nil && len(k.Columns) == 1 && strings.EqualFold(k.Columns[0], t.Sequence.Column)
		if !holdsKey && !bySequence {
			out = append(out, k)
		}
	}
	return out
}

// UniqueKeys reads the unique indexes of table in schema on shard (the
// base table of a date table), the primary key first.
func UniqueKeys(ctx context.Context, open Opener, shardName, schema, table string) ([]UniqueKey, error) {
	db, err := open(shardName)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 "+
		"ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX", schema, table)
	if err != nil {
		return nil, fmt.Errorf("reading the unique keys of %s on %s: %w", table, shardName, err)
	}
	defer rows.Close()
	var out []UniqueKey
	for rows.Next() {
		var name, col string
		if err := rows.Scan(&name, &col); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].Name == name {
			out[n-1].Columns = append(out[n-1].Columns, col)
		} else {
			out = append(out, UniqueKey{Name: name, Columns: []string{col}})
		}
	}
	return out, rows.Err()
}
