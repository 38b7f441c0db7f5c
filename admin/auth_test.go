package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAdminAuth(t *testing.T) {
	e := newEnv(t)
	e.srv.AuthUser, e.srv.AuthPassword = "ops", "s3cret"
	h := e.srv.Handler()
	cases := []struct {
		name       string
		user, pass string
		send       bool
		status     int
	}{
		{"no credentials", "", "", false, http.StatusUnauthorized},
		{"wrong password", "ops", "nope", true, http.StatusUnauthorized},
		{"wrong user", "root", "s3cret", true, http.StatusUnauthorized},
		{"the account", "ops", "s3cret", true, http.StatusOK},
	}
	for _, c := range cases {
		for _, path := range []string{"/api/topology", "/metrics", "/dashboard"} {
			req := httptest.NewRequest("GET", path, nil)
			if c.send {
				req.SetBasicAuth(c.user, c.pass)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Errorf("%s, GET %s: %d, want %d", c.name, path, rec.Code, c.status)
			}
			if c.status == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s, GET %s: no WWW-Authenticate, so a browser would not ask", c.name, path)
			}
		}
	}
	e.srv.AuthUser, e.srv.AuthPassword = "", ""
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/topology", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("without admin_auth: %d, want 200 with no credentials", rec.Code)
	}
}
