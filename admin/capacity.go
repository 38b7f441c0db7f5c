package admin

import (
	"context"
	"net/http"
)

// shardingRoutes adds the sharding endpoints, answered by the Capacity,
// SchemaCheck and Explain hooks the server sets.
func (s *Server) shardingRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/capacity", s.hook(func() func(context.Context) (any, error) { return s.Capacity }, "capacity", "no range-sharded tables"))
	mux.HandleFunc("GET /api/schema-check", s.hook(func() func(context.Context) (any, error) { return s.SchemaCheck }, "schema check", "no sharded or reference tables"))
	mux.HandleFunc("GET /api/explain", s.explain)
	mux.HandleFunc("GET /api/tables", s.tables)
}

// tables answers GET /api/tables: where every table of the `tables:`
// config lives (placement, method, shard key, shards).
func (s *Server) tables(w http.ResponseWriter, r *http.Request) {
	if s.Tables == nil {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	writeJSON(w, http.StatusOK, s.Tables())
}

// explain answers GET /api/explain?sql=...&user=...&schema=... with the
// Explain hook's plan; a statement it cannot plan is the client's error.
func (s *Server) explain(w http.ResponseWriter, r *http.Request) {
	if s.Explain == nil {
		writeError(w, http.StatusNotFound, "explain is not available")
		return
	}
	q := r.URL.Query()
	sql := q.Get("sql")
	if sql == "" {
		writeError(w, http.StatusBadRequest, "sql is required: GET /api/explain?sql=SELECT+...")
		return
	}
	v, err := s.Explain(r.Context(), sql, q.Get("user"), q.Get("schema"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, v)
}
