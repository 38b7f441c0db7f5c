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

// A key generated from other columns (bucket AS (a % 16), rows written
// on the shards directly) gets a new value from an UPDATE of them, while
// the row stays on the shard of its old one. Strata learns that the key
// is generated and refuses UPDATEs of the table (1235); reads by the key
// still route. Before, SET a = 3 moved the row's key to 3 on the shard of
// 1, where WHERE bucket = 3 never looked.
func TestAGeneratedKeyIsNotUpdatedInPlace(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.gk_rows (a INT NOT NULL PRIMARY KEY, bucket INT AS (a % 16) STORED, n INT NULL)", "blog.gk_rows", shardNames...)
	mustExec(t, direct["s1"], "INSERT INTO blog.gk_rows (a, n) VALUES (1, 0)") // bucket 1: s1 of four, by modulo
	s := startOwn(t, ownConfig(t, "gk_rows: {shard_key: bucket, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	testenv.Eventually(t, "the generated key learned", func() bool {
		tb := s.Env.Sharding.Layout().Table("gk_rows")
		return tb != nil && tb.KeyGenerated
	})
	db := openStrata(t, s.MySQLAddr())
	ctx := testenv.Ctx(t)
	for _, q := range []string{"UPDATE gk_rows SET a = 3 WHERE bucket = 1", "UPDATE gk_rows SET n = 5 WHERE bucket = 1"} {
		_, err := db.ExecContext(ctx, q)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "generated column") {
			t.Errorf("%s: %v, want 1235 naming the generated key", q, err)
		}
	}
	if got := testenv.Strings(t, db, "SELECT CONCAT_WS(' ', a, n) FROM gk_rows WHERE bucket = 1"); len(got) != 1 || got[0] != "1 0" {
		t.Errorf("the row by its key: %v, want it unchanged", got)
	}
}
