package sqlparse

import "strings"

// Maintenance is a table maintenance statement: ANALYZE, OPTIMIZE, CHECK,
// REPAIR or CHECKSUM TABLE. Each acts on every table it names, one by one,
// and answers a row or more per table (Table, Op, Msg_type, Msg_text;
// CHECKSUM: Table, Checksum). Strata runs it on every copy of a placed
// table, so it reads the statement itself: the SQL parser reads neither
// CHECK, REPAIR nor CHECKSUM TABLE.
type Maintenance struct {
	Op string // ANALYZE, OPTIMIZE, CHECK, REPAIR or CHECKSUM
	// Prefix is NO_WRITE_TO_BINLOG or LOCAL, "" for none (CHECKSUM has
	// none).
	Prefix string
	// Tables are the tables named, lower-cased as the layout names them;
	// Written the same as the client wrote them, for the default
	// cluster's tables (a server may tell names apart by case).
	Tables, Written []TableRef
	// Options is the text after the table list (QUICK, EXTENDED,
	// PERSISTENT FOR ALL, USE_FRM), as written.
	Options string
}

// ParseMaintenance reads [ANALYZE | OPTIMIZE | CHECK | REPAIR]
// [NO_WRITE_TO_BINLOG | LOCAL] TABLE[S] name [, name ...] [options] and
// CHECKSUM TABLE[S] name [, name ...] [QUICK | EXTENDED]; ok is false for
// any other statement (ANALYZE SELECT, CHECK VIEW).
func (m Mode) ParseMaintenance(sql string) (*Maintenance, bool) {
	sc, toks := m.codeTokens(sql)
	word := func(i int) string {
		if i >= len(toks) || toks[i].kind != tokWord {
			return ""
		}
		return strings.ToUpper(sc.text(toks[i]))
	}
	out := &Maintenance{Op: word(0)}
	switch out.Op {
	case "ANALYZE", "OPTIMIZE", "CHECK", "REPAIR", "CHECKSUM":
	default:
		return nil, false
	}
	i := 1
	if p := word(i); out.Op != "CHECKSUM" && (p == "NO_WRITE_TO_BINLOG" || p == "LOCAL") {
		out.Prefix, i = p, i+1
	}
	if p := word(i); p != "TABLE" && p != "TABLES" {
		return nil, false
	}
	i++
	for {
		written, next, ok := maintenanceTable(&sc, toks, i)
		if !ok {
			return nil, false
		}
		ref := TableRef{Schema: strings.ToLower(written.Schema), Name: strings.ToLower(written.Name)}
		out.Tables, out.Written, i = append(out.Tables, ref), append(out.Written, written), next
		if i < len(toks) && sc.text(toks[i]) == "," {
			i++
			continue
		}
		break
	}
	if i < len(toks) {
		out.Options = strings.TrimSpace(sql[toks[i].start:toks[len(toks)-1].end])
	}
	return out, true
}

// maintenanceTable reads a table name, schema-qualified or not, as
// written, from token i; next is the token after it.
func maintenanceTable(sc *scanner, toks []token, i int) (ref TableRef, next int, ok bool) {
	var parts []string
	for i < len(toks) {
		part, isName := identText(sc, toks[i])
		if !isName {
			return TableRef{}, 0, false
		}
		parts = append(parts, part)
		i++
		if i < len(toks) && sc.text(toks[i]) == "." {
			i++
			continue
		}
		break
	}
	switch len(parts) {
	case 1:
		return TableRef{Name: parts[0]}, i, true
	case 2:
		return TableRef{Schema: parts[0], Name: parts[1]}, i, true
	}
	return TableRef{}, 0, false
}

// identText is a name token's text: a word, or a `quoted` name unquoted.
func identText(sc *scanner, t token) (string, bool) {
	s := sc.text(t)
	switch t.kind {
	case tokWord:
		return s, !strings.ContainsAny(s, ".")
	case tokQuoted:
		if len(s) < 2 || s[len(s)-1] != '`' {
			return "", false // unterminated
		}
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`"), true
	}
	return "", false
}

// For is the statement for one table: the same operation, prefix and
// options on schema.table.
func (mt *Maintenance) For(schema, table string) string {
	var b strings.Builder
	b.WriteString(mt.Op)
	if mt.Prefix != "" {
		b.WriteString(" " + mt.Prefix)
	}
	b.WriteString(" TABLE ")
	if schema != "" {
		b.WriteString(QuoteIdentifier(schema) + ".")
	}
	b.WriteString(QuoteIdentifier(table))
	if mt.Options != "" {
		b.WriteString(" " + mt.Options)
	}
	return b.String()
}

// ParseDropTrigger reads DROP TRIGGER [IF EXISTS] [schema.]name, which
// names no table: Strata finds the clusters whose tables have it. ok is
// false for any other statement.
func (m Mode) ParseDropTrigger(sql string) (schema, name string, ifExists, ok bool) {
	sc, toks := m.codeTokens(sql)
	if len(toks) < 3 || !sc.isWord(toks[0], "drop") || !sc.isWord(toks[1], "trigger") {
		return "", "", false, false
	}
	i := 2
	if i+1 < len(toks) && sc.isWord(toks[i], "if") && sc.isWord(toks[i+1], "exists") {
		ifExists, i = true, i+2
	}
	schema, name, ok = triggerName(&sc, toks, i)
	return schema, name, ifExists, ok
}

// ParseShowCreateTrigger reads SHOW CREATE TRIGGER [schema.]name (how
// mariadb-dump reads each trigger it dumps), which names no table either.
func (m Mode) ParseShowCreateTrigger(sql string) (schema, name string, ok bool) {
	sc, toks := m.codeTokens(sql)
	if len(toks) < 4 || !sc.isWord(toks[0], "show") || !sc.isWord(toks[1], "create") || !sc.isWord(toks[2], "trigger") {
		return "", "", false
	}
	return triggerName(&sc, toks, 3)
}

// triggerName reads a trigger's name, lower-cased, from token i to the
// statement's end.
func triggerName(sc *scanner, toks []token, i int) (schema, name string, ok bool) {
	ref, next, isName := maintenanceTable(sc, toks, i)
	if !isName || next != len(toks) {
		return "", "", false
	}
	return strings.ToLower(ref.Schema), strings.ToLower(ref.Name), true
}

// codeTokens scans a statement's code tokens (no comments), without the
// trailing ';'s that end it.
func (m Mode) codeTokens(sql string) (scanner, []token) {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	var toks []token
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		toks = append(toks, t)
	}
	for len(toks) > 0 && sc.text(toks[len(toks)-1]) == ";" {
		toks = toks[:len(toks)-1]
	}
	return sc, toks
}

// TriggerTable reads the table CREATE TRIGGER ... {BEFORE | AFTER}
// {INSERT | UPDATE | DELETE} ON [schema.]table names, lower-cased; ok is
// false for any other statement.
func (m Mode) TriggerTable(sql string) (schema, table string, ok bool) {
	sc, toks := m.codeTokens(sql)
	if len(toks) < 2 || !sc.isWord(toks[0], "create") {
		return "", "", false
	}
	for i := 1; i+2 < len(toks); i++ {
		if (sc.isWord(toks[i], "before") || sc.isWord(toks[i], "after")) && sc.isWord(toks[i+2], "on") &&
			(sc.isWord(toks[i+1], "insert") || sc.isWord(toks[i+1], "update") || sc.isWord(toks[i+1], "delete")) {
			ref, _, isName := maintenanceTable(&sc, toks, i+3)
			if !isName {
				return "", "", false
			}
			return strings.ToLower(ref.Schema), strings.ToLower(ref.Name), true
		}
	}
	return "", "", false
}
