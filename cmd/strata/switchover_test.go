package main

import (
	"strings"
	"testing"
)

// The CLI passes the cluster, -to and -timeout, and shows the API's
// refusals. (The switchover itself runs against real servers in
// test/switchover.)
func TestSwitchoverCommand(t *testing.T) {
	cases := []struct {
		name  string
		extra string
		args  []string
		want  string
	}{
		{"not configured", "", []string{"main"}, "switchover is not configured: set switchover.user"},
		{"unknown cluster", "switchover: {user: root, replication_user: repl}\n", []string{"nope"}, "no cluster nope"},
		{"-to a server that is not a replica", "switchover: {user: root, replication_user: repl}\n", []string{"main", "-to", "127.0.0.1:1"}, "127.0.0.1:1 is not a replica of cluster main"},
		{"-to the primary", "switchover: {user: root, replication_user: repl}\n", []string{"main", "-to", "127.0.0.1:13306"}, "127.0.0.1:13306 is already the primary"},
		{"bad -timeout", "switchover: {user: root, replication_user: repl}\n", []string{"main", "-timeout", "soon"}, "invalid value \"soon\""},
		{"no cluster", "", nil, "missing CLUSTER"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newCLIEnvWith(t, tc.extra)
			out, err := run(t, runSwitchover, append(tc.args, "-c", e.path)...)
			if err == nil || !strings.Contains(err.Error()+out, tc.want) {
				t.Fatalf("err %v, output %q; want %q", err, out, tc.want)
			}
			if p := e.topo.Load().Cluster("main").Primary.Addr; p != "127.0.0.1:13306" {
				t.Fatalf("a refused switchover changed the primary to %s", p)
			}
		})
	}
}

func TestFailoverCommand(t *testing.T) {
	e := newCLIEnvWith(t, "switchover: {user: root, replication_user: repl}\n")
	out, err := run(t, runFailover, "main", "-c", e.path)
	if err == nil || !strings.Contains(err.Error(), "the primary 127.0.0.1:13306 of cluster main is up, not down: use a switchover") {
		t.Fatalf("failover of a cluster whose primary is up: %v %s", err, out)
	}
	// Both refusals so far are in the history, newest first.
	run(t, runSwitchover, "main", "-to", "127.0.0.1:1", "-c", e.path)
	out = mustRun(t, runSwitchovers, "-c", e.path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "switchover") || !strings.Contains(lines[1], "refused: 127.0.0.1:1 is not a replica") ||
		!strings.Contains(lines[2], "failover") || !strings.Contains(lines[2], "refused: the primary") {
		t.Fatalf("strata switchovers:\n%s", out)
	}
}

func TestServerRejoinCommand(t *testing.T) {
	e := newCLIEnvWith(t, "switchover: {user: root, replication_user: repl}\n")
	cases := []struct{ addr, want string }{
		{"127.0.0.1:13306", "127.0.0.1:13306 is the primary of cluster main: only a replica rejoins"},
		{"127.0.0.1:1", "no server 127.0.0.1:1 in the topology"},
	}
	for _, tc := range cases {
		if out, err := run(t, runServer, "rejoin", tc.addr, "-c", e.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rejoin %s: %v %s; want %q", tc.addr, err, out, tc.want)
		}
	}
}
