package sharding

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// PHP PDO, with emulated and with native (server-side) prepared
// statements, reads the sharded tables through Strata and gets exactly
// what it gets from the single server holding all the rows.
func TestPHPPDOReadsShardedTablesLikeOneServer(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	strataDB(t)
	script, _ := filepath.Abs("../php/sharded_reads.php")
	var lines []string // each read returned rows
	for _, read := range []string{"last posts", "members from m", "events share by qty", "votes per entry", "entries with heavy likes", "users with heavily liked entries", "page count of a grouped query", "totals per kind", "entries or commented", "chain of comments", "members and their comments", "events rolled up", "page of comments", "comments found", "events read", "comments returned", "comments deleted", "batch purge", "multi-statement query"} {
		lines = append(lines, read+": [{")
	}
	for _, mode := range []string{"emulated", "native"} {
		clientSameAsOneServer(t, "PDO "+mode, program("php", script), lines, mode)
	}
}

// PHP's mysqli (the API WordPress uses) over the sharded tables: prepared
// statements bound as int, double, string and a blob sent in pieces
// (send_long_data), read with get_result, whose PHP types follow the
// columns' types; WordPress's SQL_CALC_FOUND_ROWS paging; a multi-row
// text INSERT and an UPDATE over several shards with the info line
// mysqli_info() returns; a transaction, a duplicate key, several
// statements in one query. Every answer equals the single server's.
func TestPHPMysqliOverShardsLikeOneServer(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	strataDB(t)
	script, _ := filepath.Abs("../php/sharded_mysqli.php")
	clientSameAsOneServer(t, "mysqli", program("php", script), []string{`text insert: [2,"Records: 2  Duplicates: 0  Warnings: 0"]`,
		`update: [4,"Rows matched: 6  Changed: 4  Warnings: 0"]`, `insert 940003: [1,0]`, `duplicate: "error 1062 23000"`, `found rows: [{"n":"`,
		`"body":"long body 940000 ünïcödé"`, `multi: [[{"n":"7"}],{"affected":1},[{"s":"`})
}

// A Laravel app's reads and writes over the sharded tables through
// Eloquent on PDO (test/php/sharded_eloquent.php, Debian's
// php-illuminate-database): keyed reads, scatters with OFFSET, aggregates,
// paginate(), chunkById(), eager loading; create() over every shard, a
// duplicate, a batch insert(), upsert() (which sets every column from the
// row, the shard key too), firstOrCreate(), updateOrCreate(), save() by
// primary key, increment(), DB::transaction() with saves by primary key,
// lockForUpdate(), a date-sharded row. Every answer equals the single
// server's.
func TestLaravelEloquentOverShardsLikeOneServer(t *testing.T) {
	if out, err := exec.Command("php", "-r", "require '/usr/share/php/Illuminate/Database/autoload.php'; require '/usr/share/php/Illuminate/Pagination/autoload.php';").CombinedOutput(); err != nil {
		t.Fatalf("php cannot load Eloquent (make deps installs php-illuminate-database and php-illuminate-pagination): %v\n%s", err, out)
	}
	strataDB(t)
	script, _ := filepath.Abs("../php/sharded_eloquent.php")
	clientSameAsOneServer(t, "Eloquent", program("php", script), []string{`duplicate: "error 1062 23000"`, `upsert: 3`,
		`firstOrCreate: [true,false]`, `updateOrCreate: true`, `transaction: 980130`, `written: [{"id":980100,`, `left: 0`})
}
