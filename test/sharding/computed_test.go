package sharding

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

// Expressions over aggregates (reports' ratios, rounded averages,
// spreads, labels) cannot be merged by adding the shards' values. Strata
// merges the aggregates inside them and has MariaDB evaluate the rest, so
// the answer, its column types and its rounding are one server's — in the
// text protocol and in prepared statements' binary protocol alike, also
// when the order, a HAVING or a LIMIT depends on the expression.
func TestExpressionsOverAggregatesMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"top groups by a ratio", "SELECT kind, SUM(amount) / COUNT(*) AS per_event FROM events GROUP BY kind ORDER BY per_event DESC, kind LIMIT 3", nil},
		{"rounded average, no GROUP BY", "SELECT ROUND(AVG(amount), 2), MAX(qty) - MIN(qty), COUNT(*) * 2 + 1 FROM events", nil},
		{"a numeric group key inside", "SELECT qty, qty * COUNT(*) AS units, ROUND(SUM(amount) * 100 / NULLIF(SUM(qty), 0), 1) FROM events GROUP BY qty ORDER BY units DESC, qty", nil},
		{"a text group key inside", "SELECT status, CONCAT(UPPER(status), ': ', COUNT(*), ' entries') FROM entries GROUP BY status ORDER BY 2", nil},
		{"HAVING on the alias", "SELECT qty, SUM(amount) / COUNT(amount) AS per_event FROM events GROUP BY qty HAVING per_event > 26.5 ORDER BY qty", nil},
		{"ORDER BY the expression itself", "SELECT status, AVG(score) * 10 FROM entries GROUP BY status ORDER BY AVG(score) * 10", nil},
		// GROUP BY and ORDER BY one alias: no temporary table, so the
		// average inside keeps its digits (the differential's seed
		// 1796464179105896519 found it rounded: 248.7100 for 248.7069).
		{"GROUP BY and ORDER BY an alias beside a DISTINCT aggregate", "SELECT SUBSTRING_INDEX(status, ' ', 1) AS x1, COUNT(DISTINCT title), AVG(CEIL(rating)) * 100 FROM entries GROUP BY x1 ORDER BY x1", nil},
		{"dates inside", "SELECT kind, DATEDIFF(MAX(happened), MIN(happened)), DATE_FORMAT(MAX(happened), '%Y-%m') FROM events GROUP BY kind ORDER BY kind", nil},
		{"prepared, a bound value inside", "SELECT kind, ROUND(AVG(amount), ?) AS avg_amount, COUNT(*) > ? FROM events WHERE id >= ? GROUP BY kind ORDER BY avg_amount", []any{1, 300, 100}},
		{"prepared, no rows", "SELECT ROUND(AVG(amount), 2), IFNULL(MAX(qty), 0) FROM events WHERE id < ?", []any{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			minRows := 1
			if tt.args != nil {
				minRows = 0 // "prepared, no rows"
			}
			sameAsOneServer(t, db, minRows, tt.query, tt.args...)
		})
	}
}

// sameAsOneServer runs query through Strata and on the single server and
// wants the same columns, column types and rows, in the same order; the
// single server's answer must have at least minRows rows, so that the
// comparison means something.
func sameAsOneServer(t *testing.T, db querier, minRows int, query string, args ...any) {
	t.Helper()
	ctx := testenv.Ctx(t)
	got, gotTypes := runTyped(ctx, t, db, query, args...)
	want, wantTypes := runTyped(ctx, t, singleBlog, query, args...)
	if len(want.rows) < minRows {
		t.Fatalf("%s %v: %d rows on the single server; the test needs %d", query, args, len(want.rows), minRows)
	}
	if !slices.Equal(got.cols, want.cols) || !slices.EqualFunc(got.rows, want.rows, slices.Equal[[]string]) {
		t.Fatalf("%s %v\nStrata: %v %v\nsingle: %v %v", query, args, got.cols, got.rows, want.cols, want.rows)
	}
	if !slices.Equal(gotTypes, wantTypes) {
		t.Fatalf("%s: column types %v, the single server's %v", query, gotTypes, wantTypes)
	}
}

// oneServerCase is a statement whose answer through Strata must be the
// single server's: at least minRows rows there, a server-side prepared
// statement when args are set.
type oneServerCase struct {
	name    string
	query   string
	minRows int
	args    []any
}

// sameAsOneServerCases runs each case as a subtest (sameAsOneServer).
func sameAsOneServerCases(t *testing.T, db querier, cases []oneServerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sameAsOneServer(t, db, tc.minRows, tc.query, tc.args...)
		})
	}
}

// runTyped is runQueryArgs with each column's type name and scale.
func runTyped(ctx context.Context, t *testing.T, q querier, query string, args ...any) (*result, []string) {
	t.Helper()
	res, err := runQueryArgs(ctx, q, query, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return res, describeColumns(ctx, t, q, func(ct *sql.ColumnType) string {
		_, scale, _ := ct.DecimalSize()
		return ct.DatabaseTypeName() + "/" + strconv.FormatInt(scale, 10)
	}, query, args...)
}

// describeColumns runs query and describes each result column with
// describe.
func describeColumns(ctx context.Context, t *testing.T, q querier, describe func(*sql.ColumnType) string, query string, args ...any) []string {
	t.Helper()
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ct := range types {
		out = append(out, describe(ct))
	}
	for rows.Next() {
	}
	return out
}

// Grouped by the shard key, every group is whole on one shard: aggregates
// that cannot be merged from the shards' partials (GROUP_CONCAT, STDDEV,
// VARIANCE, BIT_OR) are answered by the shards as written and merged as
// plain rows, equal to one server's answer — ordered by the GROUP BY when
// the statement has no ORDER BY, as MariaDB orders grouped rows.
func TestAggregatesOfWholeGroupsMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"GROUP_CONCAT, STDDEV, BIT_OR per shard key", "SELECT entry_id, GROUP_CONCAT(id ORDER BY id) AS ids, STDDEV_POP(votes), BIT_OR(votes) FROM comments GROUP BY entry_id ORDER BY entry_id LIMIT 25", nil},
		{"no ORDER BY: the groups' order", "SELECT entry_id, GROUP_CONCAT(votes ORDER BY votes SEPARATOR ';') FROM comments WHERE votes > 2 GROUP BY entry_id", nil},
		{"co-sharded join, ordered by an aggregate", "SELECT e.id, GROUP_CONCAT(l.user_id ORDER BY l.user_id), VARIANCE(l.weight) FROM entries e JOIN entry_likes l ON e.id = l.entry_id GROUP BY e.id ORDER BY VARIANCE(l.weight) DESC, e.id LIMIT 10", nil},
		{"date shards read newest first, stopping at the LIMIT", "SELECT DATE(created_at), created_at, GROUP_CONCAT(id ORDER BY id), BIT_AND(views) FROM posts GROUP BY created_at ORDER BY created_at DESC LIMIT 6", nil},
		{"HAVING on a GROUP_CONCAT", "SELECT entry_id, COUNT(*), GROUP_CONCAT(DISTINCT votes ORDER BY votes) AS v FROM comments GROUP BY entry_id HAVING v LIKE '%1%' ORDER BY COUNT(*) DESC, entry_id LIMIT 5 OFFSET 3", nil},
		{"prepared", "SELECT entry_id, GROUP_CONCAT(id ORDER BY id DESC), BIT_XOR(votes) FROM comments WHERE votes >= ? GROUP BY entry_id HAVING COUNT(*) > ? ORDER BY entry_id DESC LIMIT ?", []any{1, 2, 15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { sameAsOneServer(t, db, 3, tt.query, tt.args...) })
	}
}

// Windows partitioned by the shard key have every partition on one shard:
// the shards compute ROW_NUMBER(), RANK() and running sums as one server,
// and Strata merges the rows.
func TestWindowsPartitionedByTheShardKeyMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	for _, q := range []string{
		"SELECT entry_id, id, ROW_NUMBER() OVER (PARTITION BY entry_id ORDER BY id) AS n FROM comments WHERE votes > 5 ORDER BY entry_id, n LIMIT 30",
		"SELECT entry_id, id, votes, SUM(votes) OVER (PARTITION BY entry_id ORDER BY id) AS running FROM comments ORDER BY running DESC, id LIMIT 25",
		"SELECT entry_id, id, RANK() OVER w AS r FROM comments WINDOW w AS (PARTITION BY entry_id ORDER BY votes DESC) ORDER BY entry_id, r, id LIMIT 20",
		"SELECT entry_id, COUNT(*) AS n, RANK() OVER (PARTITION BY entry_id ORDER BY COUNT(*)) FROM comments GROUP BY entry_id ORDER BY entry_id LIMIT 10",
	} {
		sameAsOneServer(t, db, 10, q)
	}
}

// What the shards' partial answers cannot make — a window over rows of
// several shards, WITH ROLLUP, GROUP_CONCAT of groups split between
// shards — Strata answers by reading the table's usable rows (WHERE
// pushed down) and running the statement over them on one server.
func TestStatementsTheShardsCannotAnswerRunOverTheirRows(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	for _, q := range []string{
		"SELECT id, votes, ROW_NUMBER() OVER (ORDER BY votes DESC, id) AS n FROM comments WHERE votes > 8 ORDER BY n LIMIT 40",
		"SELECT status, COUNT(*), SUM(score), MAX(rating) FROM entries WHERE score > 10 GROUP BY status WITH ROLLUP",
		"SELECT status, GROUP_CONCAT(id ORDER BY id) FROM entries WHERE score > 38 GROUP BY status ORDER BY status",
		"SELECT qty, COUNT(*), SUM(amount), MIN(happened) FROM events WHERE qty < 3 GROUP BY qty WITH ROLLUP",
	} {
		sameAsOneServer(t, db, 3, q)
	}
	res, err := runQuery(testenv.Ctx(t), db, "EXPLAIN STRATA SELECT status, COUNT(*) FROM entries WHERE score > 10 GROUP BY status WITH ROLLUP")
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for _, r := range res.rows {
		plan = append(plan, strings.Join(r, " "))
	}
	if text := strings.Join(plan, "\n"); !strings.Contains(text, "reads each table's rows first") || !strings.Contains(text, "WHERE `score`>10") {
		t.Errorf("EXPLAIN STRATA of a ROLLUP:\n%s", text)
	}
}

// SUM and AVG of a division (a net price from a gross one, a share per
// item) over shards are one server's to the last digit: the server keeps
// x / 7 with nine fraction digits and shows four, so each shard also sends
// its sum with every digit it kept, which Strata adds and rounds as the
// server shows it. Before, Strata added the shards' shown sums:
// SUM(user_id / 7) was 4972.2858 where one server says 4972.2857, and
// AVG(score / 7) 2.62462303 for 2.62462298.
func TestSumsOfDivisionsMatchOneServer(t *testing.T) {
	db := strataDB(t)
	sameAsOneServerCases(t, db, []oneServerCase{
		{"sums", "SELECT SUM(user_id / 3), SUM(user_id / 7), SUM(weight / 3), SUM(user_id / 4) FROM entry_likes", 1, nil},
		{"averages", "SELECT AVG(score / 7), AVG(rating / 3), AVG(score / 3 + 1) FROM entries", 1, nil},
		{"grouped, ordered and filtered by them", "SELECT status, SUM(score / 7) AS s, AVG(score / 7) FROM entries GROUP BY status HAVING SUM(score / 7) > 0 ORDER BY s DESC", 3, nil},
		{"prepared, a bound divisor", "SELECT kind, SUM(amount / ?), AVG(qty / ?) FROM events GROUP BY kind ORDER BY kind", 2, []any{7, 3}},
		// An expression over such a sum or average takes every digit the
		// server kept, not the ones it shows.
		{"expressions over them", "SELECT SUM(user_id / 7) * 7, ROUND(SUM(user_id / 7), 8), AVG(weight / 3) * 3, SUM(user_id / 3) - SUM(user_id / 7), AVG(user_id / 7) * 7 FROM entry_likes", 1, nil},
		{"expressions over them, grouped", "SELECT status, SUM(score / 7) * 7 AS s7, ROUND(AVG(score / 7), 12), SUM(rating / 3) * 3 FROM entries GROUP BY status ORDER BY status", 2, nil},
		{"expressions over sums of DECIMAL divisions", "SELECT kind, SUM(amount / 7) * 7, ROUND(SUM(amount / 3), 10), AVG(amount / 7) * 7 FROM events GROUP BY kind ORDER BY kind", 2, nil},
		{"expressions over them, prepared", "SELECT kind, SUM(amount / ?) * ?, ROUND(SUM(qty / ?), ?) FROM events GROUP BY kind ORDER BY kind", 2, []any{7, 7, 3, 9}},
		{"expressions over them, another div_precision_increment", "SET STATEMENT div_precision_increment = 7 FOR SELECT SUM(user_id / 7) * 7, ROUND(SUM(user_id / 3), 12), AVG(weight / 3) * 3 FROM entry_likes", 1, nil},
		{"expressions over them, no div_precision_increment", "SET STATEMENT div_precision_increment = 0 FOR SELECT SUM(user_id / 7) * 7, ROUND(SUM(user_id / 3), 12), AVG(weight / 3) * 3 FROM entry_likes", 1, nil},
	})
}

// Aggregates merged over the shards are described as one server describes
// them — type, length, decimals, flags, as the mariadb CLI's
// --column-type-info shows them — so a client that reads the column
// definitions (PDO's getColumnMeta, DecimalSize in Go) sees one server.
// AVG came with a length of 0 (DECIMAL(31,4) to Go's driver where the
// server says DECIMAL(14,4)). (Beside a COUNT(DISTINCT x) the shards group
// by x, and MariaDB describes a grouped query's columns a little
// differently — numbers without the BINARY flag, text with 0 decimals
// where it says 39 — which Strata passes on as the shards send them.)
// Text is shown only from a column without case variants: MAX over, or
// a group of, values a collation finds equal ('ZOE Zoe' and 'Zoe zóE',
// 'buy' and 'Buy') may show any of them.
func TestMergedAggregatesAreDescribedAsOneServer(t *testing.T) {
	shardedData(t)
	strataDB(t)
	for _, query := range []string{
		"SELECT COUNT(*), COUNT(title), SUM(score), AVG(score), MIN(score), MAX(status), SUM(rating), AVG(rating), MAX(published) FROM entries",
		"SELECT status, COUNT(*), SUM(score), AVG(score), AVG(rating), BIT_OR(score) FROM entries GROUP BY status ORDER BY status",
		"SELECT qty, SUM(amount), AVG(amount), AVG(qty), AVG(id) FROM events GROUP BY qty ORDER BY qty",
		// Expressions over aggregates, which the shards describe but
		// Strata evaluates.
		"SELECT COUNT(*) + 1, COUNT(*) / 2, MAX(score) - 3, SUM(score) / COUNT(*), ROUND(AVG(rating), 1), CONCAT(MAX(status), '!') FROM entries",
	} {
		show := func(addr, user, password string) string {
			host, port, _ := strings.Cut(addr, ":")
			out, errOut, err := runTool("mariadb", "-h", host, "-P", port, "-u", user, "--password="+password, "--skip-ssl",
				"--column-type-info", "-t", "blog", "-e", query)
			if err != nil {
				t.Fatalf("mariadb -e %q: %v: %s", query, err, errOut)
			}
			return out
		}
		if got, want := show(strataAddr, "app", "app"), show(clusterAddr["single"], "root", ""); got != want {
			t.Errorf("%s, as the mariadb CLI shows it\nthrough Strata:\n%s\none server:\n%s", query, got, want)
		}
	}
}

// Strata evaluates an expression over aggregates once, over the merged
// aggregates; the shards only describe its column. Over one shard's
// partial aggregates it could fail where the merged ones do not: MAX(a) - 3
// of an UNSIGNED a is out of range on a shard whose largest a is 2, and
// the statement got that shard's error 1690 where one server answers 6. A
// division by zero warns once, as on one server (before, once per shard),
// and an evaluation that is out of range is the statement's error 1690.
func TestExpressionsOverAggregatesAreEvaluatedOnceOverTheMergedValues(t *testing.T) {
	got, want := modTable(t, "u_rows", "id INT NOT NULL PRIMARY KEY, a INT UNSIGNED NULL")
	ctx := testenv.Ctx(t)
	// Shard s3 holds id 3 only, whose a is 2.
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "INSERT INTO u_rows (id, a) VALUES (1, 5), (2, 7), (3, 2), (4, 9), (5, NULL), (6, 1)")
	}
	for _, q := range []string{
		"SELECT MAX(a) - 3 FROM u_rows",
		"SELECT id % 2 AS p, MAX(a) - 5 AS m, COUNT(*) FROM u_rows GROUP BY p ORDER BY m DESC",
		"SELECT SUM(a) / 0, MAX(a) DIV 0, MAX(a) % 0 FROM u_rows",
		"SELECT id % 2 AS p, SUM(a) / 0 FROM u_rows GROUP BY p ORDER BY p",
		"SELECT MIN(a) - MAX(a) FROM u_rows", // out of range on one server too
	} {
		g, gerr := runQuery(ctx, got, q)
		gw := warnings(t, got)
		w, werr := runQuery(ctx, want, q)
		ww := warnings(t, want)
		switch {
		case werr != nil:
			var gm, wm *mysql.MySQLError
			if !errors.As(gerr, &gm) || !errors.As(werr, &wm) || gm.Number != wm.Number || gm.SQLState != wm.SQLState {
				t.Errorf("%s: through Strata %v, on one server %v", q, gerr, werr)
			}
			continue
		case gerr != nil:
			t.Errorf("%s: through Strata %v, on one server %v", q, gerr, w.rows)
			continue
		case !slices.EqualFunc(g.rows, w.rows, slices.Equal):
			t.Errorf("%s: through Strata %v, on one server %v", q, g.rows, w.rows)
		}
		if !slices.Equal(gw, ww) {
			t.Errorf("%s: warnings through Strata %v, on one server %v", q, gw, ww)
		}
	}
}

// A HAVING over shards is evaluated by Strata over the merged groups. It
// compares a DATE or DATETIME with a constant as MariaDB does, as a
// moment: before, MAX(dt) > 20240201 took the number the text starts with
// (2024) and kept no group, MAX(dt) = '2024-06-02 00:00:00.000' compared
// text and missed, and MAX(dt) > '2024-02-01' kept a group whose latest
// row was at that midnight. A constant Strata cannot read as MariaDB
// would ('2024-02') is refused, never compared otherwise.
func TestHavingComparesDatesAsOneServer(t *testing.T) {
	got, want := modTable(t, "h_rows", "id INT NOT NULL PRIMARY KEY, g INT, dt DATETIME NULL, dd DATE NULL, dt3 DATETIME(3) NULL")
	ctx := testenv.Ctx(t)
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "INSERT INTO h_rows (id, g, dt) VALUES (1, 1, '2024-01-01 10:00:00'), (2, 1, '2024-02-01'), (3, 2, NULL), (4, 2, '2023-12-31 23:59:59'), "+
			"(5, 3, '2024-06-01'), (6, 3, '2024-06-02'), (7, 1, '2024-01-01 10:00:00'), (8, 2, '2024-03-03')")
		mustExec(t, c, "UPDATE h_rows SET dd = DATE(dt), dt3 = dt + INTERVAL id * 100 MICROSECOND")
	}
	for _, q := range []string{
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dt) > 20240201 ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dt) = '2024-06-02 00:00:00.000' ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dt) > '2024-02-01' ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dt) BETWEEN '2024-01-01' AND '2024-03-03 00:00:00' ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dd) = '2024-06-02 00:00:00' ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dd) = '2024-06-02 10:00:00' ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dd) >= 20240303 ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dd) + 0 > 20240301 ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MAX(dt3) > '2024-06-02 00:00:00.0005' ORDER BY g",
		"SELECT g FROM h_rows GROUP BY g HAVING MIN(dt) < MAX(dd) ORDER BY g",
		// A count of distinct moments is a number.
		"SELECT g, COUNT(DISTINCT dt) AS n FROM h_rows GROUP BY g HAVING n >= 2 ORDER BY g",
	} {
		g, gerr := runQuery(ctx, got, q)
		w, werr := runQuery(ctx, want, q)
		if gerr != nil || werr != nil || !slices.EqualFunc(g.rows, w.rows, slices.Equal) {
			t.Errorf("%s: through Strata %v (%v), on one server %v (%v)", q, g, gerr, w, werr)
		}
	}
	_, err := runQuery(ctx, got, "SELECT g FROM h_rows GROUP BY g HAVING MAX(dt) > '2024-02' ORDER BY g")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "as a moment") {
		t.Errorf("HAVING MAX(dt) > '2024-02': %v, want 1235 saying Strata does not read it as a moment", err)
	}
}
