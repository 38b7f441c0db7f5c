package test

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// A backup through Strata is the backup of the primary: mariadb-dump
// (--single-transaction, as backups run it) writes the same file through
// Strata as against the primary directly, and the file replayed through
// Strata with the mariadb CLI (its /*!40101 SET ... */ settings, LOCK
// TABLES, ALTER TABLE ... DISABLE KEYS, extended INSERTs) rebuilds the
// table row for row.
func TestMariaDBDumpAndRestoreThroughStrata(t *testing.T) {
	t.Parallel()
	stmts := []string{"CREATE TABLE blog.dumped (id INT PRIMARY KEY, s VARCHAR(40), b BLOB, n DECIMAL(10,2) NULL, at DATETIME)"}
	for i := 1; i <= 300; i++ {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO blog.dumped VALUES (%d, 'row %d: it''s \\\\ \"q\" é', UNHEX('00FF%02X'), %s, '2026-01-02 03:04:05')", i, i, i%256, map[bool]string{true: "NULL", false: fmt.Sprintf("%d.25", i)}[i%7 == 0]))
	}
	setupTables(t, stmts...)
	host, port := strataHostPort()
	viaStrata := dump(t, "-h", host, "-P", port, "-u", "app", "--password=app")
	h, p, _ := strings.Cut(env.primary.Addr, ":")
	direct := dump(t, "-h", h, "-P", p, "-u", "root")
	if viaStrata != direct {
		t.Fatalf("mariadb-dump through Strata differs from the primary's:\n%s\n---- direct ----\n%s", viaStrata, direct)
	}
	if !strings.Contains(viaStrata, "INSERT INTO `dumped` VALUES") {
		t.Fatalf("the dump has no rows:\n%s", viaStrata)
	}

	if _, err := runCLI(t, host, port, "app", "app", "DROP DATABASE IF EXISTS blog_restored; CREATE DATABASE blog_restored"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runCLI(t, host, port, "app", "app", "DROP DATABASE IF EXISTS blog_restored") })
	cmd := exec.Command("mariadb", "-h", host, "-P", port, "-u", "app", "--password=app", "--skip-ssl", "blog_restored")
	cmd.Stdin = strings.NewReader(viaStrata)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restoring the dump through Strata: %v\n%s", err, out)
	}
	db := openStrata(t)
	want := queryStrings(t, db, "CHECKSUM TABLE blog.dumped")
	got := queryStrings(t, db, "CHECKSUM TABLE blog_restored.dumped")
	if len(want) != 1 || len(got) != 1 || strings.Split(want[0], "|")[1] != strings.Split(got[0], "|")[1] {
		t.Fatalf("restored table checksum %q, want the original's %q", got, want)
	}
}

// dumpHeader matches the lines of a dump that name where and when it ran.
var dumpHeader = regexp.MustCompile(`(?m)^-- (Host|Server version|Dump completed|MariaDB dump).*\n`)

// dump runs mariadb-dump of blog.dumped with the connection arguments.
func dump(t *testing.T, conn ...string) string {
	t.Helper()
	args := append(conn, "--skip-ssl", "--single-transaction", "blog", "dumped")
	var out, errOut bytes.Buffer
	cmd := exec.Command("mariadb-dump", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("mariadb-dump %v: %v\n%s", conn, err, errOut.String())
	}
	return dumpHeader.ReplaceAllString(out.String(), "")
}
