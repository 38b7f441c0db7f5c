package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// debianPython is the interpreter Debian's python3-pymysql and
// python3-mysqldb install into (a python3 earlier on PATH, as pyenv's,
// may lack them).
const debianPython = "/usr/bin/python3"

// Python apps through Strata, with the two drivers they use unchanged
// (test/python/blog_workload.py): PyMySQL and mysqlclient (MySQLdb, over
// libmariadb: Django's driver). Both interpolate values on the client,
// set up the session as Django does (READ COMMITTED, a strict sql_mode),
// run several statements in one query, stream a large result through an
// unbuffered cursor, and default to autocommit off. Each gets the same
// answers as from the primary, its autocommit reads land on the replicas,
// and its writes, transactions and errors behave as on the server.
func TestPythonDriverWorkload(t *testing.T) {
	t.Parallel()
	script, _ := filepath.Abs("python/blog_workload.py")
	for _, driver := range []string{"pymysql", "mysqldb", "mysqldb_compress"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			module := map[string]string{"pymysql": "pymysql", "mysqldb": "MySQLdb", "mysqldb_compress": "MySQLdb"}[driver]
			if out, err := exec.Command(debianPython, "-c", "import "+module).CombinedOutput(); err != nil {
				t.Fatalf("%s cannot import %s (make deps installs python3-pymysql and python3-mysqldb): %v\n%s", debianPython, module, err, out)
			}
			prefix := "py_" + driver + "_"
			setupTables(t, blogSchema(prefix)...)
			run := func(host, port, user, pass, part string) string {
				cmd := exec.CommandContext(ctxFor(t), debianPython, script, host, port, user, pass, prefix, driver, part)
				cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("python %s %s (%s:%s): %v\n%s", driver, part, host, port, err, out)
				}
				return string(out)
			}
			checkWorkloadReads(t, run, prefix, "ünïcödé", `'it\'s \\ "quoted"'`, "Decimal(12.35)", "b'\\x00\ufffd'",
				"['READ-COMMITTED', 'STRICT_TRANS_TABLES']", "stream: [20000, 200010000]", "select_db: [['mysql']]")
			// the transaction's, executemany's 20, the autocommit-off one
			checkWorkloadWrites(t, run, prefix, "py", "22")
		})
	}
}
