package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The profiles are there only when admin_pprof asks for them: the admin
// port has no authentication.
func TestProfilingRoutes(t *testing.T) {
	cases := []struct {
		name      string
		profiling bool
		path      string
		status    int
		bodyPart  string
	}{
		{"index when enabled", true, "/debug/pprof/", http.StatusOK, "goroutine"},
		{"heap when enabled", true, "/debug/pprof/heap?debug=1", http.StatusOK, "heap profile"},
		{"goroutines when enabled", true, "/debug/pprof/goroutine?debug=1", http.StatusOK, "goroutine profile"},
		{"cmdline when enabled", true, "/debug/pprof/cmdline", http.StatusOK, ""},
		{"index when disabled", false, "/debug/pprof/", http.StatusNotFound, ""},
		{"heap when disabled", false, "/debug/pprof/heap", http.StatusNotFound, ""},
		{"profile when disabled", false, "/debug/pprof/profile?seconds=1", http.StatusNotFound, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.mux = nil
			e.srv.Profiling = c.profiling
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
			if rec.Code != c.status {
				t.Fatalf("GET %s: status %d, want %d", c.path, rec.Code, c.status)
			}
			if !strings.Contains(rec.Body.String(), c.bodyPart) {
				t.Fatalf("GET %s: body lacks %q: %.200s", c.path, c.bodyPart, rec.Body.String())
			}
		})
	}
}

// A reload of admin_pprof turns the profiles on and off on the running
// admin port, without a restart.
func TestProfilingTurnsOnAndOffAtRunTime(t *testing.T) {
	e := newEnv(t)
	e.srv.mux = nil
	h := e.srv.Handler() // Profiling false at start
	status := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/goroutine?debug=1", nil))
		return rec.Code
	}
	for _, c := range []struct {
		on   bool
		want int
	}{{false, http.StatusNotFound}, {true, http.StatusOK}, {false, http.StatusNotFound}} {
		e.srv.SetProfiling(c.on)
		if got := status(); got != c.want {
			t.Errorf("profiling %v: status %d, want %d", c.on, got, c.want)
		}
	}
}
