package sharding

import (
	"database/sql"
	"slices"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// An INSERT or REPLACE ... VALUES into a sharded table that names no
// columns (INSERT INTO t VALUES (...), which many applications write) is
// given the table's columns in their order, without INVISIBLE ones, as
// the server reads it, and runs as on one server: rows, REPLACE, INSERT
// IGNORE, bound values, an INSERT ... SELECT, and the server's 1136 for a
// row of another length. Before, each was refused (1235).
func TestInsertWithoutAColumnListTakesTheTablesColumns(t *testing.T) {
	got, want := learnedModTable(t, "nolist_rows", "id INT NOT NULL PRIMARY KEY, note VARCHAR(10) NULL, secret INT INVISIBLE DEFAULT 7, n INT NULL")
	ctx := testenv.Ctx(t)
	for _, step := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO nolist_rows VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)", nil},
		{"REPLACE INTO nolist_rows VALUES (2, 'B', 21)", nil},
		{"INSERT IGNORE INTO nolist_rows VALUE (3, 'dup', 0), (4, 'd', 40)", nil},
		{"INSERT INTO nolist_rows VALUES (?, ?, ?)", []any{5, "e", 50}},
		{"INSERT INTO nolist_rows SELECT id + 100, note, n FROM nolist_rows WHERE id < 3", nil},
		{"INSERT INTO nolist_rows VALUES (6, 'f', 60) ON DUPLICATE KEY UPDATE n = n + 1", nil},
		{"INSERT INTO nolist_rows VALUES (6, 'f', 60) ON DUPLICATE KEY UPDATE n = n + 1", nil},
	} {
		var g, w sql.Result
		var gErr, wErr error
		if step.args != nil {
			g, gErr = execIn(ctx, got, step.sql, true, step.args...)
			w, wErr = execIn(ctx, want, step.sql, true, step.args...)
		} else {
			g, gErr = got.ExecContext(ctx, step.sql)
			w, wErr = want.ExecContext(ctx, step.sql)
		}
		if d := sameOutcome(g, gErr, w, wErr); d != "" {
			t.Errorf("%s: %s", step.sql, d)
		}
	}
	for _, q := range []string{"INSERT INTO nolist_rows VALUES (7, 'g')", "INSERT INTO nolist_rows VALUES (7, 'g', 1, 2)"} {
		_, gErr := got.ExecContext(ctx, q)
		_, wErr := want.ExecContext(ctx, q)
		if testenv.MySQLErr(gErr) != 1136 || testenv.MySQLErr(wErr) != 1136 {
			t.Errorf("%s: %v through Strata, %v on one server; want 1136 from both", q, gErr, wErr)
		}
	}
	const all = "SELECT id, note, secret, n FROM nolist_rows ORDER BY id"
	if g, w := testenv.Strings(t, got, all), testenv.Strings(t, want, all); !slices.Equal(g, w) {
		t.Errorf("rows through Strata %v, on one server %v", g, w)
	}
}

// A LOAD DATA without a column list fills the table's visible columns in
// order, as the server does: an INVISIBLE column has no field. Strata
// finds the shard key's field among those. Before, it counted the
// invisible column too and read the field after the key's as the key: a
// text key placed each row by its neighbour's value, where a read by the
// key did not look.
func TestLoadDataWithoutAColumnListSkipsInvisibleColumns(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.nolist_load (secret INT INVISIBLE DEFAULT 7, name VARCHAR(10) NOT NULL PRIMARY KEY, note VARCHAR(10), n INT)",
		"blog.nolist_load", append([]string{"single"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, `nolist_load: {shard_key: name, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`, ""))
	got, want := testenv.Conn(t, openStrata(t, s.MySQLAddr())), singleConn(t)
	file := registerFile(t, "nolist_load", "ann,x,1\nbob,y,2\ncid,z,3\ndee,w,4\neve,v,5\nfay,u,6\n")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "LOAD DATA LOCAL INFILE '"+file+"' INTO TABLE nolist_load FIELDS TERMINATED BY ','")
	}
	sameRows(t, got, want, "SELECT secret, name, note, n FROM nolist_load ORDER BY name")
	for _, name := range []string{"ann", "bob", "cid", "dee", "eve", "fay"} {
		sameRows(t, got, want, "SELECT n FROM nolist_load WHERE name = '"+name+"'")
	}
}
