package main

import (
	"os"
	"strings"
	"testing"
)

// With admin_auth in the config, the CLI sends the account; a file with
// another password gets the API's refusal.
func TestCLISendsAdminAuth(t *testing.T) {
	e := newCLIEnvWith(t, "admin_auth: {user: ops, password: s3cret}\n")
	out := mustRun(t, runTopology, "-c", e.path)
	if !strings.Contains(out, "127.0.0.1:13306") {
		t.Errorf("topology with the right account:\n%s", out)
	}
	data, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.path, []byte(strings.Replace(string(data), "s3cret", "wrong", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, runTopology, "-c", e.path); err == nil || !strings.Contains(err.Error(), "admin_auth") {
		t.Errorf("a wrong password: %v, want the API's refusal naming admin_auth", err)
	}
}
