package test

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/wire"
)

var textPreparedSample = regexp.MustCompile(`(?m)^strata_text_prepared_total\{outcome="(\w+)"\} (\d+)$`)

// textPreparedCounts reads strata_text_prepared_total by outcome.
func textPreparedCounts(t *testing.T, adminAddr string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, m := range textPreparedSample.FindAllStringSubmatch(testenv.GetText(t, "http://"+adminAddr+"/metrics"), -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	return got
}

// executedAtLeast waits up to 2 s for strata_text_prepared_total{outcome=
// "executed"} to reach want (Strata counts an execution just after its
// client has the answer) and returns it.
func executedAtLeast(t *testing.T, adminAddr string, want int) int {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := textPreparedCounts(t, adminAddr)["executed"]
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawAnswer sends a COM_QUERY on c and returns every packet of the answer
// (sequence number and payload), up to its end.
func rawAnswer(t *testing.T, c *backend.Conn, query string) []byte {
	t.Helper()
	if err := c.Command(append([]byte{wire.ComQuery}, query...)); err != nil {
		t.Fatal(err)
	}
	var all []byte
	packet := func() []byte {
		n, seq, err := c.ReadHeader()
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(c.R, p); err != nil {
			t.Fatal(err)
		}
		all = append(append(all, seq), p...)
		return p
	}
	first := packet()
	if first[0] == wire.HeaderErr || first[0] == wire.HeaderOK {
		return all
	}
	cols, _ := wire.ReadLenEnc(first)
	for i := uint64(0); i < cols; i++ {
		packet()
	}
	if !c.Flavor.DeprecateEOF {
		packet()
	}
	for {
		p := packet()
		if p[0] == wire.HeaderErr || p[0] == wire.HeaderEOF && len(p) < 0xffffff {
			return all
		}
	}
}

// With backend.prepare_text_reads, a SELECT whose values a
// client wrote into the text runs as its shape's prepared statement on
// the server, and the client reads the very bytes the server would have
// sent for the text: column definitions, rows of every column type, NULLs,
// the end of the result. A result with a FLOAT or DOUBLE column, whose
// binary values have no exact text here, ends that for its shape, which
// goes on as text with the same answers.
func TestTextReadsRunAsPreparedStatements(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"DROP TABLE IF EXISTS blog.tp_types",
		`CREATE TABLE blog.tp_types (id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT,
			bi BIGINT, bu BIGINT UNSIGNED, zf INT(6) UNSIGNED ZEROFILL, yr YEAR, d DATE, dt DATETIME, dt3 DATETIME(3),
			ts TIMESTAMP(6) NULL, tm TIME, tm2 TIME(2), dc DECIMAL(10,3), vc VARCHAR(40), ch CHAR(10), tx TEXT,
			bl BLOB, en ENUM('a','b'), st SET('x','y'), bt BIT(10), js JSON, fl FLOAT, db DOUBLE)`,
		`INSERT INTO blog.tp_types VALUES
			(1, -128, 255, -32768, -8388608, -9223372036854775808, 18446744073709551615, 42, 2024, '2024-02-29',
			 '2024-12-31 23:59:58', '2024-01-02 03:04:05.123', '2024-01-02 03:04:05.5', '-838:59:59', '12:00:00.25',
			 -1234567.5, 'it''s', 'abc', 'long text', x'00ff', 'b', 'x,y', b'1010101010', '{"a": [1, 2]}', 1.5, 0.1),
			(2, 0, 0, 0, 0, 0, 0, 0, 0, '0000-00-00', '0000-00-00 00:00:00', '1970-01-01 00:00:00.000',
			 '1970-01-02 00:00:00', '00:00:00', '-00:00:01.5', 0, '', '', '', '', 'a', '', b'0', 'null', 0, 0),
			(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	const exact = "id, ti, tu, si, mi, bi, bu, zf, yr, d, dt, dt3, ts, tm, tm2, dc, vc, ch, tx, bl, en, st, bt, js"
	promoted := []string{
		"SELECT " + exact + " FROM tp_types WHERE id = 1",
		"SELECT " + exact + " FROM tp_types WHERE id = 2",
		"SELECT " + exact + " FROM tp_types WHERE id = 3",
		"SELECT " + exact + " FROM tp_types WHERE id IN (1, 2, 3) ORDER BY id",
		"SELECT id, vc, ch FROM tp_types WHERE vc = 'it''s' OR ch = ''",
		"SELECT id, dt FROM tp_types WHERE id BETWEEN 1 AND 2 ORDER BY id DESC LIMIT 1",
		"SELECT id, vc FROM tp_types WHERE vc LIKE 'it%' LIMIT 5",
		"SELECT id FROM tp_types WHERE id > 0 ORDER BY id LIMIT 1, 1",
		"SELECT COUNT(*), MAX(dt3) FROM tp_types WHERE d >= '2024-01-01'",
		"SELECT id FROM tp_types WHERE id = 99",
		"SELECT id FROM tp_types WHERE bi = 'x'", // a warning, as for the text
		"SELECT id FROM tp_types WHERE bu = 18446744073709551615",
		"SELECT id FROM tp_types WHERE id >= 1 /*!99999 AND tu = 255 */ ORDER BY id", // MariaDB skips the comment
	}
	asText := []string{
		"SELECT fl, db FROM tp_types WHERE id = 1",                        // FLOAT and DOUBLE: untextable
		"SELECT id, 'tag' FROM tp_types WHERE id = 1",                     // a value in the select list
		"SELECT id FROM tp_types ORDER BY 1 LIMIT 1",                      // ORDER BY a position: LIMIT alone would bind
		"SELECT id FROM tp_types WHERE id = 99999999999999999999",         // a DECIMAL literal
		`SELECT id FROM tp_types WHERE vc = 'it\'s'`,                      // a backslash
		"SELECT id FROM tp_types WHERE id = 1; SELECT id FROM tp_types",   // several statements
		"SELECT id FROM tp_types WHERE id = ? AND ti = 1",                 // a parameter marker: the server's syntax error
		"SELECT id FROM tp_types WHERE id >= 1 /*!110000 AND tu = 255 */", // Strata reads it as code, MariaDB 10 skips it and its parameter
	}
	s, _ := testenv.StartStrataFile(t, prepareTextReadsYAML)
	through := rawDial(t, s.MySQLAddr(), "app", "app")
	direct := rawDial(t, env.replicas[0].Addr, "strata", "strata")
	executes := func() int64 {
		var n int64
		for _, r := range env.replicas {
			n += statusOf(t, r, "Com_stmt_execute")
		}
		return n
	}
	before, counts := executes(), textPreparedCounts(t, s.AdminAddr())
	for round := range 2 { // the second round runs on prepared statements
		for _, q := range promoted {
			if got, want := rawAnswer(t, through, q), rawAnswer(t, direct, q); !bytes.Equal(got, want) {
				t.Errorf("round %d: %s:\nthrough Strata % x\n      directly % x", round, q, got, want)
			}
		}
	}
	executedAtLeast(t, s.AdminAddr(), counts["executed"]+2*len(promoted))
	after := textPreparedCounts(t, s.AdminAddr())
	if n := after["executed"] - counts["executed"]; n != 2*len(promoted) {
		t.Errorf("%d text reads ran as prepared statements, want %d", n, 2*len(promoted))
	}
	if n := executes() - before; n < int64(2*len(promoted)) {
		t.Errorf("the replicas ran %d prepared executions, want at least %d", n, 2*len(promoted))
	}
	for round := range 2 {
		for _, q := range asText {
			if round == 1 && bytes.Contains([]byte(q), []byte(";")) {
				continue // a multi-statement answer is checked once
			}
			if got, want := rawAnswer(t, through, q), rawAnswer(t, direct, q); !bytes.Equal(got, want) {
				t.Errorf("%s:\nthrough Strata % x\n      directly % x", q, got, want)
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // for executions to be counted, were there any
	last := textPreparedCounts(t, s.AdminAddr())
	if last["executed"] != after["executed"] || last["untextable"]-after["untextable"] != 1 {
		t.Errorf("statements that stay text: executed %d -> %d, untextable %d -> %d; want no executions and one untextable shape (%v)",
			after["executed"], last["executed"], after["untextable"], last["untextable"], last)
	}
	// A session that reads text otherwise than the default sends its
	// statements as they are: Strata's scan of their values could differ
	// from the server's reading.
	for _, set := range []string{"SET NAMES sjis", "SET sql_mode = 'ANSI_QUOTES'", "SET sql_mode = 'NO_BACKSLASH_ESCAPES'"} {
		other := rawDial(t, s.MySQLAddr(), "app", "app")
		if r := rawAnswer(t, other, set); r[1] != wire.HeaderOK {
			t.Fatalf("%s: % x", set, r)
		}
		q := "SELECT id, vc FROM tp_types WHERE id = 1"
		before := textPreparedCounts(t, s.AdminAddr())["executed"]
		rawAnswer(t, other, q)
		rawAnswer(t, through, q)
		executedAtLeast(t, s.AdminAddr(), before+1)
		time.Sleep(200 * time.Millisecond) // for a second execution to be counted, were there one
		if n := textPreparedCounts(t, s.AdminAddr())["executed"] - before; n != 1 {
			t.Errorf("after %s, %d of the session's read and another's ran as prepared statements; want only the other's", set, n)
		}
	}
}

// statusOf reads one of a server's global status counters.
func statusOf(t *testing.T, srv *sandbox.Server, name string) int64 {
	t.Helper()
	var n int64
	var ignored string
	if err := openDirect(t, srv, "").QueryRow(fmt.Sprintf("SHOW GLOBAL STATUS LIKE %q", name)).Scan(&ignored, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Rows of 16 MB and more come in several packets. Turned into text, a
// row may need one packet more than its binary form, or keep several:
// every packet after it is numbered on from there.
func TestLongRowsTurnIntoText(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.tp_long (id INT PRIMARY KEY, n BIGINT, b LONGBLOB)")
	primary := testenv.Open(t, testenv.DSN(env.primary.Addr, "strata", "strata", "blog", "maxAllowedPacket=0"))
	// Row 1's binary row (31 bytes beside the blob) fits one packet, its
	// text row (53 bytes beside it) does not; row 2 needs two either way.
	const oneMore = 0xffffff - 40
	for id, size := range map[int]int{1: oneMore, 2: 17 << 20, 3: 10} {
		if _, err := primary.Exec("INSERT INTO tp_long VALUES (?, ?, ?)", id, int64(-1)<<63, bytes.Repeat([]byte{'x'}, size)); err != nil {
			t.Fatal(err)
		}
	}
	// Statistics settled on every server before the reads: a background
	// recount after the inserts could change the plan between the two
	// reads compared, and with it the EOF's "no index used" status flag.
	if _, err := primary.Exec("ANALYZE TABLE tp_long"); err != nil {
		t.Fatal(err)
	}
	if err := env.sb.WaitReplicated(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	for _, r := range env.replicas {
		waitRows(t, openDirect(t, r, "blog"), "SELECT COUNT(*) FROM tp_long", 3)
	}
	s, _ := testenv.StartStrataFile(t, prepareTextReadsYAML)
	through := rawDial(t, s.MySQLAddr(), "app", "app")
	direct := rawDial(t, env.replicas[0].Addr, "strata", "strata")
	for _, q := range []string{
		"SELECT id, n, b, n FROM tp_long WHERE id IN (1, 2, 3) ORDER BY id",
		"SELECT id, n, b, n FROM tp_long WHERE id IN (3, 2, 1) ORDER BY id DESC",
	} {
		if got, want := rawAnswer(t, through, q), rawAnswer(t, direct, q); !bytes.Equal(got, want) {
			at := 0
			for at < len(got) && at < len(want) && got[at] == want[at] {
				at++
			}
			t.Errorf("%s: %d bytes through Strata, %d directly, first different at %d: through Strata % x, directly % x",
				q, len(got), len(want), at, got[max(at-16, 0):min(at+16, len(got))], want[max(at-16, 0):min(at+16, len(want))])
		}
	}
	if n := executedAtLeast(t, s.AdminAddr(), 2); n != 2 {
		t.Errorf("%d of 2 reads ran as prepared statements", n)
	}
}

// waitRows waits until query counts want rows on db (a replica catching up).
func waitRows(t *testing.T, db *sql.DB, query string, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := db.QueryRow(query).Scan(&n); err == nil && n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %d rows after 20 s", query, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rawDial logs in to addr with a raw protocol connection in database blog.
func rawDial(t *testing.T, addr, user, password string) *backend.Conn {
	t.Helper()
	c, err := backend.Dial(ctxFor(t), backend.DialConfig{Addr: addr, User: user, Password: password, Timeout: 5 * time.Second, Flavor: backend.Flavor{Collation: 45}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SimpleCommand(wire.ComInitDB, "blog"); err != nil {
		t.Fatal(err)
	}
	return c
}

// prepareTextReadsYAML is the package's topology with
// backend.prepare_text_reads on, and only the first replica in the pool
// reads go to: the tests compare its answers with Strata's, and another
// server may plan a statement otherwise (status flags such as
// NO_INDEX_USED follow the plan).
var prepareTextReadsYAML = strings.NewReplacer(
	"backend: {user: strata, password: strata}", "backend: {user: strata, password: strata, prepare_text_reads: true}",
	"- {address: 127.0.0.1:17308}", "- {address: 127.0.0.1:17308, pool: other}",
).Replace(topologyYAML)

// Without backend.prepare_text_reads (the default) every text goes to the
// server as it is; the same statements with it run as prepared
// statements.
func TestTextReadsStayTextByDefault(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.tp_off (id INT PRIMARY KEY)", "REPLACE INTO blog.tp_off VALUES (1)")
	on, _ := testenv.StartStrataFile(t, prepareTextReadsYAML)
	reads := func(addr string) {
		t.Helper()
		db := testenv.Open(t, testenv.DSN(addr, "app", "app", "blog"))
		for i := range 20 {
			var n int
			if err := db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM tp_off WHERE id <> %d", i+2)).Scan(&n); err != nil || n != 1 {
				t.Fatalf("count %d, %v", n, err)
			}
		}
	}
	reads(env.addr)
	if got := textPreparedCounts(t, env.strata.AdminAddr()); got["executed"] != 0 {
		t.Errorf("%d text reads ran as prepared statements by default", got["executed"])
	}
	reads(on.MySQLAddr())
	if n := executedAtLeast(t, on.AdminAddr(), 20); n != 20 {
		t.Errorf("with prepare_text_reads, %d of 20 text reads ran as prepared statements", n)
	}
	// EXPLAIN STRATA shows the prepared statement a read runs as, and
	// only where it runs as one.
	const explained = "EXPLAIN STRATA SELECT COUNT(*) FROM tp_off WHERE id <> 5"
	const step = "prepare|main|tp_off|runs on the server as the prepared statement SELECT COUNT(*) FROM tp_off WHERE id <> ?, each ? bound to the text's value"
	if rows := queryStrings(t, testenv.Open(t, testenv.DSN(on.MySQLAddr(), "app", "app", "blog")), explained); len(rows) != 2 || !strings.HasPrefix(rows[1], step) {
		t.Errorf("%s with prepare_text_reads: %q, want the route and then %q", explained, rows, step)
	}
	if rows := queryStrings(t, testenv.Open(t, testenv.DSN(env.addr, "app", "app", "blog")), explained); len(rows) != 1 {
		t.Errorf("%s without prepare_text_reads: %q, want the route alone", explained, rows)
	}
	// A reload turns it off without a restart.
	cfg, err := config.Parse([]byte(strings.Replace(prepareTextReadsYAML, "prepare_text_reads: true", "prepare_text_reads: false", 1)))
	if err != nil {
		t.Fatal(err)
	}
	changes, _, err := on.Reload(cfg)
	if err != nil || !strings.Contains(strings.Join(changes, "\n"), "backend.prepare_text_reads: true -> false") {
		t.Fatalf("reload: %v, changes %q", err, changes)
	}
	reads(on.MySQLAddr())
	time.Sleep(200 * time.Millisecond) // for executions to be counted, were there any
	if n := textPreparedCounts(t, on.AdminAddr())["executed"]; n != 20 {
		t.Errorf("after a reload turned prepare_text_reads off, %d text reads ran as prepared statements, want the 20 of before", n)
	}
}

// A session that profiles its statements reads them back in SHOW
// PROFILES, which lists what the server ran: its reads go as their texts,
// not as prepared forms with a ? for each value, while another session's
// same read is prepared.
func TestProfiledSessionsSendText(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.tp_profiled (id INT PRIMARY KEY)", "REPLACE INTO blog.tp_profiled VALUES (1), (2)")
	s, _ := testenv.StartStrataFile(t, prepareTextReadsYAML)
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	profiled := testenv.Conn(t, db)
	if _, err := profiled.ExecContext(ctxFor(t), "SET profiling = 1"); err != nil {
		t.Fatal(err)
	}
	reads := []string{"SELECT id FROM tp_profiled WHERE id = 1", "SELECT id FROM tp_profiled WHERE id IN (1, 2) ORDER BY id LIMIT 1"}
	before := textPreparedCounts(t, s.AdminAddr())["executed"]
	for _, q := range reads {
		if got := queryStrings(t, profiled, q); len(got) != 1 || got[0] != "1" {
			t.Fatalf("%s = %q, want 1", q, got)
		}
	}
	other := testenv.Conn(t, db)
	queryStrings(t, other, reads[0])
	executedAtLeast(t, s.AdminAddr(), before+1)
	time.Sleep(200 * time.Millisecond) // for the profiled session's executions to be counted, were there any
	if n := textPreparedCounts(t, s.AdminAddr())["executed"] - before; n != 1 {
		t.Errorf("%d reads ran as prepared statements, want only the other session's one", n)
	}
	var listed []string
	for _, row := range queryStrings(t, profiled, "SHOW PROFILES") {
		listed = append(listed, row[strings.LastIndex(row, "|")+1:])
	}
	if strings.Join(listed, "\n") != strings.Join(reads, "\n") {
		t.Errorf("SHOW PROFILES = %q, want the session's texts %q", listed, reads)
	}
}

// A parameter bound to a literal's value must compare, match and convert
// as the literal does, against every column type: integers against
// strings, dates and YEARs against numbers and strings, ENUM and SET
// members by name and by number, BIT, DECIMAL and padded CHAR. Every
// answer through Strata, with its warnings count, is compared byte for
// byte with the server's answer to the text.
func TestTextReadsCompareAsLiterals(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"DROP TABLE IF EXISTS blog.tp_cmp",
		`CREATE TABLE blog.tp_cmp (id INT PRIMARY KEY, ti TINYINT, bu BIGINT UNSIGNED, yr YEAR, d DATE, dt DATETIME(2),
			tm TIME, dc DECIMAL(10,3), vc VARCHAR(40), ch CHAR(10), en ENUM('a','b','c'), st SET('x','y'), bt BIT(10))`,
		`INSERT INTO blog.tp_cmp VALUES
			(1, -5, 18446744073709551615, 2024, '2024-02-29', '2024-12-31 23:59:58.50', '-838:59:59', -1234567.5, 'It''s', 'abc', 'b', 'x,y', b'1010101010'),
			(2, 0, 0, 1999, '1999-01-01', '1999-01-01 00:00:00', '00:00:00', 0, '', '', 'a', '', b'0'),
			(3, 127, 42, 2000, '2000-01-01', '2000-01-01 12:00:00.01', '12:00:00', 1.5, '5', '5', 'c', 'y', b'1'),
			(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	s, _ := testenv.StartStrataFile(t, prepareTextReadsYAML)
	through := rawDial(t, s.MySQLAddr(), "app", "app")
	direct := rawDial(t, env.replicas[0].Addr, "strata", "strata")
	queries := 0
	for _, c := range []struct {
		col    string
		values []string
	}{
		{"ti", []string{"5", "'5'", "'-5'", "'127abc'", "0", "'x'", "''"}},
		{"bu", []string{"18446744073709551615", "'18446744073709551615'", "42", "'42.0'", "9223372036854775808"}},
		{"yr", []string{"24", "2024", "'24'", "99", "'99'", "0", "'0'", "00", "2000", "'2000'", "69", "70"}},
		{"d", []string{"'2024-02-29'", "20240229", "'20240229'", "'2024-2-29'", "0", "'1999-01-01 00:00:00'", "'junk'", "19990101"}},
		{"dt", []string{"'2024-12-31 23:59:58.5'", "'2024-12-31 23:59:58'", "20241231235958", "'2000-01-01 12:00:00.010'", "'1999-01-01'", "19990101"}},
		{"tm", []string{"'-838:59:59'", "'12:00'", "120000", "'12:00:00.000'", "0", "'00:00:00'", "'838:59:59'"}},
		{"dc", []string{"'-1234567.5'", "0", "'1.50'", "1", "'1.5e0'", "'abc'"}},
		{"vc", []string{"'it''s'", "'IT''S'", "5", "0", "''", "'5 '", "' 5'"}},
		{"ch", []string{"'abc'", "'abc   '", "'ABC'", "5", "''"}},
		{"en", []string{"'b'", "2", "'2'", "0", "'B'", "3", "'d'"}},
		{"st", []string{"'x,y'", "3", "'y,x'", "1", "''", "0"}},
		{"bt", []string{"682", "'682'", "0", "1", "''"}},
	} {
		for _, v := range c.values {
			for _, q := range []string{
				fmt.Sprintf("SELECT id FROM tp_cmp WHERE %s = %s ORDER BY id", c.col, v),
				fmt.Sprintf("SELECT id FROM tp_cmp WHERE %s > %s ORDER BY id", c.col, v),
				fmt.Sprintf("SELECT id FROM tp_cmp WHERE %s <=> %s ORDER BY id", c.col, v),
				fmt.Sprintf("SELECT id FROM tp_cmp WHERE %s IN (%s, 1) ORDER BY id", c.col, v),
				fmt.Sprintf("SELECT id FROM tp_cmp WHERE %s BETWEEN %s AND '9' ORDER BY id", c.col, v),
				fmt.Sprintf("SELECT id FROM tp_cmp WHERE %s LIKE %s ORDER BY id", c.col, v),
			} {
				if got, want := rawAnswer(t, through, q), rawAnswer(t, direct, q); !bytes.Equal(got, want) {
					t.Errorf("%s:\nthrough Strata % x\n      directly % x", q, got, want)
				}
				queries++
			}
		}
	}
	if n := executedAtLeast(t, s.AdminAddr(), queries); n != queries {
		t.Errorf("%d of %d reads ran as prepared statements, want all", n, queries)
	}
}
