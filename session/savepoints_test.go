package session

import (
	"slices"
	"testing"

	"github.com/strata-proxy/strata/sqlparse"
)

// The savepoints a joining branch gets replayed are the ones the server
// still holds after each statement.
func TestNoteSavepoint(t *testing.T) {
	set := func(n string) sqlparse.Savepoint { return sqlparse.Savepoint{Action: sqlparse.SavepointSet, Name: n} }
	back := func(n string) sqlparse.Savepoint {
		return sqlparse.Savepoint{Action: sqlparse.SavepointRollback, Name: n}
	}
	release := func(n string) sqlparse.Savepoint {
		return sqlparse.Savepoint{Action: sqlparse.SavepointRelease, Name: n}
	}
	tests := []struct {
		name  string
		steps []sqlparse.Savepoint
		want  []string
	}{
		{"set keeps order", []sqlparse.Savepoint{set("a"), set("b")}, []string{"a", "b"}},
		{"set again moves the name to the end", []sqlparse.Savepoint{set("a"), set("b"), set("A")}, []string{"b", "A"}},
		{"rollback to drops later ones and keeps its own", []sqlparse.Savepoint{set("a"), set("b"), set("c"), back("B")}, []string{"a", "b"}},
		{"release drops it and later ones", []sqlparse.Savepoint{set("a"), set("b"), set("c"), release("b")}, []string{"a"}},
		{"an unknown name changes nothing", []sqlparse.Savepoint{set("a"), back("x"), release("y")}, []string{"a"}},
		{"an unread statement changes nothing", []sqlparse.Savepoint{set("a"), {}}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Session{}
			for _, sp := range tt.steps {
				s.noteSavepoint(sp)
			}
			if !slices.Equal(s.savepoints, tt.want) {
				t.Errorf("savepoints %v, want %v", s.savepoints, tt.want)
			}
		})
	}
}
