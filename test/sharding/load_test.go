package sharding

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/wire"
)

// LOAD DATA LOCAL INFILE into sharded tables: Strata cuts the client's
// file into rows and sends each, unchanged, to the shard its key names.
// The reference is the single server loading the same file: the rows read
// back through Strata must be the rows MariaDB reads from it, each on the
// one shard that owns it.

// registerFile makes content readable by LOAD DATA LOCAL INFILE 'Reader::name'.
func registerFile(t *testing.T, name, content string) string {
	mysql.RegisterReaderHandler(name, func() io.Reader { return strings.NewReader(content) })
	t.Cleanup(func() { mysql.DeregisterReaderHandler(name) })
	return "Reader::" + name
}

// loadCase is a file, the statement that loads it, and the rows it holds.
type loadCase struct {
	name  string
	table string
	cond  string   // selects the test rows
	file  string   // the file's content
	stmt  string   // LOAD DATA with %s for the file name
	keys  []string // each row's shard key as a SQL literal, in file order
	pk    []string // each row's pk value as a SQL literal
}

func loadCases() []loadCase {
	var comments, members, entries loadCase
	comments = loadCase{name: "csv with quoted separators, CRLF, header line; modulo key", table: "comments",
		cond: "id BETWEEN 9100000 AND 9100999",
		stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE comments FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\r\\n' IGNORE 1 LINES (id, entry_id, author, body, votes, created)"}
	var b strings.Builder
	b.WriteString("id,entry_id,author,body,votes,created\r\n")
	for i := range 40 {
		id, entry := 9_100_000+i, 800+i*7
		body := fmt.Sprintf(`"line %d, with ""quotes""`+"\r\n"+`and a second line"`, i)
		if i%5 == 0 {
			body = fmt.Sprintf("plain %d", i)
		}
		fmt.Fprintf(&b, "%d,%d,\"author %d\",%s,%d,2024-05-%02d 10:00:00\r\n", id, entry, i%3, body, i, 1+i%28)
		comments.keys = append(comments.keys, strconv.Itoa(entry))
		comments.pk = append(comments.pk, strconv.Itoa(id))
	}
	comments.file = b.String()

	members = loadCase{name: "tab separated, the table's own column order; string key with escapes", table: "members",
		cond: "username LIKE '%\\_load'",
		stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE members"}
	b.Reset()
	// Keys on every shard of the key_range; one holds an escaped tab (it
	// starts with t), one an escaped backslash.
	for i, user := range []string{"aa_load", "hh_load", "pp_load", "zz_load", `tab\there_load`, `n\\_load`, "bb_load"} {
		fmt.Fprintf(&b, "%s\tfr\t%d\t\\N\t2020-01-0%d\tnick%d\n", user, 20+i, 1+i, i)
		decoded := strings.NewReplacer(`\t`, "\t", `\\`, `\`).Replace(user)
		members.keys = append(members.keys, sqlStr(decoded))
		members.pk = append(members.pk, sqlStr(decoded))
	}
	members.file = b.String()

	entries = loadCase{name: "integer key written with leading zeros and a plus sign; hash key with a sequence", table: "entries",
		cond: "id BETWEEN 9100000000 AND 9100000999",
		stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE entries (id, user_id, title, score, rating, published, status)"}
	b.Reset()
	for i := range 12 {
		id := 9_100_000_000 + i
		text := "0" + strconv.Itoa(id)
		if i%2 == 1 {
			text = "+" + strconv.Itoa(id)
		}
		fmt.Fprintf(&b, "%s\t%d\ttitle %d\t%d\t1.50\t2023-03-03\tdraft\n", text, i, i, i)
		entries.keys = append(entries.keys, strconv.Itoa(id))
		entries.pk = append(entries.pk, strconv.Itoa(id))
	}
	entries.file = b.String()

	events := loadCase{name: "key passed through a variable (SET id = @i); range key", table: "events",
		stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE events FIELDS TERMINATED BY ',' (@i, kind, qty) SET id = @i, kind = UPPER(kind)"}
	b.Reset()
	var ids []string
	for i, lo := range []int{0, 1000, 2000, 3000} {
		id := freeEventID(lo+1, lo+1000)
		fmt.Fprintf(&b, "%s,load %d,%d\n", id, i, i)
		events.keys = append(events.keys, id)
		events.pk = append(events.pk, id)
		ids = append(ids, id)
	}
	events.cond = "id IN (" + strings.Join(ids, ", ") + ")"
	events.file = b.String()
	return []loadCase{comments, members, entries, events}
}

// loadRowsMetric reads strata_shard_load_rows_total per cluster.
func loadRowsMetric(t *testing.T) map[string]int {
	t.Helper()
	return metricByLabel(t, strataAdmin, "strata_shard_load_rows_total", "cluster")
}

// metricByLabel reads a counter with one label from Strata's /metrics at
// admin: its value by the label's value.
func metricByLabel(t *testing.T, admin, name, label string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, line := range strings.Split(metricsText(t, admin), "\n") {
		var value string
		var n float64
		if _, err := fmt.Sscanf(line, name+"{"+label+"=%q} %g", &value, &n); err == nil {
			out[value] = int(n)
		}
	}
	return out
}

func TestLoadDataSplitsTheFileByShardKey(t *testing.T) {
	db := strataDB(t)
	for i, c := range loadCases() {
		t.Run(c.table, func(t *testing.T) {
			tb := ds.tables[c.table]
			cleanup(t, c.table, c.cond)
			t.Cleanup(func() { singleBlog.Exec("DELETE FROM " + c.table + " WHERE " + c.cond) })
			file := registerFile(t, fmt.Sprintf("shardload%d", i), c.file)
			owners := map[string]int{}
			for _, k := range c.keys {
				owners[tb.ownerOfKey(k)]++
			}
			before, rowsBefore := shardStatus(t, "Com_load"), loadRowsMetric(t)
			res := mustExec(t, db, fmt.Sprintf(c.stmt, file))
			d := deltaOf(before, shardStatus(t, "Com_load"))
			rowsAfter := loadRowsMetric(t)
			for _, s := range shardNames {
				if got := rowsAfter[s] - rowsBefore[s]; got != owners[s] {
					t.Errorf("strata_shard_load_rows_total{cluster=%q} rose by %d, want the %d rows it owns", s, got, owners[s])
				}
			}
			if n, _ := res.RowsAffected(); n != int64(len(c.keys)) {
				t.Errorf("rows affected %d, want %d", n, len(c.keys))
			}
			for _, s := range shardNames {
				if d[s] != 1 {
					t.Errorf("%s ran %d LOAD DATA, want 1 (every shard loads its part; it owns %d rows): %s", s, d[s], owners[s], showDelta(d))
				}
			}
			mustExec(t, singleBlog, fmt.Sprintf(c.stmt, file))
			q := "SELECT * FROM " + c.table + " WHERE " + c.cond + " ORDER BY 1"
			got, want := testenv.Strings(t, db, q), testenv.Strings(t, singleBlog, q)
			if len(want) != len(c.keys) {
				t.Fatalf("the single server read %d rows from the file, the case has %d", len(want), len(c.keys))
			}
			if !slices.Equal(got, want) {
				t.Errorf("rows through Strata differ from the single server's:\n got %q\nwant %q", got, want)
			}
			for j, k := range c.keys {
				cond := tb.cols[tb.pk].name + " = " + c.pk[j]
				if got, owner := holders(t, c.table, cond), tb.ownerOfKey(k); !slices.Equal(got, []string{owner}) {
					t.Errorf("row %s is on %v, want only %s", c.pk[j], got, owner)
				}
			}
		})
	}
}

// A reference table gets the whole file on every shard cluster, and the
// client is told the rows once.
func TestLoadDataCopiesAReferenceTable(t *testing.T) {
	db := strataDB(t)
	cond := "code IN ('Q1', 'Q2', 'Q3')"
	cleanup(t, "countries", cond)
	file := registerFile(t, "refload", "Q1,Qland,test,1\nQ2,\"Q, the second\",test,\\N\nQ3,Qz,test,3\n")
	res := mustExec(t, db, fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE countries FIELDS TERMINATED BY ',' ENCLOSED BY '\"'", file))
	if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("rows affected %d, want 3 (one copy's)", n)
	}
	for _, s := range shardNames {
		got := testenv.Strings(t, direct[s], "SELECT CONCAT_WS('|', code, name, IFNULL(population, 'null')) FROM blog.countries WHERE "+cond+" ORDER BY code")
		want := []string{"Q1|Qland|1", "Q2|Q, the second|null", "Q3|Qz|3"}
		if !slices.Equal(got, want) {
			t.Errorf("%s holds %q, want %q", s, got, want)
		}
	}
}

// Every copy of a reference table loads a file as the first copy did, as
// MariaDB's statement-based replication has a replica load it: rows the
// file leaves to AUTO_INCREMENT get the first copy's ids on every copy,
// also where a copy's counter had moved alone, and a column the server
// fills with the time gets the first copy's time. Before, each copy
// numbered and timed the rows itself. A file larger than Strata keeps in
// memory for the later copies goes through a temporary file.
func TestReferenceCopiesLoadAlike(t *testing.T) {
	strataDB(t)
	for _, mode := range []string{"single", "twopc"} {
		t.Run(mode, func(t *testing.T) {
			createOn(t, "CREATE TABLE IF NOT EXISTS blog.ref_loaded (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) NOT NULL UNIQUE, "+
				"created DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))", "blog.ref_loaded", shardNames...)
			mustExec(t, direct["s2"], "ALTER TABLE blog.ref_loaded AUTO_INCREMENT = 500")
			s := startOwn(t, ownConfig(t, "ref_loaded: {reference: true}", "transactions: {mode: "+mode+"}\n"))
			conn := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
			load := func(name, file, columns string) sql.Result {
				t.Helper()
				return mustExec(t, conn, fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE ref_loaded %s", registerFile(t, name, file), columns))
			}
			copies := func(query string) []string {
				t.Helper()
				var first []string
				for i, sh := range shardNames {
					got := testenv.Strings(t, direct[sh], query)
					if i == 0 {
						first = got
					} else if !slices.Equal(got, first) {
						t.Errorf("%s: the copy on %s holds %q, the first copy %q", query, sh, got, first)
					}
				}
				return first
			}

			res := load("refids", "go\nphp\nsql\n", "(name)")
			if n, _ := res.RowsAffected(); n != 3 {
				t.Errorf("rows affected %d, want 3 (one copy's)", n)
			}
			if got := testenv.Strings(t, conn, "SELECT LAST_INSERT_ID()"); !slices.Equal(got, []string{"1"}) {
				t.Errorf("LAST_INSERT_ID() after the load = %q, want 1, the first id it numbered", got)
			}
			// An id in the file, \N and 0 (numbered, as sql_mode has no
			// NO_AUTO_VALUE_ON_ZERO), in one file.
			load("refmixed", "10\tlua\n\\N\trust\n0\tyaml\n", "(id, name)")
			// A load that numbers no row leaves LAST_INSERT_ID() as it was.
			load("refgiven", "20\tperl\n", "(id, name)")
			if got := testenv.Strings(t, conn, "SELECT LAST_INSERT_ID()"); !slices.Equal(got, []string{"11"}) {
				t.Errorf("LAST_INSERT_ID() = %q, want 11, the first id the load before numbered", got)
			}
			want := []string{"1 go", "2 php", "3 sql", "10 lua", "11 rust", "12 yaml", "20 perl"}
			if got := copies("SELECT CONCAT(id, ' ', name) FROM blog.ref_loaded ORDER BY id"); !slices.Equal(got, want) {
				t.Errorf("the copies hold %q, want %q", got, want)
			}
			times := copies("SELECT CONCAT(id, ' ', created) FROM blog.ref_loaded ORDER BY id")
			if got := testenv.Strings(t, direct["s0"], "SELECT COUNT(DISTINCT created) FROM blog.ref_loaded"); !slices.Equal(got, []string{"3"}) {
				t.Errorf("%d distinct times in %q, want one per load", len(got), times)
			}

			// More than Strata keeps in memory for the later copies.
			var big strings.Builder
			for i := 0; big.Len() <= 5<<20; i++ {
				fmt.Fprintf(&big, "big row %06d %s\n", i, strings.Repeat("x", 150))
			}
			rows := strings.Count(big.String(), "\n")
			if n, _ := load("refbig", big.String(), "(name)").RowsAffected(); n != int64(rows) {
				t.Errorf("the large load affected %d rows, want %d", n, rows)
			}
			copies("SELECT CONCAT(COUNT(*), ' ', MIN(id), ' ', MAX(id), ' ', COUNT(DISTINCT created)) FROM blog.ref_loaded WHERE name LIKE 'big row%'")
			copies("CHECKSUM TABLE blog.ref_loaded")
		})
	}
}

// A file Strata cannot route leaves every shard as it was, and the error
// names the row; statements it cannot split are refused before the file
// is read.
func TestLoadDataRefusesWhatItCannotRoute(t *testing.T) {
	db := strataDB(t)
	cond := "id BETWEEN 9200000 AND 9200999"
	cleanup(t, "comments", cond)
	// A NOT NULL key's \N, and a key the row or the column list leaves
	// out, are stored as the column's zero or default and placed by it
	// (TestLoadDataWithoutAKeyLoadsWhereTheServerStoresIt); a date key's
	// are refused.
	day := times.months[23].Format(time.DateOnly)
	cases := []struct {
		name, stmt, file, want string
	}{
		{"NULL key", "LOAD DATA LOCAL INFILE '%s' INTO TABLE posts (id, created_at, title)",
			"9200001\t" + day + "\tfine\n9200002\t\\N\tno key\n", "row 2 of the LOAD DATA file for posts: its created_at, the shard key, is NULL"},
		{"key that is not a number", "LOAD DATA LOCAL INFILE '%s' INTO TABLE comments (id, entry_id, body)",
			"9200001\t5\tfine\n9200002\tfive\tbad\n", "is \"five\", not an integer"},
		{"row without the key field", "LOAD DATA LOCAL INFILE '%s' INTO TABLE posts (id, title, created_at)",
			"9200001\tfine\t" + day + "\n9200002\tshort\n", "it has no field for created_at"},
		{"key set in SET", "LOAD DATA LOCAL INFILE '%s' INTO TABLE comments (id, @e, body) SET entry_id = @e + 1",
			"9200001\t5\tx\n", "load the key column straight from the file"},
		{"column list without the key", "LOAD DATA LOCAL INFILE '%s' INTO TABLE posts (id, title)",
			"9200001\tx\n", "does not name created_at"},
		// A file of the server's host, as Strata's account: refused
		// before any routing (1227, session.errServerFiles).
		{"server-side file", "LOAD DATA INFILE '/tmp/%s' INTO TABLE comments", "", "Send files with LOAD DATA LOCAL INFILE"},
		{"a period without a table", "LOAD DATA LOCAL INFILE '%s' INTO TABLE posts (id, created_at, title)", "1\t2001-01-01\tx\n", "which does not exist"},
		{"fixed-width rows", "LOAD DATA LOCAL INFILE '%s' INTO TABLE comments FIELDS TERMINATED BY '' (id, entry_id, body)", "1 2 3\n", "fixed-width"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := registerFile(t, fmt.Sprintf("badload%d", i), c.file)
			_, err := db.Exec(fmt.Sprintf(c.stmt, file))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one saying %q", err, c.want)
			}
			want := uint16(1235)
			if c.name == "server-side file" {
				want = 1227
			}
			if code := testenv.MySQLErr(err); code != want {
				t.Errorf("error code %d, want %d", code, want)
			}
			if got := holders(t, "comments", cond); len(got) > 0 {
				t.Errorf("the refused load left rows on %v", got)
			}
		})
	}
	t.Run("inside a transaction", func(t *testing.T) {
		conn := testenv.Conn(t, db)
		ctx := testenv.Ctx(t)
		mustExec(t, conn, "BEGIN")
		defer conn.ExecContext(ctx, "ROLLBACK")
		file := registerFile(t, "txload", "9200001\t5\tx\n")
		_, err := conn.ExecContext(ctx, fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE comments (id, entry_id, body)", file))
		if err == nil || !strings.Contains(err.Error(), "runs outside a transaction") {
			t.Fatalf("err = %v, want a refusal inside a transaction", err)
		}
	})
	t.Run("EXPLAIN STRATA shows the split", func(t *testing.T) {
		got := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA LOAD DATA LOCAL INFILE 'x' INTO TABLE comments (id, entry_id, body)"), "\n")
		if countPrefix(strings.Split(got, "\n"), "load") != len(shardNames) {
			t.Errorf("EXPLAIN STRATA of a load: %s; want a load step per shard", got)
		}
	})
	t.Run("the connection still works", func(t *testing.T) {
		if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM comments WHERE "+cond); !slices.Equal(got, []string{"0"}) {
			t.Errorf("count = %v", got)
		}
	})
}

// The mariadb client, mariadb-import and PHP PDO send a file from disk:
// each gets the rows counted as one server counts them (the clients print
// MariaDB's "Records:" line), and each row lands on its shard.
func TestLoadDataFromRealClients(t *testing.T) {
	strataDB(t)
	tb := ds.tables["comments"]
	host, port, _ := strings.Cut(strataAddr, ":")
	clients := []struct {
		name string
		base int
		run  func(path string) ([]byte, error)
		want string
	}{
		{"mariadb", 9_300_000, func(path string) ([]byte, error) {
			return exec.Command("mariadb", "-h", host, "-P", port, "-u", "app", "-papp", "--local-infile=1", "-vvv", "blog",
				"-e", "LOAD DATA LOCAL INFILE '"+path+"' INTO TABLE comments FIELDS TERMINATED BY ',' ENCLOSED BY '\"' (id, entry_id, author, body)").CombinedOutput()
		}, "Records: 9  Deleted: 0  Skipped: 0  Warnings: 0"},
		{"php", 9_300_100, func(path string) ([]byte, error) {
			return exec.Command("php", "-r", `
$db = new PDO("mysql:host=$argv[1];port=$argv[2];dbname=blog", "app", "app",
    [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::MYSQL_ATTR_LOCAL_INFILE => true]);
echo "affected ", $db->exec("LOAD DATA LOCAL INFILE '$argv[3]' INTO TABLE comments FIELDS TERMINATED BY ',' ENCLOSED BY '\"' (id, entry_id, author, body)"), "\n";
`, host, port, path).CombinedOutput()
		}, "affected 9"},
		{"mariadb-import", 9_300_200, func(path string) ([]byte, error) {
			return exec.Command("mariadb-import", "--local", "-h", host, "-P", port, "-u", "app", "-papp",
				"--fields-terminated-by=,", `--fields-enclosed-by="`, "--columns=id,entry_id,author,body", "blog", path).CombinedOutput()
		}, "blog.comments: Records: 9  Deleted: 0  Skipped: 0  Warnings: 0"},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			if _, err := exec.LookPath(c.name); err != nil {
				t.Fatalf("%s not installed: make deps installs it", c.name)
			}
			cond := fmt.Sprintf("id BETWEEN %d AND %d", c.base, c.base+99)
			cleanup(t, "comments", cond)
			var b strings.Builder
			for i := range 9 {
				fmt.Fprintf(&b, "%d,%d,\"%s\",\"from %s, row %d\"\n", c.base+i, 900+i*13, c.name, c.name, i)
			}
			path := filepath.Join(t.TempDir(), "comments.csv")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := c.run(path)
			if err != nil || !strings.Contains(string(out), c.want) {
				t.Fatalf("%s: err %v, output without %q:\n%s", c.name, err, c.want, out)
			}
			for i := range 9 {
				cond := fmt.Sprintf("id = %d AND body = 'from %s, row %d'", c.base+i, c.name, i)
				if got, owner := holders(t, "comments", cond), tb.ownerOfKey(strconv.Itoa(900+i*13)); !slices.Equal(got, []string{owner}) {
					t.Errorf("row %d is on %v, want only %s", c.base+i, got, owner)
				}
			}
		})
	}
}

// With transactions.mode twopc the shards' parts commit as one
// transaction across them; a file with a row Strata cannot route leaves
// no part behind, prepared or committed.
func TestLoadDataAcrossShardsWithTwoPhaseCommit(t *testing.T) {
	db := twoPCDB(t)
	cond := "id BETWEEN 9400000 AND 9400999"
	cleanup(t, "comments", cond)
	var good strings.Builder
	for i := range 12 {
		fmt.Fprintf(&good, "%d\t%d\ttwopc %d\n", 9_400_000+i, 1000+i, i)
	}
	bad := good.String() + "9400500\tfive\tno key\n"
	stmt := "LOAD DATA LOCAL INFILE '%s' INTO TABLE comments (id, entry_id, body)"
	if _, err := db.Exec(fmt.Sprintf(stmt, registerFile(t, "twopcbad", bad))); err == nil || !strings.Contains(err.Error(), "row 13 of the LOAD DATA file") {
		t.Fatalf("err = %v, want the key of row 13, not a number, refused", err)
	}
	if got := holders(t, "comments", cond); len(got) > 0 {
		t.Fatalf("the refused load left rows on %v", got)
	}
	res := mustExec(t, db, fmt.Sprintf(stmt, registerFile(t, "twopcgood", good.String())))
	if n, _ := res.RowsAffected(); n != 12 {
		t.Errorf("rows affected %d, want 12", n)
	}
	if got := holders(t, "comments", cond); !slices.Equal(got, shardNames) {
		t.Errorf("rows on %v, want a part on every shard", got)
	}
}

// A write over several shards that leaves warnings on them (a LOAD DATA
// row without every column, an INSERT IGNORE's duplicate) reports their
// sum, and SHOW WARNINGS right after lists each, naming its shard, as one
// server would list its own; the next statement that reads a table ends them.
func TestShowWarningsAfterAWriteOverShards(t *testing.T) {
	conn := testenv.Conn(t, strataDB(t))
	cond := "id BETWEEN 9500000 AND 9500999"
	cleanup(t, "comments", cond)
	file := registerFile(t, "shortrows", "9500001\t1\tone\n9500002\t2\n9500003\t3\n9500004\t4\tfour\n")
	res := mustExec(t, conn, fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE comments (id, entry_id, body)", file))
	if n, _ := res.RowsAffected(); n != 4 {
		t.Fatalf("rows affected %d, want 4", n)
	}
	show := func() []string { return showWarnings(t, conn) }
	owner := ds.tables["comments"].ownerOfKey
	got := show()
	slices.Sort(got)
	want := []string{
		"Warning 1261 Row 2 doesn't contain data for all columns (on shard " + owner("2") + ")",
		"Warning 1261 Row 3 doesn't contain data for all columns (on shard " + owner("3") + ")",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("SHOW WARNINGS after the load = %q, want %q", got, want)
	}
	if again := show(); len(again) != 2 {
		t.Errorf("a second SHOW WARNINGS lists %q, want the same two", again)
	}
	mustExec(t, conn, "INSERT IGNORE INTO comments (id, entry_id, body) VALUES (9500001, 1, 'dup'), (9500004, 4, 'dup'), (9500005, 5, 'new')")
	got = show()
	if len(got) != 2 || !strings.Contains(got[0], "1062 Duplicate entry") || !strings.Contains(got[1], "1062 Duplicate entry") {
		t.Errorf("SHOW WARNINGS after INSERT IGNORE = %q, want two duplicate-entry warnings", got)
	}
	// A statement that reads no table and raises nothing keeps them, as
	// on one server; one that reads a table ends them.
	mustExec(t, conn, "SELECT 1 FROM DUAL")
	if kept := show(); len(kept) != 2 {
		t.Errorf("SHOW WARNINGS after SELECT 1 FROM DUAL lists %q, want the two still", kept)
	}
	mustExec(t, conn, "SELECT COUNT(*) FROM entries WHERE id = 1")
	if after := show(); len(after) != 0 {
		t.Errorf("SHOW WARNINGS after a statement that reads a table lists %q", after)
	}
}

// freshConns is one more Strata, whose server connections are opened after
// a test changed the servers' global settings.
var freshConns extraInstance

const (
	freshConnsAddr  = "127.0.0.1:25406"
	freshConnsAdmin = "127.0.0.1:25486"
)

// pause is a reader that waits d, then ends.
type pause time.Duration

func (p pause) Read([]byte) (int, error) {
	time.Sleep(time.Duration(p))
	return 0, io.EOF
}

// A shard that gets no row for longer than its server's net_read_timeout
// (a file sorted by a range key fills one shard after another, and rows
// wait in Strata until a chunk is gathered) must not give the load up:
// Strata raises the timeout on the load's connections. Here the shards' servers wait 2 s at most, and the client pauses
// 3 s in the middle of its file.
func TestLoadDataOutlastsTheServersReadTimeout(t *testing.T) {
	strataDB(t)
	for _, s := range shardNames {
		mustExec(t, direct[s], "SET GLOBAL net_read_timeout = 2")
	}
	t.Cleanup(func() {
		for _, s := range shardNames {
			direct[s].Exec("SET GLOBAL net_read_timeout = DEFAULT")
		}
	})
	freshConns.start(t, freshConnsAddr, freshConnsAdmin, "")
	conn := testenv.Conn(t, openStrata(t, freshConnsAddr))
	cond := "id BETWEEN 9600000 AND 9600999"
	cleanup(t, "comments", cond)
	var first, second strings.Builder
	for i := range 8 {
		fmt.Fprintf(&first, "%d\t%d\tbefore the pause\n", 9_600_000+i, 300+i)
		fmt.Fprintf(&second, "%d\t%d\tafter the pause\n", 9_600_100+i, 300+i)
	}
	mysql.RegisterReaderHandler("pausing", func() io.Reader {
		return io.MultiReader(strings.NewReader(first.String()), pause(3*time.Second), strings.NewReader(second.String()))
	})
	t.Cleanup(func() { mysql.DeregisterReaderHandler("pausing") })
	res := mustExec(t, conn, "LOAD DATA LOCAL INFILE 'Reader::pausing' INTO TABLE comments (id, entry_id, body)")
	if n, _ := res.RowsAffected(); n != 16 {
		t.Errorf("rows affected %d, want 16", n)
	}
	if got := testenv.Strings(t, conn, "SELECT COUNT(*) FROM comments WHERE "+cond); !slices.Equal(got, []string{"16"}) {
		t.Errorf("%v rows loaded, want 16", got)
	}
}

// A client that goes away in the middle of its file leaves every shard as
// it was (Strata rolls back what each loaded), and Strata keeps serving.
func TestLoadDataClientGoneMidFileLoadsNothing(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	cond := "id BETWEEN 9700000 AND 9700999"
	cleanup(t, "comments", cond)
	c, err := backend.Dial(ctx, backend.DialConfig{Addr: strataAddr, User: "app", Password: "app", Timeout: 5 * time.Second, Flavor: backend.Flavor{Collation: 45}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Command(append([]byte{wire.ComQuery}, "LOAD DATA LOCAL INFILE 'gone.tsv' INTO TABLE blog.comments (id, entry_id, body)"...)); err != nil {
		t.Fatal(err)
	}
	p, err := c.ReadPacket()
	if err != nil || len(p) == 0 || p[0] != wire.HeaderLocalFile || string(p[1:]) != "gone.tsv" {
		t.Fatalf("Strata answered %q, %v; want the request for gone.tsv", p, err)
	}
	var b strings.Builder
	for i := range 5000 { // more than a chunk: some rows reach the shards
		fmt.Fprintf(&b, "%d\t%d\tthe client goes away\n", 9_700_000+i%1000, i)
	}
	if err := c.WritePacket([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// Once no shard runs the load or holds uncommitted rows, none holds
	// its rows.
	deadline := time.Now().Add(10 * time.Second)
	for _, s := range shardNames {
		for {
			running := testenv.Strings(t, direct[s], "SELECT (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'LOAD DATA LOCAL INFILE ''gone.tsv''%') + (SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_rows_modified > 0)")
			if slices.Equal(running, []string{"0"}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still runs the load of the client that went away", s)
			}
			// InnoDB shows INNODB_TRX anew only to a reader that comes
			// 100 ms after the last (this one, or Strata's deadlock
			// detector): polling faster would read one old snapshot.
			time.Sleep(150 * time.Millisecond)
		}
	}
	if got := holders(t, "comments", cond); len(got) > 0 {
		t.Errorf("the load cut short left rows on %v", got)
	}
	if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM comments WHERE "+cond); !slices.Equal(got, []string{"0"}) {
		t.Errorf("through Strata: %v rows", got)
	}
}

// MariaDB runs LOAD DATA LOCAL as a prepared statement too (the file is
// asked for at EXECUTE), and so does Strata on a sharded table.
func TestLoadDataAsAPreparedStatement(t *testing.T) {
	db := strataDB(t)
	cond := "id BETWEEN 9800000 AND 9800999"
	cleanup(t, "comments", cond)
	file := registerFile(t, "prepared", "9800001\t11\tprepared\n9800002\t12\tprepared\n9800003\t13\tprepared\n")
	st, err := db.Prepare(fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE comments (id, entry_id, body)", file))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := st.Exec()
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("rows affected %d, want 3", n)
	}
	tb := ds.tables["comments"]
	for i, entry := range []string{"11", "12", "13"} {
		if got, owner := holders(t, "comments", fmt.Sprintf("id = %d", 9_800_001+i)), tb.ownerOfKey(entry); !slices.Equal(got, []string{owner}) {
			t.Errorf("row %d is on %v, want only %s", 9_800_001+i, got, owner)
		}
	}
}
