package sharding

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// `x IN (SELECT y FROM sharded ...)` — the ORM's way to filter by another
// table —, a scalar `(SELECT COUNT(*) FROM sharded)` and `EXISTS (...)`
// run their subquery first (routed, scattered and merged like any
// statement) and the outer statement over the values, so the answer is
// one server's: with NOT IN, an empty subquery (IN false, NOT IN true),
// NULLs in the subquery (NOT IN then matches nothing), text values, and a
// subquery inside the subquery.
func TestInSubqueriesOverShardsMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	tests := []struct {
		name  string
		query string
		args  []any // a server-side prepared statement when set
	}{
		{"entries with heavy likes", "SELECT id, title FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE weight > 3) ORDER BY id", nil},
		{"NOT IN, counted", "SELECT COUNT(*), SUM(score) FROM entries WHERE id NOT IN (SELECT entry_id FROM entry_likes WHERE weight > 3)", nil},
		{"empty subquery: IN is false", "SELECT COUNT(*) FROM entries WHERE id IN (SELECT entry_id FROM comments WHERE votes > 100000) OR score < 3", nil},
		{"empty subquery: NOT IN is true, NULL x too", "SELECT COUNT(*) FROM entries WHERE user_id NOT IN (SELECT entry_id FROM comments WHERE votes > 100000)", nil},
		{"NULL in the subquery: NOT IN matches nothing", "SELECT COUNT(*) FROM entries WHERE score NOT IN (SELECT votes FROM comments)", nil},
		{"text values, the column's collation", "SELECT username, country FROM members WHERE nick IN (SELECT author FROM comments WHERE votes = 5) ORDER BY username", nil},
		{"a subquery in the subquery", "SELECT id FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE user_id IN (SELECT karma FROM members WHERE country = 'DZ')) ORDER BY id", nil},
		{"grouped outer statement", "SELECT status, COUNT(*) FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE user_id < 6) GROUP BY status ORDER BY status", nil},
		{"values from a range-sharded table", "SELECT entry_id, COUNT(*) FROM comments WHERE votes IN (SELECT qty FROM events WHERE kind = 'view') GROUP BY entry_id ORDER BY entry_id LIMIT 10", nil},
		{"a scalar subquery in the select list", "SELECT entry_id, COUNT(*) * 100 / (SELECT COUNT(*) FROM comments) AS pct FROM comments GROUP BY entry_id ORDER BY pct DESC, entry_id LIMIT 5", nil},
		{"a scalar subquery in WHERE", "SELECT id, votes FROM comments WHERE votes = (SELECT MAX(votes) FROM comments) ORDER BY id", nil},
		{"a scalar subquery without rows is NULL", "SELECT COUNT(*), COUNT((SELECT MAX(votes) FROM comments WHERE votes > 100000)) FROM entries", nil},
		{"a scalar subquery alone", "SELECT (SELECT COUNT(*) FROM comments) AS n, (SELECT MIN(published) FROM entries) AS first", nil},
		{"EXISTS and NOT EXISTS", "SELECT COUNT(*) FROM entries WHERE EXISTS (SELECT 1 FROM comments WHERE votes > 8) AND NOT EXISTS (SELECT id FROM events WHERE qty > 100)", nil},
		{"x > ALL (SELECT ...)", "SELECT id, score FROM entries WHERE score > ALL (SELECT votes FROM comments WHERE votes IS NOT NULL) ORDER BY id", nil},
		{"= ANY", "SELECT COUNT(*), SUM(score) FROM entries WHERE score = ANY (SELECT votes FROM comments WHERE entry_id < 50)", nil},
		{"ALL over no rows is true", "SELECT COUNT(*) FROM entries WHERE score < ALL (SELECT votes FROM comments WHERE votes > 100000)", nil},
		{"ALL over a NULL is never true", "SELECT COUNT(*) FROM entries WHERE score > ALL (SELECT votes FROM comments)", nil},
		{"a row IN a subquery of two columns", "SELECT COUNT(*) FROM comments WHERE (entry_id, votes) IN (SELECT entry_id, votes FROM comments WHERE votes > 10)", nil},
		{"IN a UNION", "SELECT id FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE weight = 5 UNION SELECT entry_id FROM entry_likes WHERE weight = 1) ORDER BY id LIMIT 10", nil},
		{"prepared, bound values in and around the subquery", "SELECT id, title, score FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE weight > ?) AND score > ? ORDER BY id", []any{3, 5}},
		{"in an outer join's ON", "SELECT u.id, u.name, COUNT(e.id) FROM users u LEFT JOIN entries e ON e.user_id = u.id AND e.id IN (SELECT entry_id FROM entry_likes WHERE weight = 5) GROUP BY u.id, u.name ORDER BY COUNT(e.id) DESC, u.id LIMIT 10", nil},
		{"in a join's ON, prepared", "SELECT e.id, l.id FROM entries e LEFT JOIN entry_likes l ON l.entry_id = e.id AND l.weight = (SELECT MAX(weight) FROM entry_likes WHERE user_id < ?) ORDER BY e.id, l.id LIMIT 15", []any{4}},
		{"prepared, empty NOT IN", "SELECT COUNT(*), MAX(id) FROM entries WHERE id NOT IN (SELECT entry_id FROM entry_likes WHERE weight > ?)", []any{1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			minRows := 1
			if strings.Contains(tt.name, "NULL in") {
				minRows = 0 // NOT IN matches nothing
			}
			sameAsOneServer(t, db, minRows, tt.query, tt.args...)
		})
	}
	// A scalar subquery of several rows is MariaDB's error.
	_, err := runQuery(ctx, db, "SELECT id, (SELECT votes FROM comments WHERE votes > 3) FROM entries LIMIT 1")
	if testenv.MySQLErr(err) != 1242 {
		t.Fatalf("a scalar subquery of several rows: %v, want error 1242", err)
	}
	// A locking read keeps the refusal: the subquery's rows, read first
	// on their own, would not be locked.
	_, err = runQuery(ctx, db, "SELECT id FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE weight > 3) FOR UPDATE")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "subquery") {
		t.Fatalf("a locking read with a subquery over shards: %v, want error 1235 naming the subquery", err)
	}
	// A correlated subquery names the outer statement: it cannot run on
	// its own. Strata reads each table's rows instead (the subquery's
	// narrowed by the outer columns it is matched with) and answers as
	// one server.
	for _, q := range []string{
		"SELECT id FROM entries e WHERE e.user_id IN (SELECT c.entry_id FROM comments c WHERE c.votes = e.score) ORDER BY id",
		"SELECT COUNT(*) FROM entries e WHERE e.score > ANY (SELECT c.votes FROM comments c WHERE c.entry_id = e.user_id)",
		"SELECT e.status, COUNT(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM comments c WHERE c.entry_id = e.user_id AND c.votes > 5) GROUP BY e.status ORDER BY e.status",
	} {
		sameAsOneServer(t, db, 1, q)
	}
	// One nested deeper, naming the statement's table: its table is read
	// too, narrowed by the tables around it (TestNestedSubqueriesMatchOneServer
	// has more).
	sameAsOneServer(t, db, 1, "SELECT id FROM entries e WHERE EXISTS (SELECT 1 FROM comments c WHERE c.votes = e.score AND c.entry_id IN (SELECT l.user_id FROM entry_likes l WHERE l.user_id = e.user_id)) ORDER BY id")
	// Over a UNION it is refused, and Strata says why.
	_, err = runQuery(ctx, db, "SELECT id FROM entries e WHERE EXISTS (SELECT 1 FROM comments c WHERE c.votes = e.score AND c.id IN (SELECT l.id FROM entry_likes l WHERE l.user_id = e.user_id UNION SELECT 1))")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "correlated") {
		t.Fatalf("a correlated subquery over a UNION in a subquery: %v, want error 1235 saying it is correlated", err)
	}
}

// The outer statement may read only tables of the default cluster: once
// the subquery over the shards has run, it goes there with the values.
func TestInSubqueryOverShardsFiltersADefaultClusterTable(t *testing.T) {
	shardedData(t)
	ids := testenv.Strings(t, testenv.Conn(t, singleBlog), "SELECT DISTINCT customer_id FROM orders WHERE items > 6 ORDER BY customer_id")
	if len(ids) < 2 {
		t.Fatalf("the single server has %d customers with an order of over 6 items; the test needs several", len(ids))
	}
	want := testenv.Strings(t, testenv.Conn(t, direct["main"]),
		"SELECT customer_id, shard FROM blog.order_customer WHERE customer_id IN ("+strings.Join(ids, ",")+") ORDER BY customer_id")
	got := testenv.Strings(t, testenv.Conn(t, strataDB(t)),
		"SELECT customer_id, shard FROM order_customer WHERE customer_id IN (SELECT customer_id FROM orders WHERE items > 6) ORDER BY customer_id")
	if len(want) != len(ids) || !slices.Equal(got, want) {
		t.Fatalf("through Strata %q, want %q (customers %v)", got, want, ids)
	}
}

// EXPLAIN STRATA shows what runs first and what Strata computes, without
// running the subqueries.
func TestExplainShowsSubqueriesAndComputedColumns(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	tests := []struct {
		query string
		want  []string // step and detail texts the plan must contain
	}{
		{"SELECT id FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE weight > 3)",
			[]string{"subquery 1: scatter", "runs the subqueries first, then: SELECT `id` FROM `entries` WHERE `id` IN (/* values of subquery 1 */)"}},
		{"SELECT COUNT(*) FROM (SELECT entry_id FROM comments GROUP BY entry_id) t",
			[]string{"subquery 1: scatter", "runs the subqueries first, then: SELECT COUNT(1) AS `COUNT(*)` FROM (SELECT /* rows of subquery 1 */) AS `t`"}},
		{"SELECT COUNT(*) FROM orders o JOIN (SELECT customer_id FROM order_customer WHERE customer_id < 9) c ON c.customer_id = o.customer_id",
			[]string{"subquery 1: route", "JOIN (SELECT /* rows of subquery 1 */) AS `c`"}},
		{"SELECT m.username, c.id FROM members m JOIN comments c ON c.author = m.nick WHERE m.karma = 5",
			[]string{"table 1: scatter", "WHERE `m`.`karma`=5", "c.author IN (the nick values of table 1)", "reads each table's rows first, then: SELECT `m`.`username`,`c`.`id` FROM (SELECT /* rows of table 1 */) AS `m` JOIN (SELECT /* rows of table 2 */) AS `c`"}},
		{"SELECT qty, SUM(amount) / COUNT(*) FROM events GROUP BY qty",
			[]string{"evaluate 1 expressions over the merged aggregates (column 2)"}},
		{"SELECT entry_id, GROUP_CONCAT(votes) FROM comments GROUP BY entry_id",
			[]string{"each group is whole on one shard"}},
	}
	for _, tt := range tests {
		res, err := runQuery(ctx, db, "EXPLAIN STRATA "+tt.query)
		if err != nil {
			t.Fatalf("EXPLAIN STRATA %s: %v", tt.query, err)
		}
		var all []string
		for _, r := range res.rows {
			all = append(all, strings.Join(r, " "))
		}
		text := strings.Join(all, "\n")
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("EXPLAIN STRATA %s lacks %q:\n%s", tt.query, w, text)
			}
		}
	}
}

// A subquery that matches its table's shard key to the outer row's (the
// count of an entry's likes, likes sharded like entries) reads only rows
// of that row's shard: the statement runs on the shards as written, routed
// by the outer statement's key.
func TestSubqueriesCorrelatedByTheShardKey(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	id := ds.tables["entries"].rows[5][0]
	tests := []string{
		"SELECT e.id, (SELECT COUNT(*) FROM entry_likes l WHERE l.entry_id = e.id) AS likes FROM entries e WHERE e.id = " + id,
		"SELECT e.id, e.title, (SELECT SUM(weight) FROM entry_likes WHERE entry_id = e.id) AS w FROM entries e ORDER BY w DESC, e.id LIMIT 8",
		"SELECT COUNT(*) FROM entries e WHERE EXISTS (SELECT 1 FROM entry_likes l WHERE l.entry_id = e.id AND l.weight > 3)",
		"SELECT e.status, COUNT(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM entry_likes l WHERE e.id = l.entry_id) GROUP BY e.status ORDER BY e.status",
	}
	for _, q := range tests {
		sameAsOneServer(t, db, 1, q)
	}
	explainShards(t, db, tests[0], []string{holders(t, "entries", "id = "+id)[0]})
	// Matched on another column, the subquery needs every shard's rows
	// for each outer row: Strata reads both tables' rows and answers on
	// one server.
	sameAsOneServer(t, db, 10, "SELECT e.id, (SELECT COUNT(*) FROM entry_likes l WHERE l.user_id = e.user_id) AS n FROM entries e WHERE e.score > 30 ORDER BY e.id")
}

// The counter-cache write of web apps, UPDATE ... SET n = (SELECT COUNT(*)
// FROM likes WHERE likes.entry_id = entries.id), runs on each entry's
// shard: the likes it counts live there too.
func TestUpdateFromASubqueryMatchedOnTheShardKey(t *testing.T) {
	db := strataDB(t)
	conn := testenv.Conn(t, db)
	cleanup(t, "entries", "id BETWEEN 900000001 AND 900000006")
	cleanup(t, "entry_likes", "entry_id BETWEEN 900000001 AND 900000006")
	var ids []string
	for i := 1; i <= 6; i++ {
		id := strconv.Itoa(900000000 + i)
		ids = append(ids, id)
		mustExec(t, conn, "INSERT INTO entries (id, user_id, title, score, status) VALUES ("+id+", 1, 'counter', 0, 'live')")
		for k := range i {
			mustExec(t, conn, fmt.Sprintf("INSERT INTO entry_likes (id, entry_id, user_id, weight) VALUES (%d, %s, %d, 1)", 900000000+i*10+k, id, k))
		}
	}
	if got := holders(t, "entries", "id BETWEEN 900000001 AND 900000006"); len(got) < 2 {
		t.Fatalf("the test entries are on %v: the test needs several shards", got)
	}
	res := mustExec(t, conn, "UPDATE entries SET score = (SELECT COUNT(*) FROM entry_likes l WHERE l.entry_id = entries.id) WHERE id BETWEEN 900000001 AND 900000006")
	if n, _ := res.RowsAffected(); n != 6 {
		t.Fatalf("UPDATE changed %d rows, want 6", n)
	}
	got := testenv.Strings(t, conn, "SELECT id, score FROM entries WHERE id BETWEEN 900000001 AND 900000006 ORDER BY id")
	var want []string
	for i, id := range ids {
		want = append(want, fmt.Sprintf("%s|%d", id, i+1))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("counts written %q, want %q", got, want)
	}
}

// An UPDATE or a DELETE filtered (or set) by an uncorrelated subquery over
// a sharded table runs the subquery first and routes the write by its
// values: each row on its own shard is changed, in text and prepared
// statements, and an empty subquery changes nothing.
func TestWritesFilteredBySubqueriesOverShards(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, db)
	const ids = "BETWEEN 900000011 AND 900000016"
	likedEntries(t, conn, 900000010, 900000100, func(int) string { return "1" })
	affected := func(query string, args ...any) int64 { return rowsAffected(t, conn, query, args...) }
	if n := affected("UPDATE entries SET status = 'hot' WHERE id IN (SELECT entry_id FROM entry_likes WHERE weight >= 4 AND entry_id " + ids + ")"); n != 3 {
		t.Errorf("UPDATE ... WHERE id IN (subquery) changed %d rows, want 3", n)
	}
	if n := affected("UPDATE entries SET score = (SELECT MAX(weight) FROM entry_likes WHERE entry_id " + ids + ") WHERE id " + ids); n != 6 {
		t.Errorf("UPDATE ... SET score = (subquery) changed %d rows, want 6", n)
	}
	if got := testenv.Strings(t, conn, "SELECT status, COUNT(*), MIN(score), MAX(score) FROM entries WHERE id "+ids+" GROUP BY status ORDER BY status"); !slices.Equal(got, []string{"hot|3|6|6", "live|3|6|6"}) {
		t.Errorf("entries after the UPDATEs: %q", got)
	}
	if n := affected("DELETE FROM entry_likes WHERE entry_id IN (SELECT id FROM entries WHERE status = 'hot' AND id " + ids + ")"); n != 4+5+6 {
		t.Errorf("DELETE ... WHERE entry_id IN (subquery) removed %d rows, want 15", n)
	}
	if n := affected("DELETE FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE weight > 1000)"); n != 0 {
		t.Errorf("DELETE over an empty subquery removed %d rows, want 0", n)
	}
	stmt, err := conn.PrepareContext(ctx, "DELETE FROM entry_likes WHERE weight = ? AND entry_id IN (SELECT id FROM entries WHERE status = ? AND id "+ids+")")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	if res, err := stmt.ExecContext(ctx, 3, "live"); err != nil {
		t.Fatalf("prepared DELETE with a subquery: %v", err)
	} else if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("prepared DELETE removed %d rows, want 3", n)
	}
	if got := testenv.Strings(t, conn, "SELECT entry_id, COUNT(*) FROM entry_likes WHERE entry_id "+ids+" GROUP BY entry_id ORDER BY entry_id"); !slices.Equal(got, []string{"900000011|1", "900000012|2"}) {
		t.Errorf("likes left: %q, want those of the two first entries", got)
	}
}

// A multi-table UPDATE or DELETE joined with a derived table over shards
// (`UPDATE entries e JOIN (SELECT entry_id, COUNT(*) AS n FROM entry_likes
// GROUP BY entry_id) l ON l.entry_id = e.id SET e.score = l.n`, the way an
// application writes an aggregate back) runs the derived table first,
// merged over the shards, and each shard joins its own rows with all of
// the derived table's rows, as one server would. It was refused (1235,
// "read in a derived table").
func TestWritesJoinedWithADerivedTableOverShards(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, db)
	const ids = "BETWEEN 900000031 AND 900000036"
	likedEntries(t, conn, 900000030, 900000500, func(int) string { return "1" }) // entry 900000030+i: i likes of weight i
	affected := func(query string, args ...any) int64 { return rowsAffected(t, conn, query, args...) }
	if n := affected("UPDATE entries e JOIN (SELECT entry_id, COUNT(*) AS n FROM entry_likes WHERE entry_id " + ids + " GROUP BY entry_id) l ON l.entry_id = e.id SET e.score = l.n"); n != 6 {
		t.Errorf("UPDATE joined with the likes counted per entry changed %d rows, want 6", n)
	}
	// The derived table's one row is the maximum over every shard: a
	// shard that joined only its own likes would set a smaller one.
	if n := affected("UPDATE entries e JOIN (SELECT MAX(weight) AS top FROM entry_likes WHERE entry_id " + ids + ") m ON 1 SET e.status = 'top', e.score = m.top WHERE e.id " + ids + " AND e.score >= 4"); n != 3 {
		t.Errorf("UPDATE joined with the maximum over the shards changed %d rows, want 3", n)
	}
	if got := testenv.Strings(t, conn, "SELECT id, score, status FROM entries WHERE id "+ids+" ORDER BY id"); !slices.Equal(got, []string{
		"900000031|1|live", "900000032|2|live", "900000033|3|live", "900000034|6|top", "900000035|6|top", "900000036|6|top"}) {
		t.Errorf("entries after the UPDATEs: %q", got)
	}
	stmt, err := conn.PrepareContext(ctx, "DELETE l FROM entry_likes l JOIN (SELECT entry_id FROM entry_likes WHERE entry_id "+ids+" GROUP BY entry_id HAVING COUNT(*) > ?) busy ON busy.entry_id = l.entry_id WHERE l.user_id >= ?")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	if res, err := stmt.ExecContext(ctx, 4, 3); err != nil {
		t.Fatalf("prepared DELETE joined with a derived table: %v", err)
	} else if n, _ := res.RowsAffected(); n != 5 {
		t.Errorf("prepared DELETE joined with a derived table removed %d rows, want 5", n)
	}
	if got := testenv.Strings(t, conn, "SELECT entry_id, COUNT(*) FROM entry_likes WHERE entry_id "+ids+" GROUP BY entry_id ORDER BY entry_id"); !slices.Equal(got, []string{
		"900000031|1", "900000032|2", "900000033|3", "900000034|4", "900000035|3", "900000036|3"}) {
		t.Errorf("likes left: %q", got)
	}
}

// An UPDATE or DELETE of a sharded table joined with a table that lives
// apart from it (users on the accounts cluster, comments sharded by
// another key) — a moderation query such as `UPDATE entries e JOIN users
// u ON u.id = e.user_id SET e.status = 'banned' WHERE u.karma = 9` — or
// reading one in a correlated subquery (a cleanup of orphans, `NOT EXISTS
// (SELECT 1 FROM users u WHERE u.id = entries.user_id)`) reads the rows of
// the table it only reads first (with that table's own conditions), and
// they go into every shard's statement as literals; a table sharded alike
// and joined on the shard key stays in place. It was refused (1235). A
// write to tables on two clusters, or a SET column whose table only the
// schema knows, is still refused, with what to write.
func TestWritesJoinedWithTablesThatLiveApart(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, db)
	const ids = "BETWEEN 900000041 AND 900000046"
	cleanup(t, "comments", "id = 900000041")
	b, k := bannedAndKept(t, conn)
	likedEntries(t, conn, 900000040, 900000700, func(i int) string { return [2]string{k, b}[i%2] })
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, author, body, votes) VALUES (900000041, "+b+", 'apart', 'apart', 777)")
	affected := func(query string, args ...any) int64 { return rowsAffected(t, conn, query, args...) }
	entries := func() []string {
		return testenv.Strings(t, conn, "SELECT id, score, title, status FROM entries WHERE id "+ids+" ORDER BY id")
	}
	if n := affected("UPDATE entries e JOIN users u ON u.id = e.user_id SET e.status = 'banned' WHERE u.karma = 9 AND e.id " + ids); n != 3 {
		t.Errorf("UPDATE joined with users changed %d rows, want 3", n)
	}
	if n := affected("UPDATE entries e, users u SET e.score = u.id WHERE u.id = e.user_id AND e.id " + ids); n != 6 {
		t.Errorf("UPDATE set from users (comma join) changed %d rows, want 6", n)
	}
	// ON's condition reads users; WHERE's IS NULL stays on the statement.
	if n := affected("UPDATE entries e LEFT JOIN users u ON u.id = e.user_id AND u.karma = 9 SET e.title = 'kept' WHERE u.id IS NULL AND e.id " + ids); n != 3 {
		t.Errorf("UPDATE with LEFT JOIN users changed %d rows, want 3", n)
	}
	if n := affected("UPDATE entries e JOIN comments c ON c.entry_id = e.user_id SET e.score = c.votes WHERE c.votes = 777 AND e.id " + ids); n != 3 {
		t.Errorf("UPDATE joined with comments (sharded by another key) changed %d rows, want 3", n)
	}
	if got, want := entries(), []string{
		"900000041|777|e|banned", "900000042|" + k + "|kept|live", "900000043|777|e|banned",
		"900000044|" + k + "|kept|live", "900000045|777|e|banned", "900000046|" + k + "|kept|live"}; !slices.Equal(got, want) {
		t.Errorf("entries after the UPDATEs (users %s and %s):\n got %q\nwant %q", b, k, got, want)
	}
	// Three tables: likes written, entries sharded alike and joined on the
	// key (stays in place), users apart (read first).
	const threeTables = "DELETE l FROM entry_likes l JOIN entries e ON e.id = l.entry_id JOIN users u ON u.id = e.user_id WHERE u.karma = 2 AND l.entry_id " + ids
	plan := strings.Join(testenv.Strings(t, conn, "EXPLAIN STRATA "+threeTables), "\n")
	if !strings.Contains(plan, "JOIN `entries` AS `e` ON") || !strings.Contains(plan, "SELECT * FROM `users` AS `u` WHERE `u`.`karma`=2") {
		t.Errorf("EXPLAIN STRATA %s:\n%s\nwant entries in place and users read first", threeTables, plan)
	}
	if n := affected(threeTables); n != 2+4+6 {
		t.Errorf("DELETE of the likes of karma-2 users' entries removed %d rows, want 12", n)
	}
	stmt, err := conn.PrepareContext(ctx, "DELETE e FROM entries e JOIN users u ON u.id = e.user_id WHERE u.karma = ? AND e.id "+ids)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	if res, err := stmt.ExecContext(ctx, 9); err != nil {
		t.Fatalf("prepared DELETE joined with users: %v", err)
	} else if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("prepared DELETE joined with users removed %d rows, want 3", n)
	}
	if got := testenv.Strings(t, conn, "SELECT e.id, COUNT(l.id) FROM entries e LEFT JOIN entry_likes l ON l.entry_id = e.id WHERE e.id "+ids+" GROUP BY e.id ORDER BY e.id"); !slices.Equal(got, []string{"900000042|0", "900000044|0", "900000046|0"}) {
		t.Errorf("entries and likes left: %q", got)
	}
	// Subqueries over users, correlated with the entry written: the
	// title set from its user's name, then the entries whose user has no
	// karma of 2 (orphans, as a cleanup job finds them) deleted.
	if n := affected("UPDATE entries e SET title = (SELECT u.name FROM users u WHERE u.id = e.user_id) WHERE e.id " + ids); n != 3 {
		t.Errorf("UPDATE set from a correlated subquery over users changed %d rows, want 3", n)
	}
	name := testenv.Strings(t, conn, "SELECT name FROM users WHERE id = "+k)
	if got := testenv.Strings(t, conn, "SELECT DISTINCT title FROM entries WHERE id "+ids); !slices.Equal(got, name) {
		t.Errorf("titles after the UPDATE: %q, want the user's name %q", got, name)
	}
	mustExec(t, conn, "UPDATE entries SET user_id = 0 WHERE id = 900000044") // a user that does not exist
	if n := affected("DELETE FROM entries WHERE id " + ids + " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = entries.user_id)"); n != 1 {
		t.Errorf("DELETE of the orphan entries removed %d rows, want 1", n)
	}
	// More rows of the table read first than limits.max_pulled_rows:
	// refused, naming the table and how to narrow it; nothing written.
	smallPull.start(t, smallPullAddr, smallPullAdmin, "limits: {max_pulled_rows: 5}\n")
	_, err = testenv.Conn(t, openStrata(t, smallPullAddr)).ExecContext(ctx, "UPDATE entries e JOIN users u ON u.id = e.user_id SET e.score = 99 WHERE u.karma >= 0 AND e.id "+ids)
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "reads users") || !strings.Contains(err.Error(), "more than 5 rows (limits.max_pulled_rows)") {
		t.Errorf("a write reading more users than limits.max_pulled_rows: %v, want error 1235 naming users and the limit", err)
	}
	if got := testenv.Strings(t, conn, "SELECT COUNT(*) FROM entries WHERE score = 99 AND id "+ids); !slices.Equal(got, []string{"0"}) {
		t.Errorf("entries written by the refused UPDATE: %q", got)
	}
	for _, q := range []string{
		"UPDATE entries e JOIN users u ON u.id = e.user_id SET e.score = 1, u.karma = 1 WHERE e.id " + ids,
		"UPDATE entries e JOIN users u ON u.id = e.user_id SET score = 1 WHERE e.id " + ids,
	} {
		if _, err := conn.ExecContext(ctx, q); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "sets names its table (SET e.score = ...)") {
			t.Errorf("%s: %v, want error 1235 saying what runs", q, err)
		}
	}
}

// INSERT ... SELECT into a sharded table reads the SELECT's rows first
// (from the primaries) and inserts them as VALUES, each routed to the
// shard of its key; a SELECT without rows inserts nothing and says so.
func TestInsertSelectIntoShardedTables(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, db)
	const ids = "BETWEEN 900000021 AND 900000026"
	cleanup(t, "entry_likes", "entry_id "+ids)
	cleanup(t, "comments", "entry_id "+ids)
	insertLikes(t, conn, 900000020, 900000300)
	res := mustExec(t, conn, "INSERT INTO comments (id, entry_id, author, body, votes) SELECT id, entry_id, 'copy', CONCAT('like ', id), weight FROM entry_likes WHERE entry_id "+ids+" ORDER BY id")
	if n, _ := res.RowsAffected(); n != 21 {
		t.Fatalf("INSERT ... SELECT inserted %d rows, want 21", n)
	}
	if got := holders(t, "comments", "entry_id "+ids); len(got) < 2 {
		t.Fatalf("the copied comments are on %v: the test needs several shards", got)
	}
	for i := 1; i <= 6; i++ {
		// Read by the shard key: only its shard is asked, so a row on
		// another shard would not be found.
		got := testenv.Strings(t, conn, fmt.Sprintf("SELECT COUNT(*), MIN(votes), MAX(body) FROM comments WHERE entry_id = %d AND author = 'copy'", 900000020+i))
		want := fmt.Sprintf("%d|%d|like %d", i, i, 900000300+i*10+i-1)
		if len(got) != 1 || got[0] != want {
			t.Errorf("comments of entry %d: %q, want %q", 900000020+i, got, want)
		}
	}
	res = mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) SELECT id, entry_id, 'none' FROM entry_likes WHERE weight > 1000")
	if n, _ := res.RowsAffected(); n != 0 {
		t.Errorf("INSERT ... SELECT of no rows inserted %d", n)
	}
	stmt, err := conn.PrepareContext(ctx, "INSERT INTO comments (id, entry_id, body) SELECT id + 1000, entry_id, ? FROM entry_likes WHERE weight = ? AND entry_id "+ids)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	if res, err := stmt.ExecContext(ctx, "prepared", 2); err != nil {
		t.Fatalf("prepared INSERT ... SELECT: %v", err)
	} else if n, _ := res.RowsAffected(); n != 2 {
		t.Errorf("prepared INSERT ... SELECT inserted %d rows, want 2", n)
	}
	if got := testenv.Strings(t, conn, fmt.Sprintf("SELECT COUNT(*) FROM comments WHERE entry_id = %d AND body = 'prepared'", 900000022)); !slices.Equal(got, []string{"2"}) {
		t.Errorf("prepared copies on entry 900000022's shard: %q, want 2", got)
	}
	// An upsert from a SELECT whose ON DUPLICATE KEY UPDATE reads the
	// SELECT's columns (l.weight): the value the row inserts in votes.
	// It failed with 1054 from the shards (the rows go as VALUES).
	const upsert = "INSERT INTO comments (id, entry_id, author, body, votes) SELECT l.id, l.entry_id, 'copy', 'again', l.weight FROM entry_likes l WHERE l.entry_id " + ids + " ON DUPLICATE KEY UPDATE votes = l.weight * 10 + comments.votes, body = 'upserted'"
	if res := mustExec(t, conn, upsert); func() int64 { n, _ := res.RowsAffected(); return n }() != 2*21 {
		t.Errorf("the upsert from entry_likes changed rows %v, want 21 updated (42)", res)
	}
	if got := testenv.Strings(t, conn, "SELECT COUNT(*), MIN(votes), MAX(votes), MIN(body) FROM comments WHERE author = 'copy' AND entry_id "+ids); !slices.Equal(got, []string{"21|11|66|upserted"}) {
		t.Errorf("comments after the upsert: %q, want each like's weight * 11", got)
	}
	// A column the SELECT computes from has no value in the row: refused.
	_, err = conn.ExecContext(ctx, "INSERT INTO comments (id, entry_id, author, body, votes) SELECT l.id, l.entry_id, 'copy', 'x', l.weight + 1 FROM entry_likes l WHERE l.entry_id "+ids+" ON DUPLICATE KEY UPDATE votes = l.weight")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "Write VALUES(column)") {
		t.Errorf("an upsert reading a column the SELECT does not insert: %v, want error 1235 saying what to write", err)
	}
}

// likedEntries writes entries entryBase+1 .. entryBase+6 (title 'e', score
// 0, status 'live', user_id user(i) for entry entryBase+i) and their likes
// (insertLikes), all removed when the test ends, and checks that they
// span several shards.
func likedEntries(t *testing.T, conn *sql.Conn, entryBase, idBase int, user func(i int) string) {
	t.Helper()
	ids := fmt.Sprintf("BETWEEN %d AND %d", entryBase+1, entryBase+6)
	cleanup(t, "entries", "id "+ids)
	cleanup(t, "entry_likes", "entry_id "+ids)
	for i := 1; i <= 6; i++ {
		mustExec(t, conn, fmt.Sprintf("INSERT INTO entries (id, user_id, title, score, status) VALUES (%d, %s, 'e', 0, 'live')", entryBase+i, user(i)))
	}
	insertLikes(t, conn, entryBase, idBase)
	if got := holders(t, "entries", "id "+ids); len(got) < 2 {
		t.Fatalf("the test entries are on %v: the test needs several shards", got)
	}
}

// bannedAndKept are the ids of a user of karma 9 and one of karma 2, the
// users whose entries the write tests tell apart.
func bannedAndKept(t *testing.T, conn *sql.Conn) (banned, kept string) {
	t.Helper()
	b := testenv.Strings(t, conn, "SELECT id FROM users WHERE karma = 9 ORDER BY id LIMIT 1")
	k := testenv.Strings(t, conn, "SELECT id FROM users WHERE karma = 2 ORDER BY id LIMIT 1")
	if len(b) != 1 || len(k) != 1 {
		t.Fatalf("users of karma 9 and 2: %q, %q", b, k)
	}
	return b[0], k[0]
}

// rowsAffected runs a write on conn and returns its affected rows.
func rowsAffected(t *testing.T, conn *sql.Conn, query string, args ...any) int64 {
	t.Helper()
	res, err := conn.ExecContext(testenv.Ctx(t), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	n, _ := res.RowsAffected()
	return n
}

// insertLikes gives entries entryBase+1 .. entryBase+6 likes: entry
// entryBase+i gets i likes of weight i, ids idBase+i*10+k, users 0..i-1.
func insertLikes(t *testing.T, conn *sql.Conn, entryBase, idBase int) {
	t.Helper()
	for i := 1; i <= 6; i++ {
		for k := range i {
			mustExec(t, conn, fmt.Sprintf("INSERT INTO entry_likes (id, entry_id, user_id, weight) VALUES (%d, %d, %d, %d)", idBase+i*10+k, entryBase+i, k, i))
		}
	}
}

// An INSERT ... SELECT over shards runs its SELECT first and inserts the
// rows as VALUES, where an ON DUPLICATE KEY UPDATE's bare column can name
// only the inserted table. On one server it names the SELECT's tables
// too: a name two tables have is error 1052, which Strata answered by
// running the upsert (n = n + 1 read as the inserted row's n, the rows
// changed); a name only the SELECT's table has is that table's column,
// which the shards refused as unknown. Strata now resolves the names by
// the tables' columns, as read from the shards.
func TestUpsertColumnNamesResolveAsOneServer(t *testing.T) {
	const name = "upsert_names"
	got, want := learnedModTable(t, name, "id INT NOT NULL PRIMARY KEY, n INT NULL, w INT NULL")
	ctx := testenv.Ctx(t)
	rows := "SELECT CONCAT_WS(' ', id, n, w) FROM " + name + " ORDER BY id"
	for _, q := range []string{
		"DELETE FROM " + name,
		// ids 1..4 on four shards: the SELECTs below read several.
		"INSERT INTO " + name + " (id, n, w) VALUES (1, 1, 10), (2, 2, 20), (3, 3, 30), (4, 4, 40)",
		"INSERT INTO " + name + " (id, n) SELECT id, n FROM " + name + " WHERE id < 4 ON DUPLICATE KEY UPDATE n = n + 1",
		"INSERT INTO " + name + " (id, n) SELECT id, n FROM " + name + " WHERE id < 4 ON DUPLICATE KEY UPDATE n = " + name + ".n + 1",
		"INSERT INTO " + name + " (id, n) SELECT id, n FROM (SELECT id, n FROM " + name + ") AS d ON DUPLICATE KEY UPDATE n = n + 100",
		// The SELECT's own alias: the inserted row's n plus the SELECT's.
		"INSERT INTO " + name + " (id, n) SELECT s.id, s.n FROM " + name + " s WHERE s.id > 1 ON DUPLICATE KEY UPDATE n = " + name + ".n + s.n",
		// bonus is a column of the derived table only: the SELECT's value.
		"INSERT INTO " + name + " (id, n) SELECT id, bonus FROM (SELECT id, w * 2 AS bonus FROM " + name + ") AS d ON DUPLICATE KEY UPDATE n = bonus",
	} {
		_, gotErr := got.ExecContext(ctx, q)
		_, wantErr := want.ExecContext(ctx, q)
		if testenv.MySQLErr(gotErr) != testenv.MySQLErr(wantErr) {
			t.Errorf("%s: Strata %v, one server %v", q, gotErr, wantErr)
		}
		if g, w := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); !slices.Equal(g, w) {
			t.Fatalf("after %s, through Strata:\n%s\non one server:\n%s", q, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
}
