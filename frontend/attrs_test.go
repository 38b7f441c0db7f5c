package frontend

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/wire"
)

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
