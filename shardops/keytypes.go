package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// KeyTypes reads, from the first shard of each of tables (the sharded
// tables whose key type is not known yet), the type of its key column in
// schema. Tables the shard does not answer for (down, or the table not
// created yet) are left out, with the failures joined, so a later call
// can try them again.
func KeyTypes(ctx context.Context, tables []*shard.Table, open Opener, schema string) (map[string]shard.KeyColumn, error) {
	out := map[string]shard.KeyColumn{}
	var errs []error
	for _, t := range tables {
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
	var dataType, columnType, extra string
	var collation, columnDefault sql.NullString
	var notNull bool
	var octets, scale, precision sql.NullInt64
	err = db.QueryRowContext(ctx, "SELECT DATA_TYPE, COLUMN_TYPE, COLLATION_NAME, COLUMN_DEFAULT, EXTRA, IS_NULLABLE = 'NO', "+
		"CHARACTER_OCTET_LENGTH, NUMERIC_SCALE, DATETIME_PRECISION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
		schema, t.Name, t.Method.Key()).Scan(&dataType, &columnType, &collation, &columnDefault, &extra, &notNull, &octets, &scale, &precision)
	if errors.Is(err, sql.ErrNoRows) {
		return shard.KeyColumn{}, fmt.Errorf("no column %s.%s.%s on shard %s yet", schema, t.Name, t.Method.Key(), t.Method.Shards()[0])
	}
	if err != nil {
		return shard.KeyColumn{}, err
	}
	kc := shard.KeyColumn{Type: shard.KeyTypeOf(dataType), Collation: collation.String, Limit: shard.KeyLimitOf(columnType)}
	if clockDefault.MatchString(columnDefault.String) {
		kc.ClockDefault = columnDefault.String
	}
	kc.OnUpdateClock = strings.Contains(strings.ToLower(extra), "on update current_timestamp")
	// A generated key is the server's to compute, from other columns.
	if kc.Generated = strings.Contains(strings.ToLower(extra), "generated"); !kc.Generated {
		kc.StoredAlone = storedAlone(dataType, columnDefault, notNull, int(octets.Int64), int(scale.Int64), int(precision.Int64))
	}
	if kc.AutoIncrement, err = autoIncrementColumn(ctx, db, schema, t); err != nil {
		return kc, err
	}
	if kc.LocalAutoIncrement, err = localAutoIncrement(ctx, open, schema, t, kc.AutoIncrement); err != nil {
		return kc, err
	}
	if kc.ClockColumns, err = clockColumns(ctx, db, schema, t); err != nil {
		return kc, err
	}
	if kc.UniqueDefaults, kc.UniqueColumns, err = uniqueColumns(ctx, db, schema, t); err != nil || len(t.Unique) == 0 {
		return kc, err
	}
	kc.KeyIsPrimary, err = keyIsPrimary(ctx, open, schema, t)
	return kc, err
}

// storedAlone is what a key column of type dataType, with COLUMN_DEFAULT
// def, stores where a row gives it no key (shard.StoredAlone).
func storedAlone(dataType string, def sql.NullString, notNull bool, octets, scale, precision int) shard.StoredAlone {
	var out shard.StoredAlone
	switch {
	case !def.Valid || strings.EqualFold(def.String, "NULL"):
	case constantDefault(def.String):
		out.Default = def.String
	default:
		out.ExprDefault = true
		if (sqlparse.Mode{}).EvaluableAlone(def.String) {
			out.Expr = def.String
		}
	}
	if notNull && !strings.EqualFold(dataType, "timestamp") {
		out.NotNull = true
		out.Zero, _ = zeroValue(dataType, octets, scale, precision)
	}
	return out
}

// constantDefault reports whether a COLUMN_DEFAULT is a constant: a
// number, or a quoted text (not NULL, not an expression such as uuid()).
func constantDefault(def string) bool {
	return numericLiteral.MatchString(def) || len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\''
}

// numericLiteral matches a number as COLUMN_DEFAULT writes it.
var numericLiteral = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$`)

// clockDefault matches a COLUMN_DEFAULT that is the statement's time.
var clockDefault = regexp.MustCompile(`(?i)^current_timestamp(\(\d*\))?$`)

// keyIsPrimary reports whether t's primary key is its shard key alone.
func keyIsPrimary(ctx context.Context, open Opener, schema string, t *shard.Table) (bool, error) {
	keys, err := UniqueKeys(ctx, open, t.Method.Shards()[0], schema, t.Name)
	if err != nil {
		return false, err
	}
	for _, k := range keys {
		if k.Name == "PRIMARY" {
			return len(k.Columns) == 1 && strings.EqualFold(k.Columns[0], t.Method.Key()), nil
		}
	}
	return false, nil
}

// uniqueColumns reads the columns of t's unique: keys: the defaults of
// those that have one, by lower-case column name, as COLUMN_DEFAULT
// writes them (a row that leaves such a column out takes it, and Strata
// checks that value as a given one), and what the server stores where a
// write gives a column no value it can hold (shard.UniqueColumn).
func uniqueColumns(ctx context.Context, db *sql.DB, schema string, t *shard.Table) (map[string]string, map[string]shard.UniqueColumn, error) {
	if len(t.Unique) == 0 {
		return nil, nil, nil
	}
	rows, err := db.QueryContext(ctx, "SELECT LOWER(COLUMN_NAME), COLUMN_DEFAULT, IS_NULLABLE = 'NO', DATA_TYPE, "+
		"CHARACTER_OCTET_LENGTH, NUMERIC_SCALE, DATETIME_PRECISION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		schema, t.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the unique: columns of %s: %w", t.Name, err)
	}
	defer rows.Close()
	defaults, columns := map[string]string{}, map[string]shard.UniqueColumn{}
	for rows.Next() {
		var col, dataType string
		var def sql.NullString
		var notNull bool
		var octets, scale, precision sql.NullInt64
		if err := rows.Scan(&col, &def, &notNull, &dataType, &octets, &scale, &precision); err != nil {
			return nil, nil, fmt.Errorf("reading the unique: columns of %s: %w", t.Name, err)
		}
		if !slices.ContainsFunc(t.Unique, func(key []string) bool { return slices.Contains(key, col) }) {
			continue
		}
		if def.Valid {
			defaults[col] = def.String
		}
		c := shard.UniqueColumn{Type: shard.KeyTypeOf(dataType), NotNull: notNull, Clock: notNull && strings.EqualFold(dataType, "timestamp")}
		c.Zero, c.ZeroShown = zeroValue(dataType, int(octets.Int64), int(scale.Int64), int(precision.Int64))
		columns[col] = c
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the unique: columns of %s: %w", t.Name, err)
	}
	return defaults, columns, nil
}

// zeroValue is the value MariaDB stores in a column of type dataType
// where a write gives it none it can hold (shard.UniqueColumn), as an
// SQL literal and as a duplicate's error shows it: octets is a BINARY's
// length, scale a DECIMAL's and precision a time's fraction digits. ""
// for types Strata does not know. (A TIMESTAMP's zero is stored only
// where an INSERT leaves the column out: UniqueColumn.Clock.)
func zeroValue(dataType string, octets, scale, precision int) (literal, shown string) {
	fraction := func(digits int) string {
		if digits <= 0 {
			return ""
		}
		return "." + strings.Repeat("0", digits)
	}
	quoted := func(v string) (string, string) { return "'" + v + "'", v }
	switch strings.ToLower(dataType) {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json",
		"varbinary", "tinyblob", "blob", "mediumblob", "longblob", "enum", "set":
		return "''", ""
	case "binary":
		if octets <= 0 {
			return "", ""
		}
		return "X'" + strings.Repeat("00", octets) + "'", `\x00`
	case "bit":
		return "0", `\x00`
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "float", "double":
		return "0", "0"
	case "decimal":
		return "0", "0" + fraction(scale)
	case "year":
		return "0", "0000"
	case "date":
		return quoted("0000-00-00")
	case "datetime", "timestamp":
		return quoted("0000-00-00 00:00:00" + fraction(precision))
	case "time":
		return quoted("00:00:00" + fraction(precision))
	case "uuid":
		return quoted("00000000-0000-0000-0000-000000000000")
	case "inet6":
		return quoted("::")
	case "inet4":
		return quoted("0.0.0.0")
	}
	return "", ""
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
