package testenv

import (
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Sysbench runs sysbench's oltp_read_write against the MySQL endpoint at
// addr as app/app, on database blog's sbtest1 of rows rows, with args
// (prepare, run, their options), and returns its report. A sysbench that
// fails or reports FATAL (a thread stopped on an error it does not
// retry) fails the test; one not installed too (make deps installs it).
func Sysbench(t testing.TB, addr string, rows int, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("sysbench"); err != nil {
		t.Fatal("sysbench not installed: make deps installs it")
	}
	host, port, _ := net.SplitHostPort(addr)
	cmd := append([]string{"oltp_read_write", "--db-driver=mysql", "--mysql-host=" + host, "--mysql-port=" + port, "--mysql-user=app", "--mysql-password=app",
		"--mysql-db=blog", "--tables=1", "--table-size=" + strconv.Itoa(rows)}, args...)
	out, err := exec.Command("sysbench", cmd...).CombinedOutput()
	if err != nil || strings.Contains(string(out), "FATAL") {
		t.Fatalf("sysbench %v: %v\n%s", args, err, out[max(0, len(out)-1500):])
	}
	return string(out)
}

// SysbenchCount is the number that pattern's group matches in a sysbench
// report ("transactions:\s+(\d+)").
func SysbenchCount(t testing.TB, report, pattern string) int64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(report)
	if m == nil {
		t.Fatalf("no %q in sysbench's report:\n%s", pattern, report)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}
