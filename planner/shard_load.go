package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// LoadPlan says how the file of a LOAD DATA LOCAL INFILE is split: each
// row goes, unchanged, to the shard its key names (Sharding.RowShard), or
// to every shard cluster for a reference table.
type LoadPlan struct {
	Table *shard.Table
	Spec  *sqlparse.LoadData
	// KeyColumn is the shard key, lower-cased; "" for a reference table.
	KeyColumn string
	// KeyField is the key's position in the statement's column list; -1
	// when the statement has no list, and the table's own column order
	// decides (the executor reads it from a shard).
	KeyField int
	// Periods: a date table, whose rows go to period tables; each route
	// loads one (its Tables[0]), and a row goes to its period's route.
	Periods *shard.Date
	// ClockKey: every row's key is this expression of the statement's
	// time (SET at = NOW(), or the key column's DEFAULT
	// CURRENT_TIMESTAMP). The session reads it first, keeps the one
	// route that owns it, sends it every row, and runs it at that time
	// (Session.clockKeyLoad). "" otherwise.
	ClockKey string
	// Numbered is the AUTO_INCREMENT column a row must not leave to the
	// shard it reaches (numberedColumn), "" when there is none;
	// NumberedField its position in the column list (-1: the table's
	// own order decides, as for KeyField). NumbersZero: the session's
	// sql_mode numbers a 0 there, as NULL (sqlparse.Mode.NumbersZero).
	Numbered      string
	NumberedField int
	NumbersZero   bool
	// Unique are the keys of the table's unique: whose every column the
	// file fills: the load checks the values of its rows as an INSERT's
	// (shard_unique.go), by UniqueTable and UniqueKey, the table as the
	// statement names it and its shard key, quoted.
	Unique                 []LoadUnique
	UniqueTable, UniqueKey string
}

// LoadUnique is a key of unique: a LOAD DATA file fills: its columns and
// the fields that fill them (-1: the table's own order decides, as for
// KeyField). Defaults, where the statement leaves a column of the key
// out, hold that column's default as an SQL literal (and Shown as a
// duplicate's error shows it); "" for the columns the file fills, nil
// when it fills them all. IfNull and IfShort, per column, are what a row
// holds where its field is \N (or its @variable's field is, or is
// missing) and where the row is too short to have the column's field.
type LoadUnique struct {
	Columns         []string
	Fields          []int
	Defaults, Shown []string
	IfNull, IfShort []Stored
}

// safeLoadCharsets are the file character sets whose bytes never hide an
// ASCII terminator, quote or escape inside a multi-byte character, so rows
// can be cut without decoding them.
var safeLoadCharsets = []string{"", "utf8", "utf8mb3", "utf8mb4", "latin1", "ascii", "binary"}

// planLoad plans LOAD DATA into a sharded or reference table: a route per
// shard cluster, each given the rows it owns (for a date table, a route
// per period table).
func (s *Sharding) planLoad(ctx context.Context, l *shard.Layout, m sqlparse.Mode, sql string, f *sqlparse.Facts, t *shard.Table) (*ShardPlan, error) {
	spec := f.Load
	switch {
	case spec == nil:
		return nil, refuse("LOAD DATA into %s: Strata could not read the statement's options to split its file between shards; load each shard directly, or send the rows as INSERT ... VALUES", t.Name)
	case !spec.Local:
		return nil, refuse("LOAD DATA INFILE into %s reads a file on one server; Strata splits a file between shards only when the client sends it: use LOAD DATA LOCAL INFILE", t.Name)
	case spec.Unsupported != "":
		return nil, refuse("LOAD DATA into %s: %s", t.Name, spec.Unsupported)
	case !slices.Contains(safeLoadCharsets, spec.Charset):
		return nil, refuse("LOAD DATA into %s: Strata splits files in utf8mb4, utf8, latin1, ascii or binary between shards, not %s", t.Name, spec.Charset)
	}
	if err := spec.Format.Validate(); err != nil {
		return nil, refuse("LOAD DATA into %s: %v; Strata cannot split such a file between shards", t.Name, err)
	}
	lp := &LoadPlan{Table: t, Spec: spec, KeyField: -1, NumberedField: -1}
	p := &ShardPlan{Kind: PlanLoad, Write: true, Load: lp}
	if t.Placement == shard.PlaceReference {
		p.Reason = "LOAD DATA into reference table " + t.Name + ": every row goes to every shard cluster"
		p.Copies = true
		for _, c := range l.ShardClusters() {
			p.Routes = append(p.Routes, ShardRoute{Cluster: c, SQL: sql, Tables: []string{t.Name}})
		}
		return p, nil
	}
	if err := loadUniqueKeys(p, f, t); err != nil {
		return nil, err
	}
	lp.KeyColumn = strings.ToLower(t.Method.Key())
	keyLeftOut, clockKey := false, ""
	if i := slices.Index(spec.SetColumns, lp.KeyColumn); i >= 0 {
		// SET id = @id passes a field through unchanged: it is the key.
		// SET at = NOW() gives every row the statement's time. Any other
		// expression makes a key Strata cannot read in the file.
		lp.KeyField = slices.Index(spec.Columns, spec.SetFromVar[i])
		switch {
		case spec.SetFromVar[i] != "" && lp.KeyField >= 0:
		case i < len(spec.SetClock) && spec.SetClock[i] != "":
			clockKey = spec.SetClock[i]
		default:
			return nil, refuse("LOAD DATA into %s sets %s, its shard key, in its SET clause from an expression; Strata routes each row by the key as the file holds it: load the key column straight from the file (or SET %[2]s = @variable of the column list, or an expression of the clock alone such as NOW())", t.Name, lp.KeyColumn)
		}
	} else if spec.Columns != nil {
		lp.KeyField = slices.Index(spec.Columns, lp.KeyColumn)
		keyLeftOut = lp.KeyField < 0
	}
	if col := strings.ToLower(t.LocalAutoIncrement); col != "" && (t.Sequence == nil || !strings.EqualFold(t.Sequence.Column, col)) &&
		spec.Columns != nil && !slices.Contains(spec.Columns, col) {
		return nil, refuse("LOAD DATA into %[1]s: its column list does not name %[2]s, which each shard's AUTO_INCREMENT would number on its own: two shards would give the same %[2]s, which a unique key of %[1]s holds unique on one server. Give the ids in the file, or configure a sequence for %[2]s and send the rows as INSERT ... VALUES", t.Name, col)
	}
	if seq := t.Sequence; seq != nil && spec.Columns != nil && !slices.Contains(spec.Columns, strings.ToLower(seq.Column)) {
		return nil, refuse("LOAD DATA into %s: its column list does not name %s, which Strata fills from sequence %s on INSERT; give the ids in the file, or send the rows as INSERT ... VALUES", t.Name, seq.Column, seq.Name)
	}
	if lp.Numbered = numberedColumn(t); lp.Numbered != "" {
		lp.NumberedField, lp.NumbersZero = slices.Index(spec.Columns, lp.Numbered), m.NumbersZero()
		if lp.Numbered == lp.KeyColumn {
			lp.NumberedField = lp.KeyField
		}
	}
	if keyLeftOut && t.KeyClockDefault != "" {
		clockKey = t.KeyClockDefault // DEFAULT CURRENT_TIMESTAMP: the statement's time
	}
	if clockKey != "" {
		return s.planClockLoad(ctx, m, p, clockKey, sql)
	}
	if keyLeftOut {
		return s.planKeylessLoad(ctx, p, sql)
	}
	if d, ok := t.Method.(*shard.Date); ok {
		return s.planPeriodLoad(ctx, m, p, d, sql)
	}
	p.Reason = "LOAD DATA LOCAL into " + t.Name + ": each row goes to the shard of its " + lp.KeyColumn
	for _, sh := range t.Method.Shards() {
		p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: sql, Tables: []string{t.Name}})
	}
	return p, nil
}

// loadUniqueKeys gives a LOAD DATA into t the keys of t's unique: its
// file fills, which it checks as an INSERT's values. A key whose column
// the statement leaves to its default is not checked (as an INSERT's); one
// it sets from an expression is refused: Strata could not read the value.
func loadUniqueKeys(p *ShardPlan, f *sqlparse.Facts, t *shard.Table) error {
	lp, spec := p.Load, p.Load.Spec
	for _, key := range t.Unique {
		u := LoadUnique{Columns: key}
		for j, col := range key {
			field, ifNull, ifShort := -1, nullStored(t, col), shortStored(t, col)
			if i := slices.Index(spec.SetColumns, col); i >= 0 {
				if field = slices.Index(spec.Columns, spec.SetFromVar[i]); spec.SetFromVar[i] == "" || field < 0 {
					return refuse("LOAD DATA into %s sets %s in its SET clause from an expression: Strata keeps (%s) unique across the shards (unique: in its config) and must read each row's value; load the column straight from the file", t.Name, col, strings.Join(key, ", "))
				}
				ifShort = ifNull // a variable without its field is NULL
			} else if spec.Columns != nil && !slices.Contains(spec.Columns, col) {
				def, err := columnDefault(t, key, col)
				if err != nil {
					return err
				}
				if def.Null {
					u.Fields = nil
					break // a NULL repeats: nothing to check
				}
				if u.Defaults == nil {
					u.Defaults, u.Shown = make([]string, len(key)), make([]string, len(key))
				}
				u.Defaults[j], u.Shown[j] = def.Literal, def.Shown
			} else if spec.Columns != nil {
				field = slices.Index(spec.Columns, col)
			}
			u.Fields = append(u.Fields, field)
			u.IfNull, u.IfShort = append(u.IfNull, ifNull), append(u.IfShort, ifShort)
		}
		if u.Fields != nil {
			lp.Unique = append(lp.Unique, u)
		}
	}
	if len(lp.Unique) == 0 || len(f.WriteTables) == 0 {
		return nil
	}
	ref := f.WriteTables[0]
	lp.UniqueTable, lp.UniqueKey = sqlparse.QuoteIdentifier(ref.Name), sqlparse.QuoteIdentifier(t.Method.Key())
	if ref.Schema != "" {
		lp.UniqueTable = sqlparse.QuoteIdentifier(ref.Schema) + "." + lp.UniqueTable
	}
	// LOAD DATA LOCAL without REPLACE skips a duplicate row with a
	// warning, as IGNORE does: the server cannot stop the client's file
	// half-way (the parser reads it as IGNORE).
	if p.UniqueRefusal = "LOAD DATA LOCAL would skip the row with a warning"; spec.Replace {
		p.UniqueRefusal = "REPLACE would delete that row"
	}
	return nil
}

// numberedColumn is t's AUTO_INCREMENT column where a row that leaves it
// to the server (\N, or 0 where sql_mode numbers it) would be wrong on a
// shard: it is the shard key (the row would sit where its number does
// not belong), each shard numbers it for a unique key alone
// (LocalAutoIncrement), or a sequence hands it out. "" for none.
func numberedColumn(t *shard.Table) string {
	col := strings.ToLower(t.AutoIncrement)
	switch {
	case col == "":
		return ""
	case col == strings.ToLower(t.Method.Key()), strings.EqualFold(t.LocalAutoIncrement, col),
		t.Sequence != nil && strings.EqualFold(t.Sequence.Column, col):
		return col
	}
	return ""
}

// planKeylessLoad plans a LOAD DATA whose column list leaves the shard key
// out: every row stores the key column's default (or its type's zero,
// KeyStoredAlone), so the whole file goes to the shard that owns that
// key. Refused where Strata cannot tell that key, and where the rows
// would need a look each (a unique: key to check, an AUTO_INCREMENT
// column a row could leave to that shard).
func (s *Sharding) planKeylessLoad(ctx context.Context, p *ShardPlan, sql string) (*ShardPlan, error) {
	lp, t := p.Load, p.Load.Table
	v, ok := KeyStoredAlone(t, false)
	if !ok || len(lp.Unique) > 0 || lp.Numbered != "" {
		return nil, refuse("LOAD DATA into %s: its column list does not name %s, the shard key; Strata needs the key in the file to route each row (or a constant default of the key column, which every row would store)", t.Name, lp.KeyColumn)
	}
	sh, err := s.RowShard(ctx, t, v)
	if err != nil {
		return nil, refuse("LOAD DATA into %s: its rows store %s = %s, the key column's default, which places them on no shard: %v", t.Name, lp.KeyColumn, v, err)
	}
	p.Reason = fmt.Sprintf("LOAD DATA LOCAL into %s without %s: every row stores %s, on %s", t.Name, lp.KeyColumn, v, sh)
	lp.KeyColumn = "" // every row goes to the one route
	p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: sql, Tables: []string{t.Name}})
	return p, nil
}

// planClockLoad plans a LOAD DATA whose rows all take the statement's
// time as their key (SET at = NOW(), or the key left to its DEFAULT
// CURRENT_TIMESTAMP): a route per shard, or per period table, of which
// the session keeps the one that owns the time it reads first
// (LoadPlan.ClockKey), and runs it at that time.
func (s *Sharding) planClockLoad(ctx context.Context, m sqlparse.Mode, p *ShardPlan, clock, sql string) (*ShardPlan, error) {
	lp, t := p.Load, p.Load.Table
	if len(lp.Unique) > 0 || lp.Numbered != "" {
		return nil, refuse("LOAD DATA into %s gives %s, its shard key, the statement's time (%s); Strata loads such a file on the shard of that time only where the rows need no look each (no unique: keys, no AUTO_INCREMENT column a row could leave to the shard): load the key from the file", t.Name, lp.KeyColumn, clock)
	}
	lp.ClockKey = clock
	if d, ok := t.Method.(*shard.Date); ok {
		p, err := s.planPeriodLoad(ctx, m, p, d, sql)
		if err == nil {
			p.Reason = "LOAD DATA LOCAL into " + t.Name + ": every row's " + lp.KeyColumn + " is " + clock + ", read first: its period table alone"
		}
		return p, err
	}
	p.Reason = "LOAD DATA LOCAL into " + t.Name + ": every row's " + lp.KeyColumn + " is " + clock + ", read first: its shard alone"
	for _, sh := range t.Method.Shards() {
		p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: sql, Tables: []string{t.Name}})
	}
	return p, nil
}

// planPeriodLoad gives a LOAD DATA into a date table a route per period
// table that exists on the shard owning its period: each loads the rows
// of its period, the statement naming it in the table's place.
func (s *Sharding) planPeriodLoad(ctx context.Context, m sqlparse.Mode, p *ShardPlan, d *shard.Date, sql string) (*ShardPlan, error) {
	t := p.Load.Table
	load, err := m.ParseLoadTable(sql)
	if err != nil || !strings.EqualFold(load.Table, t.Name) || s.TablesOn == nil {
		return nil, refuse("LOAD DATA into %s: the table keeps one table per period, and Strata could not name them in this statement; send the rows as INSERT ... VALUES", t.Name)
	}
	byShard := map[string][]shard.DateTable{}
	var shards []string
	for _, dt := range d.DateTables(shard.Bound{Kind: shard.Unbounded}, shard.Bound{Kind: shard.Unbounded}) {
		if byShard[dt.Shard] == nil {
			shards = append(shards, dt.Shard)
		}
		byShard[dt.Shard] = append(byShard[dt.Shard], dt)
	}
	for _, sh := range shards {
		names := make([]string, len(byShard[sh]))
		for i, dt := range byShard[sh] {
			names[i] = dt.Table
		}
		existing, err := s.TablesOn(ctx, sh, names)
		if err != nil {
			return nil, fmt.Errorf("listing the period tables of %s on %s: %w", t.Name, sh, err)
		}
		for _, name := range existing {
			p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: load.For(name), Tables: []string{name}})
		}
	}
	if len(p.Routes) == 0 {
		return nil, refuse("LOAD DATA into %s: none of its period tables exists; create them (strata shards precreate -all)", t.Name)
	}
	p.Load.Periods = d
	p.Reason = "LOAD DATA LOCAL into " + t.Name + ": each row goes to the period table of its " + p.Load.KeyColumn + ", on the shard that owns it"
	return p, nil
}

// RowShard returns the shard that owns a row of t with shard key v; a
// lookup table's unknown key is placed (and recorded) as an INSERT's is.
func (s *Sharding) RowShard(ctx context.Context, t *shard.Table, v shard.Value) (string, error) {
	sh, err := t.Method.ShardForContext(ctx, v)
	if errors.Is(err, shard.ErrNotFound) && s.Assign != nil {
		sh, err = s.Assign(ctx, t, v)
	}
	return sh, err
}
