package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/wire"
)

// bulkRowsPacket is a COM_STMT_BULK_EXECUTE header with a BIGINT and a string
// parameter's types, then body.
func bulkRowsPacket(body ...byte) []byte {
	p := []byte{wire.ComStmtBulkExecute, 1, 0, 0, 0}
	p = binary.LittleEndian.AppendUint16(p, bulkSendTypes)
	p = append(p, paramLongLong, 0, 0xfd, 0)
	return append(p, body...)
}

func TestBulkArgs(t *testing.T) {
	bigint := func(v uint64) []byte { return binary.LittleEndian.AppendUint64([]byte{indicatorNone}, v) }
	str := func(s string) []byte { return wire.AppendLenEncString([]byte{indicatorNone}, []byte(s)) }
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name    string
		body    []byte
		inserts bool
		want    string // rows, or the error's text
	}{
		{"two rows", cat(bigint(7), str("a"), bigint(8), str("it's")), true, "[[00000000000000000007 'a'] [00000000000000000008 'it''s']]"},
		{"NULL and DEFAULT", cat([]byte{indicatorNull}, str("a"), bigint(9), []byte{indicatorDefault}), false, "[[NULL 'a'] [00000000000000000009 DEFAULT]]"},
		{"IGNORE is DEFAULT in an INSERT", cat(bigint(1), []byte{indicatorIgnore}), true, "[[00000000000000000001 DEFAULT]]"},
		{"IGNORE in an UPDATE has no literal", cat(bigint(1), []byte{indicatorIgnore}), false, errBulkIgnore.Error()},
		{"an unknown indicator", cat(bigint(1), []byte{9}), true, "COM_STMT_BULK_EXECUTE parameter 2 has an unknown indicator 9"},
		{"a row cut short", cat(bigint(1), str("a"), bigint(2)), true, errShort.Error()},
		{"a value cut short", cat(bigint(1), []byte{indicatorNone, 5, 'a'}), true, "row 1 parameter 2: " + errShort.Error()},
		{"no rows", nil, true, "[]"},
	}
	for _, tt := range tests {
		st := &prepared{params: 2}
		packet := bulkRowsPacket(tt.body...)
		if _, err := st.captureBulkTypes(packet); err != nil {
			t.Fatal(err)
		}
		rows, err := st.bulkArgs(packet, "", tt.inserts)
		got := fmt.Sprint(rows)
		if err != nil {
			got = err.Error()
		}
		if rows == nil && err == nil {
			got = "[]"
		}
		if got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	st := &prepared{params: 0}
	if _, err := st.bulkArgs([]byte{wire.ComStmtBulkExecute, 1, 0, 0, 0, 0, 0, indicatorNone}, "", true); !errors.Is(err, errBulkRowNoParams) {
		t.Errorf("rows for a statement without parameters: %v, want %v", err, errBulkRowNoParams)
	}
}

func TestBulkSumAddsRowsAndKeepsTheFirstID(t *testing.T) {
	var sum bulkSum
	for _, ok := range [][]byte{
		wire.AppendOK(nil, wire.HeaderOK, 1, 0, 0, 0),
		wire.AppendOK(nil, wire.HeaderOK, 2, 41, 0, 1),
		wire.AppendOK(nil, wire.HeaderOK, 0, 0, 0, 0),
		wire.AppendOK(nil, wire.HeaderOK, 1, 43, 0, 2),
	} {
		sum.add(ok)
	}
	if sum != (bulkSum{affected: 4, insertID: 41, warnings: 3}) {
		t.Errorf("sum = %+v, want 4 rows, id 41, 3 warnings", sum)
	}
}
