package sqlparse

import "github.com/pingcap/tidb/pkg/parser/ast"

// A full-text index scores a row by how rare each searched word is among
// the rows its server holds (InnoDB's relevance weighs a word by the
// inverse of the number of rows that hold it). Each shard knows its own
// rows only, so the relevance of MATCH ... AGAINST differs from shard to
// shard and from one server's: merged, the rows rank otherwise. Whether
// a row matches does not depend on the others, except WITH QUERY
// EXPANSION, which searches again with words of the best rows.

// fullTextUse says how statement stmt depends on what a full-text index
// knows of the other rows: "" when it does not (no MATCH, or MATCH only
// filtering in a WHERE or ON that orders nothing).
func fullTextUse(stmt ast.Node) string {
	var why string
	stmt.Accept(&selectVisitor{visit: func(sel *ast.SelectStmt) {
		if why == "" {
			why = selectFullTextUse(sel)
		}
	}})
	if why == "" && containsNode(stmt, func(n ast.Node) bool {
		m, ok := n.(*ast.MatchAgainst)
		return ok && m.Modifier.WithQueryExpansion()
	}) {
		why = "MATCH ... AGAINST (... WITH QUERY EXPANSION) searches again with the words of the best rows, which each shard picks from its own"
	}
	return why
}

func selectFullTextUse(sel *ast.SelectStmt) string {
	isMatch := func(n ast.Node) bool { _, ok := n.(*ast.MatchAgainst); return ok }
	for _, n := range []ast.Node{sel.Fields, sel.OrderBy, sel.Having, sel.GroupBy} {
		if containsNode(n, isMatch) {
			return "the relevance of MATCH ... AGAINST, which each shard computes from its own rows, is read (selected, sorted or grouped by)"
		}
	}
	naturalFilter := containsNode(sel.Where, func(n ast.Node) bool {
		m, ok := n.(*ast.MatchAgainst)
		return ok && m.Modifier.IsNaturalLanguageMode()
	})
	if naturalFilter && sel.OrderBy == nil && sel.GroupBy == nil && !sel.Distinct && !aggregates(sel) {
		return "a SELECT whose WHERE has MATCH ... AGAINST in natural language mode and no ORDER BY returns its rows by relevance, which each shard computes from its own rows"
	}
	return ""
}

// selectVisitor calls visit on every SELECT of a statement, subqueries'
// too.
type selectVisitor struct{ visit func(*ast.SelectStmt) }

func (v *selectVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if sel, ok := n.(*ast.SelectStmt); ok {
		v.visit(sel)
	}
	return n, false
}

func (v *selectVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }
