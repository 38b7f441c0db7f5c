package sqlparse

import "testing"

// Statements that control one server's replication are marked, in their
// MariaDB and MySQL spellings; statements that only share a first word
// are not.
func TestControlsReplication(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"RESET MASTER", true},
		{"reset master to 100", true},
		{"RESET SLAVE ALL", true},
		{"RESET SLAVE 'east' ALL", true},
		{"RESET REPLICA", true},
		{"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_USE_GTID=slave_pos", true},
		{"CHANGE MASTER 'east' TO MASTER_HOST='x'", true},
		{"STOP SLAVE", true},
		{"STOP ALL SLAVES", true},
		{"STOP REPLICA SQL_THREAD", true},
		{"START SLAVE", true},
		{"START SLAVE UNTIL MASTER_GTID_POS = '0-1-5'", true},
		{"START REPLICA", true},
		{"START TRANSACTION", false},
		{"RESET QUERY CACHE", false},
		{"PURGE BINARY LOGS BEFORE NOW()", false},
		{"FLUSH BINARY LOGS", false},
		{"SELECT 'RESET MASTER'", false},
	}
	for _, tt := range tests {
		fs, _ := Mode{}.ParseOrFallback(tt.sql)
		if got := fs[0].ControlsReplication; got != tt.want {
			t.Errorf("%s: ControlsReplication = %v, want %v", tt.sql, got, tt.want)
		}
	}
}
