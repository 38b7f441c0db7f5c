package sqlparse

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// TextSource says what a column of the shard query's result is made of,
// so that Strata can tell which collation its text values compare by
// when it merges them (MIN, MAX, GROUP BY, DISTINCT, ORDER BY): a server
// reports every text column of a result in the connection's collation,
// while it compares a value by its own, which an expression takes from
// the columns it is made of (MIN(title) compares as title does) or from
// an explicit COLLATE. A plain column needs none: its column definition
// names its table and column.
type TextSource struct {
	// Collate is the collation an explicit COLLATE gives the value.
	Collate string
	// Columns are the table columns the value is made of.
	Columns []ColumnRef
	// Opaque: the value goes through functions Strata does not follow
	// (HEX, DATE_FORMAT, ...), whose result may take the columns'
	// collation or the connection's.
	Opaque bool
}

// ColumnRef is a table column an expression reads: Tables lists the
// top-level tables it may belong to (one when it is qualified, or when
// the statement reads one table), lower-case.
type ColumnRef struct {
	Tables []string
	Column string
}

// collationKeeping are the functions whose text result takes the
// collation of their text arguments (MariaDB's collation aggregation,
// where a column's implicit collation wins over a literal's).
var collationKeeping = map[string]bool{
	"concat": true, "concat_ws": true, "upper": true, "ucase": true, "lower": true, "lcase": true,
	"substring": true, "substr": true, "mid": true, "left": true, "right": true, "trim": true,
	"ltrim": true, "rtrim": true, "replace": true, "lpad": true, "rpad": true, "reverse": true,
	"substring_index": true, "ifnull": true, "coalesce": true, "if": true, "nullif": true,
	"greatest": true, "least": true, "soundex": true, "repeat": true, "insert": true, "quote": true,
	"regexp_replace": true, "regexp_substr": true, "elt": true, "make_set": true, "sformat": true,
	"json_array": true, "json_object": true, "json_merge": true, "json_merge_patch": true, "json_merge_preserve": true,
}

// firstArgCollation are functions whose text result takes the collation
// of their first argument, the JSON document, whatever the others (a
// path, a value): JSON_EXTRACT(doc, '$.a') compares as doc does, a JSON
// column's utf8mb4_bin. Checked on MariaDB 10.11 with columns of other
// collations and character sets in each place.
var firstArgCollation = map[string]bool{
	"json_extract": true, "json_query": true, "json_value": true, "json_keys": true,
	"json_set": true, "json_insert": true, "json_replace": true, "json_remove": true,
	"json_compact": true, "json_detailed": true, "json_loose": true,
	"json_array_append": true, "json_array_insert": true,
}

// fixedResult are functions whose text result has one collation
// whatever their arguments and the connection.
var fixedResult = map[string]string{
	"json_unquote": "utf8mb4_bin", "json_quote": "utf8mb4_bin", "json_normalize": "utf8mb4_bin",
	"json_type": "utf8mb3_general_ci",
}

// connectionResult are functions whose text result is in the
// connection's collation whatever their arguments: for them, the
// reported collation is the right one, as for a literal.
var connectionResult = map[string]bool{
	"hex": true, "date_format": true, "time_format": true, "format": true, "md5": true,
	"sha1": true, "sha2": true, "to_base64": true, "uuid": true, "char": true,
	"bin": true, "oct": true, "conv": true, "inet_ntoa": true, "inet6_ntoa": true,
	"monthname": true, "dayname": true, "export_set": true, "space": true, "name_const": true,
	"sha": true, "password": true, "old_password": true,
}

// textSources describes the shard query's fields whose position is known
// (before any *): nil entries for plain columns and for values that read
// no column.
func (b *scatterBuilder) textSources(uses []TableUse) []*TextSource {
	scope := topScope(uses)
	var out []*TextSource
	for i, f := range b.fields {
		if b.wild < len(b.orig) && i >= b.wild || f.Expr == nil {
			break // after a *, positions are not known
		}
		if _, plain := unparen(f.Expr).(*ast.ColumnNameExpr); plain {
			continue
		}
		src := &TextSource{}
		src.read(f.Expr, scope, true)
		if src.Collate == "" && len(src.Columns) == 0 {
			continue
		}
		for len(out) < i {
			out = append(out, nil)
		}
		out = append(out, src)
	}
	return out
}

// topScope maps the names the statement's top-level tables go by (alias,
// or name) to their table names, lower-case.
func topScope(uses []TableUse) map[string]string {
	scope := map[string]string{}
	for _, u := range uses {
		if u.Nested {
			continue
		}
		name := strings.ToLower(u.Ref.Name)
		if u.Alias != "" {
			scope[u.Alias] = name
		} else {
			scope[name] = name
		}
	}
	return scope
}

// read walks e, which a keeping function (keep) passes on, collecting
// what its collation comes from.
func (s *TextSource) read(e ast.ExprNode, scope map[string]string, keep bool) {
	switch v := unparen(e).(type) {
	case *ast.SetCollationExpr:
		if keep && s.Collate == "" {
			s.Collate = v.Collate
			return // an explicit COLLATE decides, whatever it is made of
		}
		s.Opaque = true
		s.read(v.Expr, scope, false)
	case *ast.ColumnNameExpr:
		s.Columns = append(s.Columns, columnRef(v.Name, scope))
		if !keep {
			s.Opaque = true
		}
	case ast.ValueExpr, *test_driver.ParamMarkerExpr, *paramNode:
		// a literal's collation gives way to a column's
	case *ast.FuncCallExpr:
		if connectionResult[v.FnName.L] {
			return // the connection's collation, like a literal's
		}
		if c, ok := fixedResult[v.FnName.L]; ok {
			if keep && s.Collate == "" {
				s.Collate = c
			}
			return
		}
		if firstArgCollation[v.FnName.L] && len(v.Args) > 0 {
			s.read(v.Args[0], scope, keep)
			return
		}
		keeps := keep && collationKeeping[v.FnName.L]
		args := v.Args
		if v.FnName.L == "if" && len(args) == 3 {
			args = args[1:] // the condition does not give the result
		}
		for _, a := range args {
			s.read(a, scope, keeps)
		}
		if !keeps {
			s.Opaque = true
		}
	case *ast.AggregateFuncExpr:
		keeps := keep && (strings.EqualFold(v.F, ast.AggFuncMin) || strings.EqualFold(v.F, ast.AggFuncMax) || strings.EqualFold(v.F, "any_value"))
		for _, a := range v.Args {
			s.read(a, scope, keeps)
		}
		if !keeps {
			s.Opaque = true
		}
	case *ast.FuncCastExpr:
		if !v.ExplicitCharSet {
			return // CAST(x AS CHAR): the connection's (AS BINARY: bytes)
		}
		s.Opaque = true
		s.read(v.Expr, scope, false)
	case *ast.CaseExpr:
		for _, w := range v.WhenClauses { // the conditions do not give the result
			s.read(w.Result, scope, keep)
		}
		if v.ElseClause != nil {
			s.read(v.ElseClause, scope, keep)
		}
	default:
		// Any other expression (arithmetic, comparisons, subqueries): its
		// columns are collected, and its result is not followed.
		f := &columnCollector{scope: scope}
		e.Accept(f)
		s.Columns = append(s.Columns, f.refs...)
		s.Opaque = true
	}
}

// columnRef names the table column n reads: its qualifier's table, or
// when unqualified every top-level table (the planner looks for the
// column in each).
func columnRef(n *ast.ColumnName, scope map[string]string) ColumnRef {
	ref := ColumnRef{Column: n.Name.L}
	if q := n.Table.L; q != "" {
		if t, ok := scope[q]; ok {
			ref.Tables = []string{t}
		}
		return ref
	}
	for _, t := range scope {
		if !slices.Contains(ref.Tables, t) {
			ref.Tables = append(ref.Tables, t)
		}
	}
	slices.Sort(ref.Tables) // the scope is a map: one order for every run
	return ref
}

// columnCollector gathers the column references of an expression.
type columnCollector struct {
	scope map[string]string
	refs  []ColumnRef
}

func (c *columnCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.SubqueryExpr:
		return n, true // its columns are its own tables'
	case *ast.ColumnNameExpr:
		c.refs = append(c.refs, columnRef(v.Name, c.scope))
	}
	return n, false
}

func (c *columnCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }
