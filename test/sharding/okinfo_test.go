package sharding

import (
	"context"
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/backend"
)

// A write over several shards answers with the info line one server
// sends for the whole statement, which the mariadb client prints and
// PHP's mysqli_info() returns ("Rows matched: 6  Changed: 4  Warnings:
// 0" is how a mysqli app learns the rows an UPDATE matched): the shards'
// lines added up, and for a part of one row of an INSERT of several,
// whose own OK has none, the counts one server gives it. Before, such a
// write's OK had no info line.
func TestOKInfoLinesAsOneServer(t *testing.T) {
	strataDB(t)
	ctx := context.Background()
	viaStrata, single := rawConn(t, strataAddr, "app", "app"), rawConn(t, clusterAddr["single"], "root", "")
	const clean = "DELETE FROM blog.comments WHERE author = 'info'"
	t.Cleanup(func() {
		_, _ = viaStrata.Exec(ctx, clean)
		_, _ = single.Exec(ctx, clean)
	})
	for _, stmt := range []string{
		clean,
		// Four entries, on the shards by entry_id modulo 4: 1 and 5 share
		// one, the others a row each.
		"INSERT INTO blog.comments (id, entry_id, author, body) VALUES (950001, 1, 'info', 'a'), (950002, 2, 'info', 'b'), (950003, 3, 'info', 'c'), (950005, 5, 'info', 'e')",
		// Two rows of the ids already there, skipped.
		"INSERT IGNORE INTO blog.comments (id, entry_id, author, body) VALUES (950001, 1, 'info', 'x'), (950006, 2, 'info', 'f'), (950003, 3, 'info', 'x'), (950007, 4, 'info', 'g')",
		"REPLACE INTO blog.comments (id, entry_id, author, body) VALUES (950002, 2, 'info', 'B'), (950008, 3, 'info', 'h'), (950005, 5, 'info', 'E')",
		// One row updated, one left as it was, one new.
		"INSERT INTO blog.comments (id, entry_id, author, body) VALUES (950001, 1, 'info', 'A'), (950003, 3, 'info', 'c'), (950009, 4, 'info', 'i') ON DUPLICATE KEY UPDATE body = VALUES(body)",
		"UPDATE blog.comments SET votes = 1 WHERE author = 'info' AND entry_id IN (1, 2, 3)",
		"UPDATE blog.comments SET votes = 1 WHERE author = 'info'",
		"UPDATE blog.comments SET body = body WHERE author = 'no such author'",
		// One row per shard: one server sends no line for one row.
		"INSERT INTO blog.comments (id, entry_id, author, body) VALUES (950010, 1, 'info', 'j')",
		clean,
	} {
		var answers [2]string
		for i, c := range []*backend.Conn{viaStrata, single} {
			res, err := c.Exec(ctx, stmt)
			answers[i] = fmt.Sprintf("%d rows, %q, err %v", res.AffectedRows, res.Info, err)
		}
		if answers[0] != answers[1] {
			t.Errorf("%s\n  Strata: %s\n  single: %s", stmt, answers[0], answers[1])
		}
	}
}
