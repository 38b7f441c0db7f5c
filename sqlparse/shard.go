package sqlparse

// This file is the contract between the parser side of sharding (analysis
// of a statement against the sharded tables, and rendering of the SQL the
// shards run) and the planner, which turns it into routes and merge steps.
// The implementation lives in shard_analyze.go (uses, filters, INSERT/
// UPDATE facts), shard_scatter.go (ScatterSelect and the shard query),
// shard_expr.go (operands, AST helper nodes) and shard_render.go.

// ShardKeyOf tells the analysis which tables are sharded and by which
// column: column is the lower-case shard-key column, sharded false for
// tables that are not sharded (unsharded, table groups, reference tables).
type ShardKeyOf func(t TableRef) (column string, sharded bool)

// Operand is one value in a shard-key predicate or an INSERT row: a
// literal as written, or a ? placeholder of a prepared statement.
type Operand struct {
	// Literal is the SQL literal text (42, -7, 'abc', _utf8mb4'x',
	// DATE '2024-06-01', NULL), read with shard.ParseLiteral. Empty when
	// Param is set, or when the value is an expression that is not a
	// literal (then Expr is true).
	Literal string
	// Param is the 1-based index of the ? placeholder; 0 for a literal.
	Param int
	// Expr: the value is an expression (NOW(), 1+1, a column): it cannot
	// be routed by value.
	Expr bool
	// Default: the expression is DEFAULT (or DEFAULT(col)), which an
	// AUTO_INCREMENT column fills with the table's next number.
	// DefaultOf is DEFAULT(col)'s column, lower-case ("" for DEFAULT).
	Default   bool
	DefaultOf string
}

// RangeBound is one end of a range predicate on a shard key.
type RangeBound struct {
	Value     Operand
	Inclusive bool
}

// KeyFilter is what a statement's WHERE clause (top-level AND conjuncts,
// plus the ON conditions of inner joins) says about one table's shard key.
type KeyFilter struct {
	// In: the key equals one of these (key = v, v = key, key IN (...),
	// or the intersection of several such conjuncts). nil: no equality.
	In []Operand
	// InIndex is the position among all IN lists of the statement's text
	// of the IN list In came from, so that Render can replace that list
	// with a per-shard subset; -1 when In came from = (nothing to split).
	InIndex int
	// Lo and Hi bound the key (>, >=, <, <=, BETWEEN); nil: unbounded.
	Lo, Hi *RangeBound
	// Null: the WHERE says key IS NULL (no shard owns NULL keys).
	Null bool
}

// TableUse is one occurrence of a table in the statement (FROM, JOIN,
// UPDATE/DELETE/INSERT target).
type TableUse struct {
	Ref   TableRef
	Alias string // lower-case alias, "" when none
	// Nested: read in a subquery (one that matches its shard key to a
	// top-level table's, the only kind a routable statement has), not at
	// the top level, so its filters do not route the statement.
	Nested bool
	// Filter is filled for sharded tables only.
	Filter KeyFilter
	// Equal, for the only table of a statement that reads one sharded
	// table, are the columns a top-level WHERE conjunct sets equal to a
	// literal or placeholder (col = v), by lower-case name: where a
	// column other than the shard key is kept unique across the shards,
	// its value names one row, whose shard Strata may know
	// (shard.Locations).
	Equal map[string]Operand
	// In, likewise, are the columns a top-level WHERE conjunct lists in
	// an IN list of literals or placeholders (col IN (v1, v2)): where
	// the column is kept unique across the shards, each value names at
	// most one row.
	In map[string][]Operand
}

// ShardStmt is a statement analyzed against the sharded tables.
type ShardStmt struct {
	Kind Kind
	// Uses lists every table occurrence, in order of appearance; the
	// write target of INSERT/UPDATE/DELETE is Uses[0].
	Uses []TableUse
	// KeyJoins pairs the indexes (into Uses) of two sharded tables whose
	// shard keys are joined by equality (ON a.k = b.k, or WHERE a.k = b.k).
	KeyJoins [][2]int
	// Unsupported, when not empty, says why Strata cannot route this
	// statement over sharded tables (a subquery or UNION reading a sharded
	// table, a derived table over one, an outer join whose sharded side
	// is not joined on the key, ...). The planner refuses the statement
	// with this text.
	Unsupported string

	// Select describes the merge a scatter SELECT needs; nil for other
	// statements and for SELECTs the analysis could not describe (then
	// Unsupported says why, if a scatter would need it).
	Select *ScatterSelect
	// Insert describes INSERT ... VALUES rows; nil for other statements
	// and INSERT ... SELECT (which is Unsupported on a sharded target).
	Insert *InsertRows
	// SetsShardKey: an UPDATE assigns the shard key of a sharded target
	// (its rows may have to move to another shard).
	SetsShardKey bool
	// NewKey is the value an UPDATE that sets its target's shard key
	// assigns to it; nil when it assigns none, or when MoveBlocker says
	// why the rows could not move (an UPDATE of several tables, IGNORE).
	NewKey      *Operand
	MoveBlocker string
	// Assigns are an UPDATE's SET assignments, and an INSERT's ON
	// DUPLICATE KEY UPDATE ones, in order.
	Assigns []Assign
	// Ignore: INSERT IGNORE or UPDATE IGNORE, which skip the rows a
	// unique key refuses instead of failing.
	Ignore bool
	// FullText, when not empty, says how the statement depends on what a
	// full-text index knows of the other rows of its server (the
	// relevance of MATCH ... AGAINST): over several shards it would
	// answer otherwise than one server.
	FullText string
	// Params is the number of ? placeholders in the statement.
	Params int
	// HasLimit: an UPDATE or DELETE has ORDER BY or LIMIT, which cannot
	// be split across shards as they are (fine when the key filter names
	// one shard; the planner decides, and may walk the shards with what
	// is left of the LIMIT: WriteLimit).
	HasLimit bool
	// WriteLimit is the LIMIT of a single-table UPDATE or DELETE: its
	// count, or with a placeholder the ?'s 1-based index in Param; Count
	// is -1 (and Param 0) when there is none, or when it is not one
	// Strata can walk (an offset, several tables).
	WriteLimit WriteLimit

	// impl holds what rendering needs (the AST); see shard_render.go.
	impl any
}

// Assign is one assignment of an UPDATE's SET list.
type Assign struct {
	// Column is the column's lower-case name; Table its qualifier as
	// written (lower-case), "" when it has none.
	Column, Table string
	// Value is what it is set to: a literal, a placeholder, or Expr.
	Value Operand
}

// WriteLimit is an UPDATE's or DELETE's LIMIT and ORDER BY.
type WriteLimit struct {
	Count int64
	Param int
	// Unwalkable: there is a LIMIT, but not one Strata can walk.
	Unwalkable bool
	// Order is the ORDER BY, each item by its lower-case column name
	// ("" for an expression).
	Order []WriteOrder
}

// WriteOrder is one ORDER BY item of an UPDATE or DELETE.
type WriteOrder struct {
	Column string
	Desc   bool
	// Source, for an expression, is what its text's collation comes from.
	Source *TextSource
}

// CountWith is the LIMIT's count with args, the bound values of a
// prepared statement as SQL literals; -1 when there is no LIMIT to walk.
func (l WriteLimit) CountWith(args []string) (int64, error) {
	if l.Param == 0 {
		return l.Count, nil
	}
	return argInt(args, l.Param)
}

// AggFunc names an aggregate of the select list.
type AggFunc uint8

// Aggregates Strata can combine across shards.
const (
	AggNone AggFunc = iota
	AggCount
	AggSum
	AggMin
	AggMax
	AggAvg           // pushed down as SUM(x) in Col and COUNT(x) in CountCol
	AggCountDistinct // pushed down as an extra GROUP BY column
	AggSumDistinct   // like AggCountDistinct; Strata sums the distinct values
	AggAvgDistinct   // like AggCountDistinct; Strata averages the distinct values
	// AggSumZero is IFNULL(SUM(x) or COUNT(x), 0), pushed down unchanged:
	// summed like AggSum, but zero (not NULL) when no shard sent a row.
	AggSumZero
	// AggBitAnd, AggBitOr and AggBitXor are BIT_AND, BIT_OR and BIT_XOR,
	// pushed down unchanged and combined with the same operation.
	AggBitAnd
	AggBitOr
	AggBitXor
	// AggVarPop, AggVarSamp, AggStdPop and AggStdSamp are VARIANCE and
	// STDDEV in their names: each shard also sends COUNT(x) (CountCol),
	// SUM(x) (SumCol) and VAR_POP(x) in full (VarCol), which Strata
	// combines; the visible column is the shard's own aggregate, for its
	// column definition.
	AggVarPop
	AggVarSamp
	AggStdPop
	AggStdSamp
	// AggGroupConcat is GROUP_CONCAT([DISTINCT] x [ORDER BY x] [SEPARATOR
	// s]) of one expression: each shard sends its list joined by the byte
	// 0x1F (Col), with COUNT(x) beside it (CountCol, to check the list
	// splits into exactly its elements), MIN(x) (KeyCol, whose column
	// definition says how x compares) and its group_concat_max_len
	// (LenCol); Strata merges the lists and joins them with Sep.
	AggGroupConcat
	// AggJSONArray and AggJSONObject are JSON_ARRAYAGG(x) and
	// JSON_OBJECTAGG(k, v), pushed down unchanged with the shards'
	// group_concat_max_len beside them (LenCol): Strata joins the shards'
	// arrays (objects) into one, as one server lists the elements (pairs)
	// in no promised order.
	AggJSONArray
	AggJSONObject
)

// Deviation reports whether f is a VARIANCE or STDDEV.
func (f AggFunc) Deviation() bool { return f >= AggVarPop && f <= AggStdSamp }

// FullCopy is a visible column (Col) and the hidden one holding its value
// in full (Full).
type FullCopy struct{ Col, Full int }

// Agg is one aggregate column of the shard query's result.
type Agg struct {
	Col      int
	Func     AggFunc
	CountCol int // AggAvg and deviations: the hidden COUNT(x) column
	// SumCol and VarCol: a deviation's hidden SUM(x) and VAR_POP(x).
	SumCol, VarCol int
	// GroupConcat: the rest of an AggGroupConcat.
	GroupConcat *GroupConcat
	// LenCol: AggJSONArray and AggJSONObject's hidden
	// MAX(@@group_concat_max_len), which bounds them as it bounds
	// GROUP_CONCAT.
	LenCol int
	// PrecCol: AggAvg and AggAvgDistinct's hidden
	// MAX(@@div_precision_increment), the session's, which sets the
	// scale of a DECIMAL average (0, never a hidden column's index: none).
	PrecCol int
	// ExactCol: AggSum and AggAvg over a division's values, whose hidden
	// SUM with every digit the server keeps (CAST to DECIMAL(65,30)):
	// the server sums x / 7 with 9 fraction digits and shows 4, and a sum
	// of the shards' shown sums would be off in the last digit (0: none;
	// negative, as hidden columns are, until Resolve).
	ExactCol int
}

// JSON reports whether f is JSON_ARRAYAGG or JSON_OBJECTAGG.
func (f AggFunc) JSON() bool { return f == AggJSONArray || f == AggJSONObject }

// GroupConcat is how Strata merges a GROUP_CONCAT's lists.
type GroupConcat struct {
	KeyCol, LenCol int
	Sep            string // the client's separator
	Distinct       bool
	Ordered, Desc  bool // ORDER BY x [DESC]
}

// Order is one ORDER BY / GROUP BY item, as a column of the shard query's
// result.
type Order struct {
	Col       int
	Desc      bool
	Collation string // from an explicit COLLATE, "" otherwise
	// Column is the lower-case column name when the item is a plain
	// column (qualifier dropped), so the planner can see an ORDER BY on
	// the shard key; "" for expressions.
	Column string
}

// ScatterSelect is a SELECT rewritten for a scatter: the query every shard
// runs (Render with Rewrite.Scatter) and the steps Strata runs on the
// merged rows. Columns are indexes into the shard query's result, whose
// first Visible columns are the client's select list and the rest hidden
// helpers (ORDER BY expressions not selected, AVG counts, HAVING operands,
// the COUNT(DISTINCT) value).
//
// Visible is the length of the select list, or -1 when it has a * or
// t.* (the column count is only known from the shard's result). Hidden
// is the number of helper columns appended after the visible ones
// (aliased strata_h0, strata_h1, ...): the visible columns are always
// the first (result columns - Hidden). With Visible -1, a Col < 0 names
// hidden column -Col-1, at index (result columns - Hidden) + (-Col-1);
// Resolve turns such a ScatterSelect into one with plain indexes once
// the shard's column count is known. Aggregation with * is Unsupported,
// so negative Cols only occur in OrderBy/MergeOrder.
type ScatterSelect struct {
	Visible int
	Hidden  int
	// Aggregated: the query has GROUP BY or aggregates; shards return one
	// partial row per group, sorted by GroupBy.
	Aggregated bool
	GroupBy    []Order
	Aggs       []Agg // aggregate columns; other non-hidden columns are group keys (or constant per group)
	// Having filters combined rows; nil when the query has no HAVING.
	Having *Expr
	// Computed are the select-list expressions over aggregates, evaluated
	// by MariaDB over the merged aggregates (after Having, before the
	// final sort).
	Computed []Computed
	// Distinct: SELECT DISTINCT over the visible columns.
	Distinct bool
	// WholeGroups: the statement groups by the shard key, so each shard
	// returns whole groups and Strata merges them as plain rows
	// (Aggregated is false).
	WholeGroups bool
	// FullCopies: in whole groups, each visible column holding a STDDEV
	// or VARIANCE, with the hidden column holding it printed in full. A
	// server prints those doubles with a few decimals in text rows but
	// sends the whole double in binary ones, which the full copy gives.
	FullCopies []FullCopy
	// MergeOrder is the order every shard returns its rows in, for a
	// k-way merge: GroupBy when Aggregated, OrderBy otherwise.
	MergeOrder []Order
	// OrderBy is the final order; when Aggregated and it differs from
	// GroupBy Strata sorts the combined rows.
	OrderBy []Order
	// Limit and Offset are the query's (-1 and 0 when absent); the shard
	// query asks for LIMIT Offset+Limit without an offset when not
	// Aggregated. LimitParam/OffsetParam are 1-based ? indexes when the
	// values are placeholders.
	Limit, Offset           int64
	LimitParam, OffsetParam int
	// FoundRows: SELECT SQL_CALC_FOUND_ROWS. Each shard counts its own
	// rows without the LIMIT, and FOUND_ROWS() after the statement is
	// their sum, which only holds when the merge keeps every shard's rows
	// (FoundRowsSummable).
	FoundRows bool
	// Sources: for each column of the shard query's result that is an
	// expression over table columns (nil for any other; shorter than the
	// result when the rest are not), what its collation comes from.
	Sources []*TextSource
}

// FoundRowsSummable reports whether FOUND_ROWS() of the merged statement
// is the sum of the shards' FOUND_ROWS(): every row of every shard is a
// row of the merged answer (before its LIMIT). Groups merged across shards
// and DISTINCT fold rows of several shards into one.
func (s *ScatterSelect) FoundRowsSummable() bool {
	return !s.Aggregated && !s.Distinct && s.Having == nil
}

// ExprOp is the operator of an Expr node.
type ExprOp uint8

// Operators of the small expression language Strata evaluates after a
// merge (HAVING). Anything else makes the statement Unsupported.
const (
	ExprColumn  ExprOp = iota // Col: a column of the shard query's result
	ExprLiteral               // Literal: SQL literal text; NULL allowed
	ExprParam                 // Param: 1-based ? index
	ExprAnd
	ExprOr
	ExprNot
	ExprEQ
	ExprNE
	ExprLT
	ExprLE
	ExprGT
	ExprGE
	ExprIsNull
	ExprIsNotNull
	ExprPlus
	ExprMinus
	ExprMul
	ExprDiv
	ExprNeg
)

// Expr is a node of a HAVING expression.
type Expr struct {
	Op      ExprOp
	Args    []*Expr
	Col     int
	Literal string
	Param   int
}

// InsertRows describes the rows of INSERT ... VALUES (...), (...).
type InsertRows struct {
	// Columns are the lower-case column names as listed; an INSERT
	// without a column list is Unsupported on a sharded table (the
	// planner gives it the table's columns where it knows them).
	Columns []string
	// KeyCol is the index of the shard key in Columns, -1 when absent.
	KeyCol int
	// Rows holds each row's value for every column.
	Rows [][]Operand
	// OnDuplicateSetsKey: ON DUPLICATE KEY UPDATE assigns the shard key.
	OnDuplicateSetsKey bool
}

// Rewrite says how to render a ShardStmt for one shard.
type Rewrite struct {
	// Tables renames tables (date period tables: posts -> posts_2024_06).
	// A table used several times is renamed everywhere; aliases are kept
	// and an unaliased renamed table gets its old name as alias so column
	// qualifiers (posts.id) still resolve.
	Tables map[TableRef]string
	// In replaces the IN list at KeyFilter.InIndex with these values.
	In map[int][]Operand
	// Scatter renders the ScatterSelect's shard query instead of the
	// statement as written.
	Scatter bool
	// Rows (INSERT) keeps only these rows (indexes into InsertRows.Rows).
	Rows []int
	// AddColumn (INSERT) appends a column to the column list with one
	// literal per kept row, for sequence-filled ids.
	AddColumn string
	AddValues []string
	// AsSelect (INSERT of one kept row) renders the row as INSERT ...
	// SELECT: MariaDB refuses a NULL in a NOT NULL column of a one-row
	// INSERT ... VALUES (1048) in every sql_mode, but stores the type's
	// zero with a warning for a row of several, and for INSERT ... SELECT,
	// under a non-strict one. A shard given one row of the client's
	// several must answer as for several.
	AsSelect bool
	// Fill (INSERT) replaces the value of column FillCol in the rows it
	// names (indexes into InsertRows.Rows) with a literal: sequence ids
	// where the client gave NULL.
	Fill    map[int]string
	FillCol int
	// Args are the prepared statement's bound values as SQL literals,
	// one per ?, substituted into the text; nil keeps the placeholders.
	Args []string
	// MoveSelect (a single-table UPDATE) renders the statement as the
	// SELECT of the rows it matches, FOR UPDATE, with these select items
	// (SQL as given: quoted columns, or expressions of them): the rows an
	// UPDATE of their shard key moves to another shard. Empty selects *.
	MoveSelect []string
	// NoWhere (UPDATE) renders the statement without its WHERE clause,
	// for Strata to append one of its own (the moved rows' primary keys).
	NoWhere bool
	// Candidates (a single-table UPDATE or DELETE with ORDER BY and
	// LIMIT) renders the statement as the SELECT of its ORDER BY items
	// over the rows it would write first, in that order, FOR UPDATE:
	// each shard's candidates for the statement's first rows overall.
	Candidates bool
}
