package sharding

import (
	"os"
	"os/exec"
	"path/filepath"
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
	command := func(args ...string) *exec.Cmd {
		cmd := program(python, script)(args...)
		cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
		return cmd
	}
	for _, driver := range []string{"pymysql", "mysqldb"} {
		clientSameAsOneServer(t, "python "+driver, command, []string{"executemany: rowcount=12", "executemany duplicate: error 1062", "duplicate: error 1062",
			"update many: rowcount=4", "'FF008027", "after tx: [[930200, 'kept']]", "left: [[0]]"}, driver)
	}
}
