package planner

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// A unique key of a sharded table that does not hold the shard key is
// enforced by each shard on its own rows only: a second row with a value
// another shard holds goes in beside it. For the columns a table lists in
// unique: Strata checks every value a write gives them, after the write
// and in its transaction: each shard reads the shard keys of its rows of
// the value with a locking read (SELECT ... FOR UPDATE), and rows of more
// than one key are a duplicate, which rolls the write back. (Rows of one
// key on two shards are one row an online rebalance is moving.) The locking read takes
// the shard's unique index entry or the gap where the value would go, so
// another write of the value there waits until this one ends and then
// sees it; two writes that each wait for the other on different servers
// are a deadlock across servers, which Strata's detector breaks.

// UniqueCheck is one value a write gives a key of Table kept unique
// across its shards: a column, or several unique together.
type UniqueCheck struct {
	Table   string   // the table as the statement names it, quoted
	Key     string   // its shard key, quoted
	Columns []string // lower-case
	Values  []string // SQL literals, one per column
	// Shown are the values as a duplicate's error shows them, where they
	// are not the literals' text (a LOAD DATA file's fields).
	Shown []string
	// Shards are the shards an INSERT or REPLACE writes rows with the
	// value to (ShardPlan.UniqueFirst), or the one a LOAD DATA row with
	// it went to; nil for other writes.
	Shards []string
	// Writes are those rows: each one's shard, and its shard key as an
	// SQL literal ("" where the statement does not give it).
	Writes []RowWrite
	// row is the INSERT row the value is of, -1 for an UPDATE's; key
	// its shard key.
	row int
	key string
}

// Name is the unique key as MariaDB names an unnamed one: its first
// column.
func (c UniqueCheck) Name() string { return c.Columns[0] }

// Entry is the value as MariaDB's duplicate-entry error shows it: the
// columns' values joined by '-'.
func (c UniqueCheck) Entry() string {
	if c.Shown != nil {
		return strings.Join(c.Shown, "-")
	}
	vals := make([]string, len(c.Values))
	for i, v := range c.Values {
		vals[i] = shownValue(v)
	}
	return strings.Join(vals, "-")
}

// shownValue is a literal's value as a duplicate-entry error shows it: a
// string's text, an integer's digits without the leading zeros a bound
// value is written with (session's integerParam: 00000000000000000001 is
// 1), a DATE '...' or TIMESTAMP '...' literal's text.
func shownValue(lit string) string {
	if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	for _, typed := range []string{"DATE ", "TIMESTAMP ", "TIME "} {
		if rest, ok := strings.CutPrefix(lit, typed); ok && strings.HasPrefix(rest, "'") {
			lit = rest
			break
		}
	}
	return strings.Trim(lit, "'")
}

// RowWrite is a row an INSERT writes: its shard and shard key.
type RowWrite struct{ Shard, Key string }

// KeysOn are the distinct keys of c's rows written to shard.
func (c UniqueCheck) KeysOn(shard string) []string {
	var keys []string
	for _, w := range c.Writes {
		if w.Shard == shard && !slices.Contains(keys, w.Key) {
			keys = append(keys, w.Key)
		}
	}
	return keys
}

// KeysQuery counts the rows of keys, c's rows' keys on one shard
// (KeysOn), that the shard holds (UpsertsByKey).
func KeysQuery(c UniqueCheck, keys []string) string {
	return "SELECT COUNT(*) FROM " + c.Table + " WHERE " + c.Key + " IN (" + strings.Join(keys, ", ") + ")"
}

// UniqueQuery is the locking read of checks on one shard: the rows of
// each check's value, as the check's index in checks and the row's shard
// key, in one round trip.
func UniqueQuery(checks []UniqueCheck) string {
	parts := make([]string, len(checks))
	for i, c := range checks {
		conds := make([]string, len(c.Columns))
		for j, col := range c.Columns {
			conds[j] = sqlparse.QuoteIdentifier(col) + " = " + c.Values[j]
		}
		parts[i] = "(SELECT " + strconv.Itoa(i) + ", " + c.Key + " FROM " + c.Table + " WHERE " + strings.Join(conds, " AND ") + " FOR UPDATE)"
	}
	return strings.Join(parts, " UNION ALL ")
}

// uniqueChecks adds to p, a write of table t (the statement's lead
// table), the checks of the values it gives t's unique: keys, and a
// route on every other shard of t to run them on. IGNORE, REPLACE and ON
// DUPLICATE KEY UPDATE would treat another shard's row of the value as
// one server treats a duplicate (skip, replace or update it), which
// Strata cannot do: p.UniqueRefusal says so, and such a duplicate is
// refused instead.
func uniqueChecks(p *ShardPlan, st *sqlparse.ShardStmt, lead int, t *shard.Table, args []string) error {
	if len(t.Unique) == 0 {
		return nil
	}
	values, err := uniqueValues(st, t, args)
	if err != nil || len(values) == 0 {
		return err
	}
	ref := st.Uses[lead].Ref
	name := sqlparse.QuoteIdentifier(ref.Name)
	if ref.Schema != "" {
		name = sqlparse.QuoteIdentifier(ref.Schema) + "." + name
	}
	seen := map[string]int{}
	for _, v := range values {
		v.Table, v.Key = name, sqlparse.QuoteIdentifier(t.Method.Key())
		id := fmt.Sprint(v.Columns, v.Values)
		i, ok := seen[id]
		if !ok {
			i, seen[id] = len(p.Unique), len(p.Unique)
			p.Unique = append(p.Unique, v)
		}
		sh := rowShard(p, v.row)
		if sh != "" && !slices.Contains(p.Unique[i].Shards, sh) {
			p.Unique[i].Shards = append(p.Unique[i].Shards, sh)
		}
		if v.row >= 0 {
			p.Unique[i].Writes = append(p.Unique[i].Writes, RowWrite{Shard: sh, Key: v.key})
		}
	}
	switch {
	case st.Ignore:
		p.UniqueRefusal = "IGNORE would skip the row"
	case st.Kind == sqlparse.KindReplace:
		p.UniqueRefusal, p.UniqueFirst = "REPLACE would delete that row", true
	case st.Insert != nil && len(st.Assigns) > 0:
		p.UniqueRefusal, p.UniqueFirst = "ON DUPLICATE KEY UPDATE would update that row", true
		p.UpsertsByKey = t.KeyIsPrimary
	}
	for _, sh := range t.Method.Shards() {
		if !slices.ContainsFunc(p.Routes, func(r ShardRoute) bool { return r.Cluster == sh }) {
			p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: UniqueQuery(p.Unique), Tables: []string{t.Name}, CheckOnly: true})
		}
	}
	if p.Kind == PlanRelay {
		p.Kind = PlanWrite
		p.Routes[0].Template = ""
	}
	p.Reason += "; " + strings.Join(uniqueKeys(p.Unique), ", ") + " checked unique on every shard"
	return nil
}

// rowShard is the shard p writes INSERT row i to ("" for an UPDATE's
// value, i -1): the route whose InsertRows hold it, or the one route.
func rowShard(p *ShardPlan, i int) string {
	if i < 0 {
		return ""
	}
	var only string
	for _, r := range p.Routes {
		switch {
		case r.CheckOnly:
		case slices.Contains(r.InsertRows, i):
			return r.Cluster
		case r.InsertRows == nil && only == "":
			only = r.Cluster
		}
	}
	return only
}

// uniqueValues are the values an INSERT's rows, or an UPDATE's SET, give
// t's unique: keys. A column the INSERT leaves out, or given DEFAULT,
// takes its default (columnDefault). A value with a NULL, which a unique
// key lets repeat, is left out, but for a NULL in a NOT NULL column,
// which holds its zero (nullStored). A value Strata cannot read (an
// expression) is refused: it could not be checked; so is an UPDATE that
// sets part of a key, whose other columns' values it does not know.
func uniqueValues(st *sqlparse.ShardStmt, t *shard.Table, args []string) ([]UniqueCheck, error) {
	var out []UniqueCheck
	add := func(cols []string, ops []sqlparse.Operand, row int) error {
		c := UniqueCheck{Columns: cols, row: row}
		if ins := st.Insert; row >= 0 && ins.KeyCol >= 0 && ins.KeyCol < len(ins.Rows[row]) {
			key := ins.Rows[row][ins.KeyCol]
			if c.key = key.Literal; key.Param > 0 && key.Param <= len(args) {
				c.key = args[key.Param-1]
			}
		}
		var shown []string
		for i, o := range ops {
			text, show := o.Literal, ""
			if o.Param > 0 && o.Param <= len(args) {
				text = args[o.Param-1]
			}
			if o.Default && (o.DefaultOf == "" || o.DefaultOf == cols[i]) {
				def, err := columnDefault(t, cols, cols[i])
				if err != nil || def.Null {
					return err
				}
				text, show = def.Literal, def.Shown
			}
			switch {
			case text == "":
				return refuse("Strata keeps %s (%s) unique across shards (unique: in its config) and checks each value written to it, so it must read the value of %s: write it as a literal or a bound value, not an expression", t.Name, strings.Join(cols, ", "), cols[i])
			case isNull(o, args):
				// A NULL that a NOT NULL column cannot hold is
				// stored as its zero, where the server stores the
				// row at all, or a TIMESTAMP's as the clock.
				stored := nullStored(t, cols[i])
				switch {
				case stored.Null:
					return nil
				case !stored.Known() && !t.UniqueColumns[cols[i]].Clock:
					return nil // a type whose zero Strata does not know
				case !stored.Known():
					return refuse("Strata keeps %s (%s) unique across shards (unique: in its config) and checks each value written to it, but %s is given NULL, where the server stores a value Strata cannot check against the other shards (the statement's clock, for a TIMESTAMP NOT NULL): give %[3]s its value", t.Name, strings.Join(cols, ", "), cols[i])
				}
				text, show = stored.Literal, stored.Shown
			}
			if show == "" {
				show = shownValue(text)
			}
			c.Values, shown = append(c.Values, text), append(shown, show)
		}
		c.Shown = shown
		out = append(out, c)
		return nil
	}
	if ins := st.Insert; ins != nil {
		for _, key := range t.Unique {
			for r, row := range ins.Rows {
				ops := make([]sqlparse.Operand, len(key))
				for i, col := range key {
					switch j := slices.Index(ins.Columns, col); {
					case j < 0:
						ops[i].Default = true // left out: its default
					case j < len(row):
						ops[i] = row[j]
					}
				}
				if err := add(key, ops, r); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, key := range t.Unique {
		ops, set, err := assignedValues(st, t, key)
		if err != nil {
			return nil, err
		}
		if set {
			if err := add(key, ops, -1); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Stored is the value a row takes in a column a write gives no value of
// its own (its default), or none the column can hold, as a check reads
// it.
type Stored struct {
	// Null: the row holds NULL, which a unique key lets repeat: nothing
	// to check. So does a column without a default, where the server
	// refuses the row (a strict sql_mode) or Strata does not know the
	// value (UniqueColumn.Zero "").
	Null bool
	// Literal is the value as an SQL literal, Shown as a duplicate's
	// error shows it. Both "" with Null false: the server stores a value
	// Strata does not know (a TIMESTAMP's clock).
	Literal, Shown string
}

// Known reports whether Strata knows what the row holds.
func (s Stored) Known() bool { return s.Null || s.Literal != "" }

// columnDefault is the default of col, a column of key, one of t's
// unique: keys (Table.UniqueDefaults, learned with the key type). A
// default Strata cannot read as a value (an expression such as UUID(), a
// bit literal) is refused: each shard would compute its own. A NOT NULL
// column without a default takes its type's zero where the server does
// not refuse the row (a non-strict sql_mode).
func columnDefault(t *shard.Table, key []string, col string) (Stored, error) {
	def, ok := t.UniqueDefaults[col]
	switch {
	case !ok && !strings.EqualFold(col, t.AutoIncrement):
		if c := t.UniqueColumns[col]; c.NotNull && c.Zero != "" {
			return Stored{Literal: c.Zero, Shown: c.ZeroShown}, nil
		}
		return Stored{Null: true}, nil
	case !ok || strings.EqualFold(def, "NULL"):
		return Stored{Null: true}, nil
	case numericDefault(def):
		return Stored{Literal: def, Shown: def}, nil
	}
	if text, ok := textDefault(def); ok {
		// As hexadecimal with an introducer: no sql_mode reads it
		// otherwise, and it compares by the column's collation.
		return Stored{Literal: "_utf8mb4 X'" + hex.EncodeToString([]byte(text)) + "'", Shown: text}, nil
	}
	return Stored{}, refuse("Strata keeps %s (%s) unique across shards (unique: in its config) and checks each value written to it, but %s is left to its default %s, which each shard computes itself: give %[3]s a value in the statement", t.Name, strings.Join(key, ", "), col, def)
}

// nullStored is what col, a column of t's unique: keys, holds where a
// write gives it NULL: NULL in a nullable column, a number in the
// AUTO_INCREMENT column (which the shard picks: a unique: key over it is
// checked where the write gives the number), else its type's zero,
// which MariaDB stores where it does not refuse the row: INSERT IGNORE,
// a multi-row INSERT under a non-strict sql_mode, LOAD DATA LOCAL.
// Where it refuses it, the write fails before its check matters.
func nullStored(t *shard.Table, col string) Stored {
	c, learned := t.UniqueColumns[col]
	switch {
	case !learned || !c.NotNull || strings.EqualFold(col, t.AutoIncrement):
		return Stored{Null: true}
	case c.Clock:
		return Stored{} // the statement's clock
	}
	return Stored{Literal: c.Zero, Shown: c.ZeroShown}
}

// shortStored is what col, a column of t's unique: keys, holds where a
// LOAD DATA row is too short to have its field: NULL where the column's
// default is NULL (or the AUTO_INCREMENT column numbers it), else its
// type's zero, not its default (MariaDB 10.11: a row short of a
// VARCHAR's field whose default is 'anon' holds an empty text). A TIMESTAMP takes
// the statement's clock, which Strata does not know.
func shortStored(t *shard.Table, col string) Stored {
	c, learned := t.UniqueColumns[col]
	def, hasDefault := t.UniqueDefaults[col]
	switch {
	case !learned, strings.EqualFold(col, t.AutoIncrement), !c.NotNull && (!hasDefault || strings.EqualFold(def, "NULL")):
		return Stored{Null: true}
	case c.Clock:
		return Stored{} // the statement's clock
	}
	return Stored{Literal: c.Zero, Shown: c.ZeroShown}
}

// numericDefault matches a default COLUMN_DEFAULT writes as a number
// (0, -1.50, 1e3).
var numericDefault = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$`).MatchString

// textDefault reads a text default as COLUMN_DEFAULT writes it: a string
// literal in single quotes, quotes doubled and backslashes escaped.
func textDefault(def string) (string, bool) {
	if !strings.HasPrefix(def, "'") {
		return "", false
	}
	v, err := shard.ParseLiteral(def)
	if err != nil {
		return "", false
	}
	return v.Str()
}

// assignedValues are the values an UPDATE's SET gives the columns of
// key (the last assignment of each, as MariaDB applies them), and
// whether it sets any; setting some columns of a key alone, in ON
// DUPLICATE KEY UPDATE or in an UPDATE of several tables is refused.
func assignedValues(st *sqlparse.ShardStmt, t *shard.Table, key []string) ([]sqlparse.Operand, bool, error) {
	ops := make([]sqlparse.Operand, len(key))
	var set []string
	for _, as := range st.Assigns {
		i := slices.Index(key, as.Column)
		if i < 0 {
			continue
		}
		switch {
		case st.Insert != nil:
			return nil, false, refuse("ON DUPLICATE KEY UPDATE sets %s.%s, which Strata keeps unique across shards (unique: in its config): it cannot check the value the updated row gets. Update the row with its own UPDATE", t.Name, as.Column)
		case len(st.Uses) > 1:
			return nil, false, refuse("an UPDATE of several tables sets %s, which Strata keeps unique across the shards of %s (unique: in its config): update %s in a single-table UPDATE", as.Column, t.Name, t.Name)
		}
		ops[i] = as.Value
		if !slices.Contains(set, as.Column) {
			set = append(set, as.Column)
		}
	}
	if len(set) > 0 && len(set) < len(key) {
		return nil, false, refuse("this UPDATE sets %s but not all of (%s), which Strata keeps unique together across the shards of %s (unique: in its config): it checks the key's whole value, and does not know the others'. Set every column of the key in the UPDATE", strings.Join(set, ", "), strings.Join(key, ", "), t.Name)
	}
	return ops, len(set) > 0, nil
}

// uniqueKeys names the keys checks are of, once each.
func uniqueKeys(checks []UniqueCheck) []string {
	var out []string
	for _, c := range checks {
		if name := strings.Join(c.Columns, "+"); !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
