package backend

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/wire"
)

// Port 27306 belongs to the backend package's tests.
const queryTestConfig = `
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
clusters:
  main:
    primary: 127.0.0.1:27306
`

var (
	sbOnce sync.Once
	sbErr  error
	sbDown func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sbDown != nil {
		sbDown()
	}
	os.Exit(code)
}

// requireServer starts the package's MariaDB on first use; it skips when
// MariaDB is missing unless STRATA_REQUIRE_MARIADB is set.
func requireServer(t *testing.T) {
	t.Helper()
	if !sandbox.MariaDBInstalled() {
		if os.Getenv("STRATA_REQUIRE_MARIADB") != "" {
			t.Fatal("mariadbd not found and STRATA_REQUIRE_MARIADB is set: run make deps")
		}
		t.Skip("mariadbd not installed (make deps installs it)")
	}
	sbOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cfg, err := config.Parse([]byte(queryTestConfig))
		if err != nil {
			sbErr = err
			return
		}
		dir, err := os.MkdirTemp("", "strata-backend-")
		if err != nil {
			sbErr = err
			return
		}
		sb, err := sandbox.Up(ctx, cfg, sandbox.Options{Dir: dir + "/sb", KillWithParent: true})
		if err != nil {
			os.RemoveAll(dir)
			sbErr = err
			return
		}
		sbDown = func() {
			sb.Down(context.Background())
			os.RemoveAll(dir)
		}
		sbErr = sb.Primary("main").Exec(ctx, "CREATE DATABASE IF NOT EXISTS qt")
	})
	if sbErr != nil {
		t.Fatalf("starting MariaDB: %v", sbErr)
	}
}

func dial(t *testing.T, deprecateEOF bool) *Conn {
	t.Helper()
	requireServer(t)
	return dialAt(t, "127.0.0.1:27306", deprecateEOF)
}

// dialAt logs in to the test server at addr (the server itself, or a relay
// in front of it) and selects database qt; the connection is closed when
// the test ends.
func dialAt(t *testing.T, addr string, deprecateEOF bool) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), DialConfig{
		Addr: addr, User: "strata", Password: "strata", Timeout: 10 * time.Second,
		Flavor: Flavor{Collation: 45, DeprecateEOF: deprecateEOF},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SimpleCommand(wire.ComInitDB, "qt"); err != nil {
		t.Fatal(err)
	}
	return c
}

// eachFlavor runs f with and without DEPRECATE_EOF.
func eachFlavor(t *testing.T, f func(t *testing.T, c *Conn)) {
	for _, dep := range []bool{false, true} {
		t.Run(fmt.Sprintf("DeprecateEOF=%v", dep), func(t *testing.T) { f(t, dial(t, dep)) })
	}
}

func mustExec(t *testing.T, c *Conn, sql string) QueryResult {
	t.Helper()
	res, err := c.Exec(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res
}

func queryAll(t *testing.T, c *Conn, sql string) ([]engine.Column, []engine.Row) {
	t.Helper()
	r, err := c.QueryRows(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	rows, err := engine.Collect(context.Background(), r)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r.Columns(), rows
}

func render(r engine.Row) string {
	parts := make([]string, len(r))
	for i, v := range r {
		switch {
		case v == nil:
			parts[i] = "NULL"
		case len(v) == 0:
			parts[i] = "''"
		default:
			var b strings.Builder
			b.WriteByte('"')
			for _, c := range v {
				switch {
				case c == '"' || c == '\\':
					b.WriteByte('\\')
					b.WriteByte(c)
				case c >= 0x20 && c < 0x7f:
					b.WriteByte(c)
				default:
					fmt.Fprintf(&b, "\\x%02x", c)
				}
			}
			b.WriteByte('"')
			parts[i] = b.String()
		}
	}
	return strings.Join(parts, " ")
}

// typesTable has a column of every common type and three rows: typical
// values, NULLs, and empty/zero/edge values.
var typesTable = []string{
	"SET SESSION sql_mode = ''",
	"SET SESSION time_zone = '+00:00'",
	"DROP TABLE IF EXISTS qt.types",
	`CREATE TABLE qt.types (
		id INT PRIMARY KEY,
		ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
		i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, iz INT(5) ZEROFILL, y YEAR,
		f FLOAT, d DOUBLE, de DECIMAL(10,3),
		dt DATE, dtm DATETIME, dtm6 DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME, tm6 TIME(6),
		c CHAR(5), vc VARCHAR(20), vb VARBINARY(10), tx TEXT, bl BLOB,
		e ENUM('a','bb'), st SET('x','y'), b BIT(10), j JSON, g POINT
	)`,
	`INSERT INTO qt.types VALUES
		(1, -128, 255, -32768, 65535, -8388608, 16777215,
		 -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, 42, 2024,
		 1.5, -2.25, -1234567.125,
		 '2024-02-29', '2024-02-29 13:14:15', '2024-02-29 13:14:15.000123', '2024-02-29 13:14:15.5', '-838:59:59', '12:34:56.789012',
		 'ab', 'héllo', x'00ff', 'text', x'deadbeef',
		 'bb', 'x,y', b'1000000001', '{"k": [1, 2]}', POINT(1, 2)),
		(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		(3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		 0, 0.1, 0,
		 '0000-00-00', '2024-01-01 00:00:00', '0000-00-00 00:00:00', '1970-01-01 00:00:01', '00:00:00', '-00:00:00.000001',
		 '', '', '', '', '',
		 '', '', b'0', '{}', NULL)`,
}

func TestQueryRowsTypes(t *testing.T) {
	eachFlavor(t, func(t *testing.T, c *Conn) {
		for _, s := range typesTable {
			mustExec(t, c, s)
		}
		cols, rows := queryAll(t, c, "SELECT * FROM qt.types ORDER BY id")
		if len(cols) != 32 || len(rows) != 3 {
			t.Fatalf("%d columns, %d rows", len(cols), len(rows))
		}
		wantTypes := map[string]byte{
			"ti": engine.TypeTiny, "si": engine.TypeShort, "mi": engine.TypeInt24, "i": engine.TypeLong,
			"bi": engine.TypeLongLong, "y": engine.TypeYear, "f": engine.TypeFloat, "d": engine.TypeDouble,
			"de": engine.TypeNewDecimal, "dt": engine.TypeDate, "dtm": engine.TypeDateTime,
			"ts": engine.TypeTimestamp, "tm": engine.TypeTime, "vc": engine.TypeVarString, "b": engine.TypeBit,
		}
		for _, col := range cols {
			if want, ok := wantTypes[col.Name]; ok && col.Type != want {
				t.Errorf("column %s: type %#x, want %#x", col.Name, col.Type, want)
			}
		}
		if cols[2].Flags&engine.FlagUnsigned == 0 || cols[1].Flags&engine.FlagUnsigned != 0 {
			t.Errorf("unsigned flags: tiu %#x ti %#x", cols[2].Flags, cols[1].Flags)
		}
		if cols[15].Decimals != 3 || cols[24].Charset != engine.CharsetBinary || cols[23].Charset != 45 {
			t.Errorf("decimals/charset: de %+v vb %+v vc %+v", cols[15], cols[24], cols[23])
		}
		want := []string{
			`"1" "-128" "255" "-32768" "65535" "-8388608" "16777215" "-2147483648" "4294967295" "-9223372036854775808" "18446744073709551615" "00042" "2024" "1.5" "-2.25" "-1234567.125" "2024-02-29" "2024-02-29 13:14:15" "2024-02-29 13:14:15.000123" "2024-02-29 13:14:15.500" "-838:59:59" "12:34:56.789012" "ab" "h\xc3\xa9llo" "\x00\xff" "text" "\xde\xad\xbe\xef" "bb" "x,y" "\x02\x01" "{\"k\": [1, 2]}" "\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@"`,
			`"2"` + strings.Repeat(" NULL", 31),
			`"3" "0" "0" "0" "0" "0" "0" "0" "0" "0" "0" "00000" "0000" "0" "0.1" "0.000" "0000-00-00" "2024-01-01 00:00:00" "0000-00-00 00:00:00.000000" "1970-01-01 00:00:01.000" "00:00:00" "-00:00:00.000001" '' '' '' '' '' '' '' "\x00\x00" "{}" NULL`,
		}
		for i, r := range rows {
			if got := render(r); got != want[i] {
				t.Errorf("row %d:\n got %s\nwant %s", i, got, want[i])
			}
		}
		// Rows are not shared: changing one must not change another.
		rows[0][1][0] = 'X'
		if string(rows[0][2]) != "255" {
			t.Error("row values share memory")
		}
		if c.Broken {
			t.Error("connection marked broken")
		}
	})
}

// TestBinaryRowsMatchServer compares AppendBinaryRow of the text rows with
// the binary rows the server sends for the same query through
// COM_STMT_EXECUTE.
func TestBinaryRowsMatchServer(t *testing.T) {
	eachFlavor(t, func(t *testing.T, c *Conn) {
		for _, s := range typesTable {
			mustExec(t, c, s)
		}
		for _, q := range []string{
			"SELECT * FROM qt.types ORDER BY id",
			// Edge values of expressions rather than stored columns. (Not
			// PI(): a DOUBLE with fixed decimals arrives rounded as text, so
			// its binary form cannot be rebuilt from the text.)
			`SELECT CAST('100:00:00' AS TIME), CAST('-01:00:00.5' AS TIME(1)), CAST('838:59:59.999999' AS TIME(6)),
				CAST('2024-01-01 00:00:00.000001' AS DATETIME(6)), CAST('9999-12-31 23:59:59' AS DATETIME),
				CAST('2024-01-01' AS DATE), 1e300, -1e-300, 1e0/3, CAST(1.1 AS FLOAT), CAST(-3.4e38 AS FLOAT),
				-0e0, 123456789012345678, -1, 18446744073709551615, 1.5, CAST(-7 AS SIGNED), CAST(7 AS UNSIGNED),
				NULL, '', _binary'', X'fb00', YEAR('2000-01-01')`,
			"SELECT seq, IF(seq % 3 = 0, NULL, seq * 1.5), IF(seq % 2 = 0, NULL, CONCAT('v', seq)) FROM seq_1_to_20",
		} {
			cols, text := queryAll(t, c, q)
			bin := executeBinary(t, c, q)
			if len(bin) != len(text) {
				t.Fatalf("%d binary rows, %d text rows", len(bin), len(text))
			}
			for i := range text {
				got, err := engine.AppendBinaryRow(nil, cols, text[i])
				if err != nil {
					t.Fatalf("%s: row %d: %v", q, i, err)
				}
				if !bytes.Equal(got, bin[i]) {
					t.Errorf("%s: row %d:\n got %x\nwant %x", q, i, got, bin[i])
					diffBinary(t, cols, text[i], bin[i])
				}
			}
		}
	})
}

// diffBinary names the first column whose encoding differs.
func diffBinary(t *testing.T, cols []engine.Column, text engine.Row, want []byte) {
	t.Helper()
	for n := 1; n <= len(cols); n++ {
		got, _ := engine.AppendBinaryRow(nil, cols[:n], text[:n])
		hdr := 1 + (n+7+2)/8
		wantHdr := 1 + (len(cols)+7+2)/8
		if !bytes.HasPrefix(want[wantHdr:], got[hdr:]) {
			t.Errorf("first difference at column %s (type %#x) value %q", cols[n-1].Name, cols[n-1].Type, text[n-1])
			return
		}
	}
}

// executeBinary prepares q (no parameters), executes it and returns the
// binary row payloads.
func executeBinary(t *testing.T, c *Conn, q string) [][]byte {
	t.Helper()
	st, err := c.Stmt(c.DB, q)
	if err != nil {
		t.Fatal(err)
	}
	p := []byte{wire.ComStmtExecute}
	p = binary.LittleEndian.AppendUint32(p, st.ID)
	p = append(p, 0, 1, 0, 0, 0)
	if err := c.Command(p); err != nil {
		t.Fatal(err)
	}
	head, err := c.ReadPacket()
	if err != nil || len(head) == 0 || head[0] == wire.HeaderErr {
		t.Fatalf("execute: %x %v", head, err)
	}
	n, _ := wire.ReadLenEnc(head)
	skip := int(n)
	if !c.Flavor.DeprecateEOF {
		skip++
	}
	for range skip {
		if _, err := c.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
	var rows [][]byte
	for {
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if p[0] == wire.HeaderEOF && len(p) < wire.MaxPayload {
			return rows
		}
		if p[0] != 0x00 {
			t.Fatalf("binary row header %x", p[0])
		}
		rows = append(rows, append([]byte(nil), p...))
	}
}

func TestQueryRowsOK(t *testing.T) {
	eachFlavor(t, func(t *testing.T, c *Conn) {
		mustExec(t, c, "DROP TABLE IF EXISTS qt.ok")
		mustExec(t, c, "CREATE TABLE qt.ok (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
		res := mustExec(t, c, "INSERT INTO qt.ok (v) VALUES (1), (2), (3)")
		if res.AffectedRows != 3 || res.LastInsertID != 1 || !strings.Contains(res.Info, "Records: 3") {
			t.Errorf("insert: %+v", res)
		}
		res = mustExec(t, c, "UPDATE qt.ok SET v = 9 WHERE id < 3")
		if res.AffectedRows != 2 || res.Info != "Rows matched: 2  Changed: 2  Warnings: 0" {
			t.Errorf("update: %+v", res)
		}
		res = mustExec(t, c, "INSERT IGNORE INTO qt.ok (v) VALUES ('1x')")
		if res.Warnings != 1 || res.LastInsertID != 4 {
			t.Errorf("insert with warning: %+v", res)
		}
		// QueryRows on a statement without a result set.
		r, err := c.QueryRows(context.Background(), "DELETE FROM qt.ok WHERE id = 4")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Columns()) != 0 || r.ColumnPackets() != nil {
			t.Errorf("columns for an OK answer: %v", r.Columns())
		}
		if _, err := r.Next(context.Background()); err != io.EOF {
			t.Errorf("Next on OK answer: %v", err)
		}
		if r.Result().AffectedRows != 1 || r.Close() != nil {
			t.Errorf("result %+v", r.Result())
		}
		// Exec of a SELECT: an error, the connection stays usable.
		if _, err := c.Exec(context.Background(), "SELECT * FROM qt.ok"); err == nil {
			t.Error("Exec of a SELECT succeeded")
		}
		if _, rows := queryAll(t, c, "SELECT COUNT(*) FROM qt.ok"); render(rows[0]) != `"3"` || c.Broken {
			t.Errorf("after Exec of a SELECT: %v broken=%v", rows, c.Broken)
		}
	})
}

func TestQueryRowsServerError(t *testing.T) {
	eachFlavor(t, func(t *testing.T, c *Conn) {
		_, err := c.QueryRows(context.Background(), "SELECT * FROM qt.no_such_table")
		var we *wire.Error
		if !errors.As(err, &we) || we.Code != 1146 || we.State != "42S02" {
			t.Fatalf("err = %#v, want ERR 1146", err)
		}
		if IsServerGone(err) || c.Broken {
			t.Errorf("server error taken for a connection failure: broken=%v", c.Broken)
		}
		_, err = c.Exec(context.Background(), "INSERT INTO qt.no_such_table VALUES (1)")
		if !errors.As(err, &we) || we.Code != 1146 {
			t.Fatalf("Exec err = %v", err)
		}

		// An error after some rows were sent: the row that fails raises
		// "Subquery returns more than 1 row" during execution.
		r, err := c.QueryRows(context.Background(),
			"SELECT IF(seq < 1000, seq, (SELECT 1 UNION SELECT 2)) FROM seq_1_to_2000")
		if err == nil {
			var n int
			for {
				_, err = r.Next(context.Background())
				if err != nil {
					break
				}
				n++
			}
			t.Logf("mid-stream error after %d rows", n)
			if cerr := r.Close(); cerr != nil {
				t.Errorf("Close after ERR: %v", cerr)
			}
		}
		if !errors.As(err, &we) || we.Code != 1242 {
			t.Errorf("mid-stream err = %v, want ERR 1242", err)
		}
		if _, rows := queryAll(t, c, "SELECT 1"); len(rows) != 1 || c.Broken {
			t.Errorf("connection unusable after ERR")
		}
	})
}

func TestQueryRowsMultiResult(t *testing.T) {
	eachFlavor(t, func(t *testing.T, c *Conn) {
		r, err := c.QueryRows(context.Background(), "SELECT 1; SELECT 2, 3; DO 1")
		if err != nil {
			t.Fatal(err)
		}
		if row, err := r.Next(context.Background()); err != nil || render(row) != `"1"` {
			t.Fatalf("first row %v %v", row, err)
		}
		if _, err := r.Next(context.Background()); !errors.Is(err, ErrMultiResult) {
			t.Fatalf("err = %v, want ErrMultiResult", err)
		}
		if _, err := r.Next(context.Background()); !errors.Is(err, ErrMultiResult) {
			t.Fatalf("err stays: %v", err)
		}
		r.Close()
		if _, err := c.QueryRows(context.Background(), "DO 1; SELECT 2"); !errors.Is(err, ErrMultiResult) {
			t.Fatalf("leading OK: err = %v, want ErrMultiResult", err)
		}
		// Closed before reading: the other results are drained too.
		r, err = c.QueryRows(context.Background(), "SELECT 1; SELECT 2")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, rows := queryAll(t, c, "SELECT 'still fine'"); render(rows[0]) != `"still fine"` || c.Broken {
			t.Errorf("connection unusable after multi-result: %v", rows)
		}
	})
}

func TestQueryRowsStreamAndCloseEarly(t *testing.T) {
	eachFlavor(t, func(t *testing.T, c *Conn) {
		const q = "SELECT seq, REPEAT('x', seq % 100), IF(seq % 7 = 0, NULL, seq * 2) FROM seq_1_to_10000"
		r, err := c.QueryRows(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		for {
			row, err := r.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			if want := fmt.Sprint(n); string(row[0]) != want || len(row[1]) != n%100 || (n%7 == 0) != (row[2] == nil) {
				t.Fatalf("row %d: %s", n, render(row))
			}
		}
		if n != 10000 || r.RowCount() != 10000 {
			t.Fatalf("%d rows", n)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}

		// Close after 10 rows leaves the connection usable.
		r, err = c.QueryRows(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if _, err := r.Next(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(context.Background()); err == nil || err == io.EOF {
			t.Errorf("Next after Close: %v", err)
		}
		if _, rows := queryAll(t, c, "SELECT 'after'"); len(rows) != 1 || render(rows[0]) != `"after"` || c.Broken {
			t.Errorf("after early Close: %v broken=%v", rows, c.Broken)
		}
	})
}

func TestQueryRowsContext(t *testing.T) {
	c := dial(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := c.QueryRows(ctx, "SELECT SLEEP(5)")
	if err == nil {
		_, err = r.Next(ctx)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !IsServerGone(err) || !c.Broken {
		t.Fatalf("err = %v broken=%v", err, c.Broken)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancellation took %s", d)
	}

	// A cancelled Next context stops reading; Close then drains.
	c = dial(t, false)
	r, err = c.QueryRows(context.Background(), "SELECT seq FROM seq_1_to_100")
	if err != nil {
		t.Fatal(err)
	}
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := r.Next(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next with cancelled ctx: %v", err)
	}
	if err := r.Close(); err != nil || c.Broken {
		t.Fatalf("Close: %v broken=%v", err, c.Broken)
	}
	if _, rows := queryAll(t, c, "SELECT 1"); len(rows) != 1 {
		t.Error("connection unusable")
	}
}

// QueryEach sends every connection its statement before it reads a
// reply, so the servers run them side by side: b waits for a lock that a,
// later in the list, releases. One after the other, b's wait would time
// out first. An ERR is that connection's alone.
func TestQueryEachRunsTheStatementsSideBySide(t *testing.T) {
	a, b, c := dial(t, false), dial(t, true), dial(t, false)
	if err := a.SimpleCommand(wire.ComQuery, "DO GET_LOCK('query_each', 0)"); err != nil {
		t.Fatal(err)
	}
	errs := QueryEach([]*Conn{b, a, c}, []string{"SET @got = GET_LOCK('query_each', 5)", "DO RELEASE_LOCK('query_each')", "SELECT * FROM no_such_table_here"})
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("QueryEach: %v", errs)
	}
	var werr *wire.Error
	if !errors.As(errs[2], &werr) || werr.Code != 1146 {
		t.Errorf("the third connection's statement: %v, want its ERR 1146", errs[2])
	}
	_, row, err := queryRowOn(b, "SELECT @got")
	if err != nil || string(row[0]) != "1" {
		t.Errorf("b's GET_LOCK returned %q (%v), want 1: it waited while a released the lock", row, err)
	}
	for _, conn := range []*Conn{a, b, c} {
		if conn.Broken {
			t.Errorf("connection to %s left broken", conn.Addr)
		}
	}
}

func queryRowOn(c *Conn, sql string) ([]engine.Column, engine.Row, error) {
	rows, err := c.QueryRows(context.Background(), sql)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	row, err := rows.Next(context.Background())
	return rows.Columns(), row, err
}

// ExecEach sends every statement before it reads an answer (b's wait for
// the lock a releases succeeds), returns each connection's own OK or
// error, and leaves every connection ready for its next statement.
func TestExecEachRunsTheStatementsSideBySide(t *testing.T) {
	a, b, c, d := dial(t, false), dial(t, true), dial(t, false), dial(t, true)
	for conn, sql := range map[*Conn]string{a: "DO GET_LOCK('exec_each', 0)", c: "CREATE TEMPORARY TABLE exec_each (n INT)"} {
		if err := conn.SimpleCommand(wire.ComQuery, sql); err != nil {
			t.Fatal(err)
		}
	}
	results, errs := ExecEach(context.Background(), []*Conn{b, a, c, d},
		[]string{"SET @got = GET_LOCK('exec_each', 5)", "DO RELEASE_LOCK('exec_each')", "INSERT INTO exec_each VALUES (1), (2)", "SELECT 1"})
	if errs[0] != nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("ExecEach: %v", errs)
	}
	if results[2].AffectedRows != 2 {
		t.Errorf("the INSERT's OK says %d rows, want 2", results[2].AffectedRows)
	}
	if errs[3] == nil || !strings.Contains(errs[3].Error(), "result set") {
		t.Errorf("a statement answering rows: %v, want an error saying so", errs[3])
	}
	if _, row, err := queryRowOn(b, "SELECT @got"); err != nil || string(row[0]) != "1" {
		t.Errorf("b's GET_LOCK returned %q (%v), want 1: it waited while a released the lock", row, err)
	}
	if _, row, err := queryRowOn(d, "SELECT 2"); err != nil || string(row[0]) != "2" {
		t.Errorf("after the refused answer, d answers %q (%v)", row, err)
	}
}

// CloseStmt closes a statement prepared for one execution on the server
// and forgets it, so the next Stmt of the same text prepares anew; a text
// the cache does not hold is left alone.
func TestCloseStmt(t *testing.T) {
	c := dial(t, false)
	open := func() string {
		t.Helper()
		_, row, err := queryRowOn(c, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'COM_STMT_CLOSE'")
		if err != nil {
			t.Fatal(err)
		}
		return string(row[0])
	}
	first, err := c.Stmt("", "SELECT 1 AS once")
	if err != nil {
		t.Fatal(err)
	}
	before := open()
	c.CloseStmt("", "SELECT 2 AS never_prepared")
	c.CloseStmt("", "SELECT 1 AS once")
	if after := open(); after == before {
		t.Errorf("COM_STMT_CLOSE count %s before and after CloseStmt: the statement was not closed on the server", after)
	}
	again, err := c.Stmt("", "SELECT 1 AS once")
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == first.ID {
		t.Errorf("Stmt after CloseStmt returned the closed statement %d", first.ID)
	}
	if c.Broken {
		t.Error("the connection was left broken")
	}
}
