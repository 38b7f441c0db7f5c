package sharding

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A recursive CTE over a sharded table is followed round by round, as
// MariaDB follows it: the links it walks cross shards, and the answer is
// one server's, rows and column types alike.
func TestRecursiveCTEsOverShardsMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	sameAsOneServerCases(t, db, []oneServerCase{
		// comments are sharded by entry_id, so consecutive ids live on
		// different shards: a shard that followed the chain through its
		// own rows would stop at once.
		{"a chain across shards", "WITH RECURSIVE chain AS (SELECT id, entry_id, 0 AS hops FROM comments WHERE id = 3 UNION ALL SELECT c.id, c.entry_id, chain.hops + 1 FROM comments c JOIN chain ON c.id = chain.id + 3 WHERE chain.hops < 40) SELECT * FROM chain ORDER BY hops", 41, nil},
		{"aggregates over it, a column list", "WITH RECURSIVE chain (cid, eid, hops) AS (SELECT id, entry_id, 1 FROM comments WHERE id = 300 UNION ALL SELECT c.id, c.entry_id, hops + 1 FROM comments c JOIN chain ON c.id = chain.cid + 3 WHERE hops < 60) SELECT COUNT(*), SUM(eid), MAX(hops), COUNT(DISTINCT eid % 4) FROM chain", 1, nil},
		// UNION drops the rows found before, which ends a walk round a
		// cycle; the step reads no table, and the statement then joins
		// the sharded table with the CTE's rows on every shard.
		{"UNION round a cycle, joined back to the shards", "WITH RECURSIVE reach (entry) AS (SELECT entry_id FROM comments WHERE id = 30 UNION SELECT (entry * 7) % 400 + 1 FROM reach) SELECT COUNT(*), SUM(c.votes), COUNT(DISTINCT c.entry_id) FROM comments c JOIN reach ON c.entry_id = reach.entry", 1, nil},
		{"two anchors and text", "WITH RECURSIVE t AS (SELECT id, title, 0 AS n FROM entries WHERE id = (SELECT MIN(id) FROM entries) UNION ALL SELECT id, title, 0 FROM entries WHERE id = (SELECT MAX(id) FROM entries) UNION ALL SELECT e.id, e.title, t.n + 1 FROM entries e JOIN t ON e.id BETWEEN t.id + 1 AND t.id + 2 WHERE t.n < 20) SELECT id, title, n FROM t ORDER BY id, n", 4, nil},
		{"prepared, a bound value in the anchor", "WITH RECURSIVE chain AS (SELECT id, votes FROM comments WHERE id = ? UNION ALL SELECT c.id, c.votes FROM comments c JOIN chain ON c.id = chain.id + 3 WHERE c.id <= ?) SELECT id, votes FROM chain ORDER BY id", 10, []any{90, 150}},
	})

	// @@max_recursive_iterations bounds the rounds, with MariaDB's warning.
	t.Run("max_recursive_iterations", func(t *testing.T) {
		const query = "WITH RECURSIVE chain AS (SELECT id FROM comments WHERE id = 3 UNION ALL SELECT c.id FROM comments c JOIN chain ON c.id = chain.id + 3) SELECT COUNT(*), MAX(id) FROM chain"
		strata, single := testenv.Conn(t, db), testenv.Conn(t, singleBlog)
		for _, c := range []querier{strata, single} {
			if _, err := runQuery(testenv.Ctx(t), c, "SET max_recursive_iterations = 7"); err != nil {
				t.Fatal(err)
			}
		}
		got, want := testenv.Strings(t, strata, query), testenv.Strings(t, single, query)
		if strings.Join(got, ",") != strings.Join(want, ",") || want[0] != "8|24" {
			t.Errorf("through Strata %q, one server %q (want 8 rows up to id 24)", got, want)
		}
		if w := testenv.Strings(t, strata, "SHOW WARNINGS"); len(w) != 1 || !strings.Contains(w[0], "1931") {
			t.Errorf("SHOW WARNINGS after the limit: %q, want MariaDB's 1931", w)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		if !strings.Contains(strataMetrics(t), `strata_shard_run_first_rows_total{kind="recursive"}`) {
			t.Errorf("/metrics lacks the rows of recursive CTEs")
		}
	})

	t.Run("EXPLAIN STRATA", func(t *testing.T) {
		res, err := runQuery(testenv.Ctx(t), db, "EXPLAIN STRATA WITH RECURSIVE chain AS (SELECT id FROM comments WHERE id = 3 UNION ALL SELECT c.id FROM comments c JOIN chain ON c.id = chain.id + 3 WHERE c.id < 30) SELECT * FROM chain")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for _, r := range res.rows {
			plan = append(plan, strings.Join(r, " "))
		}
		if text := strings.Join(plan, "\n"); !strings.Contains(text, "recursive CTE chain") || !strings.Contains(text, "the rows the round before added") {
			t.Errorf("EXPLAIN STRATA of a recursive CTE:\n%s", text)
		}
	})
}

// What MariaDB refuses in a recursive CTE over shards gets MariaDB's
// error; a CTE that would put more than limits.max_pulled_rows rows in
// the statement is refused with the limit; and nothing is answered from
// part of the shards.
func TestRecursiveCTEsOverShardsRefusals(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	tests := []struct {
		query string
		code  uint16
		text  string
	}{
		{"WITH RECURSIVE r AS (SELECT id FROM comments WHERE id = 3 UNION ALL SELECT COUNT(*) FROM r) SELECT * FROM r", 4008, "Restrictions imposed on recursive definitions"},
		{"WITH RECURSIVE r AS (SELECT id FROM comments WHERE id = 3 UNION ALL SELECT a.id + 3 FROM r a JOIN r b) SELECT * FROM r", 4008, "Restrictions imposed on recursive definitions"},
		{"WITH RECURSIVE r AS (SELECT id FROM comments WHERE id = 3 UNION ALL SELECT id + 3 FROM r WHERE id < 30 LIMIT 2) SELECT * FROM r", 1235, "global ORDER_BY/LIMIT"},
		// Every comment of the entries of the comments found: thousands
		// of rows after a few rounds.
		{"WITH RECURSIVE r AS (SELECT id, entry_id FROM comments WHERE id = 3 UNION ALL SELECT c.id, c.entry_id FROM comments c JOIN r ON c.entry_id = r.entry_id OR c.id = r.id + 3) SELECT COUNT(*) FROM r", 1235, "limits.max_pulled_rows"},
	}
	for _, tt := range tests {
		_, err := runQuery(ctx, db, tt.query)
		if testenv.MySQLErr(err) != tt.code || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: %v, want error %d (%s)", tt.query, err, tt.code, tt.text)
		}
		if tt.code == 4008 {
			_, err := runQuery(ctx, singleBlog, tt.query)
			if testenv.MySQLErr(err) != tt.code {
				t.Errorf("%s on one server: %v, want error %d there too", tt.query, err, tt.code)
			}
		}
	}
}
