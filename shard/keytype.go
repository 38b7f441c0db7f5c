package shard

import (
	"maps"
	"strings"
)

// KeyType is the SQL type of a sharded table's key column, as far as
// routing cares. MariaDB compares a quoted value with an integer column
// as a number ('042' finds 42) and with a text column as text ('042' is
// not '42'), so a value whose text and number differ can be routed only
// once the column's type is known; until then it is not routed by
// (reads scatter, writes are refused).
type KeyType uint8

// Key types.
const (
	KeyTypeUnknown KeyType = iota // not learned yet (the server was not asked, or did not answer)
	KeyTypeInteger                // TINYINT ... BIGINT
	KeyTypeText                   // CHAR, VARCHAR, TEXT, BINARY, VARBINARY
	KeyTypeOther                  // dates, decimals, ...: routed as before
	// KeyTypeUUID and KeyTypeINET6 are MariaDB's UUID and INET6: a
	// value is placed by the text the server writes it as (FixedKeyText),
	// since the server reads 'AAAA…', 'aaaa…' and the digits without
	// dashes as one UUID, '0:0::1' and '::1' as one address.
	KeyTypeUUID
	KeyTypeINET6
)

func (k KeyType) String() string {
	return [...]string{"unknown", "integer", "text", "other", "uuid", "inet6"}[k]
}

// KeyTypeOf maps information_schema.COLUMNS.DATA_TYPE to a KeyType.
func KeyTypeOf(dataType string) KeyType {
	switch strings.ToLower(dataType) {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return KeyTypeInteger
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "binary", "varbinary":
		return KeyTypeText
	case "uuid":
		return KeyTypeUUID
	case "inet6":
		return KeyTypeINET6
	}
	return KeyTypeOther
}

// KeyColumn is what Strata learns of a sharded table's key column from a
// shard's server.
type KeyColumn struct {
	Type KeyType
	// Collation is a text key's collation ("" for other types).
	Collation string
	// Limit is what the key column holds (its COLUMN_TYPE).
	Limit KeyLimit
	// AutoIncrement, LocalAutoIncrement and ClockColumns: the Table's,
	// read with the type.
	AutoIncrement      string
	LocalAutoIncrement string
	ClockColumns       bool
	UniqueDefaults     map[string]string
	UniqueColumns      map[string]UniqueColumn
	KeyIsPrimary       bool
	// ClockDefault: the key column's default is the statement's time,
	// as its COLUMN_DEFAULT writes it (current_timestamp(), or with
	// fraction digits); "" otherwise.
	ClockDefault string
	// OnUpdateClock: the key column is ON UPDATE CURRENT_TIMESTAMP, so
	// the server gives each row an UPDATE changes a new key, the
	// statement's time, which Strata did not place the row by.
	OnUpdateClock bool
	// Generated: the key column is generated from other columns (AS
	// (...) STORED or VIRTUAL), so an UPDATE of those gives rows a new
	// key the server computes.
	Generated bool
	// StoredAlone is what the key column stores where a row gives it no
	// value, or a NULL.
	StoredAlone StoredAlone
}

// StoredAlone is what a key column stores where a row gives it no key:
// Default, the column's default where it is a constant (as an SQL
// literal: 7, 'eu'); "" for none, NULL or an expression. NotNull and
// Zero, the type's zero as an SQL literal (0, X'0000', the empty text) where the
// column is NOT NULL and not a TIMESTAMP (which stores the statement's
// clock for a NULL): MariaDB stores that zero for a NULL, or for a
// left-out column without a default, where it does not refuse the row
// (INSERT IGNORE, a non-strict sql_mode), and refuses it (1048, 1364)
// where it does. A row placed by that zero lands where one server's
// table would hold it, and its shard refuses it as one server would.
type StoredAlone struct {
	Default string
	// ExprDefault: the column's default is an expression (uuid(),
	// current_timestamp()), which the server evaluates for a row that
	// leaves the column out: Strata does not know that key.
	ExprDefault bool
	// Expr is that expression where it reads no column nor state of the
	// session (uuid(), the clock): Strata evaluates it first, once per
	// row, and writes the row with its value (session.withInsertKeyValues).
	Expr    string
	NotNull bool
	Zero    string
}

// UniqueColumn is what Strata learns of a column of a table's unique:
// keys beside its default: where a write gives it no value it can hold,
// MariaDB stores the type's zero value (Zero) instead of failing the
// write: a NULL in a NOT NULL column under INSERT IGNORE, a non-strict
// sql_mode or LOAD DATA LOCAL (which ignores such errors), a NOT NULL
// column without a default that a non-strict INSERT leaves out, a LOAD
// DATA row too short to have the column's field. A check of the value
// must read that zero, or two shards each keep one.
type UniqueColumn struct {
	// Type is the column's type as far as comparing it with a value
	// goes: an integer or a text column's equality with a value of its
	// own kind matches what its unique key keeps apart, so its value
	// names one row (Locations).
	Type    KeyType
	NotNull bool
	// Zero is the value as an SQL literal ('', 0, '0000-00-00',
	// X'0000'), ZeroShown as a duplicate's error shows it. "" where
	// Strata does not compute it (a type it does not know).
	Zero, ZeroShown string
	// Clock: a TIMESTAMP NOT NULL, which stores the statement's clock
	// where a write gives it NULL (INSERT, UPDATE, a LOAD DATA field \N)
	// or a LOAD DATA row is too short to have its field, in any
	// sql_mode (MariaDB 10.11); the zero only where an INSERT leaves it
	// out. Strata does not know that clock's value as the shard stores it.
	Clock bool
}

// FoldsCase reports whether a collation matches texts that differ in case
// or accents as one value ('Zoe' = 'zoe' = 'zoé'): the _ci
// (case-insensitive) and _ai (accent-insensitive) ones. Strata places a
// text key by its bytes, so with such a key column a read spelled unlike
// the stored key is routed to another shard than the row's.
func FoldsCase(collation string) bool {
	c := strings.ToLower(collation)
	return strings.Contains(c, "_ci") || strings.Contains(c, "_ai")
}

// KeyColumn is what was learned of t's columns, as WithKeyTypes gave it.
func (t *Table) KeyColumn() KeyColumn {
	return KeyColumn{Type: t.KeyType, Collation: t.KeyCollation, Limit: t.KeyLimit, AutoIncrement: t.AutoIncrement,
		LocalAutoIncrement: t.LocalAutoIncrement, ClockColumns: t.ClockColumns,
		UniqueDefaults: t.UniqueDefaults, UniqueColumns: t.UniqueColumns, KeyIsPrimary: t.KeyIsPrimary, ClockDefault: t.KeyClockDefault,
		OnUpdateClock: t.KeyOnUpdateClock, Generated: t.KeyGenerated, StoredAlone: t.KeyStoredAlone}
}

// Equal reports whether k and o say the same of a table.
func (k KeyColumn) Equal(o KeyColumn) bool {
	return k.Type == o.Type && k.Collation == o.Collation && k.Limit == o.Limit && k.AutoIncrement == o.AutoIncrement &&
		k.LocalAutoIncrement == o.LocalAutoIncrement && k.ClockColumns == o.ClockColumns && maps.Equal(k.UniqueDefaults, o.UniqueDefaults) &&
		maps.Equal(k.UniqueColumns, o.UniqueColumns) && k.KeyIsPrimary == o.KeyIsPrimary && k.ClockDefault == o.ClockDefault &&
		k.OnUpdateClock == o.OnUpdateClock && k.Generated == o.Generated && k.StoredAlone == o.StoredAlone
}

// WithKeyTypes returns a copy of l whose sharded tables have the key
// columns given by table name; tables not in types keep theirs.
func (l *Layout) WithKeyTypes(types map[string]KeyColumn) *Layout {
	if l == nil {
		return nil
	}
	out := &Layout{defaultCluster: l.defaultCluster, byName: make(map[string]*Table, len(l.byName)), shardClusters: l.shardClusters, moving: l.moving}
	for _, t := range l.sorted {
		c := *t
		if k, ok := types[t.Name]; ok && t.Placement == PlaceSharded {
			c.KeyType, c.KeyCollation, c.KeyLimit, c.ClockColumns = k.Type, k.Collation, k.Limit, k.ClockColumns
			c.AutoIncrement, c.LocalAutoIncrement = k.AutoIncrement, k.LocalAutoIncrement
			c.UniqueDefaults, c.UniqueColumns, c.KeyIsPrimary = k.UniqueDefaults, k.UniqueColumns, k.KeyIsPrimary
			c.KeyClockDefault, c.KeyOnUpdateClock, c.KeyStoredAlone = k.ClockDefault, k.OnUpdateClock, k.StoredAlone
			c.KeyGenerated = k.Generated
		}
		out.byName[c.Name] = &c
		out.sorted = append(out.sorted, &c)
	}
	return out
}

// UnknownKeyTypes lists the sharded tables whose key type is not known.
func (l *Layout) UnknownKeyTypes() []*Table {
	var out []*Table
	for _, t := range l.Tables() {
		if t.Placement == PlaceSharded && t.KeyType == KeyTypeUnknown {
			out = append(out, t)
		}
	}
	return out
}
