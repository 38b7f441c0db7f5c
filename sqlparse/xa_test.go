package sqlparse

import "testing"

// The format id of an XA statement's xid is found however it is written;
// a statement with none, or with commas only inside its strings, has none.
func TestXAFormatID(t *testing.T) {
	tests := []struct {
		sql string
		id  uint64
		ok  bool
	}{
		{"XA START 'g', 'b', 7", 7, true},
		{"XA COMMIT X'7374726174612d31',X'7330',1398035009", 1398035009, true},
		{"xa rollback 'g','b',0x53545241", 0x53545241, true},
		{"XA COMMIT 'g', 'b', 1398035009 ONE PHASE", 1398035009, true},
		{"XA END 'a,b', 'c', /* x */ 12 SUSPEND", 12, true},
		{"XA START 'g', 'b'", 0, false},
		{"XA START 'g,b,7'", 0, false},
		{"XA RECOVER", 0, false},
	}
	for _, tt := range tests {
		id, ok := Mode{}.XAFormatID(tt.sql)
		if id != tt.id || ok != tt.ok {
			t.Errorf("%q: %d, %v; want %d, %v", tt.sql, id, ok, tt.id, tt.ok)
		}
	}
}
