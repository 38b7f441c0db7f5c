package admin

import (
	"net/http"
	"net/http/pprof"
)

// profilingRoutes serves the runtime's profiles the way net/http/pprof
// does on the default mux, which Strata does not use: an operator can see
// where a live proxy spends its CPU and memory without a restart into a
// profiling build. A CPU profile costs a few per cent while it runs; the
// routes exist only with admin_pprof: true.
func profilingRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // also heap, goroutine, allocs, block, mutex, threadcreate
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
