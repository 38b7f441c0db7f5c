package test

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Ruby web applications through Strata, unchanged: the mysql2 driver
// itself (escaped text queries, server-side prepared statements, several
// statements in one query, a streamed result) and Rails' ActiveRecord
// over it, which sets up its session with one SET of sql_mode,
// sql_auto_is_null and wait_timeout, reads the tables' columns, and
// writes through models, locks and transactions
// (test/ruby/blog_workload.rb). Each gets the same answers as from the
// primary, its reads land on the replicas, and its writes, transactions
// and errors behave as on the server.
func TestRubyWorkload(t *testing.T) {
	t.Parallel()
	if out, err := exec.Command("ruby", "-e", `require "mysql2"; require "active_record"`).CombinedOutput(); err != nil {
		t.Fatalf("ruby cannot load mysql2 and active_record (make deps installs ruby-mysql2 and ruby-activerecord): %v\n%s", err, out)
	}
	script, _ := filepath.Abs("ruby/blog_workload.rb")
	for _, tc := range []struct {
		mode  string
		wants []string
	}{
		{"mysql2", []string{"String:ünïcödé", `String:it's \ "quoted"`, "BigDecimal:0.1235e2", "stream: 20000 200010000",
			`multi: [[[3]], [["bob"]]]`, "bound: [(Integer:-7, String:cé, NULL, Float:2.5, Time:2024-06-01 10:00:00"}},
		{"activerecord", []string{"String:ünïcödé", "group: [(Integer:1, Integer:2), (Integer:2, Integer:1)]",
			"batches: [(Integer:1, Integer:2), (Integer:3)]", "not found: [(String:ActiveRecord::RecordNotFound)]",
			"sql: [(Integer:0, Integer:1,"}},
		{"activerecord_compress", []string{"String:ünïcödé", "group: [(Integer:1, Integer:2), (Integer:2, Integer:1)]",
			"batches: [(Integer:1, Integer:2), (Integer:3)]"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			prefix := "rb_" + tc.mode + "_"
			setupTables(t, blogSchema(prefix)...)
			run := func(host, port, user, pass, part string) string {
				out, err := exec.CommandContext(ctxFor(t), "ruby", script, host, port, user, pass, prefix, tc.mode, part).CombinedOutput()
				if err != nil {
					t.Fatalf("ruby %s %s (%s:%s): %v\n%s", tc.mode, part, host, port, err, out)
				}
				return string(out)
			}
			checkWorkloadReads(t, run, prefix, tc.wants...)
			checkWorkloadWrites(t, run, prefix, "ruby", "2")
		})
	}
}
