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

// Kill reads KILL as MariaDB does, comments and all (an ORM's trailing
// trace comment), and says what its target is.
func TestKill(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want KillStatement
		ok   bool
	}{
		{"KILL 12", KillStatement{ID: 12}, true},
		{"kill query 7;", KillStatement{ID: 7, Query: true}, true},
		{"KILL CONNECTION 3", KillStatement{ID: 3}, true},
		{"KILL HARD QUERY ID 5", KillStatement{ID: 5, Query: true, ByQueryID: true}, true},
		{"KILL /* ops */ QUERY 1000000007 /*traceparent='00-ab'*/", KillStatement{ID: 1000000007, Query: true}, true},
		{"KILL -- why\nSOFT CONNECTION 9", KillStatement{ID: 9}, true},
		{"KILL CONNECTION_ID()", KillStatement{Own: true}, true},
		{"KILL QUERY CONNECTION_ID ( )", KillStatement{Query: true, Own: true}, true},
		{"KILL USER bob", KillStatement{User: true}, true},
		{"KILL QUERY USER 'bob'@'%'", KillStatement{Query: true, User: true}, true},
		{"KILL 99999999999", KillStatement{ID: 99999999999}, true},
		{"KILL 5 + 1", KillStatement{}, false},
		{"KILL @id", KillStatement{}, false},
		{"KILL", KillStatement{}, false},
		{"KILL QUERY", KillStatement{Query: true}, false},
		{"SELECT 1", KillStatement{}, false},
	} {
		got, ok := (Mode{}).Kill(tc.sql)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("Kill(%q) = %+v, %v; want %+v, %v", tc.sql, got, ok, tc.want, tc.ok)
		}
	}
}
