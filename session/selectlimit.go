package session

import (
	"context"
	"math"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
)

// A session's sql_select_limit (set by `mariadb --safe-updates`, by GUI
// tools) caps the rows of its top-level SELECTs. A server applies it to
// each statement it runs as a top-level one, so a shard would cap its own
// part of a merge, and every read Strata makes for itself (a subquery
// run first, a table read for a join): a merge of four shards gave four
// times the rows, and a COUNT(*) over a derived table counted the capped
// rows. So those queries run with the limit lifted, and Strata caps the
// merged answer itself. A statement relayed whole to one server keeps
// the server's own cap.

// limitsSelects reports whether the session set sql_select_limit.
func (s *Session) limitsSelects() bool {
	_, set := s.vars.m["sql_select_limit"]
	return set
}

// unlimitedRoutes are routes whose SELECTs run without the session's
// sql_select_limit; the routes themselves when it set none. A plan may
// be cached and shared, so its routes are copied, not changed.
func (s *Session) unlimitedRoutes(routes []planner.ShardRoute) []planner.ShardRoute {
	if !s.limitsSelects() {
		return routes
	}
	out := make([]planner.ShardRoute, len(routes))
	for i, r := range routes {
		if sqlparse.StartsSelect(r.SQL) {
			r.SQL = withStatementVar(r.SQL, "sql_select_limit = DEFAULT")
		}
		out[i] = r
	}
	return out
}

// setStatement starts a SELECT that Strata gives variables of its own for
// that statement alone (MariaDB's SET STATEMENT ... FOR).
const setStatement = "SET STATEMENT "

// withStatementVar gives a route's SELECT the assignment for itself
// alone, beside any Strata gave it before (one SET STATEMENT takes a
// list; they do not nest).
func withStatementVar(sql, assignment string) string {
	if rest, ok := strings.CutPrefix(sql, setStatement); ok {
		return setStatement + assignment + ", " + rest
	}
	return sqlparse.SetStatementFor(assignment, sql)
}

// selectLimit is the cap on the rows of a merged SELECT: the session's
// sql_select_limit, read on c, unless the statement has its own LIMIT; 0
// for none.
func (s *Session) selectLimit(ctx context.Context, c *backend.Conn, f *sqlparse.Facts) (uint64, error) {
	if !s.limitsSelects() || f.Kind != sqlparse.KindSelect || sqlparse.HasTopLevelLimit(f.Text) {
		return 0, nil
	}
	_, row, err := queryRow(ctx, c, "SELECT @@sql_select_limit")
	if err != nil || len(row) != 1 {
		return 0, err
	}
	n, err := strconv.ParseUint(string(row[0]), 10, 64)
	if err != nil || n == math.MaxUint64 {
		return 0, err
	}
	return n, nil
}

// capRows caps a merged answer at limit rows (0: none).
func capRows(stream engine.RowStream, limit uint64) engine.RowStream {
	if limit == 0 {
		return stream
	}
	return engine.NewLimit(stream, 0, int64(min(limit, math.MaxInt64)))
}
