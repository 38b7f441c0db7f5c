package test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// limits.client_idle_timeout closes a client that sent nothing for that
// long, telling it why (error 4031, as MySQL does past wait_timeout); a
// client that keeps sending is never closed, and an application's
// connection pool reconnects without noticing.
func TestClientIdleTimeout(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(topologyYAML, "limits: {", "limits: {client_idle_timeout: 1s, ", 1)
	s, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	ctx := testenv.Ctx(t)

	busy := testenv.Conn(t, db)
	for i := 0; i < 12; i++ { // 2.4 s in all, never 1 s silent
		if _, err := busy.ExecContext(ctx, "DO 1"); err != nil {
			t.Fatalf("a client sending every 200 ms, statement %d: %v", i, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	idle := testenv.Conn(t, db)
	if _, err := idle.ExecContext(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // past 1.125 × the timeout
	_, err = idle.ExecContext(ctx, "DO 1")
	if testenv.MySQLErr(err) != 4031 || !strings.Contains(err.Error(), "client_idle_timeout") {
		t.Fatalf("a client silent for 1.5 s: %v, want error 4031 naming limits.client_idle_timeout", err)
	}
	// The pool's idle connections were closed too; the next query gets a
	// fresh one.
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("the pool after its connections were closed: %d, %v", one, err)
	}
	resp, err := http.Get("http://" + s.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "strata_client_idle_closed_total ") || strings.Contains(string(body), "strata_client_idle_closed_total 0\n") {
		t.Errorf("strata_client_idle_closed_total did not count the closed clients")
	}
}
