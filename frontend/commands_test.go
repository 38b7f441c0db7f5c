package frontend

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/wire"
)

// A command Strata does not run gets the server's 1047 with the
// command's name, and for the ones sent on purpose, what to do instead.
func TestUnknownCommandsSayWhichAndWhy(t *testing.T) {
	tests := []struct {
		cmd  byte
		want []string
	}{
		{18, []string{"Unknown command 18 (COM_BINLOG_DUMP)", "primary's own address"}},
		{30, []string{"(COM_BINLOG_DUMP_GTID)", "relays no replication stream"}},
		{21, []string{"(COM_REGISTER_SLAVE)", "point the replica"}},
		{13, []string{"(COM_DEBUG)", "server's own address"}},
		{28, []string{"(COM_STMT_FETCH)", "no server-side cursors"}},
		{5, []string{"Unknown command 5 (COM_CREATE_DB): Strata does not support it"}},
		{0xee, []string{"Unknown command 238: Strata does not support it"}},
	}
	for _, tt := range tests {
		e := errUnknownCommand(tt.cmd)
		if e.Code != wire.ErUnknownCom || e.State != "08S01" {
			t.Errorf("command %d: error %d (%s), want 1047 (08S01)", tt.cmd, e.Code, e.State)
		}
		for _, w := range tt.want {
			if !strings.Contains(e.Message, w) {
				t.Errorf("command %d: %q lacks %q", tt.cmd, e.Message, w)
			}
		}
	}
}
