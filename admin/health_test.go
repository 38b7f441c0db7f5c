package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/topology"
)

// A load balancer's probes: no credentials needed, 200 while the cluster
// can answer something, 503 with the reason while Strata drains or a
// cluster has no server left.
func TestReadiness(t *testing.T) {
	cases := []struct {
		name       string
		down       []string
		draining   bool
		status     int
		writes     bool
		replicasUp int
		reasonPart string
	}{
		{"all up", nil, false, http.StatusOK, true, 3, ""},
		{"primary down, replicas serve reads", []string{"127.0.0.1:13306"}, false, http.StatusOK, false, 3, ""},
		{"only the primary left", []string{"127.0.0.1:13307", "127.0.0.1:13308", "127.0.0.1:13309"}, false, http.StatusOK, true, 0, ""},
		{"nothing up", []string{"127.0.0.1:13306", "127.0.0.1:13307", "127.0.0.1:13308", "127.0.0.1:13309"}, false, http.StatusServiceUnavailable, false, 0, "cluster main has no server up"},
		{"draining", nil, true, http.StatusServiceUnavailable, true, 3, "draining"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.AuthUser, e.srv.AuthPassword = "ops", "s3cret" // probes cannot log in
			e.srv.Draining = func() bool { return c.draining }
			for _, addr := range c.down {
				e.srv.Topology.SetState(addr, topology.StateDown, 0, "test")
			}
			h := e.srv.Handler()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			var got ReadyView
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%d %s: %v", rec.Code, rec.Body.String(), err)
			}
			if rec.Code != c.status || got.Ready != (c.status == http.StatusOK) || !strings.Contains(got.Reason, c.reasonPart) {
				t.Errorf("GET /readyz: %d %+v, want %d with a reason containing %q", rec.Code, got, c.status, c.reasonPart)
			}
			if len(got.Clusters) != 1 || got.Clusters[0].Writes != c.writes || got.Clusters[0].ReplicasUp != c.replicasUp || got.Clusters[0].Replicas != 3 {
				t.Errorf("clusters: %+v, want main with writes=%v and %d of 3 replicas up", got.Clusters, c.writes, c.replicasUp)
			}
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("GET /healthz: %d, want 200 whatever the servers' state", rec.Code)
			}
		})
	}
}

// The health checks do not open the rest of the API to anonymous callers.
func TestHealthChecksLeaveTheAPIBehindAuth(t *testing.T) {
	e := newEnv(t)
	e.srv.AuthUser, e.srv.AuthPassword = "ops", "s3cret"
	h := e.srv.Handler()
	for _, path := range []string{"/api/topology", "/healthz/../api/topology", "/metrics"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		// A path that cleans to another is only redirected there.
		if rec.Code != http.StatusUnauthorized && rec.Code/100 != 3 {
			t.Errorf("GET %s without credentials: %d, want 401", path, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/readyz", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("POST /readyz without credentials: %d, want 401 (only GET is open)", rec.Code)
	}
}
