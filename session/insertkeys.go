package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// withInsertKeyValues writes the values of an INSERT's shard keys that
// are expressions (NOW(), CURRENT_TIMESTAMP, UUID(), 1 + 19) into it as
// literals, evaluated where the session's statements without tables run,
// with its session variables (time_zone, timestamp); and gives a row that
// leaves its key column to a default Strata can evaluate (DEFAULT
// CURRENT_TIMESTAMP, DEFAULT uuid()) that default's value. The row is
// then routed by the value it is stored with (sqlparse.InsertKeys). ok is
// false when the statement has no such key.
func (s *Session) withInsertKeyValues(ctx context.Context, sql string, f *sqlparse.Facts) (text string, ok bool, err error) {
	if s.env.Sharding == nil || !insertsRows(f) {
		return "", false, nil
	}
	// INSERT INTO t VALUES (...): the table's columns, to find the key's.
	sql = s.env.Sharding.WithInsertColumns(ctx, s.readingMode(), sql, f)
	l := s.env.Sharding.Layout()
	var table *shard.Table
	keys, ok := s.readingMode().InsertKeyExprs(sql, func(name string) string {
		if t := l.Table(name); t != nil && t.Placement == shard.PlaceSharded {
			table = t
			return t.Method.Key()
		}
		return ""
	})
	if !ok {
		return "", false, nil
	}
	exprs := keys.Exprs
	if keys.ReadsInsertID {
		// The parent row's new id: the value the session's OK packets
		// gave, unless a LAST_INSERT_ID(expr) set one Strata did not see.
		if s.holds["LAST_INSERT_ID(expr)"] {
			return "", false, nil
		}
		id := strconv.FormatUint(s.lastInsertID, 10)
		exprs = slices.Clone(exprs)
		for i, e := range exprs {
			exprs[i] = strings.ReplaceAll(e, "LAST_INSERT_ID()", id)
		}
	}
	defaults := defaultsToEvaluate(table, keys)
	if len(exprs) == 0 && len(defaults) == 0 {
		return "", false, nil
	}
	values, err := s.evaluate(ctx, s.clockOf(append(slices.Clip(exprs), defaults...)))
	if err != nil {
		return "", false, fmt.Errorf("evaluating the shard key of %s: %w", keys.Table, err)
	}
	given, filled := values[:len(exprs)], values[len(exprs):len(exprs)+len(defaults)]
	clock := ""
	if n := len(exprs) + len(defaults); len(values) > n {
		clock = values[n]
	}
	text, err = keys.Render(given, filled)
	if err != nil {
		return "", false, err
	}
	return s.atOneTime(text, clock), true, nil
}

// defaultsToEvaluate are the expressions that give the rows of keys that
// take their key column's default their values: none where Strata cannot
// evaluate that default (a constant the planner places by, or one
// reading other columns); the statement's time once for all of them, as
// one server gives every row of a statement one time; else the default
// once per row, as one server evaluates uuid() for each.
func defaultsToEvaluate(t *shard.Table, keys *sqlparse.InsertKeys) []string {
	n := keys.TakingDefault()
	switch {
	case n == 0:
		return nil
	case t.KeyClockDefault != "":
		return []string{t.KeyClockDefault}
	case t.KeyStoredAlone.Expr != "":
		return slices.Repeat([]string{t.KeyStoredAlone.Expr}, n)
	}
	return nil
}

// insertsRows: f is an INSERT or a REPLACE, whose keys may be expressions
// withInsertKeyValues evaluates.
func insertsRows(f *sqlparse.Facts) bool {
	return f.Kind == sqlparse.KindInsert || f.Kind == sqlparse.KindReplace
}

// clockExpr is evaluated beside an expression of the clock (evaluate):
// the instant it read, which the statement then runs at.
const clockExpr = "UNIX_TIMESTAMP(NOW(6))"

// clockOf appends clockExpr to exprs, unless the session fixed its own
// clock (SET timestamp), which the statement follows anyway.
func (s *Session) clockOf(exprs []string) []string {
	if _, own := s.vars.m["timestamp"]; own {
		return exprs
	}
	return append(exprs, clockExpr)
}

// atOneTime runs text at clock (UNIX_TIMESTAMP with microseconds; "" for
// the server's own), the instant its written-in values were read at: the
// statement's own NOW() (updated_at beside a created_at key, a DEFAULT
// CURRENT_TIMESTAMP, an age in its select list) then gives the same
// instant, as one server evaluates NOW() once per statement.
func (s *Session) atOneTime(text, clock string) string {
	if clock == "" {
		return text
	}
	return sqlparse.SetStatementFor("timestamp = "+clock, text)
}

// evaluate computes exprs, expressions of no table, where the session's
// statements without tables run (its pinned connection, or one of the
// default cluster with its session variables), and writes each value as
// a plain literal a shard key routes by (pulledLiteral). Many expressions
// (a key per row of a long INSERT) are read maxEvaluated at a time, the
// later parts at the instant the first read, so NOW() has one value in
// all of them, as one server evaluates it once per statement.
func (s *Session) evaluate(ctx context.Context, exprs []string) ([]string, error) {
	if len(exprs) <= maxEvaluated {
		return s.evaluateSelect(ctx, "", exprs)
	}
	first, err := s.evaluateSelect(ctx, "", append([]string{clockExpr}, exprs[:maxEvaluated-1]...))
	if err != nil {
		return nil, err
	}
	at, out := first[0], first[1:]
	for rest := exprs[maxEvaluated-1:]; len(rest) > 0; {
		part := rest[:min(len(rest), maxEvaluated)]
		values, err := s.evaluateSelect(ctx, "timestamp = "+at, part)
		if err != nil {
			return nil, err
		}
		out, rest = append(out, values...), rest[len(part):]
	}
	return out, nil
}

// maxEvaluated bounds the expressions of one SELECT evaluate sends, well
// under the columns a result may have (the backend reads up to 4096).
const maxEvaluated = 1000

// evaluateSelect is evaluate of exprs in one SELECT, run with vars (SET
// STATEMENT vars FOR) unless vars is "".
func (s *Session) evaluateSelect(ctx context.Context, vars string, exprs []string) ([]string, error) {
	query := "SELECT " + strings.Join(exprs, ", ")
	if vars != "" {
		query = sqlparse.SetStatementFor(vars, query)
	}
	var cols []engine.Column
	var row engine.Row
	var err error
	if s.pinned != nil {
		cols, row, err = queryRow(ctx, s.pinned, query)
	} else {
		snap := s.env.Topology.Load()
		conns, terr := s.takeConns(ctx, []planner.ShardRoute{{Cluster: snap.DefaultCluster}}, false, false)
		if terr != nil {
			return nil, terr
		}
		defer s.giveBack(conns)
		cols, row, err = queryRow(ctx, conns[0].conn, query)
		var werr *wire.Error
		if err != nil && !errors.As(err, &werr) {
			s.markBroken(conns[0], err) // not the server's answer: the connection is lost
		}
	}
	if err != nil {
		return nil, err
	}
	if len(row) != len(exprs) {
		return nil, fmt.Errorf("%.200s gave %d values", query, len(row))
	}
	out := make([]string, len(exprs))
	for i, col := range cols {
		if out[i], err = pulledLiteral(col, row[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", exprs[i], err)
		}
	}
	return out, nil
}

// mayBoundByClock: f, a SELECT, UPDATE or DELETE, reads the clock and a
// table sharded by ranges of its key (date, range, key_range), so a
// clock bound on that key may narrow plan's routes (withKeyBoundValues);
// checked before parsing again.
func (s *Session) mayBoundByClock(f *sqlparse.Facts, plan *planner.ShardPlan) bool {
	if !f.ReadsClock || len(plan.Routes) < 2 || s.env.Sharding == nil {
		return false
	}
	switch f.Kind {
	case sqlparse.KindSelect, sqlparse.KindUpdate, sqlparse.KindDelete:
	default:
		return false
	}
	l := s.env.Sharding.Layout()
	return slices.ContainsFunc(f.Tables, func(ref sqlparse.TableRef) bool {
		t := l.Table(ref.Name)
		return t != nil && t.Placement == shard.PlaceSharded && t.Method.Ordered()
	})
}

// withKeyBoundValues writes the values of the clock bounds on a table's
// shard key (WHERE at > NOW() - INTERVAL 1 DAY) into a statement that
// would otherwise read every period or range of the table
// (sqlparse.KeyBounds), evaluated once where the session's statements
// without tables run: it then reads the periods they name, and every
// shard compares with the same instant. ok is false when it has none.
func (s *Session) withKeyBoundValues(ctx context.Context, sql string) (string, bool, error) {
	text, clock, ok, err := s.keyBoundValues(ctx, sql)
	return s.atOneTime(text, clock), ok, err
}

// keyBoundValues is withKeyBoundValues's statement without the clock it
// runs at, and that clock.
func (s *Session) keyBoundValues(ctx context.Context, sql string) (text, clock string, ok bool, err error) {
	if s.env.Sharding == nil {
		return "", "", false, nil
	}
	l := s.env.Sharding.Layout()
	bounds, ok := s.readingMode().KeyBoundExprs(sql, func(name string) string {
		if t := l.Table(name); t != nil && t.Placement == shard.PlaceSharded && t.Method.Ordered() {
			return t.Method.Key()
		}
		return ""
	})
	if !ok {
		return "", "", false, nil
	}
	n := len(bounds.Exprs)
	values, err := s.evaluate(ctx, s.clockOf(bounds.Exprs))
	if err != nil {
		return "", "", false, err
	}
	if text, err = bounds.Render(values[:n]); err != nil {
		return "", "", false, err
	}
	if len(values) > n {
		clock = values[n]
	}
	return text, clock, true, nil
}
