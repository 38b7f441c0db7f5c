package wire

// Column types and flags of the column definitions Strata writes itself.
const (
	TypeLong      byte = 0x03
	TypeLongLong  byte = 0x08
	TypeVarString byte = 0xfd

	FlagNotNull  uint16 = 0x0001
	FlagUnsigned uint16 = 0x0020
	FlagBinary   uint16 = 0x0080
)

// AppendTextColumn builds a ColumnDefinition41 payload for a VARCHAR column
// of utf8mb4 text that Strata fills itself (EXPLAIN STRATA).
func AppendTextColumn(b []byte, name string) []byte {
	return AppendColumnDef(b, name, TypeVarString, 45, 1<<18, 0)
}

// AppendColumnDef builds a ColumnDefinition41 payload for a column of an
// answer Strata makes itself: no schema or table, the given type,
// collation id, display length and flags.
func AppendColumnDef(b []byte, name string, typ byte, collation uint16, length uint32, flags uint16) []byte {
	b = AppendLenEncString(b, []byte("def")) // catalog
	b = AppendLenEncString(b, nil)           // schema
	b = AppendLenEncString(b, nil)           // table
	b = AppendLenEncString(b, nil)           // org_table
	b = AppendLenEncString(b, []byte(name))  // name
	b = AppendLenEncString(b, []byte(name))  // org_name
	b = append(b, 0x0c)                      // length of the fixed fields
	b = append(b, byte(collation), byte(collation>>8))
	b = append(b, byte(length), byte(length>>8), byte(length>>16), byte(length>>24))
	b = append(b, typ)
	b = append(b, byte(flags), byte(flags>>8))
	b = append(b, 0x00)          // decimals
	return append(b, 0x00, 0x00) // filler
}

// RenameOrgTable returns the ColumnDefinition41 payload p with its
// org_table (the table a column is read from, as the server names it)
// replaced by rename's answer for it; p itself, and false, when rename
// answers "" or p is too short to hold one. Strata reads a date-sharded
// table from period tables (posts_2024_06) a client never named: the
// client must see the table it named (posts), as one server shows it.
func RenameOrgTable(p []byte, rename func(orgTable string) string) ([]byte, bool) {
	pos := 0
	for range 3 { // catalog, schema, table
		n, w := ReadLenEnc(p[pos:])
		if w == 0 || uint64(len(p)-pos-w) < n {
			return p, false
		}
		pos += w + int(n)
	}
	n, w := ReadLenEnc(p[pos:])
	if w == 0 || uint64(len(p)-pos-w) < n {
		return p, false
	}
	name := rename(string(p[pos+w : pos+w+int(n)]))
	if name == "" {
		return p, false
	}
	out := make([]byte, 0, len(p)+len(name))
	out = append(out, p[:pos]...)
	out = AppendLenEncString(out, []byte(name))
	return append(out, p[pos+w+int(n):]...), true
}
