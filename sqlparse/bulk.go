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
	sc, toks := m.codeTokens(sql)
	open, end, ok := valuesRow(&sc, sql, toks)
	if !ok {
		return nil, false
	}
	for i, t := range toks {
		if (i < open || i > end) && t.kind == tokPunct && sql[t.start] == '?' {
			return nil, false
		}
	}
	row := sql[toks[open].start:toks[end].end]
	if _, n := m.BindPlaceholders(row, nil); n == 0 {
		return nil, false // nothing bound: the rows would all be the same
	}
	head, tail := sql[:toks[open].start], sql[toks[end].end:]
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
// the statement's top level: the indexes of its opening and closing
// parentheses in toks. ok is false when there is no such list, or it has
// more than one row.
func valuesRow(sc *scanner, sql string, toks []token) (open, end int, ok bool) {
	depth := 0
	for i, t := range toks {
		if t.kind == tokPunct {
			switch sql[t.start] {
			case '(':
				depth++
			case ')':
				depth--
			}
			continue
		}
		if depth != 0 {
			continue
		}
		if sc.isWord(t, "select") || sc.isWord(t, "set") || sc.isWord(t, "update") {
			// INSERT ... SELECT, INSERT ... SET, or ON DUPLICATE KEY
			// UPDATE reached first: its VALUES(col) is no row.
			return 0, 0, false
		}
		if !sc.isWord(t, "values") && !sc.isWord(t, "value") {
			continue
		}
		if i+1 >= len(toks) || toks[i+1].kind != tokPunct || sql[toks[i+1].start] != '(' {
			return 0, 0, false
		}
		end := matchingParen(sql, toks, i+1)
		if end < 0 || end+1 < len(toks) && toks[end+1].kind == tokPunct && sql[toks[end+1].start] == ',' {
			return 0, 0, false
		}
		return i + 1, end, true
	}
	return 0, 0, false
}

// matchingParen is the index in toks of the parenthesis that closes the
// one at open, or -1.
func matchingParen(sql string, toks []token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		if toks[i].kind != tokPunct {
			continue
		}
		switch sql[toks[i].start] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
