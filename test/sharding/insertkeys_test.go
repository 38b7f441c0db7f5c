package sharding

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// An INSERT whose shard key is an expression of no column — NOW() or
// CURRENT_TIMESTAMP into a table sharded by time, a key left to the
// column's DEFAULT CURRENT_TIMESTAMP, UUID(), 1 + 19 — has the
// expression evaluated first, where the session's statements without
// tables run (with its time_zone), and its value written in: the row is
// stored with the value it is routed by, in the period table and on the
// shard that value names. Before, refused with 1235 ("must give at ...
// as a constant"), so a log table sharded by date could not be written
// the way applications write one.
func TestInsertKeysThatAreExpressionsAreEvaluatedFirst(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE blog.nowkeys (id INT NOT NULL PRIMARY KEY, u VARCHAR(36) NULL)", "blog.nowkeys", shardNames...)
	createOn(t, "CREATE TABLE blog.nowuuid (k VARCHAR(36) NOT NULL PRIMARY KEY, n INT NULL)", "blog.nowuuid", shardNames...)
	s := dateTables(t, "month", 3, 1, `nowkeys: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}
  nowuuid: {shard_key: k, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`, "nowlogs", "nowstamps")
	db := openStrata(t, s.MySQLAddr())
	mustExec(t, db, "CREATE TABLE nowlogs (id INT NOT NULL, at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, msg VARCHAR(20) NULL)")
	mustExec(t, db, "CREATE TABLE nowstamps (id INT NOT NULL, at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), seen DATETIME(6) NULL)")
	testenv.Eventually(t, "the key columns' defaults are learned", func() bool {
		l := s.Env.Sharding.Layout()
		return l.Table("nowlogs").KeyClockDefault != "" && l.Table("nowstamps").KeyClockDefault != ""
	})
	conn := testenv.Conn(t, db)
	ctx := testenv.Ctx(t)
	for _, q := range []string{
		"INSERT INTO nowlogs (id, at, msg) VALUES (1, NOW(), 'now')",
		"INSERT INTO nowlogs (id, msg) VALUES (2, 'default'), (3, 'default')",
		"INSERT INTO nowlogs (id, at) VALUES (4, CURRENT_TIMESTAMP), (5, NOW() - INTERVAL 40 DAY)",
		"INSERT INTO nowlogs SET id = 6, at = CURDATE()",
		"REPLACE INTO nowlogs (id, at) VALUES (7, NOW(6))",
		"INSERT INTO nowlogs VALUES (10, NOW(), 'no list')",
		"INSERT INTO nowkeys (id, u) VALUES (1 + 19, 'sum'), (CAST('21' AS SIGNED), 'cast')",
		"INSERT INTO nowuuid (k, n) VALUES (UUID(), 1), (UUID(), 2)",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A prepared INSERT (binary protocol), its other values bound.
	if _, err := conn.ExecContext(ctx, "INSERT INTO nowlogs (id, at, msg) VALUES (?, NOW(), ?)", 8, "bound"); err != nil {
		t.Fatalf("prepared INSERT with NOW(): %v", err)
	}
	// The statement runs at the instant its key was read: its own NOW()
	// gives the same, to the microsecond, as one server evaluates NOW()
	// once per statement.
	mustExec(t, conn, "INSERT INTO nowstamps (id, at, seen) VALUES (1, NOW(6), NOW(6))")
	mustExec(t, conn, "INSERT INTO nowstamps (id, seen) VALUES (2, NOW(6)), (3, CURRENT_TIMESTAMP(6))")
	if got := testenv.Strings(t, conn, "SELECT id, at = seen FROM nowstamps ORDER BY id"); strings.Join(got, " ") != "1|1 2|1 3|1" {
		t.Errorf("a key of NOW(6) and the statement's own NOW(6): %v, want equal in every row", got)
	}
	// In a session at +05:00, NOW() is that zone's time, as on one server.
	mustExec(t, conn, "SET time_zone = '+05:00'")
	mustExec(t, conn, "INSERT INTO nowlogs (id, at) VALUES (9, NOW())")
	if got := testenv.Strings(t, conn, "SELECT ROUND(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), at) / 60) FROM nowlogs WHERE id = 9"); len(got) != 1 || got[0] != "300" {
		t.Errorf("NOW() of a +05:00 session stored %v minutes after UTC, want 300", got)
	}
	mustExec(t, conn, "SET time_zone = DEFAULT")

	// Each row is found by its own key, which routes to one period table
	// of one shard: it was stored where its value places it.
	rows := testenv.Strings(t, conn, "SELECT id, at FROM nowlogs ORDER BY id")
	if len(rows) != 10 {
		t.Fatalf("rows stored: %v, want 10", rows)
	}
	for _, r := range rows {
		id, at, _ := strings.Cut(r, "|")
		if got := testenv.Strings(t, conn, "SELECT id FROM nowlogs WHERE at = '"+at+"'"); !slices.Contains(got, id) {
			t.Errorf("row %s (at %s) is not found by its key: %v", id, at, got)
		}
	}
	if got := testenv.Strings(t, conn, "SELECT COUNT(*) FROM nowlogs WHERE at > NOW() - INTERVAL 1 HOUR AND msg = 'default'"); got[0] != "2" {
		t.Errorf("rows given the column's default time: %v, want 2", got)
	}
	for _, id := range []string{"20", "21"} {
		if got := testenv.Strings(t, conn, "SELECT u FROM nowkeys WHERE id = "+id); len(got) != 1 {
			t.Errorf("nowkeys row %s is not found by its key: %v", id, got)
		}
	}
	keys := testenv.Strings(t, conn, "SELECT k FROM nowuuid")
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("UUID() keys: %v, want two different ones", keys)
	}
	for _, k := range keys {
		if got := testenv.Strings(t, conn, "SELECT n FROM nowuuid WHERE k = '"+k+"'"); len(got) != 1 {
			t.Errorf("the row of UUID key %s is not found by it: %v", k, got)
		}
	}
	// What needs the row or the statement before still refuses: a key
	// from another column, or from ROW_COUNT().
	for _, q := range []string{
		"INSERT INTO nowkeys (id, u) VALUES (LENGTH(u), 'x')",
		"INSERT INTO nowkeys (id, u) VALUES (ROW_COUNT(), 'x')",
	} {
		if _, err := conn.ExecContext(ctx, q); testenv.MySQLErr(err) != 1235 {
			t.Errorf("%s: %v, want refused with 1235", q, err)
		}
	}
}

// A child row keyed by its parent's new id — INSERT INTO comments (...,
// entry_id, ...) VALUES (..., LAST_INSERT_ID(), ...) right after the
// entry's INSERT, the way applications write a parent and its children —
// is routed by the id the session's last INSERT gave. Before, refused
// with 1235 (a key Strata could not read).
func TestAChildRowKeyedByLastInsertID(t *testing.T) {
	shardedData(t)
	conn := testenv.Conn(t, strataDB(t))
	cleanup(t, "comments", "id IN (9300001, 9300002, 9300003)")
	t.Cleanup(func() {
		for _, s := range shardNames {
			direct[s].Exec("DELETE FROM blog.entries WHERE title = 'parent of 9300001'")
		}
	})
	mustExec(t, conn, "INSERT INTO entries (user_id, title, status, score) VALUES (3, 'parent of 9300001', 'draft', 1)")
	parent := testenv.Strings(t, conn, "SELECT LAST_INSERT_ID()")[0]
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, author, body) VALUES (9300001, LAST_INSERT_ID(), 'child', 'of the new entry')")
	if got := testenv.Strings(t, conn, "SELECT entry_id FROM comments WHERE entry_id = "+parent+" AND id = 9300001"); len(got) != 1 {
		t.Fatalf("the child row is not found under its parent's id %s: %v", parent, got)
	}
	if owners := holders(t, "comments", "id = 9300001"); len(owners) != 1 {
		t.Errorf("the child row is on %v, want one shard", owners)
	}
	// Prepared (binary protocol), its other values bound.
	if _, err := conn.ExecContext(testenv.Ctx(t), "INSERT INTO comments (id, entry_id, author, body) VALUES (?, LAST_INSERT_ID(), ?, ?)", 9300003, "child", "bound"); err != nil {
		t.Fatalf("prepared child INSERT: %v", err)
	}
	if got := testenv.Strings(t, conn, "SELECT id FROM comments WHERE entry_id = "+parent+" AND id >= 9300001 ORDER BY id"); strings.Join(got, " ") != "9300001 9300003" {
		t.Errorf("children of %s: %v", parent, got)
	}
	// A LAST_INSERT_ID(expr) set a value Strata did not see: refused,
	// not routed by another.
	testenv.Strings(t, conn, "SELECT LAST_INSERT_ID(7)")
	if _, err := conn.ExecContext(testenv.Ctx(t), "INSERT INTO comments (id, entry_id, author, body) VALUES (9300002, LAST_INSERT_ID(), 'x', 'y')"); testenv.MySQLErr(err) != 1235 {
		t.Errorf("a key of LAST_INSERT_ID() after LAST_INSERT_ID(expr): %v, want 1235", err)
	}
}
