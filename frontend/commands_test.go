package frontend

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/session"
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

// The connection attributes a client sends at login name its program,
// driver and process; what cannot be read is left out, never refused.
func TestReadConnectAttrs(t *testing.T) {
	attrs := func(pairs ...string) []byte {
		var body []byte
		for _, s := range pairs {
			body = wire.AppendLenEncString(body, []byte(s))
		}
		return wire.AppendLenEncString(nil, body)
	}
	long := strings.Repeat("x", 200)
	tests := []struct {
		name string
		in   []byte
		want session.ClientAttrs
	}{
		{"the mariadb CLI", attrs("_client_name", "libmariadb", "_client_version", "3.3.8", "_pid", "4242", "program_name", "mysql"),
			session.ClientAttrs{Program: "mysql", Driver: "libmariadb 3.3.8", PID: "4242"}},
		{"a driver without a version", attrs("_client_name", "Go-MySQL-Driver", "_os", "linux"), session.ClientAttrs{Driver: "Go-MySQL-Driver"}},
		{"none", nil, session.ClientAttrs{}},
		{"a value cut short", attrs("program_name", "worker")[:10], session.ClientAttrs{}},
		{"a length past the packet", append([]byte{0xfc, 0xff, 0xff}, attrs("program_name", "cron")[1:]...), session.ClientAttrs{Program: "cron"}},
		{"a long name, and bytes that are not UTF-8", attrs("program_name", long, "_client_name", "dr\xffiver"),
			session.ClientAttrs{Program: long[:maxAttrLen], Driver: "dr?iver"}},
	}
	for _, tt := range tests {
		if got := readConnectAttrs(tt.in); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
