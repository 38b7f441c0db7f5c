package sharding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/test/testenv"
)

// Words that one server groups, de-duplicates and orders by its
// collation's weights — ß = ss and ligatures in UCA, ø apart from o in
// general_ci, combining accents, padding, emoji — spread over four
// shards: Strata's merge of the shards' answers must equal one server's
// answer over all the rows (the same table on main, read directly), for
// a column of each collation Strata holds the server's weights of.
func TestTextMergesByTheServersCollation(t *testing.T) {
	strataDB(t) // the data and the shards
	words := []string{"straße", "STRASSE", "Strasse ", "strasze", "ﬁle", "file", "FILE", "a_b", "aab", "aZb",
		"Ærø", "ÆRO", "ærø", "😀", "😃", "e\u0301", "é", "E", "zoë", "ZOE", "ǆ", "Ǆ", "dž", "_", "-", "9"}
	ddl := "CREATE TABLE IF NOT EXISTS blog.coll_words (id INT PRIMARY KEY, " +
		"u VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, " +
		"g VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, " +
		"u520 VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci)"
	db, reference := ownModuloTable(t, ddl, "coll_words", "u")
	for i, w := range words {
		// Each word three times under different ids, so every shard holds
		// some of each group.
		for k := range 3 {
			id := i*3 + k
			q := "INSERT INTO coll_words (id, u, g, u520) VALUES (?, ?, ?, ?)"
			if _, err := db.Exec(q, id, w, w, w); err != nil {
				t.Fatalf("insert %q through Strata: %v", w, err)
			}
			if _, err := direct["main"].Exec("INSERT INTO blog.coll_words VALUES (?, ?, ?, ?)", id, w, w, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, col := range []string{"u", "g", "u520"} {
		sameTextMerges(t, db, reference, "coll_words", col, "STRASSE")
	}
}

// The other collations Strata holds the server's weights of: MariaDB 11's
// default, utf8mb4_uca1400_ai_ci, which weighs some sequences as one
// (Thai's prevowel and consonant, "เก" sorting as "กเ"; И + U+0306 = Й;
// l· = l), and latin1's language collations (german2's Ä = AE, danish's
// Æ after Z, general_cs's case apart). Before Strata read their tables,
// each of these columns merged otherwise than one server.
func TestTextMergesByUCA1400AndLatin1Collations(t *testing.T) {
	strataDB(t)
	for _, tc := range []struct {
		table, ddl, probe string
		cols              []string
		words             []string
	}{
		{"coll_uca", "CREATE TABLE IF NOT EXISTS blog.coll_uca (id INT PRIMARY KEY, " +
			"t VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_ai_ci)", "กเ", []string{"t"},
			[]string{"เก", "กเ", "ข", "เข", "ก", "ขก", "й", "й", "и", "иa", "l·a", "la", "lb",
				"ྲཱྀ", "ྲྀ", "Zoe", "zoë", "straße", "STRASSE"}},
		{"coll_latin", "CREATE TABLE IF NOT EXISTS blog.coll_latin (id INT PRIMARY KEY, " +
			"g VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_german2_ci, " +
			"d VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_danish_ci, " +
			"c VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_general_cs)", "AEPFEL", []string{"g", "d", "c"},
			[]string{"Äpfel", "aepfel", "AEPFEL", "apfel", "Æble", "aeble", "zebra", "Ørn", "orn", "ß", "ss",
				"Zoe", "zoë", "ÿ", "y", "ñ", "nz", "a_b", "aab", "Apfel"}},
	} {
		db, reference := ownModuloTable(t, tc.ddl, tc.table, tc.cols[0])
		for i, w := range tc.words {
			for k := range 3 { // each word on several shards
				cols := "id"
				args := []any{i*3 + k}
				for _, c := range tc.cols {
					cols += ", " + c
					args = append(args, w)
				}
				q := "INSERT INTO " + tc.table + " (" + cols + ") VALUES (?" + strings.Repeat(", ?", len(tc.cols)) + ")"
				for _, to := range []*sql.DB{db, reference} {
					if _, err := to.Exec(q, args...); err != nil {
						t.Fatalf("%s %v: %v", q, args, err)
					}
				}
			}
		}
		for _, col := range tc.cols {
			sameTextMerges(t, db, reference, tc.table, col, tc.probe)
		}
	}
}

// sameTextMerges runs the merges of text over shards (COUNT(DISTINCT),
// GROUP BY, DISTINCT, ORDER BY with and without LIMIT, MIN and MAX, a
// HAVING comparing text) on table's column col through Strata (db) and
// on one server holding every row (reference), and reports each answer
// that differs. probe is a value of the column to filter on.
func sameTextMerges(t *testing.T, db, reference *sql.DB, table, col, probe string) {
	t.Helper()
	sameTextMergeRows(t, db, reference, table, col, probe)
	// MIN and MAX: the server may answer any of several equal values
	// (la and l·a), so the one Strata picks must equal the server's by
	// the column's collation.
	var lo, hi string
	if err := db.QueryRow(fmt.Sprintf("SELECT MIN(%[1]s), MAX(%[1]s) FROM %[2]s", col, table)).Scan(&lo, &hi); err != nil {
		t.Fatal(err)
	}
	var cmpLo, cmpHi int
	q := fmt.Sprintf("SELECT STRCMP(?, MIN(%[1]s)), STRCMP(?, MAX(%[1]s)) FROM %[2]s", col, table)
	if err := reference.QueryRow(q, lo, hi).Scan(&cmpLo, &cmpHi); err != nil {
		t.Fatal(err)
	}
	if cmpLo != 0 || cmpHi != 0 {
		t.Errorf("MIN(%[1]s), MAX(%[1]s) over shards: %[2]q, %[3]q, which one server compares with its own as %d, %d", col, lo, hi, cmpLo, cmpHi)
	}
}

// sameTextMergeRows checks that merges comparing col of table answer as
// one server (reference) does.
func sameTextMergeRows(t *testing.T, db, reference *sql.DB, table, col, probe string) {
	t.Helper()
	for _, q := range []struct {
		sql     string
		ordered bool // the rows' order is the answer
	}{
		{"SELECT COUNT(DISTINCT %[1]s) FROM %[2]s", true},
		{"SELECT COUNT(*) FROM %[2]s GROUP BY %[1]s ORDER BY COUNT(*), MIN(id)", true},
		{"SELECT COUNT(*) FROM (SELECT DISTINCT %[1]s FROM %[2]s) d", true},
		{"SELECT id FROM %[2]s ORDER BY %[1]s, id", true},
		{"SELECT id FROM %[2]s ORDER BY %[1]s DESC, id LIMIT 10", true},
		{"SELECT MIN(id), MAX(id) FROM %[2]s WHERE %[1]s = '%[3]s'", true},
		{"SELECT COUNT(*) FROM %[2]s GROUP BY %[1]s HAVING %[1]s = '%[3]s' OR %[1]s < 'B'", false},
	} {
		query := fmt.Sprintf(q.sql, col, table, probe)
		got := testenv.Strings(t, db, query)
		want := testenv.Strings(t, reference, query)
		if !q.ordered {
			slices.Sort(got)
			slices.Sort(want)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s\nthrough Strata: %v\none server:     %v", query, got, want)
		}
	}
}

// A text shard key in a case-insensitive column, placed by the column's
// collation (key_collation): the spellings the server finds equal — case,
// accents, trailing spaces — reach the one row wherever the statement
// names it, and the primary key refuses a second spelling as the server
// would, since they all land on one shard.
func TestKeyCollationPlacesEqualSpellingsTogether(t *testing.T) {
	strataDB(t)
	ddl := "CREATE TABLE IF NOT EXISTS blog.folded_names (name VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY, v INT)"
	createOn(t, ddl, "blog.folded_names", shardNames...)
	const folded = `folded_names: {shard_key: name, method: hash, key_collation: utf8mb4_general_ci, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
	s := startOwn(t, ownConfig(t, folded, ""))
	db := openStrata(t, s.MySQLAddr())
	names := []string{"Zoe", "Émile", "straße", "Bob", "alice", "Ærø"}
	for i, n := range names {
		mustExec(t, db, fmt.Sprintf("INSERT INTO folded_names (name, v) VALUES ('%s', %d)", n, i))
	}
	spellings := map[string][]string{"Zoe": {"zoe", "ZOE ", "ZoE"}, "Émile": {"emile", "EMILE", "Emile  "},
		"straße": {"STRAßE", "straße "}, "Bob": {"bob", "BOB"}, "alice": {"ALICE", "Alice "}, "Ærø": {"ærø", "ÆRØ"}}
	for i, n := range names {
		for _, sp := range spellings[n] {
			var v int
			if err := db.QueryRow("SELECT v FROM folded_names WHERE name = ?", sp).Scan(&v); err != nil || v != i {
				t.Errorf("%q stored, read as %q: %d, %v; want %d", n, sp, v, err, i)
			}
			if err := db.QueryRow("SELECT v FROM folded_names WHERE name = '" + sp + "'").Scan(&v); err != nil || v != i {
				t.Errorf("%q stored, read as the literal %q: %d, %v; want %d", n, sp, v, err, i)
			}
		}
		_, err := db.Exec("INSERT INTO folded_names (name, v) VALUES (?, 99)", spellings[n][0])
		if testenv.MySQLErr(err) != 1062 {
			t.Errorf("a second row %q beside %q: %v, want the server's duplicate key error 1062", spellings[n][0], n, err)
		}
	}
	res := mustExec(t, db, "UPDATE folded_names SET v = v + 10 WHERE name IN ('BOB', 'zoe')")
	if n, _ := res.RowsAffected(); n != 2 {
		t.Errorf("UPDATE of two names in other spellings changed %d rows, want 2", n)
	}
	total := 0
	for _, c := range shardNames {
		var n int
		if err := direct[c].QueryRow("SELECT COUNT(*) FROM blog.folded_names").Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != len(names) {
		t.Errorf("%d rows on the shards, want %d", total, len(names))
	}
	// strata shards verify reads the placement the same way: none is off
	// its shard; by the keys' bytes (the table without key_collation, as
	// before an operator sets it) some are, and rebalance would move them.
	for _, c := range []struct {
		table       string
		offTheShard bool
	}{
		{folded, false},
		{strings.Replace(folded, "key_collation: utf8mb4_general_ci, ", "", 1), true},
	} {
		cfg := ownConfig(t, c.table, "")
		dbs := shardops.NewDBs(cfg)
		layout, err := cfg.Layout(shardops.NewLookupReader(dbs.Open, "blog", shardops.LookupSpecs(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		var rows, misplaced int64
		for _, r := range shardops.Verify(t.Context(), layout, dbs.Open, "blog", "folded_names", 3) {
			rows, misplaced = rows+r.Rows, misplaced+r.Misplaced
		}
		dbs.Close()
		if rows != int64(len(names)) || (misplaced > 0) != c.offTheShard {
			t.Errorf("verify with %s: %d rows, %d misplaced; want %d rows, misplaced: %v", c.table, rows, misplaced, len(names), c.offTheShard)
		}
	}
}

// members is placed by the bytes of username, a _ci column, so 'Hank' is
// stored on s0 with the capitals (below "g") though the server orders it
// among the h's: a range over username reads every shard and finds it,
// and ORDER BY username LIMIT does not stop at the first shard. The answers
// equal one server's holding the same rows.
func TestKeyRangeByBytesReadsEveryShardForARange(t *testing.T) {
	db := strataDB(t)
	cleanup(t, "members", "username IN ('Hank', 'Zz top')")
	mustExec(t, db, "INSERT INTO members (username, age) VALUES ('Hank', 40), ('Zz top', 41)")
	mustExec(t, singleBlog, "INSERT INTO members (username, age) VALUES ('Hank', 40), ('Zz top', 41)")
	t.Cleanup(func() { singleBlog.Exec("DELETE FROM members WHERE username IN ('Hank', 'Zz top')") })
	var onS0 int
	if err := direct["s0"].QueryRow("SELECT COUNT(*) FROM blog.members WHERE username IN ('Hank', 'Zz top')").Scan(&onS0); err != nil || onS0 != 2 {
		t.Fatalf("'Hank' and 'Zz top' on s0: %d (%v), want both there (placed by bytes, below \"g\")", onS0, err)
	}
	sameRows(t, db, singleBlog,
		"SELECT COUNT(*) FROM members WHERE username BETWEEN 'h' AND 'hz'",
		"SELECT username FROM members WHERE username >= 'h' ORDER BY username LIMIT 3",
		"SELECT username FROM members ORDER BY username DESC LIMIT 3",
		"SELECT username FROM members WHERE username > 'zz' ORDER BY username",
	)
}

// ownModuloTable creates a table (ddl, blog.table) on main and the shards,
// runs a Strata of the test's own that shards it by id over the four
// shards, and waits until that Strata has read the text column column's
// collation, which its merges compare by. It returns a client of that
// Strata and of main, which holds the reference copy.
func ownModuloTable(t *testing.T, ddl, table, column string) (db, reference *sql.DB) {
	t.Helper()
	createOn(t, ddl, "blog."+table, append([]string{"main"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, table+": {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	for deadline := time.Now().Add(10 * time.Second); s.Env.Sharding.ColumnCollation(table, column) == ""; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Strata did not read the collations of %s's columns within 10 s", table)
		}
	}
	return openStrata(t, s.MySQLAddr()), testenv.Open(t, "root@tcp("+clusterAddr["main"]+")/blog")
}

// sameRows runs each query through db and on reference, and reports each
// whose rows differ, order included.
func sameRows(t *testing.T, db, reference testenv.Querier, queries ...string) {
	t.Helper()
	for _, q := range queries {
		got, want := testenv.Strings(t, db, q), testenv.Strings(t, reference, q)
		if !slices.Equal(got, want) {
			t.Errorf("%s\nthrough Strata: %v\none server:     %v", q, got, want)
		}
	}
}

// createOn creates table with ddl on clusters' servers directly, and drops
// it when the test ends.
func createOn(t *testing.T, ddl, table string, clusters ...string) {
	t.Helper()
	for _, c := range clusters {
		if _, err := direct[c].Exec(ddl); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { direct[c].Exec("DROP TABLE IF EXISTS " + table) })
	}
}

// ownConfig is the shared topology's config for a Strata of a test's own,
// on ports of its choosing, with table (a "name: {...}" line, or "") added
// to tables: and extra appended.
func ownConfig(t *testing.T, table, extra string) *config.Config {
	t.Helper()
	// Its monitor checks rarely, as the extra instances' (main_test.go).
	yaml := strings.Replace(times.strataYAML("127.0.0.1:0", "127.0.0.1:0"), "monitor: {interval: 10s}", "monitor: {interval: 1h}", 1)
	if table != "" {
		yaml = strings.Replace(yaml, "tables:\n", "tables:\n  "+table+"\n", 1)
	}
	cfg, err := parseConfig(yaml + extra)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startOwn runs a Strata with cfg until the test ends.
func startOwn(t *testing.T, cfg *config.Config) *server.Strata {
	t.Helper()
	s, err := startConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// A table created after start and placed by a reload is compared by its
// columns' collations within seconds of the reload, not at the next
// minute's reading.
func TestReloadedTableColumnCollationsAreReadSoon(t *testing.T) {
	strataDB(t)
	s := startOwn(t, ownConfig(t, "", ""))
	for deadline := time.Now().Add(10 * time.Second); s.Env.Sharding.ColumnCollation("members", "username") == ""; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the collations at start were not read within 10 s")
		}
	}
	// The tables merged from shards are read: a date table's period
	// tables, and a reference table (joined with a sharded one on every
	// shard, its columns are merged too).
	var period string
	if err := direct["s1"].QueryRow("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME LIKE 'posts\\_%' LIMIT 1").Scan(&period); err != nil {
		t.Fatal(err)
	}
	if got := s.Env.Sharding.ColumnCollation(period, "author"); got == "" {
		t.Errorf("the collation of %s.author (a period table of posts) was not read", period)
	}
	if got := s.Env.Sharding.ColumnCollation("countries", "name"); got == "" {
		t.Error("the collation of countries.name (a reference table) was not read")
	}
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.late_words (id INT PRIMARY KEY, w VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci)", "blog.late_words", shardNames...)
	if _, _, err := s.Reload(ownConfig(t, "late_words: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", "")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for s.Env.Sharding.ColumnCollation("late_words", "w") != "utf8mb4_unicode_520_ci" {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the new table's column collation was not read within 10 s of the reload")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A table placed in the config but created on the servers directly after
// Strata read the columns at start (the next read is a minute away) is
// merged by its columns' own collations at once: a merge that compares
// the text of a table not read yet has the columns read first. Before,
// it compared by the connection's collation until the next read: a _bin
// column's 'A' and 'a' were one group, 'B' sorted before 'a'.
func TestMergeReadsTheColumnsOfATableCreatedSinceTheLastRead(t *testing.T) {
	strataDB(t)
	s := startOwn(t, ownConfig(t, "late_bin: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}\n  late_nolist: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	testenv.Eventually(t, "the columns read at start", func() bool { return s.Env.Sharding.ColumnCollation("members", "username") != "" })
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.late_bin (id INT PRIMARY KEY, w VARCHAR(20) COLLATE utf8mb4_bin)", "blog.late_bin", append([]string{"single"}, shardNames...)...)
	got, want := testenv.Conn(t, openStrata(t, s.MySQLAddr())), singleConn(t)
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "INSERT INTO late_bin (id, w) VALUES (1, 'a'), (2, 'A'), (3, 'B'), (4, 'b'), (5, 'a'), (6, 'C')")
	}
	sameRows(t, got, want,
		"SELECT w, COUNT(*) FROM late_bin GROUP BY w ORDER BY w",
		"SELECT DISTINCT w FROM late_bin ORDER BY w DESC",
		"SELECT MIN(w), MAX(w) FROM late_bin",
	)
	// So does an INSERT without a column list, which takes the columns
	// read (before, refused until the next read).
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.late_nolist (id INT PRIMARY KEY, w VARCHAR(20))", "blog.late_nolist", shardNames...)
	time.Sleep(time.Second) // reads a statement asks for are a second apart
	mustExec(t, got, "INSERT INTO late_nolist VALUES (1, 'x'), (2, 'y')")
	if rows := testenv.Strings(t, got, "SELECT id, w FROM late_nolist ORDER BY id"); !slices.Equal(rows, []string{"1|x", "2|y"}) {
		t.Errorf("rows inserted without a column list: %q", rows)
	}
}

// A collation Strata only approximates (Swedish, where Å and Ä sort after
// Z and ü equals y) would merge rows of several shards in another order
// or other groups than one server, and nothing in the rows shows it: such
// merges are refused with 1235 naming the collation and the way out,
// while a merge by an explicit exact COLLATE, and a statement one shard
// answers, run.
func TestMergesInAnApproximatedCollationAreRefused(t *testing.T) {
	strataDB(t)
	ddl := "CREATE TABLE IF NOT EXISTS blog.coll_swedish (id INT PRIMARY KEY, " +
		"name VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_swedish_ci)"
	db, reference := ownModuloTable(t, ddl, "coll_swedish", "name")
	for i, w := range []string{"Åsa", "Zorn", "Ärla", "Anna", "Ödla", "yngve", "über", "Olle"} {
		q := "INSERT INTO coll_swedish (id, name) VALUES (?, ?)"
		for _, to := range []*sql.DB{db, reference} {
			if _, err := to.Exec(q, i, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range []string{
		"SELECT id FROM coll_swedish ORDER BY name LIMIT 3",
		"SELECT COUNT(*) FROM coll_swedish GROUP BY name",
		"SELECT DISTINCT name FROM coll_swedish",
		"SELECT MIN(name), MAX(name) FROM coll_swedish",
	} {
		_, err := db.Query(q)
		var merr *mysql.MySQLError
		if !errors.As(err, &merr) || merr.Number != 1235 || !strings.Contains(merr.Message, "utf8mb4_swedish_ci") || !strings.Contains(merr.Message, "COLLATE utf8mb4_unicode_ci") {
			t.Errorf("%s over shards: %v, want error 1235 naming utf8mb4_swedish_ci and an exact COLLATE", q, err)
		}
	}
	sameRows(t, db, reference,
		"SELECT id FROM coll_swedish ORDER BY name COLLATE utf8mb4_unicode_ci, id",
		"SELECT name FROM coll_swedish WHERE id = 3 ORDER BY name",
		"SELECT COUNT(*) FROM coll_swedish")
}

// A client reads text in its own character set, not the column's: an old
// PHP site's SET NAMES latin1 gets a utf8mb4 column's values as latin1
// bytes, where 0x8A is Š, 0x80 € and 0x91 ‘ (MariaDB's latin1 is
// Windows-1252), a Russian one's cp1251 gets Cyrillic as cp1251 bytes,
// and a utf8mb4 client gets a latin1 or cp1251 column's as UTF-8. Merges
// over shards compare them as one server does; a client whose character
// set Strata does not read (gbk) is refused, not merged by misread bytes.
// Before, the latin1 client's ORDER BY stopped with 1235 at Š.
func TestTextMergesInTheClientsCharacterSet(t *testing.T) {
	strataDB(t)
	for _, tc := range []struct {
		table, single string // the table, a single-byte character set of a column
		words         []string
		charsets      []string // the clients
	}{
		{"coll_client", "latin1", []string{"Šimon", "Zed", "Adam", "sam", "€uro", "Tom", "‘quoted’", "—dash", "été", "Œuvre", "ÿes", "Zoë"},
			[]string{"latin1", "utf8mb4"}},
		{"coll_client_cyr", "cp1251", []string{"ёж", "Ежик", "Жанна", "ж", "яблоко", "Юрий", "Ўсё", "фото", "Анна", "ёлка"},
			[]string{"cp1251", "utf8mb4"}},
	} {
		ddl := "CREATE TABLE IF NOT EXISTS blog." + tc.table + " (id INT PRIMARY KEY, " +
			"u VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, " +
			"ub VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, " +
			"sb VARCHAR(20) CHARACTER SET " + tc.single + " COLLATE " + tc.single + "_bin)"
		createOn(t, ddl, "blog."+tc.table, append([]string{"main"}, shardNames...)...)
		s := startOwn(t, ownConfig(t, tc.table+": {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
		testenv.Eventually(t, "Strata reads the table's collations", func() bool { return s.Env.Sharding.ColumnCollation(tc.table, "u") != "" })
		utf8Strata := openStrata(t, s.MySQLAddr())
		for i, w := range tc.words {
			for k := range 2 {
				q := "INSERT INTO " + tc.table + " (id, u, ub, sb) VALUES (?, ?, ?, ?)"
				if _, err := utf8Strata.Exec(q, i*2+k, w, w, w); err != nil {
					t.Fatal(err)
				}
				if _, err := direct["main"].Exec("INSERT INTO blog."+tc.table+" VALUES (?, ?, ?, ?)", i*2+k, w, w, w); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, charset := range tc.charsets {
			db := testenv.Open(t, "app:app@tcp("+s.MySQLAddr()+")/blog?charset="+charset)
			reference := testenv.Open(t, "root@tcp("+clusterAddr["main"]+")/blog?charset="+charset)
			for _, col := range []string{"u", "ub", "sb"} {
				sameTextMerges(t, db, reference, tc.table, col, tc.words[1])
			}
		}
		gbk := testenv.Open(t, "app:app@tcp("+s.MySQLAddr()+")/blog?charset=gbk")
		_, err := gbk.Query("SELECT id FROM " + tc.table + " ORDER BY u")
		var merr *mysql.MySQLError
		if !errors.As(err, &merr) || merr.Number != 1235 || !strings.Contains(merr.Message, "character set gbk") {
			t.Errorf("a gbk client's ORDER BY text over shards: %v, want error 1235 naming gbk", err)
		}
	}
}

// A latin1 client reads '?' for each character latin1 cannot hold (Ω,
// Ж, 中), as from one server, and a utf8 (utf8mb3) one for each emoji;
// but one server sorts, groups and de-duplicates the stored values, not
// the '?'s. So Strata merges such a client's rows in UTF-8 and converts
// them as the server does. Before, the shards' '?'s merged as one
// character (Ωmega, Жанна and 中文 one group) or stopped the merge with
// error 1235.
func TestTextTheClientCannotHoldMergesAsOneServer(t *testing.T) {
	strataDB(t)
	const table = "coll_wide"
	ddl := "CREATE TABLE IF NOT EXISTS blog." + table + " (id INT PRIMARY KEY, u VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, " +
		"t TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, b VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin)"
	createOn(t, ddl, "blog."+table, append([]string{"main"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, table+": {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	testenv.Eventually(t, "Strata reads the table's collations", func() bool { return s.Env.Sharding.ColumnCollation(table, "u") != "" })
	utf8Strata := openStrata(t, s.MySQLAddr())
	words := []string{"Ωmega", "Жанна", "中文", "Zed", "Adam", "what?", "?", "Émile", "Ωmega", "жанна", "文", "été", "😀 smile", "😎 smile", "a😀"}
	for i, w := range words {
		q := "INSERT INTO " + table + " (id, u, t, b) VALUES (?, ?, ?, ?)"
		if _, err := utf8Strata.Exec(q, i, w, w+" "+w, w); err != nil {
			t.Fatal(err)
		}
		if _, err := direct["main"].Exec("INSERT INTO blog."+table+" VALUES (?, ?, ?, ?)", i, w, w+" "+w, w); err != nil {
			t.Fatal(err)
		}
	}
	for _, params := range []string{"charset=latin1", "charset=cp1251", "charset=utf8mb4&character_set_results=latin1", "charset=utf8", "charset=utf8mb4"} {
		db := testenv.Open(t, "app:app@tcp("+s.MySQLAddr()+")/blog?"+params)
		reference := testenv.Open(t, "root@tcp("+clusterAddr["main"]+")/blog?"+params)
		for _, col := range []string{"u", "t", "b"} {
			sameTextMergeRows(t, db, reference, table, col, "Adam")
		}
		// The values come in the client's character set. (The MIN and
		// MAX here have no equal values to choose from. A GROUP_CONCAT
		// ordered by two expressions runs on one server over the rows
		// Strata reads first, whose literals must keep their column's
		// collation: before, b's utf8mb4_bin values went as the
		// connection's general_ci, and the list came in another order.)
		for _, query := range []string{
			"SELECT u AS `Größe`, t, CONCAT(u, 'é') AS c, id FROM " + table + " ORDER BY u, id",
			"SELECT MIN(u), MAX(u), MIN(t), MAX(t), MIN(b), MAX(b), GROUP_CONCAT(b ORDER BY b, id) FROM " + table,
			"SET STATEMENT max_statement_time = 10 FOR SELECT DISTINCT u FROM " + table + " ORDER BY u",
			"set statement max_statement_time = 10 for SELECT u, COUNT(*) FROM " + table + " GROUP BY u",
		} {
			got, want := testenv.Strings(t, db, query), testenv.Strings(t, reference, query)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s\nthrough Strata: %q\none server:     %q", params, query, got, want)
			}
		}
		// Prepared on the server (binary rows), with a bound string the
		// client wrote in its own character set.
		query := "SELECT u, COUNT(*), MAX(b) FROM " + table + " WHERE id >= ? GROUP BY u HAVING u <> ? ORDER BY u"
		got, want := testenv.Strings(t, db, query, 0, "Zed"), testenv.Strings(t, reference, query, 0, "Zed")
		if !slices.Equal(got, want) {
			t.Errorf("%s: %s\nthrough Strata: %q\none server:     %q", params, query, got, want)
		}
	}
	// The column definitions as the mariadb CLI shows them (names,
	// collation id, length) and the rows, for a latin1 and a utf8 client.
	query := "SELECT u AS `Größe`, t, b, CONCAT(u, 'é') AS c, COUNT(*) AS n FROM " + table + " GROUP BY u, t, b ORDER BY u, t, b"
	show := func(addr, user, password, charset string) string {
		host, port, _ := strings.Cut(addr, ":")
		out, errOut, err := runTool("mariadb", "-h", host, "-P", port, "-u", user, "--password="+password, "--skip-ssl",
			"--default-character-set="+charset, "--column-type-info", "-t", "blog", "-e", query)
		if err != nil {
			t.Fatalf("mariadb -e %q: %v: %s", query, err, errOut)
		}
		return out
	}
	for _, charset := range []string{"latin1", "utf8"} {
		if got, want := show(s.MySQLAddr(), "app", "app", charset), show(clusterAddr["main"], "root", "", charset); got != want {
			t.Errorf("%s, as the mariadb CLI shows it in %s\nthrough Strata:\n%s\none server:\n%s", query, charset, got, want)
		}
	}
}

// A text shard key is placed by its characters, whatever character set
// the client writes it in: a latin1 client's 'Šimon' (bytes 8A 69 6D 6F
// 6E) is the row a utf8mb4 client's 'Šimon' (C5 A0 ...) names, by a
// literal or a bound value, for reads and writes. Before, each client
// placed the key by its own bytes, so 5 of these 8 names written by one
// were not found by the other. A bound string is text in the client's
// character set, as on the server (before, one that needed hex went to
// the shards as a binary string, which a shard read as the column's
// utf8mb4: a latin1 client's prepared LIKE 'Šimon' got error 1300).
func TestTextKeysPlaceAlikeFromEveryCharacterSet(t *testing.T) {
	strataDB(t)
	ddl := "CREATE TABLE IF NOT EXISTS blog.coll_keys (name VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY, " +
		"nick VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, v INT)"
	createOn(t, ddl, "blog.coll_keys", shardNames...)
	s := startOwn(t, ownConfig(t, `coll_keys: {shard_key: name, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`, ""))
	latin1 := testenv.Open(t, "app:app@tcp("+s.MySQLAddr()+")/blog?charset=latin1")
	utf8 := testenv.Open(t, "app:app@tcp("+s.MySQLAddr()+")/blog?charset=utf8mb4")
	names := []string{"Šimon", "Émile", "Zoë", "Ærø", "François", "Øyvind", "Ångström", "Müller"}
	inLatin1 := func(s string) string {
		out, ok := engine.EncodeSingleByte("latin1", s)
		if !ok {
			t.Fatalf("%q has no latin1 form", s)
		}
		return out
	}
	// Half written by each client, as literals and as bound values.
	for i, n := range names {
		var err error
		switch i % 4 {
		case 0:
			_, err = utf8.Exec(fmt.Sprintf("INSERT INTO coll_keys (name, nick, v) VALUES ('%s', 'a\\\\', %d)", n, i))
		case 1:
			_, err = utf8.Exec("INSERT INTO coll_keys (name, nick, v) VALUES (?, 'a\\\\', ?)", n, i)
		case 2:
			_, err = latin1.Exec(fmt.Sprintf("INSERT INTO coll_keys (name, nick, v) VALUES ('%s', 'a\\\\', %d)", inLatin1(n), i))
		case 3:
			_, err = latin1.Exec("INSERT INTO coll_keys (name, nick, v) VALUES (?, 'a\\\\', ?)", inLatin1(n), i)
		}
		if err != nil {
			t.Fatalf("insert %s: %v", n, err)
		}
	}
	for i, n := range names {
		for _, c := range []struct {
			what string
			db   *sql.DB
			name string
		}{{"utf8mb4", utf8, n}, {"latin1", latin1, inLatin1(n)}} {
			var v int
			if err := c.db.QueryRow("SELECT v FROM coll_keys WHERE name = '" + c.name + "'").Scan(&v); err != nil || v != i {
				t.Errorf("a %s client's literal key %s: %d, %v; want %d", c.what, n, v, err, i)
			}
			if err := c.db.QueryRow("SELECT v FROM coll_keys WHERE name = ?", c.name).Scan(&v); err != nil || v != i {
				t.Errorf("a %s client's bound key %s: %d, %v; want %d", c.what, n, v, err, i)
			}
			var count int
			if err := c.db.QueryRow("SELECT COUNT(*) FROM coll_keys WHERE name LIKE ?", c.name).Scan(&count); err != nil || count != 1 {
				t.Errorf("a %s client's bound LIKE %s over every shard: %d, %v; want 1", c.what, n, count, err)
			}
		}
	}
	if _, err := latin1.Exec("UPDATE coll_keys SET v = v + 100 WHERE name = ?", inLatin1("Šimon")); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := utf8.QueryRow("SELECT v FROM coll_keys WHERE name = 'Šimon'").Scan(&v); err != nil || v != 100 {
		t.Errorf("after a latin1 client's UPDATE by key, a utf8mb4 client reads %d, %v; want 100", v, err)
	}
	// A latin1 file loaded over shards: its keys land where a utf8mb4
	// client looks for them.
	loaded := []string{"Ødegård", "Çelik", "Ñúñez", "Ågren", "Éloïse", "Þórður"}
	var file strings.Builder
	for i, n := range loaded {
		fmt.Fprintf(&file, "%s,%s,%d\n", inLatin1(n), `a\\`, 50+i) // a\\ is a\ escaped
	}
	path := registerFile(t, "latin1keys", file.String())
	if _, err := utf8.Exec("LOAD DATA LOCAL INFILE '" + path + "' INTO TABLE coll_keys CHARACTER SET latin1 FIELDS TERMINATED BY ',' (name, nick, v)"); err != nil {
		t.Fatalf("LOAD DATA of a latin1 file: %v", err)
	}
	for i, n := range loaded {
		var v int
		if err := utf8.QueryRow("SELECT v FROM coll_keys WHERE name = ?", n).Scan(&v); err != nil || v != 50+i {
			t.Errorf("a name of a latin1 file, %s, read by key: %d, %v; want %d", n, v, err, 50+i)
		}
	}
	names = append(names, loaded...)
	// Every row is where strata shards verify, which reads the keys as
	// UTF-8, places it; a row an earlier Strata placed by a latin1
	// client's bytes (here: copies on every shard) is listed.
	misplaced := func() int64 {
		cfg := ownConfig(t, `coll_keys: {shard_key: name, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`, "")
		dbs := shardops.NewDBs(cfg)
		defer dbs.Close()
		layout, err := cfg.Layout(shardops.NewLookupReader(dbs.Open, "blog", shardops.LookupSpecs(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, r := range shardops.Verify(t.Context(), layout, dbs.Open, "blog", "coll_keys", 3) {
			n += r.Misplaced
		}
		return n
	}
	if n := misplaced(); n != 0 {
		t.Errorf("strata shards verify lists %d rows written through Strata as misplaced", n)
	}
	for _, sh := range shardNames {
		if _, err := direct[sh].Exec("INSERT INTO blog.coll_keys (name, nick, v) VALUES ('Ørjan', 'x', 0)"); err != nil {
			t.Fatal(err)
		}
	}
	if n := misplaced(); n != int64(len(shardNames)-1) {
		t.Errorf("strata shards verify lists %d misplaced rows, want the %d copies off their shard", n, len(shardNames)-1)
	}
	for _, sh := range shardNames {
		if _, err := direct[sh].Exec("DELETE FROM blog.coll_keys WHERE name = 'Ørjan'"); err != nil {
			t.Fatal(err)
		}
	}
	// A bound 'A\' (sent as hex for its backslash) finds 'a\' in a
	// general_ci column, as on the server.
	var count int
	if err := utf8.QueryRow("SELECT COUNT(*) FROM coll_keys WHERE nick = ?", `A\`).Scan(&count); err != nil || count != len(names) {
		t.Errorf(`a bound 'A\' over a _ci column: %d rows, %v; want %d`, count, err, len(names))
	}
}

// A latin1 client over the blog's data, which holds characters latin1
// cannot (they reach that client as '?'), gets one server's answers where
// Strata reads rows first to run a statement on one server, and where it
// merges a reference table's text. Before: a SQL_CALC_FOUND_ROWS GROUP BY
// (run over rows read first) counted 110 where one server counts 123, the
// pulled titles having come as '?'; MIN(countries.name) over the shards'
// joins compared in the connection's latin1_swedish_ci, Å after Z, and
// answered Belgique where one server says Åland.
func TestLatin1ClientReadsAsOneServer(t *testing.T) {
	strataDB(t)
	// A utf8mb4 client that reads its results in latin1 (SET
	// character_set_results alone) gets the same rows as a latin1 one.
	for _, params := range []string{"charset=latin1", "charset=utf8mb4&character_set_results=latin1"} {
		t.Run(params, func(t *testing.T) { latin1ReadsAsOneServer(t, params) })
	}
}

func latin1ReadsAsOneServer(t *testing.T, params string) {
	db := openStrataDSN(t, params)
	reference, err := sql.Open("mysql", "root@tcp("+clusterAddr["single"]+")/blog?"+params)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reference.Close() })
	sameRows(t, db, reference,
		"SELECT SQL_CALC_FOUND_ROWS status, MAX(score) AS a0, COUNT(*) FROM entries WHERE id < 1000003450 AND title < 'bjoRn CÄFE' GROUP BY status ORDER BY status DESC, a0 LIMIT 8",
		"SELECT FOUND_ROWS()",
		"SELECT MIN(m.age) AS a0, COUNT(c.region) AS a1, MIN(c.name) AS a2 FROM members m JOIN countries c ON m.country = c.code",
		"SELECT COUNT(*) FROM entries WHERE title < 'bjoRn CÄFE' AND id IN (SELECT entry_id FROM comments WHERE author < 'c')",
		"SELECT @@character_set_results")
	// In a transaction, the connections that read first in UTF-8 answer
	// the client's next statement in its own character set again.
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"BEGIN", "SELECT SQL_CALC_FOUND_ROWS status, COUNT(*) FROM entries WHERE title < 'b' GROUP BY status LIMIT 2"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	titles := "SELECT title FROM entries ORDER BY id LIMIT 40"
	if got, want := testenv.Strings(t, conn, titles), testenv.Strings(t, reference, titles); !slices.Equal(got, want) {
		t.Errorf("after a read first in a transaction, the titles a client reading latin1 gets:\n%q\nwant\n%q", got, want)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
}
