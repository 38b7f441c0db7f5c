package sharding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

// A session's sql_mode decides how the shards read its statements, so
// Strata plans and renders sharded statements with it too. With
// NO_BACKSLASH_ESCAPES, 'a\' ends a string: the OR after it is a second
// condition, whose key lives on another shard; a value with a backslash
// is written as the server reads it.
func TestShardedStatementsReadWithTheSessionsSQLMode(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	conn := testenv.Conn(t, db)
	mustExec(t, conn, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")

	events := ds.tables["events"]
	a, b := keysOn(events, "s0", 1)[0], keysOn(events, "s1", 1)[0]
	// Read with backslash escapes, everything after "kind = " is one
	// string and only a's shard would be asked.
	q := fmt.Sprintf(`SELECT id FROM events WHERE id = %s AND kind = 'a\' OR id = %s -- '`, a, b)
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != b {
		t.Errorf("%s = %v, want [%s] (the row of the second condition, on s1)", q, ids, b)
	}

	// Two rows on two shards: the INSERT is split and each shard's part
	// rendered; the backslash must stay one backslash.
	free := unusedKey(t, events, 1, 1000) // a key of s0 no loaded row has
	cleanup(t, "events", fmt.Sprintf("id IN (%d, 9000001)", free))
	mustExec(t, conn, fmt.Sprintf(`INSERT INTO events (id, kind) VALUES (9000001, 'x\'), (%d, 'it''s \n')`, free))
	for _, c := range []struct {
		shard, id, want string
	}{{"s3", "9000001", `x\`}, {"s0", fmt.Sprint(free), `it's \n`}} {
		var got string
		if err := direct[c.shard].QueryRow("SELECT kind FROM blog.events WHERE id = " + c.id).Scan(&got); err != nil {
			t.Fatalf("row %s on %s: %v", c.id, c.shard, err)
		}
		if got != c.want {
			t.Errorf("row %s on %s: kind %q, want %q", c.id, c.shard, got, c.want)
		}
	}
}

// unusedKey is a key in [lo, hi] that no loaded row of tb has.
func unusedKey(t *testing.T, tb *tableDef, lo, hi int) int {
	t.Helper()
	used := map[string]bool{}
	for _, r := range tb.rows {
		used[r[tb.key]] = true
	}
	for k := lo; k <= hi; k++ {
		if !used[fmt.Sprint(k)] {
			return k
		}
	}
	t.Fatalf("every key in %d..%d is loaded", lo, hi)
	return 0
}

// A statement on sharded tables from a client whose character set puts
// ASCII bytes inside characters (表 is 0x95 0x5C in sjis) is refused with
// an error that says why and what to do, never routed by a misread key;
// text without such characters is served.
func TestShardedStatementsInSJIS(t *testing.T) {
	strataDB(t)
	db, err := sql.Open("mysql", "app:app@tcp("+strataAddr+")/blog?charset=sjis")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	_, err = db.Exec("SELECT COUNT(*) FROM events WHERE kind = '\x95\x5c'")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1235 || !strings.Contains(me.Message, "sjis") || !strings.Contains(me.Message, "utf8mb4") {
		t.Errorf("a sharded read with 表 in sjis: %v, want error 1235 naming sjis and what to do", err)
	}
	// あ is 0x82 0xA0: both bytes high, read alike byte by byte.
	key := keysOn(ds.tables["events"], "s2", 1)[0]
	if err := db.QueryRow("SELECT COUNT(*) FROM events WHERE id = " + key + " AND '\x82\xa0' <> ''").Scan(&n); err != nil || n != 1 {
		t.Errorf("a sharded read with あ in sjis: %d, %v; want 1 row", n, err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM events WHERE kind = 'click'").Scan(&n); err != nil || n == 0 {
		t.Errorf("a sharded read in sjis without two-byte characters: %d, %v", n, err)
	}
}

// sql_mode changes how MariaDB reads a statement: under PIPES_AS_CONCAT
// (and ANSI, and MariaDB's ORACLE) `||` joins text instead of meaning OR,
// under ANSI_QUOTES "kind" names a column instead of being a string, under
// HIGH_NOT_PRECEDENCE NOT binds before BETWEEN. Strata routes by, renders
// for the shards and merges statements read the same way, so each answers
// as one server holding every row: `id = 1 || 7` is the row of key 17
// under PIPES_AS_CONCAT, on a shard that a misreading (id = 1, or 7)
// would not ask.
func TestShardedStatementsReadAsTheSessionsSQLModeReadsThem(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	got := testenv.Conn(t, db)
	t.Cleanup(func() { got.ExecContext(context.Background(), "SET SESSION sql_mode = DEFAULT") })
	want := singleConn(t)
	queries := []string{
		"SELECT id FROM events WHERE id = 1 || 7 ORDER BY id LIMIT 5",
		"SELECT kind || 'x' AS k, COUNT(*) FROM events GROUP BY kind || 'x' ORDER BY 1",
		"SELECT id, kind || qty FROM events ORDER BY kind || qty, id LIMIT 7",
		"SELECT DISTINCT kind || '-' || qty FROM events ORDER BY 1 LIMIT 10",
		"SELECT MIN(username || country), MAX(country || username) FROM members",
		"SELECT \"kind\", COUNT(*) FROM events GROUP BY 1 ORDER BY 1",
		"SELECT id, NOT qty BETWEEN 1 AND 3 FROM events ORDER BY id LIMIT 5",
		"SELECT COUNT(*) FROM events WHERE NOT qty BETWEEN 1 AND 3",
	}
	for _, mode := range []string{"DEFAULT", "'PIPES_AS_CONCAT'", "'ANSI'", "'ANSI_QUOTES'", "'HIGH_NOT_PRECEDENCE'", "'ORACLE'"} {
		for _, c := range []*sql.Conn{got, want} {
			if _, err := c.ExecContext(ctx, "SET SESSION sql_mode = "+mode); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range queries {
			g, gerr := runQuery(ctx, got, q)
			w, werr := runQuery(ctx, want, q)
			switch {
			case gerr != nil || werr != nil:
				if gerr == nil || werr == nil || !strings.HasPrefix(gerr.Error(), werr.Error()) {
					t.Errorf("sql_mode %s: %s: through Strata %v, on one server %v", mode, q, gerr, werr)
				}
			case !slices.EqualFunc(g.rows, w.rows, slices.Equal):
				t.Errorf("sql_mode %s: %s:\nthrough Strata %v\non one server  %v", mode, q, g.rows, w.rows)
			}
		}
	}
}
