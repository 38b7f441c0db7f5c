package test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
)

// slow_log writes each statement slower than the threshold to the log,
// with who ran it and where it went, and without its values; faster ones
// are not logged.
func TestSlowLog(t *testing.T) {
	t.Parallel()
	s, logs := startStrataLogging(t, topologyYAML+"slow_log: 200ms\n")
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	var v int
	if err := db.QueryRow("SELECT SLEEP(0.3) + 4242 AS slow_probe").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT 1 AS fast_probe").Scan(&v); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	var slow []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "slow statement") {
			slow = append(slow, line)
		}
	}
	if len(slow) != 1 {
		t.Fatalf("slow statements logged: %d, want 1 (the 300 ms one):\n%s", len(slow), out)
	}
	line := slow[0]
	for _, want := range []string{"slow_probe", "user=app", "schema=blog", "server=127.0.0.1:1730"} {
		if !strings.Contains(line, want) {
			t.Errorf("the slow-statement line lacks %q: %s", want, line)
		}
	}
	if strings.Contains(line, "4242") {
		t.Errorf("the slow-statement line holds a literal of the statement: %s", line)
	}
}

// startStrataLogging runs a Strata from yaml whose WARN log the test reads;
// it is stopped with the test.
func startStrataLogging(t *testing.T, yaml string) (*server.Strata, *syncBuffer) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	s, err := server.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, logs
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
