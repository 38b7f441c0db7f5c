package sharding

import (
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// A date table keeps period tables from since: through ahead: periods
// past the current one. A read or write that names a key of another
// period by value matches no row, as a range over such periods already
// did, and as one server answers a table holding no such row: before, it
// failed with 1146 naming a period table the application never created.
// An INSERT of such a row is refused with 1235 saying which tables exist
// and how to have more (before, 1146 too).
func TestKeysOfPeriodsWithoutATable(t *testing.T) {
	strataDB(t)
	s := dateTables(t, "month", 2, 1, "", "keptlogs")
	db := openStrata(t, s.MySQLAddr())
	mustExec(t, db, "CREATE TABLE keptlogs (id INT NOT NULL, at DATETIME NOT NULL, msg VARCHAR(20) NULL)")
	now := time.Now().UTC()
	past, future := "2000-01-01", now.AddDate(2, 0, 0).Format("2006-01-02")
	mustExec(t, db, "INSERT INTO keptlogs (id, at) VALUES (1, '"+now.Format("2006-01-02")+"')")
	ctx := testenv.Ctx(t)
	for _, key := range []string{past, future} {
		for _, q := range []string{
			"SELECT id FROM keptlogs WHERE at = '" + key + "'",
			"SELECT id FROM keptlogs WHERE at IN ('" + key + "', '1999-06-01')",
		} {
			if got, err := runQuery(ctx, db, q); err != nil || len(got.rows) != 0 {
				t.Errorf("%s: %v %v, want no rows", q, fmtResult(got, err), err)
			}
		}
		for _, q := range []string{
			"UPDATE keptlogs SET msg = 'x' WHERE at = '" + key + "'",
			"DELETE FROM keptlogs WHERE at = '" + key + "'",
		} {
			res, err := db.ExecContext(ctx, q)
			if err != nil {
				t.Errorf("%s: %v, want 0 rows changed", q, err)
				continue
			}
			if n, _ := res.RowsAffected(); n != 0 {
				t.Errorf("%s: %d rows changed, want 0", q, n)
			}
		}
		_, err := db.ExecContext(ctx, "INSERT INTO keptlogs (id, at) VALUES (2, '"+key+"')")
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "which Strata does not keep") || !strings.Contains(err.Error(), "since:") {
			t.Errorf("INSERT of a row dated %s: %v, want 1235 naming the tables kept", key, err)
		}
	}
	if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM keptlogs"); got[0] != "1" {
		t.Errorf("rows: %v, want the one row of a kept period", got)
	}
}
