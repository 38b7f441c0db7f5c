package sqlparse

import "testing"

// MariaDB-only forms are rewritten to MySQL's words for the same thing,
// and nothing else is touched: not strings, not names, not a FETCH whose
// meaning LIMIT lacks.
func TestMySQLForm(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"SELECT CAST(score AS INT) FROM t", "SELECT CAST(score AS SIGNED) FROM t", true},
		{"select cast(a as integer), CAST(b AS unsigned int), CAST(c AS SIGNED INTEGER) from t", "select cast(a as SIGNED), CAST(b AS UNSIGNED), CAST(c AS SIGNED) from t", true},
		{"SELECT CAST(a AS CHAR), 'AS INT)' FROM t", "SELECT CAST(a AS CHAR), 'AS INT)' FROM t", false},
		{"SELECT a AS `int` FROM t", "SELECT a AS `int` FROM t", false},
		{"SELECT id FROM t ORDER BY id OFFSET 2 ROWS FETCH NEXT 3 ROWS ONLY", "SELECT id FROM t ORDER BY id LIMIT 2, 3", true},
		{"SELECT id FROM t ORDER BY id OFFSET ? ROWS FETCH FIRST ? ROW ONLY;", "SELECT id FROM t ORDER BY id LIMIT ?, ?;", true},
		{"SELECT id FROM t ORDER BY id FETCH FIRST 5 ROWS ONLY", "SELECT id FROM t ORDER BY id LIMIT 5", true},
		{"SELECT id FROM t ORDER BY id OFFSET 10 ROWS", "SELECT id FROM t ORDER BY id LIMIT 10, 18446744073709551615", true},
		{"SELECT id FROM t ORDER BY id FETCH FIRST 5 ROWS WITH TIES", "SELECT id FROM t ORDER BY id FETCH FIRST 5 ROWS WITH TIES", false},
		{"SELECT id FROM t ORDER BY id LIMIT 5 OFFSET 2", "SELECT id FROM t ORDER BY id LIMIT 5 OFFSET 2", false},
		{"SELECT id FROM (SELECT id FROM t OFFSET 1 ROWS) d", "SELECT id FROM (SELECT id FROM t OFFSET 1 ROWS) d", false},
		{"UPDATE t SET offset = 1", "UPDATE t SET offset = 1", false},
		{"SELECT id FROM t WHERE a = 1 LOCK IN SHARE MODE SKIP LOCKED", "SELECT id FROM t WHERE a = 1 FOR SHARE SKIP LOCKED", true},
		{"select id from t limit 3 lock in share mode nowait", "select id from t limit 3 FOR SHARE NOWAIT", true},
		{"SELECT id FROM t LOCK IN SHARE MODE", "SELECT id FROM t LOCK IN SHARE MODE", false},
		{"SELECT id FROM t FOR UPDATE SKIP LOCKED", "SELECT id FROM t FOR UPDATE SKIP LOCKED", false},
		{"SELECT CAST(u AS UUID) FROM t", "SELECT strata_cast_as_uuid(u ) FROM t", true},
		{"SELECT id FROM t WHERE ip = cast(CONCAT('::', 'ffff:1.2.3.4') as inet6)", "SELECT id FROM t WHERE ip = strata_cast_as_inet6(CONCAT('::', 'ffff:1.2.3.4') )", true},
		{"SELECT CAST(CAST(a AS INT) + 1 AS UUID), CAST(b AS CHAR) FROM t", "SELECT strata_cast_as_uuid(CAST(a AS SIGNED) + 1 ), CAST(b AS CHAR) FROM t", true},
		{"SELECT CAST(a AS CHAR) AS uuid FROM t", "SELECT CAST(a AS CHAR) AS uuid FROM t", false},
		{"SELECT CAST(n AS VARCHAR(3)), CONVERT(g, INT), CONVERT(CONCAT(a, b), unsigned integer) FROM t", "SELECT CAST(n AS CHAR(3)), CONVERT(g, SIGNED), CONVERT(CONCAT(a, b), UNSIGNED) FROM t", true},
		{"SELECT CONVERT(g USING utf8mb4), CONVERT(g, CHAR), CAST(n AS VARCHAR(3) CHARACTER SET utf8mb4), f(a, INT) FROM t", "SELECT CONVERT(g USING utf8mb4), CONVERT(g, CHAR), CAST(n AS VARCHAR(3) CHARACTER SET utf8mb4), f(a, INT) FROM t", false},
		{"SELECT CAST(a AS uuid_col) FROM t", "SELECT CAST(a AS uuid_col) FROM t", false},
	} {
		got, ok := Mode{}.MySQLForm(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("MySQLForm(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// A select field MySQLForm rewrites keeps the name a server gives it, the
// text the client wrote, as its alias: the shards and Strata's merge name
// the column CAST(n AS INT), not CAST(n AS SIGNED). Aliased fields and
// fields left as they were keep theirs.
func TestMySQLFormKeepsColumnNames(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT CAST(n AS INT), CAST(m AS INT) AS x, m FROM t ORDER BY 1",
			"SELECT CAST(n AS SIGNED) AS `CAST(n AS INT)`, CAST(m AS SIGNED) AS x, m FROM t ORDER BY 1"},
		{"SELECT id, cast(u as uuid) FROM t WHERE ip = CAST('::1' AS INET6)",
			"SELECT id, strata_cast_as_uuid(u ) AS `cast(u as uuid)` FROM t WHERE ip = strata_cast_as_inet6('::1' )"},
		{"SELECT (SELECT CAST(`a``b` AS INTEGER) FROM u) FROM t",
			"SELECT (SELECT CAST(`a``b` AS SIGNED) AS `CAST(``a````b`` AS INTEGER)` FROM u) AS `(SELECT CAST(``a````b`` AS INTEGER) FROM u)` FROM t"},
		{"SELECT id FROM t ORDER BY id OFFSET 2 ROWS FETCH NEXT 3 ROWS ONLY", "SELECT id FROM t ORDER BY id LIMIT 2, 3"},
	} {
		alt, f := Mode{}.ParseMySQLForm(tc.in)
		if f == nil || alt != tc.want {
			t.Errorf("ParseMySQLForm(%q) = %q (parsed: %v)\nwant %q", tc.in, alt, f != nil, tc.want)
		}
	}
}

// A route that keeps a planned statement's own text gets MariaDB's CASTs
// back from MySQLForm's calls, also nested and in any case; text without
// them is returned as it is.
func TestMariaDBFormWritesTheCastsBack(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT CAST(u AS UUID) FROM t":                                         "SELECT CAST(u  AS UUID) FROM t",
		"SELECT id FROM t WHERE ip = CAST(CONCAT('::', (1)) AS INET6)":          "SELECT id FROM t WHERE ip = CAST(CONCAT('::', (1))  AS INET6)",
		"SELECT CAST(CAST(u AS CHAR) AS UUID), 'strata_cast_as_uuid(x)' FROM t": "SELECT CAST(CAST(u AS CHAR)  AS UUID), 'strata_cast_as_uuid(x)' FROM t",
		"SELECT CAST(n AS INT) FROM t":                                          "SELECT CAST(n AS SIGNED) FROM t",
	} {
		form, _ := Mode{}.MySQLForm(in)
		if got := (Mode{}).MariaDBForm(form); got != want {
			t.Errorf("MariaDBForm(MySQLForm(%q)) = %q, want %q", in, got, want)
		}
	}
	const plain = "SELECT STRATA_CAST_AS_UUIDS(1), 'strata_cast_as_uuid(' FROM t"
	if got := (Mode{}).MariaDBForm(plain); got != plain {
		t.Errorf("MariaDBForm(%q) = %q", plain, got)
	}
}

// A MySQL form MariaDB reads as written can be taken apart and sent on as
// text; one only Render writes back in MariaDB's words cannot.
func TestReadableMySQLForm(t *testing.T) {
	for in, want := range map[string]bool{
		"SELECT * FROM (SELECT CAST(n AS INT) FROM t) d":  true,
		"SELECT id FROM t ORDER BY id OFFSET 1 ROWS":      true,
		"SELECT * FROM (SELECT CAST(u AS UUID) FROM t) d": true,
		"SELECT id FROM t LOCK IN SHARE MODE NOWAIT":      false,
		"SELECT id FROM t": false,
	} {
		alt, ok := Mode{}.ReadableMySQLForm(in)
		if ok != want || !ok && alt != in {
			t.Errorf("ReadableMySQLForm(%q) = %q, %v; want ok %v", in, alt, ok, want)
		}
	}
}
