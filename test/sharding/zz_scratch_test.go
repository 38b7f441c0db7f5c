package sharding

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

func TestZZScratch(t *testing.T) {
	db := strataDB(t)
	conn := testenv.Conn(t, db)
	for _, q := range []string{"FLUSH TABLES events", "HANDLER events OPEN", "HANDLER events READ `PRIMARY` FIRST", "HANDLER events CLOSE", "FLUSH TABLES posts", "EXPLAIN STRATA FLUSH TABLES events", "EXPLAIN STRATA SHOW CREATE TABLE events", "CREATE TRIGGER trg_ev BEFORE INSERT ON events FOR EACH ROW SET NEW.qty = NEW.qty", "DROP TRIGGER trg_ev", "SHOW TRIGGERS LIKE 'events'"} {
		rows, err := conn.QueryContext(testenv.Ctx(t), q)
		if err != nil {
			t.Logf("%s: %v", q, err)
			continue
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		t.Logf("%s: ok %v %d rows", q, cols, n)
	}
}
