package admin

import (
	"net/http"
	"net/http/pprof"
)

// profilingRoutes serves the runtime's profiles the way net/http/pprof
// does on the default mux, which Strata does not use: an operator can see
// where a live proxy spends its CPU and memory without a restart into a
// profiling build. A CPU profile costs a few per cent while it runs; the
// routes answer only while admin_pprof is true (SetProfiling), 404
// otherwise.
func (s *Server) profilingRoutes(mux *http.ServeMux) {
	on := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !s.profiling.Load() {
				http.NotFound(w, r)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /debug/pprof/", on(pprof.Index)) // also heap, goroutine, allocs, block, mutex, threadcreate
	mux.HandleFunc("GET /debug/pprof/cmdline", on(pprof.Cmdline))
	mux.HandleFunc("GET /debug/pprof/profile", on(pprof.Profile))
	mux.HandleFunc("GET /debug/pprof/symbol", on(pprof.Symbol))
	mux.HandleFunc("POST /debug/pprof/symbol", on(pprof.Symbol))
	mux.HandleFunc("GET /debug/pprof/trace", on(pprof.Trace))
}

// SetProfiling turns the profiles on or off (a reload of admin_pprof).
func (s *Server) SetProfiling(on bool) { s.profiling.Store(on) }
