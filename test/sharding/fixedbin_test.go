package sharding

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/test/testenv"
)

// MariaDB's UUID and INET6 columns sort by the bytes the server stores,
// not by their text: '::ffff:9.0.0.1' before '::ffff:10.0.0.1', and a
// time-based UUID by its node and time fields first. Over shards, Strata
// merges, picks MIN and MAX, de-duplicates and reads rows first (a
// window, a UNION) in that order too, as one server answers. Before, it
// compared their text by the connection's collation: ORDER BY ... LIMIT,
// MIN and MAX, UNION and ROW_NUMBER() OVER (ORDER BY ip) gave other rows
// than one server, and a plain ORDER BY was refused.
func TestUUIDAndINET6SortAsOneServer(t *testing.T) {
	got, want := modTable(t, "fixedbin_rows", "id INT NOT NULL PRIMARY KEY, u UUID NULL, ip INET6 NULL, n INT NULL")
	ctx := testenv.Ctx(t)
	for _, c := range []*sql.Conn{got, want} {
		if _, err := c.ExecContext(ctx, `INSERT INTO fixedbin_rows (id, u, ip, n) VALUES
			(1, 'ffffffff-0000-1000-8000-000000000001', '::ffff:10.0.0.1', 1),
			(2, '00000000-ffff-1000-8000-000000000002', '::ffff:9.0.0.1', 2),
			(3, '11111111-2222-1000-8000-000000000003', '::1', 3),
			(4, '22222222-1111-1000-8000-000000000004', '::ffff:192.168.0.1', 4),
			(5, '33333333-3333-4000-8000-000000000005', 'fe80::1', 5),
			(6, '00000001-0000-4000-8000-000000000006', '2001:db8::1', 6),
			(7, 'aaaaaaaa-0000-1001-8000-000000000007', 'a::1', 7),
			(8, 'AAAAAAAA-0000-1000-8000-000000000008', '::ffff:1.2.3.4', 8),
			(9, '11111111-2222-6000-8000-000000000009', NULL, 9)`); err != nil {
			t.Fatal(err)
		}
	}
	sameRows(t, got, want,
		"SELECT id, u FROM fixedbin_rows ORDER BY u",
		"SELECT id, u FROM fixedbin_rows ORDER BY u DESC LIMIT 3",
		"SELECT id, ip FROM fixedbin_rows ORDER BY ip",
		"SELECT id, ip FROM fixedbin_rows ORDER BY ip DESC LIMIT 4",
		"SELECT MIN(u), MAX(u), MIN(ip), MAX(ip) FROM fixedbin_rows",
		"SELECT n % 2, MAX(ip), MIN(u) FROM fixedbin_rows GROUP BY n % 2 ORDER BY 1",
		"SELECT ip, COUNT(*) FROM fixedbin_rows GROUP BY ip",
		"SELECT DISTINCT ip FROM fixedbin_rows ORDER BY ip",
		"SELECT COUNT(DISTINCT u), COUNT(DISTINCT ip) FROM fixedbin_rows",
		"SELECT ip FROM fixedbin_rows UNION SELECT ip FROM fixedbin_rows ORDER BY 1",
		"SELECT id, ROW_NUMBER() OVER (ORDER BY ip) FROM fixedbin_rows ORDER BY id",
		"SELECT id, RANK() OVER (PARTITION BY n % 2 ORDER BY u) FROM fixedbin_rows ORDER BY id",
		"SELECT * FROM (SELECT n % 3 k, MAX(ip) m FROM fixedbin_rows GROUP BY k) g WHERE m > '::ffff:9.0.0.1' ORDER BY 1",
		"SELECT id FROM fixedbin_rows WHERE u = CAST('AAAAAAAA-0000-1000-8000-000000000008' AS UUID)",
		"SELECT id, CAST(ip AS INET6) FROM fixedbin_rows ORDER BY CAST(ip AS INET6) LIMIT 3",
	)
	// A HAVING Strata would apply to merged groups compares text: it is
	// refused, naming what to do instead.
	_, err := runQuery(ctx, got, "SELECT n % 3 k, MAX(ip) m FROM fixedbin_rows GROUP BY k HAVING m > '::ffff:9.0.0.1'")
	if testenv.MySQLErr(err) != 1235 {
		t.Errorf("HAVING over a merged INET6: %v, want error 1235", err)
	}
}

// A statement Strata plans from MySQL's words for MariaDB's (CAST(x AS
// INT) as CAST(x AS SIGNED)) names its columns as the client wrote them,
// as one server does. Before, the column was CAST(n AS SIGNED), and
// CAST(x AS VARCHAR(n)) and CONVERT(x, INT) were refused as unreadable.
func TestColumnsOfMariaDBFormsKeepTheirNames(t *testing.T) {
	got, want := modTable(t, "form_names", "id INT NOT NULL PRIMARY KEY, n INT NULL")
	ctx := testenv.Ctx(t)
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "INSERT INTO form_names (id, n) VALUES (1, 10), (2, 20), (3, 10)")
	}
	for _, q := range []string{
		"SELECT CAST(n AS INT), COUNT(*) FROM form_names GROUP BY 1 ORDER BY 1",
		"SELECT id, CAST(n AS UNSIGNED INTEGER) FROM form_names WHERE id = 2",
		"SELECT id FROM form_names ORDER BY id OFFSET 1 ROWS FETCH FIRST 1 ROWS ONLY",
		"SELECT id, CAST(n AS VARCHAR(1)) x FROM form_names ORDER BY x, id",
		"SELECT id, CONVERT(n, INT) + 1 FROM form_names WHERE id = 2",
	} {
		g, gErr := runQuery(ctx, got, q)
		w, wErr := runQuery(ctx, want, q)
		if gErr != nil || wErr != nil {
			t.Fatalf("%s: %v / %v", q, gErr, wErr)
		}
		if !slices.Equal(g.cols, w.cols) || !slices.EqualFunc(g.rows, w.rows, slices.Equal) {
			t.Errorf("%s\nthrough Strata: %v %v\none server:     %v %v", q, g.cols, g.rows, w.cols, w.rows)
		}
	}
}

// rawKey: a spelling of a UUID or INET6 key as its 16 bytes, which the
// server reads as the value itself when they come as a binary string.
func rawKey(spelling string) bool {
	return len(spelling) == 16 && strings.IndexFunc(spelling, func(r rune) bool { return r < ' ' || r > '~' }) >= 0
}

// literal writes a key spelling as SQL: raw bytes as X'…', text quoted.
func literal(spelling string) string {
	if rawKey(spelling) {
		return fmt.Sprintf("X'%x'", spelling)
	}
	return "'" + spelling + "'"
}

// A UUID or INET6 shard key is placed by the text the server writes the
// value as, so every spelling the server reads as one value (upper case,
// without dashes, its 16 bytes as X'…'; '0:0::1' for '::1') reaches its row: reads, updates,
// deletes, duplicates and LOAD DATA. Before, Strata placed the key by the
// text as written: a row inserted as 'AAAA…' was not found by 'aaaa…',
// and an UPDATE in another spelling changed nothing.
func TestUUIDAndINET6KeysPlaceEverySpellingAlike(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.uuid_keys (u UUID NOT NULL PRIMARY KEY, n INT)", "blog.uuid_keys", shardNames...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.inet6_keys (ip INET6 NOT NULL PRIMARY KEY, n INT)", "blog.inet6_keys", shardNames...)
	const hashed = `{s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}`
	tables := "uuid_keys: {shard_key: u, method: hash, shards: " + hashed + "}\n  inet6_keys: {shard_key: ip, method: hash, shards: " + hashed + "}"
	s := startOwn(t, ownConfig(t, tables, ""))
	db := openStrata(t, s.MySQLAddr())
	for _, tc := range []struct {
		table, key string
		written    []string
		spellings  [][]string // per written key: other spellings of it
		load       string     // a LOAD DATA file of two more rows
		loaded     []string   // their keys, spelled otherwise
		absent     string     // a key of no row
	}{
		{"uuid_keys", "u",
			[]string{"AAAAAAAA-0000-1000-8000-000000000001", "bbbbbbbb000010008000000000000002", "cccccccc-0000-1000-8000-000000000003", "0dddddd-d0000-1000-8000-000000000004"},
			[][]string{{"aaaaaaaa-0000-1000-8000-000000000001", "aaaaaaaa000010008000000000000001", "\xaa\xaa\xaa\xaa\x00\x00\x10\x00\x80\x00\x00\x00\x00\x00\x00\x01"}, {"BBBBBBBB-0000-1000-8000-000000000002"}, {"CCCCCCCC000010008000000000000003"}, {"0ddddddd0000100080000000000000-04", "0DDDDDDD-0000-1000-8000-000000000004"}},
			"EEEEEEEE-0000-1000-8000-000000000005,5\nffffffff000010008000000000000006,6\n",
			[]string{"eeeeeeee000010008000000000000005", "FFFFFFFF-0000-1000-8000-000000000006"},
			"99999999-0000-1000-8000-000000000009"},
		{"inet6_keys", "ip",
			[]string{"::FFFF:10.0.0.1", "0:0:0:0:0:0:0:1", "2001:DB8::1", "fe80:0:0:0:0:0:0:2"},
			[][]string{{"::ffff:a00:1", "0:0:0:0:0:ffff:10.0.0.1", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x0a\x00\x00\x01"}, {"::1"}, {"2001:db8:0::1"}, {"FE80::2"}},
			"::ffff:9.0.0.1,5\n2001:DB8:0:0::5,6\n",
			[]string{"::FFFF:900:1", "2001:db8::5"},
			"::9"},
	} {
		for i, k := range tc.written {
			mustExec(t, db, fmt.Sprintf("INSERT INTO %s (%s, n) VALUES (?, ?)", tc.table, tc.key), k, i+1)
		}
		mustExec(t, db, fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE %s FIELDS TERMINATED BY ',' (%s, n)", registerFile(t, tc.table, tc.load), tc.table, tc.key))
		read := func(spelling string, want int) {
			t.Helper()
			queries := []string{"SELECT n FROM %s WHERE %s = " + literal(spelling), "SELECT n FROM %s WHERE %s IN ('" + tc.absent + "', " + literal(spelling) + ")"}
			if !rawKey(spelling) { // a driver binds []byte as a string in the connection's character set
				queries = append(queries, "SELECT n FROM %s WHERE %s = ?", "SELECT n FROM %s WHERE %s IN ('"+tc.absent+"', ?)")
			}
			for _, q := range queries {
				var args []any
				if strings.Contains(q, "?") {
					args = append(args, spelling)
				}
				var n int
				if err := db.QueryRow(fmt.Sprintf(q, tc.table, tc.key), args...).Scan(&n); err != nil || n != want {
					t.Errorf("%s: %q read by %s: %d, %v; want %d", tc.table, spelling, q, n, err, want)
				}
			}
		}
		for i, others := range tc.spellings {
			for _, sp := range others {
				read(sp, i+1)
			}
			res := mustExec(t, db, fmt.Sprintf("UPDATE %s SET n = n + 100 WHERE %s = ?", tc.table, tc.key), others[0])
			if n, _ := res.RowsAffected(); n != 1 {
				t.Errorf("%s: UPDATE by %q changed %d rows, want 1", tc.table, others[0], n)
			}
			res = mustExec(t, db, fmt.Sprintf("UPDATE %s SET n = n - 100 WHERE %s = %s", tc.table, tc.key, literal(others[len(others)-1])))
			if n, _ := res.RowsAffected(); n != 1 {
				t.Errorf("%s: UPDATE by the literal %q changed %d rows, want 1", tc.table, others[len(others)-1], n)
			}
			_, err := db.Exec(fmt.Sprintf("INSERT INTO %s (%s, n) VALUES (?, 0)", tc.table, tc.key), others[0])
			if testenv.MySQLErr(err) != 1062 {
				t.Errorf("%s: a second row %q: %v, want the duplicate key error 1062", tc.table, others[0], err)
			}
		}
		for i, sp := range tc.loaded {
			read(sp, len(tc.written)+i+1)
		}
		res := mustExec(t, db, fmt.Sprintf("DELETE FROM %s WHERE %s = ?", tc.table, tc.key), tc.loaded[0])
		if n, _ := res.RowsAffected(); n != 1 {
			t.Errorf("%s: DELETE by %q deleted %d rows, want 1", tc.table, tc.loaded[0], n)
		}
		// A key written as its 16 bytes goes where its text is read.
		raw := map[string]string{"uuid_keys": "1234567800001000800000000000000f", "inet6_keys": "20010db800000000000000000000000f"}[tc.table]
		mustExec(t, db, fmt.Sprintf("INSERT INTO %s (%s, n) VALUES (X'%s', 77)", tc.table, tc.key, raw))
		text := map[string]string{"uuid_keys": "12345678-0000-1000-8000-00000000000f", "inet6_keys": "2001:db8::f"}[tc.table]
		read(text, 77)
		mustExec(t, db, fmt.Sprintf("DELETE FROM %s WHERE %s = '%s'", tc.table, tc.key, text))
		// A key the server cannot read is refused, naming what it takes.
		if _, err := db.Exec(fmt.Sprintf("INSERT INTO %s (%s, n) VALUES ('{not-one}', 0)", tc.table, tc.key)); testenv.MySQLErr(err) != 1235 {
			t.Errorf("%s: an unreadable key: %v, want 1235", tc.table, err)
		}
	}
	// strata shards verify, which places each row by the server's text of
	// its key, finds every row where Strata put it.
	cfg := ownConfig(t, tables, "")
	dbs := shardops.NewDBs(cfg)
	defer dbs.Close()
	layout, err := cfg.Layout(shardops.NewLookupReader(dbs.Open, "blog", shardops.LookupSpecs(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"uuid_keys", "inet6_keys"} {
		var rows, misplaced int64
		for _, r := range shardops.Verify(t.Context(), layout, dbs.Open, "blog", table, 3) {
			rows, misplaced = rows+r.Rows, misplaced+r.Misplaced
		}
		if rows != 5 || misplaced != 0 {
			t.Errorf("verify %s: %d rows, %d misplaced; want 5 rows, none misplaced", table, rows, misplaced)
		}
	}
}

// A key of a type Strata does not model (a DATE, YEAR, DECIMAL, ENUM) in
// a table placed by its text (hash, key_range, lookup) is routed only when
// spelled as the server prints it: the server reads '2024-3-2' as
// 2024-03-02, 24 as the YEAR 2024, 2 as the DECIMAL 2.00, 'B' as the
// member 'b', and a row written in one spelling would be placed apart from
// a read in another. Reads in another spelling read every shard and find
// the row; writes in another spelling are refused (1235), naming the
// spelling to use. A BINARY(n) key is placed as the server stores it,
// padded with zero bytes. Before, each key was placed by its text as
// written, and a read spelled otherwise found nothing.
func TestKeysOfOtherTypesRouteOnlyAsTheServerPrintsThem(t *testing.T) {
	strataDB(t)
	const hashed = `method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}`
	for _, tc := range []struct {
		table, column string
		written       []string // as the server prints them, one row each (n = 1, 2, ...)
		reads         []string // other spellings of values of written, and absent ones
		refused       string   // a write spelled otherwise
	}{
		{"date_keys", "DATE", []string{"'2024-03-01'", "'2024-03-02'", "'2024-12-31'"},
			[]string{"'2024-3-1'", "20240302", "'2024/12/31'", "'2024-03-02 00:00:00'", "'2024-03-03'"}, "'2024-3-4'"},
		{"year_keys", "YEAR", []string{"2024", "'1999'", "'0000'"},
			[]string{"24", "'24'", "99", "'99'", "0", "'0'", "2000"}, "25"},
		{"decimal_keys", "DECIMAL(6,2)", []string{"'1.50'", "2.00", "'-3.25'"},
			[]string{"1.5", "'1.5'", "2", "'2'", "-3.250", "'+2.0'", "4"}, "4"},
		{"enum_keys", "ENUM('a','b','c')", []string{"'a'", "'b'"},
			[]string{"'A'", "'B'", "2", "'2'", "1", "'c'"}, "'C'"},
		{"binary_keys", "BINARY(4)", []string{"'c'", "'abcd'", "X'6100'"},
			[]string{"X'63000000'", "'c'", "'abcd'", "X'61000000'", "'a'"}, ""},
	} {
		t.Run(tc.table, func(t *testing.T) {
			ddl := "CREATE TABLE IF NOT EXISTS blog." + tc.table + " (k " + tc.column + " NOT NULL PRIMARY KEY, n INT)"
			createOn(t, ddl, "blog."+tc.table, append([]string{"single"}, shardNames...)...)
			s := startOwn(t, ownConfig(t, tc.table+": {shard_key: k, "+hashed+"}", ""))
			got, want := testenv.Conn(t, openStrata(t, s.MySQLAddr())), singleConn(t)
			for _, c := range []*sql.Conn{got, want} {
				for i, v := range tc.written {
					mustExec(t, c, fmt.Sprintf("INSERT INTO %s (k, n) VALUES (%s, %d)", tc.table, v, i+1))
				}
			}
			ctx := testenv.Ctx(t)
			for _, r := range append(slices.Clone(tc.written), tc.reads...) {
				q := fmt.Sprintf("SELECT n FROM %s WHERE k = %s ORDER BY n", tc.table, r)
				sameRows(t, got, want, q, fmt.Sprintf("SELECT n FROM %s WHERE k IN (%s, %s) ORDER BY n", tc.table, r, tc.written[0]))
				if arg := strings.Trim(r, "'"); !strings.HasPrefix(r, "X") {
					g, gErr := runQueryArgs(ctx, got, fmt.Sprintf("SELECT n FROM %s WHERE k = ? ORDER BY n", tc.table), arg)
					w, wErr := runQueryArgs(ctx, want, fmt.Sprintf("SELECT n FROM %s WHERE k = ? ORDER BY n", tc.table), arg)
					if gErr != nil || wErr != nil || !slices.EqualFunc(g.rows, w.rows, slices.Equal) {
						t.Errorf("bound %s: through Strata %v, %v; one server %v, %v", arg, g, gErr, w, wErr)
					}
				}
			}
			if tc.table == "date_keys" {
				// LOAD DATA places its rows so too: a field spelled otherwise
				// is refused; one spelled as printed is found by any spelling.
				load := "LOAD DATA LOCAL INFILE '%s' INTO TABLE date_keys FIELDS TERMINATED BY ',' (k, n)"
				if _, err := got.ExecContext(ctx, fmt.Sprintf(load, registerFile(t, "date_keys_odd", "2024-3-9,9\n"))); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
					t.Errorf("LOAD DATA of 2024-3-9: %v, want a refusal naming the spelling", err)
				}
				mustExec(t, got, fmt.Sprintf(load, registerFile(t, "date_keys_printed", "2024-03-09,9\n")))
				if n := testenv.Strings(t, got, "SELECT n FROM date_keys WHERE k = '2024-3-9'"); !slices.Equal(n, []string{"9"}) {
					t.Errorf("a loaded row read as '2024-3-9': %v", n)
				}
			}
			if tc.refused != "" {
				_, err := got.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (k, n) VALUES (%s, 9)", tc.table, tc.refused))
				if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "spelled") {
					t.Errorf("INSERT of %s: %v, want 1235 naming the spelling", tc.refused, err)
				}
			}
		})
	}
}

// A statement in MariaDB's words whose sharded tables Strata reads first
// (a derived table, a UNION, a subquery, a window) is taken apart in
// MySQL's words where MariaDB reads those the same: before, it was
// refused ("read in a derived table"), since only a plain scatter was
// planned from them.
func TestMariaDBFormsInsideSubqueriesRunOverShards(t *testing.T) {
	got, want := modTable(t, "form_parts", "id INT NOT NULL PRIMARY KEY, n INT NULL, g VARCHAR(10) NULL")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "INSERT INTO form_parts (id, n, g) VALUES (1, 10, '10'), (2, 2, '2'), (3, 30, 'x'), (4, -4, '4')")
	}
	sameRows(t, got, want,
		"SELECT * FROM (SELECT id, CAST(n AS INT) FROM form_parts) d ORDER BY id LIMIT 2",
		"SELECT id, CAST(n AS INT) FROM form_parts WHERE id < 3 UNION SELECT id, CAST(n AS INT) FROM form_parts WHERE id > 3 ORDER BY id",
		"SELECT id FROM form_parts WHERE n IN (SELECT CAST(g AS INT) FROM form_parts) ORDER BY id",
		"SELECT id, ROW_NUMBER() OVER (ORDER BY CAST(g AS INT)) FROM form_parts ORDER BY id",
		"SELECT COUNT(DISTINCT CONVERT(g, INT), n) FROM form_parts",
	)
	// CAST(x AS UUID) and AS INET6 too: the parts run in MySQL's words
	// go to the shards with the CASTs written back.
	got, want = modTable(t, "form_uuids", "id INT NOT NULL PRIMARY KEY, g VARCHAR(40) NULL, ip VARCHAR(40) NULL")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, `INSERT INTO form_uuids (id, g, ip) VALUES (1, 'ffffffff-0000-1000-8000-000000000001', '::ffff:10.0.0.1'),
			(2, '00000000-ffff-1000-8000-000000000002', '::ffff:9.0.0.1'), (3, 'AAAAAAAA-0000-1000-8000-000000000003', '::1')`)
	}
	sameRows(t, got, want,
		"SELECT * FROM (SELECT id, CAST(g AS UUID) u FROM form_uuids) d ORDER BY u",
		"SELECT id, ROW_NUMBER() OVER (ORDER BY CAST(ip AS INET6)) FROM form_uuids ORDER BY id",
		"SELECT CAST(ip AS INET6) FROM form_uuids WHERE id < 3 UNION SELECT CAST(ip AS INET6) FROM form_uuids WHERE id = 3 ORDER BY 1",
		"SELECT id FROM form_uuids WHERE CAST(g AS UUID) IN (SELECT CAST(g AS UUID) FROM form_uuids WHERE id > 1) ORDER BY id",
	)
}
