package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// SHOW WARNINGS, SHOW ERRORS and @@warning_count read what the session's
// previous statement left — on whichever server ran it, a replica for a
// read — and never another client's warnings left on a pooled connection.
func TestWarningsOfThePreviousStatement(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.warned (id INT PRIMARY KEY, n INT)", "INSERT INTO blog.warned VALUES (1, 1)")
	db := openStrata(t)
	conn := testenv.Conn(t, db)

	before, _ := readsByServer(t, "warned")
	queryStrings(t, conn, "SELECT CAST('abc' AS SIGNED) FROM warned")
	if _, replicas := readsByServer(t, "warned"); sum(replicas) == 0 {
		t.Fatalf("the read did not run on a replica (reads before %d): the test needs one", before)
	}
	for _, q := range []string{"SHOW WARNINGS", "SHOW WARNINGS LIMIT 1"} {
		if got := queryStrings(t, conn, q); len(got) != 1 || !strings.HasPrefix(got[0], "Warning|1292|Truncated incorrect INTEGER value: 'abc'") {
			t.Fatalf("%s after a read that warned = %q, want its warning 1292", q, got)
		}
	}
	if got := queryStrings(t, conn, "SHOW COUNT(*) WARNINGS"); len(got) != 1 || got[0] != "1" {
		t.Errorf("SHOW COUNT(*) WARNINGS = %q, want 1", got)
	}
	if got := queryStrings(t, conn, "SELECT @@warning_count, @@session.error_count"); len(got) != 1 || got[0] != "1|0" {
		t.Errorf("@@warning_count, @@error_count = %q, want 1|0", got)
	}

	if _, err := conn.ExecContext(ctxFor(t), "SELECT nosuch FROM warned"); mysqlErr(err) != 1054 {
		t.Fatalf("SELECT of an unknown column: %v, want error 1054", err)
	}
	for _, q := range []string{"SHOW ERRORS", "SHOW WARNINGS"} {
		if got := queryStrings(t, conn, q); len(got) != 1 || !strings.HasPrefix(got[0], "Error|1054|Unknown column 'nosuch'") {
			t.Fatalf("%s after a failed read = %q, want its error 1054", q, got)
		}
	}

	// A write that warns: its warning, from the primary.
	if _, err := conn.ExecContext(ctxFor(t), "INSERT IGNORE INTO warned VALUES (1, 2)"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, conn, "SHOW WARNINGS"); len(got) != 1 || !strings.HasPrefix(got[0], "Warning|1062|Duplicate entry '1'") {
		t.Fatalf("SHOW WARNINGS after an INSERT IGNORE that warned = %q, want its warning", got)
	}
	queryStrings(t, conn, "SELECT n FROM warned WHERE id = 1")
	if got := queryStrings(t, conn, "SHOW WARNINGS"); len(got) != 0 {
		t.Errorf("SHOW WARNINGS after a read without warnings = %q, want none", got)
	}
}

// Warnings another client left on a primary connection stay with it: a
// session whose own statement warned of nothing reads none.
func TestWarningsAreNotAnotherClients(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.warned_other (id INT PRIMARY KEY)", "INSERT INTO blog.warned_other VALUES (1)")
	db := openStrata(t)
	for round := 0; round < 5; round++ {
		other := testenv.Conn(t, db)
		// A locking read runs on the primary and leaves its warning there.
		queryStrings(t, other, "SELECT CAST('leak' AS SIGNED) FROM warned_other WHERE id = 1 FOR UPDATE")
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		conn := testenv.Conn(t, db)
		queryStrings(t, conn, "SELECT 1")
		if got := queryStrings(t, conn, "SHOW WARNINGS"); len(got) != 0 {
			t.Fatalf("round %d: SHOW WARNINGS of a session whose statement warned of nothing = %q, want none (another client's)", round, got)
		}
		if got := queryStrings(t, conn, "SELECT @@warning_count"); len(got) != 1 || got[0] != "0" {
			t.Fatalf("round %d: @@warning_count = %q, want 0", round, got)
		}
		conn.Close()
	}
}

// The mariadb CLI's --show-warnings prints the warnings of each statement,
// which it asks for with SHOW WARNINGS right after it.
func TestCLIShowsWarnings(t *testing.T) {
	t.Parallel()
	host, port := strataHostPort()
	out, err := runCLI(t, host, port, "app", "app", "SELECT CAST('12abc' AS SIGNED) AS n;\nSELECT 1/0 AS q;\n", "--show-warnings")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Warning (Code 1292): Truncated incorrect INTEGER value: '12abc'", "Warning (Code 1365): Division by 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("mariadb --show-warnings printed:\n%s\nwant %q", out, want)
		}
	}
}

// The pagination of WordPress and many PHP sites: a read with
// SQL_CALC_FOUND_ROWS and a LIMIT, then FOUND_ROWS() for the total. The
// read runs on a replica and FOUND_ROWS() must read it there; ROW_COUNT()
// reads the write before it on the primary.
func TestFoundRowsAndRowCountOfThePreviousStatement(t *testing.T) {
	t.Parallel()
	numberedTable(t, "paged", 25)
	db := openStrata(t)
	conn := testenv.Conn(t, db)

	_, before := readsByServer(t, "paged")
	for page := 0; page < 3; page++ {
		rows := queryStrings(t, conn, fmt.Sprintf("SELECT SQL_CALC_FOUND_ROWS id FROM paged ORDER BY id LIMIT %d, 10", page*10))
		if want := min(10, 25-page*10); len(rows) != want {
			t.Fatalf("page %d: %d rows, want %d", page, len(rows), want)
		}
		if got := queryStrings(t, conn, "SELECT FOUND_ROWS()"); len(got) != 1 || got[0] != "25" {
			t.Fatalf("page %d: FOUND_ROWS() = %q, want 25", page, got)
		}
	}
	// The same through a server-side prepared statement.
	queryStrings(t, conn, "SELECT SQL_CALC_FOUND_ROWS id FROM paged WHERE id > ? LIMIT 2", 5)
	if got := queryStrings(t, conn, "SELECT FOUND_ROWS() AS total"); len(got) != 1 || got[0] != "20" {
		t.Fatalf("FOUND_ROWS() after a prepared read = %q, want 20", got)
	}
	if _, after := readsByServer(t, "paged"); sum(after) == sum(before) {
		t.Fatalf("the paged reads did not run on a replica: the test needs them there")
	}

	if _, err := conn.ExecContext(ctxFor(t), "UPDATE paged SET n = n + 1 WHERE id <= 3"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, conn, "SELECT ROW_COUNT()"); len(got) != 1 || got[0] != "3" {
		t.Fatalf("ROW_COUNT() after an UPDATE of 3 rows = %q, want 3", got)
	}

	// MariaDB's @@last_gtid: the GTID of the session's last write, which
	// applications use to wait for a replica to have it.
	if _, err := conn.ExecContext(ctxFor(t), "UPDATE paged SET n = n + 1 WHERE id = 4"); err != nil {
		t.Fatal(err)
	}
	primaryID := queryStrings(t, openDirect(t, env.primary, "blog"), "SELECT @@server_id")
	if got := queryStrings(t, conn, "SELECT @@last_gtid"); len(got) != 1 || len(primaryID) != 1 || !strings.HasPrefix(got[0], "0-"+primaryID[0]+"-") {
		t.Fatalf("@@last_gtid after a write = %q, want a GTID of the primary (server id %v)", got, primaryID)
	}
}

// What a statement left on a connection Strata had handed back (a read's
// at once, a write's once the client idled) is read there while no other
// client used the connection since; once another did, the statement reads
// a reset connection — never the other client's values.
func TestPreviousStatementAfterItsConnectionWentBack(t *testing.T) {
	t.Parallel()
	numberedTable(t, "went_back", 9)
	db := openSmallStrata(t, 1) // one connection per server: the other client takes ours
	mine, other := testenv.Conn(t, db), testenv.Conn(t, db)
	ctx := ctxFor(t)

	if rows := queryStrings(t, mine, "SELECT id FROM went_back WHERE id <= 7"); len(rows) != 7 {
		t.Fatalf("the read: %d rows, want 7", len(rows))
	}
	if got := queryStrings(t, mine, "SELECT FOUND_ROWS()"); len(got) != 1 || got[0] != "7" {
		t.Fatalf("FOUND_ROWS() after a read of 7 rows = %q, want 7", got)
	}

	if _, err := mine.ExecContext(ctx, "UPDATE went_back SET n = n + 1 WHERE id <= 3"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // past the idle release: the connection goes back
	if got := queryStrings(t, mine, "SELECT ROW_COUNT()"); len(got) != 1 || got[0] != "3" {
		t.Fatalf("ROW_COUNT() of an UPDATE of 3 rows, asked after idling = %q, want 3", got)
	}

	if _, err := mine.ExecContext(ctx, "UPDATE went_back SET n = n + 1 WHERE id <= 3"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := other.ExecContext(ctx, "UPDATE went_back SET n = n + 1 WHERE id > 7"); err != nil { // 2 rows, on the one primary connection
		t.Fatal(err)
	}
	if got := queryStrings(t, mine, "SELECT ROW_COUNT()"); len(got) != 1 || got[0] == "2" {
		t.Fatalf("ROW_COUNT() after another client used the connection = %q: the other client's", got)
	}
	if _, err := other.ExecContext(ctx, "INSERT IGNORE INTO went_back VALUES (1, 0)"); err != nil { // a warning, there
		t.Fatal(err)
	}
	if got := queryStrings(t, mine, "SHOW WARNINGS"); len(got) != 0 {
		t.Fatalf("SHOW WARNINGS after another client's statement on the connection = %q: the other client's", got)
	}

	// The server keeps warnings past a statement that uses no table: the
	// other client's stay on the connection under this session's SELECT 1.
	queryStrings(t, other, "SELECT CAST('other' AS SIGNED) FROM went_back WHERE id = 1 FOR UPDATE")
	queryStrings(t, mine, "SELECT 1 /* strata:primary */")
	if got := queryStrings(t, mine, "SHOW WARNINGS"); len(got) != 0 {
		t.Fatalf("SHOW WARNINGS after SELECT 1 on the connection another client left warnings on = %q: the other client's", got)
	}
}

// numberedTable creates blog.name (id, n) with rows 1..rows, n = 0.
func numberedTable(t *testing.T, name string, rows int) {
	values := make([]string, rows)
	for i := range values {
		values[i] = fmt.Sprintf("(%d, 0)", i+1)
	}
	setupTables(t, "CREATE TABLE blog."+name+" (id INT PRIMARY KEY, n INT)", "INSERT INTO blog."+name+" VALUES "+strings.Join(values, ", "))
}

// The session's own status and profiles: Last_query_cost is the cost of
// the statement before, read where that statement ran (a replica for a
// read), and SHOW PROFILES lists the statements the session ran since it
// turned profiling on — still after it turned it off, as on a server.
func TestSessionStatusAndProfilesOfThisSession(t *testing.T) {
	t.Parallel()
	numberedTable(t, "costed", 200)
	// SQL_NO_CACHE: an answer from the server's query cache costs 0.
	const scan = "SELECT SQL_NO_CACHE COUNT(*) FROM costed WHERE n = 0"
	costs := map[string]bool{} // the replicas' statistics may differ a little
	for _, replica := range env.replicas {
		direct := testenv.Conn(t, openDirect(t, replica, "blog"))
		queryStrings(t, direct, scan)
		cost := queryStrings(t, direct, "SHOW SESSION STATUS LIKE 'Last_query_cost'")
		if len(cost) != 1 || cost[0] == "Last_query_cost|0.000000" {
			t.Fatalf("Last_query_cost of a scan, directly = %q: the test needs a cost", cost)
		}
		costs[cost[0]] = true
	}

	// A Strata of its own: no other test's session takes the replica's
	// connection between the scan and the SHOW STATUS that reads it.
	conn := testenv.Conn(t, openSmallStrata(t, 4))
	_, before := readsByServer(t, "costed")
	queryStrings(t, conn, scan)
	for _, q := range []string{"SHOW SESSION STATUS LIKE 'Last_query_cost'", "SHOW STATUS LIKE 'last_query_cost'"} {
		if got := queryStrings(t, conn, q); len(got) != 1 || !costs[got[0]] {
			t.Fatalf("%s after the scan = %q, want its cost, as directly (one of %v)", q, got, costs)
		}
	}
	// (The server counts a statement's reads after its answer is sent.)
	testenv.Eventually(t, "the scan ran on a replica", func() bool {
		_, after := readsByServer(t, "costed")
		return sum(after) > sum(before)
	})

	ran := []string{"SELECT COUNT(*) FROM costed", "SELECT n FROM costed WHERE id = 1", "UPDATE costed SET n = 1 WHERE id = 2"}
	if _, err := conn.ExecContext(ctxFor(t), "SET profiling = 1"); err != nil {
		t.Fatal(err)
	}
	for _, q := range ran {
		if _, err := conn.ExecContext(ctxFor(t), q); err != nil {
			t.Fatal(err)
		}
	}
	profiled := func() []string {
		var queries []string
		for _, row := range queryStrings(t, conn, "SHOW PROFILES") {
			queries = append(queries, row[strings.LastIndex(row, "|")+1:])
		}
		return queries
	}
	if got := profiled(); strings.Join(got, "\n") != strings.Join(ran, "\n") {
		t.Fatalf("SHOW PROFILES = %q, want the session's statements %q", got, ran)
	}
	if _, err := conn.ExecContext(ctxFor(t), "SET profiling = 0"); err != nil {
		t.Fatal(err)
	}
	queryStrings(t, conn, "SELECT id FROM costed WHERE id = 3")
	if got := profiled(); strings.Join(got, "\n") != strings.Join(ran, "\n") {
		t.Fatalf("SHOW PROFILES after profiling was turned off = %q, want the statements profiled before %q", got, ran)
	}
}
