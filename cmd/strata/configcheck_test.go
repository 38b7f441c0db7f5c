package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runConfig, "check", "-c", e.path)
	if !strings.Contains(out, "is valid: 1 clusters") {
		t.Errorf("a valid file: %q", out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	data, _ := os.ReadFile(e.path)
	if err := os.WriteFile(bad, append(data, []byte("routing:\n  - {match: {writes: true}, pool: batch}\nlimits: {shutdown_timeout: -1s}\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, runConfig, "check", "-c", bad)
	for _, want := range []string{"routing.0.match.writes: is only for refuse and rewrite rules", "limits.shutdown_timeout: must not be negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("an invalid file: %v, want it to name %q", err, want)
		}
	}
}
