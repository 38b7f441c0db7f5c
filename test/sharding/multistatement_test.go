package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// resultSets runs a multi-statement query and renders its result sets in
// order, each as its rows ("a|b", NULL as NULL). Go's driver reads the
// answers without rows (OK packets) and does not list them.
func resultSets(ctx context.Context, q testenv.Querier, query string) ([][]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for {
		set, err := testenv.ResultStrings(rows)
		if err != nil {
			return out, err
		}
		out = append(out, set)
		if !rows.NextResultSet() {
			return out, rows.Err()
		}
	}
}

// An instance with a rewrite rule, for multi-statement queries.
var rewriting extraInstance

const (
	rewritingAddr  = "127.0.0.1:25409"
	rewritingAdmin = "127.0.0.1:25489"
)

// A multi-statement query over sharded tables (a client with
// CLIENT_MULTI_STATEMENTS: PHP's PDO by default, Go's driver with
// multiStatements=true) runs as its statements would one by one, each
// routed to its own shards, and its answers come back as one server's
// would: every result in order, numbered on, none after the first error;
// rewrite rules apply to each statement. Before, it was refused.
func TestMultiStatementQueriesOverShards(t *testing.T) {
	strataDB(t)
	db, err := sql.Open("mysql", "app:app@tcp("+strataAddr+")/blog?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, db)
	ids, owners, wantOwners := oneEventPerShard(t)
	// Each part starts clean, whatever the one before left: a failed
	// statement leaves its transaction open, as on one server.
	fresh := func(t *testing.T) {
		t.Helper()
		mustExec(t, conn, "ROLLBACK")
		mustExec(t, conn, "DELETE FROM events WHERE kind = 'multi'")
	}
	// The connection must be in step after each query: the next answer is
	// read as the next query's.
	inStep := func(t *testing.T) {
		t.Helper()
		if got := testenv.Strings(t, conn, "SELECT 41 + 1"); !slices.Equal(got, []string{"42"}) {
			t.Fatalf("the query after the multi-statement one read %q: the connection is out of step", got)
		}
	}

	t.Run("writes and reads on several shards", func(t *testing.T) {
		fresh(t)
		q := fmt.Sprintf("INSERT INTO events (id, kind, qty) VALUES (%s, 'multi', 1), (%s, 'multi', 2); "+
			"INSERT INTO events (id, kind, qty) VALUES (%s, 'multi', 3);"+
			"SELECT ROW_COUNT(); "+
			"/* a one-shard read */ SELECT kind, qty FROM events WHERE id = %s; "+
			"UPDATE events SET qty = qty * 10 WHERE kind = 'multi'; "+
			"SELECT id, qty FROM events WHERE kind = 'multi' ORDER BY id; "+
			"SELECT COUNT(*), SUM(qty) FROM events WHERE kind = 'multi'",
			ids[0], ids[3], ids[1], ids[3])
		got, err := resultSets(ctx, conn, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		want := [][]string{{"1"}, {"multi|2"}, {ids[0] + "|10", ids[1] + "|30", ids[3] + "|20"}, {"3|60"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("answers %q, want %q", got, want)
		}
		if o := owners(); !slices.Equal(o, []string{wantOwners[0], wantOwners[1], "", wantOwners[3]}) {
			t.Fatalf("rows are on %q, want %q (without the third)", o, wantOwners)
		}
		inStep(t)
	})

	t.Run("nothing runs after an error", func(t *testing.T) {
		fresh(t)
		q := fmt.Sprintf("INSERT INTO events (id, kind) VALUES (%s, 'multi'); "+
			"INSERT INTO events (id, kind) VALUES (%s, 'multi'), (%s, 'multi'); "+
			"INSERT INTO events (id, kind) VALUES (%s, 'multi')", ids[1], ids[2], ids[1], ids[3])
		_, err := resultSets(ctx, conn, q)
		if code := testenv.MySQLErr(err); code != 1062 {
			t.Fatalf("%s: got %v, want the duplicate key error 1062", q, err)
		}
		// The first statement ran; the second failed whole (its part on
		// the other shard is not kept); the third never ran.
		if o := owners(); !slices.Equal(o, []string{"", wantOwners[1], "", ""}) {
			t.Fatalf("rows are on %q, want only %s on %s", o, ids[1], wantOwners[1])
		}
		inStep(t)
		// Strata's own refusal ends the query too.
		// (audit refuses reads without its shard key.)
		q = fmt.Sprintf("DELETE FROM events WHERE id = %s; SELECT COUNT(*) FROM audit; DELETE FROM events WHERE kind = 'multi'", ids[3])
		if _, err := resultSets(ctx, conn, q); testenv.MySQLErr(err) != 1235 {
			t.Fatalf("%s: got %v, want Strata's refusal 1235", q, err)
		}
		if o := owners(); !slices.Equal(o, []string{"", wantOwners[1], "", ""}) {
			t.Fatalf("after a failed statement, rows are on %q: the statement after it ran", o)
		}
		inStep(t)
	})

	t.Run("a transaction in one query", func(t *testing.T) {
		fresh(t)
		// (A transaction stays on one shard in this topology.)
		q := fmt.Sprintf("BEGIN; INSERT INTO events (id, kind) VALUES (%s, 'multi'); UPDATE events SET qty = 7 WHERE id = %s; COMMIT; "+
			"START TRANSACTION; INSERT INTO events (id, kind) VALUES (%s, 'multi'); ROLLBACK; "+
			"SELECT COUNT(*), SUM(qty) FROM events WHERE kind = 'multi'", ids[0], ids[0], ids[2])
		got, err := resultSets(ctx, conn, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		want := [][]string{{"1|7"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("answers %q, want %q", got, want)
		}
		if o := owners(); !slices.Equal(o, []string{wantOwners[0], "", "", ""}) {
			t.Fatalf("rows are on %q: want the committed one only", o)
		}
		inStep(t)
	})

	t.Run("unsharded statements in between", func(t *testing.T) {
		fresh(t)
		// order_customer lives on the default cluster, users on another:
		// their statements are relayed there, renumbered to follow the
		// answers before them.
		q := fmt.Sprintf("SELECT COUNT(*) FROM order_customer WHERE customer_id < 0; SELECT COUNT(*) FROM users WHERE id < 0; INSERT INTO events (id, kind) VALUES (%s, 'multi'); SELECT kind FROM events WHERE id = %s; DO 1", ids[2], ids[2])
		got, err := resultSets(ctx, conn, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		want := [][]string{{"0"}, {"0"}, {"multi"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("answers %q, want %q", got, want)
		}
		inStep(t)
	})

	t.Run("each statement rewritten on its own", func(t *testing.T) {
		fresh(t)
		rewriting.start(t, rewritingAddr, rewritingAdmin, `routing:
  - rewrite: {from: "kind = 'rewrite-me'", to: "kind = 'multi'"}
`)
		rdb, err := sql.Open("mysql", "app:app@tcp("+rewritingAddr+")/blog?multiStatements=true")
		if err != nil {
			t.Fatal(err)
		}
		defer rdb.Close()
		// Unrewritten, the SELECT would count no row.
		q := fmt.Sprintf("INSERT INTO events (id, kind) VALUES (%s, 'multi'); SELECT COUNT(*) FROM events WHERE kind = 'rewrite-me'", ids[1])
		got, err := resultSets(ctx, rdb, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if want := [][]string{{"1"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("answers %q, want %q: the rule did not rewrite the statement", got, want)
		}
	})

	t.Run("LOAD DATA is refused", func(t *testing.T) {
		fresh(t)
		q := "DELETE FROM events WHERE kind = 'multi'; LOAD DATA LOCAL INFILE '/nonexistent' INTO TABLE events"
		_, err := resultSets(ctx, conn, q)
		if code := testenv.MySQLErr(err); code != 1235 {
			t.Fatalf("%s: got %v, want 1235", q, err)
		}
		inStep(t)
	})
}
