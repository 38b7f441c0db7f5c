package admin

import (
	_ "embed"
	"net/http"
)

// dashboardHTML is a one-page view of the running Strata: servers with
// their state, lag and connections (with drain/undrain and switchover), the
// switchovers and failovers since start, and the
// statements that cost the most with the route each took. It only reads
// and changes through the JSON API, so it shows nothing the API does not.
//
//go:embed dashboard.html
var dashboardHTML []byte

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(dashboardHTML)
}
