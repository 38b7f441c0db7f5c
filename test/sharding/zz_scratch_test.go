package sharding

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

func TestZZScratch(t *testing.T) {
	strataDB(t)
	exprs := []string{"SOUNDEX(title)", "CAST(title AS CHAR)", "CONVERT(title, CHAR)", "CONVERT(title USING utf8mb4)", "JSON_UNQUOTE(title)", "JSON_EXTRACT('{}', '$')", "JSON_VALUE(title, '$')",
		"REPEAT(title, 2)", "INSERT(title, 1, 1, 'x')", "QUOTE(title)", "REGEXP_REPLACE(title, 'a', 'b')", "REGEXP_SUBSTR(title, 'a')", "ELT(1, title, 'x')", "LPAD(title, 5, '*')",
		"TRIM(BOTH 'x' FROM title)", "SUBSTRING(title FROM 2)", "DATE_FORMAT(NOW(), '%M')", "HEX(title)", "MD5(title)", "CONCAT(title, 1)", "CONCAT(1, 2)", "FORMAT(1.5, 2)",
		"IFNULL(NULL, title)", "CASE WHEN 1 THEN title END", "NAME_CONST('a', 'b')", "SPACE(2)", "CHAR(65)", "UUID()", "INET_NTOA(1)", "MONTHNAME(NOW())",
		"TO_BASE64(title)", "FROM_BASE64(title)", "UNHEX(title)", "COMPRESS(title)", "SHA2(title, 256)", "DATABASE()", "USER()", "VERSION()", "CURRENT_USER()",
		"TIME_FORMAT(NOW(), '%H')", "SEC_TO_TIME(1)", "CAST(1 AS CHAR)", "CONCAT_WS(',', title, 'x')", "MAKE_SET(1, title)", "EXPORT_SET(1, 'Y', 'N')", "LCASE(title)",
		"REVERSE(title)", "SUBSTRING_INDEX(title, ' ', 1)", "WEIGHT_STRING(title)", "CHARSET(title)", "COLLATION(title)", "STR_TO_DATE('2020', '%Y')", "SFORMAT('{}', title)",
		"DECODE_HISTOGRAM('SINGLE_PREC_HB', '')", "CONCAT(title, _latin1'x')", "GREATEST(title, 'x')", "LEAST(title, title)", "NULLIF(title, 'x')", "IF(1, title, 'x')", "COALESCE(NULL, title)",
		"JSON_OBJECT('a', title)", "JSON_ARRAY(title)", "JSON_QUOTE(title)", "LEFT(title, 2)", "RIGHT(title, 2)", "MID(title, 1, 2)", "REPLACE(title, 'a', 'b')", "RPAD(title, 4, 'x')", "UPPER(title)", "UCASE(title)", "LTRIM(title)",
		"OCT(8)", "BIN(8)", "CONV(8, 10, 2)", "INET6_NTOA(UNHEX('0A000001'))", "FROM_UNIXTIME(1)", "DAYNAME(NOW())", "SHA1(title)", "SHA(title)", "ENCODE(title, 'x')", "DES_ENCRYPT(title)", "PASSWORD(title)", "OLD_PASSWORD(title)", "SOUNDEX('abc')", "SUBSTR(title, 2)", "CHR(65)", "REGEXP_INSTR(title, 'a')", "TRIM(title)", "RTRIM(title)", "LOWER(title)",
	}
	if _, err := singleBlog.Exec("SET GLOBAL max_connections = max_connections"); err != nil {
		t.Log(err)
	}
	conn := testenv_conn(t)
	if _, err := conn.Exec("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	var keep, connection, other []string
	for _, e := range exprs {
		var c string
		if err := conn.QueryRow("SELECT COLLATION(" + e + ") FROM entries LIMIT 1").Scan(&c); err != nil {
			t.Logf("%s: %v", e, err)
			continue
		}
		switch c {
		case "utf8mb4_general_ci":
			keep = append(keep, e)
		case "utf8mb4_unicode_ci":
			connection = append(connection, e)
		default:
			other = append(other, e+"="+c)
		}
	}
	t.Logf("KEEP: %s", strings.Join(keep, "  "))
	t.Logf("CONNECTION: %s", strings.Join(connection, "  "))
	t.Logf("OTHER: %s", strings.Join(other, "  "))
}

func testenv_conn(t *testing.T) *sqlConn {
	c, err := singleBlog.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &sqlConn{c}
}

type sqlConn struct{ c *sql.Conn }

func (s *sqlConn) Exec(q string) (sql.Result, error) { return s.c.ExecContext(context.Background(), q) }
func (s *sqlConn) QueryRow(q string) *sql.Row      { return s.c.QueryRowContext(context.Background(), q) }
