package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
		kt, err := keyType(ctx, open, schema, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("the key type of %s: %w", t.Name, err))
			continue
		}
		out[t.Name] = kt
	}
	return out, errors.Join(errs...)
}

func keyType(ctx context.Context, open Opener, schema string, t *shard.Table) (shard.KeyColumn, error) {
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
	return shard.KeyColumn{Type: shard.KeyTypeOf(dataType), Collation: collation.String}, nil
}
