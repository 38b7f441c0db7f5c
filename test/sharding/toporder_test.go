package sharding

import (
	"fmt"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// UPDATE and DELETE with ORDER BY columns and LIMIT over shards, in any
// order (a job queue's "claim the 10 oldest", a purge of the lowest
// scores), write the same first rows as one server: each shard's first
// rows are selected and locked in the write's transaction, merged by the
// ORDER BY as the server compares them, and each shard writes its share.
// Before, any order but a range table's shard key was refused.
func TestOrderedLimitedWritesOverShards(t *testing.T) {
	db := strataDB(t)
	// Rows of the test's own, spread over the shards by their ids, with
	// titles that differ only in case and accents (equal in the
	// collation, ordered by id after) and repeated dates and ratings.
	const own = "id BETWEEN 1500000001 AND 1500000040"
	titles := []string{"'Zoe'", "'zoë'", "'Ana'", "'ÁNA'", "NULL", "'bob'", "'Bob'", "'émile'"}
	var rows []string
	for i := 1; i <= 40; i++ {
		rows = append(rows, fmt.Sprintf("(%d, %s, %d, %d.25, '2026-0%d-1%d', '%s')", 1500000000+i, titles[i%len(titles)], i%7, i%5, 1+i%9, i%3, []string{"live", "draft"}[i%2]))
	}
	insert := "INSERT INTO entries (id, title, score, rating, published, status) VALUES " + strings.Join(rows, ", ")
	cleanup(t, "entries", own)
	t.Cleanup(func() { singleBlog.Exec("DELETE FROM entries WHERE " + own) })
	mustExec(t, db, insert)
	mustExec(t, singleBlog, insert)

	check := func(t *testing.T, write string, args ...any) {
		t.Helper()
		ctx := testenv.Ctx(t)
		got, err := db.ExecContext(ctx, write, args...)
		if err != nil {
			t.Fatalf("%s through Strata: %v", write, err)
		}
		want, err := singleBlog.ExecContext(ctx, write, args...)
		if err != nil {
			t.Fatalf("%s on one server: %v", write, err)
		}
		g, _ := got.RowsAffected()
		w, _ := want.RowsAffected()
		if g != w {
			t.Errorf("%s: %d rows through Strata, %d on one server", write, g, w)
		}
		q := "SELECT id, score FROM entries WHERE " + own + " ORDER BY id"
		if g, w := fmt.Sprint(testenv.Strings(t, db, q)), fmt.Sprint(testenv.Strings(t, singleBlog, q)); g != w {
			t.Errorf("after %s:\nthrough Strata: %s\none server:     %s", write, g, w)
		}
	}
	check(t, "UPDATE entries SET score = 70 WHERE "+own+" AND title IS NOT NULL ORDER BY title, id LIMIT 5") // text, in its collation
	check(t, "UPDATE entries SET score = 71 WHERE "+own+" ORDER BY title DESC, id DESC LIMIT 3")
	check(t, "UPDATE entries SET score = ? WHERE "+own+" AND status = ? ORDER BY rating DESC, id LIMIT ?", 72, "live", 4) // prepared
	check(t, "UPDATE entries SET score = 73 WHERE "+own+" AND score < 70 ORDER BY published, id LIMIT 7")
	check(t, "UPDATE entries SET score = 74 WHERE "+own+" AND score < 70 ORDER BY published DESC, id LIMIT 2000") // more than there are
	check(t, "DELETE FROM entries WHERE "+own+" AND score = 70 ORDER BY id DESC LIMIT 2")
	check(t, "DELETE FROM entries WHERE "+own+" ORDER BY score, title DESC, id LIMIT ?", 3)

	// A key_range table ordered by another column than its key.
	const mine = "username LIKE '_top%'"
	cleanup(t, "members", mine)
	t.Cleanup(func() { singleBlog.Exec("DELETE FROM members WHERE " + mine) })
	var members []string
	for i, u := range []string{"atop1", "btop2", "htop3", "itop4", "otop5", "ptop6", "utop7", "vtop8"} {
		members = append(members, fmt.Sprintf("('%s', %d, 0, %s)", u, 20+i%3, titles[i%len(titles)]))
	}
	insertMembers := "INSERT INTO members (username, age, karma, nick) VALUES " + strings.Join(members, ", ")
	mustExec(t, db, insertMembers)
	mustExec(t, singleBlog, insertMembers)
	for _, write := range []string{
		"UPDATE members SET karma = 9 WHERE " + mine + " ORDER BY age DESC, nick, username LIMIT 3",
		"DELETE FROM members WHERE " + mine + " AND karma = 0 ORDER BY nick DESC, username LIMIT 2",
	} {
		ctx := testenv.Ctx(t)
		if _, err := db.ExecContext(ctx, write); err != nil {
			t.Fatalf("%s through Strata: %v", write, err)
		}
		mustExec(t, singleBlog, write)
		q := "SELECT username, karma FROM members WHERE " + mine + " ORDER BY username"
		if g, w := fmt.Sprint(testenv.Strings(t, db, q)), fmt.Sprint(testenv.Strings(t, singleBlog, q)); g != w {
			t.Errorf("after %s:\nthrough Strata: %s\none server:     %s", write, g, w)
		}
	}

	// A LIMIT whose candidates Strata would hold beyond
	// limits.max_pulled_rows is refused, changing nothing.
	before := testenv.Strings(t, db, "SELECT COUNT(*) FROM entries WHERE "+own)
	_, err := db.Exec("DELETE FROM entries WHERE " + own + " ORDER BY title, id LIMIT 100000000")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "max_pulled_rows") {
		t.Errorf("DELETE ... ORDER BY ... LIMIT 100000000: %v, want 1235 naming limits.max_pulled_rows", err)
	}
	if after := testenv.Strings(t, db, "SELECT COUNT(*) FROM entries WHERE "+own); after[0] != before[0] {
		t.Errorf("the refused DELETE left %s rows of %s", after[0], before[0])
	}
}
