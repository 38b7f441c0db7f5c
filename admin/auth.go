package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// requireAuth wraps h so every request must carry the admin_auth account
// as HTTP Basic credentials: browsers ask for them on the dashboard,
// Prometheus sends them with basic_auth, the CLI takes them from the
// config file. Without an account configured, h is served as it is.
func requireAuth(h http.Handler, user, password string) http.Handler {
	if user == "" {
		return h
	}
	// Hashes make the comparison take the same time whatever the lengths.
	wantUser, wantPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		if !ok || subtle.ConstantTimeCompare(gotUser[:], wantUser[:])&subtle.ConstantTimeCompare(gotPass[:], wantPass[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Strata admin", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "the admin API needs the admin_auth account (HTTP Basic); the strata CLI sends it from the config file")
			return
		}
		h.ServeHTTP(w, r)
	})
}
