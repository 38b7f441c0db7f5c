package main

import (
	"strings"
	"testing"
)

// strata password-hash prints what MariaDB's PASSWORD() does for the
// password on standard input, ignoring the line's end, and refuses
// arguments (a password there would show in ps) and an empty input.
func TestPasswordHashCommand(t *testing.T) {
	saved := cliIn
	defer func() { cliIn = saved }()
	tests := []struct {
		name, stdin string
		args        []string
		want        string // output, or the error's text
		fails       bool
	}{
		{"line with newline", "secret\n", nil, "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7\n", false}, // SELECT PASSWORD('secret')
		{"no newline", "secret", nil, "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7\n", false},
		{"CRLF", "secret\r\nnext line\n", nil, "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7\n", false},
		{"empty", "\n", nil, "standard input holds no password", true},
		{"argument", "", []string{"secret"}, "takes no arguments", true},
	}
	for _, tt := range tests {
		cliIn = strings.NewReader(tt.stdin)
		out, err := run(t, runPasswordHash, tt.args...)
		switch {
		case tt.fails && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.want)
		case !tt.fails && (err != nil || out != tt.want):
			t.Errorf("%s: %q, %v; want %q", tt.name, out, err, tt.want)
		}
	}
}
