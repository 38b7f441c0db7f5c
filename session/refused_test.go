package session

import (
	"testing"

	"github.com/strata-proxy/strata/backend"
)

// An account statement is refused when it names a server account Strata
// logs in as or gives its replicas, whichever config key names it.
func TestStratasAccount(t *testing.T) {
	env := &Env{Registry: NewRegistry(), Accounts: backend.NewAccounts(map[string]backend.Login{"reports": {User: "reporting", Password: "r"}})}
	env.SetBackendLogin(backend.Login{User: "strata", Password: "s"})
	env.SetToolAccounts([]string{"switcher", "repl"})
	s := newBareSession(t, env, 7)
	tests := []struct {
		names []string
		want  string
	}{
		{[]string{"strata"}, "strata"},
		{[]string{"app", "reporting"}, "reporting"},
		{[]string{"repl"}, "repl"},
		{[]string{"switcher"}, "switcher"},
		{[]string{"app", "other"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := s.stratasAccount(tt.names); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.names, got, tt.want)
		}
	}
}
