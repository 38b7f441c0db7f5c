package test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/wire"
)

// rawLogin opens a protocol-level connection to Strata as app, for sending
// packets no well-behaved driver would. Its ThreadID is Strata's connection id.
func rawLogin(t *testing.T) *backend.Conn {
	t.Helper()
	c, err := backend.Dial(ctxFor(t), backend.DialConfig{Addr: env.addr, User: "app", Password: "app", Timeout: 5 * time.Second, Flavor: backend.Flavor{Collation: 45}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readResult reads one response: an error, or the number of rows.
func readResult(t *testing.T, c *backend.Conn) (*wire.Error, int) {
	t.Helper()
	r := testenv.ReadReply(t, c)
	return r.Err, r.Rows
}

// strataStillServes checks a fresh client works after an abuse.
func strataStillServes(t *testing.T) {
	t.Helper()
	db := openStrata(t)
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("Strata stopped serving: %v", err)
	}
}

func TestLoginErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, user, pass, db string
		code                 uint16
	}{
		{"wrong password", "app", "nope", "blog", 1045},
		{"unknown user", "mallory", "x", "blog", 1045},
		{"unknown database", "app", "app", "no_such_db", 1049},
	}
	for _, tc := range cases {
		db, _ := sql.Open("mysql", strataDSN(tc.user, tc.pass, tc.db))
		err := db.Ping()
		db.Close()
		if mysqlErr(err) != tc.code {
			t.Errorf("%s: %v, want error %d", tc.name, err, tc.code)
		}
	}
	strataStillServes(t)
}

// Malformed commands get MySQL errors and the connection goes on.
func TestMalformedCommands(t *testing.T) {
	t.Parallel()
	c := rawLogin(t)
	cases := []struct {
		name   string
		packet []byte
		code   uint16
	}{
		{"unknown command", []byte{0x99}, wire.ErUnknownCom},
		{"short execute", []byte{wire.ComStmtExecute, 1}, wire.ErMalformedPacket},
		{"unknown statement id", append([]byte{wire.ComStmtExecute, 0xe7, 0x03, 0, 0, 0}, 1, 0, 0, 0), wire.ErUnknownStmtHandler},
		{"reset of unknown statement", []byte{wire.ComStmtReset, 9, 0, 0, 0}, wire.ErUnknownStmtHandler},
		{"short set option", []byte{wire.ComSetOption}, wire.ErMalformedPacket},
		{"syntax error", append([]byte{wire.ComQuery}, "SELEC 1"...), 1064},
		// A lone double quote at the end: the fallback reader once
		// panicked on it, and the client lost its connection.
		{"unterminated quote", append([]byte{wire.ComQuery}, `SELECT 1 "`...), 1064},
		{"unterminated quote after SET STATEMENT", append([]byte{wire.ComQuery}, `SET STATEMENT max_statement_time = 1 FOR SELECT (0 "`...), 1064},
	}
	for _, tc := range cases {
		if err := c.Command(tc.packet); err != nil {
			t.Fatal(err)
		}
		werr, _ := readResult(t, c)
		if werr == nil || werr.Code != tc.code {
			t.Errorf("%s: got %v, want error %d", tc.name, werr, tc.code)
		}
	}
	// Still usable afterwards.
	if err := c.SimpleCommand(wire.ComPing, ""); err != nil {
		t.Fatalf("ping after malformed packets: %v", err)
	}
	if err := c.Command(append([]byte{wire.ComQuery}, "SELECT 1"...)); err != nil {
		t.Fatal(err)
	}
	if werr, rows := readResult(t, c); werr != nil || rows != 1 {
		t.Fatalf("query after malformed packets: %v, %d rows", werr, rows)
	}
}

// A client that sends half a packet and hangs up, or garbage instead of a
// handshake, does not disturb anyone else.
func TestTruncatedAndGarbagePackets(t *testing.T) {
	t.Parallel()
	c := rawLogin(t)
	// Header announces 100 bytes; 10 arrive; the client leaves.
	_, _ = c.Conn.Conn.Write([]byte{100, 0, 0, 0, wire.ComQuery, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', ' '})
	c.Close()
	// Garbage before the handshake response.
	nc, err := net.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	_, _ = nc.Read(buf) // the greeting
	_, _ = nc.Write([]byte{5, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0})
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := nc.Read(buf)
	if n < 5 || buf[4] != wire.HeaderErr {
		t.Errorf("garbage handshake answered % x, want an ERR packet", buf[:n])
	}
	nc.Close()
	strataStillServes(t)
}

// A client that has not logged in cannot make Strata wait for, or reserve
// memory for, the 16 MB payload a packet header announces: it is refused at
// once with 1153, long before the handshake timeout (10 s).
func TestOversizedLoginPacketRefusedAtOnce(t *testing.T) {
	t.Parallel()
	nc, err := net.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	buf := make([]byte, 512)
	if _, err := nc.Read(buf); err != nil { // the greeting
		t.Fatal(err)
	}
	start := time.Now()
	_, _ = nc.Write(append([]byte{0xff, 0xff, 0xff, 1}, bytes.Repeat([]byte{'x'}, 64)...))
	nc.SetReadDeadline(time.Now().Add(8 * time.Second))
	n, _ := nc.Read(buf)
	if waited := time.Since(start); waited > 3*time.Second {
		t.Fatalf("Strata waited %v for the announced payload", waited)
	}
	if n < 7 || buf[4] != wire.HeaderErr {
		t.Fatalf("oversized login packet answered % x, want an ERR packet", buf[:n])
	}
	if code := uint16(buf[5]) | uint16(buf[6])<<8; code != wire.ErNetPacketTooLarge {
		t.Fatalf("error %d, want %d", code, wire.ErNetPacketTooLarge)
	}
	strataStillServes(t)
}

// A packet over limits.max_allowed_packet gets error 1153 and the
// connection closes, as with MariaDB.
func TestPacketTooLarge(t *testing.T) {
	t.Parallel()
	c := rawLogin(t)
	big := make([]byte, 41<<20)
	big[0] = wire.ComQuery
	copy(big[1:], "SELECT '")
	for i := 9; i < len(big)-1; i++ {
		big[i] = 'x'
	}
	big[len(big)-1] = '\''
	if err := c.Command(big); err != nil {
		t.Fatal(err)
	}
	werr, _ := readResult(t, c)
	if werr == nil || werr.Code != wire.ErNetPacketTooLarge {
		t.Fatalf("got %v, want error 1153", werr)
	}
	strataStillServes(t)
}

// Values over 16 MB travel as several physical packets both ways.
func TestPacketsOver16MB(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.big_blobs (id INT PRIMARY KEY, b LONGBLOB)")
	blob := bytes.Repeat([]byte("0123456789abcdef"), (17<<20)/16+3)
	for _, params := range [][]string{{"maxAllowedPacket=0"}, {"maxAllowedPacket=0", "interpolateParams=true"}} {
		db := openStrata(t, params...)
		id := len(params)
		if _, err := db.Exec("INSERT INTO big_blobs VALUES (?, ?)", id, blob); err != nil {
			t.Fatalf("%v: insert 17MB: %v", params, err)
		}
		var got []byte
		if err := db.QueryRow("/* strata:primary */ SELECT b FROM big_blobs WHERE id = ?", id).Scan(&got); err != nil {
			t.Fatalf("%v: read back: %v", params, err)
		}
		if sha256.Sum256(got) != sha256.Sum256(blob) {
			t.Fatalf("%v: blob of %d bytes came back as %d bytes, different", params, len(blob), len(got))
		}
	}
}

// A client that hangs up in the middle of a large result leaves Strata
// serving, and the half-read backend connection is not reused.
func TestClientDisconnectMidResult(t *testing.T) {
	t.Parallel()
	for i := 0; i < 3; i++ {
		c := rawLogin(t)
		if err := c.Command(append([]byte{wire.ComQuery}, "SELECT seq, REPEAT('x', 200) FROM seq_1_to_500000"...)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadPacket(); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	// The broken connections are closed, not parked in the pool: a parked
	// one would keep its server thread stuck sending the abandoned result.
	// (Counted on the servers, not in Strata's pools, whose size the
	// package's other tests change while this one runs.)
	var servers []*sql.DB
	for _, srv := range append([]*sandbox.Server{env.primary}, env.replicas...) {
		servers = append(servers, openDirect(t, srv, ""))
	}
	deadline := time.Now().Add(10 * time.Second)
	for abandonedOnServers(t, servers) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := abandonedOnServers(t, servers); n > 0 {
		t.Errorf("%d server connections still run the abandoned SELECT: Strata kept them", n)
	}
	strataStillServes(t)
}

// abandonedOnServers counts the server threads still running
// TestClientDisconnectMidResult's SELECT.
func abandonedOnServers(t *testing.T, servers []*sql.DB) int {
	n := 0
	for _, db := range servers {
		var c int
		err := db.QueryRowContext(ctxFor(t),
			"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%seq\\_1\\_to\\_500000%' AND ID <> CONNECTION_ID()").Scan(&c)
		if err != nil {
			t.Fatal(err)
		}
		n += c
	}
	return n
}

// KILL QUERY and KILL CONNECTION use the connection ids clients see.
func TestKill(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	victim := rawLogin(t)
	id := victim.ThreadID
	if err := victim.Command(append([]byte{wire.ComQuery}, "SELECT SLEEP(30)"...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if _, err := db.Exec(fmt.Sprintf("KILL QUERY %d", id)); err != nil {
		t.Fatal(err)
	}
	werr, rows := readResult(t, victim)
	if time.Since(start) > 5*time.Second {
		t.Fatalf("KILL QUERY took %s to interrupt SLEEP", time.Since(start))
	}
	if werr == nil && rows != 1 {
		t.Fatalf("killed query answered %v / %d rows", werr, rows)
	}
	// The connection survives KILL QUERY.
	if err := victim.SimpleCommand(wire.ComPing, ""); err != nil {
		t.Fatalf("victim connection after KILL QUERY: %v", err)
	}
	if _, err := db.Exec(fmt.Sprintf("KILL %d", id)); err != nil {
		t.Fatal(err)
	}
	victim.SetDeadlineIn(5 * time.Second)
	if err := victim.SimpleCommand(wire.ComPing, ""); err == nil {
		t.Fatal("victim connection still open after KILL CONNECTION")
	}
	if _, err := db.Exec("KILL 999999"); mysqlErr(err) != 1094 {
		t.Errorf("KILL of an unknown id: %v, want 1094", err)
	}
	// KILL as tools write it: comments (an ORM's trace comment at the
	// end), CONNECTION_ID() for the session's own connection.
	own := testenv.Conn(t, openStrata(t))
	var ownID string
	if err := own.QueryRowContext(ctxFor(t), "SELECT CONNECTION_ID()").Scan(&ownID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("KILL /* ops */ QUERY " + ownID + " /*traceparent='00-4bf92f'*/"); err != nil {
		t.Errorf("KILL QUERY with comments: %v", err)
	}
	_, _ = own.ExecContext(ctxFor(t), "KILL CONNECTION_ID()")
	if _, err := own.ExecContext(ctxFor(t), "DO 1"); err == nil {
		t.Error("the session that ran KILL CONNECTION_ID() still runs statements")
	}
	// KILL USER through the shared server account would end every
	// client's connections: refused, naming what to use.
	if _, err := db.Exec("KILL USER app"); mysqlErr(err) != 1235 || !strings.Contains(err.Error(), "KILL <id>") {
		t.Errorf("KILL USER: %v, want 1235 naming KILL <id>", err)
	}
	// A query id is one server's: Strata cannot say which statement it is.
	if _, err := db.Exec(fmt.Sprintf("KILL QUERY ID %d", id)); mysqlErr(err) != 1235 || !strings.Contains(err.Error(), "KILL QUERY <id>") {
		t.Errorf("KILL QUERY ID: %v, want 1235 naming KILL QUERY <id>", err)
	}
	other, _ := sql.Open("mysql", strataDSN("other", "other", "blog"))
	defer other.Close()
	mine := rawLogin(t)
	if _, err := other.Exec(fmt.Sprintf("KILL %d", mine.ThreadID)); mysqlErr(err) != 1095 {
		t.Errorf("KILL of another user's connection: %v, want 1095", err)
	}
}

// A server's thread id is not a Strata session's. IS_USED_LOCK() (or
// INNODB_TRX) gives a server's id, and with Strata's ids numbered as the
// servers number theirs, KILL of it ended whichever client session had
// that id in Strata. Strata's ids start at session.FirstID: KILL of a
// server's id is 1094 with a hint, and no session ends.
func TestKillOfAServersThreadIDEndsNoSession(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	db := openStrata(t)
	holder, me := testenv.Conn(t, db), testenv.Conn(t, db)
	var got int
	if err := holder.QueryRowContext(ctx, "SELECT GET_LOCK('kill_thread_probe', 0)").Scan(&got); err != nil || got != 1 {
		t.Fatalf("GET_LOCK: %v, %d", err, got)
	}
	var thread, strataID uint64
	if err := me.QueryRowContext(ctx, "SELECT IS_USED_LOCK('kill_thread_probe')").Scan(&thread); err != nil {
		t.Fatal(err)
	}
	if err := holder.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&strataID); err != nil {
		t.Fatal(err)
	}
	if strataID < session.FirstID || thread >= session.FirstID {
		t.Fatalf("Strata's id %d and the server's %d share a range", strataID, thread)
	}
	if _, err := me.ExecContext(ctx, fmt.Sprintf("KILL %d", thread)); mysqlErr(err) != 1094 || !strings.Contains(err.Error(), "a server's thread id") {
		t.Errorf("KILL of the server's thread id %d: %v, want 1094 saying it is a server's", thread, err)
	}
	if err := holder.QueryRowContext(ctx, "SELECT IS_USED_LOCK('kill_thread_probe') IS NOT NULL").Scan(&got); err != nil || got != 1 {
		t.Errorf("the lock holder after KILL of its server thread's id: %v, %d", err, got)
	}
}

// COM_RESET_CONNECTION drops session state; COM_FIELD_LIST lists columns.
func TestResetConnectionAndFieldList(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.fl_table (a INT, b VARCHAR(5))")
	c := rawLogin(t)
	if err := c.SimpleCommand(wire.ComInitDB, "blog"); err != nil {
		t.Fatal(err)
	}
	if err := c.SimpleCommand(wire.ComQuery, "SET @kept = 5"); err != nil {
		t.Fatal(err)
	}
	if err := c.SimpleCommand(wire.ComResetConnection, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Command(append([]byte{wire.ComQuery}, "SELECT @kept IS NULL"...)); err != nil {
		t.Fatal(err)
	}
	if werr, rows := readResult(t, c); werr != nil || rows != 1 {
		t.Fatalf("after reset: %v %d", werr, rows)
	}
	if err := c.Command(append([]byte{wire.ComFieldList}, "fl_table\x00"...)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if p[0] == wire.HeaderEOF || p[0] == wire.HeaderErr {
			break
		}
		names = append(names, string(p))
	}
	if len(names) != 2 || !strings.Contains(names[0], "a") || !strings.Contains(names[1], "b") {
		t.Errorf("field list returned %d definitions", len(names))
	}
}

// The client's character set is applied on every backend it uses.
func TestClientCharset(t *testing.T) {
	t.Parallel()
	for _, cs := range []string{"latin1", "utf8mb4"} {
		db := openStrata(t, "charset="+cs)
		var got, client string
		if err := db.QueryRowContext(context.Background(), "SELECT CONVERT(0xC3A9 USING utf8mb4), @@character_set_client").Scan(&got, &client); err != nil {
			t.Fatal(err)
		}
		if client != cs {
			t.Errorf("character_set_client = %s, want %s", client, cs)
		}
		want := "é"
		if cs == "latin1" {
			want = "\xe9"
		}
		if got != want {
			t.Errorf("%s: é came back as % x", cs, got)
		}
	}
}

// Commands whose replies carry no status flags (COM_FIELD_LIST,
// COM_STATISTICS) must not end the session's transaction in Strata's eyes.
func TestTransactionSurvivesStatuslessCommands(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.tx_statusless (id INT PRIMARY KEY)")
	c := rawLogin(t)
	for _, step := range []struct {
		cmd byte
		arg string
	}{
		{wire.ComInitDB, "blog"},
		{wire.ComQuery, "BEGIN"},
		{wire.ComQuery, "INSERT INTO tx_statusless VALUES (1)"},
	} {
		if err := c.SimpleCommand(step.cmd, step.arg); err != nil {
			t.Fatalf("%s: %v", step.arg, err)
		}
	}
	if err := c.Command(append([]byte{wire.ComFieldList}, "tx_statusless\x00"...)); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if p[0] == wire.HeaderEOF || p[0] == wire.HeaderErr {
			break
		}
	}
	if err := c.Command([]byte{wire.ComStatistics}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadPacket(); err != nil {
		t.Fatal(err)
	}
	// Still in the transaction: the uncommitted row is visible.
	if err := c.Command(append([]byte{wire.ComQuery}, "SELECT id FROM tx_statusless"...)); err != nil {
		t.Fatal(err)
	}
	if werr, rows := readResult(t, c); werr != nil || rows != 1 {
		t.Fatalf("after COM_FIELD_LIST and COM_STATISTICS the transaction's row is gone: %v, %d rows", werr, rows)
	}
	if err := c.SimpleCommand(wire.ComQuery, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
}

// SELECT CONNECTION_ID() answers the id the client sees in the handshake
// and gives to KILL: Strata's, not a backend thread's.
func TestConnectionIDIsStratasID(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var id uint64
	if err := conn.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	var aliased uint64
	rows, err := conn.QueryContext(context.Background(), "select connection_id() AS my_id")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	for rows.Next() {
		rows.Scan(&aliased)
	}
	rows.Close()
	if aliased != id || len(cols) != 1 || cols[0] != "my_id" {
		t.Fatalf("aliased CONNECTION_ID() = %d as %v, want %d as my_id", aliased, cols, id)
	}
	// A field that is only the call keeps its name beside others.
	rows, err = conn.QueryContext(context.Background(), "SELECT CONNECTION_ID(), 1")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ = rows.Columns()
	rows.Close()
	if len(cols) != 2 || cols[0] != "CONNECTION_ID()" {
		t.Errorf("SELECT CONNECTION_ID(), 1 names its columns %q, want CONNECTION_ID() first", cols)
	}
	// Inside any statement, text or prepared, CONNECTION_ID() is Strata's
	// id too, never the backend connection's (which KILL would take as
	// another client's).
	for _, q := range []struct {
		sql  string
		args []any // with arguments, go-sql-driver prepares the statement
	}{
		{"SELECT CONNECTION_ID() + 0, 'connection_id()'", nil},
		{"SELECT id, 'connection_id()' FROM (SELECT CONNECTION_ID() AS id) AS t", nil},
		{"SELECT CONNECTION_ID() + ?, 'connection_id()'", []any{0}},
	} {
		var got uint64
		var text string
		if err := conn.QueryRowContext(context.Background(), q.sql, q.args...).Scan(&got, &text); err != nil || got != id {
			t.Errorf("%s: CONNECTION_ID() = %d (%v), want Strata's %d", q.sql, got, err, id)
		}
		if text != "connection_id()" {
			t.Errorf("%s: the string literal became %q", q.sql, text)
		}
	}
	found := false
	for _, s := range env.strata.Env.Registry.List() {
		found = found || uint64(s.ID) == id
	}
	if !found {
		t.Fatalf("CONNECTION_ID() = %d is not a Strata session id", id)
	}
	// KILL with that id ends this very connection's statement.
	if _, err := db.Exec(fmt.Sprintf("KILL %d", id)); err != nil {
		t.Fatalf("KILL %d: %v", id, err)
	}
	if err := conn.PingContext(context.Background()); err == nil {
		t.Fatalf("connection %d still answers after KILL", id)
	}
}

// A statement the SQL parser gives up on (it panics on a number of more
// than 81 digits, which MariaDB reads as a double) still gets the
// server's answer, and the session goes on (it is read by its words, as
// any statement the parser cannot read).
func TestStatementTheParserCannotRead(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	direct := openDirect(t, env.primary, "")
	huge := "SELECT 1" + strings.Repeat("0", 90) + " AS n"
	for i := 0; i < 3; i++ { // the parser after a panic must serve the next statements
		got, want := queryStrings(t, db, huge), queryStrings(t, direct, huge)
		if len(got) != 1 || got[0] != want[0] {
			t.Fatalf("through Strata %q, direct %q", got, want)
		}
		if n := queryStrings(t, db, "SELECT 40 + 2"); len(n) != 1 || n[0] != "42" {
			t.Fatalf("the next statement: %q", n)
		}
	}
}

// A statement nested ten million levels deep (20 MB of parentheses, or of
// 1+1+...) stopped Strata with a stack overflow in its SQL parser, and
// every client with it. Now it is refused with an error that says why,
// and Strata goes on serving; statements as deep as MariaDB reads (5,000
// parentheses) and long flat ones (an IN list of 100,000 values) still
// run as on the server.
func TestTooDeepStatementsAreRefused(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	ctx := ctxFor(t)
	n := 10_000_000
	for _, q := range []string{
		"SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"SELECT 1" + strings.Repeat("+1", n),
	} {
		var v string
		err := db.QueryRowContext(ctx, q).Scan(&v)
		if mysqlErr(err) != 1235 || !strings.Contains(err.Error(), "nests too deep for Strata to read it") {
			t.Errorf("%.20s... (%d MB): %v, want error 1235 saying why", q, len(q)>>20, err)
		}
		st, err := db.PrepareContext(ctx, q)
		if st != nil {
			st.Close()
		}
		if mysqlErr(err) != 1235 {
			t.Errorf("prepared %.20s...: %v, want error 1235", q, err)
		}
	}
	strataStillServes(t)
	for _, tc := range []struct{ query, want string }{
		{"SELECT " + strings.Repeat("(", 5000) + "7" + strings.Repeat(")", 5000), "7"},
		{"SELECT COUNT(*) FROM (SELECT 1 AS x) t WHERE x IN (" + strings.Repeat("2,", 100_000) + "1)", "1"},
	} {
		if got := queryStrings(t, db, tc.query); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%.30s...: %q, want %s", tc.query, got, tc.want)
		}
	}
}

// String literals side by side ('a' 'b' 'c' ..., one string to MariaDB)
// are joined by Strata's SQL parser one at a time, each time copying what
// it joined before: half a million of them in one 5 MB statement would
// have held a CPU of Strata's for days. Now such a statement is refused at
// once with an error that says what to write instead, and Strata goes on
// serving; a literal split in a few pieces, or in a thousand short ones,
// reads as on the server.
func TestSideBySideStringsAreRefused(t *testing.T) {
	t.Parallel()
	db := openStrata(t)
	ctx, cancel := context.WithTimeout(ctxFor(t), 30*time.Second)
	defer cancel()
	q := "SELECT LENGTH(" + strings.Repeat("'xxxxxxxx' ", 500_000) + ")"
	var v string
	err := db.QueryRowContext(ctx, q).Scan(&v)
	if mysqlErr(err) != 1235 || !strings.Contains(err.Error(), "string literals side by side") {
		t.Errorf("500,000 strings side by side: %v, want error 1235 saying why", err)
	}
	strataStillServes(t)
	direct := openDirect(t, env.replicas[0], "blog")
	long := "'" + strings.Repeat("y", 1<<20) + "' "
	for _, q := range []string{
		"SELECT LENGTH(" + strings.Repeat(long, 3) + "), 'a' 'b' \"c\"",
		"SELECT MD5(" + strings.Repeat("'xxxxxxxx' ", 1000) + ")",
	} {
		got, want := queryStrings(t, db, q), queryStrings(t, direct, q)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%.30s...: %q through Strata, %q direct", q, got, want)
		}
	}
}
