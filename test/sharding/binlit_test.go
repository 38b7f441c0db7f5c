package sharding

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// MariaDB reads 0x41 and b'1000001' as numbers where a number is wanted
// and X'41' always as a string; b'0000000000000001' is two bytes. Strata
// renders a statement for the shards from its parse, whose parser writes
// every hex literal as x'41' and cuts a bit literal's leading zeros:
// before, WHERE id = 0x03 over the shards found no row, a split row's
// 0x03 in an INT column was refused (1366) or stored as 0, and a split
// row's b'0000000000000001' lost a byte. Now each literal is rendered as
// the client wrote it, and 0x03 routes to the shard of key 3.
func TestHexAndBitLiteralsReadAsOneServerReadsThem(t *testing.T) {
	got, want := modTable(t, "hexlit", "id INT NOT NULL PRIMARY KEY, n INT NULL, v VARBINARY(8) NULL, s VARCHAR(8) NULL")
	ctx := testenv.Ctx(t)
	for _, q := range []string{
		// ids 1..4 land on four shards, one row each: the INSERT is split.
		"INSERT INTO hexlit (id, n, v, s) VALUES (1, 0x03, b'0000000000000001', 0x41), (2, b'101', 0x0041, b'1000010'), (3, 3, X'00', X'43'), (4, 0x10, 0b1, 0x44)",
		"INSERT INTO hexlit (id, n, v, s) VALUES (5, X'05', NULL, NULL), (6, 6, NULL, NULL)", // 1366 on both
		"UPDATE hexlit SET n = n + 0x10 WHERE id IN (0x02, 3)",
		"UPDATE hexlit SET v = CONCAT(v, 0x00) WHERE n = 0x13",
		"INSERT INTO hexlit (id, n) VALUES (7, 0x07), (8, 8) ON DUPLICATE KEY UPDATE n = VALUES(n) + 0x100",
		"INSERT INTO hexlit (id, n) VALUES (7, 1), (8, 0b1) ON DUPLICATE KEY UPDATE n = VALUES(n) + 0x100",
		"DELETE FROM hexlit WHERE id = 0x08",
		// Keys written in hex and bits are placed by their numbers.
		"INSERT INTO hexlit (id, n) VALUES (0x09, 9), (b'1010', 10), (0xB, 11)",
	} {
		_, gotErr := got.ExecContext(ctx, q)
		_, wantErr := want.ExecContext(ctx, q)
		if testenv.MySQLErr(gotErr) != testenv.MySQLErr(wantErr) {
			t.Fatalf("%s: Strata %v, one server %v", q, gotErr, wantErr)
		}
	}
	for _, q := range []string{
		"SELECT CONCAT_WS(' ', id, n, HEX(v), s) FROM hexlit ORDER BY id",
		"SELECT id FROM hexlit WHERE id = 0x03",
		"SELECT id FROM hexlit WHERE id = b'11'",
		"SELECT id FROM hexlit WHERE id = X'03'",
		"SELECT id FROM hexlit WHERE id IN (0x01, 0x04, 0b111) ORDER BY id",
		"SELECT id FROM hexlit WHERE n = 0x03 ORDER BY id",
		"SELECT id FROM hexlit WHERE s = 0x41",
		"SELECT id, 0x41 + 0, X'41' + 0, CHAR(0x61), LENGTH(b'0000000000000001') FROM hexlit ORDER BY id",
		"SELECT MAX(n) + 0x10, SUM(n) - b'1' FROM hexlit",
		"SELECT id FROM hexlit WHERE id = _binary 0x03",
		// Strata filters merged groups itself.
		"SELECT s, MAX(n) FROM hexlit GROUP BY s HAVING MAX(n) > 0x10 ORDER BY s",
		"SELECT s, MAX(n) FROM hexlit GROUP BY s HAVING MAX(n) = b'10011' ORDER BY s",
		"SELECT s, MAX(n) FROM hexlit GROUP BY s HAVING MAX(n) <> X'13' ORDER BY s",
		"SELECT s, COUNT(*) FROM hexlit GROUP BY s HAVING s = 0x41 OR MAX(v) = 0x0041 ORDER BY s",
		"SELECT s, COUNT(*) FROM hexlit GROUP BY s HAVING MAX(s) = 0x63 ORDER BY s", // by the column's collation: C
		"SELECT n, COUNT(*) FROM hexlit GROUP BY n HAVING COUNT(*) = 0x01 ORDER BY n",
	} {
		g, w := testenv.Strings(t, got, q), testenv.Strings(t, want, q)
		if !slices.Equal(g, w) {
			t.Errorf("%s through Strata:\n%s\non one server:\n%s", q, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
	// 0x03 and b'11' are key 3: one shard is asked.
	for _, q := range []string{"SELECT id FROM hexlit WHERE id = 0x03", "SELECT id FROM hexlit WHERE id = b'11'"} {
		plan := testenv.Strings(t, got, "EXPLAIN STRATA "+q)
		if shards := strings.Count(strings.Join(plan, "\n"), "SELECT"); shards != 1 {
			t.Errorf("%s was sent to %d shards, want the one of key 3:\n%s", q, shards, strings.Join(plan, "\n"))
		}
	}
}
