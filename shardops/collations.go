package shardops

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// TextCollations reads the collation of every text column of schema on
// each of clusters, keyed "table.column" in lower case. A server reports
// every text column of a result in the connection's collation, while it
// sorts, groups and de-duplicates by the column's own: Strata needs the
// latter to merge the shards' rows as one server would. Clusters that do
// not answer are left out, with the failures joined.
func TextCollations(ctx context.Context, open Opener, schema string, clusters []string) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, cluster := range clusters {
		if err := readCollations(ctx, open, schema, cluster, out); err != nil {
			errs = append(errs, fmt.Errorf("the column collations on %s: %w", cluster, err))
		}
	}
	return out, errors.Join(errs...)
}

func readCollations(ctx context.Context, open Opener, schema, cluster string, into map[string]string) error {
	db, err := open(cluster)
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLLATION_NAME IS NOT NULL", schema)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, column, collation string
		if err := rows.Scan(&table, &column, &collation); err != nil {
			return err
		}
		into[strings.ToLower(table)+"."+strings.ToLower(column)] = collation
	}
	return rows.Err()
}
