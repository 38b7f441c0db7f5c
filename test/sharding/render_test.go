package sharding

import (
	"fmt"
	"testing"
)

// Strata writes the statements it sends to the shards from the parsed
// statement, not from the client's text: every expression must come back
// as MariaDB reads it (the parser's own names for CHAR and INSERT once
// did not). Each is read through a walk over the shards and compared with
// the single server's answer.
func TestExpressionsWrittenForTheShardsMeanTheSame(t *testing.T) {
	db := strataDB(t)
	exprs := []string{
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
	for _, e := range exprs {
		q := "SELECT " + e + " FROM events WHERE id > 0 ORDER BY id LIMIT 1"
		want, errS := runQueryArgs(t.Context(), singleBlog, q)
		if errS != nil {
			t.Fatalf("the single server refuses %s: %v", e, errS)
		}
		got, err := runQueryArgs(t.Context(), db, q)
		if err != nil {
			t.Errorf("%s: %v", e, err)
			continue
		}
		if fmt.Sprint(got.rows) != fmt.Sprint(want.rows) {
			t.Errorf("%s: %v, single %v", e, got.rows, want.rows)
		}
	}
}
