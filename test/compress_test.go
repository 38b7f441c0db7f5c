package test

import (
	"bytes"
	"context"
	"crypto/md5"
	"database/sql"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

// A client that asks for the compressed protocol (mariadb -C,
// PDO::MYSQL_ATTR_COMPRESS, go-sql-driver compress=true) gets it from
// Strata as from a server, and the same answers. PDO asks for it even
// where the server does not offer it: before Strata spoke it, such a
// client hung at its first statement.

// countedBytes counts what clients dialled through "counted" read.
var countedBytes atomic.Int64

func init() {
	mysql.RegisterDialContext("counted", func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c}, nil
	})
}

type countingConn struct{ net.Conn }

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	countedBytes.Add(int64(n))
	return n, err
}

// The bytes on the wire shrink: a repetitive 1.4 MB value comes in a
// small fraction of its size, and in full without compression.
func TestCompressedProtocolShrinksWhatCrossesTheWire(t *testing.T) {
	// Not parallel: the byte count is shared by every counted connection.
	const q = "SELECT REPEAT('strata ', 200000)"
	want := strings.Repeat("strata ", 200000)
	read := func(compress bool) int64 {
		db := testenv.Open(t, fmt.Sprintf("app:app@counted(%s)/blog?compress=%v&readTimeout=30s", env.addr, compress))
		conn, err := db.Conn(ctxFor(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		before := countedBytes.Load()
		var got string
		if err := conn.QueryRowContext(ctxFor(t), q).Scan(&got); err != nil {
			t.Fatalf("compress=%v: %v", compress, err)
		}
		if got != want {
			t.Fatalf("compress=%v: %d bytes, want %d", compress, len(got), len(want))
		}
		return countedBytes.Load() - before
	}
	compressed, plain := read(true), read(false)
	t.Logf("a %d-byte value: %d bytes read compressed, %d uncompressed", len(want), compressed, plain)
	if compressed > int64(len(want))/20 {
		t.Errorf("compressed: %d bytes read for a %d-byte value, want under a twentieth", compressed, len(want))
	}
	if plain < int64(len(want)) {
		t.Errorf("uncompressed: %d bytes read for a %d-byte value", plain, len(want))
	}
}

// go-sql-driver with compress=true: prepared statements, a 20 MB value
// each way (several frames of 16 MB), LOAD DATA LOCAL, multi-statements,
// an error and a transaction, each answered as without compression.
func TestCompressedProtocolGoDriver(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.cz_blobs (id INT PRIMARY KEY, b LONGBLOB)",
		"CREATE TABLE blog.cz_loaded (id INT PRIMARY KEY, name VARCHAR(20))")
	db := openStrata(t, "compress=true", "maxAllowedPacket=0", "multiStatements=true", "readTimeout=30s")
	ctx := ctxFor(t)

	big := bytes.Repeat([]byte("0123456789abcdef"), 20<<20/16)
	big[len(big)/3] = 'X' // not every frame alike
	if _, err := db.ExecContext(ctx, "INSERT INTO cz_blobs VALUES (?, ?)", 1, big); err != nil {
		t.Fatalf("a 20 MB value sent compressed: %v", err)
	}
	var back []byte
	if err := db.QueryRowContext(ctx, "SELECT /* strata:primary */ b FROM cz_blobs WHERE id = ?", 1).Scan(&back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, big) {
		t.Errorf("the 20 MB value came back as %d bytes, md5 %x, want %x", len(back), md5.Sum(back), md5.Sum(big))
	}
	var sum string
	if err := db.QueryRowContext(ctx, "SELECT /* strata:primary */ MD5(b) FROM cz_blobs WHERE id = 1").Scan(&sum); err != nil || sum != fmt.Sprintf("%x", md5.Sum(big)) {
		t.Errorf("the primary's md5 of the value: %q (%v)", sum, err)
	}

	mysql.RegisterReaderHandler("cz_rows", func() io.Reader {
		var b strings.Builder
		for i := 1; i <= 5000; i++ {
			fmt.Fprintf(&b, "%d\tname %d\n", i, i)
		}
		return strings.NewReader(b.String())
	})
	defer mysql.DeregisterReaderHandler("cz_rows")
	res, err := db.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::cz_rows' INTO TABLE cz_loaded")
	if err != nil {
		t.Fatalf("LOAD DATA LOCAL, compressed: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 5000 {
		t.Errorf("LOAD DATA LOCAL loaded %d rows, want 5000", n)
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The process list says which sessions are compressed.
	plain := testenv.Conn(t, openStrata(t))
	for _, c := range []struct {
		conn       *sql.Conn
		compressed bool
	}{{conn, true}, {plain, false}} {
		var id uint32
		if err := c.conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		if got := listedSession(t, env.strata.AdminAddr(), id); got == nil || got.Compressed != c.compressed || got.TLS {
			t.Errorf("GET /api/sessions shows session %d as %+v; want compressed %v, no TLS", id, got, c.compressed)
		}
	}
	rows, err := conn.QueryContext(ctx, "SELECT /* strata:primary */ COUNT(*) FROM cz_loaded; SELECT name FROM cz_loaded WHERE id = 4321")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	rows.Close()
	if strings.Join(got, "|") != "5000|name 4321" {
		t.Errorf("multi-statement answers %q", got)
	}
	if _, err := conn.ExecContext(ctx, "SELECT * FROM cz_no_such_table"); mysqlErr(err) != 1146 {
		t.Errorf("an unknown table: %v, want error 1146", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("after an error the compressed session goes on: %v", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE cz_loaded SET name = 'renamed' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if name, err := env.primary.QueryValue(ctx, "SELECT name FROM blog.cz_loaded WHERE id = 1"); err != nil || name != "renamed" {
		t.Errorf("the committed write on the primary: %q (%v)", name, err)
	}
}

// The mariadb CLI with -C says its protocol is compressed, and answers as
// the primary does, a value over 16 MB included.
func TestCompressedProtocolMariaDBCLI(t *testing.T) {
	t.Parallel()
	setupTables(t, blogSchema("czcli_")...)
	reads := `
SELECT u.name, COUNT(c.id) AS comments FROM czcli_users u LEFT JOIN czcli_comments c ON c.user_id = u.id GROUP BY u.name ORDER BY u.name;
SELECT e.title, e.body, e.created_at FROM czcli_entries e ORDER BY e.id;
SELECT MD5(REPEAT('xyz', 7000000)) AS m, LENGTH(REPEAT(CONCAT('a', 'é'), 9000000)) AS n;
SELECT RIGHT(REPEAT('0123456789', 2000000), 15) AS tail, REPEAT('x', 40) AS short;
`
	h, p := strataHostPort()
	viaStrata, err := runCLI(t, h, p, "app", "app", reads+"\\s\n", "-C", "--max-allowed-packet=64M")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(viaStrata, "Protocol:\t\tCompressed") {
		t.Errorf("the CLI's status does not say its protocol is compressed:\n%s", viaStrata)
	}
	viaStrata, err = runCLI(t, h, p, "app", "app", reads+"SELECT REPEAT('strata', 3000000) AS big;\n", "-C", "--max-allowed-packet=64M")
	if err != nil {
		t.Fatal(err)
	}
	direct, err := runCLI(t, "127.0.0.1", fmt.Sprint(env.primary.Port), "root", "", reads+"SELECT REPEAT('strata', 3000000) AS big;\n", "-C", "--max-allowed-packet=64M")
	if err != nil {
		t.Fatal(err)
	}
	if viaStrata != direct {
		t.Errorf("answers differ: %d bytes through Strata, %d from the primary\nthrough Strata (head): %.600s\nprimary (head): %.600s",
			len(viaStrata), len(direct), viaStrata, direct)
	}
}

// PHP PDO with PDO::MYSQL_ATTR_COMPRESS, emulated and native prepares.
func TestCompressedProtocolPHPPDO(t *testing.T) {
	t.Parallel()
	phpPDOWorkload(t, "czphp_", "compress")
}

// sessionListed is a session as GET /api/sessions lists it.
type sessionListed struct {
	ID         uint32 `json:"id"`
	TLS        bool   `json:"tls"`
	Compressed bool   `json:"compressed"`
}

// listedSession is session id as Strata's admin API at admin lists it;
// nil when it is not listed.
func listedSession(t *testing.T, admin string, id uint32) *sessionListed {
	t.Helper()
	var sessions []sessionListed
	testenv.GetJSON(t, "http://"+admin+"/api/sessions", &sessions)
	for i := range sessions {
		if sessions[i].ID == id {
			return &sessions[i]
		}
	}
	return nil
}
