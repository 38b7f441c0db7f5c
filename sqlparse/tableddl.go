package sqlparse

import (
	"fmt"
)

// A date-sharded table is many tables: its base table on every shard
// (the template of new periods) and one table per period. A schema change
// of the table must reach each of them, so Strata runs the statement once
// per table with the period table's name in place of the base table's.
// The client's text is kept byte for byte around the name: MariaDB reads
// exactly what it was sent, options the parser does not know included.

// TableDDL is a schema change of one table whose name Strata can replace:
// ALTER TABLE t ..., CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX i ON t ...,
// DROP INDEX i ON t, TRUNCATE [TABLE] t; and CREATE TABLE t ... and DROP
// TABLE t, which make or remove a date table's period tables too.
type TableDDL struct {
	sql string
	// Table is the table's name as written, without its schema.
	Table string
	// Creates: CREATE TABLE; Drops: DROP TABLE.
	Creates, Drops bool
	// name is where the table's own name (not its schema) is in sql, and
	// schema where its schema qualifier ("blog.") starts.
	schema, start, end int
}

// For is the statement on table name instead (in the same schema, when
// the statement names one).
func (d *TableDDL) For(name string) string {
	return d.sql[:d.start] + QuoteIdentifier(name) + d.sql[d.end:]
}

// CreateLike is CREATE TABLE IF NOT EXISTS name LIKE the statement's
// table, in the statement's schema.
func (d *TableDDL) CreateLike(name string) string {
	schema := d.sql[d.schema:d.start]
	return "CREATE TABLE IF NOT EXISTS " + schema + QuoteIdentifier(name) + " LIKE " + schema + QuoteIdentifier(d.Table)
}

// ParseTableDDL finds the table of a schema change Strata can run on each
// table of a date-sharded table, or says why it cannot.
func (m Mode) ParseTableDDL(sql string) (*TableDDL, error) {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	first := sc.nextCode()
	switch {
	case sc.isWord(first, "ALTER"):
		if !skipWords(&sc, "ONLINE", "IGNORE") || !sc.isWord(sc.nextCode(), "TABLE") {
			return nil, errTableDDL
		}
		if err := notRename(sql); err != nil {
			return nil, err
		}
		return tableAfter(&sc, sql, "IF", "EXISTS")
	case sc.isWord(first, "TRUNCATE"):
		sc2 := sc
		if !sc.isWord(sc.nextCode(), "TABLE") {
			sc = sc2
		}
		return tableAfter(&sc, sql)
	case sc.isWord(first, "CREATE") || sc.isWord(first, "DROP"):
		if d, err, ok := tableStatement(&sc, sql, sc.isWord(first, "CREATE")); ok {
			return d, err
		}
		// ... INDEX name ON table: the table follows the first ON.
		for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
			if t.kind == tokPunct {
				return nil, errTableDDL // CREATE TABLE t (...), DROP TABLE a, b
			}
			if sc.isWord(t, "TABLE") || sc.isWord(t, "VIEW") || sc.isWord(t, "DATABASE") || sc.isWord(t, "SCHEMA") {
				return nil, errTableDDL
			}
			if sc.isWord(t, "ON") {
				return tableAfter(&sc, sql)
			}
		}
	}
	return nil, errTableDDL
}

// tableStatement reads CREATE TABLE [IF NOT EXISTS] t ... and DROP TABLE
// [IF EXISTS] t; ok is false for any other CREATE or DROP (the scanner
// is then back after the first word).
func tableStatement(sc *scanner, sql string, create bool) (d *TableDDL, err error, ok bool) {
	save := *sc
	if !sc.isWord(sc.nextCode(), "TABLE") {
		*sc = save
		return nil, nil, false
	}
	opt := []string{"IF", "EXISTS"}
	if create {
		opt = []string{"IF", "NOT", "EXISTS"}
	}
	if d, err = tableAfter(sc, sql, opt...); err != nil {
		return nil, err, true
	}
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		switch {
		case !create && t.kind == tokPunct && sc.text(t) != ";":
			return nil, fmt.Errorf("sqlparse: DROP TABLE of several tables"), true
		case create && sc.isWord(t, "SELECT"):
			return nil, fmt.Errorf("sqlparse: CREATE TABLE ... SELECT would put rows in the base table, which holds none"), true
		}
	}
	d.Creates, d.Drops = create, !create
	return d, nil, true
}

// ParseLoadTable finds the table of a LOAD DATA statement (INTO TABLE t),
// so that Strata can load a date table's rows into each period table.
func (m Mode) ParseLoadTable(sql string) (*TableDDL, error) {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		if sc.isWord(t, "INTO") {
			if !sc.isWord(sc.nextCode(), "TABLE") {
				break
			}
			return tableAfter(&sc, sql)
		}
	}
	return nil, fmt.Errorf("sqlparse: no INTO TABLE in this LOAD DATA")
}

// errTableDDL: a schema change Strata does not run per period table.
var errTableDDL = fmt.Errorf("sqlparse: Strata runs ALTER TABLE, CREATE INDEX ... ON, DROP INDEX ... ON and TRUNCATE TABLE on each period table of a date table; not this statement")

// skipWords skips any of the optional keywords words; it reports false at
// the end of the text.
func skipWords(sc *scanner, words ...string) bool {
	for {
		save := *sc
		t := sc.nextCode()
		if t.kind == tokEOF {
			return false
		}
		matched := false
		for _, w := range words {
			matched = matched || sc.isWord(t, w)
		}
		if !matched {
			*sc = save
			return true
		}
	}
}

// tableAfter reads, after the optional keywords opt, a table name
// ([schema.]name) and records where its own name is.
func tableAfter(sc *scanner, sql string, opt ...string) (*TableDDL, error) {
	save := *sc
	for _, w := range opt {
		if !sc.isWord(sc.nextCode(), w) {
			*sc = save
			break
		}
	}
	name := sc.nextCode()
	if name.kind != tokWord && name.kind != tokQuoted {
		return nil, errTableDDL
	}
	schema := name.start
	save = *sc
	if dot := sc.nextCode(); dot.kind == tokPunct && sc.text(dot) == "." {
		name = sc.nextCode()
		if name.kind != tokWord && name.kind != tokQuoted {
			return nil, errTableDDL
		}
	} else {
		*sc = save
	}
	table := sc.text(name)
	if name.kind == tokQuoted {
		table = quotedBody(table)
	}
	return &TableDDL{sql: sql, Table: table, schema: schema, start: name.start, end: name.end}, nil
}

// notRename refuses an ALTER TABLE that renames the table: a period
// table renamed away would no longer be found.
func notRename(sql string) error {
	sc := newScanner(sql)
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		if sc.isWord(t, "RENAME") {
			next := sc.nextCode()
			if !sc.isWord(next, "COLUMN") && !sc.isWord(next, "INDEX") && !sc.isWord(next, "KEY") {
				return fmt.Errorf("sqlparse: an ALTER TABLE that renames a date table: its period tables keep its name; rename each on every shard by hand, and the table in Strata's config")
			}
		}
	}
	return nil
}
