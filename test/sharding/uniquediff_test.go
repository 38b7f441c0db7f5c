package sharding

import (
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/test/testenv"
)

// uniqueGen makes random writes to uq_diff over few ids and few values of
// its unique: keys, so that they collide: the same email in another case
// or with a trailing space (one value under the column's collation),
// NULLs a nullable key lets repeat and a NOT NULL one stores as ”,
// defaults, keys of two columns.
type uniqueGen struct{ r *rand.Rand }

func (g uniqueGen) pick(vals ...string) string { return vals[g.r.IntN(len(vals))] }
func (g uniqueGen) id() int                    { return 1 + g.r.IntN(12) }
func (g uniqueGen) email() string {
	return g.pick("'a'", "'b'", "'c'", "'A'", "'b '", "NULL", "DEFAULT", "'d'")
}
func (g uniqueGen) nick() string { return g.pick("'x'", "'y'", "NULL", "DEFAULT", "'Y'") }
func (g uniqueGen) site() string { return g.pick("1", "2", "NULL", "DEFAULT") }
func (g uniqueGen) slug() string { return g.pick("'p'", "'q'", "NULL", "'P'") }

// row is a VALUES row for columns (id, email, nick, site, slug).
func (g uniqueGen) row() string {
	return fmt.Sprintf("(%d, %s, %s, %s, %s)", g.id(), g.email(), g.nick(), g.site(), g.slug())
}

// file is a LOAD DATA file of 1-3 rows for (id, email, nick, site,
// slug): \N in NOT NULL columns, rows too short to have the last fields.
func (g uniqueGen) file() string {
	var lines []string
	for range 1 + g.r.IntN(3) {
		fields := []string{fmt.Sprint(g.id()), g.pick("a", "b", "A", "b ", `\N`), g.pick("x", "y", `\N`), g.pick("1", "2", `\N`), g.pick("p", "q", `\N`)}
		if g.r.IntN(3) == 0 {
			fields = fields[:1+g.r.IntN(4)] // too short to have the last fields
		}
		lines = append(lines, strings.Join(fields, ","))
	}
	return strings.Join(lines, "\n") + "\n"
}

// loadStatement is a LOAD DATA statement of file; LOAD_FILE stands for
// its name, REPLACE_OR_NOT for REPLACE or nothing.
const loadStatement = "LOAD DATA LOCAL INFILE 'LOAD_FILE' REPLACE_OR_NOT INTO TABLE uq_diff FIELDS TERMINATED BY ',' (id, email, nick, site, slug)"

func (g uniqueGen) statement() string {
	rows := func() string {
		out := []string{g.row()}
		for g.r.IntN(2) == 0 && len(out) < 3 {
			out = append(out, g.row())
		}
		return strings.Join(out, ", ")
	}
	switch g.r.IntN(13) {
	case 0:
		return g.pick("SET SESSION sql_mode = ''", "SET SESSION sql_mode = DEFAULT")
	case 10:
		return loadStatement
	case 1, 2:
		return g.pick("INSERT", "INSERT IGNORE", "REPLACE") + " INTO uq_diff (id, email, nick, site, slug) VALUES " + rows()
	case 3:
		// Columns left out: their defaults (email has none).
		cols := g.pick("email, slug", "nick, site", "slug")
		vals := map[string]string{"email, slug": "'c', 'p'", "nick, site": "'Y', 2", "slug": "'q'"}[cols]
		return fmt.Sprintf("INSERT INTO uq_diff (id, %s) VALUES (%d, %s)", cols, g.id(), vals)
	case 4:
		return "INSERT INTO uq_diff (id, email, nick, site, slug) VALUES " + rows() + " ON DUPLICATE KEY UPDATE n = n + 1"
	case 5:
		return fmt.Sprintf("UPDATE %suq_diff SET email = %s, n = n + 1 WHERE id %s", g.pick("", "IGNORE "), g.email(), g.pick(fmt.Sprintf("= %d", g.id()), fmt.Sprintf("IN (%d, %d)", g.id(), g.id())))
	case 6:
		return fmt.Sprintf("UPDATE uq_diff SET site = %s, slug = %s WHERE id = %d", g.site(), g.slug(), g.id())
	case 7:
		return fmt.Sprintf("UPDATE uq_diff SET nick = %s WHERE id = %d", g.nick(), g.id())
	case 11, 12:
		// By a unique: column alone, as an ORM saves by its key: the
		// row's remembered shard first (locate.go), which the writes
		// around it make stale as its value moves between rows.
		// Or by a list of its values, on the shards of their rows.
		val := func() string { return g.pick("'a'", "'b'", "'c'", "'A'", "'b '", "'x'", "'y'") }
		cond := g.pick("= "+val(), fmt.Sprintf("IN (%s, %s)", val(), val()), fmt.Sprintf("IN (%s, %s, %s)", val(), val(), val()))
		return fmt.Sprintf("UPDATE uq_diff SET n = n + 1 WHERE %s %s%s", g.pick("email", "nick"), cond, g.pick("", " AND n < 3"))
	}
	return fmt.Sprintf("DELETE FROM uq_diff WHERE %s", g.pick(fmt.Sprintf("id = %d", g.id()), "email = "+g.pick("'a'", "'B'", "'c '"), fmt.Sprintf("id > %d", g.id()),
		fmt.Sprintf("nick IN (%s, %s)", g.pick("'x'", "'Y'", "NULL"), g.pick("'x'", "'y'"))))
}

// listRead is a read of the rows of a list of values of a unique:
// column, which runs on those rows' remembered shards first where Strata
// knows each (locate.go): the writes around it move the values between
// rows and shards, and one value's other spelling ('A', 'b ') names the
// same row.
func (g uniqueGen) listRead() string {
	col := g.pick("email", "nick")
	vals := []string{g.pick("'a'", "'b'", "'c'", "'A'", "'b '", "'x'", "'y'", "'Y'")}
	for len(vals) < 4 && g.r.IntN(3) > 0 {
		vals = append(vals, g.pick("'a'", "'b'", "'c'", "'d'", "'x'", "'y'"))
	}
	return fmt.Sprintf("SELECT id, %s, n FROM uq_diff WHERE %s IN (%s)%s", col, col, strings.Join(vals, ", "), g.pick(" ORDER BY id", " ORDER BY id LIMIT 1", ""))
}

// lockRead runs a locking read in got's and want's transactions and
// compares the rows: under single, Strata refuses (1235) a transaction's
// first locking read that finds rows on several shards, having locked
// nothing (narrowread.go); under twopc it answers them.
func lockRead(t *testing.T, got, want *sql.Conn, q string, twopc bool, outcomes map[string]int) {
	t.Helper()
	gotRows, err := tryStrings(got, q)
	if !twopc && testenv.MySQLErr(err) == 1235 {
		outcomes["locking read of rows on several shards refused"]++
		return
	}
	wantRows := testenv.Strings(t, want, q)
	if err != nil || !slices.Equal(gotRows, wantRows) {
		// Their locks would hold up the next run's first DELETE.
		mustExec(t, got, "ROLLBACK")
		mustExec(t, want, "ROLLBACK")
		t.Fatalf("%s: through Strata %q (%v), on one server %q", q, gotRows, err, wantRows)
	}
	outcomes["locking reads"]++
}

// bindValues is q with its values as placeholders, and the values: a
// NULL bound as nil.
func bindValues(q string) (string, []any) {
	const null = "\x01null"
	bound, args := parameterize(strings.ReplaceAll(q, "NULL", "'"+null+"'"))
	for i, a := range args {
		if a == null {
			args[i] = nil
		}
	}
	return strings.ReplaceAll(bound, "'"+null+"'", "NULL"), args
}

// unlikeOneServer reports why a statement's outcome through Strata may
// differ from one server's, or "" when it must not: Strata refuses (1235)
// a duplicate that INSERT IGNORE, UPDATE IGNORE, REPLACE or ON DUPLICATE
// KEY UPDATE would have one server skip, delete or update on another
// shard; and a shard given one row of a multi-row INSERT refuses its NULL
// in a NOT NULL column (1048) where one server, not in a strict sql_mode,
// stores ” for INSERTs of several rows (docs/sharding.md).
//
// A statement with two faults (a duplicate in one row, a NULL in another)
// fails on both, by the fault each meets first: one server's is its
// rows' order, Strata's the shard that answers first.
func unlikeOneServer(q string, got, want error) string {
	var g, w *mysql.MySQLError
	if !errors.As(got, &g) {
		return ""
	}
	faults := []uint16{1048, 1062, 1364}
	switch {
	case errors.As(want, &w):
		if g.Number != w.Number && slices.Contains(faults, g.Number) && slices.Contains(faults, w.Number) {
			return "both refused, for another fault"
		}
	case want != nil:
	case g.Number == 1235 && strings.Contains(g.Message, "would both hold"):
		return "refused a duplicate one server skips"
	case g.Number == 1048 && strings.Contains(q, "), ("):
		return "a shard's single row refused its NULL"
	}
	return ""
}

// Random writes to a table with unique: keys give one server's answers:
// the same error code (1062 for a duplicate, whichever shards hold the
// two rows) or the same affected rows, then the same rows. One server
// runs each statement in a transaction, rolled back where Strata refuses
// it for a reason docs/sharding.md gives (unlikeOneServer), so both go on
// from the same rows. A third of the writes run as prepared statements
// with their values bound. It runs in both transaction modes: writes
// over several shards commit with XA under twopc. Seeded:
// STRATA_DIFF_SEED and STRATA_DIFF_QUERIES.
func TestUniqueWriteDifferential(t *testing.T) {
	seed, n := diffParams(t, 400)
	t.Logf("seed %d, %d statements (STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d to repeat)", seed, n, seed, n)
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.uq_diff (id INT NOT NULL PRIMARY KEY, email VARCHAR(20) NOT NULL, "+
		"nick VARCHAR(20) NULL DEFAULT 'x', site INT NOT NULL DEFAULT 1, slug VARCHAR(20) NULL, n INT NOT NULL DEFAULT 0, "+
		"UNIQUE KEY email (email), UNIQUE KEY nick (nick), UNIQUE KEY site (site, slug))", "blog.uq_diff", append([]string{"single"}, shardNames...)...)
	// Each mode places the rows by another method, so rows meet other
	// shards' rows in other ways.
	modulo := "method: modulo, shards: [s0, s1, s2, s3]"
	hash := "method: hash, shards: {s0: '-40', s1: '40-80', s2: '80-c0', s3: 'c0-'}"
	t.Run("default", func(t *testing.T) { uniqueWriteDifferential(t, modulo, "", seed, n) })
	t.Run("twopc", func(t *testing.T) { uniqueWriteDifferential(t, hash, "transactions: {mode: twopc}\n", seed, n) })
}

func uniqueWriteDifferential(t *testing.T, placement, extra string, seed uint64, n int) {
	for _, c := range append([]string{"single"}, shardNames...) {
		if _, err := direct[c].Exec("DELETE FROM blog.uq_diff"); err != nil {
			t.Fatal(err)
		}
	}
	s := startOwn(t, ownConfig(t, "uq_diff: {shard_key: id, "+placement+", unique: [email, nick, [site, slug]]}", extra))
	testenv.Eventually(t, "the columns of uq_diff are learned", func() bool {
		return s.Env.Sharding.Layout().Table("uq_diff").KeyType != shard.KeyTypeUnknown
	})
	got := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	want := testenv.Conn(t, singleBlog)
	mustExec(t, want, "SET SESSION sql_mode = DEFAULT") // a pooled connection keeps the last run's
	ctx := testenv.Ctx(t)
	g := uniqueGen{r: rand.New(rand.NewPCG(seed, 17))}
	outcomes := map[string]int{}
	const rows = "SELECT CONCAT_WS(' ', id, email, IFNULL(nick, 'NULL'), site, IFNULL(slug, 'NULL'), n) FROM uq_diff ORDER BY id"
	for i := range n {
		q := g.statement()
		if q == loadStatement {
			file := g.file()
			q = strings.Replace(q, "LOAD_FILE", registerFile(t, fmt.Sprint("uqdiff", i), file), 1) + " -- " + strings.ReplaceAll(file, "\n", "|")
			q = strings.Replace(q, "REPLACE_OR_NOT ", g.pick("", "REPLACE "), 1)
		}
		// A third of the writes run prepared, their values bound (NULLs
		// too).
		var args []any
		bound := g.r.IntN(3) == 0 && !strings.HasPrefix(q, "LOAD") && !strings.HasPrefix(q, "SET")
		if bound {
			q, args = bindValues(q)
			outcomes["bound"]++
		}
		mustExec(t, want, "BEGIN")
		// A write of a list of unique: values runs in a transaction of
		// the client's now and then, as Django runs bulk_update and
		// delete() (narrowing it: narrow.go, locate.go).
		clientTx := (strings.Contains(q, "email IN (") || strings.Contains(q, "nick IN (")) && g.r.IntN(2) == 0
		if clientTx {
			mustExec(t, got, "BEGIN")
			outcomes["in a transaction"]++
			if !bound && g.r.IntN(2) == 0 {
				// Its rows locked first, as an ORM does before it saves.
				lockRead(t, got, want, "SELECT id, n FROM uq_diff WHERE "+strings.SplitN(q, " WHERE ", 2)[1]+" ORDER BY id FOR UPDATE", extra != "", outcomes)
			}
		}
		gotRes, gotErr := execIn(ctx, got, q, bound, args...)
		if clientTx {
			mustExec(t, got, map[bool]string{true: "COMMIT", false: "ROLLBACK"}[gotErr == nil])
		}
		wantRes, wantErr := execIn(ctx, want, q, bound, args...)
		if bound {
			q = fmt.Sprint(q, " ", args)
		}
		if why := unlikeOneServer(q, gotErr, wantErr); why != "" {
			mustExec(t, want, "ROLLBACK")
			outcomes[why]++
			continue
		}
		mustExec(t, want, "COMMIT")
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Fatalf("statement %d: %s: %s (repeat with STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d)\nrows through Strata %q\non one server %q",
				i, q, msg, seed, n, testenv.Strings(t, got, rows), testenv.Strings(t, want, rows))
		}
		var me *mysql.MySQLError
		switch {
		case errors.As(wantErr, &me):
			outcomes[fmt.Sprint("error ", me.Number)]++
		case strings.HasPrefix(q, "LOAD DATA"):
			outcomes["loaded"]++
		default:
			outcomes["ran"]++
		}
		if gotRows, wantRows := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); !slices.Equal(gotRows, wantRows) {
			t.Fatalf("statement %d: %s: rows through Strata\n%s\non one server\n%s (repeat with STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d)",
				i, q, strings.Join(gotRows, "\n"), strings.Join(wantRows, "\n"), seed, n)
		}
		read := g.listRead()
		gotRead, wantRead := testenv.Strings(t, got, read), testenv.Strings(t, want, read)
		if !strings.Contains(read, "ORDER BY") {
			slices.Sort(gotRead)
			slices.Sort(wantRead)
		}
		if !slices.Equal(gotRead, wantRead) {
			t.Fatalf("after statement %d: %s: through Strata %q, on one server %q (repeat with STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d)", i, read, gotRead, wantRead, seed, n)
		}
	}
	guesses := func(outcome string) float64 {
		return metricValue(t, s.AdminAddr(), `strata_row_location_guesses_total{outcome="`+outcome+`"}`)
	}
	t.Logf("outcomes: %v; saves by a unique: column run first on the row's remembered shard: %v found it there, %v did not", outcomes, guesses("hit"), guesses("miss"))
	if outcomes["error 1062"] == 0 || outcomes["ran"] == 0 || outcomes["loaded"] == 0 || outcomes["bound"] == 0 {
		t.Errorf("outcomes %v: the statements never met a duplicate, or never ran, or no file loaded, or none was bound", outcomes)
	}
	if n >= 400 && guesses("hit") == 0 {
		t.Error("no statement by a unique: column ran on its row's remembered shard")
	}
}
