package sharding

import (
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// A date table keyed by a column that is ON UPDATE CURRENT_TIMESTAMP (a
// log table whose created_at was declared like an updated_at, or the
// first TIMESTAMP of a table made under explicit_defaults_for_timestamp
// = OFF) gets a new key from every UPDATE that changes a row, the
// current time, while the row stays in the period table of its old one.
// Before, Strata ran such UPDATEs: the row was then found neither by its
// new key nor by its old one. Now the UPDATE and an INSERT ... ON
// DUPLICATE KEY UPDATE are refused with 1235 saying to drop the ON
// UPDATE, the row keeps its key, and once the key column is altered
// through Strata the same UPDATE runs.
func TestAKeyThatIsOnUpdateCurrentTimestampIsNotChangedInPlace(t *testing.T) {
	s := dateTables(t, "month", 3, 1, "", "oulogs")
	db := openStrata(t, s.MySQLAddr())
	mustExec(t, db, "CREATE TABLE oulogs (id INT NOT NULL, at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, msg VARCHAR(20) NULL, PRIMARY KEY (id, at))")
	old := time.Now().UTC().AddDate(0, -2, 0).Format("2006-01-02 15:04:05")
	mustExec(t, db, "INSERT INTO oulogs (id, at, msg) VALUES (1, '"+old+"', 'a')")
	ctx := testenv.Ctx(t)
	for _, q := range []string{
		"UPDATE oulogs SET msg = 'b' WHERE id = 1",
		"UPDATE oulogs SET msg = 'b' WHERE at = '" + old + "'",
		"INSERT INTO oulogs (id, at, msg) VALUES (1, '" + old + "', 'c') ON DUPLICATE KEY UPDATE msg = 'c'",
	} {
		_, err := db.ExecContext(ctx, q)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "ON UPDATE CURRENT_TIMESTAMP") {
			t.Errorf("%s: %v, want 1235 naming the key's ON UPDATE", q, err)
		}
	}
	found := func(when string) {
		t.Helper()
		got := testenv.Strings(t, db, "SELECT CONCAT_WS(' ', id, msg) FROM oulogs WHERE at = '"+old+"'")
		all := testenv.Strings(t, db, "SELECT CONCAT_WS(' ', id, msg) FROM oulogs WHERE at >= NOW() - INTERVAL 1 DAY")
		count := testenv.Strings(t, db, "SELECT COUNT(*) FROM oulogs")
		if len(got) != 1 || len(all) != 0 || count[0] != "1" {
			t.Errorf("%s: the row by its key %q, among today's rows %q, rows %s: want one row, by its key only", when, got, all, count)
		}
	}
	found("after the refused writes")
	mustExec(t, db, "ALTER TABLE oulogs MODIFY at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP")
	mustExec(t, db, "UPDATE oulogs SET msg = 'b' WHERE id = 1")
	found("after an UPDATE once the key is not ON UPDATE")
	if got := testenv.Strings(t, db, "SELECT msg FROM oulogs WHERE id = 1"); len(got) != 1 || got[0] != "b" {
		t.Errorf("msg after the UPDATE: %q, want b", got)
	}
}
