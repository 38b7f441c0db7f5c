package sqlparse

import "strings"

// BulkInsert writes a batch of bound rows (MariaDB's COM_STMT_BULK_EXECUTE:
// one prepared statement, many rows of values) of an INSERT or REPLACE
// whose placeholders all lie in its one VALUES row as multi-row
// statements, the row repeated with each row's values (SQL literals) in
// place of its placeholders: what a client that rewrites batches sends.
// One server runs such a batch as one statement (a duplicate key in any
// row leaves none of them), as it runs the multi-row one; a batch whose
// text would pass maxLen bytes is cut into several statements, each under
// it but for one of a single row. ok is false for any other statement:
// one with placeholders outside its VALUES row (in ON DUPLICATE KEY
// UPDATE, a SELECT), with no VALUES row (INSERT ... SET) or several, or
// rows whose values do not fill its placeholders.
func (m Mode) BulkInsert(sql string, rows [][]string, maxLen int) ([]string, bool) {
	if len(rows) == 0 {
		return nil, false
	}
	open, end, ok := m.valuesRow(sql)
	if !ok {
		return nil, false
	}
	head, row, tail := sql[:open], sql[open:end], sql[end:]
	if hasPlaceholder(m, head) || hasPlaceholder(m, tail) || !hasPlaceholder(m, row) {
		// Values outside the row, or none in it (the rows would all be
		// the same).
		return nil, false
	}
	var out []string
	var b strings.Builder
	for _, values := range rows {
		bound, n := m.BindPlaceholders(row, values)
		if n != len(values) {
			return nil, false
		}
		if b.Len() > 0 && b.Len()+2+len(bound)+len(tail) > maxLen {
			b.WriteString(tail)
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteString(head)
		} else {
			b.WriteString(", ")
		}
		b.WriteString(bound)
	}
	b.WriteString(tail)
	return append(out, b.String()), true
}

// valuesRow finds the one row of an INSERT's VALUES (or VALUE) list at
// the statement's top level: where its parentheses open and end in sql.
// ok is false when there is no such list, or it has more than one row.
func (m Mode) valuesRow(sql string) (open, end int, ok bool) {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	depth := 0
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		switch {
		case isPunct(sql, t, '('):
			depth++
		case isPunct(sql, t, ')'):
			depth--
		case depth != 0:
		case sc.isWord(t, "select"), sc.isWord(t, "set"), sc.isWord(t, "update"):
			// INSERT ... SELECT, INSERT ... SET, or ON DUPLICATE KEY
			// UPDATE reached first: its VALUES(col) is no row.
			return 0, 0, false
		case sc.isWord(t, "values"), sc.isWord(t, "value"):
			peek := sc // where the row's parenthesis opens
			open = peek.nextCode().start
			end, ok = closingParen(&sc)
			if !ok || isPunct(sql, sc.nextCode(), ',') {
				return 0, 0, false
			}
			return open, end, true
		}
	}
	return 0, 0, false
}
