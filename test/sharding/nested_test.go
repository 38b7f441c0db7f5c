package sharding

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// Subqueries inside correlated subqueries, as ORMs nest them (Laravel's
// whereHas('entries.likes'), Django's filters across two relations),
// answer as one server: an inner subquery that runs alone runs first and
// the statement routes with its values; one that names only its
// subquery's table is read with that table, on its servers; one that names
// the statement's tables has its tables read too.
func TestNestedSubqueriesMatchOneServer(t *testing.T) {
	db := strataDB(t)
	conn := testenv.Conn(t, db)
	const whereHas = "SELECT id, name FROM users WHERE EXISTS (SELECT * FROM entries WHERE users.id = entries.user_id AND EXISTS (SELECT * FROM entry_likes WHERE entries.id = entry_likes.entry_id AND weight > 3)) ORDER BY id LIMIT 30"
	const innerIn = "SELECT id, (SELECT COUNT(*) FROM entry_likes l WHERE l.entry_id = e.id AND l.user_id IN (SELECT id FROM users WHERE karma = 9)) AS n FROM entries e ORDER BY id LIMIT 20"
	sameAsOneServerCases(t, db, []oneServerCase{
		{name: "an IN over another cluster inside a subquery matched on the key", query: innerIn, minRows: 20},
		{name: "the same, prepared", query: strings.Replace(innerIn, "karma = 9", "karma = ?", 1), minRows: 20, args: []any{9}},
		{name: "nested whereHas", query: whereHas, minRows: 20},
		{name: "nested whereDoesntHave, prepared", minRows: 5, args: []any{2},
			query: "SELECT id, name FROM users WHERE NOT EXISTS (SELECT * FROM entries WHERE users.id = entries.user_id AND EXISTS (SELECT * FROM entry_likes WHERE entries.id = entry_likes.entry_id AND weight > ?)) ORDER BY id LIMIT 30"},
		{name: "a subquery apart inside a subquery sharded alike", minRows: 20,
			query: "SELECT id FROM entries e WHERE NOT EXISTS (SELECT 1 FROM entry_likes l WHERE l.entry_id = e.id AND EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id AND u.karma > 5)) ORDER BY id LIMIT 30"},
		{name: "an inner subquery inside an OR", minRows: 10,
			query: "SELECT id FROM entries e WHERE EXISTS (SELECT 1 FROM entry_likes l WHERE l.entry_id = e.id AND (l.weight > 4 OR EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id AND u.karma = 0))) ORDER BY id LIMIT 20"},
		{name: "an inner subquery naming the statement's table", minRows: 5,
			query: "SELECT id FROM entries e WHERE EXISTS (SELECT 1 FROM entry_likes l WHERE l.entry_id = e.id AND EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id AND u.karma = e.score)) ORDER BY id LIMIT 30"},
		{name: "a count per user of entries with a busy comment", minRows: 1,
			query: "SELECT u.id, (SELECT COUNT(*) FROM entries e WHERE e.user_id = u.id AND e.id IN (SELECT entry_id FROM comments WHERE votes > 5)) AS n FROM users u ORDER BY n DESC, u.id LIMIT 10"},
	})
	// Where the inner subquery runs alone, nothing is read table by
	// table: its values go in, and the statement scatters as written,
	// however many entries there are (reading them would be refused
	// past limits.max_pulled_rows).
	smallPull.start(t, smallPullAddr, smallPullAdmin, "limits: {max_pulled_rows: 5}\n")
	sameAsOneServer(t, openStrata(t, smallPullAddr), 20, strings.Replace(innerIn, "karma = 9", "id BETWEEN 1 AND 3", 1))
	plan := strings.Join(testenv.Strings(t, conn, "EXPLAIN STRATA "+innerIn), "\n")
	if !strings.Contains(plan, "route|accounts") || !strings.Contains(plan, "`l`.`user_id` IN (/* values of subquery 1 */)") || strings.Contains(plan, "reads each table") {
		t.Errorf("EXPLAIN STRATA %s:\n%s\nwant the IN over users run first, its values in the subquery, no table read first", innerIn, plan)
	}
	// The inner EXISTS over likes, sharded as entries and matched on the
	// key, goes with entries' read: the shards answer it, and likes are
	// never read on their own.
	plan = strings.Join(testenv.Strings(t, conn, "EXPLAIN STRATA "+whereHas), "\n")
	if !strings.Contains(plan, "FROM `entries` AS `entries` WHERE (EXISTS (SELECT * FROM `entry_likes`") || strings.Contains(plan, "FROM `entry_likes` AS") {
		t.Errorf("EXPLAIN STRATA %s:\n%s\nwant entries read with the EXISTS over entry_likes, entry_likes not read on its own", whereHas, plan)
	}
}

// Writes with a subquery inside a correlated subquery change the rows one
// server changes: the tables apart from the written one, at any depth, are
// read first, those sharded alike and matched on the key stay in place.
func TestNestedSubqueriesInWrites(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, db)
	const ids = "BETWEEN 900000061 AND 900000066"
	banned, kept := bannedAndKept(t, conn)
	// Entry 900000060+i has i likes, by users 0 .. i-1; the odd ones are
	// the banned user's.
	likedEntries(t, conn, 900000060, 900000900, func(i int) string { return [2]string{kept, banned}[i%2] })
	cleanup(t, "comments", "id BETWEEN 900000961 AND 900000966")
	for i := 1; i <= 6; i++ {
		mustExec(t, conn, "INSERT INTO comments (id, entry_id, author, body, votes) VALUES ("+strconv.Itoa(900000960+i)+", "+strconv.Itoa(900000060+i)+", 'n', 'nested', 1)")
	}
	affected := func(query string, args ...any) int64 { return rowsAffected(t, conn, query, args...) }
	// A subquery in a join's ON runs first too.
	if n := affected("UPDATE entries e JOIN entry_likes l ON l.entry_id = e.id AND l.user_id IN (SELECT id FROM users WHERE id BETWEEN 4 AND 5) SET e.status = 'liked' WHERE e.id " + ids); n != 2 {
		t.Errorf("UPDATE joined ON a subquery over users changed %d rows, want 2 (the entries users 4 and 5 liked)", n)
	}
	// Likes sharded as entries: the IN over users runs first.
	if n := affected("UPDATE entries e SET e.score = (SELECT COUNT(*) FROM entry_likes l WHERE l.entry_id = e.id AND l.user_id IN (SELECT id FROM users WHERE id BETWEEN 1 AND 3)) WHERE e.id " + ids); n != 5 {
		t.Errorf("UPDATE set from a count with an IN over users changed %d rows, want 5", n)
	}
	if got := testenv.Strings(t, conn, "SELECT score FROM entries WHERE id "+ids+" ORDER BY id"); !slices.Equal(got, []string{"0", "1", "2", "3", "3", "3"}) {
		t.Errorf("scores: %q, want the likes of users 1-3 of each entry", got)
	}
	// Comments sharded another way: entries and users read first.
	const orphans = "DELETE FROM comments WHERE id BETWEEN 900000961 AND 900000966 AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = comments.entry_id AND EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id AND u.karma = 9))"
	if n := affected(orphans); n != 3 {
		t.Errorf("DELETE of the comments on entries of no banned user removed %d rows, want 3", n)
	}
	if got := testenv.Strings(t, conn, "SELECT entry_id FROM comments WHERE id BETWEEN 900000961 AND 900000966 ORDER BY id"); !slices.Equal(got, []string{"900000061", "900000063", "900000065"}) {
		t.Errorf("comments left on entries %q, want those of the banned user's entries", got)
	}
	// Likes with entries in place (matched on the key) and users read
	// first, without being narrowed by entries (not read).
	const unbanned = "DELETE FROM entry_likes WHERE entry_id " + ids + " AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = entry_likes.entry_id AND EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id AND u.karma = ?))"
	plan := strings.Join(testenv.Strings(t, conn, "EXPLAIN STRATA "+strings.Replace(unbanned, "?", "9", 1)), "\n")
	if !strings.Contains(plan, "SELECT * FROM `users` AS `u` WHERE `u`.`karma`=9") || !strings.Contains(plan, "FROM `entries` AS `e` WHERE") {
		t.Errorf("EXPLAIN STRATA %s:\n%s\nwant users read first and entries in place", unbanned, plan)
	}
	stmt, err := conn.PrepareContext(ctx, unbanned)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	if res, err := stmt.ExecContext(ctx, 9); err != nil {
		t.Fatalf("prepared %s: %v", unbanned, err)
	} else if n, _ := res.RowsAffected(); n != 2+4+6 {
		t.Errorf("prepared DELETE of the likes of entries of no banned user removed %d rows, want 12", n)
	}
	if got := testenv.Strings(t, conn, "SELECT entry_id, COUNT(*) FROM entry_likes WHERE entry_id "+ids+" GROUP BY entry_id ORDER BY entry_id"); !slices.Equal(got, []string{"900000061|1", "900000063|3", "900000065|5"}) {
		t.Errorf("likes left: %q, want those of the banned user's entries", got)
	}
	if n := affected("DELETE l FROM entry_likes l JOIN entries e ON e.id = l.entry_id AND e.user_id IN (SELECT id FROM users WHERE karma = 9) WHERE l.user_id = 0 AND l.entry_id " + ids); n != 3 {
		t.Errorf("DELETE joined ON a subquery over users removed %d likes, want 3 (user 0's of the banned user's entries)", n)
	}
	if got := testenv.Strings(t, conn, "SELECT entry_id, COUNT(*) FROM entry_likes WHERE entry_id "+ids+" GROUP BY entry_id ORDER BY entry_id"); !slices.Equal(got, []string{"900000063|2", "900000065|4"}) {
		t.Errorf("likes left: %q, want those of users other than 0", got)
	}
}
