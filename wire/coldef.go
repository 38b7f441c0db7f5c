package wire

// AppendTextColumn builds a ColumnDefinition41 payload for a VARCHAR column
// of utf8mb4 text that Strata fills itself (EXPLAIN STRATA, SHOW-like
// answers).
func AppendTextColumn(b []byte, name string) []byte {
	b = AppendLenEncString(b, []byte("def")) // catalog
	b = AppendLenEncString(b, nil)           // schema
	b = AppendLenEncString(b, nil)           // table
	b = AppendLenEncString(b, nil)           // org_table
	b = AppendLenEncString(b, []byte(name))  // name
	b = AppendLenEncString(b, []byte(name))  // org_name
	b = append(b, 0x0c)                      // length of the fixed fields
	b = append(b, 45, 0)                     // utf8mb4_general_ci
	b = append(b, 0x00, 0x00, 0x04, 0x00)    // column length 262144
	b = append(b, 0xfd)                      // MYSQL_TYPE_VAR_STRING
	b = append(b, 0x00, 0x00)                // flags
	b = append(b, 0x00)                      // decimals
	return append(b, 0x00, 0x00)             // filler
}
