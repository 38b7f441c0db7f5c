package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-proxy/strata/admin"
)

// Nothing listens on 24392/24393: the servers are down, which is fine here.
const hupYAML = `listen: 127.0.0.1:24391
admin_listen: 127.0.0.1:24390
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
limits: {connect_timeout: 300ms}
monitor: {interval: 1h}
clusters:
  main:
    primary: 127.0.0.1:24392
    replicas:
      - {address: 127.0.0.1:24393}
`

// TestServeReloadsOnSIGHUP runs `strata serve`, edits its config file and
// sends SIGHUP: the change is applied; SIGTERM then stops it cleanly.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	// Keep the default actions (exit) of both signals away from the test
	// binary; runServe's own handlers still receive them.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM)
	defer signal.Stop(sigs)

	path := filepath.Join(t.TempDir(), "strata.yaml")
	if err := os.WriteFile(path, []byte(hupYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- runServe([]string{"-c", path}) }()

	pool := func() string {
		resp, err := http.Get("http://127.0.0.1:24390/api/pools")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var v admin.PoolsView
		if json.NewDecoder(resp.Body).Decode(&v) != nil || len(v.Clusters) == 0 {
			return ""
		}
		for _, p := range v.Clusters[0].Pools {
			for _, m := range p.Members {
				if m.Address == "127.0.0.1:24393" {
					return p.Name
				}
			}
		}
		return ""
	}
	deadline := time.Now().Add(10 * time.Second)
	for pool() != "primary" {
		select {
		case err := <-errc:
			t.Fatalf("serve ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("strata serve did not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}

	edited := strings.Replace(hupYAML, "{address: 127.0.0.1:24393}", "{address: 127.0.0.1:24393, pool: batch}", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// SIGHUP until the change shows: serve installs its handler after it
	// starts listening, so the first signal may come too early.
	deadline = time.Now().Add(10 * time.Second)
	for pool() != "batch" {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload the config")
		}
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
		time.Sleep(100 * time.Millisecond)
	}

	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// -log-format json gives one JSON object per line, as log collectors
// (Loki, Elasticsearch, CloudWatch) parse them; -v adds debug lines.
func TestServeLogFormats(t *testing.T) {
	cases := []struct {
		format  string
		verbose bool
		check   func(line string) bool
		debug   bool
	}{
		{"json", false, func(l string) bool {
			var v map[string]any
			return json.Unmarshal([]byte(l), &v) == nil && v["msg"] == "strata listening" && v["level"] == "INFO" && v["mysql"] == "127.0.0.1:6033"
		}, false},
		{"json", true, func(l string) bool { return json.Valid([]byte(l)) }, true},
		{"text", false, func(l string) bool {
			return strings.Contains(l, `msg="strata listening"`) && strings.Contains(l, "mysql=127.0.0.1:6033")
		}, false},
	}
	for _, c := range cases {
		var buf strings.Builder
		log, err := newLogger(&buf, c.format, c.verbose)
		if err != nil {
			t.Fatal(err)
		}
		log.Debug("checking servers")
		log.Info("strata listening", "mysql", "127.0.0.1:6033")
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if got := len(lines) == 2; got != c.debug {
			t.Errorf("%s, verbose %v: %d lines, want the debug line: %v", c.format, c.verbose, len(lines), c.debug)
		}
		if !c.check(lines[len(lines)-1]) {
			t.Errorf("%s: line %q is not in that format", c.format, lines[len(lines)-1])
		}
	}
	if _, err := newLogger(os.Stderr, "xml", false); err == nil || !strings.Contains(err.Error(), "text or json") {
		t.Errorf("-log-format xml: %v, want an error naming the formats", err)
	}
}
