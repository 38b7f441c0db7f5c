package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// MariaDB's error codes for recursive CTEs.
const (
	erWithColWrongList   = 4002 // ER_WITH_COL_WRONG_LIST
	erWrongColumnsNumber = 1222 // ER_WRONG_NUMBER_OF_COLUMNS_IN_SELECT
	warnRecursionLimit   = 1931 // ER_QUERY_RESULT_INCOMPLETE
)

// recursiveTable evaluates a recursive CTE over placed tables
// (sqlparse.RecursiveCTE) round by round, as MariaDB does: the anchor's
// rows, then the step over the rows the round before added, until a round
// adds none or @@max_recursive_iterations rounds ran. Under UNION a row
// found before is not added again. It returns every row, typed by the
// anchor's columns as MariaDB types the CTE, or errNotPulled when the CTE
// reads no placed table.
func (s *Session) recursiveTable(ctx context.Context, r *sqlparse.RecursiveCTE, lvl pullLevel) (sqlparse.PulledTable, error) {
	if !s.readsPlaced(r.Alone, lvl) {
		return sqlparse.PulledTable{}, errNotPulled
	}
	if err := r.Check(); err != nil {
		return sqlparse.PulledTable{}, recursionRefused(err)
	}
	part := lvl
	part.unplaced, part.tableless = true, true // an anchor may be SELECT 5, a step read the default cluster
	anchorCols, anchorRows, err := s.readPart(ctx, r.Anchor, part, tooManyRecursive)
	if err != nil {
		return sqlparse.PulledTable{}, err
	}
	cols, err := cteColumns(r, anchorCols)
	if err != nil {
		return sqlparse.PulledTable{}, err
	}
	added, err := newRoundFilter(cols, r.Distinct)
	if err != nil {
		return sqlparse.PulledTable{}, err
	}
	limit, err := s.maxRecursiveIterations(ctx, part)
	if err != nil {
		return sqlparse.PulledTable{}, err
	}
	all := added(anchorRows)
	round := all
	for n := 0; len(round) > 0; n++ {
		if n == limit {
			s.noteShardWarnings([]diagnostic{{"Warning", warnRecursionLimit, fmt.Sprintf("Query execution was interrupted. The query exceeded max_recursive_iterations = %d. The query result may be incomplete", limit)}}, 1)
			break
		}
		if round, err = s.recursiveRound(ctx, r, cols, round, part); err != nil {
			return sqlparse.PulledTable{}, err
		}
		round = added(round)
		if all = append(all, round...); len(all) > s.maxPulled() {
			return sqlparse.PulledTable{}, wire.NewError(wire.ErNotSupportedYet, "Strata: the recursive CTE %s found more than %d rows (limits.max_pulled_rows) after %d rounds; Strata follows a recursive CTE over sharded tables round by round and puts its rows in the statement: bound it (WHERE depth < N in its recursive part) or start it from fewer rows", r.Name, s.maxPulled(), n+1)
		}
	}
	s.env.Metrics.RunFirst("recursive", int64(len(all)))
	return literalTable(cols, all)
}

// recursiveRound runs the CTE's step over the rows the previous round
// added and returns the rows it found.
func (s *Session) recursiveRound(ctx context.Context, r *sqlparse.RecursiveCTE, cols []engine.Column, prev []engine.Row, lvl pullLevel) ([]engine.Row, error) {
	work, err := literalTable(cols, prev)
	if err != nil {
		return nil, err
	}
	step, err := r.Step(work)
	if err != nil {
		return nil, err
	}
	stepCols, rows, err := s.readPart(ctx, step, lvl, tooManyRecursive)
	if err != nil {
		return nil, err
	}
	if len(stepCols) != len(cols) {
		return nil, wire.NewError(erWrongColumnsNumber, "The used SELECT statements have a different number of columns")
	}
	return rows, nil
}

const tooManyRecursive = "Strata: a round of a recursive CTE (%s) returned more than %d rows (limits.max_pulled_rows); Strata follows a recursive CTE over sharded tables round by round and puts its rows in the statement: bound it or start it from fewer rows"

// cteColumns names the anchor's columns by the CTE's column list, if it
// has one: the CTE's columns, typed as MariaDB types them, by the anchor.
func cteColumns(r *sqlparse.RecursiveCTE, anchor []engine.Column) ([]engine.Column, error) {
	cols := append([]engine.Column(nil), anchor...)
	if r.Columns == nil {
		return cols, nil
	}
	if len(r.Columns) != len(cols) {
		return nil, wire.NewError(erWithColWrongList, "WITH column list and SELECT field list have different column counts")
	}
	for k, name := range r.Columns {
		cols[k].Name = name
	}
	return cols, nil
}

// newRoundFilter returns what keeps the rows a round adds to the CTE:
// every row under UNION ALL; under UNION only those not found before (in
// this round or an earlier one), equal as MariaDB's UNION judges them.
func newRoundFilter(cols []engine.Column, distinct bool) (func([]engine.Row) []engine.Row, error) {
	if !distinct {
		return func(rows []engine.Row) []engine.Row { return rows }, nil
	}
	seen, err := engine.NewRowSet(cols)
	if err != nil {
		return nil, err
	}
	return func(rows []engine.Row) []engine.Row {
		var out []engine.Row
		for _, row := range rows {
			if added, err := seen.Add(row); err == nil && added {
				out = append(out, row)
			}
		}
		return out
	}, nil
}

// maxRecursiveIterations is the session's @@max_recursive_iterations, as
// the server that runs its reads has it (the session's own setting
// included).
func (s *Session) maxRecursiveIterations(ctx context.Context, lvl pullLevel) (int, error) {
	_, rows, err := s.readPart(ctx, "SELECT @@max_recursive_iterations", lvl, tooManyRecursive)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return 0, errors.New("reading @@max_recursive_iterations: no value")
	}
	n, err := strconv.ParseUint(string(rows[0][0]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading @@max_recursive_iterations: %w", err)
	}
	return int(min(n, uint64(1<<31-1))), nil
}

// readsPlaced reports whether a statement reads a placed table, or with
// lvl.unplaced any table.
func (s *Session) readsPlaced(sql string, lvl pullLevel) bool {
	parsed := s.parse(sql)
	return parsed.Err == nil && (s.placed(parsed.Summary) || lvl.unplaced && len(parsed.Summary.Tables) > 0)
}

// recursionRefused answers a recursive CTE MariaDB would refuse with its
// error, and one Strata does not follow with why.
func recursionRefused(err error) error {
	var serr *sqlparse.SyntaxError
	if errors.As(err, &serr) {
		return &wire.Error{Code: serr.Code, State: serr.SQLState, Message: serr.Msg}
	}
	return &planner.RoutingError{Msg: err.Error()}
}
