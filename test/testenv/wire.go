package testenv

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/wire"
)

// Raw statement commands, for tests that send what drivers hide (pipelined
// PREPARE and EXECUTE, statement id -1, COM_STMT_BULK_EXECUTE) on a
// backend.Conn logged in to Strata or to a server.

// LastStmt is MariaDB's statement id for "the statement prepared last".
const LastStmt = 0xFFFFFFFF

// PrepareCmd is a COM_STMT_PREPARE of sql.
func PrepareCmd(sql string) []byte { return append([]byte{wire.ComStmtPrepare}, sql...) }

// StmtCmd is a statement command (close, reset...) naming id.
func StmtCmd(cmd byte, id uint32) []byte {
	return binary.LittleEndian.AppendUint32([]byte{cmd}, id)
}

// ExecuteInt is a COM_STMT_EXECUTE of a one-parameter statement with a
// BIGINT value.
func ExecuteInt(id uint32, v int64) []byte {
	p := StmtCmd(wire.ComStmtExecute, id)
	p = append(p, 0, 1, 0, 0, 0) // no cursor, one iteration
	p = append(p, 0, 1, 8, 0)    // no NULLs, types follow: LONGLONG signed
	return binary.LittleEndian.AppendUint64(p, uint64(v))
}

// BulkStrings is a COM_STMT_BULK_EXECUTE of a one-parameter statement, a
// row per value, with the parameter type sent.
func BulkStrings(id uint32, values ...string) []byte {
	p := StmtCmd(wire.ComStmtBulkExecute, id)
	p = binary.LittleEndian.AppendUint16(p, 128) // types follow
	p = append(p, 253, 0)                        // VAR_STRING
	for _, v := range values {
		p = append(p, 0) // indicator: a value follows
		p = wire.AppendLenEncString(p, []byte(v))
	}
	return p
}

// BulkRows is a COM_STMT_BULK_EXECUTE of a statement with as many
// parameters as each row has values, all sent as strings, with the types
// sent; a nil value is a NULL.
func BulkRows(id uint32, rows ...[]*string) []byte {
	p := StmtCmd(wire.ComStmtBulkExecute, id)
	p = binary.LittleEndian.AppendUint16(p, 128) // types follow
	for range rows[0] {
		p = append(p, 253, 0) // VAR_STRING
	}
	for _, row := range rows {
		for _, v := range row {
			if v == nil {
				p = append(p, 1) // indicator: NULL
				continue
			}
			p = append(p, 0) // indicator: a value follows
			p = wire.AppendLenEncString(p, []byte(*v))
		}
	}
	return p
}

// Pipeline writes every packet, then reads the replies, and says what each
// reply was. COM_STMT_CLOSE has none.
func Pipeline(t *testing.T, c *backend.Conn, packets [][]byte) []string {
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
			got = append(got, ReadPrepareReply(t, c))
		default:
			got = append(got, ReadStmtReply(t, c))
		}
	}
	return got
}

// ReadPrepareReply reads a COM_STMT_PREPARE answer: "prepared" or "error N".
func ReadPrepareReply(t *testing.T, c *backend.Conn) string {
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

// Reply is one response read whole: an error, an OK (Affected rows) or a
// result set (Rows rows, IsSet).
type Reply struct {
	Err      *wire.Error
	Affected uint64
	Rows     int
	IsSet    bool
}

// ReadReply reads one response to a command, draining a result set.
func ReadReply(t testing.TB, c *backend.Conn) Reply {
	t.Helper()
	p, err := c.ReadPacket()
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	switch p[0] {
	case wire.HeaderErr:
		return Reply{Err: wire.ParseErr(p)}
	case wire.HeaderOK:
		affected, _ := wire.ReadLenEnc(p[1:])
		return Reply{Affected: affected}
	}
	cols, _ := wire.ReadLenEnc(p)
	for i := uint64(0); i <= cols; i++ { // definitions and their EOF
		if _, err := c.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
	r := Reply{IsSet: true}
	for {
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if p[0] == wire.HeaderErr {
			r.Err = wire.ParseErr(p)
			return r
		}
		if wire.IsEOF(p) {
			return r
		}
		r.Rows++
	}
}

// ReadStmtReply reads an execute's answer: "rows N", "ok N" (affected) or "error N".
func ReadStmtReply(t *testing.T, c *backend.Conn) string {
	t.Helper()
	r := ReadReply(t, c)
	switch {
	case r.Err != nil:
		return fmt.Sprintf("error %d", r.Err.Code)
	case r.IsSet:
		return fmt.Sprintf("rows %d", r.Rows)
	}
	return fmt.Sprintf("ok %d", r.Affected)
}
