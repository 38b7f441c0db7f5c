package admin

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestDashboardIsServed(t *testing.T) {
	e := newEnv(t)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest("GET", "/dashboard", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /dashboard: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, part := range []string{"<title>Strata</title>", `id="servers"`, `id="queries"`, `id="rules"`, `id="running"`, `id="switchovers"`, `id="users"`, `id="rebalance"`, `id="deadlocks"`, `id="cacheSources"`, "s.merge_memory_bytes", "s.program || s.driver", `id="build"`, "topo.strata"} {
		if !strings.Contains(rec.Body.String(), part) {
			t.Errorf("dashboard lacks %s", part)
		}
	}
}

// Every API call the dashboard makes reaches a route of this server with
// the method the page uses: a renamed endpoint must not leave the page
// calling a 404.
func TestDashboardCallsExistingEndpoints(t *testing.T) {
	e := newEnv(t)
	calls := map[string]string{ // the page's api entries → the method it uses
		"topology": "GET", "sessions": "GET", "users": "GET", "queries": "GET", "resetQueries": "DELETE", "drain": "POST", "rules": "GET", "kill": "POST", "switchover": "POST", "switchovers": "GET", "rejoin": "POST", "rebalance": "GET", "deadlocks": "GET", "cache": "GET", "flushCache": "DELETE",
	}
	entry := regexp.MustCompile(`(?m)^\s*(\w+): "(/[^"]*)",$`)
	found := map[string]string{}
	for _, m := range entry.FindAllStringSubmatch(string(dashboardHTML), -1) {
		found[m[1]] = m[2]
	}
	for name, method := range calls {
		path, ok := found[name]
		if !ok {
			t.Errorf("the dashboard's api object has no %s entry (found %v)", name, found)
			continue
		}
		path = strings.ReplaceAll(path, "{address}", "127.0.0.1:13307")
		path = strings.ReplaceAll(path, "{id}", "12")
		path = strings.ReplaceAll(path, "{cluster}", "main")
		req := httptest.NewRequest(method, path, nil)
		if _, pattern := e.srv.mux.Handler(req); pattern == "" || pattern == "/api/" {
			t.Errorf("%s %s (the dashboard's %s) reaches no endpoint", method, path, name)
		}
	}
	if len(found) != len(calls) {
		t.Errorf("the dashboard calls %v; this test checks %v", found, calls)
	}
}
