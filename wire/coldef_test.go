package wire

import (
	"bytes"
	"testing"
)

// columnDef is a ColumnDefinition41 payload of column id read from table
// (alias) of orgTable.
func columnDef(table, orgTable string) []byte {
	b := AppendLenEncString(nil, []byte("def"))
	b = AppendLenEncString(b, []byte("blog"))
	b = AppendLenEncString(b, []byte(table))
	b = AppendLenEncString(b, []byte(orgTable))
	b = AppendLenEncString(b, []byte("id"))
	b = AppendLenEncString(b, []byte("id"))
	return append(b, 0x0c, 63, 0, 20, 0, 0, 0, TypeLongLong, 3, 0x50, 0, 0, 0)
}

func TestRenameOrgTable(t *testing.T) {
	logical := func(name string) string {
		if name == "posts_2024_06" {
			return "posts"
		}
		return ""
	}
	got, ok := RenameOrgTable(columnDef("p", "posts_2024_06"), logical)
	if want := columnDef("p", "posts"); !ok || !bytes.Equal(got, want) {
		t.Errorf("a period table's column: (%q, %v), want %q", got, ok, want)
	}
	other := columnDef("c", "comments")
	if got, ok := RenameOrgTable(other, logical); ok || !bytes.Equal(got, other) {
		t.Errorf("another table's column was changed: (%q, %v)", got, ok)
	}
	if got, ok := RenameOrgTable([]byte{3, 'd', 'e'}, logical); ok || len(got) != 3 {
		t.Errorf("a truncated definition: (%q, %v), want it unchanged", got, ok)
	}
}
