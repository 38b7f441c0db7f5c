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
	// _compress: the same driver asks for the compressed protocol.
	for _, driver := range []string{"mysql2", "mariadb", "mysql2_compress", "mariadb_compress"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			prefix := "node_" + driver + "_"
			setupTables(t, blogSchema(prefix)...)
			run := func(host, port, user, pass, part string) string {
				out, err := exec.CommandContext(ctxFor(t), "node", script, host, port, user, pass, prefix, driver, part).CombinedOutput()
				if err != nil {
					t.Fatalf("node %s %s (%s:%s): %v\n%s", driver, part, host, port, err, out)
				}
				return withoutSequenceWarnings(string(out))
			}
			viaStrata := checkWorkloadReads(t, run, prefix, "ünïcödé", `"it's"`, `"12.35"`)
			if strings.HasPrefix(driver, "mariadb") && !strings.Contains(viaStrata, `stream: {"rows":20000,"sum":200010000}`) {
				t.Errorf("streamed read incomplete:\n%s", viaStrata)
			}
			want := "2" // the committed transaction and the autocommit insert
			if strings.HasPrefix(driver, "mariadb") {
				want = "52" // and the batch of 50
			}
			checkWorkloadWrites(t, run, prefix, "node", want)
		})
	}
}

// withoutSequenceWarnings drops mysql2's warnings about packet numbers.
// Over the compressed protocol MariaDB numbers the packets of a
// multi-statement query's second answer from 2 again, where mysql2
// expects them numbered on (it warns, and reads them all the same);
// Strata numbers them on, as MariaDB does uncompressed, so only the
// direct run warns.
func withoutSequenceWarnings(out string) string {
	lines := strings.SplitAfter(out, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, "Warning: got packets out of order.") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "")
}
