package test

import (
	"maps"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// busy_poll changes how Strata waits for clients and servers, never what a
// client gets: with it on, answers are the same and the metrics show waits
// that ended while polling; turned off by a reload, no wait polls.
func TestBusyPollThroughStrata(t *testing.T) {
	// Not parallel: it counts answers that came within the poll, which the
	// package's other tests (each its own Strata and clients on the same two
	// CPUs) would delay past it.
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("busy polling is off on one thread")
	}
	// 1ms, the most allowed: on a machine busy with other tests the
	// answers of a replica on loopback still come inside it.
	yaml := topologyYAML + "busy_poll: 1ms\n"
	s, path := testenv.StartStrataFile(t, yaml)
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, db) // one session: each statement waits for the server, then for the client
	stmt, err := conn.PrepareContext(ctx, "SELECT ? + 1")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	workload := func() {
		t.Helper()
		for i := range 200 {
			var prepared, text int
			if err := stmt.QueryRowContext(ctx, i).Scan(&prepared); err != nil || prepared != i+1 {
				t.Fatalf("prepared SELECT %d + 1 = %d, %v", i, prepared, err)
			}
			if err := conn.QueryRowContext(ctx, "SELECT "+strconv.Itoa(i)+" + 1").Scan(&text); err != nil || text != i+1 {
				t.Fatalf("SELECT %d + 1 = %d, %v", i, text, err)
			}
		}
	}

	// Each statement waits for the server's answer, and then for the
	// client's next statement, unless either is already there when Strata
	// reads (a server that ran on Strata's CPU as soon as the statement
	// was sent; a client quicker than Strata). Both sides poll, and each
	// wait is counted as what it is: answers as answer, the client's next
	// statements as next, never as read. The
	// answers come inside the poll unless other processes (make test runs
	// several packages at once, each with its servers) hold both CPUs for
	// over 1ms at a time; then the back-off rightly sleeps at once for a
	// while, probing now and then. So rounds go on, counted together,
	// until both kinds have been seen while polling: for up to 30 s, as a
	// burst of other packages' work (a sandbox of seven servers starting)
	// outlasts many rounds of 400 statements.
	start := busyPollWaits(t, s.AdminAddr())
	const patience = 30 * time.Second
	deadline := time.Now().Add(patience)
	for round := 1; ; round++ {
		workload()
		on := busyPollWaits(t, s.AdminAddr())
		for k := range on {
			on[k] -= start[k]
		}
		if on["answer/data"] >= 10 && on["next/data"] >= 10 && on["read/data"] < min(on["answer/data"], on["next/data"]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("in %d rounds of 400 statements (%s) with busy_poll: 1ms, waits by kind/outcome %v: want over 10 server answers and over 10 next statements seen while polling, and fewer other reads than either", round, patience, on)
		}
		if round%10 == 1 {
			t.Logf("after round %d: waits by kind/outcome %v: too few ended while polling, the machine is busy; again", round, on)
		}
	}

	if err := os.WriteFile(path, []byte(topologyYAML+"busy_poll: 0s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReloadFile(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // a poll that began before the reload has run out
	off := busyPollWaits(t, s.AdminAddr())
	workload()
	if after := busyPollWaits(t, s.AdminAddr()); !maps.Equal(after, off) {
		t.Fatalf("after a reload to busy_poll: 0s, waits went from %v to %v over 400 statements: still polling", off, after)
	}
}

var busyPollSample = regexp.MustCompile(`(?m)^strata_busy_poll_waits_total\{outcome="(\w+)",wait="(\w+)"\} (\S+)$`)

// busyPollWaits reads strata_busy_poll_waits_total from /metrics, keyed
// "wait/outcome" (e.g. "answer/data").
func busyPollWaits(t *testing.T, adminAddr string) map[string]float64 {
	t.Helper()
	waits := map[string]float64{}
	for _, m := range busyPollSample.FindAllStringSubmatch(testenv.GetText(t, "http://"+adminAddr+"/metrics"), -1) {
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metric %q: %v", m[0], err)
		}
		waits[m[2]+"/"+m[1]] = v
	}
	if len(waits) != 9 {
		t.Fatalf("strata_busy_poll_waits_total: %v, want data, timeout and skipped for each of answer, next and read", waits)
	}
	return waits
}
