package session

import (
	"testing"

	"github.com/strata-proxy/strata/sqlparse"
)

func TestOwnConnectionID(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"SELECT CONNECTION_ID(), NOW()", true},
		{"INSERT INTO audit (conn) VALUES (CONNECTION_ID())", true},
		{"SELECT NOW()", false},
		{"SELECT IS_USED_LOCK('job') = CONNECTION_ID()", false},
		{"SELECT * FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()", true}, // Strata's list (processListAsRows)
		{"SELECT THREAD_ID FROM performance_schema.threads WHERE PROCESSLIST_ID = CONNECTION_ID()", false},
	}
	for _, tt := range tests {
		f, err := sqlparse.Classify(tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if got := ownConnectionID(f); got != tt.want {
			t.Errorf("ownConnectionID(%s) = %v, want %v", tt.sql, got, tt.want)
		}
	}
}
