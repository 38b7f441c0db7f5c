package main

import (
	"strings"
	"testing"
)

func TestTransactionsCommand(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runTransactions, "-c", e.path)
	wantLines(t, out,
		"mode twopc, 1 prepared branches waiting\n",
		"CLUSTER  COORDINATOR  GTRID\n",
		"s1       s0           strata-9f0c-17\n",
	)
	if out := mustRun(t, runTransactions, "resolve", "-c", e.path); out != "settled 1 prepared branches\n" {
		t.Errorf("resolve: %q", out)
	}
	if out, err := run(t, runTransactions, "settle", "-c", e.path); err == nil || !strings.Contains(err.Error(), "unexpected arguments: settle") {
		t.Errorf("an unknown action: %v\n%s", err, out)
	}
}
