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

func TestSameHost(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{{"127.0.0.1", "localhost", true}, {"127.0.0.1", "127.0.0.1", true}, {"10.0.0.1", "127.0.0.1", false}} {
		if sameHost(tc.a, tc.b) != tc.same {
			t.Errorf("sameHost(%s, %s) != %v", tc.a, tc.b, tc.same)
		}
	}
}

func TestMostAdvanced(t *testing.T) {
	cases := []struct {
		name     string
		received []string
		want     int
	}{
		{"one replica ahead", []string{"0-1-40", "0-1-42", "0-1-41"}, 1},
		{"every domain counts", []string{"0-1-42,1-2-5", "0-1-42,1-2-7"}, 1},
		{"nothing received loses", []string{"", "0-1-3"}, 1},
		{"equal: the first", []string{"0-1-9", "0-1-9"}, 0},
		{"diverged: the most transactions", []string{"0-1-10,1-2-1", "0-1-8,1-2-9"}, 1},
		{"server id does not order", []string{"0-7-5", "0-1-6"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := make([]candidate, len(tc.received))
			for i, r := range tc.received {
				cs[i] = candidate{addr: r, received: r}
			}
			if got := mostAdvanced(cs); got != tc.want {
				t.Errorf("mostAdvanced(%v) = %d, want %d", tc.received, got, tc.want)
			}
		})
	}
}

func TestErrantGTIDs(t *testing.T) {
	cases := []struct {
		name, mine, theirs string
		want               []string
	}{
		{"a replica that applied less", "0-1-40", "0-1-42,0-2-50", nil},
		{"a failed primary whose last writes no replica got", "0-1-45,0-2-30", "0-1-42,0-2-50", []string{"0-1-45"}},
		{"a write by hand on a replica", "0-1-42,0-3-43", "0-1-42,0-2-50", []string{"0-3-43"}},
		{"another domain the primary never saw", "0-1-42,7-3-1", "0-1-42", []string{"7-3-1"}},
		{"no binlog", "", "0-1-42", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := errantGTIDs(tc.mine, tc.theirs)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("errantGTIDs(%q, %q) = %v, want %v", tc.mine, tc.theirs, got, tc.want)
			}
		})
	}
}
