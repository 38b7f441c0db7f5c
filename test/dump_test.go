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

// mysqlDump is a MySQL 8 mysqldump's file, shortened: besides what
// MariaDB runs, it holds code in comments of MySQL 5.7-and-later
// versions, which MariaDB skips (a server variable MariaDB has not, a
// PREPARE of a query into performance_schema, a CREATE DATABASE option).
const mysqlDump = `/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!80000 SET @OLD_SQL_REQUIRE_PRIMARY_KEY=@@SQL_REQUIRE_PRIMARY_KEY, SQL_REQUIRE_PRIMARY_KEY=0 */;
/*!50717 SELECT COUNT(*) INTO @rocksdb_has_p_s_session_variables FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'performance_schema' AND TABLE_NAME = 'session_variables' */;
/*!50717 SET @rocksdb_get_is_supported = IF (@rocksdb_has_p_s_session_variables, 'SELECT COUNT(*) INTO @rocksdb_is_supported FROM performance_schema.session_variables WHERE VARIABLE_NAME=\'rocksdb_bulk_load\'', 'SELECT 0') */;
/*!50717 PREPARE s FROM @rocksdb_get_is_supported */;
/*!50717 EXECUTE s */;
/*!50717 DEALLOCATE PREPARE s */;
CREATE DATABASE /*!32312 IF NOT EXISTS*/ ` + "`blog_mysql8`" + ` /*!40100 DEFAULT CHARACTER SET utf8mb4 */ /*!80016 DEFAULT ENCRYPTION='N' */;
USE ` + "`blog_mysql8`" + `;
DROP TABLE IF EXISTS ` + "`m8`" + `;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE ` + "`m8`" + ` (
  ` + "`id`" + ` int NOT NULL,
  ` + "`s`" + ` varchar(20) DEFAULT NULL,
  PRIMARY KEY (` + "`id`" + `)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;
LOCK TABLES ` + "`m8`" + ` WRITE;
/*!40000 ALTER TABLE ` + "`m8`" + ` DISABLE KEYS */;
INSERT INTO ` + "`m8`" + ` VALUES (0,'zero'),(1,'a') /*!50700 ,(2,'b') */;
/*!40000 ALTER TABLE ` + "`m8`" + ` ENABLE KEYS */;
UNLOCK TABLES;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
SELECT @@time_zone, @@sql_mode = @OLD_SQL_MODE, (SELECT GROUP_CONCAT(id ORDER BY id) FROM m8) AS ids;
`

// A MySQL 8 dump replayed through Strata does what it does replayed on
// the primary: its settings, its CREATE DATABASE and its rows, and
// nothing of the code in comments MariaDB skips (/*!50700 ... */ to
// /*!99999 ... */: a SET of a variable MariaDB has not, a PREPARE and
// EXECUTE, a row), which Strata reads as comments too (over shards,
// test/sharding TestExecutableCommentsOverShardsReadAsOneServerReadsThem).
func TestMySQLDumpRestoresThroughStrataAsOnThePrimary(t *testing.T) {
	t.Parallel()
	host, port := strataHostPort()
	h, p, _ := strings.Cut(env.primary.Addr, ":")
	restore := func(host, port, user, password string) string {
		t.Helper()
		args := []string{"-h", host, "-P", port, "-u", user, "--password=" + password, "--skip-ssl", "--batch"}
		runCLI(t, host, port, user, password, "DROP DATABASE IF EXISTS blog_mysql8")
		cmd := exec.Command("mariadb", args...)
		cmd.Stdin = strings.NewReader(mysqlDump)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("restoring a MySQL 8 dump through %s:%s: %v\n%s", host, port, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { runCLI(t, host, port, "app", "app", "DROP DATABASE IF EXISTS blog_mysql8") })
	direct := restore(h, p, "root", "")
	through := restore(host, port, "app", "app")
	if through != direct {
		t.Fatalf("the dump's answers through Strata:\n%s\nwant the primary's:\n%s", through, direct)
	}
	if !strings.Contains(direct, "0,1") || strings.Contains(direct, "0,1,2") {
		t.Fatalf("the primary's answer %q: the test expects rows 0 and 1 only", direct)
	}
}
