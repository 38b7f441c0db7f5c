package session

import "testing"

func TestExplainStrataRecognized(t *testing.T) {
	tests := []struct {
		sql, stmt string
		ok        bool
	}{
		{"EXPLAIN STRATA SELECT 1", "SELECT 1", true},
		{"  explain   strata\n select * from t where id = 1;", "select * from t where id = 1", true},
		{"EXPLAIN SELECT 1", "", false},
		{"SELECT 'EXPLAIN STRATA x'", "", false},
		{"EXPLAIN STRATA", "", false},
	}
	for _, tt := range tests {
		stmt, ok := explainStrata(tt.sql)
		if ok != tt.ok || stmt != tt.stmt {
			t.Errorf("%q: (%q, %v), want (%q, %v)", tt.sql, stmt, ok, tt.stmt, tt.ok)
		}
	}
}
