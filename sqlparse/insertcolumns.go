package sqlparse

import "strings"

// InsertWithoutColumns reads an INSERT or REPLACE ... VALUES that names
// no columns (INSERT INTO t VALUES (...), a form many applications use):
// its target table, and where its column list would go (before VALUES).
// ok is false for any other statement, one with a column list, SET or a
// SELECT included. Strata plans a write by the columns its values are
// for, so it gives such an INSERT the table's columns (WithColumns).
func (m Mode) InsertWithoutColumns(sql string) (table TableRef, at int, ok bool) {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	var toks []token
	for t := sc.nextCode(); t.kind != tokEOF && len(toks) < 16; t = sc.nextCode() {
		toks = append(toks, t)
	}
	i := 0
	if i >= len(toks) || !sc.isWord(toks[i], "insert") && !sc.isWord(toks[i], "replace") {
		return TableRef{}, 0, false
	}
	for i++; i < len(toks); i++ { // modifiers, INTO
		if !sc.isWord(toks[i], "low_priority") && !sc.isWord(toks[i], "delayed") && !sc.isWord(toks[i], "high_priority") &&
			!sc.isWord(toks[i], "ignore") && !sc.isWord(toks[i], "into") {
			break
		}
	}
	table, i, ok = maintenanceTable(&sc, toks, i)
	if !ok || i >= len(toks) {
		return TableRef{}, 0, false
	}
	if sc.isWord(toks[i], "partition") { // PARTITION (p0, p1)
		for i++; i < len(toks) && sc.text(toks[i]) != ")"; i++ {
		}
		i++
	}
	if i >= len(toks) || !sc.isWord(toks[i], "values") && !sc.isWord(toks[i], "value") {
		return TableRef{}, 0, false
	}
	return table, toks[i].start, true
}

// WithColumns is sql with the column list columns written at, where
// InsertWithoutColumns found it should go.
func WithColumns(sql string, at int, columns []string) string {
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = QuoteIdentifier(c)
	}
	return sql[:at] + "(" + strings.Join(quoted, ", ") + ") " + sql[at:]
}
