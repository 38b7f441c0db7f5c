package sharding

import (
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A backup of sharded tables through Strata: mariadb-dump
// --single-transaction writes every row of every shard (as many as the
// single server holds), although the default cluster, which answers
// statements without tables, has none of them: SHOW TABLES lists them,
// and SHOW TABLE STATUS and information_schema lookups of one are read
// where it is. A dump that locks its tables first is refused with an
// error that names the option to use.
func TestMariaDBDumpOfShardedTables(t *testing.T) {
	strataDB(t)
	host, port, err := net.SplitHostPort(strataAddr)
	if err != nil {
		t.Fatal(err)
	}
	conn := []string{"-h", host, "-P", port, "-u", "app", "--password=app", "--skip-ssl"}
	tables := []string{"comments", "events"}

	args := append(append(conn, "--single-transaction", "--no-create-info", "--skip-extended-insert", "blog"), tables...)
	out, errOut, err := runTool("mariadb-dump", args...)
	if err != nil {
		t.Fatalf("mariadb-dump --single-transaction through Strata: %v\n%s\n%.2000s", err, errOut, out)
	}
	single := openDirect(t, "single", "blog")
	for _, tb := range tables {
		want := testenv.Strings(t, single, "SELECT COUNT(*) FROM "+tb)
		if got := strings.Count(out, "INSERT INTO `"+tb+"` VALUES"); len(want) != 1 || want[0] == "0" || strconv.Itoa(got) != want[0] {
			t.Errorf("%s: the dump holds %d rows, the single server %v", tb, got, want)
		}
	}

	_, errOut, err = runTool("mariadb-dump", append(conn, "blog", "comments")...)
	if err == nil || !strings.Contains(errOut, "1235") || !strings.Contains(errOut, "--single-transaction") {
		t.Fatalf("mariadb-dump with LOCK TABLES: %v\n%s\nwant error 1235 naming --single-transaction", err, errOut)
	}
}

func runTool(name string, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}
