package sharding

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// columnsOn lists the columns of blog.table on a shard, in order.
func columnsOn(t *testing.T, shard, table string) string {
	t.Helper()
	return strings.Join(testenv.Strings(t, direct[shard], "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", table), ",")
}

// indexesOn lists the indexes of blog.table on a shard.
func indexesOn(t *testing.T, shard, table string) string {
	t.Helper()
	return strings.Join(testenv.Strings(t, direct[shard], "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME = ? ORDER BY INDEX_NAME", table), ",")
}

// dropYearlyTable drops a test's date table of yearly periods around year
// y, and its base table, on every shard: now, left by an earlier run, and
// when the test ends.
func dropYearlyTable(t *testing.T, base string, y int) {
	dropAll := func() {
		for _, sh := range shardNames {
			for year := y - 3; year <= y+2; year++ {
				direct[sh].Exec(fmt.Sprintf("DROP TABLE IF EXISTS blog.%s_%04d", base, year))
			}
			direct[sh].Exec("DROP TABLE IF EXISTS blog." + base)
		}
	}
	dropAll()
	t.Cleanup(dropAll)
}

// A schema change sent through Strata — an ORM's migration — changes a
// sharded table on every shard, with transactions in either mode.
func TestDDLOnAShardedTableChangesEveryShard(t *testing.T) {
	strataDB(t)
	for _, mode := range []string{"single", "twopc"} {
		t.Run(mode, func(t *testing.T) {
			resetMoveTable(t, "ddl_items", "CREATE TABLE IF NOT EXISTS blog.ddl_items (id BIGINT PRIMARY KEY, v INT NOT NULL)")
			direct["accounts"].Exec("DROP TABLE IF EXISTS blog.ddl_group")
			createOn(t, "CREATE TABLE blog.ddl_group (id INT PRIMARY KEY)", "blog.ddl_group", "accounts")
			cfg := strings.Replace(`ddl_items: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`, "}}", "}}\n  ddl_group: {cluster: accounts}", 1)
			s := startOwn(t, ownConfig(t, cfg, fmt.Sprintf("transactions: {mode: %s}\n", mode)))
			db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
			for _, ddl := range []string{
				"ALTER TABLE ddl_items ADD COLUMN note VARCHAR(20) NULL",
				"CREATE INDEX by_v ON ddl_items (v)",
				"ALTER TABLE blog.ddl_items ADD COLUMN IF NOT EXISTS note VARCHAR(20) NULL, ADD INDEX by_note (note)",
			} {
				if _, err := db.Exec(ddl); err != nil {
					t.Fatalf("%s: %v", ddl, err)
				}
			}
			for _, sh := range shardNames {
				if got := columnsOn(t, sh, "ddl_items"); got != "id,v,note" {
					t.Errorf("columns on %s: %s, want id,v,note", sh, got)
				}
				if got := indexesOn(t, sh, "ddl_items"); got != "by_note,by_v,PRIMARY" {
					t.Errorf("indexes on %s: %s, want by_note,by_v,PRIMARY", sh, got)
				}
			}
			if _, err := db.Exec("INSERT INTO ddl_items (id, v, note) VALUES (1, 1, 'one'), (2, 2, 'two'), (3, 3, 'three'), (4, 4, 'four')"); err != nil {
				t.Fatal(err)
			}
			if got := testenv.Strings(t, db, "SELECT GROUP_CONCAT(note ORDER BY id) FROM ddl_items"); got[0] != "one,two,three,four" {
				t.Errorf("the new column through Strata: %v", got)
			}
			// In a transaction (an ORM's migration wrapped in BEGIN ...
			// COMMIT) the change commits the transaction first, as on
			// MariaDB, and runs on every shard.
			ctx := testenv.Ctx(t)
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, stmt := range []string{"BEGIN", "INSERT INTO ddl_items (id, v) VALUES (100, 100)", "ALTER TABLE ddl_items ADD COLUMN in_tx INT NULL"} {
				if _, err := conn.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM ddl_items WHERE id = 100"); got[0] != "1" {
				t.Errorf("the row inserted before the schema change was not committed by it: %v", got)
			}
			// A table of another cluster (a table group) likewise.
			for _, stmt := range []string{"BEGIN", "INSERT INTO ddl_items (id, v) VALUES (102, 102)", "ALTER TABLE ddl_group ADD COLUMN note_" + mode + " INT NULL"} {
				if _, err := conn.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM ddl_items WHERE id = 102"); got[0] != "1" {
				t.Errorf("the row inserted before the table group's schema change was not committed by it: %v", got)
			}
			if got := testenv.Strings(t, direct["accounts"], "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME = 'ddl_group' AND COLUMN_NAME = ?", "note_"+mode); got[0] != "1" {
				t.Errorf("the table group's schema change did not run on accounts")
			}
			for _, sh := range shardNames {
				if got := columnsOn(t, sh, "ddl_items"); got != "id,v,note,in_tx" {
					t.Errorf("columns on %s after the change in a transaction: %s", sh, got)
				}
			}
			// With autocommit off, the statements after the change are a
			// transaction of their own again.
			for _, stmt := range []string{"SET autocommit = 0", "ALTER TABLE ddl_items DROP COLUMN in_tx", "INSERT INTO ddl_items (id, v) VALUES (101, 101)", "ROLLBACK", "SET autocommit = 1"} {
				if _, err := conn.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM ddl_items WHERE id = 101"); got[0] != "0" {
				t.Errorf("a row inserted after the change with autocommit off survived its ROLLBACK: %v", got)
			}
			if got := columnsOn(t, "s3", "ddl_items"); got != "id,v,note" {
				t.Errorf("columns on s3 after DROP COLUMN with autocommit off: %s", got)
			}
			if _, err := db.Exec("TRUNCATE TABLE ddl_items"); err != nil {
				t.Fatal(err)
			}
			if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM ddl_items"); got[0] != "0" {
				t.Errorf("after TRUNCATE: %v rows", got)
			}
		})
	}
}

// A date table is a base table on every shard plus one table per period:
// a schema change through Strata reaches the base table (so periods to
// come are created with it) and every period table that exists, and
// skips the periods no shard has.
func TestDDLOnADateTableChangesEveryPeriodTable(t *testing.T) {
	strataDB(t)
	y := time.Now().UTC().Year()
	period := func(year int) string { return fmt.Sprintf("ddl_posts_%04d", year) }
	const ddl = "CREATE TABLE IF NOT EXISTS %s (id BIGINT PRIMARY KEY, created_at DATETIME NOT NULL, views INT NULL)"
	dropYearlyTable(t, "ddl_posts", y)
	for _, sh := range []string{"s0", "s1"} {
		if _, err := direct[sh].Exec(fmt.Sprintf(ddl, "blog.ddl_posts")); err != nil {
			t.Fatal(err)
		}
	}
	// History by hand: the oldest year on s0, last year on s1; the year
	// between exists nowhere.
	for sh, table := range map[string]string{"s0": period(y - 3), "s1": period(y - 1)} {
		if _, err := direct[sh].Exec(fmt.Sprintf(ddl, "blog."+table)); err != nil {
			t.Fatal(err)
		}
	}
	line := fmt.Sprintf(`ddl_posts: {shard_key: created_at, method: date, period: year, since: "%d-01-01", ahead: 1, shards: {s0: "..%d-01-01", s1: "%d-01-01.."}}`, y-3, y-1, y-1)
	s := startOwn(t, ownConfig(t, line, ""))
	// Strata creates this year's and next year's tables at start.
	for deadline := time.Now().Add(15 * time.Second); columnsOn(t, "s1", period(y+1)) == ""; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the coming periods were not pre-created within 15 s")
		}
	}
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	for _, stmt := range []string{
		"ALTER TABLE ddl_posts ADD COLUMN note VARCHAR(20) NULL",
		"CREATE INDEX by_views ON ddl_posts (views)",
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	want := map[string][]string{"s0": {"ddl_posts", period(y - 3)}, "s1": {"ddl_posts", period(y - 1), period(y), period(y + 1)}}
	for sh, tables := range want {
		for _, table := range tables {
			if got := columnsOn(t, sh, table); got != "id,created_at,views,note" {
				t.Errorf("%s on %s: columns %s, want the new column note", table, sh, got)
			}
			if got := indexesOn(t, sh, table); got != "by_views,PRIMARY" {
				t.Errorf("%s on %s: indexes %s, want by_views", table, sh, got)
			}
		}
	}
	if got := columnsOn(t, "s0", period(y-2)) + columnsOn(t, "s1", period(y-2)); got != "" {
		t.Errorf("the missing period %s was created: %s", period(y-2), got)
	}
	// The base table is the template of the periods created later
	// (strata shards precreate -all makes them LIKE it).
	if _, err := direct["s0"].Exec(fmt.Sprintf("CREATE TABLE blog.%s LIKE blog.ddl_posts", period(y-2))); err != nil {
		t.Fatal(err)
	}
	if got := columnsOn(t, "s0", period(y-2)); got != "id,created_at,views,note" {
		t.Errorf("a period created after the change: columns %s", got)
	}
	rows := fmt.Sprintf("(1, '%d-03-01', 5, 'old'), (2, '%d-05-01', 7, 'last'), (3, '%d-02-01', 9, 'now')", y-3, y-1, y)
	if _, err := db.Exec("INSERT INTO ddl_posts (id, created_at, views, note) VALUES " + rows); err != nil {
		t.Fatal(err)
	}
	if got := testenv.Strings(t, db, "SELECT GROUP_CONCAT(note ORDER BY id) FROM ddl_posts"); got[0] != "old,last,now" {
		t.Errorf("the new column through Strata: %v", got)
	}
	if _, err := db.Exec("TRUNCATE TABLE ddl_posts"); err != nil {
		t.Fatal(err)
	}
	if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM ddl_posts"); got[0] != "0" {
		t.Errorf("after TRUNCATE: %v rows", got)
	}
	// What would lose the period tables is refused, every table left as it was.
	for stmt, why := range map[string]string{"CREATE TABLE ddl_posts SELECT 1 AS id": "one table per period", "ALTER TABLE ddl_posts RENAME TO old_posts": "ddl_posts"} {
		_, err := db.Exec(stmt)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want error 1235 saying why", stmt, err)
		}
	}
	if got := columnsOn(t, "s1", period(y)); got == "" {
		t.Errorf("a refused statement changed %s", period(y))
	}
	// A change that fails part-way says where it already ran.
	if _, err := direct["s1"].Exec("ALTER TABLE blog." + period(y) + " ADD COLUMN extra INT"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Exec("ALTER TABLE ddl_posts ADD COLUMN extra INT")
	if testenv.MySQLErr(err) != 1060 || !strings.Contains(err.Error(), "had already run this schema change on s0 (ddl_posts), s1 (ddl_posts)") {
		t.Errorf("a schema change that fails on one period table: %v, want MariaDB's 1060 naming where it ran", err)
	}
}

// An ORM's migration that creates a date table through Strata gets its
// base table on every shard and every period table from since: to the
// coming ones on the shard that owns it; dropping it drops them all.
func TestCreateAndDropADateTableThroughStrata(t *testing.T) {
	strataDB(t)
	y := time.Now().UTC().Year()
	period := func(year int) string { return fmt.Sprintf("ddl_made_%04d", year) }
	dropYearlyTable(t, "ddl_made", y)
	line := fmt.Sprintf(`ddl_made: {shard_key: created_at, method: date, period: year, since: "%d-01-01", ahead: 1, shards: {s0: "..%d-01-01", s1: "%d-01-01.."}}`, y-3, y-1, y-1)
	s := startOwn(t, ownConfig(t, line, ""))
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	if _, err := db.Exec("CREATE TABLE ddl_made (id BIGINT PRIMARY KEY, created_at DATETIME NOT NULL, title VARCHAR(40) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	owner := map[int]string{y - 3: "s0", y - 2: "s0", y - 1: "s1", y: "s1", y + 1: "s1"}
	for _, sh := range []string{"s0", "s1"} {
		if got := columnsOn(t, sh, "ddl_made"); got != "id,created_at,title" {
			t.Errorf("base table on %s: %q", sh, got)
		}
		for year, own := range owner {
			got := columnsOn(t, sh, period(year))
			if (sh == own) != (got == "id,created_at,title") {
				t.Errorf("%s on %s: columns %q (owned by %s)", period(year), sh, got, own)
			}
		}
	}
	rows := fmt.Sprintf("(1, '%d-03-01', 'old'), (2, '%d-05-01', 'last'), (3, '%d-02-01', 'now')", y-3, y-1, y)
	if _, err := db.Exec("INSERT INTO ddl_made (id, created_at, title) VALUES " + rows); err != nil {
		t.Fatal(err)
	}
	if got := testenv.Strings(t, db, "SELECT GROUP_CONCAT(title ORDER BY created_at) FROM ddl_made"); got[0] != "old,last,now" {
		t.Errorf("rows through Strata: %v", got)
	}
	if _, err := db.Exec("DROP TABLE ddl_made"); err != nil {
		t.Fatal(err)
	}
	for _, sh := range []string{"s0", "s1"} {
		left := testenv.Strings(t, direct[sh], "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME LIKE 'ddl\\_made%'")
		if len(left) != 0 {
			t.Errorf("after DROP TABLE, %s still has %v", sh, left)
		}
	}
}

// LOAD DATA LOCAL into a date table sends each row of the client's file
// to its period's table, on the shard that owns the period; a row whose
// period table does not exist stops the load with nothing loaded.
func TestLoadDataIntoADateTableFillsItsPeriodTables(t *testing.T) {
	strataDB(t)
	y := time.Now().UTC().Year()
	dropYearlyTable(t, "load_posts", y)
	const ddl = "CREATE TABLE IF NOT EXISTS blog.%s (id BIGINT PRIMARY KEY, created_at DATETIME NOT NULL, title VARCHAR(40) NOT NULL)"
	for _, sh := range []string{"s0", "s1"} {
		if _, err := direct[sh].Exec(fmt.Sprintf(ddl, "load_posts")); err != nil {
			t.Fatal(err)
		}
	}
	// The year between has no table anywhere.
	for year, sh := range map[int]string{y - 3: "s0", y - 1: "s1"} {
		if _, err := direct[sh].Exec(fmt.Sprintf(ddl, fmt.Sprintf("load_posts_%d", year))); err != nil {
			t.Fatal(err)
		}
	}
	line := fmt.Sprintf(`load_posts: {shard_key: created_at, method: date, period: year, since: "%d-01-01", ahead: 1, shards: {s0: "..%d-01-01", s1: "%d-01-01.."}}`, y-3, y-1, y-1)
	s := startOwn(t, ownConfig(t, line, ""))
	for deadline := time.Now().Add(15 * time.Second); columnsOn(t, "s1", fmt.Sprintf("load_posts_%d", y)) == ""; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("this year's table was not pre-created within 15 s")
		}
	}
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	file := registerFile(t, "periodload", fmt.Sprintf("1\t%[1]d-02-01 10:00:00\told\n2\t%[2]d-06-30 23:59:59\tlast\n3\t%[3]d-01-01 00:00:00\tnow\n4\t%[1]d-12-31\told too\n", y-3, y-1, y))
	res, err := db.Exec(fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE load_posts (id, created_at, title)", file))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 4 {
		t.Errorf("the load affected %d rows, want 4", n)
	}
	for table, want := range map[string][]string{
		fmt.Sprintf("load_posts_%d", y-3): {"s0"},
		fmt.Sprintf("load_posts_%d", y-1): {"s1"},
		fmt.Sprintf("load_posts_%d", y):   {"s1"},
		"load_posts":                      nil,
	} {
		if got := holders(t, table, "1"); !slices.Equal(got, want) {
			t.Errorf("rows of %s are on %v, want %v", table, got, want)
		}
	}
	missing := registerFile(t, "periodloadmissing", fmt.Sprintf("5\t%d-03-01\tfine\n6\t%d-03-01\tno table\n", y, y-2))
	_, err = db.Exec(fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE load_posts (id, created_at, title)", missing))
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), fmt.Sprintf("load_posts_%d, which does not exist", y-2)) {
		t.Errorf("a row of a period without a table: %v, want error 1235 naming the table", err)
	}
	if got := holders(t, fmt.Sprintf("load_posts_%d", y), "id = 5"); len(got) != 0 {
		t.Errorf("the refused load left row 5 on %v", got)
	}
	// With the missing year created, every row reads back through Strata.
	if _, err := direct["s0"].Exec(fmt.Sprintf(ddl, fmt.Sprintf("load_posts_%d", y-2))); err != nil {
		t.Fatal(err)
	}
	if got := testenv.Strings(t, db, "SELECT GROUP_CONCAT(id ORDER BY created_at) FROM load_posts"); got[0] != "1,4,2,3" {
		t.Errorf("the loaded rows through Strata: %v", got)
	}
}

// A schema change naming a sharded table and a table of the default
// cluster, which no one server holds together, is refused with what to do
// for its form (before: a message about joins), and nothing runs; the
// way round the CREATE ... SELECT refusal gives works.
func TestSchemaChangesApartSayWhatToDo(t *testing.T) {
	db := strataDB(t)
	t.Cleanup(func() {
		direct["main"].Exec("DROP TABLE IF EXISTS blog.entries_copy")
		direct["main"].Exec("DROP TABLE IF EXISTS blog.entries2")
	})
	for _, tc := range []struct{ sql, want string }{
		{"RENAME TABLE entries TO entries2", "renaming entries, a sharded table, is not supported"},
		{"ALTER TABLE countries RENAME TO nations", "renaming countries, a reference table"},
		// (A SELECT a shard runs alone is answered: TestCreateTableSelectOverShards.)
		{"CREATE TABLE entries_copy AS SELECT e.id, e.title FROM entries e JOIN order_customer o ON o.customer_id = e.id", "fill it with INSERT INTO entries_copy SELECT ... FROM entries"},
		{"CREATE TABLE entries_copy LIKE entries", "SHOW CREATE TABLE entries"},
		{"CREATE VIEW entries_view AS SELECT * FROM entries", "a view over entries, a sharded table"},
	} {
		_, err := db.Exec(tc.sql)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want 1235 containing %q", tc.sql, err, tc.want)
		}
	}
	for _, sh := range shardNames {
		if got := testenv.Strings(t, direct[sh], "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'blog' AND table_name IN ('entries', 'countries')"); got[0] != "2" {
			t.Errorf("%s after the refused renames: %s of entries and countries, want both", sh, got[0])
		}
	}
	mustExec(t, db, "CREATE TABLE entries_copy (id BIGINT PRIMARY KEY, title VARCHAR(100))")
	mustExec(t, db, "INSERT INTO entries_copy SELECT id, title FROM entries WHERE id <= 1000001000")
	got := testenv.Strings(t, direct["main"], "SELECT COUNT(*), SUM(id), SUM(CRC32(title)) FROM blog.entries_copy")
	want := testenv.Strings(t, singleBlog, "SELECT COUNT(*), SUM(id), SUM(CRC32(title)) FROM entries WHERE id <= 1000001000")
	if got[0] != want[0] || strings.HasPrefix(got[0], "0|") {
		t.Errorf("entries_copy filled by INSERT ... SELECT through Strata: %s, want %s", got[0], want[0])
	}
}

// A stored procedure, function or event lives on the default cluster and
// reads that server's tables only: one whose body names a sharded table
// would not see its rows (CALL failed with 1146 there, or read a stale
// copy of the table left from before it was sharded). It is refused,
// saying so; one over no placed table is created as before.
func TestStoredProgramsOverShardedTablesAreRefused(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	t.Cleanup(func() { db.Exec("DROP PROCEDURE IF EXISTS strata_plain") })
	for _, q := range []string{
		"CREATE PROCEDURE strata_count() SELECT COUNT(*) FROM entries",
		"CREATE DEFINER = CURRENT_USER PROCEDURE strata_count() BEGIN SELECT COUNT(*) FROM entries; END",
		"CREATE FUNCTION strata_count() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM entries)",
		"CREATE EVENT strata_purge ON SCHEDULE EVERY 1 HOUR DO DELETE FROM entries WHERE id < 0",
	} {
		_, err := db.ExecContext(ctx, q)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "stored procedure, function or event") || !strings.Contains(err.Error(), "entries") {
			t.Errorf("%s: %v, want 1235 saying the program would not see entries' rows", q, err)
		}
	}
	mustExec(t, db, "CREATE PROCEDURE strata_plain() SELECT 41 + 1")
	if got := testenv.Strings(t, db, "CALL strata_plain()"); !slices.Equal(got, []string{"42"}) {
		t.Errorf("CALL strata_plain() = %v, want [42]", got)
	}
}

// An ALTER TABLE that renames or drops a sharded table's key column is
// refused: Strata places the rows by the column its config names, and
// before, after `RENAME COLUMN id TO ident` ran on every shard, the next
// rows were all placed by the missing key's zero, on one shard. An ALTER
// that keeps the column (another column renamed, the key's type widened)
// runs, and rows still land where their key names. A CREATE TABLE of a
// sharded table without its key column is refused; before, it was made
// on every shard, and no row could be written.
func TestAlteringTheShardKeyColumnAwayIsRefused(t *testing.T) {
	got, _ := learnedModTable(t, "ak_rows", "id INT NOT NULL PRIMARY KEY, n INT NULL")
	ctx := testenv.Ctx(t)
	for _, q := range []string{
		"ALTER TABLE ak_rows RENAME COLUMN id TO ident",
		"ALTER TABLE blog.ak_rows CHANGE id ident INT NOT NULL",
		"ALTER TABLE ak_rows ADD COLUMN x INT, DROP COLUMN id",
	} {
		_, err := got.ExecContext(ctx, q)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "the shard key of ak_rows") {
			t.Errorf("%s: %v, want 1235 naming the shard key", q, err)
		}
	}
	for _, sh := range shardNames {
		if cols := testenv.Strings(t, direct[sh], "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME = 'ak_rows'"); cols[0] != "id,n" {
			t.Errorf("columns of ak_rows on %s after the refusals: %s, want id,n", sh, cols[0])
		}
	}
	// A sharded table created without its key column is refused too,
	// before any shard has it.
	strataDB(t)
	for _, sh := range shardNames {
		t.Cleanup(func() { direct[sh].Exec("DROP TABLE IF EXISTS blog.ak_new") })
	}
	s := startOwn(t, ownConfig(t, "ak_new: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	_, err := openStrata(t, s.MySQLAddr()).ExecContext(ctx, "CREATE TABLE ak_new (x INT NOT NULL PRIMARY KEY, n INT)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "has no column id") {
		t.Errorf("CREATE TABLE of a sharded table without its key column: %v, want 1235", err)
	}
	for _, sh := range shardNames {
		if n := testenv.Strings(t, direct[sh], "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME = 'ak_new'"); n[0] != "0" {
			t.Errorf("%s holds ak_new after the refusal", sh)
		}
	}

	mustExec(t, got, "ALTER TABLE ak_rows RENAME COLUMN n TO m")
	mustExec(t, got, "ALTER TABLE ak_rows MODIFY id BIGINT NOT NULL")
	mustExec(t, got, "INSERT INTO ak_rows (id, m) VALUES (5, 5), (6, 6), (7, 7)")
	for i, sh := range []string{"s0", "s1", "s2", "s3"} {
		q := fmt.Sprintf("SELECT COUNT(*) FROM blog.ak_rows WHERE id %% 4 <> %d", i)
		if n := testenv.Strings(t, direct[sh], q); n[0] != "0" {
			t.Errorf("%s holds %s rows of other shards", sh, n[0])
		}
	}
}
