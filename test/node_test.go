package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Node.js apps through Strata, with the two drivers they use unchanged
// (test/node/blog_workload.js): mysql2 and MariaDB's own connector, which
// pipelines a PREPARE with the EXECUTE that names it by id -1. Each gets the
// same answers as from the primary, its reads land on the replicas, and its
// writes, transactions and errors behave as on the server.
func TestNodeDriverWorkload(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not installed: make deps installs nodejs and npm")
	}
	if _, err := os.Stat("node/node_modules/mysql2"); err != nil {
		t.Fatal("the Node.js drivers are not installed: make deps runs npm ci in test/node")
	}
	script, _ := filepath.Abs("node/blog_workload.js")
	for _, driver := range []string{"mysql2", "mariadb"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			prefix := "node_" + driver + "_"
			setupTables(t, blogSchema(prefix)...)
			run := func(host, port, user, pass, part string) string {
				out, err := exec.CommandContext(ctxFor(t), "node", script, host, port, user, pass, prefix, driver, part).CombinedOutput()
				if err != nil {
					t.Fatalf("node %s %s (%s:%s): %v\n%s", driver, part, host, port, err, out)
				}
				return string(out)
			}
			viaStrata := checkWorkloadReads(t, run, prefix, "ünïcödé", `"it's"`, `"12.35"`)
			if driver == "mariadb" && !strings.Contains(viaStrata, `stream: {"rows":20000,"sum":200010000}`) {
				t.Errorf("streamed read incomplete:\n%s", viaStrata)
			}
			want := "2" // the committed transaction and the autocommit insert
			if driver == "mariadb" {
				want = "52" // and the batch of 50
			}
			checkWorkloadWrites(t, run, prefix, "node", want)
		})
	}
}
