package admin

import (
	"errors"
	"net/http"
	"strconv"
)

// rebalanceRoutes serves the online rebalance of a sharded table.
func (s *Server) rebalanceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/rebalance", s.startRebalance)
	mux.HandleFunc("GET /api/rebalance", s.rebalanceStatus)
}

// startRebalance answers POST /api/rebalance?table=T[&batch=N]: start (or
// resume) moving table T's rows to the placement the config file gives
// it, while Strata serves it.
func (s *Server) startRebalance(w http.ResponseWriter, r *http.Request) {
	if s.Rebalance == nil {
		writeError(w, http.StatusNotFound, "online rebalance is not available in this Strata")
		return
	}
	table := r.URL.Query().Get("table")
	if table == "" {
		writeError(w, http.StatusBadRequest, "table is required: POST /api/rebalance?table=NAME")
		return
	}
	batch := 0
	if b := r.URL.Query().Get("batch"); b != "" {
		n, err := strconv.Atoi(b)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "batch must be a positive number of rows")
			return
		}
		batch = n
	}
	s.fileMu.Lock() // it applies the file, as a reload does
	defer s.fileMu.Unlock()
	st, err := s.Rebalance(r.Context(), table, batch)
	if err != nil {
		writeError(w, http.StatusConflict, "online rebalance not started: "+err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, st)
}

// rebalanceStatus answers GET /api/rebalance: the progress of the last
// online rebalance.
func (s *Server) rebalanceStatus(w http.ResponseWriter, r *http.Request) {
	if s.RebalanceStatus == nil {
		writeError(w, http.StatusNotFound, "online rebalance is not available in this Strata")
		return
	}
	st, err := s.RebalanceStatus(r.Context())
	if errors.Is(err, ErrNoRebalance) || st == nil && err == nil {
		writeError(w, http.StatusNotFound, "no online rebalance ran since Strata started")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// ErrNoRebalance: RebalanceStatus has no move to show.
var ErrNoRebalance = errors.New("no online rebalance ran since Strata started")
