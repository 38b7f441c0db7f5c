package test

import (
	"fmt"
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
			h, p := strataHostPort()
			primary0, replicas0 := readsByServer(t, prefix+"entries")
			viaStrata := run(h, p, "app", "app", "read")
			primary1, replicas1 := readsByServer(t, prefix+"entries")
			direct := run("127.0.0.1", fmt.Sprint(env.primary.Port), "root", "", "read")
			if viaStrata != direct {
				t.Errorf("answers differ\nvia Strata:\n%s\ndirect:\n%s", viaStrata, direct)
			}
			for _, want := range []string{"ünïcödé", `"it's"`, `"12.35"`} {
				if !strings.Contains(viaStrata, want) {
					t.Errorf("%s missing from the answers through Strata:\n%s", want, viaStrata)
				}
			}
			if driver == "mariadb" && !strings.Contains(viaStrata, `stream: {"rows":20000,"sum":200010000}`) {
				t.Errorf("streamed read incomplete:\n%s", viaStrata)
			}
			if primary1 != primary0 {
				t.Errorf("the primary read %d rows of %sentries: autocommit reads must go to replicas", primary1-primary0, prefix)
			}
			if sum(replicas1) == sum(replicas0) {
				t.Errorf("the replicas read no rows of %sentries", prefix)
			}

			out := run(h, p, "app", "app", "write")
			if !strings.HasSuffix(out, "ok\n") {
				t.Fatalf("writes: %s", out)
			}
			want := "2" // the committed transaction and the autocommit insert
			if driver == "mariadb" {
				want = "52" // and the batch of 50
			}
			if !strings.Contains(out, "rows "+want+"\n") {
				t.Errorf("the driver counted %q rows of its own, want %s", out, want)
			}
			n, err := env.primary.QueryValue(ctxFor(t), fmt.Sprintf("SELECT COUNT(*) FROM blog.%scomments WHERE body LIKE 'node %%'", prefix))
			if err != nil || n != want {
				t.Errorf("rows written through Strata on the primary: %s (%v), want %s", n, err, want)
			}
			if n, _ := env.primary.QueryValue(ctxFor(t), fmt.Sprintf("SELECT COUNT(*) FROM blog.%scomments WHERE body LIKE 'rolled back%%'", prefix)); n != "0" {
				t.Errorf("%s rolled-back rows on the primary", n)
			}
		})
	}
}
