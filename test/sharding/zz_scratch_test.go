package sharding

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

func TestZZScratch(t *testing.T) {
	db := strataDB(t)
	conn := testenv.Conn(t, db)
	for _, q := range []string{
		"DELETE e FROM events e JOIN countries c ON c.code = e.kind WHERE e.id = -1",
		"DELETE e FROM events e WHERE e.id = -1",
		"DELETE FROM e USING events e WHERE e.id = -1",
		"UPDATE events SET qty = qty WHERE id IN (SELECT id FROM events WHERE id < 3)",
		"INSERT INTO events (id, kind) SELECT id + 900000, kind FROM events WHERE id < 3",
		"DELETE FROM events WHERE id >= 900000",
		"INSERT INTO events (id, kind) VALUES (-7, 'x') ON DUPLICATE KEY UPDATE kind = VALUES(kind)",
		"INSERT INTO events SET id = -8, kind = 'y'",
		"UPDATE events SET kind = 'z' WHERE id IN (-7, -8)",
		"SELECT id, kind FROM events WHERE id IN (-7, -8) ORDER BY id",
		"DELETE FROM events WHERE id IN (-7, -8)",
		"SHOW TABLE STATUS",
		"SHOW FULL COLUMNS FROM events",
		"SHOW CREATE TABLE events",
		"SHOW TABLES LIKE 'ev%'",
		"SELECT * FROM events WHERE id = 5 LOCK IN SHARE MODE",
		"SELECT GET_LOCK('x', 0)",
		"SELECT RELEASE_LOCK('x')",
		"SELECT DATABASE(), USER(), CURRENT_USER(), VERSION() LIKE '%Maria%'",
		"SELECT COUNT(*) FROM events e1 JOIN events e2 ON e1.id = e2.id WHERE e1.id < 100",
		"SELECT COUNT(*) FROM events WHERE id BETWEEN 990 AND 1010",
		"SELECT MAX(id), MIN(id) FROM events",
		"SELECT kind FROM events GROUP BY kind HAVING COUNT(*) > 300 ORDER BY kind",
		"SELECT id FROM events WHERE id > 4190 UNION ALL SELECT id FROM events WHERE id < 3 ORDER BY id",
		"SELECT * FROM (SELECT id FROM events WHERE id < 5) t ORDER BY id",
		"WITH t AS (SELECT id FROM events WHERE id < 5) SELECT COUNT(*) FROM t",
		"SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM events WHERE id < 8",
		"SELECT SUM(amount) OVER () FROM events WHERE id = 5",
	} {
		rows, err := conn.QueryContext(testenv.Ctx(t), q)
		if err != nil {
			t.Logf("%s\n    ERR %v", q, err)
			continue
		}
		out, err := testenv.ResultStrings(rows)
		rows.Close()
		if len(out) > 6 {
			out = append(out[:6], "...")
		}
		t.Logf("%s\n    %q %v", q, out, err)
	}
}
