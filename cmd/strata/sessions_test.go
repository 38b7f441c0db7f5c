package main

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/session"
)

func TestSessionsCommand(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runSessions, "-c", e.path)
	wantLines(t, out, "ID  USER  ACCOUNT  CLIENT  PROGRAM  LINK  STATE  TIME MS  MEMORY  TX  HOLDS  SERVERS  STATEMENT\n")
	if out := mustRun(t, runSessions, "-json", "-c", e.path); out != "[]\n" {
		t.Errorf("-json with no sessions: %q, want []", out)
	}
}

func TestKillCommand(t *testing.T) {
	e := newCLIEnv(t)
	out, err := run(t, runKill, "4242", "-query", "-c", e.path)
	if err == nil || !strings.Contains(err.Error(), "no such session: 4242") {
		t.Errorf("kill of an unknown id: %v\n%s", err, out)
	}
	if out, err := run(t, runKill, "-c", e.path); err == nil || !strings.Contains(err.Error(), "missing ID") {
		t.Errorf("kill without an id: %v\n%s", err, out)
	}
}

func TestKillUserCommand(t *testing.T) {
	e := newCLIEnv(t)
	if out := mustRun(t, runKillUser, "nobody", "-c", e.path); out != "user nobody has no session\n" {
		t.Errorf("kill-user of a user with no session: %q", out)
	}
	if out, err := run(t, runKillUser, "-c", e.path); err == nil || !strings.Contains(err.Error(), "missing NAME") {
		t.Errorf("kill-user without a name: %v\n%s", err, out)
	}
}

func TestSessionLink(t *testing.T) {
	for _, tt := range []struct {
		in   session.Info
		want string
	}{
		{session.Info{}, "-"},
		{session.Info{TLS: true}, "tls"},
		{session.Info{Compressed: true}, "compressed"},
		{session.Info{TLS: true, Compressed: true}, "tls,compressed"},
	} {
		if got := link(tt.in); got != tt.want {
			t.Errorf("link(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSessionProgram(t *testing.T) {
	for _, tt := range []struct {
		in   session.ClientAttrs
		want string
	}{
		{session.ClientAttrs{}, "-"},
		{session.ClientAttrs{Program: "mysql", Driver: "libmariadb 3.3.8", PID: "42"}, "mysql pid 42"},
		{session.ClientAttrs{Driver: "mysqlnd 8.2.36", PID: "7"}, "mysqlnd 8.2.36 pid 7"},
		{session.ClientAttrs{Driver: "Go-MySQL-Driver"}, "Go-MySQL-Driver"},
	} {
		if got := program(tt.in); got != tt.want {
			t.Errorf("program(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "-", 512: "512B", 40 << 10: "40K", 1536 << 10: "1.5M", 3 << 30: "3.0G"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
