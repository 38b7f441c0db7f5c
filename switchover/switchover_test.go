package switchover

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/topology"
)

func TestPickTarget(t *testing.T) {
	cl := &topology.Cluster{
		Name:    "main",
		Primary: &topology.Server{Addr: "p:1", Role: topology.RolePrimary, State: topology.StateUp},
		Replicas: []*topology.Server{
			{Addr: "a:1", State: topology.StateUp, Lag: 2 * time.Second},
			{Addr: "b:1", State: topology.StateUp, Lag: 0},
			{Addr: "c:1", State: topology.StateDown, Reason: "connection refused"},
			{Addr: "d:1", State: topology.StateLagging, Lag: -1},
		},
	}
	cases := []struct {
		to, want string
		kind     error
		msg      string
	}{
		{to: "", want: "b:1"}, // up, least lag
		{to: "a:1", want: "a:1"},
		{to: "c:1", kind: topology.ErrConflict, msg: "c:1 is down (connection refused)"},
		{to: "d:1", kind: topology.ErrConflict, msg: "only a replica that is up"},
		{to: "p:1", kind: topology.ErrConflict, msg: "already the primary"},
		{to: "x:1", kind: topology.ErrNotFound, msg: "x:1 is not a replica of cluster main"},
	}
	for _, tc := range cases {
		got, err := pickTarget(cl, tc.to)
		switch {
		case tc.kind == nil && (err != nil || got.Addr != tc.want):
			t.Errorf("pickTarget(%q) = %v, %v; want %s", tc.to, got, err, tc.want)
		case tc.kind != nil && (!errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg)):
			t.Errorf("pickTarget(%q) error = %v; want %v containing %q", tc.to, err, tc.kind, tc.msg)
		}
	}
	none := &topology.Cluster{Name: "solo", Primary: cl.Primary}
	if _, err := pickTarget(none, ""); !errors.Is(err, topology.ErrConflict) {
		t.Errorf("a cluster without replicas: %v", err)
	}
}

func TestStatementText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"repl", "'repl'"},
		{"it's", "'it''s'"},
		{`a\b`, `'a\\b'`},
		{"nul\x00", `'nul\0'`},
	}
	for _, tc := range cases {
		if got := quote(tc.in); got != tc.want {
			t.Errorf("quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := redact("CHANGE MASTER TO MASTER_PASSWORD='secret'"); strings.Contains(got, "secret") {
		t.Errorf("redact kept the password: %s", got)
	}
	if got := redact("START SLAVE"); got != "START SLAVE" {
		t.Errorf("redact changed another statement: %s", got)
	}
	for _, tc := range []struct {
		a, b string
		same bool
	}{{"127.0.0.1", "localhost", true}, {"127.0.0.1", "127.0.0.1", true}, {"10.0.0.1", "127.0.0.1", false}} {
		if sameHost(tc.a, tc.b) != tc.same {
			t.Errorf("sameHost(%s, %s) != %v", tc.a, tc.b, tc.same)
		}
	}
}
