package sqlparse

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A table read first is read with the columns the statement names, not
// all of them: rows of a wide table (a TEXT body, a BLOB) cost the read
// and max_pulled_rows' memory for nothing, and a column Strata cannot
// write as a literal (BIT, geometry) that the statement never names would
// refuse it. A table is still read whole when the statement reads it with
// a * (or a NATURAL JOIN), when Strata does not know its columns, and
// when a name the statement uses could be one of its columns Strata has
// not read yet (added since the last read): the read must never lack a
// column the statement needs.

// namedColumns is what a statement names: column references by
// qualifier, the aliases it gives, and the wildcards it reads.
type namedColumns struct {
	refs    []namedRef
	aliases map[string]bool // select-list aliases, lower-case
	all     bool            // an unqualified *, or a NATURAL JOIN
	stars   map[string]bool // qualifiers of a t.*
}

type namedRef struct{ qualifier, name string } // lower-case

func newNamedColumns(stmt ast.Node) *namedColumns {
	n := &namedColumns{aliases: map[string]bool{}, stars: map[string]bool{}}
	stmt.Accept(n)
	return n
}

func (n *namedColumns) Enter(node ast.Node) (ast.Node, bool) {
	switch x := node.(type) {
	case *ast.ColumnName:
		n.refs = append(n.refs, namedRef{qualifier: x.Table.L, name: x.Name.L})
	case *ast.SelectField:
		switch {
		case x.WildCard != nil && x.WildCard.Table.L == "":
			n.all = true
		case x.WildCard != nil:
			n.stars[x.WildCard.Table.L] = true
		case x.AsName.L != "":
			n.aliases[x.AsName.L] = true
		}
	case *ast.Join:
		if x.NaturalJoin {
			n.all = true
		}
	}
	return node, false
}

func (n *namedColumns) Leave(node ast.Node) (ast.Node, bool) { return node, true }

// readList is the select list to read table t with: its columns the
// statement names, "*" when it may need any other. known are t's columns
// (nil: not known); others are the known columns of the statement's other
// tables, which account for unqualified names that are not t's.
func (n *namedColumns) readList(t MatTable, known map[string]bool, others []map[string]bool) string {
	alias := strings.ToLower(t.Alias)
	if n == nil || t.Derived != "" || known == nil || n.all || n.stars[alias] {
		return "*"
	}
	var cols []string
	for _, ref := range n.refs {
		if ref.qualifier != "" && ref.qualifier != alias {
			continue // another table's (or the same name in a subquery: then read as its table)
		}
		if known[ref.name] {
			if !slices.Contains(cols, ref.name) {
				cols = append(cols, ref.name)
			}
			continue
		}
		if ref.qualifier != "" || !n.accountedFor(ref.name, others) {
			return "*" // t's column not read yet, or a name Strata cannot place
		}
	}
	if len(cols) == 0 {
		return "1" // only its rows count (COUNT(*) of a join)
	}
	slices.Sort(cols)
	for i, c := range cols {
		cols[i] = QuoteIdentifier(t.Alias) + "." + QuoteIdentifier(c)
	}
	return strings.Join(cols, ", ")
}

// namesOf lists the names the statement qualifies by alias, and with
// alone (the statement's only table) those it does not qualify and that
// are no alias.
func (n *namedColumns) namesOf(alias string, alone bool) []string {
	alias = strings.ToLower(alias)
	var out []string
	for _, ref := range n.refs {
		mine := ref.qualifier == alias || alone && ref.qualifier == "" && !n.aliases[ref.name]
		if mine && !slices.Contains(out, ref.name) {
			out = append(out, ref.name)
		}
	}
	return out
}

// accountedFor: an unqualified name that is an alias of the statement or
// a known column of another of its tables.
func (n *namedColumns) accountedFor(name string, others []map[string]bool) bool {
	if n.aliases[name] {
		return true
	}
	for _, cols := range others {
		if cols[name] {
			return true
		}
	}
	return false
}
