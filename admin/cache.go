package admin

import (
	"net/http"

	"github.com/strata-proxy/strata/resultcache"
)

// CacheStatusView is the body of GET /api/cache: the result cache's counters,
// and for each table a cached read used, the tables whose writes drop its
// entries besides its own (foreign keys that cascade to it, triggers and
// views that name it, a view's tables).
type CacheStatusView struct {
	resultcache.Stats
	MaxBytes int                 `json:"max_bytes"`
	Sources  map[string][]string `json:"sources"`
}

func (s *Server) cache(w http.ResponseWriter, r *http.Request) {
	if s.Cache == nil {
		writeError(w, http.StatusNotFound, "no result cache: no routing rule has cache:")
		return
	}
	writeJSON(w, http.StatusOK, CacheStatusView{Stats: s.Cache.Stats(), MaxBytes: s.Cache.MaxBytes(), Sources: s.Cache.Sources()})
}

// flushCache drops every cached answer (after a change Strata did not
// route, such as a bulk load straight on the primary).
func (s *Server) flushCache(w http.ResponseWriter, r *http.Request) {
	if s.Cache == nil {
		writeError(w, http.StatusNotFound, "no result cache: no routing rule has cache:")
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"dropped": s.Cache.Flush()})
}
