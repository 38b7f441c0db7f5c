package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/strata-proxy/strata/shard"
)

// ReadColumns reads the columns of tables in schema on each of clusters
// (shard.Columns); a table of the date method is read in its period
// tables (posts_2024_06). Only the tables Strata merges are read:
// information_schema.COLUMNS opens every table it lists, which costs a
// server with many tables. Clusters that do not answer are left out,
// with the failures joined.
func ReadColumns(ctx context.Context, open Opener, schema string, clusters []string, tables []*shard.Table) (shard.Columns, error) {
	c := shard.Columns{Collations: map[string]string{}, Members: map[string][]string{}, Names: map[string]map[string]bool{}, Primary: map[string][]string{}, Order: map[string][]string{}}
	if len(tables) == 0 {
		return c, nil
	}
	var errs []error
	where, args := tableFilter(schema, tables)
	for _, cluster := range clusters {
		if err := readMergedColumns(ctx, open, cluster, where, args, c); err != nil {
			errs = append(errs, fmt.Errorf("the columns on %s: %w", cluster, err))
		}
	}
	return c, errors.Join(errs...)
}

// tableFilter is the WHERE clause selecting tables' columns.
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
	return "TABLE_SCHEMA = ? AND (" + strings.Join(names, " OR ") + ")", args
}

func readMergedColumns(ctx context.Context, open Opener, cluster, where string, args []any, into shard.Columns) error {
	db, err := open(cluster)
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME, COLUMN_TYPE, EXTRA FROM information_schema.COLUMNS WHERE "+where+" ORDER BY TABLE_NAME, ORDINAL_POSITION", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	order := map[string][]string{}
	for rows.Next() {
		var table, column, columnType, extra string
		var collation sql.NullString
		if err := rows.Scan(&table, &column, &collation, &columnType, &extra); err != nil {
			return err
		}
		table, column = strings.ToLower(table), strings.ToLower(column)
		if into.Names[table] == nil {
			into.Names[table] = map[string]bool{}
		}
		into.Names[table][column] = true
		if !strings.Contains(strings.ToUpper(extra), "INVISIBLE") {
			order[table] = append(order[table], column)
		}
		if !collation.Valid {
			continue // not a text column
		}
		key := table + "." + column
		into.Collations[key] = collation.String
		if m, ok := shard.EnumMembers(columnType); ok {
			into.Members[key] = m
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for table, columns := range order { // a table read on an earlier cluster keeps its order
		if _, ok := into.Order[table]; !ok {
			into.Order[table] = columns
		}
	}
	return readPrimaryKeys(ctx, db, where, args, into.Primary)
}

// readPrimaryKeys adds the primary key columns of the tables where
// selects, in the key's order, to into (a table read on an earlier
// cluster keeps what was read there).
func readPrimaryKeys(ctx context.Context, db *sql.DB, where string, args []any, into map[string][]string) error {
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE INDEX_NAME = 'PRIMARY' AND "+where+" ORDER BY TABLE_NAME, SEQ_IN_INDEX", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	read := map[string][]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return err
		}
		table = strings.ToLower(table)
		read[table] = append(read[table], strings.ToLower(column))
	}
	for table, key := range read {
		if _, ok := into[table]; !ok {
			into[table] = key
		}
	}
	return rows.Err()
}
