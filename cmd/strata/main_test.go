package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// An operator who asks for help gets the list of commands on standard
// output with status 0; an unknown command gets it on standard error with
// status 2; version names the build.
func TestHelpVersionAndUnknownCommands(t *testing.T) {
	cases := []struct {
		args    []string
		status  int
		stdout  string
		stderr  string
		noStdio bool
	}{
		{[]string{"help"}, 0, "  shards", "", false},
		{[]string{"--help"}, 0, "usage: strata COMMAND", "", false},
		{[]string{"-h"}, 0, "  switchover", "", false},
		{[]string{"version"}, 0, "strata ", "", false},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`, true},
		{nil, 2, "", "usage: strata COMMAND", true},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		cliOut, cliErr = &out, &errOut
		status := runCLI(c.args)
		cliOut, cliErr = os.Stdout, os.Stderr
		if status != c.status {
			t.Errorf("strata %v: status %d, want %d", c.args, status, c.status)
		}
		if !strings.Contains(out.String(), c.stdout) || !strings.Contains(errOut.String(), c.stderr) {
			t.Errorf("strata %v: stdout %q, stderr %q; want %q and %q", c.args, out.String(), errOut.String(), c.stdout, c.stderr)
		}
		if c.noStdio && out.Len() > 0 {
			t.Errorf("strata %v printed %q on standard output; a script reading it would take usage for a result", c.args, out.String())
		}
	}
}
