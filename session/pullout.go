package session

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// maxPulled bounds the rows Strata reads from one table, or the values of
// one IN subquery it runs first (sqlparse.Pullout), to run a statement on
// one server: limits.max_pulled_rows.
func (s *Session) maxPulled() int {
	if n := s.env.Limits().MaxPulledRows; n > 0 {
		return n
	}
	return config.DefaultMaxPulledRows
}

// maxMergeMemory is the bytes one statement's merge may hold
// (limits.max_merge_memory; 0: the default).
func (s *Session) maxMergeMemory() int64 {
	if n := s.env.Limits().MaxMergeMemory; n > 0 {
		return n
	}
	return config.DefaultMaxMergeMemory
}

// maxPulloutDepth bounds subqueries inside subqueries.
const maxPulloutDepth = 3

// pullLevel is how deep a subquery Strata runs first sits, and whether
// it reads the primaries: a write's subqueries do, so that the write acts
// on the rows the primaries hold, not on a lagging replica's.
type pullLevel struct {
	depth   int
	primary bool
	// unplaced: the part may read tables of the default cluster only.
	unplaced bool
	// tableless: the part may read no table at all (a recursive CTE's
	// anchor, SELECT 5): the default cluster runs it.
	tableless bool
}

func (l pullLevel) next() pullLevel { return pullLevel{depth: l.depth + 1, primary: l.primary} }

// errNotPulled: the statement has no subquery Strata runs first, or one
// that does not read placed tables; the original refusal stands.
var errNotPulled = errors.New("no subquery to run first")

// pullOut rewrites a SELECT, UPDATE or DELETE the sharding planner
// refused because it reads a sharded table in a subquery, a derived
// table, a CTE or a UNION: each such part runs first, as a statement of
// its own, and what it returned replaces it. It returns the rewritten text, or errNotPulled when this
// does not apply.
func (s *Session) pullOut(ctx context.Context, sql string, lvl pullLevel) (string, error) {
	return s.pullOutArgs(ctx, sql, nil, lvl)
}

// pullOutArgs is pullOut for a prepared statement's text and its bound
// values (SQL literals).
func (s *Session) pullOutArgs(ctx context.Context, sql string, args []string, lvl pullLevel) (string, error) {
	if lvl.depth >= maxPulloutDepth {
		return "", errNotPulled
	}
	if assignments, stmt, ok := s.readingMode().SplitSetStatement(sql); ok {
		// SET STATEMENT ... FOR stmt: stmt's parts run first, and the
		// statement left keeps the variables.
		if err := planner.CheckStatementVars(s.readingMode(), assignments); err != nil {
			return "", err
		}
		out, err := s.pullOutArgs(ctx, stmt, args, lvl)
		if err != nil {
			return "", err
		}
		return sqlparse.SetStatementFor(assignments, out), nil
	}
	// First the parts over placed tables. When there are none, those over
	// tables of the default cluster: a statement that joins a sharded
	// table with such a table's rows (a derived table, an IN subquery)
	// then reads the shards with those rows in place.
	for _, unplaced := range []bool{false, true} {
		out, err := s.pullOutPass(ctx, sql, args, lvl, unplaced)
		var cerr correlatedError
		switch {
		case errors.Is(err, errNotPulled):
			continue
		case errors.As(err, &cerr):
			// A correlated subquery cannot run alone; reading each
			// table's rows (for a write, those it only reads) can
			// answer the statement.
			if out, merr := s.materialize(ctx, sql, args, lvl); !errors.Is(merr, errNotPulled) {
				return out, merr
			}
			if out, werr := s.writeApart(ctx, sql, args, lvl); !errors.Is(werr, errNotPulled) {
				return out, werr
			}
		}
		return out, err
	}
	// Nothing to run first: a join of tables that live apart reads each
	// table's rows instead; so does a write of the tables it only reads
	// that live apart from those it writes.
	out, err := s.materialize(ctx, sql, args, lvl)
	if errors.Is(err, errNotPulled) {
		return s.writeApart(ctx, sql, args, lvl)
	}
	return out, err
}

// planWriteApart finds the tables an UPDATE or DELETE only reads that live
// apart from the tables it writes (sqlparse.WriteApart), or errNotPulled.
func (s *Session) planWriteApart(sql string, args []string) (*sqlparse.WriteApart, error) {
	if s.env.Sharding == nil {
		return nil, errNotPulled
	}
	l := s.env.Sharding.Layout()
	w, err := s.readingMode().WriteApart(sql, args, func(read string, written []string, joins []sqlparse.WrittenJoin) bool {
		for _, name := range written {
			if !runsWith(l, l.Table(read), l.Table(name)) && !keyJoined(l.Table(read), l.Table(name), name, joins) {
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, errNotPulled
	}
	return w, nil
}

// writeApart answers an UPDATE or DELETE that reads tables living apart
// from those it writes: each such table's usable rows are read first
// (narrowed by the keys of those read before it) and the write runs with
// them as tables of literals.
func (s *Session) writeApart(ctx context.Context, sql string, args []string, lvl pullLevel) (string, error) {
	w, err := s.planWriteApart(sql, args)
	if err != nil {
		return "", err
	}
	tables, err := s.readTablesFirst(ctx, firstReads{tables: w.Tables, order: w.Reads, query: w.Query, tooMany: func(t sqlparse.MatTable) error {
		return wire.NewError(wire.ErNotSupportedYet, "Strata: this write reads %s, which lives apart from the tables it writes, so Strata reads its rows first and puts them in the statement; it has more than %d rows (limits.max_pulled_rows) the write could use. Narrow it with conditions on its own columns, qualified by its name (%s.column = ...)",
			t.Describe(), s.maxPulled(), t.Alias)
	}}, lvl)
	if err != nil {
		return "", err
	}
	return w.Render(tables)
}

// keyJoined reports whether sharded tables r and w (named wName in the
// statement) are sharded alike and joined on their shard keys, so each
// shard joins its own rows of both.
func keyJoined(r, w *shard.Table, wName string, joins []sqlparse.WrittenJoin) bool {
	if r == nil || w == nil || r.Placement != shard.PlaceSharded || w.Placement != shard.PlaceSharded || !planner.SameSharding(r.Method, w.Method) {
		return false
	}
	return slices.ContainsFunc(joins, func(j sqlparse.WrittenJoin) bool {
		return j.Written == wName && strings.EqualFold(j.Column, r.Method.Key()) && strings.EqualFold(j.WrittenColumn, w.Method.Key())
	})
}

// runsWith reports whether a statement that writes table w (nil: one the
// config does not place) may read table r (the same) where w lives: a
// reference table's copy is beside every shard and every other reference
// table, a table of one cluster beside that cluster's others. A sharded
// table is never counted beside another here: the planner already refused
// the statement, so it does not join them on their shard keys.
func runsWith(l *shard.Layout, r, w *shard.Table) bool {
	place := func(t *shard.Table) (shard.Placement, string) {
		switch {
		case t == nil:
			return shard.PlaceDefault, l.DefaultCluster()
		case t.Placement == shard.PlaceCluster:
			return t.Placement, t.Cluster
		}
		return t.Placement, ""
	}
	rp, rc := place(r)
	wp, wc := place(w)
	switch wp {
	case shard.PlaceSharded, shard.PlaceReference:
		return rp == shard.PlaceReference
	}
	return (rp == shard.PlaceDefault || rp == shard.PlaceCluster) && rc == wc
}

// correlatedError: a subquery failed alone because it names the outer
// statement (correlated).
type correlatedError struct{ err error }

func (e correlatedError) Error() string { return e.err.Error() }
func (e correlatedError) Unwrap() error { return e.err }

// materialize answers a SELECT that joins tables living apart
// (sqlparse.Materialization): each table's usable rows are read first,
// narrowed by the join keys of the tables read before it, and the
// statement runs over them as tables of literals.
func (s *Session) materialize(ctx context.Context, sql string, args []string, lvl pullLevel) (string, error) {
	return s.materializeWith(ctx, sql, args, lvl, nil)
}

// tableReader reads a table of a materialized statement in Strata's own
// way (query: the statement's own read of it); handled false leaves it to
// the default reading.
type tableReader func(ctx context.Context, t sqlparse.MatTable, query string, part pullLevel) (cols []engine.Column, rows []engine.Row, handled bool, err error)

// materializeWith is materialize with some tables read by own.
func (s *Session) materializeWith(ctx context.Context, sql string, args []string, lvl pullLevel, own tableReader) (string, error) {
	mat, err := s.readingMode().Materialize(sql, args)
	if err != nil {
		return "", errNotPulled
	}
	mat.Columns = s.env.Sharding.TableColumns
	for i, t := range mat.Tables {
		if names := mat.NamedColumns(i); len(names) > 0 {
			s.env.Sharding.ReadColumnsOf(ctx, t.Name, names...)
		}
	}
	tables, err := s.readTablesFirst(ctx, firstReads{tables: mat.Tables, order: mat.Order(), query: mat.Query, own: own, tooMany: func(t sqlparse.MatTable) error {
		if len(mat.Tables) == 1 {
			return wire.NewError(wire.ErNotSupportedYet, "Strata: the shards cannot answer this statement in parts (WITH ROLLUP, a window over rows of several shards, a GROUP_CONCAT Strata cannot merge from the shards' lists), so Strata reads the rows of %s it needs and runs it on one server, and more than %d rows (limits.max_pulled_rows) match its WHERE: narrow it, or group or partition by the shard key",
				t.Describe(), s.maxPulled())
		}
		return wire.NewError(wire.ErNotSupportedYet, "Strata: this statement joins tables that live on different clusters or are sharded differently, so Strata reads each table's rows first and joins them on one server; %s has more than %d rows (limits.max_pulled_rows) it could use. Narrow it with conditions on its own columns, qualified by its name (%s.column = ...), or join on the shard key of tables sharded alike",
			t.Describe(), s.maxPulled(), t.Alias)
	}}, lvl)
	if err != nil {
		return "", err
	}
	return mat.Render(tables)
}

// firstReads are the tables of a statement Strata reads before it runs
// the statement over their rows: tables[i] for i in order, each read by
// query (narrowed by the values of keys on tables read before it; nil
// for a key on a table not read), or by own first; tooMany is the error
// for a table with more rows than limits.max_pulled_rows.
type firstReads struct {
	tables  []sqlparse.MatTable
	order   []int
	query   func(i int, keyValues [][]string) string
	own     tableReader
	tooMany func(sqlparse.MatTable) error
}

// readTablesFirst reads the tables of r in order and returns each one's
// rows as a table of literals (in order).
func (s *Session) readTablesFirst(ctx context.Context, r firstReads, lvl pullLevel) ([]sqlparse.PulledTable, error) {
	part := lvl.next()
	part.unplaced = true
	type rowsRead struct {
		cols []engine.Column
		rows []engine.Row
	}
	read := map[int]rowsRead{} // by table index
	tables := make([]sqlparse.PulledTable, len(r.order))
	total := 0
	var err error
	for k, i := range r.order {
		t := r.tables[i]
		keyValues := make([][]string, len(t.Keys))
		for n, key := range t.Keys {
			if got, ok := read[key.Other]; ok {
				if keyValues[n], err = keyLiterals(got.cols, got.rows, key.OtherColumn); err != nil {
					return nil, err
				}
			}
		}
		var cols []engine.Column
		var rows []engine.Row
		var more, handled bool
		if t.Derived == "" {
			s.env.Sharding.ReadColumnsOf(ctx, t.Name) // its primary key, for inScanOrder
		}
		query := s.inScanOrder(t, r.query(i, keyValues))
		if r.own != nil {
			if cols, rows, handled, err = r.own(ctx, t, query, part); err != nil {
				return nil, err
			}
		}
		if !handled {
			p := part
			p.tableless = t.Derived != "" // rows in the text, read on the default cluster
			f, plan, err := s.planPulled(ctx, query, p)
			if err != nil {
				return nil, err
			}
			if cols, rows, more, err = s.collectRows(ctx, f, plan, s.maxPulled(), lvl.primary); err != nil {
				return nil, err
			}
		}
		if more {
			return nil, r.tooMany(t)
		}
		read[i] = rowsRead{cols, rows}
		if tables[k], err = literalTable(cols, rows); err != nil {
			return nil, err
		}
		total += len(rows)
	}
	s.env.Metrics.RunFirst("join", int64(total))
	return tables, nil
}

// inScanOrder orders query, the read of table t's rows, by its primary
// key where Strata knows it: the order InnoDB keeps the rows in, which
// one server reads a whole table in. The statement that runs over the
// rows then reads them in that order too, so what depends on it comes
// out as on one server (RAND(n)'s sequence, a LIMIT without ORDER BY,
// GROUP_CONCAT's order) and the same each time, where the shards'
// streams would otherwise arrive in any order.
func (s *Session) inScanOrder(t sqlparse.MatTable, query string) string {
	if t.Derived != "" {
		return query
	}
	key := s.env.Sharding.PrimaryKey(t.Name)
	if len(key) == 0 {
		return query
	}
	cols := make([]string, len(key))
	for i, c := range key {
		cols[i] = sqlparse.QuoteIdentifier(t.Alias) + "." + sqlparse.QuoteIdentifier(c)
	}
	return query + " ORDER BY " + strings.Join(cols, ", ")
}

// keyLiterals lists the distinct non-NULL values of column name in rows,
// as plain literals (a shard key among them routes); nil when the rows
// have no such column.
func keyLiterals(cols []engine.Column, rows []engine.Row, name string) ([]string, error) {
	at := -1
	for k, c := range cols {
		if strings.EqualFold(c.Name, name) {
			at = k
		}
	}
	if at < 0 {
		return nil, nil
	}
	return distinctLiterals(cols[at], rows, at, pulledLiteral, true) // NULL joins nothing
}

// distinctLiterals writes the distinct values of column at of rows, of
// column definition c, with literal; skipNull leaves NULLs out.
func distinctLiterals(c engine.Column, rows []engine.Row, at int, literal func(engine.Column, engine.Value) (string, error), skipNull bool) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, r := range rows {
		if r[at] == nil && skipNull {
			continue
		}
		lit, err := literal(c, r[at])
		if err != nil {
			return nil, err
		}
		if !seen[lit] {
			seen[lit] = true
			out = append(out, lit)
		}
	}
	return out, nil
}

// literalTable writes rows as a table of typed literals.
func literalTable(cols []engine.Column, rows []engine.Row) (sqlparse.PulledTable, error) {
	t := sqlparse.PulledTable{Columns: make([]string, len(cols)), Nulls: make([]string, len(cols))}
	var err error
	for k, c := range cols {
		t.Columns[k] = c.Name
		if t.Nulls[k], err = engine.Literal(c, nil); err != nil {
			return sqlparse.PulledTable{}, err
		}
	}
	if t.Rows, err = literalRows(cols, rows, engine.Literal); err != nil {
		return sqlparse.PulledTable{}, err
	}
	return t, nil
}

// literalRows writes each value of rows with literal.
func literalRows(cols []engine.Column, rows []engine.Row, literal func(engine.Column, engine.Value) (string, error)) ([][]string, error) {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(cols))
		for k, c := range cols {
			lit, err := literal(c, r[k])
			if err != nil {
				return nil, err
			}
			out[i][k] = lit
		}
	}
	return out, nil
}

// pullOutPass runs first the parts of a statement over placed tables, or
// with unplaced over tables of the default cluster only.
func (s *Session) pullOutPass(ctx context.Context, sql string, args []string, lvl pullLevel, unplaced bool) (string, error) {
	part := lvl.next()
	part.unplaced = unplaced
	po, err := s.readingMode().PullOutArgs(sql, args)
	if errors.Is(err, sqlparse.ErrLimitInSubquery) {
		return "", err // refused as one server refuses it, not run
	}
	if err != nil {
		return "", errNotPulled
	}
	po.Columns = s.env.Sharding.TableColumns
	values := make([][]string, len(po.Subqueries))
	pulled := 0
	for i, sub := range po.Subqueries {
		if kind := po.Kinds[i]; kind == sqlparse.PullInsert || kind == sqlparse.PullRecursive {
			var table sqlparse.PulledTable
			var err error
			if kind == sqlparse.PullInsert {
				table, err = s.pulledInsertRows(ctx, sub, part)
			} else {
				table, err = s.recursiveTable(ctx, po.Recursive(i), part)
			}
			switch {
			case errors.Is(err, errNotPulled):
				continue // it reads no placed table: it stays as written
			case err != nil:
				return "", err
			}
			po.SetTable(i, table)
			pulled++
			continue
		}
		if kind := po.Kinds[i]; kind == sqlparse.PullTable || kind == sqlparse.PullRows {
			var table sqlparse.PulledTable
			var err error
			if po.CountsRowsOf(i) {
				table, err = s.countedTable(ctx, sub, part)
			} else {
				table, err = s.pulledTable(ctx, sub, part)
			}
			switch {
			case errors.Is(err, errNotPulled):
				continue // it reads no placed table: it stays as written (Keep)
			case err != nil && kind == sqlparse.PullRows:
				if s.pullInner(ctx, po, i, err, part, unplaced) {
					pulled++
					continue
				}
				return "", correlated(sub, err)
			case err != nil:
				return "", err
			}
			po.SetTable(i, table)
			pulled++
			continue
		}
		values[i], err = s.pulledValues(ctx, sub, po.Kinds[i], po.Typed[i], part)
		switch {
		case errors.Is(err, errNotPulled):
			po.Keep(i)
			continue
		case err != nil:
			if s.pullInner(ctx, po, i, err, part, unplaced) {
				pulled++
				continue
			}
			return "", correlated(sub, err)
		}
		pulled++
	}
	if pulled == 0 {
		return "", errNotPulled
	}
	return po.Render(values)
}

// pullInner runs first the subqueries of subquery i of po, which failed
// alone (err) because it is correlated: `(SELECT COUNT(*) FROM likes l
// WHERE l.entry_id = e.id AND l.user_id IN (SELECT id FROM users WHERE
// ...))` cannot run before the statement, but its IN over users can, and
// with its values in place the statement may route (likes sharded as
// entries, matched on the key). It reports whether subquery i was so
// rewritten; when not, the caller refuses as before.
func (s *Session) pullInner(ctx context.Context, po *sqlparse.Pullout, i int, err error, part pullLevel, unplaced bool) bool {
	if _, ok := correlatedFailure(err); !ok {
		return false
	}
	inner, ierr := s.pullOutPass(ctx, po.Subqueries[i], nil, part, unplaced)
	return ierr == nil && po.Rewrite(i, inner) == nil
}

// correlatedFailure: err is the error of a subquery run alone that names
// a column or table of the outer statement (unknown there).
func correlatedFailure(err error) (*wire.Error, bool) {
	var werr *wire.Error
	if !errors.As(err, &werr) || (werr.Code != mysql.ER_BAD_FIELD_ERROR && werr.Code != mysql.ER_UNKNOWN_TABLE) {
		return nil, false
	}
	return werr, true
}

// correlated explains a subquery that failed alone because it names a
// column or table of the outer statement: MariaDB runs such a subquery
// once per outer row, which Strata cannot do across shards.
func correlated(sub string, err error) error {
	werr, ok := correlatedFailure(err)
	if !ok {
		return err
	}
	return correlatedError{&planner.RoutingError{Msg: fmt.Sprintf("the subquery (%s) failed on its own: %s. Strata runs a subquery over shards or another cluster before the statement, so one that refers to the outer statement (a correlated subquery) cannot run there, nor could Strata read each table's rows first for this statement (it does when the subqueries inside a correlated subquery name no table but its own, and every table is named by a name of its own): write it as a JOIN of tables sharded alike", abbreviate(sub, 80), werr.Message)}}
}

// pulledValues runs one subquery over placed tables and returns what
// replaces it (sqlparse.Pullout.Render): the distinct values of an IN
// list, the one value of a scalar, a row's mark for EXISTS.
//
// typed: the value is a column of the client's result, written as a
// literal of its own type (CAST(... AS DATE)) rather than plainly.
func (s *Session) pulledValues(ctx context.Context, sql string, kind sqlparse.PullKind, typed bool, lvl pullLevel) ([]string, error) {
	f, plan, err := s.planPulled(ctx, sql, lvl)
	if err != nil {
		return nil, err
	}
	limit := map[sqlparse.PullKind]int{sqlparse.PullIn: s.maxPulled(), sqlparse.PullScalar: 1, sqlparse.PullExists: 1}[kind]
	cols, rows, more, err := s.collectRows(ctx, f, plan, limit, lvl.primary)
	if err == nil {
		s.env.Metrics.RunFirst("values", int64(len(rows)))
	}
	switch {
	case err != nil:
		return nil, err
	case kind == sqlparse.PullExists:
		if len(rows) > 0 {
			return []string{"1"}, nil
		}
		return nil, nil
	case len(cols) != 1:
		return nil, wire.NewError(wire.ErOperandColumns, "Operand should contain 1 column(s)")
	case more && kind == sqlparse.PullScalar:
		return nil, wire.NewError(wire.ErSubqueryNo1Row, "Subquery returns more than 1 row")
	case more:
		return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: the subquery %s returned more than %d rows (limits.max_pulled_rows); Strata runs IN (SELECT ...) over sharded tables first and puts its values in the statement: narrow the subquery, or join instead",
			abbreviate(f.Text, 80), limit)
	}
	literal := pulledLiteral
	if typed {
		literal = engine.Literal
	}
	return distinctLiterals(cols[0], rows, 0, literal, false) // NULL stays: NOT IN then matches nothing
}

// planPulled plans a subquery Strata runs first: as it is, or after its
// own subqueries over shards ran first. One that reads no placed table is
// errNotPulled, unless lvl allows tables of the default cluster; one that
// reads no table at all always is (it is already literals).
func (s *Session) planPulled(ctx context.Context, sql string, lvl pullLevel) (*sqlparse.Facts, *planner.ShardPlan, error) {
	parsed := s.parse(sql)
	if alt, ok := s.readingMode().ReadableMySQLForm(sql); parsed.Err != nil && ok {
		// A part in MariaDB's words (CAST(x AS UUID)): in MySQL's.
		sql, parsed = alt, s.parse(alt)
	}
	f := parsed.Summary
	if parsed.Err != nil || len(parsed.Statements) != 1 || f.Kind != sqlparse.KindSelect || f.Masked ||
		!s.placed(f) && !(lvl.unplaced && (len(f.Tables) > 0 || lvl.tableless) && s.env.Sharding != nil) {
		return nil, nil, errNotPulled
	}
	plan, err := s.env.Sharding.Plan(ctx, s.readingMode(), sql, f, nil)
	if err != nil {
		inner, perr := s.pullOut(ctx, sql, lvl)
		switch {
		case errors.Is(perr, errNotPulled):
			return nil, nil, err
		case perr != nil:
			return nil, nil, perr
		}
		parsed = s.parse(inner)
		if f = parsed.Summary; parsed.Err != nil || len(parsed.Statements) != 1 || f.Kind != sqlparse.KindSelect {
			return nil, nil, err
		}
		if plan, err = s.env.Sharding.Plan(ctx, s.readingMode(), inner, f, nil); err != nil {
			return nil, nil, err
		}
	}
	if plan.Write {
		return nil, nil, errNotPulled
	}
	if s.mayBoundByClock(f, plan) {
		// A table of a join read first by a clock bound on its time key
		// (l.at > NOW() - INTERVAL 1 DAY): as Session.queryPlaced, the
		// bound's value written in, so the read goes to its periods only.
		if text, _, ok, kerr := s.keyBoundValues(ctx, sql); kerr == nil && ok { // a part: the statement it is read for keeps the clock
			if p := s.parse(text); p.Err == nil {
				if bounded, err := s.env.Sharding.Plan(ctx, s.readingMode(), text, p.Summary, nil); err == nil && !bounded.Write {
					return p.Summary, bounded, nil
				}
			}
		}
	}
	return f, plan, nil
}

// pulledTable runs a derived table, a CTE's query or a UNION branch over
// placed tables and returns its rows as typed literals
// (sqlparse.PulledTable), up to maxPulled of them.
func (s *Session) pulledTable(ctx context.Context, sql string, lvl pullLevel) (sqlparse.PulledTable, error) {
	sql, _ = s.readingMode().InKeyOrder(sql, s.env.Sharding.PrimaryKey)
	cols, rows, err := s.readPart(ctx, sql, lvl, "Strata: %s returned more than %d rows (limits.max_pulled_rows); Strata runs a derived table, CTE, UNION branch or subquery over sharded tables first and puts its rows in the statement: narrow it (WHERE, LIMIT, GROUP BY), or query the shards' rows without it")
	if err != nil {
		return sqlparse.PulledTable{}, err
	}
	t, err := literalTable(cols, rows)
	if err != nil {
		return sqlparse.PulledTable{}, err
	}
	s.env.Metrics.RunFirst("table", int64(len(rows)))
	return t, nil
}

// pulledInsertRows runs the SELECT of an INSERT ... SELECT and returns
// its rows as plain literals (pulledLiteral), so that the INSERT's VALUES
// route by their shard key, up to maxPulled rows.
func (s *Session) pulledInsertRows(ctx context.Context, sql string, lvl pullLevel) (sqlparse.PulledTable, error) {
	sql, _ = s.readingMode().InKeyOrder(sql, s.env.Sharding.PrimaryKey)
	cols, rows, err := s.readPart(ctx, sql, lvl, "Strata: the SELECT of this INSERT ... SELECT (%s) returned more than %d rows (limits.max_pulled_rows); Strata reads them first and inserts them as VALUES: copy in batches (WHERE id BETWEEN ...)")
	if err != nil {
		return sqlparse.PulledTable{}, err
	}
	t := sqlparse.PulledTable{}
	if t.Rows, err = literalRows(cols, rows, pulledLiteral); err != nil {
		return sqlparse.PulledTable{}, err
	}
	s.env.Metrics.RunFirst("insert", int64(len(rows)))
	return t, nil
}

// readPart runs a part of a statement Strata reads first and returns its
// rows, up to maxPulled; more is the error tooMany formats with the
// part's text and the limit.
func (s *Session) readPart(ctx context.Context, sql string, lvl pullLevel, tooMany string) ([]engine.Column, []engine.Row, error) {
	f, plan, err := s.planPulled(ctx, sql, lvl)
	if err != nil {
		return nil, nil, err
	}
	cols, rows, more, err := s.collectRows(ctx, f, plan, s.maxPulled(), lvl.primary)
	if err == nil && more {
		err = wire.NewError(wire.ErNotSupportedYet, tooMany, abbreviate(f.Text, 80), s.maxPulled())
	}
	return cols, rows, err
}

// countedTable counts the rows of a derived table whose statement needs
// only their number (SELECT COUNT(*) FROM (...) t, an ORM's page count),
// as many as there are: they stream by, none is kept.
func (s *Session) countedTable(ctx context.Context, sql string, lvl pullLevel) (sqlparse.PulledTable, error) {
	f, plan, err := s.planPulled(ctx, sql, lvl)
	if err != nil {
		return sqlparse.PulledTable{}, err
	}
	var n int64
	if _, err := s.readRows(ctx, f, plan, lvl.primary, func(engine.Row) bool { n++; return true }); err != nil {
		return sqlparse.PulledTable{}, err
	}
	s.env.Metrics.RunFirst("count", n)
	return sqlparse.PulledTable{Counted: true, Count: n}, nil
}

// pulledLiteral writes a subquery's value as a literal the outer statement
// compares like the value itself: numbers as numbers, text quoted (so the
// compared column's collation applies, and a shard key routes), anything
// with quotes, backslashes or bytes outside printable ASCII as a hex
// string in its character set, binary values as binary.
func pulledLiteral(c engine.Column, v engine.Value) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	switch c.Type {
	case engine.TypeTiny, engine.TypeShort, engine.TypeLong, engine.TypeLongLong, engine.TypeInt24, engine.TypeYear,
		engine.TypeDecimal, engine.TypeNewDecimal, engine.TypeFloat, engine.TypeDouble:
		if !engine.NumberText(v) {
			return "", fmt.Errorf("%w: %q is not a number", engine.ErrNotComputable, v)
		}
		return string(v), nil
	case engine.TypeJSON, engine.TypeGeometry:
		return "", fmt.Errorf("%w: a subquery's %s value", engine.ErrNotComputable, map[byte]string{engine.TypeJSON: "JSON", engine.TypeGeometry: "geometry"}[c.Type])
	}
	switch c.Type {
	case engine.TypeDate, engine.TypeNewDate, engine.TypeDateTime, engine.TypeTimestamp, engine.TypeTime:
		if plainText(v) { // a date-time text, quoted as written: a date key routes
			return "'" + string(v) + "'", nil
		}
	}
	if c.Charset == engine.CharsetBinary {
		return "X'" + hex.EncodeToString(v) + "'", nil
	}
	if plainText(v) {
		return "'" + string(v) + "'", nil
	}
	lit, err := engine.Literal(c, v) // CONVERT(X'…' USING cs) COLLATE coll
	if err != nil {
		return "", err
	}
	return lit, nil
}

// plainText: printable ASCII without quotes or backslashes, which reads
// the same in every character set and sql_mode.
func plainText(v []byte) bool {
	for _, b := range v {
		if b < 0x20 || b > 0x7e || b == '\'' || b == '\\' || b == '"' {
			return false
		}
	}
	return true
}

// collectRows runs a SELECT's plan and returns up to limit of its rows,
// and whether it had more, for Strata's own use rather than the client's.
// The rows count against the statement's budget until it ends.
func (s *Session) collectRows(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, limit int, primary bool) (cols []engine.Column, out []engine.Row, more bool, err error) {
	budget := s.statementBudget()
	var overBudget error
	cols, err = s.readRows(ctx, f, plan, primary, func(r engine.Row) bool {
		if len(out) == limit {
			more = true
			return false
		}
		if overBudget = budget.Take(engine.RowBytes(r), "holding the rows Strata reads first to put in the statement"); overBudget != nil {
			return false
		}
		out = append(out, r)
		return true
	})
	if err == nil && overBudget != nil {
		err = memoryLimitError(overBudget)
	}
	if err != nil {
		return nil, nil, false, err
	}
	return cols, out, more, nil
}

// readRows runs a SELECT's plan for Strata's own use and hands each merged
// row to each until it returns false. primary: read the primaries.
func (s *Session) readRows(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, primary bool, each func(engine.Row) bool) ([]engine.Column, error) {
	if err := s.checkTransaction(ctx, f, plan); err != nil {
		return nil, err
	}
	conns, err := s.takeConns(ctx, s.unlimitedRoutes(plan.Routes), primary, plan.Walk)
	if err != nil {
		return nil, err
	}
	defer s.giveBack(conns)
	defer s.noteTxRead(f, conns)
	defer s.running(conns)() // KILL QUERY stops it too
	restore, err := s.readInUTF8(conns)
	defer restore()
	if err != nil {
		return nil, err
	}
	rows := make([]*backend.Rows, len(conns))
	defer s.closeRows(rows, conns)
	open := len(conns)
	if plan.Walk || anyShared(conns) {
		open = 1 // the rest open as the merge reaches them
	}
	for i, sc := range conns[:open] {
		if rows[i], err = sc.conn.QueryRows(ctx, sc.route.SQL); err != nil {
			s.markBroken(sc, err)
			return nil, shardError(sc.route.Cluster, err)
		}
	}
	stream, cols, _, err := s.mergeStream(ctx, plan, conns, rows, s.statementBudget())
	if err != nil {
		var rerr routingError
		if errors.As(err, &rerr) {
			return nil, &planner.RoutingError{Msg: rerr.err.Error()}
		}
		return nil, err
	}
	for _, sc := range conns {
		s.env.Metrics.ShardQuery(sc.route.Cluster, "read")
	}
	// The rows go into a statement as literals, which compare by the
	// collation they are written with: their columns' own (a _bin
	// column's values by their bytes), not the connection's.
	var sources []*sqlparse.TextSource
	if plan.Select != nil {
		sources = plan.Select.Sources
	}
	cols = s.env.Sharding.MergeColumns(ctx, cols, sources)
	defer stream.Close()
	for {
		r, err := stream.Next(ctx)
		switch {
		case err == io.EOF:
			return cols, nil
		case err != nil:
			return nil, mergeError(err, false)
		case !each(r):
			return cols, nil
		}
	}
}

// readInUTF8 makes conns send text as UTF-8 for a read Strata keeps for
// itself (rows it writes into a statement it runs on one server). In the
// client's character set, a latin1 client's rows would come with '?' for
// every character latin1 cannot hold, and the statement would compare
// other values than one server does (a title < 'b' that is not). The
// rows' column definitions then say utf8mb4, so the literals Strata
// writes of them say so too. restore gives the connections the session's
// character set back (the next statement's may skip setting them: a
// pinned connection, a transaction's).
func (s *Session) readInUTF8(conns []*shardConn) (restore func(), err error) {
	results := s.results // set apart from SET NAMES, or "": the client's
	if results == "" {
		results = s.charset
	}
	switch results {
	case "", "utf8mb4", "binary":
		return func() {}, nil
	}
	if statementsInUTF8(conns) {
		return func() {}, nil
	}
	var changed []*backend.Conn
	restore = func() {
		for _, c := range changed {
			if !c.Broken && s.vars.applyCharsets(c) != nil {
				c.Broken = true
			}
		}
	}
	for _, sc := range conns {
		c := sc.conn
		if slices.Contains(changed, c) {
			continue
		}
		if err := c.SimpleCommand(comQuery, "SET character_set_results = utf8mb4"); err != nil {
			s.markBroken(sc, err)
			return restore, shardError(sc.route.Cluster, err)
		}
		changed = append(changed, c)
		// What c holds now, unlike the session: the next apply (or
		// restore) sets the character sets again.
		c.Vars["character_set_results"] = "SET character_set_results = utf8mb4"
	}
	return restore, nil
}

// statementsInUTF8 has each route's SELECT ask for its own results in
// UTF-8 (MariaDB's SET STATEMENT ... FOR): no round trip before it, and
// nothing to give back after. false, changing nothing, when a route is
// not a SELECT or its server not MariaDB.
func statementsInUTF8(conns []*shardConn) bool {
	for _, sc := range conns {
		if !strings.Contains(sc.conn.Version, "MariaDB") ||
			!strings.HasPrefix(sc.route.SQL, setStatement) && !sqlparse.StartsSelect(sc.route.SQL) {
			return false
		}
	}
	for _, sc := range conns {
		sc.route.SQL = withStatementVar(sc.route.SQL, "character_set_results = utf8mb4")
	}
	return true
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// executePulledOut runs an EXECUTE of a SELECT, UPDATE or DELETE the
// sharding planner refused, when its parts over shards can run first;
// Strata answers the outer statement's rows in the binary protocol. refused is the planner's error, the
// answer when this does not apply.
func (s *Session) executePulledOut(ctx context.Context, st *prepared, args []string, refused error) error {
	if st.facts.SetsUserVars && st.facts.Kind == sqlparse.KindSelect {
		// Its rows would come from a statement run where the session
		// keeps its variables, which answers in text only.
		return s.refuseRouting(&planner.RoutingError{Msg: "a prepared SELECT that assigns user variables (@x := ...) over several shards is not supported: send it as a text query, which Strata runs over the rows it reads first, or assign the variables with SET"})
	}
	outer, err := s.pullOutArgs(ctx, st.sql, args, pullLevel{primary: st.facts.Kind != sqlparse.KindSelect})
	switch {
	case errors.Is(err, errNotPulled):
		return s.refuseRouting(refused)
	case errors.Is(err, sqlparse.ErrNothingToInsert):
		return s.WriteOK()
	}
	if err != nil {
		return s.refuseRouting(err)
	}
	return s.executeOuter(ctx, outer, refused)
}

// executeOuter answers an EXECUTE with outer, the text Strata made of
// the prepared statement (its parts run first), in the binary protocol.
// An outer statement the planner still refuses has its own parts run
// first in turn (a join of tables that live apart, left once a subquery
// was read), as a text query's would. refused is the answer when outer
// cannot be planned.
func (s *Session) executeOuter(ctx context.Context, outer string, refused error) error {
	for range maxPulloutDepth {
		parsed := s.parse(outer)
		f := parsed.Summary
		if parsed.Err != nil && f.Fallback || s.env.Sharding == nil {
			// (SET STATEMENT ... FOR is no error: its statement is read.)
			return s.refuseRouting(refused)
		}
		plan, err := s.env.Sharding.Plan(ctx, s.readingMode(), outer, f, nil)
		if err == nil {
			return s.execPlan(ctx, f, plan, true)
		}
		if !pullsOut(f) {
			return s.refuseRouting(err)
		}
		next, perr := s.pullOutArgs(ctx, outer, nil, pullLevel{primary: f.Kind != sqlparse.KindSelect})
		switch {
		case errors.Is(perr, errNotPulled):
			return s.refuseRouting(err)
		case errors.Is(perr, sqlparse.ErrNothingToInsert):
			return s.WriteOK()
		case perr != nil:
			return s.refuseRouting(perr)
		}
		outer = next
	}
	return s.refuseRouting(refused)
}
