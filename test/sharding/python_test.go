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

// A Django app's reads and writes over the sharded tables through its ORM
// on mysqlclient (test/python/django_sharded.py): keyed reads, scatters
// with OFFSET, aggregates and annotations, a Paginator, prefetches; saves
// by primary key (UPDATE, then INSERT), bulk_create, get_or_create,
// update_or_create (SELECT ... FOR UPDATE first), F() updates, atomic
// blocks (autocommit off) with a savepoint, deletes. Every answer equals
// the single server's.
func TestDjangoOverShardsLikeOneServer(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import django, MySQLdb").CombinedOutput(); err != nil {
		t.Fatalf("%s cannot import django and MySQLdb (make deps installs python3-django and python3-mysqldb): %v\n%s", python, err, out)
	}
	strataDB(t)
	script, _ := filepath.Abs("../python/django_sharded.py")
	command := func(args ...string) *exec.Cmd {
		cmd := program(python, script)(args...)
		cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
		return cmd
	}
	clientSameAsOneServer(t, "Django", command, []string{"duplicate: 'IntegrityError 1062'", "get_or_create: [True, False]",
		"update_or_create: True", "written: [[970100,", "left: 0"})
}
