package sharding

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/test/testenv"
)

// Bound FLOAT and DOUBLE values are DOUBLEs on the server. Strata writes
// them into the shards' text as DOUBLE literals, so a statement over
// several shards computes with them as one server does: ? / 3 with a
// bound 1.0 divides as a DOUBLE, and a bound FLOAT keeps its own
// rounding. Before, they went as plain digits, an integer or a DECIMAL
// there, and a multi-row INSERT stored 0.333333333 where one server
// stores 0.3333333333333333. A bound DOUBLE that names a whole number
// (as Node's mysql2 binds every number) still routes a key to its one
// shard.
func TestBoundDoublesOverShardsComputeAsOneServer(t *testing.T) {
	got, want := learnedModTable(t, "dbl_rows", "id INT NOT NULL PRIMARY KEY, d DOUBLE NULL, f DOUBLE NULL, c DECIMAL(12,6) NULL, s VARCHAR(20) NULL")
	ctx := testenv.Ctx(t)
	samePreparedWrites(t, got, want, []boundWrite{
		// Rows on two shards: the statement goes to them as text.
		{"INSERT INTO dbl_rows (id, d, f, c) VALUES (?, ? / 3, ?, ? / 7), (?, ? / 3, ?, ?)", []any{1, 1.0, float32(0.1), 1.0, 2, 2.0, float32(0.1), 0.1}},
		{"INSERT INTO dbl_rows (id, d, s) VALUES (?, ?, CONCAT(?, '')), (?, ?, ?)", []any{3.0, 1e300, 2.0, 4.0, -0.5, 6.0}},
		{"UPDATE dbl_rows SET c = ? / 7 + c WHERE id > ?", []any{1.0, 2.0}},
	})
	sameRowCount(t, got, want, "SELECT CONCAT_WS(' ', id, d, f, c, s) FROM dbl_rows ORDER BY id", 4)
	// Whole-number DOUBLEs as keys: each row on the shard of its key, and
	// a read by one goes to that shard alone.
	for i := 1; i <= 4; i++ {
		q := fmt.Sprintf("SELECT COUNT(*) FROM blog.dbl_rows WHERE id %% 4 <> %d", i%4)
		if n := testenv.Strings(t, direct[shardNames[i%4]], q); n[0] != "0" {
			t.Errorf("%s holds %s rows of other shards", shardNames[i%4], n[0])
		}
	}
	p, wp := &preparing{conn: got}, &preparing{conn: want}
	if g, w := testenv.Strings(t, p, "SELECT d FROM dbl_rows WHERE id = ?", 3.0), testenv.Strings(t, wp, "SELECT d FROM dbl_rows WHERE id = ?", 3.0); !slices.Equal(g, w) || len(g) != 1 {
		t.Errorf("SELECT by a bound DOUBLE key 3.0: %q, one server %q", g, w)
	}
	// The session writes the bound 3.0 as 3e+00: the plan of that text.
	plan := strings.Join(testenv.Strings(t, got, "EXPLAIN STRATA SELECT d FROM dbl_rows WHERE id = 3e+00"), "\n")
	if strings.Count(plan, "route|") != 1 {
		t.Errorf("a read by a DOUBLE key goes to more than its shard:\n%s", plan)
	}

	// LIMIT counts bound as DOUBLEs (mysql2 binds every number so), over
	// shards, in a derived table and after an IN subquery run first.
	shardedData(t)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"SELECT id FROM comments ORDER BY id LIMIT ?, ?", []any{2.0, 3.0}},
		{"SELECT * FROM (SELECT id FROM comments ORDER BY id LIMIT ?) d ORDER BY id DESC LIMIT ?", []any{5.0, 2.0}},
		{"SELECT id FROM entries WHERE id IN (SELECT entry_id FROM comments WHERE votes > ?) ORDER BY id LIMIT ?", []any{1.0, 3.0}},
		{"SELECT username FROM members WHERE age > ? ORDER BY username LIMIT ? OFFSET ?", []any{60.0, 2.0, 1.0}},
	} {
		g, gerr := runQueryArgs(ctx, &preparing{conn: testenv.Conn(t, strataDB(t))}, q.sql, q.args...)
		w, werr := runQueryArgs(ctx, &preparing{conn: testenv.Conn(t, singleBlog)}, q.sql, q.args...)
		if gs, ws := fmtResult(g, gerr), fmtResult(w, werr); gs != ws || werr != nil {
			t.Errorf("%s %v\nthrough Strata: %s\none server:     %s", q.sql, q.args, gs, ws)
		}
	}

	// A DECIMAL key bound as a DOUBLE whose digits are the column's (one
	// after the point here) is placed as those digits written are.
	createOn(t, "CREATE TABLE blog.dbl_dec (id DECIMAL(8,1) NOT NULL PRIMARY KEY, n INT NULL)", "blog.dbl_dec", shardNames...)
	s := startOwn(t, ownConfig(t, `dbl_dec: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`, ""))
	testenv.Eventually(t, "the key type of dbl_dec", func() bool { return s.Env.Sharding.Layout().Table("dbl_dec").KeyType != shard.KeyTypeUnknown })
	gotDec := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	if _, err := execIn(ctx, gotDec, "INSERT INTO dbl_dec (id, n) VALUES (?, 1), (?, 2), (?, 3)", true, 2.5, 7.5, 0.1); err != nil {
		t.Fatalf("INSERT of DECIMAL keys bound as DOUBLEs: %v", err)
	}
	for _, key := range []string{"2.5", "7.5", "0.1"} {
		if n := testenv.Strings(t, gotDec, "SELECT COUNT(*) FROM dbl_dec WHERE id = "+key); n[0] != "1" {
			t.Errorf("the row of key %s is not where a read of it looks (%s found)", key, n[0])
		}
	}
}
