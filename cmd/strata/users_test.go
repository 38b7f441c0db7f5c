package main

import (
	"strings"
	"testing"
)

// strata users prints each account's plugin, server account, open
// connections and limit (- for none), or the API's JSON with -json.
func TestUsersCommand(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runUsers, "-c", e.path)
	wantLines(t, out,
		"USER     AUTH PLUGIN            SERVER ACCOUNT  CONNECTIONS  MAX\n",
		"app      mysql_native_password  strata          3            -\n",
		"reports  caching_sha2_password  reporter        5            5\n")
	if out := mustRun(t, runUsers, "-json", "-c", e.path); !strings.Contains(out, `"server_account": "reporter"`) {
		t.Errorf("-json: %s", out)
	}
}
