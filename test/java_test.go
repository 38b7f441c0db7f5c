package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// connectorJ is the MariaDB Connector/J jar of Debian's libmariadb-java.
const connectorJ = "/usr/share/java/mariadb-java-client.jar"

// Java apps through Strata, with MariaDB Connector/J unchanged
// (test/java/BlogWorkload.java), in its two modes: placeholders filled in
// by the driver (its default, here with a batch rewritten into one
// multi-row INSERT) and server-side prepared statements (a batch as one
// COM_STMT_BULK_EXECUTE). The driver pipelines its login with its first
// queries, sets the isolation level and switches databases as a pool
// does, reads generated keys, streams a large result and reads the schema
// through DatabaseMetaData as Hibernate does. Each mode gets the same
// answers as from the primary, its autocommit reads land on the replicas,
// and its writes, transactions and errors behave as on the server.
func TestJavaDriverWorkload(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("java"); err != nil {
		t.Fatal("java not installed: make deps installs default-jre-headless")
	}
	if _, err := os.Stat(connectorJ); err != nil {
		t.Fatalf("%s missing: make deps installs libmariadb-java", connectorJ)
	}
	source, _ := filepath.Abs("java/BlogWorkload.java")
	// server_compress: server mode over the compressed protocol.
	for _, mode := range []string{"text", "server", "server_compress"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			prefix := "java_" + mode + "_"
			setupTables(t, blogSchema(prefix)...)
			run := func(host, port, user, pass, part string) string {
				cmd := exec.CommandContext(ctxFor(t), "java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", connectorJ, source, host, port, user, pass, prefix, mode, part)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("java %s %s (%s:%s): %v\n%s", mode, part, host, port, err, out)
				}
				return string(out)
			}
			checkWorkloadReads(t, run, prefix, "ünïcödé", `it's \ "quoted"`, "BigDecimal(12.35)", "0x00ff",
				"Long(9007199254740993)", "session: [[String(READ-COMMITTED)", "stream: 20000 200010000", "catalog: [[String(mysql)]]",
				"metadata keys: [id]", "valid: true")
			// the transaction's, the batch's 20, the autocommit-off one
			checkWorkloadWrites(t, run, prefix, "java", "22")
		})
	}
}
