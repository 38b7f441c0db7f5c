package sharding

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// A transaction on one shard that writes two period tables there and reads
// them back through a merge sees its own uncommitted rows (every route ran
// on the transaction's connection), and ROLLBACK removes them all.
func TestTransactionSpansPeriodTablesOfOneShard(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	m1, m3 := times.months[0], times.months[2] // both months live on s0
	day := func(m time.Time) string { return m.AddDate(0, 0, 3).Format("2006-01-02 15:04:05") }
	defer cleanup(t, "posts", "id IN (9000001, 9000002)")
	count := "SELECT COUNT(*) FROM posts WHERE created_at >= '" + m1.Format(time.DateOnly) + "' AND created_at < '" + m3.Format(time.DateOnly) + "'"
	var before int
	if err := db.QueryRowContext(ctx, count).Scan(&before); err != nil {
		t.Fatal(err)
	}
	conn := testenv.Conn(t, db)
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO posts (id, created_at, title) VALUES (9000001, '"+day(m1)+"', 'tx a'), (9000002, '"+day(m1.AddDate(0, 1, 0))+"', 'tx b')")
	var inside, outside int
	if err := conn.QueryRowContext(ctx, count).Scan(&inside); err != nil {
		t.Fatalf("merge inside the transaction: %v", err)
	}
	if err := db.QueryRowContext(ctx, count).Scan(&outside); err != nil {
		t.Fatal(err)
	}
	if inside != before+2 || outside != before {
		t.Fatalf("inside the transaction %d rows, outside %d; want %d and %d", inside, outside, before+2, before)
	}
	mustExec(t, conn, "ROLLBACK")
	if got := holders(t, "posts_"+m1.Format("2006_01"), "id = 9000001"); len(got) != 0 {
		t.Fatalf("rolled back row is on %v", got)
	}
	if err := db.QueryRowContext(ctx, count).Scan(&outside); err != nil || outside != before {
		t.Fatalf("after ROLLBACK %d rows (%v), want %d", outside, err, before)
	}
}

// A transaction whose first write ran through a prepared statement (planned
// by its bound values, run by Strata) is not moved to another shard by the
// next statement: that statement is refused and the first write commits.
func TestTransactionKeepsItsFirstPreparedWrite(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	defer cleanup(t, "comments", "id IN (9000011, 9000012)")
	conn := testenv.Conn(t, db)
	mustExec(t, conn, "BEGIN")
	if _, err := conn.ExecContext(ctx, "INSERT INTO comments (id, entry_id, body) VALUES (?, ?, ?)", 9000011, 1, "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO comments (id, entry_id, body) VALUES (9000012, 2, 'second')"); err == nil {
		t.Fatal("a write to shard s2 in a transaction that wrote s1 was accepted")
	}
	mustExec(t, conn, "COMMIT")
	if got := holders(t, "comments", "id = 9000011"); !slices.Equal(got, []string{"s1"}) {
		t.Fatalf("the transaction's first write is on %v after COMMIT, want [s1]", got)
	}
	if got := holders(t, "comments", "id = 9000012"); len(got) != 0 {
		t.Fatalf("the refused write is on %v", got)
	}
}

// Reads may look at other shards inside a transaction (they see those
// shards' committed rows; the transaction's own shard answers through the
// transaction, uncommitted rows included), while writes and locking reads
// stay refused there — also after such a read.
func TestTransactionReadsOtherShards(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	defer cleanup(t, "comments", "id IN (9000021, 9000022)")
	var before int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM comments").Scan(&before); err != nil {
		t.Fatal(err)
	}
	conn := testenv.Conn(t, db)
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES (9000021, 1, 'in tx')") // s1
	var inside int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM comments").Scan(&inside); err != nil {
		t.Fatalf("scatter read inside the transaction: %v", err)
	}
	if inside != before+1 {
		t.Fatalf("scatter inside the transaction counts %d, want %d (its own row included)", inside, before+1)
	}
	var other int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM comments WHERE entry_id = 2").Scan(&other); err != nil {
		t.Fatalf("read of another shard inside the transaction: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT * FROM comments WHERE entry_id = 2 FOR UPDATE"); err == nil {
		t.Error("a locking read of another shard inside the transaction was accepted")
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO comments (id, entry_id, body) VALUES (9000022, 2, 'x')"); err == nil {
		t.Error("a write to another shard after reads was accepted: the transaction escaped its shard")
	}
	mustExec(t, conn, "UPDATE comments SET body = 'still in tx' WHERE entry_id = 1 AND id = 9000021")
	mustExec(t, conn, "ROLLBACK")
	if got := holders(t, "comments", "id IN (9000021, 9000022)"); len(got) != 0 {
		t.Fatalf("rows of the rolled back transaction are on %v", got)
	}
}

// A table no config places lives on the default cluster, even when a shard
// holds a table of the same name. Inside a transaction that moved to a
// shard, a write to it is refused (it would have run on the shard's
// connection, into the shard's table, before this was fixed) and a read
// of it reads the default cluster, outside the transaction; both in text
// and prepared.
func TestDefaultClusterTablesStayOnTheirClusterInAShardTransaction(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	for _, c := range append([]string{"main"}, shardNames...) {
		if _, err := direct[c].Exec("CREATE TABLE IF NOT EXISTS blog.tx_notes (id INT PRIMARY KEY, note VARCHAR(20))"); err != nil {
			t.Fatal(err)
		}
		if _, err := direct[c].Exec("REPLACE INTO blog.tx_notes VALUES (1, ?)", "on "+c); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { direct[c].Exec("DROP TABLE IF EXISTS blog.tx_notes") })
	}
	defer cleanup(t, "comments", "id = 9000031")
	conn := testenv.Conn(t, db)
	// On failure the transaction must end before the tables are dropped.
	t.Cleanup(func() { conn.ExecContext(context.Background(), "ROLLBACK") })
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO comments (id, entry_id, body) VALUES (9000031, 1, 'in tx')") // s1
	var note string
	if err := conn.QueryRowContext(ctx, "SELECT note FROM tx_notes WHERE id = 1").Scan(&note); err != nil || note != "on main" {
		t.Fatalf("read of a default-cluster table in a transaction on s1: %q, %v; want the row of main", note, err)
	}
	for _, insert := range []func() error{
		func() error { _, err := conn.ExecContext(ctx, "INSERT INTO tx_notes VALUES (2, 'text')"); return err },
		func() error {
			_, err := conn.ExecContext(ctx, "INSERT INTO tx_notes VALUES (?, ?)", 3, "prepared")
			return err
		},
	} {
		err := insert()
		if err == nil || !strings.Contains(err.Error(), "1235") || !strings.Contains(err.Error(), "needs main") {
			t.Errorf("write to a default-cluster table in a transaction on s1: %v; want error 1235 naming main", err)
		}
	}
	mustExec(t, conn, "COMMIT")
	for _, c := range append([]string{"main"}, shardNames...) {
		var n int
		if err := direct[c].QueryRow("SELECT COUNT(*) FROM blog.tx_notes").Scan(&n); err != nil || n != 1 {
			t.Errorf("%s holds %d tx_notes rows (%v), want its 1", c, n, err)
		}
	}
	if got := holders(t, "comments", "id = 9000031"); !slices.Equal(got, []string{"s1"}) {
		t.Fatalf("the transaction's own write is on %v, want [s1]", got)
	}
}

// sessionPair is one session through Strata and one on the single server,
// holding the same session state, so each query's answers compare.
type sessionPair struct{ strata, single *sql.Conn }

func newSessionPair(t *testing.T) sessionPair {
	return sessionPair{testenv.Conn(t, strataDB(t)), testenv.Conn(t, singleBlog)}
}

// exec runs a statement on both sessions.
func (p sessionPair) exec(t *testing.T, stmt string) {
	t.Helper()
	mustExec(t, p.strata, stmt)
	mustExec(t, p.single, stmt)
}

// same checks that each query (bound to args) answers through Strata as
// on the single server, text compared case-insensitively (a group of
// collation-equal values may show either); every query must find rows.
func (p sessionPair) same(t *testing.T, args []any, queries ...string) {
	t.Helper()
	for _, q := range queries {
		got, want := testenv.Strings(t, p.strata, q, args...), testenv.Strings(t, p.single, q, args...)
		if !slices.EqualFunc(got, want, strings.EqualFold) || len(want) == 0 {
			t.Errorf("%s %v: %q, single server %q", q, args, got, want)
		}
	}
}

// A statement on sharded tables that reads user variables the session
// set on the default cluster's connection gets their values written in,
// read where they live: WHERE id = @x routes as WHERE id = 1500, and
// answers as one server. State a statement cannot carry to the shards
// (a named lock) is refused with what holds the session there and what
// to do, not blamed on a transaction the session does not have.
func TestUserVariablesReachTheShards(t *testing.T) {
	p := newSessionPair(t)
	conn := p.strata
	p.exec(t, "SET @x = 1500, @k = 'buy', @amount = 10.5, @ratio = 0.5e0, @none = NULL, @raw = X'627579'")
	p.same(t, nil,
		"SELECT kind, amount FROM events WHERE id = @x",
		"SELECT COUNT(*) FROM events WHERE kind = @k",
		"SELECT COUNT(*), @k FROM events WHERE kind = @raw",
		"SELECT COUNT(*) FROM events WHERE amount > @amount",
		"SELECT id, qty * @ratio FROM events WHERE id < 30 ORDER BY id",
		"SELECT COUNT(*) FROM events WHERE id = @none",
		"SELECT COUNT(*) FROM events WHERE id = @never_set",
		"SELECT '@x', id FROM events WHERE id IN (@x, 5) ORDER BY id")
	// Its columns keep their names, the fields as written: PHP's
	// fetch(PDO::FETCH_ASSOC) keys "qty * @ratio". Before, the server
	// named them by the values Strata wrote in ("qty * 0.5e0").
	for _, q := range []string{
		"SELECT id, qty * @ratio, @k, @k AS k FROM events WHERE id = @x",
		"SELECT COUNT(*), MAX(qty) + @amount FROM events WHERE kind = @k",
	} {
		res, err := runQuery(testenv.Ctx(t), conn, q)
		one, oerr := runQuery(testenv.Ctx(t), p.single, q)
		if err != nil || oerr != nil || !slices.Equal(res.cols, one.cols) {
			t.Errorf("%s names its columns %v (%v), one server %v (%v)", q, res, err, one, oerr)
		}
	}
	// SET @v = (SELECT ... FROM a sharded table): the subquery runs over
	// the shards first, and the variable is kept where the others are.
	p.exec(t, "SET @n = (SELECT COUNT(*) FROM events WHERE qty = 2), @m = 7")
	p.exec(t, "SET @top = (SELECT id FROM events ORDER BY amount DESC, id LIMIT 1)")
	p.same(t, nil, "SELECT @n, @m, @top", "SELECT kind, amount FROM events WHERE id = @top")
	if _, err := conn.ExecContext(testenv.Ctx(t), "SET @many = (SELECT id FROM events)"); testenv.MySQLErr(err) != 1242 {
		t.Errorf("SET @many = (SELECT id FROM events): %v, want 1242 as one server", err)
	}
	// Prepared statements too: on one shard (prepared there) and over all.
	p.same(t, []any{-1},
		"SELECT kind, amount FROM events WHERE id = @x AND qty > ?",
		"SELECT COUNT(*) FROM events WHERE kind = @k AND qty > ?")
	plan := strings.Join(testenv.Strings(t, conn, "EXPLAIN STRATA SELECT kind FROM events WHERE id = 1500"), "\n")
	if !strings.Contains(plan, "s1") || strings.Contains(plan, "s0") {
		t.Fatalf("the literal routes to s1 only:\n%s", plan)
	}
	// A named lock cannot go to the shards: refused, naming it.
	mustExec(t, conn, "DO GET_LOCK('strata_test_lock', 0)")
	defer mustExec(t, conn, "DO RELEASE_LOCK('strata_test_lock')")
	_, err := conn.QueryContext(testenv.Ctx(t), "SELECT IS_USED_LOCK('strata_test_lock'), kind FROM events WHERE id = 1500")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "named locks") || strings.Contains(err.Error(), "transaction") {
		t.Fatalf("a sharded read of a lock held on another cluster: %v, want 1235 naming the named locks", err)
	}
}

// A transaction that begins while the session keeps user variables on
// its connection to the default cluster begins there; its first
// statement, a write of a shard, moves it to that shard, and the
// variables go with it (read from information_schema.USER_VARIABLES and
// set on the shard's connection), whether that statement is a write or a
// read. Before, the write was refused telling the client to add the
// shard key, which the statement had. State that
// cannot move (a temporary table) is named in the refusal instead.
func TestTransactionMovesWithTheSessionsUserVariables(t *testing.T) {
	db := modTableDB(t, "tx_vars", "id INT NOT NULL PRIMARY KEY, a INT, who VARCHAR(10)")
	got := testenv.Conn(t, db)
	ctx := testenv.Ctx(t)
	for _, q := range []string{
		"SET @x = 5, @who = 'ann', @big = 12345678901234567890, @f = 0.5e0, @none = NULL",
		"BEGIN",
		"SELECT COUNT(*) FROM tx_vars WHERE id = 1 FOR UPDATE", // moves it to s1
		"INSERT INTO tx_vars (id, a, who) VALUES (1, @x, @who)",
		"UPDATE tx_vars SET a = a + @x WHERE id = 1",
		"SET @x = @x + 1",
		"COMMIT",
	} {
		if _, err := got.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if rows := testenv.Strings(t, got, "SELECT id, a, who FROM tx_vars ORDER BY id"); !slices.Equal(rows, []string{"1|10|ann"}) {
		t.Errorf("rows after the transaction: %v, want [1|10|ann]", rows)
	}
	if vars := testenv.Strings(t, got, "SELECT @x, @who, @big, @f, @none"); !slices.Equal(vars, []string{"6|ann|12345678901234567890|0.5|NULL"}) {
		t.Errorf("the variables after the transaction moved: %v, want [6|ann|12345678901234567890|0.5|NULL]", vars)
	}
	// With autocommit off the first statement begins the transaction on
	// its shard; a LAST_INSERT_ID(expr) moves too; and the state comes
	// back to the default cluster for a statement there that uses it.
	for _, q := range []string{
		"SET autocommit = 0",
		"INSERT INTO tx_vars (id, a, who) VALUES (2, @x, 'ac0')",
		"COMMIT",
		"SET autocommit = 1",
		"SELECT LAST_INSERT_ID(42)",
		"BEGIN",
		"INSERT INTO tx_vars (id, a, who) VALUES (3, LAST_INSERT_ID(), 'lid')",
		"COMMIT",
		"CREATE TEMPORARY TABLE tx_tmp (x INT)",
		"INSERT INTO tx_tmp (x) VALUES (@x)",
	} {
		if _, err := got.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if rows := testenv.Strings(t, got, "SELECT id, a, who FROM tx_vars WHERE id > 1 ORDER BY id"); !slices.Equal(rows, []string{"2|6|ac0", "3|42|lid"}) {
		t.Errorf("rows of the later transactions: %v, want [2|6|ac0 3|42|lid]", rows)
	}
	if rows := testenv.Strings(t, got, "SELECT x, LAST_INSERT_ID() FROM tx_tmp"); !slices.Equal(rows, []string{"6|42"}) {
		t.Errorf("the temporary table on the default cluster and LAST_INSERT_ID(): %v, want [6|42]", rows)
	}

	// A temporary table cannot move with a transaction.
	other := testenv.Conn(t, db)
	mustExec(t, other, "CREATE TEMPORARY TABLE tx_tmp (x INT)")
	mustExec(t, other, "BEGIN")
	_, err := other.ExecContext(ctx, "INSERT INTO tx_vars (id, a) VALUES (2, 2)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "temporary tables") || strings.Contains(err.Error(), "add the shard key") {
		t.Errorf("a transaction's first write of a shard beside a temporary table: %v, want 1235 naming the temporary tables", err)
	}
	mustExec(t, other, "ROLLBACK")
}

// SET TRANSACTION (an ORM's isolation level, a read-only report) sets
// the next transaction on the session's connection to the default
// cluster, where BEGIN then starts it. Moving the transaction to the
// shard of its first statement replays the settings there: the
// transaction keeps its isolation level and read-only mode. Before, its
// first statement on a shard was refused.
func TestTransactionMovesWithItsSetTransactionSettings(t *testing.T) {
	db := modTableDB(t, "tx_iso", "id INT NOT NULL PRIMARY KEY, a INT")
	ctx := testenv.Ctx(t)
	writer := testenv.Conn(t, db)
	mustExec(t, writer, "DELETE FROM tx_iso")
	mustExec(t, writer, "INSERT INTO tx_iso (id, a) VALUES (1, 1), (2, 2)")

	// READ COMMITTED sees a change committed after its first read;
	// REPEATABLE READ (the server's default) does not.
	for _, c := range []struct {
		set  string
		want string
	}{
		{"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "11"},
		{"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "1"},
	} {
		mustExec(t, writer, "UPDATE tx_iso SET a = 1 WHERE id = 1")
		reader := testenv.Conn(t, db)
		mustExec(t, reader, c.set)
		mustExec(t, reader, "BEGIN")
		// The first read moves the transaction to the shard, and under
		// REPEATABLE READ takes its snapshot.
		testenv.Strings(t, reader, "SELECT a FROM tx_iso WHERE id = 1")
		mustExec(t, writer, "UPDATE tx_iso SET a = 11 WHERE id = 1")
		if got := testenv.Strings(t, reader, "SELECT a FROM tx_iso WHERE id = 1"); !slices.Equal(got, []string{c.want}) {
			t.Errorf("after %s, the transaction read %v once another session committed 11, want %s", c.set, got, c.want)
		}
		mustExec(t, reader, "COMMIT")
	}

	// A read-only transaction refuses its write on the shard, as one
	// server refuses it (1792).
	ro := testenv.Conn(t, db)
	mustExec(t, ro, "SET TRANSACTION READ ONLY")
	mustExec(t, ro, "BEGIN")
	if _, err := ro.ExecContext(ctx, "INSERT INTO tx_iso (id, a) VALUES (3, 3)"); testenv.MySQLErr(err) != 1792 {
		t.Errorf("a write in a READ ONLY transaction moved to its shard: %v, want 1792", err)
	}
	mustExec(t, ro, "ROLLBACK")
	// The settings were for that transaction only: the next one writes.
	mustExec(t, ro, "BEGIN")
	mustExec(t, ro, "INSERT INTO tx_iso (id, a) VALUES (3, 3)")
	mustExec(t, ro, "COMMIT")
}

// A temporary table lives on the session's own connection: a join of a
// sharded table with it reads its rows there, as one server would (it
// also hides a table of its name there). Before, the rows were read on
// another connection, where the table did not exist.
func TestJoinWithATemporaryTable(t *testing.T) {
	p := newSessionPair(t)
	p.exec(t, "CREATE TEMPORARY TABLE picked (a INT PRIMARY KEY)")
	defer p.exec(t, "DROP TEMPORARY TABLE picked")
	p.exec(t, "INSERT INTO picked VALUES (5), (1500), (2999), (4198)")
	p.same(t, nil,
		"SELECT e.id, e.kind FROM events e JOIN picked p ON p.a = e.id ORDER BY e.id",
		"SELECT COUNT(*) FROM events WHERE id IN (SELECT a FROM picked)")
}

// A temporary table named as a sharded table hides it in the session, as
// on one server: it is created on the table's shards, and reads and
// writes of the name reach it until it is dropped. A session that keeps
// other temporary tables on the default cluster cannot: refused, saying
// to drop them or choose another name (before, the message spoke of user
// variables).
func TestTemporaryTableNamedAsAShardedTable(t *testing.T) {
	got, want := modTable(t, "shadowed_rows", "id INT NOT NULL PRIMARY KEY, g INT NULL")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "INSERT INTO shadowed_rows (id, g) VALUES (1, 1), (2, 1), (3, 2)")
	}
	sameOutcomes(t, got, want,
		"CREATE TEMPORARY TABLE shadowed_rows (id INT, g INT)",
		"INSERT INTO shadowed_rows (id, g) VALUES (7, 7)",
		"SELECT id, g FROM shadowed_rows ORDER BY id",
		"SELECT COUNT(*) FROM shadowed_rows",
		"DROP TEMPORARY TABLE shadowed_rows",
		"SELECT id, g FROM shadowed_rows ORDER BY id",
	)
	mustExec(t, got, "CREATE TEMPORARY TABLE kept_here (x INT)")
	_, err := got.ExecContext(testenv.Ctx(t), "CREATE TEMPORARY TABLE shadowed_rows (id INT)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "DROP TEMPORARY TABLE") || strings.Contains(err.Error(), "user variables") {
		t.Errorf("a temporary table named as a sharded table beside one on the default cluster: %v, want 1235 saying to drop the others", err)
	}
}
