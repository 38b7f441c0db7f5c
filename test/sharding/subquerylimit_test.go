package sharding

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// MariaDB refuses a subquery with a LIMIT of its own under IN, ANY, ALL
// or SOME (1235). Strata, which runs such a subquery over the shards
// first, refuses it the same way rather than answer, or write, where one
// server would not. Before, the reads were answered and the DELETE and
// UPDATE ran. And x IN ((SELECT ...)), a list of one subquery in
// parentheses, is that subquery's rows, as MariaDB reads it; before,
// Strata took it for one value and failed with 1242.
func TestSubqueriesUnderInAreReadAsOneServerReadsThem(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	count := "SELECT COUNT(*), SUM(LENGTH(body)) FROM comments"
	before := testenv.Strings(t, db, count)
	sameOutcomes(t, db, singleBlog,
		"SELECT id FROM entries WHERE id IN (SELECT entry_id FROM comments ORDER BY entry_id LIMIT 2) ORDER BY id",
		"SELECT id FROM entries WHERE id NOT IN (SELECT entry_id FROM comments LIMIT 2) ORDER BY id LIMIT 3",
		"SELECT id FROM entries WHERE id = ANY (SELECT entry_id FROM comments LIMIT 2) ORDER BY id",
		"SELECT id FROM entries WHERE id > ALL (SELECT entry_id FROM comments LIMIT 2) ORDER BY id LIMIT 2",
		"SELECT id FROM entries WHERE id IN (SELECT entry_id FROM comments UNION SELECT 1 LIMIT 2) ORDER BY id",
		"SELECT id FROM entries WHERE id IN ((SELECT entry_id FROM comments LIMIT 2)) ORDER BY id",
		"SELECT COUNT(*) FROM entries e JOIN comments c ON c.entry_id = e.id AND c.id IN (SELECT id FROM comments LIMIT 3)",
		"DELETE FROM comments WHERE entry_id IN (SELECT id FROM entries LIMIT 1)",
		"UPDATE comments SET body = 'x' WHERE entry_id IN (SELECT id FROM entries LIMIT 1)",
		// What MariaDB runs: a LIMIT in a derived table, EXISTS, a scalar.
		"SELECT id FROM entries WHERE id IN (SELECT * FROM (SELECT entry_id FROM comments ORDER BY entry_id LIMIT 2) d) ORDER BY id",
		"SELECT id FROM entries WHERE EXISTS (SELECT 1 FROM comments LIMIT 2) ORDER BY id LIMIT 2",
		"SELECT id, (SELECT entry_id FROM comments ORDER BY id LIMIT 1) FROM entries ORDER BY id LIMIT 2",
		// One subquery in parentheses: its rows.
		"SELECT COUNT(*) FROM users WHERE id IN ((SELECT user_id FROM entries))",
		"SELECT COUNT(*) FROM users WHERE id NOT IN (((SELECT user_id FROM entries WHERE id < 1000000100)))",
	)
	sameOutcomes(t, &preparing{conn: testenv.Conn(t, db)}, &preparing{conn: testenv.Conn(t, singleBlog)},
		"SELECT COUNT(*) FROM entries WHERE id IN (SELECT entry_id FROM comments LIMIT 2)",
		"SELECT COUNT(*) FROM users WHERE id IN ((SELECT user_id FROM entries))",
	)
	if after := testenv.Strings(t, db, count); after[0] != before[0] {
		t.Errorf("comments after the refused writes: %s, before: %s", after[0], before[0])
	}
}
