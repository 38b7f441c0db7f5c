package test

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/wire"
)

// Statement id -1 (MariaDB's "the statement prepared last") lets a client
// send a PREPARE and the commands that use it without waiting for its id:
// the MariaDB connectors pipeline every execute and batch this way. Each
// sequence is sent in one write and must answer through Strata as the
// primary answers it directly; COM_STMT_BULK_EXECUTE rows land on the primary.
func TestPipelinedStatementsAsOnMariaDB(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"DROP TABLE IF EXISTS blog.pipe_bulk",
		"CREATE TABLE blog.pipe_bulk (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))")
	sequences := []struct {
		name string
		sent [][]byte
		want []string // the outcome of each packet that has a reply
	}{
		{"prepare then execute -1",
			[][]byte{prepareCmd("SELECT ? + 1"), executeInt(lastStmt, 41)},
			[]string{"prepared", "rows 1"}},
		{"a failed prepare leaves no statement for -1",
			[][]byte{prepareCmd("SELECT * FROM blog.pipe_no_such_table"), executeInt(lastStmt, 1)},
			[]string{"error 1146", "error 1243"}},
		{"-1 after the statement closed",
			[][]byte{prepareCmd("SELECT ? + 2"), stmtCmd(wire.ComStmtClose, lastStmt), executeInt(lastStmt, 1)},
			[]string{"prepared", "error 1243"}},
		{"bulk insert by -1",
			[][]byte{prepareCmd("INSERT INTO blog.pipe_bulk (v) VALUES (?)"), bulkStrings(lastStmt, "a", "b", "c")},
			[]string{"prepared", "ok 3"}},
	}
	strata := rawLogin(t)
	direct, err := backend.Dial(ctxFor(t), backend.DialConfig{Addr: env.primary.Addr, User: "root", Timeout: 5 * time.Second, Flavor: backend.Flavor{Collation: 45}})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if !strata.Bulk || !direct.Bulk {
		t.Fatalf("bulk execution offered: Strata %v, the primary %v; both must offer it", strata.Bulk, direct.Bulk)
	}
	for _, seq := range sequences {
		for _, target := range []struct {
			name string
			c    *backend.Conn
		}{{"Strata", strata}, {"direct", direct}} {
			got := pipeline(t, target.c, seq.sent)
			if fmt.Sprint(got) != fmt.Sprint(seq.want) {
				t.Errorf("%s, %s: got %v, want %v", seq.name, target.name, got, seq.want)
			}
		}
	}
	// Both bulk inserts (one through Strata, one direct) are on the primary.
	n, err := env.primary.QueryValue(ctxFor(t), "SELECT COUNT(*) FROM blog.pipe_bulk")
	if err != nil || n != "6" {
		t.Errorf("bulk rows on the primary: %s (%v), want 6", n, err)
	}
	strataStillServes(t)
}

const lastStmt = 0xFFFFFFFF

func prepareCmd(sql string) []byte { return append([]byte{wire.ComStmtPrepare}, sql...) }

func stmtCmd(cmd byte, id uint32) []byte {
	return binary.LittleEndian.AppendUint32([]byte{cmd}, id)
}

// executeInt is a COM_STMT_EXECUTE of a one-parameter statement with a
// BIGINT value.
func executeInt(id uint32, v int64) []byte {
	p := stmtCmd(wire.ComStmtExecute, id)
	p = append(p, 0, 1, 0, 0, 0) // no cursor, one iteration
	p = append(p, 0, 1, 8, 0)    // no NULLs, types follow: LONGLONG signed
	return binary.LittleEndian.AppendUint64(p, uint64(v))
}

// bulkStrings is a COM_STMT_BULK_EXECUTE of a one-parameter statement, a
// row per value, with the parameter type sent.
func bulkStrings(id uint32, values ...string) []byte {
	p := stmtCmd(wire.ComStmtBulkExecute, id)
	p = binary.LittleEndian.AppendUint16(p, 128) // types follow
	p = append(p, 253, 0)                        // VAR_STRING
	for _, v := range values {
		p = append(p, 0) // indicator: a value follows
		p = wire.AppendLenEncString(p, []byte(v))
	}
	return p
}

// pipeline writes every packet, then reads the replies, and says what each
// reply was. COM_STMT_CLOSE has none.
func pipeline(t *testing.T, c *backend.Conn, packets [][]byte) []string {
	t.Helper()
	for _, p := range packets {
		c.Seq = 0
		if err := c.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range packets {
		switch p[0] {
		case wire.ComStmtClose:
		case wire.ComStmtPrepare:
			got = append(got, readPrepareReply(t, c))
		default:
			got = append(got, readStmtReply(t, c))
		}
	}
	return got
}

func readPrepareReply(t *testing.T, c *backend.Conn) string {
	t.Helper()
	p, err := c.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	if p[0] == wire.HeaderErr {
		return fmt.Sprintf("error %d", wire.ParseErr(p).Code)
	}
	cols, params := binary.LittleEndian.Uint16(p[5:]), binary.LittleEndian.Uint16(p[7:])
	for _, n := range []uint16{params, cols} {
		if n == 0 {
			continue
		}
		for i := 0; i <= int(n); i++ { // definitions and their EOF
			if _, err := c.ReadPacket(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return "prepared"
}

func readStmtReply(t *testing.T, c *backend.Conn) string {
	t.Helper()
	p, err := c.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	switch p[0] {
	case wire.HeaderErr:
		return fmt.Sprintf("error %d", wire.ParseErr(p).Code)
	case wire.HeaderOK:
		affected, _ := wire.ReadLenEnc(p[1:])
		return fmt.Sprintf("ok %d", affected)
	}
	cols, _ := wire.ReadLenEnc(p)
	for i := uint64(0); i <= cols; i++ {
		if _, err := c.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
	rows := 0
	for {
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if wire.IsEOF(p) {
			return fmt.Sprintf("rows %d", rows)
		}
		rows++
	}
}
