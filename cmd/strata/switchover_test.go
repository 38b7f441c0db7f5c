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
