package wire

import (
	"bytes"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// column builds a column definition; decimals is the last fixed field
// before the filler.
func column(typ byte, length uint32, flags uint16, decimals byte) []byte {
	def := AppendColumnDef(nil, "c", typ, 33, length, flags)
	def[len(def)-3] = decimals
	return def
}

// textRow builds a text-protocol row: nil values are NULL.
func textRow(values ...[]byte) []byte {
	var row []byte
	for _, v := range values {
		if v == nil {
			row = append(row, 0xfb)
			continue
		}
		row = AppendLenEncString(row, v)
	}
	return row
}

func TestTextRowsTurnBinaryValuesIntoText(t *testing.T) {
	tests := []struct {
		name string
		def  []byte
		bin  []byte // the value's binary encoding
		text string
	}{
		{"tiny", column(mysql.MYSQL_TYPE_TINY, 4, 0, 0), []byte{0xfe}, "-2"},
		{"tiny unsigned", column(mysql.MYSQL_TYPE_TINY, 3, mysql.UNSIGNED_FLAG, 0), []byte{0xfe}, "254"},
		{"short", column(mysql.MYSQL_TYPE_SHORT, 6, 0, 0), []byte{0x00, 0x80}, "-32768"},
		{"int24", column(mysql.MYSQL_TYPE_INT24, 9, 0, 0), []byte{0xff, 0xff, 0xff, 0xff}, "-1"},
		{"long", column(mysql.MYSQL_TYPE_LONG, 11, 0, 0), []byte{0x2a, 0, 0, 0}, "42"},
		{"longlong", column(mysql.MYSQL_TYPE_LONGLONG, 20, 0, 0), []byte{0, 0, 0, 0, 0, 0, 0, 0x80}, "-9223372036854775808"},
		{"longlong unsigned", column(mysql.MYSQL_TYPE_LONGLONG, 20, mysql.UNSIGNED_FLAG, 0), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "18446744073709551615"},
		{"zerofill", column(mysql.MYSQL_TYPE_LONG, 5, mysql.UNSIGNED_FLAG|mysql.ZEROFILL_FLAG, 0), []byte{0x2a, 0, 0, 0}, "00042"},
		{"year", column(mysql.MYSQL_TYPE_YEAR, 4, mysql.UNSIGNED_FLAG|mysql.ZEROFILL_FLAG, 0), []byte{0, 0}, "0000"},
		{"date", column(mysql.MYSQL_TYPE_DATE, 10, 0, 0), []byte{4, 0xe8, 0x07, 2, 29}, "2024-02-29"},
		{"zero date", column(mysql.MYSQL_TYPE_DATE, 10, 0, 0), []byte{0}, "0000-00-00"},
		{"datetime", column(mysql.MYSQL_TYPE_DATETIME, 19, 0, 0), []byte{7, 0xe8, 0x07, 12, 31, 23, 59, 58}, "2024-12-31 23:59:58"},
		{"datetime midnight", column(mysql.MYSQL_TYPE_DATETIME, 19, 0, 0), []byte{4, 0xe8, 0x07, 1, 2}, "2024-01-02 00:00:00"},
		{"datetime(3)", column(mysql.MYSQL_TYPE_DATETIME, 23, 0, 3), []byte{11, 0xe8, 0x07, 1, 2, 3, 4, 5, 0x40, 0xe2, 0x01, 0}, "2024-01-02 03:04:05.123"},
		{"timestamp(6) whole", column(mysql.MYSQL_TYPE_TIMESTAMP, 26, 0, 6), []byte{7, 0xe8, 0x07, 1, 2, 3, 4, 5}, "2024-01-02 03:04:05.000000"},
		{"zero timestamp", column(mysql.MYSQL_TYPE_TIMESTAMP, 19, 0, 0), []byte{0}, "0000-00-00 00:00:00"},
		{"time", column(mysql.MYSQL_TYPE_TIME, 10, 0, 0), []byte{8, 0, 1, 0, 0, 0, 10, 20, 30}, "34:20:30"},
		{"negative time(2)", column(mysql.MYSQL_TYPE_TIME, 13, 0, 2), []byte{12, 1, 34, 0, 0, 0, 22, 59, 59, 0x3f, 0x42, 0x0f, 0}, "-838:59:59.99"},
		{"zero time", column(mysql.MYSQL_TYPE_TIME, 10, 0, 0), []byte{0}, "00:00:00"},
		{"varchar", column(mysql.MYSQL_TYPE_VAR_STRING, 80, 0, 0), []byte{3, 'a', 'b', 'c'}, "abc"},
		{"decimal", column(mysql.MYSQL_TYPE_NEWDECIMAL, 7, 0, 2), []byte{5, '-', '1', '.', '5', '0'}, "-1.50"},
		{"bit", column(mysql.MYSQL_TYPE_BIT, 9, mysql.UNSIGNED_FLAG, 0), []byte{2, 0x01, 0xff}, "\x01\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := NewTextRows([][]byte{tt.def, column(mysql.MYSQL_TYPE_LONG, 11, 0, 0)})
			if err != nil {
				t.Fatal(err)
			}
			// The value, then a NULL: bits 2 and 3 of the bitmap.
			bin := append([]byte{0x00, 0b1000}, tt.bin...)
			got, err := rows.Append(nil, bin)
			if err != nil {
				t.Fatal(err)
			}
			if want := textRow([]byte(tt.text), nil); !bytes.Equal(got, want) {
				t.Errorf("text row %q, want %q", got, want)
			}
		})
	}
}

func TestTextRowsRefuseWhatHasNoExactText(t *testing.T) {
	tests := []struct {
		name string
		def  []byte
	}{
		{"float", column(mysql.MYSQL_TYPE_FLOAT, 12, 0, 31)},
		{"double", column(mysql.MYSQL_TYPE_DOUBLE, 22, 0, 31)},
		{"unknown type", column(0x20, 1, 0, 0)},
		{"truncated", []byte{3, 'd', 'e'}},
	}
	for _, tt := range tests {
		if _, err := NewTextRows([][]byte{tt.def}); err == nil {
			t.Errorf("%s: rows turned into text", tt.name)
		}
	}
}

func TestTextRowsRefuseMalformedRows(t *testing.T) {
	rows, err := NewTextRows([][]byte{column(mysql.MYSQL_TYPE_LONG, 11, 0, 0), column(mysql.MYSQL_TYPE_VAR_STRING, 80, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, bin := range [][]byte{
		{},                                 // empty
		{0x01, 0},                          // not a row's header
		{0x00, 0, 1, 0, 0},                 // integer cut short
		{0x00, 0, 1, 0, 0, 0, 5, 'a'},      // string cut short
		{0x00, 0, 1, 0, 0, 0, 1, 'a', 'b'}, // bytes left over
	} {
		if got, err := rows.Append(nil, bin); err == nil {
			t.Errorf("row %v turned into %q", bin, got)
		}
	}
}

func TestAppendExecute(t *testing.T) {
	got := AppendExecute(nil, 7, []Param{{Int: 5}, {String: true, Str: "it's"}, {Int: 1 << 63, Unsigned: true}})
	want := []byte{ComStmtExecute, 7, 0, 0, 0, 0, 1, 0, 0, 0,
		0, // NULL bitmap
		1, // types follow
		mysql.MYSQL_TYPE_LONGLONG, 0, mysql.MYSQL_TYPE_STRING, 0, mysql.MYSQL_TYPE_LONGLONG, 0x80,
		5, 0, 0, 0, 0, 0, 0, 0,
		4, 'i', 't', '\'', 's',
		0, 0, 0, 0, 0, 0, 0, 0x80}
	if !bytes.Equal(got, want) {
		t.Errorf("execute payload\n got % x\nwant % x", got, want)
	}
}
