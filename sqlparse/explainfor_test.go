package sqlparse

import "testing"

// The statements that name another connection's running statement by its
// id are found with the id's place in the text, so Strata can answer them
// with the server thread behind its own id; anything else is not one.
func TestExplainFor(t *testing.T) {
	tests := []struct {
		sql    string
		ok     bool
		id     uint32
		idText string
	}{
		{"SHOW EXPLAIN FOR 12", true, 12, "12"},
		{"show explain format=json for 7;", true, 7, "7"},
		{"SHOW EXPLAIN FORMAT = 'JSON' FOR 7", true, 7, "7"},
		{"SHOW ANALYZE FOR 4294967295", true, 4294967295, "4294967295"},
		{"SHOW ANALYZE FORMAT=JSON FOR 3", true, 3, "3"},
		{"EXPLAIN FOR CONNECTION 9", true, 9, "9"},
		{"EXPLAIN FORMAT=JSON FOR CONNECTION 9 ; ", true, 9, "9"},
		{"/* app */ SHOW /* x */ EXPLAIN FOR /* y */ 5 -- z", true, 5, "5"},
		{"SHOW EXPLAIN FOR 4294967296", false, 0, ""},
		{"SHOW EXPLAIN FOR @id", false, 0, ""},
		{"SHOW EXPLAIN FOR 1+1", false, 0, ""},
		{"SHOW EXPLAIN FOR 5; SELECT 1", false, 0, ""},
		{"EXPLAIN FOR 5", false, 0, ""},
		{"EXPLAIN SELECT * FROM t", false, 0, ""},
		{"SHOW PROCESSLIST", false, 0, ""},
		{"SELECT 'SHOW EXPLAIN FOR 5'", false, 0, ""},
	}
	for _, tt := range tests {
		ref, ok := Mode{}.ExplainFor(tt.sql)
		if ok != tt.ok || ok && (ref.ID != tt.id || tt.sql[ref.Start:ref.End] != tt.idText) {
			t.Errorf("%q: %+v, %v; want id %d at %q, %v", tt.sql, ref, ok, tt.id, tt.idText, tt.ok)
		}
	}
}
