package sharding

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A Java app's reads and writes over the sharded tables through MariaDB
// Connector/J (test/java/ShardedWorkload.java), with placeholders filled
// in by the driver and batches rewritten into multi-row statements, and
// with server-side prepared statements: batches of inserts, updates and
// deletes that Strata splits over the shards, a transaction on one shard,
// a duplicate key, the schema as Hibernate reads it. Every answer equals
// the single server's.
func TestJavaConnectorOverShardsLikeOneServer(t *testing.T) {
	const jar = "/usr/share/java/mariadb-java-client.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("%s missing: make deps installs libmariadb-java", jar)
	}
	strataDB(t)
	source, _ := filepath.Abs("../java/ShardedWorkload.java")
	command := func(args ...string) *exec.Cmd {
		return exec.Command("java", append([]string{"-XX:TieredStopAtLevel=1", "-cp", jar, source}, args...)...)
	}
	for _, mode := range []string{"text", "server"} {
		clientSameAsOneServer(t, "Connector/J "+mode, command, []string{"batch: 12 statements", "batch rows: [[Long(910000)", "duplicate: 1062 23000",
			"left: [[Long(0)]]", "after tx: [[Long(910100), String(kept)]]", "posts at: [[Long(", "posts from: [[Long(", "dates: [[String(2024-06-03), "}, mode)
	}
}
