package session

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestDecodeParamRendersLiterals(t *testing.T) {
	le16 := func(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	le64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	tests := []struct {
		name     string
		typ      byte
		unsigned bool
		in       []byte
		want     string
		n        int
	}{
		// Integers padded to their type's width, sign included, so the
		// literal types as the bound value does (widthLong).
		{"tiny signed", paramTiny, false, []byte{0xff}, "-001", 1},
		{"tiny unsigned", paramTiny, true, []byte{0xff}, "0255", 1},
		{"short", paramShort, false, le16(0xfffe), "-00002", 2},
		{"long", paramLong, false, le32(123456), "000123456", 4},
		{"long of ten digits", paramLong, true, le32(4000000000), "4000000000", 4},
		{"longlong", paramLongLong, false, le64(42), "00000000000000000042", 8},
		{"smallest longlong", paramLongLong, false, le64(1 << 63), "-9223372036854775808", 8},
		{"longlong unsigned", paramLongLong, true, le64(math.MaxUint64), "18446744073709551615", 8},
		{"longlong signed", paramLongLong, false, le64(uint64(1<<63) + 5), "-9223372036854775803", 8},
		// FLOAT and DOUBLE as DOUBLE literals, a FLOAT with its own rounding.
		{"double", paramDouble, false, le64(math.Float64bits(2.5)), "2.5e+00", 8},
		{"whole double", paramDouble, false, le64(math.Float64bits(1)), "1e+00", 8},
		{"float", paramFloat, false, le32(math.Float32bits(0.25)), "2.5e-01", 4},
		{"float 0.1", paramFloat, false, le32(math.Float32bits(0.1)), "1.0000000149011612e-01", 4},
		{"date", paramDate, false, []byte{4, 0xe8, 0x07, 6, 3}, "DATE '2024-06-03'", 5},
		{"datetime with micros", paramDateTime, false, append([]byte{11, 0xe8, 0x07, 6, 3, 10, 20, 30}, le32(7)...), "TIMESTAMP '2024-06-03 10:20:30.000007'", 12},
		{"zero datetime", paramDateTime, false, []byte{0}, "'0000-00-00 00:00:00'", 1},
		{"zero date", paramDate, false, []byte{0}, "'0000-00-00'", 1},
		{"negative time over a day", paramTime, false, append([]byte{8, 1}, append(le32(1), 2, 3, 4)...), "TIME '-26:03:04'", 9},
		{"time with micros", paramTime, false, append([]byte{12, 0}, append(le32(0), append([]byte{10, 20, 30}, le32(5)...)...)...), "TIME '10:20:30.000005'", 13},
		{"zero time", paramTime, false, []byte{0}, "TIME '00:00:00'", 1},
		{"largest time", paramTime, false, append([]byte{8, 0}, append(le32(34), 22, 59, 59)...), "TIME '838:59:59'", 9},
		{"a time past the range stays a string the server clips", paramTime, false, append([]byte{8, 0}, append(le32(40), 0, 0, 0)...), "'960:00:00'", 9},
		{"string", 0xfd, false, []byte{3, 'a', '\'', 'b'}, "'a''b'", 4},
		{"string with backslash goes hex", 0xfd, false, []byte{2, '\\', 'n'}, "X'5c6e'", 3},
		{"blob as a binary string", paramBlob, false, []byte{3, 'a', 'b', 'c'}, "X'616263'", 4},
		{"decimal as a DECIMAL", 0xf6, false, []byte{4, '1', '.', '5', '0'}, "1.50", 5},
		{"old decimal type", 0x00, false, []byte{2, '-', '7'}, "-7", 3},
		{"a decimal that is not digits stays text", 0xf6, false, []byte{3, '1', 'e', '5'}, "'1e5'", 4},
	}
	for _, tt := range tests {
		got, n, err := decodeParam(tt.typ, tt.unsigned, tt.in, "")
		if err != nil || got != tt.want || n != tt.n {
			t.Errorf("%s: (%q, %d, %v), want (%q, %d)", tt.name, got, n, err, tt.want, tt.n)
		}
	}
	for _, short := range [][]byte{nil, {1}, {5, 1, 2}} {
		if _, _, err := decodeParam(paramLongLong, false, short, ""); err == nil {
			t.Errorf("short longlong %v decoded", short)
		}
	}
	for _, typ := range []byte{paramDate, paramDateTime, paramTimestamp, paramTime} {
		// A date or time longer than the packet: an error, not a panic
		// (FuzzBulkExecutePacket found the panic).
		if _, _, err := decodeParam(typ, false, []byte{11, 0xe8}, ""); err == nil {
			t.Errorf("type %#x: a value longer than the packet decoded", typ)
		}
		if _, _, err := decodeParam(typ, false, nil, ""); err == nil {
			t.Errorf("type %#x: no bytes decoded", typ)
		}
	}
	if _, _, err := decodeParam(0xfd, false, []byte{9, 'a'}, ""); err == nil {
		t.Error("a string longer than the packet decoded")
	}
}

func TestExecuteArgsReadsNullsTypesAndLongData(t *testing.T) {
	st := &prepared{params: 3, long: longData{params: map[uint16][]byte{2: []byte("long text")}, bytes: 9}}
	packet := []byte{0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0}
	packet = append(packet, 0b010) // param 2 is NULL
	packet = append(packet, 1)     // types follow
	packet = append(packet, paramLongLong, 0, paramLong, 0, 0xfc, 0)
	packet = append(packet, binary.LittleEndian.AppendUint64(nil, 42)...)
	if _, err := st.captureTypes(packet); err != nil {
		t.Fatal(err)
	}
	args, err := st.executeArgs(packet, "utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"00000000000000000042", "NULL", "X'6c6f6e672074657874'"} // a BLOB-typed value is a binary string
	for i := range want {
		if args[i] != want[i] {
			t.Errorf("arg %d = %q, want %q", i+1, args[i], want[i])
		}
	}
}

// A string parameter is text in the client's character set on the
// server, compared by the column's collation: a value that must go as hex
// keeps that with an introducer (a bare X'...' is a binary string,
// compared byte by byte, so 'A\' would not find 'a\' in a _ci column).
func TestStringParamsKeepTheClientsCharacterSet(t *testing.T) {
	for _, tt := range []struct {
		name    string
		typ     byte
		in      string
		charset string
		want    string
	}{
		{"plain text", 0xfd, "Zoë", "utf8mb4", "'Zoë'"},
		{"a backslash, UTF-8 client", 0xfd, `a\`, "utf8mb4", `_utf8mb4 X'615c'`},
		{"latin1 bytes, latin1 client", 0xfe, "\x8aimon", "latin1", "_latin1 X'8a696d6f6e'"},
		{"unknown character set", 0xfd, `a\`, "", `X'615c'`},
		{"bytes that are not UTF-8, UTF-8 client", 0xfe, "\x00\xff'", "utf8mb4", "X'00ff27'"},
		{"bytes that are not UTF-8, utf8mb3 client", 0xfe, "\xff", "utf8mb3", "X'ff'"},
		{"BLOB: a binary string", paramBlob, "\x8aimon", "latin1", "X'8a696d6f6e'"},
	} {
		if got := stringParam([]byte(tt.in), tt.typ, tt.charset); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
