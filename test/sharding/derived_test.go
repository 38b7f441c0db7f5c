package sharding

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A derived table, a CTE or a UNION branch that reads sharded tables runs
// first, as a statement of its own (scattered and merged like any other),
// and its rows take its place as a table of literals; the outer statement
// then runs where its remaining tables live. The answer is one server's:
// the ORM's count of a grouped query, top-N of a grouped derived table
// joined back to a sharded table, CTEs, UNION and UNION ALL (with a table
// of the default cluster too), an empty derived table, nesting, text in
// its collation, and a server-side prepared statement.
func TestDerivedTablesCTEsAndUnionsOverShardsMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	sameAsOneServerCases(t, db, []oneServerCase{
		{"the ORM's count of a grouped query", "SELECT COUNT(*) AS aggregate FROM (SELECT entry_id, COUNT(*) AS n FROM comments GROUP BY entry_id HAVING COUNT(*) > 2) AS aggregate_table", 1, nil},
		{"filter and order a grouped derived table", "SELECT t.entry_id, t.n, t.top FROM (SELECT entry_id, COUNT(*) AS n, MAX(votes) AS top FROM comments GROUP BY entry_id) t WHERE t.top > 5 ORDER BY t.n DESC, t.entry_id LIMIT 5", 3, nil},
		{"a derived table joined to a sharded table", "SELECT e.id, e.title, t.n FROM entries e JOIN (SELECT entry_id, COUNT(*) AS n FROM entry_likes GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT 3) t ON t.entry_id = e.id ORDER BY e.id", 3, nil},
		{"a derived table without rows", "SELECT COUNT(*), MAX(id) FROM (SELECT id FROM comments WHERE votes > 100000) t", 1, nil},
		{"a derived table in a derived table", "SELECT MAX(c), MIN(c), COUNT(*) FROM (SELECT country, COUNT(*) AS c FROM (SELECT country FROM members WHERE karma > 3) m GROUP BY country) x", 1, nil},
		// Counted under the column's case- and accent-insensitive
		// collation ('Cäfe' > 'c'), as on one server.
		{"text in its collation", "SELECT COUNT(*), COUNT(DISTINCT author), SUM(author > 'c') FROM (SELECT author FROM comments WHERE votes >= 5) t WHERE author < 'Z'", 1, nil},
		{"decimals and dates", "SELECT kind, SUM(total), MIN(first) FROM (SELECT kind, SUM(amount) AS total, MIN(happened) AS first FROM events GROUP BY kind, qty) k GROUP BY kind ORDER BY kind", 2, nil},
		{"a CTE", "WITH per_entry AS (SELECT entry_id, SUM(votes) AS v FROM comments GROUP BY entry_id) SELECT COUNT(*), MAX(v), MIN(v), SUM(v) FROM per_entry", 1, nil},
		{"a CTE read twice", "WITH busy AS (SELECT entry_id, COUNT(*) AS n FROM comments GROUP BY entry_id) SELECT a.entry_id, a.n FROM busy a WHERE a.n = (SELECT MAX(n) FROM busy) ORDER BY a.entry_id", 1, nil},
		{"UNION of two sharded tables", "SELECT entry_id AS id FROM comments WHERE votes > 8 UNION SELECT id FROM entries WHERE score > 8 ORDER BY id LIMIT 20", 2, nil},
		{"UNION branches that name two columns alike", "SELECT COUNT(*), COUNT(*) FROM comments WHERE votes > 3 UNION ALL SELECT COUNT(*), COUNT(*) FROM entries", 2, nil},
		{"UNION with a branch's own LIMIT", "(SELECT id, title FROM entries ORDER BY score DESC, id LIMIT 3) UNION ALL (SELECT id, body FROM comments ORDER BY id LIMIT 2)", 5, nil},
		{"prepared, a bound value in the derived table", "SELECT COUNT(*) AS aggregate FROM (SELECT entry_id FROM comments WHERE votes > ? GROUP BY entry_id) t", 1, []any{3}},
		{"prepared UNION", "SELECT id FROM entries WHERE score > ? UNION SELECT entry_id FROM comments WHERE votes > ? ORDER BY id LIMIT 10", 2, []any{7, 8}},
	})
	// SELECT COUNT(*) FROM (...) t needs only the number of rows: Strata
	// counts them as they stream by, past the 10,000 rows a derived table
	// may otherwise hold.
	t.Run("the count of a big derived table", func(t *testing.T) {
		const query = "SELECT COUNT(*) AS aggregate FROM (SELECT a.id FROM comments a JOIN comments b ON a.entry_id = b.entry_id JOIN comments c ON c.entry_id = a.entry_id) t"
		sameAsOneServer(t, db, 1, query)
		if n := testenv.Strings(t, testenv.Conn(t, singleBlog), query); len(n) != 1 || atoi(t, n[0]) <= 10000 {
			t.Fatalf("the derived table has %v rows; the test needs more than 10,000", n)
		}
	})
	// /metrics counts what ran first, and the rows it gave.
	t.Run("metrics", func(t *testing.T) {
		body := strataMetrics(t)
		for _, want := range []string{`strata_shard_run_first_total{kind="table"}`, `strata_shard_run_first_total{kind="count"}`, `strata_shard_run_first_rows_total{kind="count"}`} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
	// A UNION with a table of the default cluster (order_customer lives
	// on main only): the sharded branch runs first, the UNION on main.
	t.Run("UNION ALL with a table of the default cluster", func(t *testing.T) {
		want := append(testenv.Strings(t, testenv.Conn(t, singleBlog), "SELECT customer_id FROM orders WHERE items > 6"),
			testenv.Strings(t, testenv.Conn(t, direct["main"]), "SELECT customer_id FROM blog.order_customer WHERE customer_id < 50")...)
		got := testenv.Strings(t, testenv.Conn(t, db), "SELECT customer_id FROM orders WHERE items > 6 UNION ALL SELECT customer_id FROM order_customer WHERE customer_id < 50 ORDER BY 1")
		slices.SortFunc(want, func(a, b string) int { return cmp.Compare(atoi(t, a), atoi(t, b)) })
		if len(want) < 3 || !slices.Equal(got, want) {
			t.Fatalf("through Strata %q, want %q", got, want)
		}
	})
}

// strataMetrics is the shared Strata's /metrics page.
func strataMetrics(t *testing.T) string {
	t.Helper()
	return testenv.GetText(t, "http://"+strataAdmin+"/metrics")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// An ORM's eager load with a limit (Sequelize's findAll with include and
// limit, and its kind): the parent rows are a derived table with its own
// LIMIT, and the child table is LEFT JOINed to it. The derived table runs
// first over the shards; its rows, now literals in the statement, are read
// first too and narrow the child's read to the rows (and shards) their
// keys name; the join then runs on one server. It was refused (1235, "the
// inner side of an outer join not joined on its shard key"), because every
// shard would have returned each parent row.
func TestEagerLoadsWithALimitMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	const sequelize = "SELECT `e`.*, `l`.`id` AS `likes.id`, `l`.`user_id` AS `likes.user_id` FROM (SELECT `e`.`id`, `e`.`title`, `e`.`score` FROM `entries` AS `e` WHERE `e`.`status` = 'live' ORDER BY `e`.`id` LIMIT %s) AS `e` LEFT OUTER JOIN `entry_likes` AS `l` ON `e`.`id` = `l`.`entry_id` ORDER BY `e`.`id`, `l`.`id`"
	sameAsOneServerCases(t, db, []oneServerCase{
		{"Sequelize's include with a limit", fmt.Sprintf(sequelize, "0, 10"), 10, nil},
		{"prepared, the limit bound", fmt.Sprintf(sequelize, "?, ?"), 10, []any{5, 10}},
		{"a child sharded another way", "SELECT e.user_id, c.id, c.votes FROM (SELECT user_id FROM entries ORDER BY id LIMIT 3) e LEFT JOIN comments c ON c.entry_id = e.user_id ORDER BY e.user_id, c.id", 10, nil},
		{"counted per parent", "SELECT e.id, COUNT(l.id) FROM (SELECT id FROM entries ORDER BY id DESC LIMIT 8) e LEFT JOIN entry_likes l ON l.entry_id = e.id AND l.weight > 2 GROUP BY e.id ORDER BY e.id", 8, nil},
		{"RIGHT JOIN", "SELECT e.id, l.id FROM (SELECT id FROM entries ORDER BY id LIMIT 3) e RIGHT JOIN entry_likes l ON l.entry_id = e.id WHERE l.id < 40 ORDER BY l.id", 30, nil},
	})
	// Under limits.max_pulled_rows 5 the child's read must be narrowed
	// by the parents' keys: all of entry_likes would be refused.
	t.Run("the child's read is narrowed by the parents' keys", func(t *testing.T) {
		smallPull.start(t, smallPullAddr, smallPullAdmin, "limits: {max_pulled_rows: 5}\n")
		const q = "SELECT e.id, l.id, l.weight FROM (SELECT id FROM entries ORDER BY id DESC LIMIT 3) e LEFT JOIN entry_likes l ON l.entry_id = e.id ORDER BY e.id, l.id"
		want := testenv.Strings(t, testenv.Conn(t, singleBlog), q)
		if got := testenv.Strings(t, testenv.Conn(t, openStrata(t, smallPullAddr)), q); len(want) < 3 || !slices.Equal(got, want) {
			t.Errorf("through Strata with limits.max_pulled_rows 5:\n got %q\nwant %q", got, want)
		}
	})
}

// A derived table over the shards holds at most 10,000 rows (they go into
// the statement's text); a bigger one is refused with the reason.
func TestDerivedTablesOverShardsRefusals(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	_, err := runQuery(ctx, db, "SELECT MAX(id) FROM (SELECT a.id FROM comments a JOIN comments b ON a.entry_id = b.entry_id JOIN comments c ON c.entry_id = a.entry_id) t")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "more than 10000 rows") {
		t.Errorf("a derived table of too many rows: %v, want error 1235 naming the limit", err)
	}
}

// A sharded table joined with rows of a table of the default cluster —
// written as a derived table or an IN subquery — runs that part on the
// default cluster first and reads the shards with its rows in place.
func TestRowsOfTheDefaultClusterJoinShardedTables(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	conn := testenv.Conn(t, db)
	shardOf := map[string]string{}
	for _, row := range testenv.Strings(t, testenv.Conn(t, direct["main"]), "SELECT customer_id, shard FROM blog.order_customer WHERE customer_id < 60") {
		cust, shard, _ := strings.Cut(row, "|")
		shardOf[cust] = shard
	}
	var want []string
	for _, row := range testenv.Strings(t, testenv.Conn(t, singleBlog), "SELECT id, customer_id FROM orders WHERE customer_id < 60 ORDER BY id") {
		_, cust, _ := strings.Cut(row, "|")
		want = append(want, row+"|"+shardOf[cust])
	}
	got := testenv.Strings(t, conn, "SELECT o.id, o.customer_id, oc.shard FROM orders o JOIN (SELECT customer_id, shard FROM order_customer WHERE customer_id < 60) oc ON oc.customer_id = o.customer_id ORDER BY o.id")
	if len(want) < 3 || !slices.Equal(got, want) {
		t.Errorf("orders joined with a derived table of order_customer:\n got %q\nwant %q", got, want)
	}
	onS1 := testenv.Strings(t, testenv.Conn(t, direct["s1"]), "SELECT COUNT(*) FROM blog.orders")
	got = testenv.Strings(t, conn, "SELECT COUNT(*) FROM orders WHERE customer_id IN (SELECT customer_id FROM order_customer WHERE shard = 's1')")
	if !slices.Equal(got, onS1) || onS1[0] == "0" {
		t.Errorf("orders of the customers on s1: %q, s1 holds %q", got, onS1)
	}
	// The plain join too: Strata reads the orders first, then the
	// order_customer rows of their customers.
	got = testenv.Strings(t, conn, "SELECT o.id, o.customer_id, oc.shard FROM orders o JOIN order_customer oc ON oc.customer_id = o.customer_id WHERE o.customer_id < 60 ORDER BY o.id")
	if !slices.Equal(got, want) {
		t.Errorf("orders joined with order_customer:\n got %q\nwant %q", got, want)
	}
}

// A join of tables sharded differently (members by username, comments by
// entry_id) reads each table's usable rows first — its own conditions
// pushed down, then narrowed by the join keys read — and joins them on
// one server, with an outer join, grouping and ordering as one server.
func TestJoinsOfTablesShardedApartMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	sameAsOneServerCases(t, db, []oneServerCase{
		{"inner join narrowed by the first table's keys", "SELECT m.username, c.id, c.votes FROM members m JOIN comments c ON c.author = m.nick WHERE m.karma = 5 AND m.age > 60 ORDER BY m.username, c.id", 3, nil},
		{"LEFT JOIN, grouped", "SELECT m.username, COUNT(c.id), MAX(c.votes) FROM members m LEFT JOIN comments c ON c.author = m.nick AND c.votes > 5 WHERE m.karma = 5 AND m.age > 60 GROUP BY m.username ORDER BY m.username", 3, nil},
		{"the comments side filtered", "SELECT c.entry_id, m.username FROM comments c JOIN members m ON m.nick = c.author WHERE c.entry_id = 7 ORDER BY c.id, m.username", 1, nil},
		{"prepared", "SELECT COUNT(*), SUM(c.votes) FROM comments c JOIN members m ON m.nick = c.author WHERE c.entry_id < ? AND m.age > ?", 1, []any{50, 30}},
		{"RIGHT JOIN, the ON filtering the inner side only", "SELECT m.username, c.id FROM comments c RIGHT JOIN members m ON c.author = m.nick AND c.votes > 9 AND m.age < 0 WHERE m.karma = 5 AND m.age > 60 ORDER BY m.username, c.id", 3, nil},
		{"three tables, each narrowed by the one before", "SELECT m.username, c.id, e.id FROM members m JOIN comments c ON c.author = m.nick JOIN entries e ON e.user_id = c.entry_id WHERE m.karma = 5 AND m.age > 60 AND e.score > 20 ORDER BY m.username, c.id, e.id", 3, nil},
		{"an outer join not on the inner side's shard key", "SELECT e.id, COUNT(c.id), MIN(c.votes) FROM entries e LEFT JOIN comments c ON c.entry_id = e.user_id WHERE e.score > 35 GROUP BY e.id ORDER BY e.id", 3, nil},
		{"USING, not on the shard keys", "SELECT user_id, e.id, l.id FROM entries e JOIN entry_likes l USING (user_id) WHERE e.score > 35 AND l.weight > 3 ORDER BY user_id, e.id, l.id", 3, nil},
		{"LEFT JOIN ... USING: SELECT * shows the column once", "SELECT * FROM entries e LEFT JOIN entry_likes l USING (user_id) WHERE e.score > 38 ORDER BY e.id, l.id", 1, nil},
		{"NATURAL JOIN (id and user_id)", "SELECT COUNT(*), MIN(e.title) FROM entries e NATURAL JOIN entry_likes l WHERE e.score > 10", 1, nil},
		{"a co-sharded join grouped by another column", "SELECT e.status, GROUP_CONCAT(DISTINCT l.weight ORDER BY l.weight) FROM entries e JOIN entry_likes l ON l.entry_id = e.id WHERE e.score > 30 GROUP BY e.status ORDER BY e.status", 2, nil},
	})
	// Neither table narrowed by a condition of its own: the first read
	// whole, the second by its keys.
	sameAsOneServer(t, db, 1, "SELECT COUNT(*), COUNT(DISTINCT m.username) FROM comments c JOIN members m ON m.nick = c.author")
}

// A table Strata reads first is read with every condition of the WHERE
// that is its own, each kept whole: an OR inside one stays inside it, so
// the read of audit (scatter: deny) below still names its key.
func TestReadsFirstKeepEachConditionWhole(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	sameAsOneServer(t, db, 1, "SELECT id, COUNT(*) OVER () AS n FROM audit WHERE id = 150 AND (at < '2030-01-01' OR actor <= 'zzz' OR at IS NULL)")
}

// EXPLAIN STRATA of a statement whose table's read is refused too (a
// window over audit, scatter: deny, without its key) answers the refusal;
// it once took the read apart again without end and overflowed the stack,
// which ends the whole process.
func TestExplainOfARefusedReadEnds(t *testing.T) {
	conn := testenv.Conn(t, strataDB(t))
	_, err := conn.QueryContext(testenv.Ctx(t), "EXPLAIN STRATA SELECT id, COUNT(*) OVER () FROM audit WHERE actor = 'x'")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "audit") {
		t.Fatalf("EXPLAIN STRATA of a window over audit without its key: %v; want Strata's refusal 1235", err)
	}
	if got := testenv.Strings(t, conn, "SELECT 1"); len(got) != 1 {
		t.Fatalf("the session after the EXPLAIN: %q", got)
	}
}
