package sqlparse

import (
	"reflect"
	"strings"
	"testing"
)

// analyzeKept is AnalyzeShardOf of sql with the tree its parse kept, and
// reports whether that tree was the one analyzed.
func analyzeKept(t *testing.T, m Mode, sql string) (*ShardStmt, error, bool) {
	t.Helper()
	facts, _ := m.ParseKeepingTree(sql)
	if len(facts) != 1 {
		st, err := m.AnalyzeShard(sql, testKeyOf)
		return st, err, false
	}
	kept := facts[0].tree
	st, err := m.AnalyzeShardOf(sql, facts[0], testKeyOf)
	return st, err, kept != nil && kept.taken.Load()
}

// sameAnalysis reports how two analyses of one text differ ("" when they
// do not): their routing facts and what they render.
func sameAnalysis(a, b *ShardStmt, errA, errB error) string {
	if (errA == nil) != (errB == nil) || (errA != nil && errA.Error() != errB.Error()) {
		return "errors " + errString(errA) + " | " + errString(errB)
	}
	if a == nil || b == nil {
		return ""
	}
	ca, cb := *a, *b
	ca.impl, cb.impl = nil, nil
	if !reflect.DeepEqual(ca, cb) {
		return "facts differ"
	}
	ra, errA := a.Render(Rewrite{Scatter: true})
	rb, errB := b.Render(Rewrite{Scatter: true})
	if ra != rb || (errA == nil) != (errB == nil) {
		return "renders " + ra + " | " + rb
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// A long statement is parsed once: the shard analysis takes the tree its
// classification parsed, and answers as an analysis that parses anew.
func TestAnalyzeShardOfTakesTheKeptTree(t *testing.T) {
	var rows []string
	for i := range 200 {
		rows = append(rows, "("+strings.Repeat("1", i%5+1)+", 'it''s', NULL)")
	}
	bulk := "INSERT INTO comments (entry_id, body, votes) VALUES " + strings.Join(rows, ", ")
	tests := []struct {
		name string
		mode Mode
		sql  string
	}{
		{"bulk insert", Mode{}, bulk},
		{"keyed select", Mode{}, "SELECT id, body FROM comments WHERE entry_id = 7 ORDER BY id LIMIT 3"},
		{"scatter aggregate", Mode{}, "SELECT user_id, AVG(votes) FROM comments GROUP BY user_id"},
		{"update by key", Mode{}, "UPDATE comments SET votes = votes + 1 WHERE entry_id IN (1, 2, ?)"},
		{"ansi quotes", NewMode("ANSI_QUOTES"), `SELECT "body" FROM comments WHERE "entry_id" = 3`},
		{"no backslash escapes", NewMode("NO_BACKSLASH_ESCAPES"), `INSERT INTO comments (entry_id, body) VALUES (4, 'a\')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, errKept, took := analyzeKept(t, tt.mode, tt.sql)
			if !took {
				t.Fatal("the analysis parsed the text again instead of taking the kept tree")
			}
			fresh, errFresh := tt.mode.AnalyzeShard(tt.sql, testKeyOf)
			if d := sameAnalysis(kept, fresh, errKept, errFresh); d != "" {
				t.Fatalf("the kept tree's analysis differs from a fresh one: %s", d)
			}
		})
	}
}

// A tree is taken once, and only by an analysis of its own text in its own
// reading: the analysis changes the tree as it renders.
func TestKeptTreeIsTakenOnceAndOnlyForItsText(t *testing.T) {
	const sql = "SELECT id FROM comments WHERE entry_id = 7"
	facts, err := Mode{}.ParseKeepingTree(sql)
	if err != nil || len(facts) != 1 || facts[0].tree == nil {
		t.Fatalf("ParseKeepingTree(%q) kept no tree: %v", sql, err)
	}
	f := facts[0]
	if f.takeTree(Mode{}, "SELECT id FROM comments WHERE entry_id = 8") != nil {
		t.Error("the tree was taken for another text")
	}
	if f.takeTree(NewMode("ANSI_QUOTES"), sql) != nil {
		t.Error("the tree was taken for another reading of the text")
	}
	if f.takeTree(NewMode("NO_AUTO_VALUE_ON_ZERO"), sql) == nil {
		t.Error("a mode that reads text as the default does could not take the tree")
	}
	if f.takeTree(Mode{}, sql) != nil {
		t.Error("the tree was taken twice")
	}
	// Later analyses parse anew, and still answer.
	if st, err := (Mode{}).AnalyzeShardOf(sql, f, testKeyOf); err != nil || st.Kind != KindSelect {
		t.Errorf("AnalyzeShardOf after the take = %+v, %v", st, err)
	}
	// Several statements, or a text the parser rejects, keep nothing.
	for _, text := range []string{"SELECT 1; SELECT 2", "SELEKT 1"} {
		facts, _ := Mode{}.ParseKeepingTree(text)
		for _, f := range facts {
			if f.tree != nil {
				t.Errorf("%q: kept a tree", text)
			}
		}
	}
	// Plain parses keep none: their facts are cached.
	if facts, _ := (Mode{}).ParseOrFallback(sql); facts[0].tree != nil {
		t.Error("ParseOrFallback kept a tree")
	}
}
