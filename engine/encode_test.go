package engine

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// columnDef builds a ColumnDefinition41 payload.
func columnDef(name string, charset uint16, typ byte, flags uint16, decimals byte) []byte {
	var b []byte
	for _, s := range []string{"def", "db", "t", "t", name, "orig_" + name} {
		b = appendLenEncString(b, []byte(s))
	}
	b = append(b, 0x0c, byte(charset), byte(charset>>8), 11, 0, 0, 0, typ, byte(flags), byte(flags>>8), decimals, 0, 0)
	return b
}

func TestParseColumnDef(t *testing.T) {
	p := columnDef("price", 63, TypeNewDecimal, FlagUnsigned|FlagBinary, 2)
	c, err := ParseColumnDef(p)
	if err != nil {
		t.Fatal(err)
	}
	// A binary column compares by bytes: its source column is not kept.
	want := Column{Name: "price", Type: TypeNewDecimal, Flags: FlagUnsigned | FlagBinary, Charset: 63, Decimals: 2, Length: 11}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
	// A long name takes a multi-byte length.
	long := strings.Repeat("x", 300)
	if c, err := ParseColumnDef(columnDef(long, 45, TypeVarString, 0, 0)); err != nil || c.Name != long || c.Charset != 45 {
		t.Errorf("long name: %+v, %v", c, err)
	}
	// A text column names the table column it comes from, whose collation
	// merges compare by.
	if c, _ := ParseColumnDef(columnDef("u", 45, TypeVarString, 0, 0)); c.Schema != "db" || c.OrgTable != "t" || c.OrgName != "orig_u" {
		t.Errorf("text column's source: %+v", c)
	}
	for n := range len(p) - 2 { // the 2 filler bytes may be missing
		if _, err := ParseColumnDef(p[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
}

// TestColumnSource: the table column a value comes from, whatever its
// type.
func TestColumnSource(t *testing.T) {
	for _, p := range [][]byte{columnDef("price", 63, TypeNewDecimal, FlagUnsigned|FlagBinary, 2), columnDef("u", 45, TypeVarString, 0, 0)} {
		c, _ := ParseColumnDef(p)
		if table, name, err := ColumnSource(p); err != nil || table != "t" || name != "orig_"+c.Name {
			t.Errorf("ColumnSource of %s = %q, %q, %v; want t, orig_%s", c.Name, table, name, err, c.Name)
		}
	}
	if _, _, err := ColumnSource(columnDef("u", 45, TypeVarString, 0, 0)[:8]); err == nil {
		t.Error("a truncated definition read without error")
	}
}

func TestTextRowRoundTrip(t *testing.T) {
	r := row("a", nil, "", strings.Repeat("z", 300), "\xfb")
	p := AppendTextRow(nil, r)
	want := "0161" + "fb" + "00" + "fc2c01" + strings.Repeat("7a", 300) + "01fb"
	if got := hex.EncodeToString(p); got != want {
		t.Fatalf("AppendTextRow = %s\nwant %s", got, want)
	}
	got, err := DecodeTextRow(p, len(r))
	if err != nil {
		t.Fatal(err)
	}
	if show([]Row{got}) != show([]Row{r}) {
		t.Errorf("decoded %q, want %q", show([]Row{got}), show([]Row{r}))
	}
	if got[1] != nil || got[2] == nil || len(got[2]) != 0 {
		t.Errorf("NULL/empty string confused: %#v %#v", got[1], got[2])
	}
	// Appending to one value must not overwrite the next.
	_ = append(got[0], 'X')
	if string(got[3][:1]) != "z" {
		t.Error("value capacity not capped")
	}
	for _, bad := range []struct {
		p []byte
		n int
	}{{p, len(r) + 1}, {p, len(r) - 1}, {p[:len(p)-1], len(r)}, {[]byte{0xff}, 1}} {
		if _, err := DecodeTextRow(bad.p, bad.n); err == nil {
			t.Errorf("DecodeTextRow(%x, %d): no error", bad.p, bad.n)
		}
	}
}

func TestAppendBinaryRow(t *testing.T) {
	c := func(typ byte, flags uint16) Column { return Column{Name: "c", Type: typ, Flags: flags, Charset: 63} }
	u := FlagUnsigned
	tests := []struct {
		name string
		col  Column
		val  string
		want string // hex of the value (after header and bitmap)
	}{
		{"tiny", c(TypeTiny, 0), "-1", "ff"},
		{"tiny unsigned", c(TypeTiny, u), "255", "ff"},
		{"short", c(TypeShort, 0), "-2", "feff"},
		{"year", c(TypeYear, u), "2024", "e807"},
		{"int24", c(TypeInt24, 0), "-8388608", "000080ff"},
		{"long", c(TypeLong, 0), "16909060", "04030201"},
		{"long unsigned", c(TypeLong, u), "4294967295", "ffffffff"},
		{"longlong", c(TypeLongLong, 0), "-9223372036854775808", "0000000000000080"},
		{"longlong unsigned", c(TypeLongLong, u), "18446744073709551615", "ffffffffffffffff"},
		{"zerofill", c(TypeLong, u), "0007", "07000000"},
		{"float", c(TypeFloat, 0), "1.5", "0000c03f"},
		{"double", c(TypeDouble, 0), "-2.25", "00000000000002c0"},
		{"date", c(TypeDate, 0), "2024-02-29", "04e807021d"},
		{"zero date", c(TypeDate, 0), "0000-00-00", "00"},
		{"datetime midnight", c(TypeDateTime, 0), "2024-02-29 00:00:00", "04e807021d"},
		{"datetime", c(TypeDateTime, 0), "2024-02-29 13:14:15", "07e807021d0d0e0f"},
		{"datetime micros", c(TypeTimestamp, 0), "2024-02-29 13:14:15.5", "0be807021d0d0e0f20a10700"},
		{"zero datetime", c(TypeDateTime, 0), "0000-00-00 00:00:00.000000", "00"},
		{"time zero", c(TypeTime, 0), "00:00:00", "00"},
		{"time", c(TypeTime, 0), "01:02:03", "0800" + "00000000" + "010203"},
		{"time negative days", c(TypeTime, 0), "-838:59:59", "0801" + "22000000" + "163b3b"},
		{"time micros", c(TypeTime, 0), "00:00:00.000001", "0c00" + "00000000" + "000000" + "01000000"},
		{"decimal", c(TypeNewDecimal, 0), "-12.50", "062d31322e3530"},
		{"string", c(TypeVarString, 0), "héllo", "0668c3a96c6c6f"},
		{"empty string", c(TypeString, 0), "", "00"},
		{"bit", c(TypeBit, u), "\x01\x02", "020102"},
		{"json", c(TypeJSON, 0), "[]", "025b5d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendBinaryRow([]byte("pre"), []Column{tt.col}, row(tt.val))
			if err != nil {
				t.Fatal(err)
			}
			want := "707265" + "00" + "00" + tt.want
			if h := hex.EncodeToString(got); h != want {
				t.Errorf("got  %s\nwant %s", h, want)
			}
		})
	}
}

func TestAppendBinaryRowNullBitmap(t *testing.T) {
	cols := make([]Column, 9)
	for i := range cols {
		cols[i] = Column{Name: "c", Type: TypeTiny}
	}
	r := row("1", nil, "2", nil, nil, nil, nil, nil, nil)
	got, err := AppendBinaryRow(nil, cols, r)
	if err != nil {
		t.Fatal(err)
	}
	// Columns 1, 3..8 are NULL: bits 3, 5..10 of a 2-byte bitmap.
	want := []byte{0x00, 0b1110_1000, 0b0000_0111, 1, 2}
	if !bytes.Equal(got, want) {
		t.Errorf("got %x, want %x", got, want)
	}
}

func TestAppendBinaryRowErrors(t *testing.T) {
	tests := []struct {
		col Column
		val string
	}{
		{Column{Type: TypeTiny}, "128"},
		{Column{Type: TypeTiny, Flags: FlagUnsigned}, "-1"},
		{Column{Type: TypeLong}, "1.5"},
		{Column{Type: TypeDouble}, "abc"},
		{Column{Type: TypeDate}, "2024-1"},
		{Column{Type: TypeDateTime}, "2024-01-01 25:61:00"},
		{Column{Type: TypeTime}, "12:00"},
		{Column{Type: TypeTime}, "12:00:00.1234567"},
		{Column{Type: TypeNull}, "x"},
	}
	for _, tt := range tests {
		buf := []byte("keep")
		got, err := AppendBinaryRow(buf, []Column{tt.col}, row(tt.val))
		if err == nil {
			t.Errorf("type %#x value %q: no error", tt.col.Type, tt.val)
		}
		if string(got) != "keep" {
			t.Errorf("type %#x value %q: buffer changed to %q", tt.col.Type, tt.val, got)
		}
	}
	if _, err := AppendBinaryRow(nil, []Column{{Type: TypeTiny}}, row("1", "2")); err == nil {
		t.Error("column count mismatch accepted")
	}
	if _, err := AppendBinaryRow(nil, []Column{{Type: TypeNull}}, row(nil)); err != nil {
		t.Errorf("NULL in NULL column: %v", err)
	}
}
