package sharding

import "testing"

// Strata writes the statements it sends to the shards from the parsed
// statement, not from the client's text: every expression must come back
// as MariaDB reads it (the parser's own names for CHAR and INSERT once
// did not). Each is read through a walk over the shards and compared with
// the single server's answer.
func TestExpressionsWrittenForTheShardsMeanTheSame(t *testing.T) {
	db := strataDB(t)
	for _, e := range mariadbExpressions {
		sameAsOneServer(t, db, 1, "SELECT "+e+" FROM events WHERE id > 0 ORDER BY id LIMIT 1")
	}
}

// Statements Strata writes for the shards from their parse keep their
// MariaDB meaning: hints, index hints, locks (the parser writes a shared
// lock as MySQL 8's FOR SHARE, which MariaDB does not read), row
// constructors, CTEs, windows, unions and derived tables.
func TestStatementsWrittenForTheShardsMeanTheSame(t *testing.T) {
	db := strataDB(t)
	stmts := []string{
		"SELECT SQL_NO_CACHE id FROM events WHERE qty = 2 ORDER BY id LIMIT 3",
		"SELECT HIGH_PRIORITY id FROM events WHERE qty = 2 ORDER BY id LIMIT 3",
		"SELECT STRAIGHT_JOIN e.id, c.code FROM events e JOIN countries c ON c.code IS NOT NULL ORDER BY e.id, c.code LIMIT 3",
		"SELECT id FROM events USE INDEX (PRIMARY) WHERE qty = 2 ORDER BY id LIMIT 3",
		"SELECT id FROM events FORCE INDEX (PRIMARY) WHERE qty = 2 ORDER BY id LIMIT 3",
		"SELECT id FROM events IGNORE INDEX FOR ORDER BY (PRIMARY) WHERE qty = 2 ORDER BY id LIMIT 3",
		"SELECT id FROM events AS e WHERE e.qty = 2 ORDER BY e.id DESC LIMIT 2 OFFSET 1",
		"SELECT DISTINCT kind FROM events ORDER BY kind",
		"SELECT id FROM events WHERE kind LIKE 'c%' ESCAPE '|' ORDER BY id LIMIT 2",
		"SELECT id FROM events WHERE (qty, kind) IN ((1, 'click'), (2, 'view')) ORDER BY id LIMIT 4",
		"SELECT id FROM events WHERE happened > NOW() - INTERVAL 10 YEAR ORDER BY id LIMIT 2",
		"SELECT /*+ MAX_EXECUTION_TIME(1000) */ id FROM events ORDER BY id LIMIT 2",
		"SELECT id FROM events WHERE id IN (SELECT id FROM events WHERE qty = 3) ORDER BY id LIMIT 3",
		"WITH x AS (SELECT id, qty FROM events WHERE qty = 1) SELECT COUNT(*) FROM x",
		"SELECT qty, ROW_NUMBER() OVER (ORDER BY qty) FROM events WHERE id < 30 ORDER BY qty, 2",
		"SELECT id FROM events WHERE id BETWEEN 990 AND 1010 ORDER BY id",
		"SELECT id, kind FROM events WHERE kind = _utf8mb4'click' COLLATE utf8mb4_bin ORDER BY id LIMIT 2",
		"SELECT COUNT(*) FROM events WHERE kind IS NOT NULL AND NOT (qty > 3)",
		"SELECT id FROM events ORDER BY id LIMIT 2 FOR UPDATE",
		"SELECT id FROM events ORDER BY id LIMIT 2 LOCK IN SHARE MODE",
		"SELECT e.id, c.name FROM events e LEFT JOIN countries c ON c.code = e.kind ORDER BY e.id LIMIT 3",
		"SELECT id FROM events WHERE id = 5 UNION ALL SELECT id FROM events WHERE id = 1505 ORDER BY id",
		"SELECT * FROM (SELECT id, qty FROM events WHERE qty = 4 ORDER BY id LIMIT 5) t ORDER BY id DESC",
		"SELECT id, JSON_OBJECT('q', qty) FROM events ORDER BY id LIMIT 2",
		"SELECT id FROM events WHERE kind REGEXP '^c' ORDER BY id LIMIT 2",
	}
	for _, q := range stmts {
		sameAsOneServer(t, db, 1, q)
	}
}

// mariadbExpressions are expressions over events' columns in MariaDB's
// syntax, each valid on one server.
var mariadbExpressions = []string{
	"CHAR(65)", "INSERT(kind,1,1,'x')", "CONVERT(kind USING utf8mb4)", "CAST(qty AS CHAR)", "CAST(qty AS SIGNED)", "CAST(amount AS DECIMAL(10,3))",
	"DATE_ADD(happened, INTERVAL 1 DAY)", "happened + INTERVAL 2 HOUR", "EXTRACT(YEAR FROM happened)", "TRIM(LEADING 'x' FROM kind)", "TRIM(BOTH 'x' FROM kind)",
	"POSITION('a' IN kind)", "SUBSTRING(kind FROM 2 FOR 3)", "SUBSTRING(kind, 2)", "LOCATE('a', kind)", "GET_FORMAT(DATE, 'EUR')", "TIMESTAMPADD(MINUTE, 1, happened)",
	"TIMESTAMPDIFF(DAY, happened, '2025-01-01')", "DATE_FORMAT(happened, '%Y')", "STR_TO_DATE('2024-01-01', '%Y-%m-%d')",
	"kind COLLATE utf8mb4_bin", "BINARY kind", "kind REGEXP '^c'", "kind NOT LIKE 'c%' ESCAPE '!'", "qty DIV 2", "qty MOD 2", "qty % 2", "-qty", "~qty", "!qty",
	"qty << 1", "qty ^ 3", "qty IS TRUE", "qty IS NOT NULL", "qty BETWEEN 1 AND 3", "CASE WHEN qty > 1 THEN 'a' ELSE 'b' END", "CASE qty WHEN 1 THEN 'x' END",
	"IF(qty > 1, 1, 0)", "IFNULL(qty, 0)", "NULLIF(qty, 1)", "COALESCE(qty, 0)", "GREATEST(qty, 2)", "INTERVAL(qty, 1, 2)", "CONCAT_WS('-', kind, qty)",
	"JSON_OBJECT('k', kind)", "JSON_EXTRACT('{\"a\":1}', '$.a')", "WEIGHT_STRING(kind)", "CHAR_LENGTH(kind)", "ROW(qty, 1) = ROW(1, 1)",
	"qty IN (1, 2)", "EXISTS (SELECT 1)", "CAST(happened AS DATETIME)", "CAST(kind AS BINARY)", "CONVERT(qty, CHAR)", "LPAD(kind, 5, '*')", "SPACE(2)",
	"FORMAT(amount, 1)", "ROUND(amount, 1)", "TRUNCATE(amount, 0)", "MD5(kind)", "SHA2(kind, 256)", "HEX(kind)", "UNHEX('41')", "X'41'", "0b101", "b'101'",
	"_utf8mb4'a' COLLATE utf8mb4_unicode_ci", "N'abc'", "DATE '2024-01-01'", "TIMESTAMP '2024-01-01 00:00:00'", "TIME '10:00'",
	"LAST_DAY(happened)", "DAYNAME(happened)", "WEEK(happened, 3)", "YEARWEEK(happened)", "ADDDATE(happened, 3)", "SUBDATE(happened, INTERVAL 1 MONTH)",
	"MAKE_SET(1, 'a', 'b')", "ELT(1, 'a')", "FIELD(kind, 'click')", "FIND_IN_SET('a', 'a,b')", "SOUNDEX(kind)", "REVERSE(kind)", "REPEAT(kind, 2)",
	"BIT_COUNT(qty)", "CRC32(kind)", "CONV(qty, 10, 2)", "BIN(qty)", "OCT(qty)", "ASCII(kind)", "ORD(kind)", "QUOTE(kind)", "CHARSET(kind)", "COLLATION(kind)",
}
