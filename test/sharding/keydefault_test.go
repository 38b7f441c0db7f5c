package sharding

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// A shard key column whose default is an expression of no column
// (DEFAULT uuid(), a date table's DEFAULT CURRENT_TIMESTAMP) is filled by
// the server for a row that leaves it out or gives it DEFAULT. Strata
// evaluates that default first, once per row for uuid() and once per
// statement for the clock, as one server does, writes the value in and
// places the row by it: each row has a key of its own and is found by
// it. Before, such rows were refused with 1235. A long INSERT's keys
// (2500 rows) are read a thousand at a time, all at one instant; before,
// any INSERT of more than 4095 such keys failed (error 1105, a SELECT of
// more columns than Strata reads). A default that reads another column
// is still refused: Strata does not know its value.
func TestAKeyLeftToItsDefaultExpressionIsEvaluatedFirst(t *testing.T) {
	const hashed = `{s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}`
	extra := "ud_keys: {shard_key: u, method: hash, shards: " + hashed + "}\n  ud_refs: {shard_key: u, method: hash, shards: " + hashed + "}"
	s := dateTables(t, "month", 2, 1, extra, "ud_logs")
	dropPeriodTablesAtEnd(t, "ud_keys", "ud_refs")
	db := openStrata(t, s.MySQLAddr())
	c := testenv.Conn(t, db)
	mustExec(t, c, "CREATE TABLE ud_keys (u CHAR(36) NOT NULL DEFAULT uuid() PRIMARY KEY, n INT NOT NULL)")
	mustExec(t, c, "CREATE TABLE ud_refs (a INT NOT NULL, u VARCHAR(20) NOT NULL DEFAULT (concat('k', a)) PRIMARY KEY)")
	mustExec(t, c, "CREATE TABLE ud_logs (id INT NOT NULL, at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (id, at))")
	testenv.Eventually(t, "the key defaults learned", func() bool {
		k, r := s.Env.Sharding.Layout().Table("ud_keys"), s.Env.Sharding.Layout().Table("ud_refs")
		return k != nil && k.KeyStoredAlone.Expr != "" && r != nil && r.KeyStoredAlone.ExprDefault
	})
	ctx := testenv.Ctx(t)
	for _, w := range []struct {
		sql      string
		prepared bool
		args     []any
	}{
		{"INSERT INTO ud_keys (n) VALUES (1), (2), (3)", false, nil},
		{"INSERT INTO ud_keys (u, n) VALUES (DEFAULT, 4), ('given', 5), (DEFAULT(u), 6)", false, nil},
		{"INSERT INTO ud_keys SET n = 7", false, nil},
		{"REPLACE INTO ud_keys (n) VALUES (8)", false, nil},
		{"INSERT INTO ud_keys (n) VALUES (?), (?)", true, []any{9, 10}},
		{"INSERT INTO ud_keys (n) VALUES (11) ON DUPLICATE KEY UPDATE n = n + 100", false, nil},
	} {
		if _, err := execIn(ctx, c, w.sql, w.prepared, w.args...); err != nil {
			t.Fatalf("%s: %v", w.sql, err)
		}
	}
	rows := testenv.Strings(t, c, "SELECT CONCAT(u, ' ', n) FROM ud_keys ORDER BY n")
	if got := testenv.Strings(t, c, "SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT u)) FROM ud_keys"); got[0] != "11 11" || len(rows) != 11 {
		t.Fatalf("rows, distinct keys: %s, want 11 11 (%q)", got[0], rows)
	}
	onShards := 0
	for _, sh := range shardNames {
		n, _ := strconv.Atoi(testenv.Strings(t, direct[sh], "SELECT COUNT(*) FROM blog.ud_keys")[0])
		onShards += n
	}
	if onShards != 11 {
		t.Errorf("rows on the shards: %d, want 11", onShards)
	}
	for _, row := range rows {
		u, n, _ := strings.Cut(row, " ")
		if u != "given" && len(u) != 36 {
			t.Errorf("row %s: key %q is not a uuid", n, u)
		}
		// Placed by its key: a read of that key alone finds it.
		if got := testenv.Strings(t, c, "SELECT n FROM ud_keys WHERE u = ?", u); len(got) != 1 || got[0] != n {
			t.Errorf("SELECT n FROM ud_keys WHERE u = '%s': %q, want [%s]", u, got, n)
		}
	}

	// The clock, once per statement, into the period table it names.
	mustExec(t, c, "INSERT INTO ud_logs (id, at) VALUES (1, DEFAULT), (2, NOW() - INTERVAL 1 MONTH), (3, DEFAULT(at))")
	mustExec(t, c, "INSERT INTO ud_logs (id) VALUES (4), (5)")
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []struct{ table, want string }{
		{"ud_logs_" + first.Format("2006_01"), "1,3,4,5"},
		{"ud_logs_" + first.AddDate(0, -1, 0).Format("2006_01"), "2"},
	} {
		// s1 holds last month's and this month's tables (dateTables).
		if got := testenv.Strings(t, direct["s1"], "SELECT IFNULL(GROUP_CONCAT(id ORDER BY id), '') FROM blog."+p.table); got[0] != p.want {
			t.Errorf("ids in %s on s1: %s, want %s", p.table, got[0], p.want)
		}
	}
	if got := testenv.Strings(t, c, "SELECT COUNT(DISTINCT at) FROM ud_logs WHERE id IN (4, 5)"); got[0] != "1" {
		t.Errorf("times of one statement's rows: %s distinct, want 1", got[0])
	}

	// A long INSERT: its keys are read a thousand at a time, the later
	// parts at the first part's instant.
	var many, timed []string
	for i := 1000; i < 3500; i++ {
		many = append(many, fmt.Sprintf("(%d)", i))
		timed = append(timed, fmt.Sprintf("(%d, NOW(6))", i))
	}
	mustExec(t, c, "INSERT INTO ud_keys (n) VALUES "+strings.Join(many, ", "))
	mustExec(t, c, "INSERT INTO ud_logs (id, at) VALUES "+strings.Join(timed, ", "))
	if got := testenv.Strings(t, c, "SELECT COUNT(*), COUNT(DISTINCT u) FROM ud_keys WHERE n >= 1000"); got[0] != "2500|2500" {
		t.Errorf("a 2500-row INSERT leaving the uuid key out: (rows, distinct keys) %s, want 2500|2500", got[0])
	}
	for _, u := range testenv.Strings(t, c, "SELECT u FROM ud_keys WHERE n >= 1000 ORDER BY n DESC LIMIT 20") {
		if got := testenv.Strings(t, c, "SELECT COUNT(*) FROM ud_keys WHERE u = ?", u); got[0] != "1" {
			t.Errorf("row %s of the long INSERT is not where its key places it", u)
		}
	}
	if got := testenv.Strings(t, c, "SELECT COUNT(*), COUNT(DISTINCT at) FROM ud_logs WHERE id >= 1000"); got[0] != "2500|1" {
		t.Errorf("a 2500-row INSERT whose keys are NOW(6): (rows, distinct times) %s, want 2500|1", got[0])
	}

	_, err := c.ExecContext(ctx, "INSERT INTO ud_refs (a) VALUES (1)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "its default") {
		t.Errorf("a key whose default reads another column: %v, want 1235", err)
	}
	if n := testenv.Strings(t, c, "SELECT COUNT(*) FROM ud_refs"); n[0] != "0" {
		t.Errorf("ud_refs holds %s rows after the refusal", n[0])
	}
}
