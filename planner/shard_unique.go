package planner

import (
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

// UniqueCheck is one value a write gives a column of Table kept unique
// across its shards.
type UniqueCheck struct {
	Table  string // the table as the statement names it, quoted
	Key    string // its shard key, quoted
	Column string // lower-case
	Value  string // an SQL literal
}

// UniqueQuery is the locking read of checks on one shard: the rows of
// each check's value, as the check's index in checks and the row's shard
// key, in one round trip.
func UniqueQuery(checks []UniqueCheck) string {
	parts := make([]string, len(checks))
	for i, c := range checks {
		parts[i] = "(SELECT " + strconv.Itoa(i) + ", " + c.Key + " FROM " + c.Table + " WHERE " + quoteName(c.Column) + " = " + c.Value + " FOR UPDATE)"
	}
	return strings.Join(parts, " UNION ALL ")
}

// uniqueChecks adds to p, a write of table t (the statement's lead
// table), the checks of the values it gives t's unique: columns, and a
// route on every other shard of t to run them on. IGNORE, REPLACE and ON
// DUPLICATE KEY UPDATE would treat another shard's row of the value as
// one server treats a duplicate (skip, replace or update it), which
// Strata cannot do: p.UniqueRefusal says so, and such a duplicate is
// refused instead.
func uniqueChecks(p *ShardPlan, st *sqlparse.ShardStmt, lead int, t *shard.Table, args []string) error {
	if len(t.Unique) == 0 {
		return nil
	}
	values, err := uniqueValues(st, lead, t, args)
	if err != nil || len(values) == 0 {
		return err
	}
	ref := st.Uses[lead].Ref
	name := quoteName(ref.Name)
	if ref.Schema != "" {
		name = quoteName(ref.Schema) + "." + name
	}
	for _, v := range values {
		v.Table, v.Key = name, quoteName(t.Method.Key())
		if !slices.Contains(p.Unique, v) {
			p.Unique = append(p.Unique, v)
		}
	}
	switch {
	case st.Ignore:
		p.UniqueRefusal = "IGNORE would skip the row"
	case st.Kind == sqlparse.KindReplace:
		p.UniqueRefusal = "REPLACE would delete that row"
	case st.Insert != nil && len(st.Assigns) > 0:
		p.UniqueRefusal = "ON DUPLICATE KEY UPDATE would update that row"
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
	p.Reason += "; " + strings.Join(uniqueColumns(p.Unique), ", ") + " checked unique on every shard"
	return nil
}

// uniqueValues are the values an INSERT's rows, or an UPDATE's SET, give
// t's unique: columns (NULLs, which a unique key lets repeat, left out).
// A value Strata cannot read (an expression) is refused: it could not be
// checked.
func uniqueValues(st *sqlparse.ShardStmt, lead int, t *shard.Table, args []string) ([]UniqueCheck, error) {
	var out []UniqueCheck
	add := func(col string, o sqlparse.Operand) error {
		text := o.Literal
		if o.Param > 0 && o.Param <= len(args) {
			text = args[o.Param-1]
		}
		switch {
		case o.Expr || text == "":
			return refuse("Strata keeps %s.%s unique across shards (unique: in its config) and checks each value written to it, so it must read the value: write it as a literal or a bound value, not an expression", t.Name, col)
		case isNull(o, args):
			return nil
		}
		out = append(out, UniqueCheck{Column: col, Value: text})
		return nil
	}
	if ins := st.Insert; ins != nil {
		for _, col := range t.Unique {
			at := slices.Index(ins.Columns, col)
			for _, row := range ins.Rows {
				if at < 0 || at >= len(row) {
					break // the column's default: NULL, or refused by its shard
				}
				if err := add(col, row[at]); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, as := range st.Assigns {
		if !slices.Contains(t.Unique, as.Column) {
			continue
		}
		switch {
		case st.Insert != nil:
			return nil, refuse("ON DUPLICATE KEY UPDATE sets %s.%s, which Strata keeps unique across shards (unique: in its config): it cannot check the value the updated row gets. Update the row with its own UPDATE", t.Name, as.Column)
		case len(st.Uses) > 1:
			return nil, refuse("an UPDATE of several tables sets %s, which Strata keeps unique across the shards of %s (unique: in its config): update %s in a single-table UPDATE", as.Column, t.Name, t.Name)
		}
		if err := add(as.Column, as.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// uniqueColumns lists the columns checks are of, once each.
func uniqueColumns(checks []UniqueCheck) []string {
	var out []string
	for _, c := range checks {
		if !slices.Contains(out, c.Column) {
			out = append(out, c.Column)
		}
	}
	return out
}

// quoteName quotes an identifier with backticks.
func quoteName(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
