package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/querystats"
)

// queries answers GET /api/queries: the per-digest statistics — each
// statement shape with the route and server Strata sent it to, how often,
// how long, how often it failed — like ProxySQL's
// stats_mysql_query_digest. Query parameters: order (total, count, avg,
// max, errors, rows, last; default total), limit (default 100, 0 for all),
// contains (a part of the statement text, any case).
func (s *Server) queries(w http.ResponseWriter, r *http.Request) {
	q, err := statsQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.Stats.Snapshot(q))
}

// resetQueries answers DELETE /api/queries: it returns the statistics
// (all rows) and starts counting again.
func (s *Server) resetQueries(w http.ResponseWriter, r *http.Request) {
	snap := s.Stats.Snapshot(querystats.Query{})
	s.Stats.Reset()
	writeJSON(w, http.StatusOK, snap)
}

// defaultQueryRows is how many rows GET /api/queries returns when the
// request says nothing: the heaviest statements, not a dump.
const defaultQueryRows = 100

func statsQuery(r *http.Request) (querystats.Query, error) {
	v := r.URL.Query()
	q := querystats.Query{Order: v.Get("order"), Limit: defaultQueryRows, Contains: v.Get("contains")}
	if !querystats.ValidOrder(q.Order) {
		return q, fmt.Errorf("order %q: use one of %s", q.Order, strings.Join(querystats.Orders, ", "))
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return q, fmt.Errorf("limit %q: a number of rows, 0 for all", l)
		}
		q.Limit = n
	}
	return q, nil
}
