package sharding

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// A Rails app's reads and writes over the sharded tables through
// ActiveRecord on Ruby's mysql2 (test/ruby/sharded_workload.rb): keyed
// reads, scatters with OFFSET, aggregates and groups, find by primary key,
// batches, preloads, the schema read, creates over every shard, a
// duplicate key, insert_all and upsert_all, update_all, a lock and a
// transaction on one shard, a date-sharded row; and mysql2's server-side
// prepared statements with bound Ruby values. Every answer equals the
// single server's.
func TestRubyOverShardsLikeOneServer(t *testing.T) {
	if out, err := exec.Command("ruby", "-e", `require "mysql2"; require "active_record"`).CombinedOutput(); err != nil {
		t.Fatalf("ruby cannot load mysql2 and active_record (make deps installs ruby-mysql2 and ruby-activerecord): %v\n%s", err, out)
	}
	strataDB(t)
	script, _ := filepath.Abs("../ruby/sharded_workload.rb")
	clientSameAsOneServer(t, "ActiveRecord", program("ruby", script), []string{"duplicate: String:ActiveRecord::RecordNotUnique 1062 23000",
		"update_all: Integer:9", "upsert_all: []", "written: [[Integer:960100,", "left: Integer:0"})
}
