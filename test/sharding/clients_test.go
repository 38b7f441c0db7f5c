package sharding

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/backend"
)

// clientSameAsOneServer runs a client program against the single server holding
// every row and then through Strata, with host, port, user and password
// as its first arguments and then args, and fails where Strata's output
// differs from the single server's, or where the single server's lacks
// one of lines (which shows the program did the work it prints).
func clientSameAsOneServer(t *testing.T, what string, command func(args ...string) *exec.Cmd, lines []string, args ...string) {
	t.Helper()
	clientSameAsOneServerAt(t, strataAddr, what, command, lines, args...)
}

// clientSameAsOneServerAt is clientSameAsOneServer through the Strata
// instance at addr.
func clientSameAsOneServerAt(t *testing.T, addr, what string, command func(args ...string) *exec.Cmd, lines []string, args ...string) {
	t.Helper()
	run := func(addr, user, pass string) string {
		t.Helper()
		host, port, _ := strings.Cut(addr, ":")
		out, err := command(append([]string{host, port, user, pass}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s against %s: %v\n%s", what, addr, err, out)
		}
		return string(out)
	}
	want := run(clusterAddr["single"], "root", "")
	if got := run(addr, "app", "app"); got != want {
		t.Errorf("%s through Strata differs from the single server:%s", what, lineDiff(got, want))
	}
	for _, line := range lines {
		if !strings.Contains(want, line) {
			t.Errorf("%s: %q missing from\n%s", what, line, want)
		}
	}
}

// program is the command of a client program: name with its script
// first, then the arguments it is given.
func program(name, script string) func(args ...string) *exec.Cmd {
	return func(args ...string) *exec.Cmd {
		return exec.Command(name, append([]string{script}, args...)...)
	}
}

// lineDiff lists the lines where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "\nline %d\n  Strata: %s\n  single: %s", i+1, gl, wl)
		}
	}
	return b.String()
}

// rawConn is a protocol-level connection to addr (Strata's own backend
// client), for what a driver does not show: an OK's info line, column
// definitions, bulk executions. It closes when the test ends.
func rawConn(t *testing.T, addr, user, pass string) *backend.Conn {
	t.Helper()
	c, err := backend.Dial(context.Background(), backend.DialConfig{Addr: addr, User: user, Password: pass, Timeout: 5 * time.Second, Flavor: backend.Flavor{Collation: 45}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
