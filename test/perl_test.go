package test

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Perl web applications through Strata, with DBI and DBD::MariaDB
// unchanged (test/perl/blog_workload.pl), in the driver's two modes:
// placeholders filled in by the client (its default) and server-side
// prepared statements. Each gets the same answers as from the primary, its
// reads land on the replicas, and its writes, transactions and errors
// behave as on the server.
func TestPerlDriverWorkload(t *testing.T) {
	t.Parallel()
	if out, err := exec.Command("perl", "-MDBD::MariaDB", "-e", "1").CombinedOutput(); err != nil {
		t.Fatalf("perl cannot load DBD::MariaDB (make deps installs libdbd-mariadb-perl): %v\n%s", err, out)
	}
	script, _ := filepath.Abs("perl/blog_workload.pl")
	// client_compress: over the compressed protocol.
	for _, mode := range []string{"client", "server", "client_compress"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			prefix := "perl_" + mode + "_"
			setupTables(t, blogSchema(prefix)...)
			run := func(host, port, user, pass, part string) string {
				out, err := exec.CommandContext(ctxFor(t), "perl", script, host, port, user, pass, prefix, mode, part).CombinedOutput()
				if err != nil {
					t.Fatalf("perl %s %s (%s:%s): %v\n%s", mode, part, host, port, err, out)
				}
				return string(out)
			}
			checkWorkloadReads(t, run, prefix, "ünïcödé", `'it's \ "quoted"'`, "'12.35'",
				"prepared: cé ann bob", "stream: 20000 200010000")
			checkWorkloadWrites(t, run, prefix, "perl", "2") // the committed transaction and the autocommit insert
		})
	}
}
