package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// classifySet turns a SET statement into session variables to replay,
// the autocommit change and user-variable flags.
func (m Mode) classifySet(f *Facts, st *ast.SetStmt) {
	f.Kind = KindSet
	txScope := txScopeUnknown
	for _, va := range st.Variables {
		switch {
		case va.Name == ast.SetNames:
			f.SessionVars = append(f.SessionVars, charsetVar(va, "names", "SET NAMES "))
		case va.Name == ast.SetCharset:
			f.SessionVars = append(f.SessionVars, charsetVar(va, "character set", "SET CHARACTER SET "))
		case !va.IsSystem:
			f.SetsUserVars = true
		case isTxVar(va.Name):
			if txScope == txScopeUnknown {
				txScope = txStatementScope(f.Text)
			}
			m.txVar(f, va, txScope)
		default:
			m.systemVar(f, va)
		}
	}
}

// systemVar handles SET [SESSION|GLOBAL] name = value.
func (m Mode) systemVar(f *Facts, va *ast.VariableAssignment) {
	name := strings.ToLower(va.Name)
	global := va.IsGlobal || va.IsInstance
	sql, value, dynamic := m.renderValue(va.Value, f.Text)
	if name == "autocommit" && !global {
		on, ok := boolValue(va.Value)
		on = on && ok // not a constant: report autocommit off, which pins the session
		f.Autocommit = &on
		if ok {
			// Like any session variable it follows the session to each
			// connection that serves it, and a connection it leaves gets
			// the server's default back before another session uses it:
			// left at 0, that session's writes would never commit.
			sql, value = "0", "0"
			if on {
				sql, value = "1", "1"
			}
		}
	}
	if name == "profiling" && !global {
		// SHOW PROFILES lists the statements its connection ran, and
		// keeps listing them after profiling is turned off: once on, the
		// session stays on one connection.
		_, isDefault := va.Value.(*ast.DefaultExpr) // profiling's default is off
		if on, ok := boolValue(va.Value); on || (!ok && !isDefault) {
			f.Hold = "profiling"
		}
	}
	f.SessionVars = append(f.SessionVars, SessionVar{
		Name: name, Value: value, Global: global, Dynamic: dynamic,
		SQL: "SET " + scopeWord(global) + " " + quoteName(name) + " = " + sql,
	})
}

func scopeWord(global bool) string {
	if global {
		return "GLOBAL"
	}
	return "SESSION"
}

// charsetVar handles SET NAMES cs [COLLATE coll] and SET CHARACTER SET cs.
// Character set and collation names are case-insensitive, so they are
// lower-cased.
func charsetVar(va *ast.VariableAssignment, name, prefix string) SessionVar {
	cs := "DEFAULT"
	if v, ok := va.Value.(ast.ValueExpr); ok {
		cs = strings.ToLower(v.GetString())
	}
	value, sql := cs, prefix+sqlWord(cs)
	if va.ExtendValue != nil {
		coll := strings.ToLower(va.ExtendValue.GetString())
		value += " COLLATE " + coll
		sql += " COLLATE " + sqlWord(coll)
	}
	return SessionVar{Name: name, Value: value, SQL: sql}
}

// roleVar handles SET ROLE: the active roles are session state.
func (m Mode) roleVar(st *ast.SetRoleStmt, text string) SessionVar {
	sql, err := m.restore(st)
	if err != nil {
		sql = text
	}
	return SessionVar{Name: "role", Value: strings.TrimPrefix(sql, "SET ROLE "), SQL: sql}
}

// Transaction characteristics arrive from the parser as tx_isolation /
// tx_read_only assignments, whether the user wrote SET TRANSACTION ... or
// SET tx_isolation = .... They are reported under the MySQL 8 names and
// replayed as SET SESSION TRANSACTION ..., which every MySQL and MariaDB
// version accepts (tx_isolation is gone from MySQL 8).
type txScope uint8

const (
	txScopeUnknown  txScope = iota
	txScopeVariable         // SET [@@scope.]tx_isolation = ...: the variable's own scope
	txScopeNext             // SET TRANSACTION ...: next transaction only
	txScopeSession          // SET SESSION TRANSACTION ...
	txScopeGlobal           // SET GLOBAL TRANSACTION ...
)

func isTxVar(name string) bool {
	switch strings.ToLower(name) {
	case "tx_isolation", "transaction_isolation", "tx_isolation_one_shot",
		"tx_read_only", "transaction_read_only", "tx_read_only_one_shot":
		return true
	}
	return false
}

// txStatementScope tells SET TRANSACTION from SET SESSION TRANSACTION by
// the text: the parser gives both the same session-scoped tree.
func txStatementScope(text string) txScope {
	sc := newScanner(text)
	if !sc.isWord(sc.nextCode(), "SET") {
		return txScopeVariable
	}
	t := sc.nextCode()
	scope := txScopeNext
	switch {
	case sc.isWord(t, "SESSION") || sc.isWord(t, "LOCAL"):
		scope, t = txScopeSession, sc.nextCode()
	case sc.isWord(t, "GLOBAL"):
		scope, t = txScopeGlobal, sc.nextCode()
	}
	if !sc.isWord(t, "TRANSACTION") {
		return txScopeVariable
	}
	return scope
}

func (m Mode) txVar(f *Facts, va *ast.VariableAssignment, scope txScope) {
	if scope == txScopeNext {
		f.NextTxSettings = true
		return
	}
	global := scope == txScopeGlobal || (scope == txScopeVariable && (va.IsGlobal || va.IsInstance))
	name := strings.ToLower(va.Name)
	canon, value, clause := txSetting(name, va.Value)
	if clause == "" { // not a constant we understand: replay as written
		sql, value, dynamic := m.renderValue(va.Value, f.Text)
		f.SessionVars = append(f.SessionVars, SessionVar{
			Name: canon, Value: value, Global: global, Dynamic: dynamic,
			SQL: "SET " + scopeWord(global) + " " + quoteName(name) + " = " + sql,
		})
		return
	}
	f.SessionVars = append(f.SessionVars, SessionVar{
		Name: canon, Value: value, Global: global,
		SQL: "SET " + scopeWord(global) + " TRANSACTION " + clause,
	})
}

// txSetting returns the canonical name, the value and the SET
// TRANSACTION clause of a transaction variable; clause is "" when the
// value is not a constant it understands.
func txSetting(name string, e ast.ExprNode) (canon, value, clause string) {
	if strings.Contains(name, "isolation") {
		value, _ = constString(e)
		return "transaction_isolation", value, txIsolationClause(value)
	}
	on, ok := boolValue(e)
	switch {
	case !ok:
		return "transaction_read_only", "", ""
	case on:
		return "transaction_read_only", "ON", "READ ONLY"
	}
	return "transaction_read_only", "OFF", "READ WRITE"
}

// txIsolationClause: "READ-COMMITTED" -> "ISOLATION LEVEL READ COMMITTED".
func txIsolationClause(s string) string {
	level := strings.ToUpper(strings.ReplaceAll(s, "-", " "))
	switch level {
	case "READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE":
		return "ISOLATION LEVEL " + level
	}
	return ""
}

// boolValue reads a boolean system-variable value: 1/0, ON/OFF,
// TRUE/FALSE, quoted or not.
func boolValue(e ast.ExprNode) (on, ok bool) {
	if v, isVal := e.(ast.ValueExpr); isVal {
		switch x := v.GetValue().(type) {
		case int64:
			return x != 0, true
		case uint64:
			return x != 0, true
		}
	}
	s, isStr := constString(e)
	if !isStr {
		return false, false
	}
	switch strings.ToUpper(s) {
	case "1", "ON", "TRUE", "YES":
		return true, true
	case "0", "OFF", "FALSE", "NO":
		return false, true
	}
	return false, false
}

// constString returns a string literal, or a bare word such as OFF in
// SET autocommit = OFF (which the parser reads as a column name).
func constString(e ast.ExprNode) (string, bool) {
	switch v := e.(type) {
	case ast.ValueExpr:
		if s, ok := v.GetValue().(string); ok {
			return s, true
		}
	case *ast.ColumnNameExpr:
		if v.Name.Table.L == "" {
			return v.Name.Name.O, true
		}
	}
	return "", false
}

// renderValue renders a SET value for replay. A bare word becomes a
// string literal ('OFF'), which MySQL accepts for every variable that
// takes a word. Anything else is restored by the parser; if that fails
// the whole statement text stands in, which re-applies the setting too.
func (m Mode) renderValue(e ast.ExprNode, stmtText string) (sql, value string, dynamic bool) {
	switch v := e.(type) {
	case *ast.DefaultExpr:
		return "DEFAULT", "DEFAULT", false
	case *ast.ColumnNameExpr:
		if v.Name.Table.L == "" {
			return m.quoteString(v.Name.Name.O), v.Name.Name.O, false
		}
	}
	sql, err := m.restore(e)
	if err != nil {
		return stmtText, stmtText, true
	}
	if s, ok := constString(e); ok {
		return sql, s, false
	}
	return sql, sql, !isConstant(e)
}

// isConstant: literals, possibly signed or parenthesized.
func isConstant(e ast.ExprNode) bool {
	switch v := e.(type) {
	case ast.ValueExpr, *ast.DefaultExpr:
		return true
	case *ast.UnaryOperationExpr:
		return isConstant(v.V)
	case *ast.ParenthesesExpr:
		return isConstant(v.Expr)
	}
	return false
}

// restore renders a node back to SQL. Strings lose the utf8mb4
// introducer the parser adds to every literal; backslashes are escaped
// unless the session's sql_mode says they are not escapes.
func (m Mode) restore(n ast.Node) (string, error) {
	flags := format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase |
		format.RestoreNameBackQuotes | format.RestoreStringWithoutDefaultCharset
	if !m.noBackslash {
		flags |= format.RestoreStringEscapeBackslash
	}
	var sb strings.Builder
	err := n.Restore(format.NewRestoreCtx(flags, &sb))
	return sb.String(), err
}

func (m Mode) quoteString(s string) string {
	s = strings.ReplaceAll(s, "'", "''")
	if !m.noBackslash {
		s = strings.ReplaceAll(s, `\`, `\\`)
	}
	return "'" + s + "'"
}

// sqlWord renders a charset or collation name: bare when it is a plain
// word, else as a string literal.
func sqlWord(s string) string {
	if isPlainWord(s) {
		return s
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}

// quoteName renders a variable name, back-quoting unusual ones.
func quoteName(s string) string {
	if isPlainWord(s) {
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

func isPlainWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
