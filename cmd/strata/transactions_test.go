package main

import (
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/admin"
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

var cliDeadlocks = admin.DeadlocksView{CheckEvery: "1s", Failing: "reading the lock waits of 127.0.0.1:13307: Error 1227", Broken: 3,
	Recent: []admin.BrokenDeadlock{{At: time.Date(2026, 12, 4, 6, 30, 0, 0, time.UTC), Sessions: []uint32{12, 15}, Servers: []string{"127.0.0.1:13310", "127.0.0.1:13311"}, Victim: 15, VictimServer: "127.0.0.1:13311"}}}

func TestDeadlocksCommand(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runDeadlocks, "-c", e.path)
	wantLines(t, out,
		"checks every 1s, 3 deadlocks broken\n",
		"the last check failed (deadlocks across servers wait for innodb_lock_wait_timeout until it works): reading the lock waits of 127.0.0.1:13307: Error 1227\n",
		"AT                    SESSIONS  SERVERS                          VICTIM  VICTIM SERVER\n",
		"2026-12-04T06:30:00Z  12,15     127.0.0.1:13310,127.0.0.1:13311  15      127.0.0.1:13311\n",
	)
	if out := mustRun(t, runDeadlocks, "-c", e.path, "-json"); !strings.Contains(out, `"victim": 15`) {
		t.Errorf("-json: %s", out)
	}
}
