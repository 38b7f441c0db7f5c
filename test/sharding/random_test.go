package sharding

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// ORDER BY RAND() [LIMIT n] over shards ("a random post") runs on the
// shards, each sorting its rows by the random value it sends, and Strata
// merges by that value: every row is as likely to come first as on one
// server. Before, Strata read every row (at most limits.max_pulled_rows)
// and sorted them on one server.
func TestRandomOrderOverShards(t *testing.T) {
	db := strataDB(t)
	events := ds.tables["events"]
	q := "SELECT id FROM events ORDER BY RAND() LIMIT 1"
	plan := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA "+q), "\n")
	if strings.Contains(plan, "reads each table's rows") || !strings.Contains(plan, "RAND() AS `strata_h0`") {
		t.Fatalf("not merged from the shards' own random order:\n%s", plan)
	}
	// Each shard's share of the picks follows its share of the rows.
	perShard := map[string]int{}
	for _, r := range events.rows {
		perShard[events.ownerOfKey(r[0])]++
	}
	const draws = 300
	picked := map[string]int{}
	for range draws {
		got := testenv.Strings(t, db, q)
		if len(got) != 1 {
			t.Fatalf("%s: %q", q, got)
		}
		picked[events.ownerOfKey(got[0])]++
	}
	for s, n := range perShard {
		want := float64(draws*n) / float64(len(events.rows))
		if got := float64(picked[s]); got < 0.6*want || got > 1.4*want {
			t.Errorf("shard %s holds %d of %d rows but gave %v of %d random picks, want about %.0f", s, n, len(events.rows), got, draws, want)
		}
	}
	// LIMIT n: n different rows; without LIMIT: every matching row once.
	three := testenv.Strings(t, db, "SELECT id FROM events ORDER BY RAND() LIMIT 3")
	if slices.Sort(three); len(slices.Compact(three)) != 3 {
		t.Fatalf("ORDER BY RAND() LIMIT 3: %q", three)
	}
	q = "SELECT id, kind FROM events WHERE qty = 2 ORDER BY RAND()"
	got, want := testenv.Strings(t, db, q), testenv.Strings(t, singleBlog, q)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) < 10 {
		t.Fatalf("%s: %d rows, single server %d, or other rows", q, len(got), len(want))
	}
	// Two shuffles differ (the chance they match is nil for this many rows).
	if a, b := testenv.Strings(t, db, q), testenv.Strings(t, db, q); slices.Equal(a, b) {
		t.Fatalf("%s: two runs gave the same order of %d rows", q, len(a))
	}
	// A seeded RAND(n) is one server's sequence: read from pulled rows.
	plan = strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA SELECT id FROM events ORDER BY RAND(7) LIMIT 2"), "\n")
	if !strings.Contains(plan, "reads each table's rows") {
		t.Fatalf("ORDER BY RAND(7) merged from shards:\n%s", plan)
	}
}

// RAND(n) with a seed is one sequence over a statement's rows, in the
// order the server reads them: an application shuffles a list the same
// way on every page (ORDER BY RAND(@seed) LIMIT 20 OFFSET 40) or samples
// rows reproducibly. Before, a statement over several shards ran on each
// with the sequence started again: a RAND(1) column repeated each value
// on four shards, WHERE RAND(1) < 0.5 picked other rows, and ORDER BY
// RAND(1) came out in another order from run to run. Now such a read is
// answered from the table's rows, read in primary key order (the order
// one server reads them in), and a write over several shards is refused.
func TestSeededRandIsOneSequenceOverShards(t *testing.T) {
	got, want := learnedModTable(t, "seeded_rand", "id INT NOT NULL PRIMARY KEY, u INT NULL, n INT NULL")
	ctx := testenv.Ctx(t)
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "DELETE FROM seeded_rand")
		mustExec(t, c, "INSERT INTO seeded_rand (id, u, n) VALUES (1,1,1),(2,1,2),(3,2,3),(4,2,4),(5,3,5),(6,3,6),(7,1,7),(8,4,8),(9,5,1),(10,5,2),(11,6,3),(12,2,9)")
	}
	// Each table's rows are read in primary key order.
	if plan := strings.Join(testenv.Strings(t, got, "EXPLAIN STRATA SELECT id FROM seeded_rand ORDER BY RAND(1)"), "\n"); !strings.Contains(plan, "ORDER BY `seeded_rand`.`id`") {
		t.Errorf("the rows of seeded_rand are not read in primary key order:\n%s", plan)
	}
	for round := 0; round < 2; round++ { // the same answer each time
		sameRows(t, got, want,
			"SELECT id FROM seeded_rand ORDER BY RAND(1)",
			"SELECT id FROM seeded_rand ORDER BY RAND(5) LIMIT 4 OFFSET 4",
			"SELECT id, ROUND(RAND(1), 9) FROM seeded_rand ORDER BY id",
			"SELECT id FROM seeded_rand WHERE RAND(1) < 0.5 ORDER BY id",
			"SELECT id FROM seeded_rand WHERE u = 1 ORDER BY RAND(3) LIMIT 2",
			"SELECT u, MAX(RAND(2)) FROM seeded_rand GROUP BY u ORDER BY u")
	}
	// One shard: its server's sequence over its rows is one server's.
	for _, q := range []string{"UPDATE seeded_rand SET n = FLOOR(RAND(4) * 1000) WHERE id = 3", "SELECT id, RAND(9) FROM seeded_rand WHERE id = 7"} {
		_, gotErr := got.ExecContext(ctx, q)
		_, wantErr := want.ExecContext(ctx, q)
		if gotErr != nil || wantErr != nil {
			t.Fatalf("%s: Strata %v, one server %v", q, gotErr, wantErr)
		}
	}
	sameRows(t, got, want, "SELECT CONCAT_WS(' ', id, u, n) FROM seeded_rand ORDER BY id")
	// A date table's rows, in period tables on several shards, come in
	// primary key order too. (SELECT *: one server reads the whole
	// table, where SELECT id reads the index on created_at, which holds
	// the ids in another order.)
	sameRows(t, strataDB(t), singleBlog, "SELECT * FROM posts ORDER BY RAND(1) LIMIT 5")
	// Several shards: each would write its own sequence's values.
	for _, q := range []string{"UPDATE seeded_rand SET n = FLOOR(RAND(4) * 1000)", "DELETE FROM seeded_rand WHERE id IN (1, 2) AND RAND(8) < 0.5"} {
		if _, err := got.ExecContext(ctx, q); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "RAND(n) with a seed") {
			t.Errorf("%s: %v, want 1235 naming RAND(n)", q, err)
		}
	}
}

// Strata reads a table's rows first in primary key order, merging the
// shards' rows by the key; a key of text in a collation Strata only
// approximates could not be merged (such a merge is refused), so there
// the rows come as they arrive, and the statement is still answered.
func TestRowsReadFirstOfATextKeyInAnApproximatedCollation(t *testing.T) {
	const name = "swedish_keys"
	got, want := learnedModTable(t, name, "id INT NOT NULL, name VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_swedish_ci NOT NULL, PRIMARY KEY (name)")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "DELETE FROM "+name)
		mustExec(t, c, "INSERT INTO "+name+" (id, name) VALUES (1, 'Åsa'), (2, 'Örjan'), (3, 'Zorn'), (4, 'Anna'), (5, 'Öland')")
	}
	q := "SELECT name FROM " + name + " ORDER BY RAND(1)"
	g, w := testenv.Strings(t, got, q), testenv.Strings(t, want, q)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s through Strata:\n%s\non one server:\n%s", q, strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// A derived table, a CTE, a UNION branch or an INSERT's SELECT over shards
// runs first, and its rows take the place of the query; one that leaves
// its order to the server now comes in primary key order, the order one
// server reads the table in. Before, the rows came as the shards'
// answers arrived: a LIMIT without ORDER BY kept other rows than one
// server (and others from run to run), an INSERT ... SELECT ... LIMIT
// copied other rows, and RAND(n) over a CTE drew in another order.
func TestRowsRunFirstComeInPrimaryKeyOrder(t *testing.T) {
	got, want := learnedModTable(t, "key_order", "id INT NOT NULL PRIMARY KEY, u INT NULL, n INT NULL")
	ctx := testenv.Ctx(t)
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "DELETE FROM key_order")
		mustExec(t, c, "INSERT INTO key_order (id, u, n) VALUES (1,1,1),(2,1,2),(3,2,3),(4,2,4),(5,3,5),(6,3,6),(7,1,7),(8,4,8),(9,5,1),(10,5,2),(11,6,3),(12,2,9)")
	}
	for round := 0; round < 2; round++ { // the same answer each time
		sameRows(t, got, want,
			"SELECT * FROM (SELECT id FROM key_order LIMIT 3) d",
			"SELECT * FROM (SELECT id FROM key_order WHERE u = 2 LIMIT 2) d",
			"WITH c AS (SELECT id, n FROM key_order) SELECT id FROM c ORDER BY RAND(6)",
			"(SELECT id FROM key_order LIMIT 2) UNION ALL (SELECT id FROM key_order WHERE u = 5 LIMIT 1)")
	}
	q := "INSERT INTO key_order (id, u, n) SELECT id + 100, u, n FROM key_order WHERE u < 3 LIMIT 3"
	for _, c := range []*sql.Conn{got, want} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sameRows(t, got, want, "SELECT id FROM key_order WHERE id > 100 ORDER BY id") // the rows it copied
}
