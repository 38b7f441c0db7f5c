package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// account is the admin_auth account as hashes: comparing hashes takes
// the same time whatever the lengths of what was sent.
type account struct{ user, password [32]byte }

// SetAuth replaces the account every request must carry (a config
// reload); an empty user serves everyone. Requests already admitted
// finish.
func (s *Server) SetAuth(user, password string) {
	if user == "" {
		s.account.Store(nil)
		return
	}
	s.account.Store(&account{sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))})
}

// requireAuth wraps h so every request must carry the admin_auth account
// as HTTP Basic credentials: browsers ask for them on the dashboard,
// Prometheus sends them with basic_auth, the CLI takes them from the
// config file. Without an account configured, h is served as it is. The
// account is read per request, so SetAuth applies at once.
func (s *Server) requireAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := s.account.Load()
		if want == nil {
			h.ServeHTTP(w, r)
			return
		}
		u, p, ok := r.BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		if !ok || subtle.ConstantTimeCompare(gotUser[:], want.user[:])&subtle.ConstantTimeCompare(gotPass[:], want.password[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Strata admin", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "the admin API needs the admin_auth account (HTTP Basic); the strata CLI sends it from the config file (after a change of admin_auth in the file, reload with SIGHUP: the running Strata still asks for the old account)")
			return
		}
		h.ServeHTTP(w, r)
	})
}
