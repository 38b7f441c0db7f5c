package sharding

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A server sends a BIT column's value as its bytes but an expression of
// BIT type (MAX(b), COALESCE(b, 0)) as its number's digits, so Strata
// compares the expressions' values as numbers when it merges them: before,
// MAX(b) over shards compared "5" with "31" as bytes and answered 5 where
// one server answers 31. A statement Strata would answer by writing BIT
// values into SQL for one server is refused with 1235 saying why (no
// literal of MariaDB's is a BIT); before, it failed with error 1105. One
// that does not name the BIT column reads the other columns only.
func TestBitValuesMergeAsOneServer(t *testing.T) {
	got, want := modTable(t, "bit_rows", "id INT NOT NULL PRIMARY KEY, b BIT(5) NULL, dt DATETIME NULL, dd DATE NULL")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, `INSERT INTO bit_rows (id, b, dt, dd) VALUES (1, b'101', '2024-01-01 10:00:00', '2024-01-01'),
			(2, b'1', '2024-01-02 10:00:00', '2024-01-02'), (3, NULL, NULL, NULL), (4, b'11111', '2024-01-04 10:00:00', '2024-01-04'),
			(5, b'0', '2024-01-05 10:00:00', '2024-01-05'), (6, b'1010', '2024-01-01 10:00:00', '2024-01-01')`)
	}
	sameRows(t, got, want,
		"SELECT MIN(b), MAX(b) FROM bit_rows",
		"SELECT id % 2, MAX(b), MIN(b) FROM bit_rows GROUP BY id % 2 ORDER BY 1",
		"SELECT id, COALESCE(b, 0) x FROM bit_rows ORDER BY x DESC, id",
		"SELECT DISTINCT COALESCE(b, 0) x FROM bit_rows ORDER BY x",
		"SELECT COALESCE(b, 0) x, COUNT(*) FROM bit_rows GROUP BY x ORDER BY x",
		"SELECT id, b FROM bit_rows ORDER BY b DESC, id LIMIT 3",
		// Its rows are read first, without the BIT column it does not name.
		"SELECT COUNT(DISTINCT dt, dd) FROM bit_rows",
	)
	_, err := runQuery(testenv.Ctx(t), got, "SELECT COUNT(DISTINCT dt, b) FROM bit_rows")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "BIT") {
		t.Errorf("a statement whose rows, BIT column and all, are read first: %v, want 1235 naming the BIT column", err)
	}
}
