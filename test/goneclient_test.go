package test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// A client that closes its connection while its read runs (a PHP request
// past its time limit, a client that gave up) has the read stopped on
// the server within seconds: nobody will read the answer. A write runs
// to its end, as a server alone would run it.
func TestReadOfAGoneClientIsInterrupted(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"CREATE TABLE blog.gone_client (id INT PRIMARY KEY, v INT NOT NULL)",
		"INSERT INTO blog.gone_client VALUES (1, 0)")
	marker := fmt.Sprintf("gone_client_%d", time.Now().UnixNano())
	giveUp := func(query string, params ...string) {
		db := testenv.Open(t, strataDSN("app", "app", "blog", params...))
		ctx, cancel := context.WithTimeout(ctxFor(t), 400*time.Millisecond)
		defer cancel()
		// The driver closes the connection when the context ends.
		if _, err := db.ExecContext(ctx, query); err == nil {
			t.Fatalf("%s returned before the client gave up", query)
		}
		db.Close()
	}

	// Over TLS the client's close_notify comes before its FIN.
	for i, params := range [][]string{nil, {"tls=skip-verify"}} {
		read := fmt.Sprintf("%s_read%d", marker, i)
		giveUp("SELECT SLEEP(20) AS "+read, params...)
		if n := runningOn(t, read); n != 1 {
			t.Fatalf("%v: the read runs on %d servers right after its client gave up, want 1", params, n)
		}
		testenv.Eventually(t, fmt.Sprintf("%v: the read of the gone client stops on the replica", params), func() bool {
			return runningOn(t, read) == 0
		})
	}

	giveUp("UPDATE gone_client SET v = v + 1 WHERE id = 1 AND SLEEP(2) = 0 /* " + marker + "_write */")
	time.Sleep(2500 * time.Millisecond)
	var v int
	if err := openDirect(t, env.primary, "blog").QueryRowContext(ctxFor(t), "SELECT v FROM gone_client WHERE id = 1").Scan(&v); err != nil || v != 1 {
		t.Fatalf("v = %d (%v) after the write's client gave up; want 1: the write must run to its end", v, err)
	}
}

// runningOn counts the statements containing marker that run on any
// server of the package's topology now.
func runningOn(t *testing.T, marker string) int {
	t.Helper()
	n := 0
	for _, srv := range append(env.replicas, env.primary) {
		var c int
		q := "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'"
		if err := openDirect(t, srv, "").QueryRowContext(ctxFor(t), q, "%"+marker+"%").Scan(&c); err != nil {
			t.Fatal(err)
		}
		n += c
	}
	return n
}
