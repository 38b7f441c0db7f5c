package sharding

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A Python app's reads and writes over the sharded tables through its two
// drivers (test/python/sharded_workload.py), PyMySQL and mysqlclient, which
// quote values into the text on the client (bytes as _binary'...' with
// backslash escapes, dates, times and Decimals their own ways) and send
// executemany() of an INSERT as one multi-row statement: keyed reads and
// reads by time, scatters, a batch over every shard and one with a
// duplicate key, updates, a transaction on one shard and deletes. Every
// answer equals the single server's.
func TestPythonDriversOverShardsLikeOneServer(t *testing.T) {
	const python = "/usr/bin/python3" // where Debian's drivers are
	strataDB(t)
	script, _ := filepath.Abs("../python/sharded_workload.py")
	run := func(addr, user, pass, driver string) string {
		t.Helper()
		host, port, _ := strings.Cut(addr, ":")
		cmd := exec.Command(python, script, host, port, user, pass, driver)
		cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("python %s against %s: %v\n%s", driver, addr, err, out)
		}
		return string(out)
	}
	for _, driver := range []string{"pymysql", "mysqldb"} {
		want := run(clusterAddr["single"], "root", "", driver)
		got := run(strataAddr, "app", "app", driver)
		if got != want {
			t.Errorf("%s through Strata differs from the single server:%s", driver, lineDiff(got, want))
		}
		for _, line := range []string{"executemany: rowcount=12", "executemany duplicate: error 1062", "duplicate: error 1062", "update many: rowcount=4", "'FF008027", "after tx: [[930200, 'kept']]", "left: [[0]]"} {
			if !strings.Contains(want, line) {
				t.Errorf("%s: %q missing from\n%s", driver, line, want)
			}
		}
	}
}
