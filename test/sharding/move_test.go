package sharding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

// moveCheck keeps, on the single server, a copy of the comments the move
// tests write: every statement runs there too, and the rows Strata's
// shards hold afterwards must equal what one MariaDB's own UPDATE made.
type moveCheck struct {
	t     *testing.T
	strat *sql.DB
}

func newMoveCheck(t *testing.T, db *sql.DB) *moveCheck {
	t.Helper()
	single := direct["single"]
	mustExec(t, single, "CREATE DATABASE IF NOT EXISTS move_check")
	mustExec(t, single, "DROP TABLE IF EXISTS move_check.comments")
	mustExec(t, single, "CREATE TABLE move_check.comments LIKE blog.comments")
	t.Cleanup(func() { single.Exec("DROP DATABASE move_check") })
	cleanup(t, "comments", "id BETWEEN 9300000 AND 9399999")
	return &moveCheck{t: t, strat: db}
}

// both runs q through Strata and on the single server, and checks that
// they report the same affected rows.
func (m *moveCheck) both(q string) {
	m.t.Helper()
	got := mustExec(m.t, m.strat, q)
	want := mustExec(m.t, direct["single"], strings.ReplaceAll(q, "comments", "move_check.comments"))
	g, _ := got.RowsAffected()
	w, _ := want.RowsAffected()
	if g != w {
		m.t.Fatalf("%s: %d rows affected through Strata, %d on one server", q, g, w)
	}
}

// same checks that the test's comments read through Strata equal the
// single server's, column for column.
func (m *moveCheck) same() {
	m.t.Helper()
	const cols = "id, entry_id, IFNULL(author, 'NULL'), body, IFNULL(votes, 'NULL'), IFNULL(created, 'NULL')"
	got := testenv.Strings(m.t, m.strat, "SELECT "+cols+" FROM comments WHERE id BETWEEN 9300000 AND 9399999 ORDER BY id")
	want := testenv.Strings(m.t, direct["single"], "SELECT "+cols+" FROM move_check.comments ORDER BY id")
	if !slices.Equal(got, want) {
		m.t.Fatalf("comments through Strata:\n%s\none server:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// keyOn returns a comments entry_id at or above from that the shard owns.
func keyOn(shard string, from int) int { return keyOwnedBy("comments", shard, from) }

// keyOwnedBy returns the first integer key at or above from of table that
// the shard owns.
func keyOwnedBy(table, shard string, from int) int {
	for k := from; ; k++ {
		if ds.tables[table].ownerOfKey(strconv.Itoa(k)) == shard {
			return k
		}
	}
}

// An UPDATE that sets a row's shard key moves the row to the shard that
// owns the new key, as one MariaDB would have updated it in place: the
// SET is applied to the old values, the row is on the new shard only, and
// a read by the new key finds it. Before, Strata refused every UPDATE of
// the shard key. Moves need transactions.mode twopc (see
// TestShardKeyUpdateWithoutTwoPhaseCommit).
func TestUpdateOfTheShardKeyMovesRows(t *testing.T) {
	db := twoPCDB(t)
	m := newMoveCheck(t, db)
	k1, k0, k2 := keyOn("s1", 9300000), keyOn("s0", 9300000), keyOn("s2", 9300000)
	m.both("INSERT INTO comments (id, entry_id, author, body, votes, created) VALUES " +
		"(9300001, " + strconv.Itoa(k1) + ", 'Zoë', 'it''s \\\\ a \"quote\"', NULL, '2024-02-29 10:11:12'), " +
		"(9300002, " + strconv.Itoa(k1) + ", NULL, 'ça va', 3, NULL), " +
		"(9300003, " + strconv.Itoa(k2) + ", 'bob', 'stays', 7, '2025-01-01 00:00:00')")
	m.same()

	// EXPLAIN STRATA shows the move: what runs on s1, and Strata's step.
	explain := testenv.Strings(t, db, "EXPLAIN STRATA UPDATE comments SET entry_id = "+strconv.Itoa(k0)+" WHERE entry_id = "+strconv.Itoa(k1))
	if all := strings.Join(explain, "\n"); !strings.Contains(all, "FOR UPDATE") || !strings.Contains(all, "move the rows matched on s1 to s0") {
		t.Fatalf("EXPLAIN STRATA of a move:\n%s", all)
	}
	// Two rows leave s1 for s0; the SET reads their old values.
	before := movedRowsMetric(t, twoPCAdmin)["s1>s0"]
	m.both("UPDATE comments SET entry_id = " + strconv.Itoa(k0) + ", votes = IFNULL(votes, 0) + 1, body = CONCAT(body, '!') WHERE entry_id = " + strconv.Itoa(k1))
	if got := holders(t, "comments", "id IN (9300001, 9300002)"); !slices.Equal(got, []string{"s0"}) {
		t.Fatalf("the moved rows are on %v, want s0 only", got)
	}
	m.same()
	if got := movedRowsMetric(t, twoPCAdmin)["s1>s0"] - before; got != 2 {
		t.Errorf("strata_shard_moved_rows_total{from=s1,to=s0} grew by %d, want 2", got)
	}
	if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM comments WHERE entry_id = "+strconv.Itoa(k0)+" AND id BETWEEN 9300000 AND 9399999"); !slices.Equal(got, []string{"2"}) {
		t.Fatalf("a read by the new key finds %v rows, want 2", got)
	}

	// Without the key in WHERE: 9300001 moves from s0 to s2, where
	// 9300003 is updated in place.
	m.both("UPDATE comments SET entry_id = " + strconv.Itoa(k2) + ", author = 'moved' WHERE id IN (9300001, 9300003)")
	if got := holders(t, "comments", "id IN (9300001, 9300003)"); !slices.Equal(got, []string{"s2"}) {
		t.Fatalf("the rows are on %v, want s2 only", got)
	}
	m.same()

	// An ORM that writes every column, the key unchanged: one row matched
	// on its own shard, none moved.
	m.both("UPDATE comments SET entry_id = " + strconv.Itoa(k2) + ", body = 'same key' WHERE id = 9300003")
	m.same()

	// A prepared statement binds the new key.
	if _, err := db.Exec("UPDATE comments SET entry_id = ? WHERE id = ?", k1, 9300002); err != nil {
		t.Fatal(err)
	}
	mustExec(t, direct["single"], "UPDATE move_check.comments SET entry_id = "+strconv.Itoa(k1)+" WHERE id = 9300002")
	if got := holders(t, "comments", "id = 9300002"); !slices.Equal(got, []string{"s1"}) {
		t.Fatalf("the row is on %v after the prepared UPDATE, want s1", got)
	}
	m.same()

	// The primary key is the shard key: entries move by id.
	e1, e2 := keyOwnedBy("entries", "s0", 9300000), keyOwnedBy("entries", "s3", 9300000)
	cleanup(t, "entries", "id IN ("+strconv.Itoa(e1)+", "+strconv.Itoa(e2)+")")
	mustExec(t, db, "INSERT INTO entries (id, user_id, title, rating, published, status) VALUES ("+strconv.Itoa(e1)+", 4, 'Crème brûlée', 4.25, '2024-06-30', 'draft')")
	if res := mustExec(t, db, "UPDATE entries SET id = "+strconv.Itoa(e2)+", status = 'live' WHERE id = "+strconv.Itoa(e1)); rows(res) != 1 {
		t.Fatalf("moving entry %d to %d: %d rows affected, want 1", e1, e2, rows(res))
	}
	if got := holders(t, "entries", "id = "+strconv.Itoa(e2)); !slices.Equal(got, []string{"s3"}) {
		t.Fatalf("entry %d is on %v, want s3", e2, got)
	}
	if got := testenv.Strings(t, db, "SELECT CONCAT_WS('|', title, rating, published, status, user_id) FROM entries WHERE id IN ("+strconv.Itoa(e1)+", "+strconv.Itoa(e2)+")"); !slices.Equal(got, []string{"Crème brûlée|4.25|2024-06-30|live|4"}) {
		t.Fatalf("entries after the move: %v", got)
	}
}

func rows(res sql.Result) int64 {
	n, _ := res.RowsAffected()
	return n
}

// A move that fails half-way changes nothing: when the row's primary key
// is already taken on the destination (data that broke the layout), the
// UPDATE fails with MariaDB's duplicate-key error and the row stays where
// it was, unchanged.
func TestFailedMoveChangesNothing(t *testing.T) {
	db := twoPCDB(t)
	cleanup(t, "comments", "id BETWEEN 9300000 AND 9399999")
	k0, k1 := keyOn("s0", 9300100), keyOn("s1", 9300100)
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9300101, "+strconv.Itoa(k0)+", 'original')")
	mustExec(t, direct["s1"], "INSERT INTO blog.comments (id, entry_id, body) VALUES (9300101, "+strconv.Itoa(k1)+", 'stray copy')")
	_, err := db.Exec("UPDATE comments SET entry_id = " + strconv.Itoa(k1) + ", body = 'changed' WHERE entry_id = " + strconv.Itoa(k0))
	if !isMySQLError(err, 1062, "s1") {
		t.Fatalf("moving onto a taken primary key: %v, want error 1062 naming shard s1", err)
	}
	var body string
	if err := direct["s0"].QueryRow("SELECT body FROM blog.comments WHERE id = 9300101 AND entry_id = ?", k0).Scan(&body); err != nil || body != "original" {
		t.Fatalf("the row on s0 after the failed move: %q, %v; want it unchanged", body, err)
	}
	if err := direct["s1"].QueryRow("SELECT body FROM blog.comments WHERE id = 9300101").Scan(&body); err != nil || body != "stray copy" {
		t.Fatalf("the row on s1 after the failed move: %q, %v; want it unchanged", body, err)
	}
}

// Without two-phase commit (the default transactions.mode) Strata does
// not move rows: committed one shard after the other, a failure between
// the commits could leave a row on both shards or on neither. The UPDATE
// is refused with error 1235 naming the setting, and no shard runs it. An
// UPDATE that sets the key to a value of the row's own shard (an ORM that
// writes every column) runs there. What Strata cannot move in any mode it
// refuses with its reason.
func TestShardKeyUpdateWithoutTwoPhaseCommit(t *testing.T) {
	db := strataDB(t)
	cleanup(t, "comments", "id BETWEEN 9300000 AND 9399999")
	k0, k1 := keyOn("s0", 9300200), keyOn("s1", 9300200)
	k0b := keyOn("s0", k0+1)
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9300201, "+strconv.Itoa(k0)+", 'here')")
	if res := mustExec(t, db, "UPDATE comments SET entry_id = "+strconv.Itoa(k0b)+", body = 'same shard' WHERE id = 9300201"); rows(res) != 1 {
		t.Fatalf("an UPDATE of the key within its shard: %d rows affected, want 1", rows(res))
	}
	if got := holders(t, "comments", "id = 9300201 AND body = 'same shard' AND entry_id = "+strconv.Itoa(k0b)); !slices.Equal(got, []string{"s0"}) {
		t.Fatalf("the row updated within its shard is on %v, want s0", got)
	}
	explain := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA UPDATE comments SET entry_id = "+strconv.Itoa(k1)+" WHERE id = 9300201"), "\n")
	if !strings.Contains(explain, "transactions.mode is not twopc: refused") {
		t.Errorf("EXPLAIN STRATA of a move without twopc does not say it may be refused:\n%s", explain)
	}
	for _, tt := range []struct{ q, want string }{
		{"UPDATE comments SET entry_id = " + strconv.Itoa(k1) + " WHERE entry_id = " + strconv.Itoa(k0b), "only with two-phase commit (transactions.mode: twopc"},
		{"UPDATE comments SET entry_id = " + strconv.Itoa(k1) + " WHERE id = 9300201", "would move rows from s0 to s1"},
		{"UPDATE comments SET entry_id = entry_id + 1 WHERE id = 9300201", "to an expression or NULL"},
		{"UPDATE comments SET entry_id = " + strconv.Itoa(k1) + " WHERE entry_id = " + strconv.Itoa(k0b) + " LIMIT 1", "with ORDER BY or LIMIT"},
	} {
		before := shardStatus(t, "Com_update")
		_, err := db.Exec(tt.q)
		if !isMySQLError(err, 1235, tt.want) {
			t.Errorf("%s: %v, want error 1235 saying %q", tt.q, err, tt.want)
		}
		for s, n := range deltaOf(before, shardStatus(t, "Com_update")) {
			if n != 0 {
				t.Errorf("%s: %s ran %d UPDATEs", tt.q, s, n)
			}
		}
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, "UPDATE comments SET entry_id = "+strconv.Itoa(k1)+" WHERE entry_id = "+strconv.Itoa(k0b))
	if !isMySQLError(err, 1235, "transactions.mode: twopc") {
		t.Fatalf("a move inside a transaction: %v, want error 1235 naming transactions.mode", err)
	}
	if got := holders(t, "comments", "id = 9300201 AND entry_id = "+strconv.Itoa(k0b)); !slices.Equal(got, []string{"s0"}) {
		t.Fatalf("the row is on %v after the refusals, want s0 unchanged", got)
	}
}

// With transactions.mode twopc a move may run inside a transaction: it
// commits with the transaction, and a ROLLBACK leaves the row where it
// was.
func TestMoveInsideATwoPhaseTransaction(t *testing.T) {
	db := twoPCDB(t)
	cleanup(t, "comments", "id BETWEEN 9300000 AND 9399999")
	k0, k3 := keyOn("s0", 9300300), keyOn("s3", 9300300)
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body) VALUES (9300301, "+strconv.Itoa(k0)+", 'tx')")
	move := "UPDATE comments SET entry_id = " + strconv.Itoa(k3) + " WHERE id = 9300301"
	for _, end := range []string{"ROLLBACK", "COMMIT"} {
		ctx := context.Background()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, move)
		mustExec(t, conn, end)
		conn.Close()
		want := []string{"s0"}
		if end == "COMMIT" {
			want = []string{"s3"}
		}
		if got := holders(t, "comments", "id = 9300301"); !slices.Equal(got, want) {
			t.Fatalf("after the move and %s the row is on %v, want %v", end, got, want)
		}
	}
}

// A statement that fails part-way inside a transaction over shards is
// undone whole, as one server undoes a failed statement, and the
// transaction goes on with what it wrote before: a move whose UPDATE
// fails on the destination after its rows were copied there, and a write
// over two shards that fails on the second after the first changed its
// rows. Before, both left their first steps in the transaction: the
// moved rows on two shards at once, the first shard's rows changed.
func TestFailedStatementInATransactionIsUndoneWhole(t *testing.T) {
	db := twoPCDB(t)
	cleanup(t, "comments", "id BETWEEN 9300400 AND 9300499")
	k0, k1 := keyOn("s0", 9300400), keyOn("s1", 9300400)
	mustExec(t, db, fmt.Sprintf("INSERT INTO comments (id, entry_id, body) VALUES (9300401, %d, 'on s0'), (9300410, %d, 'a'), (9300411, %d, 'b'), (9300499, %d, 'taken')", k0, k1, k1, k1))
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, fmt.Sprintf("INSERT INTO comments (id, entry_id, body) VALUES (9300420, %d, 'kept')", k0))
	for _, q := range []string{
		fmt.Sprintf("UPDATE comments SET entry_id = %d, id = 9300499 WHERE id = 9300401", k1),
		fmt.Sprintf("UPDATE comments SET id = id + 1, body = 'bumped' WHERE entry_id IN (%d, %d) AND id BETWEEN 9300400 AND 9300419", k0, k1),
	} {
		if _, err := conn.ExecContext(ctx, q); !isMySQLError(err, 1062, "") {
			t.Fatalf("%s: %v, want error 1062", q, err)
		}
	}
	const contents = "SELECT id, entry_id, body FROM comments WHERE id BETWEEN 9300400 AND 9300499 ORDER BY id"
	want := []string{
		fmt.Sprintf("9300401|%d|on s0", k0), fmt.Sprintf("9300410|%d|a", k1), fmt.Sprintf("9300411|%d|b", k1),
		fmt.Sprintf("9300420|%d|kept", k0), fmt.Sprintf("9300499|%d|taken", k1),
	}
	if got := testenv.Strings(t, conn, contents); !slices.Equal(got, want) {
		t.Fatalf("inside the transaction after the failed statements:\n%v\nwant\n%v", got, want)
	}
	mustExec(t, conn, "COMMIT")
	if got := testenv.Strings(t, db, contents); !slices.Equal(got, want) {
		t.Fatalf("after COMMIT:\n%v\nwant\n%v", got, want)
	}
	for id, shard := range map[string]string{"9300401": "s0", "9300410": "s1", "9300420": "s0"} {
		if got := holders(t, "comments", "id = "+id); !slices.Equal(got, []string{shard}) {
			t.Errorf("row %s is on %v, want only %s", id, got, shard)
		}
	}
}

// A row other tables reference by foreign key does not move: deleting it
// where it was would cascade to their rows, which stay there. The UPDATE
// is refused with error 1235 naming the referencing table, and nothing
// changes.
func TestMoveRefusedForAReferencedTable(t *testing.T) {
	db := twoPCDB(t)
	for _, s := range shardNames {
		mustExec(t, direct[s], "CREATE TABLE blog.audit_notes (id INT PRIMARY KEY, audit_id BIGINT NOT NULL, FOREIGN KEY (audit_id) REFERENCES blog.audit (id) ON DELETE CASCADE)")
	}
	t.Cleanup(func() {
		for _, s := range shardNames {
			direct[s].Exec("DROP TABLE blog.audit_notes")
		}
	})
	cleanup(t, "audit", "id BETWEEN 9300000 AND 9399999")
	from, to := 9300400, 9300401 // modulo 4: s0 and s1
	mustExec(t, db, "INSERT INTO audit (id, actor, action) VALUES ("+strconv.Itoa(from)+", 'eve', 'edit')")
	mustExec(t, direct["s0"], "INSERT INTO blog.audit_notes VALUES (1, "+strconv.Itoa(from)+")")
	_, err := db.Exec("UPDATE audit SET id = " + strconv.Itoa(to) + " WHERE id = " + strconv.Itoa(from))
	if !isMySQLError(err, 1235, "blog.audit_notes reference it by foreign key") {
		t.Fatalf("moving a referenced row: %v, want error 1235 naming blog.audit_notes", err)
	}
	if got := holders(t, "audit", "id = "+strconv.Itoa(from)); !slices.Equal(got, []string{"s0"}) {
		t.Fatalf("the audit row is on %v, want s0 unchanged", got)
	}
	var n int
	if err := direct["s0"].QueryRow("SELECT COUNT(*) FROM blog.audit_notes").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the referencing row: %d rows, %v; want it kept", n, err)
	}
}

// The instance with a table of every kind of column listens here.
const (
	moveTypesAddr  = "127.0.0.1:25407"
	moveTypesAdmin = "127.0.0.1:25487"
)

const moveTypesDDL = `CREATE TABLE %s (a INT NOT NULL, b VARCHAR(10) NOT NULL, k BIGINT NOT NULL,
	f FLOAT NULL, d DOUBLE NULL, bits BIT(10) NULL, j JSON NULL, bin VARBINARY(20) NULL, e ENUM('x', 'y') NULL,
	ts TIMESTAMP(6) NULL, dt DATETIME(3) NULL, txt TEXT NULL, g INT AS (a * 2) VIRTUAL, inv INT INVISIBLE DEFAULT 7,
	PRIMARY KEY (a, b))`

// A moved row keeps every value a column can hold, as one MariaDB's own
// UPDATE would: a FLOAT MariaDB prints rounded (1234567 as 1234570), a
// DOUBLE's last digit, bits, binary bytes, JSON, fractions of seconds,
// an invisible column; a generated column is computed again; the primary
// key has two columns.
func TestMoveKeepsEveryColumnType(t *testing.T) {
	strataDB(t)
	cfg, err := parseConfig(strings.Replace(times.strataYAML(moveTypesAddr, moveTypesAdmin), "tables:\n",
		"tables:\n  move_types: {shard_key: k, method: modulo, shards: [s0, s1, s2, s3]}\n", 1) +
		"transactions: {mode: twopc}\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(slices.Clone(shardNames), "single") {
		mustExec(t, direct[s], "DROP TABLE IF EXISTS blog.move_types")
		mustExec(t, direct[s], strings.Replace(moveTypesDDL, "%s", "blog.move_types", 1))
	}
	t.Cleanup(func() {
		for _, s := range append(slices.Clone(shardNames), "single") {
			direct[s].Exec("DROP TABLE blog.move_types")
		}
	})
	st, err := startConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	db := openStrata(t, moveTypesAddr)
	single := direct["single"]
	for _, q := range []string{
		"INSERT INTO move_types (a, b, k, f, d, bits, j, bin, e, ts, dt, txt, inv) VALUES " +
			"(1, 'é', 1, 1234567, 0.1e0 + 0.2e0, b'1010101010', '{\"a\": [1, \"é\"]}', X'00FF5C27', 'y', '2024-03-10 02:30:00.123456', '2024-01-01 00:00:00.5', 'two\\nlines \\\\ é', 42), " +
			"(1, 'z', 1, 0.1, -1.5e300, b'1', NULL, X'', 'x', NULL, NULL, NULL, 3), " +
			"(2, 'é', 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', 9)",
		"UPDATE move_types SET k = 6, f = f * 2, txt = CONCAT(txt, '!') WHERE k = 1",
		"UPDATE move_types SET k = 7, inv = inv + 1 WHERE a = 2",
	} {
		res := mustExec(t, db, q)
		want := mustExec(t, single, strings.Replace(q, "move_types", "blog.move_types", 1))
		if rows(res) != rows(want) {
			t.Fatalf("%s: %d rows affected through Strata, %d on one server", q, rows(res), rows(want))
		}
	}
	const cols = "CONCAT_WS('|', a, b, k, f + 0e0, d, HEX(bits), j, HEX(bin), e, ts, dt, HEX(txt), g, inv)"
	got := testenv.Strings(t, db, "SELECT "+cols+" FROM move_types ORDER BY a, b")
	want := testenv.Strings(t, single, "SELECT "+cols+" FROM blog.move_types ORDER BY a, b")
	if !slices.Equal(got, want) {
		t.Fatalf("moved rows through Strata:\n%s\none server's UPDATE:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := holders(t, "move_types", "k IN (6, 7)"); !slices.Equal(got, []string{"s2", "s3"}) {
		t.Fatalf("the moved rows are on %v, want s2 (k 6) and s3 (k 7)", got)
	}
	if got := holders(t, "move_types", "k IN (1, 2)"); len(got) != 0 {
		t.Fatalf("rows with the old keys are left on %v", got)
	}
}

// movedRowsMetric reads strata_shard_moved_rows_total by "from>to".
func movedRowsMetric(t *testing.T, admin string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, line := range strings.Split(metricsText(t, admin), "\n") {
		var from, to string
		var n float64
		if _, err := fmt.Sscanf(line, "strata_shard_moved_rows_total{from=%q,to=%q} %g", &from, &to, &n); err == nil {
			out[from+">"+to] = int(n)
		}
	}
	return out
}

// isMySQLError reports whether err is MariaDB's (or Strata's) error code
// with a message containing want.
func isMySQLError(err error, code uint16, want string) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == code && strings.Contains(me.Message, want)
}

// PHP PDO saves a row as an ORM does, every column by primary key, with
// emulated and with native prepared statements: with the key unchanged,
// then with a new key (the row moves), then inside a transaction that is
// rolled back (the row stays).
func TestPHPPDOSavesARowThatMoves(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	twoPCDB(t)
	cleanup(t, "comments", "id BETWEEN 9300701 AND 9300702")
	script, _ := filepath.Abs("../php/move_row.php")
	host, port, _ := strings.Cut(twoPCAddr, ":")
	for i, mode := range []string{"emulated", "native"} {
		id := strconv.Itoa(9300701 + i)
		out, err := exec.Command("php", script, host, port, "app", "app", mode, id).CombinedOutput()
		if err != nil {
			t.Fatalf("php %s: %v\n%s", mode, err, out)
		}
		want := "same key: 1\nnew key: 1\nafter the move: [[2,\"moved\"]]\ninside: [[3,\"moved again\"]]\nafter the rollback: [[2,\"moved\"]]\n"
		if string(out) != want {
			t.Errorf("PDO %s:\n%s\nwant:\n%s", mode, out, want)
		}
		if got := holders(t, "comments", "id = "+id); !slices.Equal(got, []string{"s2"}) {
			t.Errorf("PDO %s: the row is on %v, want s2", mode, got)
		}
	}
}

// Two sessions move the same row back and forth between two shards at the
// same time. Their locks on the two servers can wait on each other, which
// no server sees as a deadlock, so a statement may fail after the lock
// wait timeout; but whatever succeeds or fails, the row is never lost and
// never doubled: at the end it is on exactly one shard, the owner of its key.
func TestConcurrentMovesNeverLoseTheRow(t *testing.T) {
	db := twoPCDB(t)
	cleanup(t, "comments", "id = 9301001")
	k0, k1 := keyOn("s0", 9301000), keyOn("s1", 9301000)
	mustExec(t, db, "INSERT INTO comments (id, entry_id, body, votes) VALUES (9301001, "+strconv.Itoa(k0)+", 'ping', 0)")
	done := make(chan map[string]int, 2)
	for _, to := range []int{k0, k1} {
		go func() {
			outcomes := map[string]int{}
			conn, err := db.Conn(t.Context())
			if err != nil {
				outcomes[err.Error()]++
				done <- outcomes
				return
			}
			defer conn.Close()
			conn.ExecContext(t.Context(), "SET SESSION innodb_lock_wait_timeout = 1")
			for range 8 {
				_, err := conn.ExecContext(t.Context(), "UPDATE comments SET entry_id = "+strconv.Itoa(to)+", votes = votes + 1 WHERE id = 9301001")
				var me *mysql.MySQLError
				switch {
				case err == nil:
					outcomes["ok"]++
				case errors.As(err, &me):
					outcomes[strconv.Itoa(int(me.Number))]++
				default:
					outcomes[err.Error()]++
				}
			}
			done <- outcomes
		}()
	}
	a, b := <-done, <-done
	t.Logf("outcomes: %v and %v", a, b)
	for _, o := range []map[string]int{a, b} {
		for what := range o {
			switch what {
			case "ok", "1205", "1213", "1402":
			default:
				t.Errorf("a move failed with %q, want success, a lock wait timeout, a deadlock or a rolled-back transaction", what)
			}
		}
	}
	on := holders(t, "comments", "id = 9301001")
	var key int
	if err := db.QueryRow("SELECT entry_id FROM comments WHERE id = 9301001").Scan(&key); err != nil {
		t.Fatalf("the row after the concurrent moves: %v (on %v)", err, on)
	}
	if owner := ds.tables["comments"].ownerOfKey(strconv.Itoa(key)); !slices.Equal(on, []string{owner}) {
		t.Fatalf("the row with entry_id %d is on %v, want only %s", key, on, owner)
	}
	var votes int
	if err := db.QueryRow("SELECT votes FROM comments WHERE id = 9301001").Scan(&votes); err != nil || votes != a["ok"]+b["ok"] {
		t.Fatalf("votes %d (%v), want one per successful UPDATE: %d", votes, err, a["ok"]+b["ok"])
	}
}
