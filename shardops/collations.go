package shardops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/strata-proxy/strata/shard"
)

// TextCollations reads the collation of every text column of tables in
// schema on each of clusters, keyed "table.column" in lower case; a table
// of the date method is read in its period tables (posts_2024_06).
// Only the tables Strata merges are read: information_schema.COLUMNS
// opens every table it lists, which costs a server with many tables. A server reports
// every text column of a result in the connection's collation, while it
// sorts, groups and de-duplicates by the column's own: Strata needs the
// latter to merge the shards' rows as one server would. Clusters that do
// not answer are left out, with the failures joined.
func TextCollations(ctx context.Context, open Opener, schema string, clusters []string, tables []*shard.Table) (map[string]string, error) {
	out := map[string]string{}
	if len(tables) == 0 {
		return out, nil
	}
	var errs []error
	where, args := tableFilter(schema, tables)
	for _, cluster := range clusters {
		if err := readCollations(ctx, open, cluster, where, args, out); err != nil {
			errs = append(errs, fmt.Errorf("the column collations on %s: %w", cluster, err))
		}
	}
	return out, errors.Join(errs...)
}

// tableFilter is the WHERE clause selecting tables' text columns.
func tableFilter(schema string, tables []*shard.Table) (string, []any) {
	args := []any{schema}
	var names []string
	for _, t := range tables {
		if t.Placement == shard.PlaceSharded && t.Method.Name() == shard.MethodDate {
			names = append(names, "TABLE_NAME LIKE ?")
			args = append(args, strings.ReplaceAll(t.Name, "_", `\_`)+`\_%`)
			continue
		}
		names = append(names, "TABLE_NAME = ?")
		args = append(args, t.Name)
	}
	return "TABLE_SCHEMA = ? AND COLLATION_NAME IS NOT NULL AND (" + strings.Join(names, " OR ") + ")", args
}

func readCollations(ctx context.Context, open Opener, cluster, where string, args []any, into map[string]string) error {
	db, err := open(cluster)
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE "+where, args...)
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
