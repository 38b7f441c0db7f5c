package sqlparse

import "testing"

// A session's binary log turned off, in any spelling, is seen; turning
// it on, or setting other variables, is not.
func TestSkipsBinlog(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"SET sql_log_bin = 0", true},
		{"SET SESSION sql_log_bin=OFF", true},
		{"SET @@session.sql_log_bin := 0", true},
		{"SET @@sql_log_bin = false", true},
		{"SET LOCAL sql_log_bin = 'OFF'", true},
		{"SET time_zone = '+00:00', sql_log_bin = 0", true},
		{"SET sql_log_bin = @keep", true},
		{"SET STATEMENT sql_log_bin=0 FOR INSERT INTO t VALUES (1)", true},
		{"SET STATEMENT max_statement_time=5, @@session.sql_log_bin = OFF FOR DELETE FROM t", true},
		{"SET sql_log_bin = 1", false},
		{"SET sql_log_bin = ON", false},
		{"SET sql_log_bin = DEFAULT", false},
		{"SET STATEMENT sql_log_bin=1 FOR INSERT INTO t VALUES (1)", false},
		{"SET STATEMENT max_statement_time=5 FOR SELECT 'sql_log_bin=0'", false},
		{"SET time_zone = '+00:00'", false},
		{"SELECT @@sql_log_bin", false},
	}
	for _, tt := range tests {
		fs, _ := Mode{}.ParseOrFallback(tt.sql)
		if got := (Mode{}).SkipsBinlog(fs[0]); got != tt.want {
			t.Errorf("%s: SkipsBinlog = %v, want %v", tt.sql, got, tt.want)
		}
	}
}
