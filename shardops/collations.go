package shardops

import (
	"context"
	"database/sql"
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
//
// members holds the members of the ENUM and SET columns among them, in
// their definition's order, keyed the same way: a server sorts such a
// column by its member's number (a SET by its bits), not by its text.
//
// names holds every column's name, text or not, by table (both lower
// case): an INSERT ... SELECT's ON DUPLICATE KEY UPDATE resolves a bare
// column name among its tables as one server does.
func TextCollations(ctx context.Context, open Opener, schema string, clusters []string, tables []*shard.Table) (collations map[string]string, members map[string][]string, names map[string]map[string]bool, err error) {
	collations, members, names = map[string]string{}, map[string][]string{}, map[string]map[string]bool{}
	if len(tables) == 0 {
		return collations, members, names, nil
	}
	var errs []error
	where, args := tableFilter(schema, tables)
	for _, cluster := range clusters {
		if err := readCollations(ctx, open, cluster, where, args, collations, members, names); err != nil {
			errs = append(errs, fmt.Errorf("the column collations on %s: %w", cluster, err))
		}
	}
	return collations, members, names, errors.Join(errs...)
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

func readCollations(ctx context.Context, open Opener, cluster, where string, args []any, into map[string]string, members map[string][]string, names map[string]map[string]bool) error {
	db, err := open(cluster)
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE "+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, column, columnType string
		var collation sql.NullString
		if err := rows.Scan(&table, &column, &collation, &columnType); err != nil {
			return err
		}
		table, column = strings.ToLower(table), strings.ToLower(column)
		if names[table] == nil {
			names[table] = map[string]bool{}
		}
		names[table][column] = true
		if !collation.Valid {
			continue // not a text column
		}
		key := table + "." + column
		into[key] = collation.String
		if m, ok := EnumMembers(columnType); ok {
			members[key] = m
		}
	}
	return rows.Err()
}

// EnumMembers reads the members of an ENUM or SET column type as
// information_schema.COLUMNS.COLUMN_TYPE writes it: enum('a','b'),
// each quote inside a member doubled; in order; ok is false for any
// other type.
func EnumMembers(columnType string) (members []string, ok bool) {
	lower := strings.ToLower(columnType)
	var rest string
	switch {
	case strings.HasPrefix(lower, "enum("):
		rest = columnType[len("enum("):]
	case strings.HasPrefix(lower, "set("):
		rest = columnType[len("set("):]
	default:
		return nil, false
	}
	members = []string{}
	for {
		if !strings.HasPrefix(rest, "'") {
			return nil, false
		}
		var b strings.Builder
		i := 1
		for ; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return nil, false
		}
		members = append(members, b.String())
		rest = rest[i+1:]
		switch {
		case strings.HasPrefix(rest, ","):
			rest = rest[1:]
		case rest == ")":
			return members, true
		default:
			return nil, false
		}
	}
}
