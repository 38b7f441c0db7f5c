package main

import (
	"testing"
)

func TestSessionsCommand(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runSessions, "-c", e.path)
	wantLines(t, out, "ID  USER  CLIENT  STATE  TIME MS  TX  SERVERS  STATEMENT\n")
	if out := mustRun(t, runSessions, "-json", "-c", e.path); out != "[]\n" {
		t.Errorf("-json with no sessions: %q, want []", out)
	}
}
