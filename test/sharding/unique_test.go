package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/test/testenv"
)

// uq_members keeps email unique, and slug per site.
const (
	uqMembersDDL = "CREATE TABLE IF NOT EXISTS blog.uq_members (id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(100) COLLATE utf8mb4_general_ci NULL, nick VARCHAR(40) NULL, " +
		"site INT NULL, slug VARCHAR(40) COLLATE utf8mb4_general_ci NULL, UNIQUE KEY email (email), UNIQUE KEY site (site, slug))"
	uqMembersTable = "uq_members: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3], unique: [email, [site, slug]]}"
)

// A column a table lists in unique: is unique across its shards, as one
// server's UNIQUE key keeps it: each shard's own key sees its rows alone,
// so without the check a second row of a value another shard holds went
// in beside it. A duplicate, in the column's collation (Ann@ = ann@ under
// _ci), is refused with 1062 and nothing of the statement is written;
// NULLs repeat, a value freed by a DELETE or an UPDATE is free again. A
// key of two columns (slug per site) holds for their values together.
// IGNORE, REPLACE and ON DUPLICATE KEY UPDATE, which one server would
// answer by skipping, replacing or updating the other shard's row, are
// refused with 1235 where they meet one, as is LOAD DATA LOCAL (which
// skips duplicates as IGNORE does); a value Strata cannot read (an
// expression) and a session that reads committed rows only
// (whose locking reads lock no gap) are refused. Two clients writing one
// value on two shards at once: one wins, the other gets 1062 or, where
// they waited for each other, 1213.
func TestUniqueColumnsHoldAcrossShards(t *testing.T) {
	strataDB(t)
	createOn(t, uqMembersDDL, "blog.uq_members", shardNames...)
	for _, mode := range []string{"single", "twopc"} {
		t.Run(mode, func(t *testing.T) {
			for _, sh := range shardNames {
				mustExec(t, direct[sh], "DELETE FROM blog.uq_members")
			}
			s := startOwn(t, ownConfig(t, uqMembersTable, "transactions: {mode: "+mode+"}\n"))
			db := openStrata(t, s.MySQLAddr())
			conn := testenv.Conn(t, db)
			ctx := testenv.Ctx(t)
			refused := func(what string, code uint16, says string, err error) {
				t.Helper()
				if testenv.MySQLErr(err) != code || !strings.Contains(err.Error(), says) {
					t.Errorf("%s: %v, want error %d saying %q", what, err, code, says)
				}
			}
			emails := func(cond string) []string {
				t.Helper()
				return testenv.Strings(t, conn, "SELECT CONCAT(id, ' ', IFNULL(email, 'NULL')) FROM uq_members WHERE "+cond+" ORDER BY id")
			}

			mustExec(t, conn, "INSERT INTO uq_members (id, email) VALUES (1, 'ann@example.com')")
			_, err := conn.ExecContext(ctx, "INSERT INTO uq_members (id, email) VALUES (2, 'Ann@Example.com')")
			refused("a second spelling of ann@ on another shard", 1062, "Duplicate entry 'Ann@Example.com' for key 'email'", err)
			_, err = conn.ExecContext(ctx, "INSERT INTO uq_members (id, email) VALUES (?, ?)", 3, "ann@example.com")
			refused("a bound ann@ on another shard", 1062, "Duplicate entry", err)
			_, err = conn.ExecContext(ctx, "INSERT INTO uq_members (id, email) VALUES (4, 'bob@example.com'), (5, 'bob@example.com')")
			refused("one value twice in a statement, on two shards", 1062, "bob@example.com", err)
			if got := emails("id BETWEEN 2 AND 5"); len(got) != 0 {
				t.Errorf("rows of the refused INSERTs: %q, want none", got)
			}
			mustExec(t, conn, "INSERT INTO uq_members (id, email) VALUES (6, NULL), (7, NULL), (8, 'cy@example.com')")
			_, err = conn.ExecContext(ctx, "UPDATE uq_members SET email = 'ann@example.com' WHERE id = 8")
			refused("an UPDATE to ann@ on another shard", 1062, "Duplicate entry", err)
			mustExec(t, conn, "UPDATE uq_members SET email = 'cy2@example.com' WHERE id = 8")
			mustExec(t, conn, "UPDATE uq_members SET email = 'cy2@example.com', nick = 'cy' WHERE id = 8") // its own value
			mustExec(t, conn, "DELETE FROM uq_members WHERE id = 1")
			mustExec(t, conn, "INSERT INTO uq_members (id, email) VALUES (2, 'ann@example.com')") // freed
			if got, want := emails("1 = 1"), []string{"2 ann@example.com", "6 NULL", "7 NULL", "8 cy2@example.com"}; !slices.Equal(got, want) {
				t.Errorf("rows: %q, want %q", got, want)
			}

			// A key of two columns: their values together.
			mustExec(t, conn, "INSERT INTO uq_members (id, site, slug) VALUES (20, 1, 'hello'), (21, 2, 'hello'), (22, 1, NULL), (23, 1, NULL)")
			_, err = conn.ExecContext(ctx, "INSERT INTO uq_members (id, site, slug) VALUES (?, ?, ?)", 25, 1, "Hello")
			refused("site 1's hello again, on another shard", 1062, "Duplicate entry '1-Hello' for key 'site'", err)
			_, err = conn.ExecContext(ctx, "UPDATE uq_members SET site = 1, slug = 'hello' WHERE id = 21")
			refused("an UPDATE to site 1's hello", 1062, "Duplicate entry '1-hello' for key 'site'", err)
			mustExec(t, conn, "UPDATE uq_members SET site = 3, slug = 'hello' WHERE id = 21")
			_, err = conn.ExecContext(ctx, "UPDATE uq_members SET slug = 'bye' WHERE id = 21")
			refused("an UPDATE of part of the key", 1235, "sets slug but not all of (site, slug)", err)
			if got := testenv.Strings(t, conn, "SELECT CONCAT(id, ' ', site, ' ', IFNULL(slug, 'NULL')) FROM uq_members WHERE id BETWEEN 20 AND 29 ORDER BY id"); !slices.Equal(got, []string{"20 1 hello", "21 3 hello", "22 1 NULL", "23 1 NULL"}) {
				t.Errorf("rows of the two-column key: %q", got)
			}
			mustExec(t, conn, "DELETE FROM uq_members WHERE id BETWEEN 20 AND 29")

			for _, q := range []struct{ sql, says string }{
				{"INSERT IGNORE INTO uq_members (id, email) VALUES (9, 'ann@example.com')", "IGNORE would skip the row"},
				{"REPLACE INTO uq_members (id, email) VALUES (9, 'ann@example.com')", "REPLACE would delete that row"},
				{"INSERT INTO uq_members (id, email) VALUES (9, 'ann@example.com') ON DUPLICATE KEY UPDATE nick = 'x'", "ON DUPLICATE KEY UPDATE would update"},
				{"INSERT INTO uq_members (id, email) VALUES (9, 'x@example.com') ON DUPLICATE KEY UPDATE email = 'y@example.com'", "ON DUPLICATE KEY UPDATE sets uq_members.email"},
				{"INSERT INTO uq_members (id, email) VALUES (9, CONCAT('d', '@example.com'))", "not an expression"},
				{"UPDATE uq_members SET email = LOWER(email) WHERE id = 8", "not an expression"},
			} {
				_, err := conn.ExecContext(ctx, q.sql)
				refused(q.sql, 1235, q.says, err)
			}
			mustExec(t, conn, "INSERT IGNORE INTO uq_members (id, email) VALUES (9, 'dee@example.com')")
			// LOAD DATA LOCAL: one server skips a duplicate row with a
			// warning, which Strata cannot do across shards.
			load := func(name, file, columns string) error {
				mysql.RegisterReaderHandler(name, func() io.Reader { return strings.NewReader(file) })
				defer mysql.DeregisterReaderHandler(name)
				_, err := db.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+"' INTO TABLE uq_members FIELDS TERMINATED BY ',' "+columns)
				return err
			}
			refused("LOAD DATA of a taken email", 1235, "rows on s2 and s3 would both hold 'Ann@example.com'; on one server LOAD DATA LOCAL would skip the row", load("uq1", "10,eve@example.com\n11,Ann@example.com\n", "(id, email)"))
			refused("LOAD DATA of one email twice", 1235, "LOAD DATA LOCAL would skip the row", load("uq2", "10,eve@example.com\n11,EVE@example.com\n", "(id, email)"))
			refused("LOAD DATA of one slug twice", 1235, "LOAD DATA LOCAL would skip the row", load("uq3", "30,1,x\n31,1,X\n", "(id, site, slug)"))
			if err := load("uq4", "10,eve@example.com\n12,\\N\n", "(id, email)"); err != nil {
				t.Errorf("LOAD DATA of new emails: %v", err)
			}
			mustExec(t, conn, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
			_, err = conn.ExecContext(ctx, "INSERT INTO uq_members (id, email) VALUES (11, 'fay@example.com')")
			refused("a write under READ COMMITTED", 1235, "REPEATABLE READ", err)
			mustExec(t, conn, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
			if got, want := emails("id BETWEEN 9 AND 99"), []string{"9 dee@example.com", "10 eve@example.com", "12 NULL"}; !slices.Equal(got, want) {
				t.Errorf("rows from 9 on: %q, want %q", got, want)
			}

			// In a transaction the check needs every shard: two-phase commit.
			mustExec(t, conn, "BEGIN")
			_, err = conn.ExecContext(ctx, "INSERT INTO uq_members (id, email) VALUES (14, 'hal@example.com')")
			mustExec(t, conn, "COMMIT")
			if mode == "single" {
				refused("an INSERT in a transaction without twopc", 1235, "which Strata checks is unique on every shard", err)
			} else if err != nil {
				t.Errorf("an INSERT in a transaction with twopc: %v", err)
			}
			// A value another client's open write holds waits for it.
			if mode == "twopc" {
				other := testenv.Conn(t, db)
				mustExec(t, other, "BEGIN")
				mustExec(t, other, "INSERT INTO uq_members (id, email) VALUES (15, 'gil@example.com')")
				done := make(chan error, 1)
				go func() {
					_, err := conn.ExecContext(ctx, "INSERT INTO uq_members (id, email) VALUES (16, 'gil@example.com')")
					done <- err
				}()
				select {
				case err := <-done:
					t.Fatalf("the INSERT of a value an open transaction wrote on another shard did not wait: %v", err)
				case <-time.After(500 * time.Millisecond):
				}
				mustExec(t, other, "COMMIT")
				refused("the waiting INSERT after the other's COMMIT", 1062, "gil@example.com", <-done)
			}
			raceOneValue(t, db)
			var tables []struct {
				Name   string
				Unique []string
				Local  []string `json:"shard_local_unique_keys"`
			}
			testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/tables", &tables)
			for _, tb := range tables {
				if tb.Name == "uq_members" && (!slices.Equal(tb.Unique, []string{"email", "site, slug"}) || len(tb.Local) != 0) {
					t.Errorf("GET /api/tables uq_members: unique %q, shard_local_unique_keys %q; want [email, site, slug] and none", tb.Unique, tb.Local)
				}
			}
		})
	}
}

// raceOneValue has two clients insert one email at once on two shards,
// again and again: each time exactly one row must be written.
func raceOneValue(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 5 {
		email := fmt.Sprintf("race%d@example.com", i)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = db.ExecContext(ctx, "INSERT INTO uq_members (id, email) VALUES (?, ?)", 1000+10*i+j, email)
			}()
		}
		wg.Wait()
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM uq_members WHERE email = ?", email).Scan(&n); err != nil {
			t.Fatal(err)
		}
		wins := 0
		for _, err := range errs {
			switch code := testenv.MySQLErr(err); {
			case err == nil:
				wins++
			case code != 1062 && code != 1213:
				t.Errorf("%s: %v, want success, 1062 or 1213", email, err)
			}
		}
		if n != 1 || wins != 1 {
			t.Errorf("%s written at once on two shards: %d rows, %d successes (%v); want 1 and 1", email, n, wins, errs)
		}
	}
}

// A PHP sign-up form over PDO, in both prepare modes, sees a taken email
// through Strata exactly as it sees it on one server holding all the
// rows: the same PDOException (SQLSTATE 23000, error 1062), the same
// rows after.
func TestPHPSignUpSeesTakenEmailsAsOneServer(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		t.Fatal("php not installed: make deps installs php-cli php-mysql")
	}
	strataDB(t)
	createOn(t, uqMembersDDL, "blog.uq_members", append([]string{"single"}, shardNames...)...)
	for _, sh := range append([]string{"single"}, shardNames...) {
		mustExec(t, direct[sh], "DELETE FROM blog.uq_members WHERE id BETWEEN 5000 AND 5999")
	}
	s := startOwn(t, ownConfig(t, uqMembersTable, "transactions: {mode: twopc}\n"))
	script, _ := filepath.Abs("../php/unique_signup.php")
	run := func(addr, user, pass, mode, first string) string {
		t.Helper()
		host, port, _ := strings.Cut(addr, ":")
		out, err := exec.Command("php", script, host, port, user, pass, mode, first).CombinedOutput()
		if err != nil {
			t.Fatalf("php %s against %s: %v\n%s", mode, addr, err, out)
		}
		return string(out)
	}
	for i, mode := range []string{"emulated", "native"} {
		first := strconv.Itoa(5000 + 100*i)
		want := run(clusterAddr["single"], "root", "", mode, first)
		got := run(s.MySQLAddr(), "app", "app", mode, first)
		if got != want {
			t.Errorf("PDO %s through Strata differs from the single server:%s", mode, lineDiff(got, want))
		}
		if !strings.Contains(want, "sign up "+strconv.Itoa(5002+100*i)+": refused: SQLSTATE 23000, error 1062") || strings.Count(want, "error 1062") != 4 {
			t.Errorf("PDO %s on one server: not the refusals the test expects:\n%s", mode, want)
		}
	}
}

// A server whose global isolation reads committed rows only takes no gap
// lock for the checks' locking reads, which the session's own settings do
// not show: the check reads each shard's level with its rows and refuses
// the write there (1235), leaving nothing written.
func TestUniqueChecksRefuseServersThatLockNoGaps(t *testing.T) {
	strataDB(t)
	createOn(t, uqMembersDDL, "blog.uq_members", shardNames...)
	for _, sh := range shardNames {
		mustExec(t, direct[sh], "SET GLOBAL tx_isolation = 'READ-COMMITTED'")
	}
	t.Cleanup(func() {
		for _, sh := range shardNames {
			mustExec(t, direct[sh], "SET GLOBAL tx_isolation = 'REPEATABLE-READ'")
		}
	})
	cleanup(t, "uq_members", "id IN (41, 42)")
	s := startOwn(t, ownConfig(t, uqMembersTable, ""))
	conn := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	_, err := conn.ExecContext(testenv.Ctx(t), "INSERT INTO uq_members (id, email) VALUES (41, 'ivy@example.com')")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "under READ-COMMITTED") {
		t.Errorf("a checked INSERT on servers reading committed rows: %v, want error 1235 naming READ-COMMITTED", err)
	}
	if got := holders(t, "uq_members", "id = 41"); len(got) != 0 {
		t.Errorf("the refused row is on %v", got)
	}
	mustExec(t, conn, "INSERT INTO uq_members (id, nick) VALUES (42, 'no key value: no check')")
}

// A column of a unique: key that a write leaves out, or gives DEFAULT,
// holds its default, which one server's key counts like a given value:
// the second row left to handle's 'anon' is a duplicate on one server,
// and through Strata on another shard too. Each statement gets the
// single server's answer. A default each shard would compute itself
// (UUID()) cannot be checked and is refused.
func TestUniqueDefaultsAreCheckedAsValues(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.uq_handles (id BIGINT NOT NULL PRIMARY KEY, handle VARCHAR(40) NOT NULL DEFAULT 'anon', "+
		"site INT NOT NULL DEFAULT 1, slug VARCHAR(40) NULL, token VARCHAR(40) NULL DEFAULT (UUID()), "+
		"UNIQUE KEY handle (handle), UNIQUE KEY site (site, slug), UNIQUE KEY token (token))", "blog.uq_handles", append([]string{"single"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, "uq_handles: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3], unique: [handle, [site, slug], token]}", ""))
	testenv.Eventually(t, "the defaults of uq_handles are learned", func() bool {
		return s.Env.Sharding.Layout().Table("uq_handles").KeyType != shard.KeyTypeUnknown
	})
	conn := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	single := testenv.Conn(t, singleBlog)
	ctx := testenv.Ctx(t)
	for _, q := range []struct {
		sql  string
		code uint16 // through Strata and on the single server
		says string
	}{
		{"INSERT INTO uq_handles (id, slug, token) VALUES (1, 'a', 't1')", 0, ""},
		{"INSERT INTO uq_handles (id, slug, token) VALUES (2, 'b', 't2')", 1062, "Duplicate entry 'anon' for key 'handle'"},
		{"INSERT INTO uq_handles (id, handle, slug, token) VALUES (3, 'c', 'a', 't3')", 1062, "Duplicate entry '1-a' for key 'site'"},
		{"INSERT INTO uq_handles (id, handle, site, slug, token) VALUES (4, DEFAULT, 2, 'x', 't4')", 1062, "Duplicate entry 'anon' for key 'handle'"},
		{"INSERT INTO uq_handles (id, handle, site, slug, token) VALUES (5, 'e', DEFAULT, 'A', 't5')", 1062, "Duplicate entry '1-A' for key 'site'"},
		{"INSERT INTO uq_handles (id, handle, slug, token) VALUES (6, 'f', 'f', 't6'), (7, 'g', 'g', 't7')", 0, ""},
		{"UPDATE uq_handles SET handle = DEFAULT WHERE id = 7", 1062, "Duplicate entry 'anon' for key 'handle'"},
	} {
		_, err := conn.ExecContext(ctx, q.sql)
		_, serr := single.ExecContext(ctx, q.sql)
		if testenv.MySQLErr(err) != q.code || testenv.MySQLErr(serr) != q.code || (q.code != 0 && (!strings.Contains(err.Error(), q.says) || !strings.Contains(serr.Error(), q.says))) {
			t.Errorf("%s:\n  Strata: %v\n  single: %v\nwant error %d saying %q from both", q.sql, err, serr, q.code, q.says)
		}
	}
	for _, q := range []struct{ sql, says string }{
		{"INSERT INTO uq_handles (id, handle, slug) VALUES (8, 'h', 'h')", "token is left to its default uuid()"},
		{"INSERT INTO uq_handles (id, handle, slug, token) VALUES (8, 'h', 'h', DEFAULT)", "token is left to its default uuid()"},
	} {
		_, err := conn.ExecContext(ctx, q.sql)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), q.says) {
			t.Errorf("%s: %v, want error 1235 saying %q", q.sql, err, q.says)
		}
	}
	file := registerFile(t, "uqdefaults", "10,z,t10\n") // on another shard than id 1
	_, err := conn.ExecContext(ctx, "LOAD DATA LOCAL INFILE '"+file+"' INTO TABLE uq_handles FIELDS TERMINATED BY ',' (id, slug, token)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "would both hold 'anon'") {
		t.Errorf("LOAD DATA leaving handle to its default: %v, want error 1235 naming 'anon'", err)
	}
	var tables []struct {
		Name     string
		Defaults map[string]string `json:"unique_defaults"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/tables", &tables)
	listed := false
	for _, tb := range tables {
		if tb.Name != "uq_handles" {
			continue
		}
		listed = true
		if want := map[string]string{"handle": "'anon'", "site": "1", "slug": "NULL", "token": "uuid()"}; !maps.Equal(tb.Defaults, want) {
			t.Errorf("GET /api/tables uq_handles: unique_defaults %q, want %q", tb.Defaults, want)
		}
	}
	if !listed {
		t.Error("GET /api/tables does not list uq_handles")
	}
	// A default changed through Strata counts from the next statement.
	mustExec(t, conn, "ALTER TABLE uq_handles ALTER COLUMN handle SET DEFAULT 'nobody'")
	mustExec(t, single, "ALTER TABLE uq_handles ALTER COLUMN handle SET DEFAULT 'nobody'")
	for _, q := range []struct {
		sql  string
		code uint16
	}{
		{"INSERT INTO uq_handles (id, slug, token) VALUES (12, 'q', 't12')", 0},
		{"INSERT INTO uq_handles (id, slug, token) VALUES (13, 'r', 't13')", 1062}, // on another shard than 12
	} {
		_, err := conn.ExecContext(ctx, q.sql)
		_, serr := single.ExecContext(ctx, q.sql)
		if testenv.MySQLErr(err) != q.code || testenv.MySQLErr(serr) != q.code || (q.code != 0 && !strings.Contains(err.Error(), "Duplicate entry 'nobody' for key 'handle'")) {
			t.Errorf("after the ALTER, %s:\n  Strata: %v\n  single: %v\nwant error %d, a duplicate 'nobody'", q.sql, err, serr, q.code)
		}
	}
	want := testenv.Strings(t, single, "SELECT CONCAT_WS(' ', id, handle, site, slug, token) FROM uq_handles ORDER BY id")
	if got := testenv.Strings(t, conn, "SELECT CONCAT_WS(' ', id, handle, site, slug, token) FROM uq_handles ORDER BY id"); !slices.Equal(got, want) {
		t.Errorf("rows through Strata %q, on the single server %q", got, want)
	}
}

// Where a write gives a column of a unique: key a NULL it cannot hold
// (NOT NULL), or leaves out a NOT NULL column without a default, MariaDB
// stores the type's zero unless it refuses the row: a multi-row INSERT
// or an UPDATE under a non-strict sql_mode, INSERT IGNORE, LOAD DATA
// LOCAL (which also stores the zero where a row is too short to have the
// field). One server's key counts two zeros as a duplicate, so Strata
// must check the zero, not skip it as a NULL: each statement gets the
// single server's answer, except that Strata refuses (1235) the
// duplicate a single server would skip with a warning, and the rows end
// up the same.
func TestUniqueZerosOfNotNullColumnsAreChecked(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.uq_zeros (id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(40) NOT NULL, "+
		"code BINARY(4) NOT NULL DEFAULT 'abcd', nick VARCHAR(40) NULL DEFAULT 'x', "+
		"UNIQUE KEY email (email), UNIQUE KEY code (code), UNIQUE KEY nick (nick))", "blog.uq_zeros", append([]string{"single"}, shardNames...)...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.uq_stamps (id BIGINT NOT NULL PRIMARY KEY, stamp TIMESTAMP NOT NULL DEFAULT '2020-01-01 00:00:00', "+
		"seen TIMESTAMP NOT NULL, UNIQUE KEY stamp (stamp), UNIQUE KEY seen (seen))", "blog.uq_stamps", append([]string{"single"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, "uq_zeros: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3], unique: [email, code, nick]}\n"+
		"  uq_stamps: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3], unique: [stamp, seen]}", ""))
	testenv.Eventually(t, "the columns of uq_zeros and uq_stamps are learned", func() bool {
		l := s.Env.Sharding.Layout()
		return l.Table("uq_zeros").KeyType != shard.KeyTypeUnknown && l.Table("uq_stamps").KeyType != shard.KeyTypeUnknown
	})
	conn := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	single := testenv.Conn(t, singleBlog)
	ctx := testenv.Ctx(t)
	both := func(sql string) (error, error) {
		_, err := conn.ExecContext(ctx, sql)
		_, serr := single.ExecContext(ctx, sql)
		return err, serr
	}
	both("SET SESSION sql_mode = ''")
	// ids 1, 2 and 6, 3 and 7: shards s1, s2, s3 (modulo 4); the NULLs
	// below come with a second row on their shard (a shard given one row
	// of several gets it as INSERT ... SELECT:
	// TestNullsInSplitRowsAreStoredAsOneServerStoresThem).
	for _, q := range []struct {
		sql  string
		code uint16 // through Strata and on the single server
		says string
	}{
		{"INSERT IGNORE INTO uq_zeros (id, email, code, nick) VALUES (1, NULL, 'c1', 'n1')", 0, ""},
		{"INSERT INTO uq_zeros (id, email, code, nick) VALUES (2, 'e2', 'c2', 'n2'), (6, NULL, 'c6', 'n6')", 1062, "Duplicate entry '' for key 'email'"},
		{"INSERT INTO uq_zeros (id, code, nick) VALUES (2, 'c2', 'n2'), (3, 'c3', 'n3')", 1062, "Duplicate entry '' for key 'email'"},
		{"INSERT INTO uq_zeros (id, email, code, nick) VALUES (2, 'e2', NULL, 'n2'), (6, 'e6', 'c6', NULL)", 0, ""},
		{"UPDATE uq_zeros SET email = NULL WHERE id = 2", 1062, "Duplicate entry '' for key 'email'"},
		{"INSERT INTO uq_zeros (id, email, code, nick) VALUES (3, 'e3', NULL, 'n3'), (7, 'e7', 'c7', 'n7')", 1062, `Duplicate entry '\x00' for key 'code'`},
	} {
		err, serr := both(q.sql)
		if testenv.MySQLErr(err) != q.code || testenv.MySQLErr(serr) != q.code || (q.code != 0 && (!strings.Contains(err.Error(), q.says) || !strings.Contains(serr.Error(), q.says))) {
			t.Errorf("%s:\n  Strata: %v\n  single: %v\nwant error %d saying %q from both", q.sql, err, serr, q.code, q.says)
		}
	}
	// The single server skips these rows with a warning; Strata refuses
	// the statement, as it does every duplicate of IGNORE and LOAD DATA
	// LOCAL (it cannot skip a row another shard holds the value of).
	both("SET SESSION sql_mode = DEFAULT")
	for _, q := range []struct {
		sql, file, says string
	}{
		{"INSERT IGNORE INTO uq_zeros (id, email, code, nick) VALUES (3, NULL, 'c3', 'n3')", "", "would both hold ''"},
		{"UPDATE IGNORE uq_zeros SET email = NULL WHERE id = 6", "", "would both hold ''"},
		{"LOAD DATA LOCAL INFILE '%s' INTO TABLE uq_zeros FIELDS TERMINATED BY ',' (id, email, code, nick)", "3,\\N,c3,n3\n", "would both hold ''"},
		{"LOAD DATA LOCAL INFILE '%s' INTO TABLE uq_zeros FIELDS TERMINATED BY ',' (id, email, code, nick)", "3,e3\n", `would both hold '\x00'`},
		{"LOAD DATA LOCAL INFILE '%s' INTO TABLE uq_zeros FIELDS TERMINATED BY ',' (id, email, @c, nick) SET code = @c", "3,e3,\\N,n3\n", `would both hold '\x00'`},
	} {
		sql := q.sql
		if q.file != "" {
			sql = fmt.Sprintf(sql, registerFile(t, "uqzeros", q.file))
		}
		err, serr := both(sql)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), q.says) || serr != nil {
			t.Errorf("%s (%q):\n  Strata: %v\n  single: %v\nwant Strata's error 1235 saying %q, the single server's warning", sql, q.file, err, serr, q.says)
		}
	}
	// A short row's nullable column whose default is not NULL holds ''
	// too, not its default.
	file := registerFile(t, "uqzeros", "9,e9,c9\n10,e10,c10\n")
	err, serr := both("LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE uq_zeros FIELDS TERMINATED BY ',' (id, email, code, nick)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "would both hold ''") || serr != nil {
		t.Errorf("LOAD DATA of two rows too short to have nick:\n  Strata: %v\n  single: %v\nwant Strata's error 1235 for two '', the single server's warning", err, serr)
	}
	// Strata loaded nothing; the single server kept 9 and skipped 10.
	if _, err := single.ExecContext(ctx, "DELETE FROM uq_zeros WHERE id = 9"); err != nil {
		t.Fatal(err)
	}
	// A TIMESTAMP given no value takes the statement's clock, which
	// Strata does not know: the load is refused, naming why.
	for _, f := range []struct{ file, says string }{
		{"1,\\N\n", `stamp no value (\N)`},
		{"1\n", "stamp no value (the row is too short to have its field)"},
	} {
		_, err := conn.ExecContext(ctx, "LOAD DATA LOCAL INFILE '"+registerFile(t, "uqstamps", f.file)+"' INTO TABLE uq_stamps FIELDS TERMINATED BY ',' (id, stamp)")
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), f.says) {
			t.Errorf("LOAD DATA of %q into uq_stamps: %v, want error 1235 saying %q", f.file, err, f.says)
		}
	}
	// So is an INSERT or UPDATE that gives one NULL, in any sql_mode.
	for _, q := range []struct{ sql, says string }{
		{"INSERT INTO uq_stamps (id, stamp, seen) VALUES (3, '2021-01-03', NULL)", "seen is given NULL"},
		{"UPDATE uq_stamps SET stamp = NULL WHERE id = 1", "stamp is given NULL"},
	} {
		if _, err := conn.ExecContext(ctx, q.sql); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), q.says) {
			t.Errorf("%s: %v, want error 1235 saying %q", q.sql, err, q.says)
		}
	}
	// Left out of a non-strict INSERT, it holds the zero, checked as a
	// value: rows 1 and 2 (s1, s2) both hold it on one server's key.
	both("SET SESSION sql_mode = ''")
	for _, q := range []struct {
		sql  string
		code uint16
	}{
		{"INSERT INTO uq_stamps (id, stamp) VALUES (1, '2021-01-01')", 0},
		{"INSERT INTO uq_stamps (id, stamp) VALUES (2, '2021-01-02')", 1062},
	} {
		err, serr := both(q.sql)
		if testenv.MySQLErr(err) != q.code || testenv.MySQLErr(serr) != q.code || (q.code != 0 && err.Error() != serr.Error()) {
			t.Errorf("%s:\n  Strata: %v\n  single: %v\nwant error %d from both", q.sql, err, serr, q.code)
		}
	}
	var tables []struct {
		Name  string
		Zeros map[string]string `json:"unique_zeros"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/tables", &tables)
	zeros := map[string]map[string]string{}
	for _, tb := range tables {
		zeros[tb.Name] = tb.Zeros
	}
	if want := map[string]string{"email": "''", "code": "X'00000000'"}; !maps.Equal(zeros["uq_zeros"], want) {
		t.Errorf("GET /api/tables uq_zeros: unique_zeros %q, want %q", zeros["uq_zeros"], want)
	}
	if want := map[string]string{"stamp": "clock", "seen": "clock"}; !maps.Equal(zeros["uq_stamps"], want) {
		t.Errorf("GET /api/tables uq_stamps: unique_zeros %q, want %q", zeros["uq_stamps"], want)
	}
	query := "SELECT CONCAT_WS(' ', id, email, HEX(code), IFNULL(nick, 'NULL')) FROM uq_zeros ORDER BY id"
	if got, want := testenv.Strings(t, conn, query), testenv.Strings(t, single, query); !slices.Equal(got, want) {
		t.Errorf("rows through Strata %q, on the single server %q", got, want)
	}
}

// REPLACE and INSERT ... ON DUPLICATE KEY UPDATE meet, on one server,
// every row that holds a value of the row they write, whichever shard
// Strata keeps it on: REPLACE deletes it, ON DUPLICATE KEY UPDATE
// updates the first it meets. A shard sees its own rows only, so Strata
// reads each value's rows on every shard before such a write and
// refuses it (1235) where another shard holds one; with the rows on the
// written row's shard, the write runs as on one server. Before, a check
// after the write missed both cases below: the upsert updated the row
// of its own shard that shares nick 'x' where one server updates the
// row of email 'b' on another shard, and the REPLACE left the row of
// 'b' that one server deletes (its second row replaced the first, so
// no row of 'b' was left to check). An upsert of an id its shard holds
// runs: it updates that row, as one server does.
func TestReplaceAndUpsertMeetRowsOnOtherShards(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.uq_upsert (id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(40) NOT NULL, nick VARCHAR(40) NOT NULL, "+
		"n INT NOT NULL DEFAULT 0, UNIQUE KEY email (email), UNIQUE KEY nick (nick))", "blog.uq_upsert", append([]string{"single"}, shardNames...)...)
	s := startOwn(t, ownConfig(t, "uq_upsert: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3], unique: [email, nick]}", ""))
	conn := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	single := testenv.Conn(t, singleBlog)
	ctx := testenv.Ctx(t)
	// ids 1 and 5 are on s1, 2 on s2 (modulo 4).
	for _, db := range []*sql.Conn{conn, single} {
		mustExec(t, db, "INSERT INTO uq_upsert (id, email, nick) VALUES (1, 'a', 'x'), (2, 'b', 'y')")
	}
	for _, q := range []struct{ sql, says string }{
		{"INSERT INTO uq_upsert (id, email, nick) VALUES (5, 'b', 'x') ON DUPLICATE KEY UPDATE n = n + 1", "rows on s1 and s2 would both hold 'b'"},
		{"REPLACE INTO uq_upsert (id, email, nick) VALUES (5, 'b', 'z'), (5, 'c', 'z')", "rows on s1 and s2 would both hold 'b'"},
		// One server inserts 6 and updates it for the second row, whose
		// email it meets before the nick of row 1, on 5's shard.
		{"INSERT INTO uq_upsert (id, email, nick) VALUES (6, 'q', 's'), (5, 'q', 'x') ON DUPLICATE KEY UPDATE n = n + 1", "rows on s1 and s2 would both hold 'q'"},
		// The same with the value spelled otherwise ('Q' = 'q' in a _ci
		// collation): on s1, 5's row meets row 1's nick and updates row
		// 1, leaving 'Q' unwritten, and no check before the write sees
		// 6's 'q' on s2.
		{"INSERT INTO uq_upsert (id, email, nick) VALUES (6, 'q', 's'), (5, 'Q', 'x') ON DUPLICATE KEY UPDATE n = n + 1", "rows on s1 and s2 would both hold 'Q'"},
		// A file's second row replaces its first on s1, where one server
		// had let the first delete row 2 on s2: checked after the load,
		// 'b' is no longer on s1.
		{loadReplace(t, "uqrep1", "5,b,z\n5,c,z\n"), "rows on s1 and s2 would both hold 'b'"},
	} {
		_, err := conn.ExecContext(ctx, q.sql)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), q.says) {
			t.Errorf("%s: %v, want error 1235 saying %q", q.sql, err, q.says)
		}
	}
	// Rows on the written row's shard only: as on one server.
	for _, q := range []string{
		"INSERT INTO uq_upsert (id, email, nick) VALUES (5, 'a', 'w') ON DUPLICATE KEY UPDATE n = n + 1",
		"INSERT INTO uq_upsert (id, email, nick) VALUES (1, 'a', 'x') ON DUPLICATE KEY UPDATE n = n + 10",
		"REPLACE INTO uq_upsert (id, email, nick) VALUES (5, 'e', 'x')",
		loadReplace(t, "uqrep2", "5,f,x\n9,e,w\n"), // both rows on s1
	} {
		_, err := conn.ExecContext(ctx, q)
		_, serr := single.ExecContext(ctx, q)
		if err != nil || serr != nil {
			t.Errorf("%s:\n  Strata: %v\n  single: %v\nwant both to run", q, err, serr)
		}
	}
	// An upsert of an id its shard holds updates that row, on one server
	// too, which meets the primary key first: that s2 holds 'b' does not
	// matter. Its id bound, or written out.
	var tables []struct {
		Name         string
		KeyIsPrimary bool `json:"key_is_primary"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/tables", &tables)
	primary := map[string]bool{}
	for _, tb := range tables {
		primary[tb.Name] = tb.KeyIsPrimary
	}
	if !primary["uq_upsert"] {
		t.Errorf("GET /api/tables does not say that uq_upsert's primary key is its shard key: %+v", tables)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO uq_upsert (id, email, nick) VALUES (5, 'b', 'q') ON DUPLICATE KEY UPDATE n = n + 1", nil},
		{"INSERT INTO uq_upsert (id, email, nick) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE n = n + 2", []any{5, "b", "q"}},
	} {
		_, err := conn.ExecContext(ctx, q.sql, q.args...)
		_, serr := single.ExecContext(ctx, q.sql, q.args...)
		if err != nil || serr != nil {
			t.Errorf("%s %v:\n  Strata: %v\n  single: %v\nwant both to update row 5", q.sql, q.args, err, serr)
		}
	}
	query := "SELECT CONCAT_WS(' ', id, email, nick, n) FROM uq_upsert ORDER BY id"
	if got, want := testenv.Strings(t, conn, query), testenv.Strings(t, single, query); !slices.Equal(got, want) {
		t.Errorf("rows through Strata %q, on the single server %q", got, want)
	}
}

// loadReplace is a LOAD DATA ... REPLACE of file (id, email, nick) into
// uq_upsert, registered as name.
func loadReplace(t *testing.T, name, file string) string {
	return "LOAD DATA LOCAL INFILE '" + registerFile(t, name, file) + "' REPLACE INTO TABLE uq_upsert FIELDS TERMINATED BY ',' (id, email, nick)"
}
