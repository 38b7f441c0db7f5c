package session

import (
	"testing"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/wire"
)

// LOAD DATA LOCAL from a client that did not offer local files is refused
// before any server runs it, in a multi-statement query too; a LOAD DATA
// of the server's own file, and any statement from a client that offered
// them, go on.
func TestLoadsLocalWithoutTheCapability(t *testing.T) {
	p := planner.New(nil)
	tests := []struct {
		sql   string
		caps  uint32
		wants bool
	}{
		{"LOAD DATA LOCAL INFILE 'a.txt' INTO TABLE t", 0, true},
		{"SELECT 1; LOAD DATA LOCAL INFILE 'a.txt' INTO TABLE t", wire.ClientMultiStatements, true},
		{"LOAD DATA LOCAL INFILE 'a.txt' INTO TABLE t", wire.ClientLocalFiles, false},
		{"LOAD DATA INFILE '/var/lib/a.txt' INTO TABLE t", 0, false},
		{"SELECT 1", 0, false},
	}
	for _, tt := range tests {
		s := &Session{caps: tt.caps}
		if got := s.loadsLocalWithout(p.Parse(tt.sql).Statements); got != tt.wants {
			t.Errorf("%q with caps %#x: refused %v, want %v", tt.sql, tt.caps, got, tt.wants)
		}
	}
}
