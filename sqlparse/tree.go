package sqlparse

import (
	"sync/atomic"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// keptTree is the parser's tree of a lone statement, kept beside its
// facts for one later shard analysis (AnalyzeShardOf).
type keptTree struct {
	sql     string        // the text parsed
	reading mysql.SQLMode // the sql_mode flags that shaped the tree
	stmt    ast.StmtNode
	taken   atomic.Bool
}

// readingModes are the sql_mode flags that change how text parses.
const readingModes = mysql.ModeANSIQuotes | mysql.ModeNoBackslashEscapes | mysql.ModePipesAsConcat |
	mysql.ModeHighNotPrecedence | mysql.ModeIgnoreSpace

// ParseKeepingTree is ParseOrFallback, and where sql is one statement
// the parser read, its facts keep the parsed tree for one shard analysis
// of the same text (AnalyzeShardOf). The tree is many times the text's
// size, so keep it only for facts that are not cached: a caller that
// holds on to the facts holds the tree until it is taken.
func (m Mode) ParseKeepingTree(sql string) ([]*Facts, error) {
	stmts, err := m.parseAST(sql)
	if err != nil || len(stmts) != 1 {
		return m.ParseOrFallback(sql)
	}
	f := m.analyze(stmts[0], sql)
	if _, ok := stmts[0].(*ast.ProcedureInfo); !ok {
		f.tree = &keptTree{sql: sql, reading: m.sqlMode & readingModes, stmt: stmts[0]}
	}
	return []*Facts{f}, nil
}

// takeTree hands over the tree kept with f if it is the tree of sql as m
// reads it and no one took it before; else nil.
func (f *Facts) takeTree(m Mode, sql string) ast.StmtNode {
	t := f.tree
	if t == nil || t.reading != m.sqlMode&readingModes || t.sql != sql || !t.taken.CompareAndSwap(false, true) {
		return nil
	}
	stmt := t.stmt
	t.stmt = nil // only the taker reads it: the tree is the analysis's now
	return stmt
}

// HoldsTree reports whether f holds a parsed tree no analysis has taken
// yet.
func (f *Facts) HoldsTree() bool { return f.tree != nil && !f.tree.taken.Load() }
