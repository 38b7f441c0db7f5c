package sharding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

// writeTable is a sharded table the write differential writes rows of,
// all inside region so the loaded data stays as it is.
type writeTable struct {
	name, region, cols string // cols: the columns compared, in order
	key                string
}

var writeTables = []writeTable{
	{name: "comments", key: "entry_id", region: "id BETWEEN 9400000 AND 9499999",
		cols: "id, entry_id, IFNULL(author, 'NULL'), body, IFNULL(votes, 'NULL')"},
	{name: "entries", key: "id", region: "id BETWEEN 9400000 AND 9499999",
		cols: "id, IFNULL(user_id, 'NULL'), IFNULL(title, 'NULL'), IFNULL(score, 'NULL'), status"},
	{name: "members", key: "username", region: "username LIKE '_wd%'",
		cols: "username, IFNULL(country, 'NULL'), IFNULL(age, 'NULL')"},
}

// writeGen makes random writes over few keys and ids, so that statements
// collide: duplicate keys, rows that move and move back, updates of rows
// another statement deleted. A comment's id is new in each INSERT, as a
// sequence gives it: comments are sharded by entry_id, and MariaDB can
// only keep an id unique on each shard (docs/sharding.md, sequences).
type writeGen struct {
	r           *rand.Rand
	nextComment *int
	moves       bool // UPDATEs may set the shard key (transactions.mode twopc)
}

// keyUpdate reports whether the next UPDATE sets the shard key.
func (g writeGen) keyUpdate() bool { return g.moves && g.r.IntN(2) == 0 }

func (g writeGen) id() int { return 9400000 + g.r.IntN(40) }

func (g writeGen) newComment() int {
	*g.nextComment++
	return *g.nextComment
}

func (g writeGen) commentID() int  { return 9400001 + g.r.IntN(max(1, *g.nextComment-9400000)) }
func (g writeGen) commentKey() int { return 9400000 + g.r.IntN(12) }
func (g writeGen) username() string {
	return fmt.Sprintf("'%cwd%d'", "ahow"[g.r.IntN(4)], g.r.IntN(6)) // one of each key range of members
}

func (g writeGen) statement() string {
	switch g.r.IntN(3) {
	case 0:
		return g.comments()
	case 1:
		return g.entries()
	}
	return g.members()
}

// lockingRead locks comments by primary key, as an ORM does in a
// transaction before it saves them (comments are sharded by entry_id).
func (g writeGen) lockingRead() string {
	ids := strconv.Itoa(g.commentID())
	if g.r.IntN(3) == 0 {
		ids += ", " + strconv.Itoa(g.commentID())
	}
	return "SELECT id, entry_id, votes FROM comments WHERE id IN (" + ids + ") ORDER BY id " + g.pick("FOR UPDATE", "LOCK IN SHARE MODE")
}

func (g writeGen) comments() string {
	const region = " AND id BETWEEN 9400000 AND 9499999"
	cond := func() string {
		switch g.r.IntN(3) {
		case 0:
			return fmt.Sprintf("entry_id = %d", g.commentKey())
		case 1:
			return fmt.Sprintf("id = %d", g.commentID())
		}
		lo := g.commentID()
		return fmt.Sprintf("id BETWEEN %d AND %d", lo, lo+g.r.IntN(8))
	}
	// entriesWhere is a set of entries the statement reads in a
	// subquery or an INSERT ... SELECT: another sharded table, sharded
	// another way.
	entriesWhere := func() string {
		return fmt.Sprintf("id BETWEEN 9400000 AND 9400039 AND score %s %d", g.pick(">", "<"), g.r.IntN(50))
	}
	switch g.r.IntN(4) {
	case 0, 1:
		if g.r.IntN(4) == 0 {
			// One new comment per entry read, with an id of its own.
			base := *g.nextComment + 1
			*g.nextComment += 40
			return fmt.Sprintf("INSERT INTO comments (id, entry_id, author, body, votes) SELECT %d + (id - 9400000), id, %s, CONCAT('s', IFNULL(title, '')), score FROM entries WHERE %s",
				base, g.pick("NULL", "'sel'"), entriesWhere())
		}
		var rows []string
		for range 1 + g.r.IntN(3) {
			// body is NOT NULL: a NULL is refused (1048) under a strict
			// sql_mode, stored as '' with a warning in a row of several
			// under a non-strict one. A DEFAULT beside it goes too.
			body := fmt.Sprintf("'b%d'", g.r.IntN(9))
			if g.r.IntN(6) == 0 {
				body = "NULL"
			}
			rows = append(rows, fmt.Sprintf("(%d, %d, %s, %s, %d)", g.newComment(), g.commentKey(), g.pick("NULL", "'ann'", "'bo'", "DEFAULT"), body, g.r.IntN(5)))
		}
		return "INSERT INTO comments (id, entry_id, author, body, votes) VALUES " + strings.Join(rows, ", ")
	case 2:
		if g.keyUpdate() {
			return fmt.Sprintf("UPDATE comments SET entry_id = %d, votes = votes * 2 WHERE %s%s", g.commentKey(), cond(), region)
		}
		if from, to := g.commentKey(), g.commentKey(); g.r.IntN(3) == 0 && ds.tables["comments"].ownerOfKey(fmt.Sprint(from)) == ds.tables["comments"].ownerOfKey(fmt.Sprint(to)) {
			// The key changes, the shard does not: runs without twopc too.
			return fmt.Sprintf("UPDATE comments SET entry_id = %d, votes = votes + 1 WHERE entry_id = %d%s", to, from, region)
		}
		if g.r.IntN(4) == 0 {
			return fmt.Sprintf("UPDATE comments SET votes = IFNULL(votes, 0) + 2 WHERE entry_id IN (SELECT id FROM entries WHERE %s)%s", entriesWhere(), region)
		}
		if g.r.IntN(5) == 0 {
			// Joined with entries, sharded another way, or set from a
			// correlated subquery over it: entries is read first, with
			// its own conditions.
			return g.pick(
				fmt.Sprintf("UPDATE comments c JOIN entries e ON e.id = c.entry_id SET c.votes = IFNULL(c.votes, 0) + e.score WHERE e.%s AND c.%s", entriesWhere(), region[5:]),
				fmt.Sprintf("UPDATE comments c SET c.votes = (SELECT COUNT(*) FROM entries e WHERE e.%s AND e.score > c.votes) WHERE c.entry_id = %d%s", entriesWhere(), g.commentKey(), region))
		}
		if g.r.IntN(3) == 0 {
			// The first rows by an order no shard holds: each shard's
			// candidates, merged.
			return fmt.Sprintf("UPDATE comments SET votes = IFNULL(votes, 0) + 3 WHERE author IS NOT NULL%s%s", region, g.topOrder())
		}
		return fmt.Sprintf("UPDATE comments SET votes = IFNULL(votes, 0) + 1, body = CONCAT(body, 'u') WHERE %s%s", cond(), region)
	}
	switch g.r.IntN(6) {
	case 5:
		// Comments whose entry has no user of some karma: entries and,
		// inside their subquery, users are read first.
		return fmt.Sprintf("DELETE FROM comments WHERE %sEXISTS (SELECT 1 FROM entries e WHERE e.id = comments.entry_id AND EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id AND u.karma > %d))%s",
			g.pick("", "NOT "), g.r.IntN(10), region)
	case 4:
		// The last comment of each busy entry: a derived table over the
		// shards joined to the table written.
		return fmt.Sprintf("DELETE c FROM comments c JOIN (SELECT entry_id, MAX(id) AS top FROM comments WHERE %s GROUP BY entry_id HAVING COUNT(*) > %d) m ON m.entry_id = c.entry_id AND m.top = c.id WHERE c.votes > %d",
			region[5:], 1+g.r.IntN(2), g.r.IntN(4))
	case 3:
		return fmt.Sprintf("DELETE FROM comments WHERE entry_id %sIN (SELECT id FROM entries WHERE %s)%s", g.pick("", "NOT "), entriesWhere(), region)
	case 0:
		return fmt.Sprintf("DELETE FROM comments WHERE entry_id IN (%d, %d, %d)%s", g.commentKey(), g.commentKey(), g.commentKey(), region)
	case 1:
		return fmt.Sprintf("DELETE FROM comments WHERE votes > %d%s%s", g.r.IntN(6), region, g.topOrder())
	}
	return fmt.Sprintf("DELETE FROM comments WHERE %s%s", cond(), region)
}

// topOrder is an ORDER BY of columns or expressions that ends with the
// primary key (so one server's rows are the only right ones) and a LIMIT.
func (g writeGen) topOrder() string {
	return fmt.Sprintf(" ORDER BY %s, id%s LIMIT %d", g.pick("author", "votes DESC", "body DESC", "author DESC, votes",
		"LOWER(author) DESC", "IFNULL(votes, 0) * 2", "CONCAT(body, author) DESC", "LENGTH(body), LEFT(author, 2)", "ABS(votes - 3) DESC"),
		g.pick("", " DESC"), 1+g.r.IntN(6))
}

func (g writeGen) entries() string {
	row := func() string {
		return fmt.Sprintf("(%d, %d, 't%d', %d, 'draft')", g.id(), g.r.IntN(5), g.r.IntN(9), g.r.IntN(50))
	}
	rows := func() string {
		out := []string{row()}
		for g.r.IntN(2) == 0 {
			out = append(out, row())
		}
		return strings.Join(out, ", ")
	}
	switch g.r.IntN(4) {
	case 0:
		insert := g.pick("INSERT", "INSERT IGNORE", "REPLACE")
		return insert + " INTO entries (id, user_id, title, score, status) VALUES " + rows()
	case 2:
		return "INSERT INTO entries (id, user_id, title, score, status) VALUES " + rows() +
			g.pick(" ON DUPLICATE KEY UPDATE score = score + VALUES(score)", " ON DUPLICATE KEY UPDATE status = 'again'", " ON DUPLICATE KEY UPDATE title = title",
				// An ORM's upsert sets every column from the row, the shard key too.
				" ON DUPLICATE KEY UPDATE id = VALUES(id), title = VALUES(title), score = VALUES(score)")
	case 1:
		switch {
		case g.r.IntN(5) == 0:
			// Joined with users, a table group on another cluster, or
			// with the comments counted per entry (a derived table over
			// shards): read first.
			return g.pick(
				fmt.Sprintf("UPDATE entries e JOIN users u ON u.id = e.user_id SET e.score = e.score + u.karma, e.status = 'karma' WHERE u.karma %s %d AND e.id BETWEEN 9400000 AND 9499999", g.pick(">", "<"), g.r.IntN(10)),
				fmt.Sprintf("UPDATE entries e LEFT JOIN users u ON u.id = e.user_id AND u.karma > %d SET e.status = 'nokarma' WHERE u.id IS NULL AND e.id BETWEEN 9400000 AND 9499999", g.r.IntN(10)),
				"UPDATE entries e JOIN (SELECT entry_id, COUNT(*) AS n FROM comments WHERE id BETWEEN 9400000 AND 9499999 GROUP BY entry_id) c ON c.entry_id = e.id SET e.score = c.n, e.status = 'counted'")
		case g.r.IntN(4) == 0:
			// The entries some comments are on: read from comments first.
			return fmt.Sprintf("UPDATE entries SET score = score + 1, status = 'commented' WHERE id IN (SELECT entry_id FROM comments WHERE votes > %d AND id BETWEEN 9400000 AND 9499999)", g.r.IntN(6))
		case !g.keyUpdate():
			return fmt.Sprintf("UPDATE entries SET score = score + 1, status = 'seen' WHERE id IN (%d, %d)", g.id(), g.id())
		case g.r.IntN(2) == 0:
			return fmt.Sprintf("UPDATE entries SET id = %d, score = score + 1, status = 'moved' WHERE id = %d", g.id(), g.id())
		}
		return fmt.Sprintf("UPDATE entries SET id = %d WHERE id IN (%d, %d)", g.id(), g.id(), g.id())
	}
	if g.r.IntN(5) == 0 {
		// Joined with users, or their orphans (user 0 does not exist).
		return g.pick(
			fmt.Sprintf("DELETE e FROM entries e JOIN users u ON u.id = e.user_id WHERE u.karma = %d AND e.id BETWEEN 9400000 AND 9499999", g.r.IntN(10)),
			fmt.Sprintf("DELETE FROM entries WHERE id BETWEEN 9400000 AND 9499999 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = entries.user_id AND u.karma > %d)", g.r.IntN(10)),
			"UPDATE entries e SET e.title = (SELECT u.name FROM users u WHERE u.id = e.user_id), e.status = 'named' WHERE e.id BETWEEN 9400000 AND 9499999",
			// A subquery inside a correlated one: the IN over users runs
			// first, comments (sharded another way) are read first.
			fmt.Sprintf("UPDATE entries e SET e.score = (SELECT COUNT(*) FROM comments c WHERE c.entry_id = e.id AND c.votes IN (SELECT karma FROM users WHERE id < %d)), e.status = 'nested' WHERE e.id BETWEEN 9400000 AND 9499999", 2+g.r.IntN(20)))
	}
	return fmt.Sprintf("DELETE FROM entries WHERE id IN (%d, %d, %d)", g.id(), g.id(), g.id())
}

func (g writeGen) members() string {
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("%s INTO members (username, country, age) VALUES (%s, %s, %d), (%s, %s, %d)", g.pick("INSERT", "INSERT IGNORE", "REPLACE"),
			g.username(), g.pick("'fr'", "'de'", "NULL"), g.r.IntN(90), g.username(), g.pick("'fr'", "'de'", "NULL"), g.r.IntN(90))
	case 1:
		switch {
		case !g.keyUpdate():
			return fmt.Sprintf("UPDATE members SET age = age + 1 WHERE country = %s AND username LIKE '_wd%%'", g.pick("'fr'", "'de'"))
		case g.r.IntN(2) == 0:
			return fmt.Sprintf("UPDATE members SET username = %s, age = age + 1 WHERE username = %s", g.username(), g.username())
		}
		return fmt.Sprintf("UPDATE members SET username = %s WHERE country = %s AND username LIKE '_wd%%'", g.username(), g.pick("'fr'", "'de'"))
	}
	return fmt.Sprintf("DELETE FROM members WHERE username = %s", g.username())
}

func (g writeGen) pick(vals ...string) string { return vals[g.r.IntN(len(vals))] }

// Random writes to sharded tables give the same answers as one MariaDB
// holding all the rows: the same error code or the same affected rows for
// every statement, then the same rows, each on its owner shard only. With
// transactions.mode twopc they include UPDATEs that move rows between
// shards, and some run in transactions of 2-6 statements that read their
// own writes after each and end in COMMIT or ROLLBACK; in the default
// mode writes split over shards and scatter.
// Statements collide on purpose: duplicate keys in multi-row INSERTs split
// over shards and in moves, moves onto a row of the same key, updates of
// rows gone. Seeded: STRATA_DIFF_SEED and STRATA_DIFF_QUERIES
// (statements) repeat a run.
func TestWriteDifferential(t *testing.T) {
	seed, n := diffParams(t, 300)
	t.Run("twopc", func(t *testing.T) { writeDifferential(t, twoPCDB(t), twoPCAdmin, seed, n, true) })
	t.Run("default", func(t *testing.T) { writeDifferential(t, strataDB(t), strataAdmin, seed, n, false) })
}

// execer is a *sql.DB or a *sql.Conn.
type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	PrepareContext(context.Context, string) (*sql.Stmt, error)
}

// execIn runs q as text, or prepared (COM_STMT_PREPARE, EXECUTE with
// args, CLOSE).
func execIn(ctx context.Context, e execer, q string, prepared bool, args ...any) (sql.Result, error) {
	if !prepared {
		return e.ExecContext(ctx, q)
	}
	st, err := e.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.ExecContext(ctx, args...)
}

func writeDifferential(t *testing.T, db *sql.DB, admin string, seed uint64, n int, moves bool) {
	prepared := os.Getenv("STRATA_DIFF_PREPARED") != ""
	bind := os.Getenv("STRATA_DIFF_PREPARED") == "args"
	t.Logf("seed %d, %d statements (STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d to repeat)", seed, n, seed, n)
	single := direct["single"]
	mustExec(t, single, "CREATE DATABASE IF NOT EXISTS wdiff")
	t.Cleanup(func() { single.Exec("DROP DATABASE wdiff") })
	for _, wt := range writeTables {
		mustExec(t, single, "DROP TABLE IF EXISTS wdiff."+wt.name)
		mustExec(t, single, "CREATE TABLE wdiff."+wt.name+" LIKE blog."+wt.name)
		cleanup(t, wt.name, wt.region)
	}
	// users, which writes join with and never change: the same rows.
	mustExec(t, single, "DROP TABLE IF EXISTS wdiff.users")
	mustExec(t, single, "CREATE TABLE wdiff.users LIKE blog.users")
	mustExec(t, single, "INSERT INTO wdiff.users SELECT * FROM blog.users")
	ctx := t.Context()
	want, err := single.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A failure inside a transaction leaves both sessions in it (a
	// closed *sql.Conn goes back to its pool): end them before the
	// cleanups delete the rows they lock, which would wait 50 s a shard.
	t.Cleanup(func() {
		want.ExecContext(context.Background(), "ROLLBACK")
		want.Close()
	})
	mustExec(t, want, "USE wdiff")
	// One session, as a transaction needs.
	got := testenv.Conn(t, db)
	// A pooled connection keeps the sql_mode the last run set (it sets
	// one now and then): both start from the servers'.
	mustExec(t, want, "SET SESSION sql_mode = DEFAULT")
	mustExec(t, got, "SET SESSION sql_mode = DEFAULT")
	t.Cleanup(func() { got.ExecContext(context.Background(), "ROLLBACK") })
	if cs := os.Getenv("STRATA_DIFF_CHARSET"); cs != "" {
		// Both sides write as a client of that character set.
		mustExec(t, want, "SET NAMES "+cs)
		mustExec(t, got, "SET NAMES "+cs)
	}
	g := writeGen{r: rand.New(rand.NewPCG(seed, 11)), nextComment: new(int), moves: moves}
	*g.nextComment = 9400000
	moved := movedRowsMetric(t, admin)
	errs := map[uint16]int{}
	boundStatements, txRefused, lockingReads := 0, 0, 0
	var txLog []string // the open transaction's statements, for a report
	inTx := func() string {
		if len(txLog) == 0 {
			return ""
		}
		return "\nin the transaction of:\n" + strings.Join(txLog, ";\n")
	}
	both := func(i int, q string, prepared bool) {
		t.Helper()
		var args []any
		if prepared && bind {
			// The values bound, where the server takes the form.
			if bound, values := parameterize(q); len(values) > 0 {
				if st, err := want.PrepareContext(ctx, bound); err == nil {
					st.Close()
					q, args = bound, values
					boundStatements++
				}
			}
		}
		gotRes, gotErr := execIn(ctx, got, q, prepared, args...)
		if !moves && len(txLog) > 0 && refusedInTx(gotErr) {
			// transactions.mode single: a statement that would take the
			// transaction to a second shard is refused, having changed
			// nothing (narrow.go), so one server does not run it either.
			txRefused++
			return
		}
		wantRes, wantErr := execIn(ctx, want, q, prepared, args...)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Fatalf("statement %d: %s %v: %s (repeat with STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d)%s", i, q, args, msg, seed, n, inTx())
		}
		var me *mysql.MySQLError
		if errors.As(wantErr, &me) {
			errs[me.Number]++
		}
	}
	// Some statements run in a transaction, which reads its own writes
	// and ends in a COMMIT or a ROLLBACK; a statement that fails inside
	// it is undone alone, as on one server. With twopc the transaction
	// goes over the shards; in the default mode it stays on the shards
	// its first write changed rows on, and what would take it further is
	// refused (refusedInTx).
	txLeft, txs := 0, map[string]int{}
	for i := range n {
		if txLeft == 0 && g.r.IntN(10) == 0 {
			begin := g.pick("BEGIN", "START TRANSACTION")
			both(i, begin, false)
			txLog, txLeft = []string{begin}, 2+g.r.IntN(5)
		}
		if g.r.IntN(25) == 0 {
			// A legacy application's sql_mode = '' now and then.
			both(i, g.pick("SET SESSION sql_mode = ''", "SET SESSION sql_mode = DEFAULT"), false)
		}
		if txLeft > 0 && g.r.IntN(3) == 0 {
			// The rows a locking read answers in the transaction are one
			// server's; refused, it locked nothing (narrowread.go).
			lr := g.lockingRead()
			var args []any
			if prepared && bind {
				// Its ids bound on the server (a binary-protocol answer).
				lr, args = parameterize(lr)
			}
			gotRows, err := tryStrings(got, lr, args...)
			switch {
			case !moves && refusedInTx(err):
				txRefused++
			case err != nil:
				t.Fatalf("statement %d: %s: %v%s", i, lr, err, inTx())
			default:
				lockingReads++
				if wantRows := testenv.Strings(t, want, lr, args...); !slices.Equal(gotRows, wantRows) {
					t.Fatalf("statement %d: %s %v reads\n%s\nthrough Strata, one server\n%s (repeat with STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d)%s",
						i, lr, args, strings.Join(gotRows, "\n"), strings.Join(wantRows, "\n"), seed, n, inTx())
				}
			}
			txLog = append(txLog, lr)
		}
		q := g.statement()
		both(i, q, prepared)
		if txLeft == 0 {
			continue
		}
		txLog = append(txLog, q)
		wt := writeTables[g.r.IntN(len(writeTables))]
		read := "SELECT " + wt.cols + " FROM " + wt.name + " WHERE " + wt.region + " ORDER BY 1"
		gotRows, err := tryStrings(got, read)
		if !moves && refusedInTx(err) {
			// A first write that changed rows on several shards: the
			// transaction may only end.
			gotRows, err = testenv.Strings(t, want, "SELECT "+wt.cols+" FROM "+wt.name+" ORDER BY 1"), nil
		}
		if err != nil {
			t.Fatalf("statement %d: reading %s inside a transaction: %v%s", i, wt.name, err, inTx())
		}
		wantRows := testenv.Strings(t, want, "SELECT "+wt.cols+" FROM "+wt.name+" ORDER BY 1")
		if !slices.Equal(gotRows, wantRows) {
			t.Fatalf("statement %d: inside a transaction %s reads\n%s\nthrough Strata, one server\n%s (repeat with STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d)%s",
				i, wt.name, strings.Join(gotRows, "\n"), strings.Join(wantRows, "\n"), seed, n, inTx())
		}
		if txLeft--; txLeft == 0 {
			end := g.pick("COMMIT", "ROLLBACK")
			both(i, end, false)
			txs[end]++
			txLog = nil
		}
	}
	if txLeft > 0 {
		both(n, "COMMIT", false)
	}
	t.Logf("transactions: %v; statements refused in them for a second shard: %d; locking reads answered in them: %d", txs, txRefused, lockingReads)
	total := 0
	for k, v := range movedRowsMetric(t, admin) {
		total += v - moved[k]
	}
	t.Logf("%d rows moved between shards; %d statements with bound values; errors by code, as one server gave them: %v", total, boundStatements, errs)
	for _, wt := range writeTables {
		got := testenv.Strings(t, db, "SELECT "+wt.cols+" FROM "+wt.name+" WHERE "+wt.region+" ORDER BY 1")
		exp := testenv.Strings(t, single, "SELECT "+wt.cols+" FROM wdiff."+wt.name+" ORDER BY 1")
		if !slices.Equal(got, exp) {
			t.Fatalf("%s after %d statements (seed %d):\nthrough Strata:\n%s\none server:\n%s", wt.name, n, seed, strings.Join(got, "\n"), strings.Join(exp, "\n"))
		}
		keys := testenv.Strings(t, single, "SELECT DISTINCT "+wt.key+" FROM wdiff."+wt.name)
		for _, k := range keys {
			lit := k
			if wt.key == "username" {
				lit = "'" + k + "'"
			}
			owner := ds.tables[wt.name].ownerOfKey(lit)
			if on := holders(t, wt.name, wt.region+" AND "+wt.key+" = "+lit); !slices.Equal(on, []string{owner}) {
				t.Errorf("%s rows with %s = %s are on %v, want only %s", wt.name, wt.key, lit, on, owner)
			}
		}
		t.Logf("%s: %d rows, %d keys", wt.name, len(got), len(keys))
	}
}

// refusedInTx reports whether err is Strata's refusal of a statement that
// would take a transaction to another shard (transactions.mode single).
func refusedInTx(err error) bool {
	return isMySQLError(err, 1235, "stays on one shard") || isMySQLError(err, 1235, "can only end now")
}

// tryStrings is testenv.Strings that returns the query's error.
func tryStrings(q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(context.Background(), query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return testenv.ResultStrings(rows)
}

// sameOutcome compares a statement's outcome through Strata with one
// server's: the same MariaDB error code, or the same affected rows.
func sameOutcome(got sql.Result, gotErr error, want sql.Result, wantErr error) string {
	var g, w *mysql.MySQLError
	switch {
	case gotErr == nil && wantErr == nil:
		gn, _ := got.RowsAffected()
		wn, _ := want.RowsAffected()
		if gn != wn {
			return fmt.Sprintf("%d rows affected through Strata, %d on one server", gn, wn)
		}
		return ""
	case errors.As(gotErr, &g) && errors.As(wantErr, &w) && g.Number == w.Number:
		return ""
	}
	return fmt.Sprintf("through Strata %v, on one server %v", gotErr, wantErr)
}
