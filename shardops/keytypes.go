package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/shard"
)

// KeyTypes reads, from the first shard of each sharded table whose key
// type is not known yet, the type of its key column in schema. Tables the
// shard does not answer for (down, or the table not created yet) are left
// out, with the failures joined, so a later call can try them again.
func KeyTypes(ctx context.Context, layout *shard.Layout, open Opener, schema string) (map[string]shard.KeyColumn, error) {
	out := map[string]shard.KeyColumn{}
	var errs []error
	for _, t := range layout.UnknownKeyTypes() {
		kt, err := KeyColumnOf(ctx, open, schema, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("the key type of %s: %w", t.Name, err))
			continue
		}
		out[t.Name] = kt
	}
	return out, errors.Join(errs...)
}

// KeyColumnOf reads what Strata learns of t's columns from its first
// shard: the key column's type and collation, the AUTO_INCREMENT column,
// the time columns and the defaults of the unique: columns.
func KeyColumnOf(ctx context.Context, open Opener, schema string, t *shard.Table) (shard.KeyColumn, error) {
	db, err := open(t.Method.Shards()[0])
	if err != nil {
		return shard.KeyColumn{}, err
	}
	var dataType string
	var collation sql.NullString
	err = db.QueryRowContext(ctx, "SELECT DATA_TYPE, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
		schema, t.Name, t.Method.Key()).Scan(&dataType, &collation)
	if errors.Is(err, sql.ErrNoRows) {
		return shard.KeyColumn{}, fmt.Errorf("no column %s.%s.%s on shard %s yet", schema, t.Name, t.Method.Key(), t.Method.Shards()[0])
	}
	if err != nil {
		return shard.KeyColumn{}, err
	}
	kc := shard.KeyColumn{Type: shard.KeyTypeOf(dataType), Collation: collation.String}
	if kc.AutoIncrement, err = autoIncrementColumn(ctx, db, schema, t); err != nil {
		return kc, err
	}
	if kc.LocalAutoIncrement, err = localAutoIncrement(ctx, open, schema, t, kc.AutoIncrement); err != nil {
		return kc, err
	}
	if kc.ClockColumns, err = clockColumns(ctx, db, schema, t); err != nil {
		return kc, err
	}
	kc.UniqueDefaults, err = uniqueDefaults(ctx, db, schema, t)
	return kc, err
}

// uniqueDefaults are the defaults of the columns of t's unique: keys
// that have one, by lower-case column name, as COLUMN_DEFAULT writes
// them: a row that leaves such a column out takes it, and Strata checks
// that value as a given one.
func uniqueDefaults(ctx context.Context, db *sql.DB, schema string, t *shard.Table) (map[string]string, error) {
	if len(t.Unique) == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, "SELECT LOWER(COLUMN_NAME), COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_DEFAULT IS NOT NULL",
		schema, t.Name)
	if err != nil {
		return nil, fmt.Errorf("reading the column defaults of %s: %w", t.Name, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var col, def string
		if err := rows.Scan(&col, &def); err != nil {
			return nil, fmt.Errorf("reading the column defaults of %s: %w", t.Name, err)
		}
		if slices.ContainsFunc(t.Unique, func(key []string) bool { return slices.Contains(key, col) }) {
			out[col] = def
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the column defaults of %s: %w", t.Name, err)
	}
	return out, nil
}

// clockColumns reports whether t has a column the server fills with the
// statement's time: DEFAULT CURRENT_TIMESTAMP or ON UPDATE
// CURRENT_TIMESTAMP (MariaDB writes current_timestamp(), MySQL
// CURRENT_TIMESTAMP).
func clockColumns(ctx context.Context, db *sql.DB, schema string, t *shard.Table) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "+
		"AND (COLUMN_DEFAULT LIKE 'current_timestamp%' OR EXTRA LIKE '%on update current_timestamp%')", schema, t.Name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading the time columns of %s: %w", t.Name, err)
	}
	return n > 0, nil
}

// autoIncrementColumn is t's AUTO_INCREMENT column, "" when it has none.
func autoIncrementColumn(ctx context.Context, db *sql.DB, schema string, t *shard.Table) (string, error) {
	var column string
	err := db.QueryRowContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'",
		schema, t.Name).Scan(&column)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the AUTO_INCREMENT column of %s: %w", t.Name, err)
	}
	return column, nil
}

// localAutoIncrement is t's AUTO_INCREMENT column (column) where a unique
// key without the shard key holds it (ShardLocalKeys): each shard numbers
// its rows on its own, so two would give the same id. "" when there is
// none.
func localAutoIncrement(ctx context.Context, open Opener, schema string, t *shard.Table, column string) (string, error) {
	if column == "" {
		return "", nil
	}
	keys, err := UniqueKeys(ctx, open, t.Method.Shards()[0], schema, t.Name)
	if err != nil {
		return "", err
	}
	// A unique: check reads the values a write gives, not the ones each
	// shard numbers itself.
	for _, k := range perShardKeys(t, keys) {
		if slices.ContainsFunc(k.Columns, func(c string) bool { return strings.EqualFold(c, column) }) {
			return column, nil
		}
	}
	return "", nil
}
