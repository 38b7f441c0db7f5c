package sharding

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// A Perl app's reads and writes over the sharded tables through DBI with
// DBD::MariaDB (test/perl/sharded_workload.pl), with placeholders filled
// in by the driver and with server-side prepared statements (values bound
// as strings, or by bind_param's SQL types): keyed reads, scatters, rows
// over every shard, a duplicate key, an update, a transaction on one shard
// and deletes. Every answer equals the single server's.
func TestPerlDriverOverShardsLikeOneServer(t *testing.T) {
	if out, err := exec.Command("perl", "-MDBD::MariaDB", "-e", "1").CombinedOutput(); err != nil {
		t.Fatalf("perl cannot load DBD::MariaDB (make deps installs libdbd-mariadb-perl): %v\n%s", err, out)
	}
	strataDB(t)
	script, _ := filepath.Abs("../perl/sharded_workload.pl")
	for _, mode := range []string{"client", "server"} {
		clientSameAsOneServer(t, "DBD::MariaDB "+mode, program("perl", script), []string{"multi-row insert: 3 rows", "duplicate: error 1062 23000",
			"update: 9 rows", "typed: [('42',", "written: [('950100', '1', 'perl-", "left: [('0')]"}, mode)
	}
}
