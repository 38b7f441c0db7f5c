package topology

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
)

const testYAML = `
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
default_cluster: main
clusters:
  main:
    primary: 127.0.0.1:13306
    replicas:
      - {address: 127.0.0.1:13307, pool: primary}
      - {address: 127.0.0.1:13308, pool: primary, weight: 2}
      - {address: 127.0.0.1:13309, pool: batch, zone: b}
    pools:
      batch: {fallback: primary}
  other:
    primary: 127.0.0.1:14306
`

func testConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newTestTopology(t *testing.T) *Topology {
	t.Helper()
	return New(FromConfig(testConfig(t, testYAML)))
}

// wantErr checks err against a kind (nil: no error) and a message part.
func wantErr(t *testing.T, err, kind error, msg string) {
	t.Helper()
	switch {
	case kind == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case kind != nil && !errors.Is(err, kind):
		t.Fatalf("error = %v, want kind %v", err, kind)
	case kind != nil && !strings.Contains(err.Error(), msg):
		t.Fatalf("error = %q, want it to contain %q", err, msg)
	}
}

func TestRuntimeChanges(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Topology) error
		kind    error
		msg     string
		publish bool
		check   func(*testing.T, *Snapshot)
	}{
		{
			name:    "move to an existing pool",
			change:  func(tp *Topology) error { return tp.MoveServer("127.0.0.1:13307", "batch") },
			publish: true,
			check: func(t *testing.T, s *Snapshot) {
				if got := s.Server("127.0.0.1:13307").Pool; got != "batch" {
					t.Errorf("pool = %s", got)
				}
				if n := len(s.Default().Members("batch")); n != 2 {
					t.Errorf("batch has %d members", n)
				}
			},
		},
		{
			name:    "move creates a pool",
			change:  func(tp *Topology) error { return tp.MoveServer("127.0.0.1:13309", "comments") },
			publish: true,
			check: func(t *testing.T, s *Snapshot) {
				if !s.Default().HasPool("comments") || s.Default().HasPool("batch") {
					t.Errorf("pools = %v", s.Default().PoolNames())
				}
			},
		},
		{name: "move to the same pool is a no-op", change: func(tp *Topology) error { return tp.MoveServer("127.0.0.1:13309", "batch") }},
		{name: "move unknown server", change: func(tp *Topology) error { return tp.MoveServer("127.0.0.1:1", "batch") }, kind: ErrNotFound, msg: "no server 127.0.0.1:1"},
		{name: "move a primary", change: func(tp *Topology) error { return tp.MoveServer("127.0.0.1:13306", "batch") }, kind: ErrConflict, msg: "cannot move a primary"},
		{name: "move to a bad pool name", change: func(tp *Topology) error { return tp.MoveServer("127.0.0.1:13307", "no spaces") }, kind: ErrInvalid, msg: "not a valid pool name"},
		{name: "move to an empty pool name", change: func(tp *Topology) error { return tp.MoveServer("127.0.0.1:13307", "") }, kind: ErrInvalid, msg: "pool name"},

		{
			name:    "weight",
			change:  func(tp *Topology) error { return tp.SetWeight("127.0.0.1:13307", 5) },
			publish: true,
			check: func(t *testing.T, s *Snapshot) {
				if w := s.Server("127.0.0.1:13307").Weight; w != 5 {
					t.Errorf("weight = %d", w)
				}
			},
		},
		{name: "same weight", change: func(tp *Topology) error { return tp.SetWeight("127.0.0.1:13308", 2) }},
		{name: "zero weight", change: func(tp *Topology) error { return tp.SetWeight("127.0.0.1:13307", 0) }, kind: ErrInvalid, msg: "drain a server"},
		{name: "huge weight", change: func(tp *Topology) error { return tp.SetWeight("127.0.0.1:13307", MaxWeight+1) }, kind: ErrInvalid, msg: "out of range"},
		{name: "weight of a primary", change: func(tp *Topology) error { return tp.SetWeight("127.0.0.1:14306", 3) }, kind: ErrConflict, msg: "primary of cluster other"},

		{
			name:    "drain",
			change:  func(tp *Topology) error { return tp.Drain("127.0.0.1:13308", true) },
			publish: true,
			check: func(t *testing.T, s *Snapshot) {
				srv := s.Server("127.0.0.1:13308")
				if !srv.Drained || srv.Routable() || srv.State != StateUp {
					t.Errorf("drained server = %+v", srv)
				}
				if n := len(s.Default().Members("primary")); n != 1 {
					t.Errorf("primary pool has %d routable members", n)
				}
			},
		},
		{name: "undrain a routable server", change: func(tp *Topology) error { return tp.Drain("127.0.0.1:13308", false) }},
		{name: "drain a primary", change: func(tp *Topology) error { return tp.Drain("127.0.0.1:13306", true) }, kind: ErrConflict, msg: "cannot drain a primary"},
		{name: "drain unknown", change: func(tp *Topology) error { return tp.Drain("127.0.0.1:1", true) }, kind: ErrNotFound},

		{
			name: "add replica with defaults",
			change: func(tp *Topology) error {
				return tp.AddReplica("other", config.Replica{Address: "127.0.0.1:14307"})
			},
			publish: true,
			check: func(t *testing.T, s *Snapshot) {
				srv := s.Server("127.0.0.1:14307")
				if srv == nil || srv.Cluster != "other" || srv.Role != RoleReplica || srv.Pool != "primary" || srv.Weight != 1 || srv.State != StateUp {
					t.Errorf("added = %+v", srv)
				}
			},
		},
		{
			name: "add replica to a pool",
			change: func(tp *Topology) error {
				return tp.AddReplica("main", config.Replica{Address: "127.0.0.1:13310", Pool: "comments", Weight: 3, Zone: "c"})
			},
			publish: true,
			check: func(t *testing.T, s *Snapshot) {
				srv := s.Server("127.0.0.1:13310")
				if srv == nil || srv.Pool != "comments" || srv.Weight != 3 || srv.Zone != "c" || len(s.Default().Replicas) != 4 {
					t.Errorf("added = %+v", srv)
				}
			},
		},
		{name: "add to unknown cluster", change: func(tp *Topology) error { return tp.AddReplica("nope", config.Replica{Address: "127.0.0.1:1"}) }, kind: ErrNotFound, msg: `no cluster "nope"`},
		{name: "add an address in use", change: func(tp *Topology) error {
			return tp.AddReplica("other", config.Replica{Address: "127.0.0.1:13306"})
		}, kind: ErrConflict, msg: "already a primary of cluster main"},
		{name: "add a bad address", change: func(tp *Topology) error { return tp.AddReplica("main", config.Replica{Address: "nowhere"}) }, kind: ErrInvalid, msg: "not host:port"},
		{name: "add without address", change: func(tp *Topology) error { return tp.AddReplica("main", config.Replica{}) }, kind: ErrInvalid, msg: "address is required"},
		{name: "add with bad weight", change: func(tp *Topology) error {
			return tp.AddReplica("main", config.Replica{Address: "127.0.0.1:1", Weight: -1})
		}, kind: ErrInvalid, msg: "weight"},

		{
			name:    "remove replica",
			change:  func(tp *Topology) error { return tp.RemoveReplica("127.0.0.1:13308") },
			publish: true,
			check: func(t *testing.T, s *Snapshot) {
				if s.Server("127.0.0.1:13308") != nil || len(s.Default().Replicas) != 2 {
					t.Errorf("replicas = %v", s.Default().Replicas)
				}
			},
		},
		{name: "remove a primary", change: func(tp *Topology) error { return tp.RemoveReplica("127.0.0.1:13306") }, kind: ErrConflict, msg: "cannot remove a primary"},
		{name: "remove unknown", change: func(tp *Topology) error { return tp.RemoveReplica("127.0.0.1:1") }, kind: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := newTestTopology(t)
			before := tp.Load()
			err := tt.change(tp)
			wantErr(t, err, tt.kind, tt.msg)
			after := tp.Load()
			if published := after != before; published != tt.publish {
				t.Errorf("published = %v, want %v", published, tt.publish)
			}
			if tt.publish && after.Version != before.Version+1 {
				t.Errorf("version %d -> %d", before.Version, after.Version)
			}
			if tt.check != nil {
				tt.check(t, after)
			}
			// The old snapshot is never modified under a reader's feet.
			if !equalSnapshots(before, FromConfig(testConfig(t, testYAML))) {
				t.Error("the previous snapshot was modified")
			}
		})
	}
}

func equalSnapshots(a, b *Snapshot) bool {
	sa, sb := a.Servers(), b.Servers()
	if len(sa) != len(sb) {
		return false
	}
	for i := range sa {
		if *sa[i] != *sb[i] {
			return false
		}
	}
	return true
}

func TestDrainSurvivesHealthChanges(t *testing.T) {
	tp := newTestTopology(t)
	const addr = "127.0.0.1:13307"
	if err := tp.Drain(addr, true); err != nil {
		t.Fatal(err)
	}
	tp.SetState(addr, StateDown, 0, "connect failed")
	tp.SetState(addr, StateUp, 0, "")
	srv := tp.Load().Server(addr)
	if !srv.Drained || srv.Routable() {
		t.Fatalf("health check undrained the server: %+v", srv)
	}
	if err := tp.Drain(addr, false); err != nil {
		t.Fatal(err)
	}
	if !tp.Load().Server(addr).Routable() {
		t.Fatal("undrained up server is not routable")
	}
}

func TestApply(t *testing.T) {
	tp := newTestTopology(t)
	tp.SetState("127.0.0.1:13307", StateDown, 0, "connect failed")
	tp.SetState("127.0.0.1:13309", StateLagging, 30*time.Second, "replication lag over max_replica_lag (10s)")
	if err := tp.Drain("127.0.0.1:13308", true); err != nil {
		t.Fatal(err)
	}
	if err := tp.MoveServer("127.0.0.1:13308", "runtime-only"); err != nil {
		t.Fatal(err)
	}
	v := tp.Load().Version

	next := strings.NewReplacer(
		"      - {address: 127.0.0.1:13309, pool: batch, zone: b}\n", "      - {address: 127.0.0.1:13309, pool: comments, weight: 4, zone: b}\n      - {address: 127.0.0.1:13310, pool: batch}\n",
		"      - {address: 127.0.0.1:13307, pool: primary}\n", "",
		"    primary: 127.0.0.1:14306\n", "    primary: 127.0.0.1:13307\n    max_replica_lag: 5s\n",
	).Replace(testYAML)
	changes, err := tp.Apply(testConfig(t, next))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"replica 127.0.0.1:13308: pool runtime-only -> primary",
		"replica 127.0.0.1:13309: pool batch -> comments",
		"replica 127.0.0.1:13309: weight 1 -> 4",
		"cluster main: replica 127.0.0.1:13310 added to pool batch",
		"cluster main: replica 127.0.0.1:13307 removed",
		"cluster other: primary 127.0.0.1:14306 -> 127.0.0.1:13307",
		"cluster other: max_replica_lag 0s -> 5s",
	}
	if strings.Join(changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}
	s := tp.Load()
	if s.Version != v+1 {
		t.Errorf("version %d -> %d", v, s.Version)
	}
	check := func(addr string, state State, drained bool, reason string) {
		t.Helper()
		srv := s.Server(addr)
		if srv == nil || srv.State != state || srv.Drained != drained || srv.Reason != reason {
			t.Errorf("%s = %+v, want state %s drained %v reason %q", addr, srv, state, drained, reason)
		}
	}
	check("127.0.0.1:13308", StateUp, true, "")                                                 // drain kept
	check("127.0.0.1:13309", StateLagging, false, "replication lag over max_replica_lag (10s)") // health kept
	check("127.0.0.1:13310", StateUp, false, "")                                                // new
	check("127.0.0.1:13307", StateDown, false, "connect failed")                                // replica became a primary: down is kept
	if p := s.Cluster("other").Primary; p.Addr != "127.0.0.1:13307" || p.Role != RolePrimary {
		t.Errorf("other primary = %+v", p)
	}

	// The same config again changes nothing and publishes nothing.
	changes, err = tp.Apply(testConfig(t, next))
	if err != nil || len(changes) != 0 || tp.Load() != s {
		t.Errorf("second apply: %v %v, published %v", changes, err, tp.Load() != s)
	}
}

func TestApplyLaggingReplicaPromoted(t *testing.T) {
	tp := newTestTopology(t)
	tp.SetState("127.0.0.1:13307", StateLagging, time.Minute, "replication stopped")
	next := strings.Replace(strings.Replace(testYAML, "      - {address: 127.0.0.1:13307, pool: primary}\n", "", 1),
		"primary: 127.0.0.1:13306", "primary: 127.0.0.1:13307", 1)
	if _, err := tp.Apply(testConfig(t, next)); err != nil {
		t.Fatal(err)
	}
	if p := tp.Load().Default().Primary; p.State != StateUp || p.Reason != "" {
		t.Errorf("promoted primary = %+v", p)
	}
}

func TestApplyRejects(t *testing.T) {
	tp := newTestTopology(t)
	if _, err := tp.Apply(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil config: %v", err)
	}
	cfg := testConfig(t, testYAML)
	cfg.DefaultCluster = "gone"
	if _, err := tp.Apply(cfg); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad default cluster: %v", err)
	}
}

func TestToConfig(t *testing.T) {
	base := testConfig(t, testYAML)
	tp := New(FromConfig(base))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tp.MoveServer("127.0.0.1:13307", "comments"))
	must(tp.SetWeight("127.0.0.1:13309", 7))
	must(tp.RemoveReplica("127.0.0.1:13308"))
	must(tp.AddReplica("other", config.Replica{Address: "127.0.0.1:14307", Zone: "z"}))
	must(tp.Drain("127.0.0.1:13309", true))

	cfg := tp.Load().ToConfig(base)
	got := cfg.Clusters["main"].Replicas
	want := []config.Replica{{Address: "127.0.0.1:13307", Pool: "comments", Weight: 1}, {Address: "127.0.0.1:13309", Pool: "batch", Weight: 7, Zone: "b"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("main replicas = %+v", got)
	}
	if r := cfg.Clusters["other"].Replicas; len(r) != 1 || r[0] != (config.Replica{Address: "127.0.0.1:14307", Pool: "primary", Weight: 1, Zone: "z"}) {
		t.Errorf("other replicas = %+v", r)
	}
	if cfg.Clusters["main"].Pools["batch"].Fallback != "primary" {
		t.Error("pool settings lost")
	}
	if len(base.Clusters["main"].Replicas) != 3 || base.Clusters["main"].Replicas[0].Pool != "primary" {
		t.Error("ToConfig modified its base")
	}
	// The result is a valid config that rebuilds the same topology.
	if _, err := config.RenderTopology([]byte(testYAML), cfg); err != nil {
		t.Fatal(err)
	}
}

func TestPromote(t *testing.T) {
	tp := newTestTopology(t)
	before := tp.Load()
	if err := tp.Promote("main", "127.0.0.1:13309"); err != nil {
		t.Fatal(err)
	}
	s := tp.Load()
	cl := s.Cluster("main")
	if cl.Primary.Addr != "127.0.0.1:13309" || cl.Primary.Role != RolePrimary || cl.Primary.Pool != "" {
		t.Fatalf("primary after promote = %+v", cl.Primary)
	}
	old := s.Server("127.0.0.1:13306")
	if old == nil || old.Role != RoleReplica || old.Pool != "batch" || old.Zone != "b" || old.Cluster != "main" {
		t.Fatalf("old primary after promote = %+v, want a replica in the promoted one's pool and zone", old)
	}
	if s.PrimaryOf("127.0.0.1:13306") != "" || s.PrimaryOf("127.0.0.1:13309") != "main" {
		t.Fatal("PrimaryOf does not follow the promotion")
	}
	if before.Cluster("main").Primary.Addr != "127.0.0.1:13306" {
		t.Fatal("Promote changed a published snapshot")
	}
	if got := s.ToConfig(testConfig(t, testYAML)).Clusters["main"].Primary; got != "127.0.0.1:13309" {
		t.Fatalf("saved config's primary = %s", got)
	}
	for _, bad := range []struct{ cluster, to string }{
		{"main", "127.0.0.1:13309"}, // already the primary
		{"main", "127.0.0.1:14306"}, // another cluster's server
		{"nope", "127.0.0.1:13307"},
	} {
		if err := tp.Promote(bad.cluster, bad.to); err == nil {
			t.Errorf("Promote(%s, %s) succeeded", bad.cluster, bad.to)
		}
	}
}

func TestPromoteAfterFailure(t *testing.T) {
	tp := newTestTopology(t)
	if err := tp.PromoteAfterFailure("main", "127.0.0.1:13307", "failed over"); err != nil {
		t.Fatal(err)
	}
	s := tp.Load()
	old := s.Server("127.0.0.1:13306")
	if old.Role != RoleReplica || old.State != StateDown || !old.Drained || old.Routable() || old.Reason != "failed over" {
		t.Fatalf("failed primary after the failover = %+v, want a drained, down replica", old)
	}
	if p := s.Cluster("main").Primary; p.Addr != "127.0.0.1:13307" || p.State != StateUp {
		t.Fatalf("new primary = %+v", p)
	}
	// The monitor seeing it up again does not put it back in routing.
	tp.SetState("127.0.0.1:13306", StateUp, 0, "")
	if tp.Load().Server("127.0.0.1:13306").Routable() {
		t.Fatal("the failed primary is routable once it answers again")
	}
}

func TestPromoteFrom(t *testing.T) {
	tp := newTestTopology(t)
	if ok, err := tp.PromoteFrom("main", "127.0.0.1:13307", "127.0.0.1:13308"); ok || err != nil {
		t.Fatalf("promoted from a server that is not the primary: %v %v", ok, err)
	}
	if ok, err := tp.PromoteFrom("main", "127.0.0.1:13306", "127.0.0.1:13308"); !ok || err != nil {
		t.Fatalf("PromoteFrom the primary: %v %v", ok, err)
	}
	// A second check following the same change finds it done.
	if ok, err := tp.PromoteFrom("main", "127.0.0.1:13306", "127.0.0.1:13308"); ok || err != nil {
		t.Fatalf("second follow: %v %v", ok, err)
	}
	if p := tp.Load().Cluster("main").Primary.Addr; p != "127.0.0.1:13308" {
		t.Fatalf("primary %s", p)
	}
}

// A server's global sql_mode, read by the monitor, is what a new session
// of the default cluster reads its statements with; a reload keeps it,
// and a value already known publishes nothing.
func TestSQLMode(t *testing.T) {
	tp := newTestTopology(t)
	if got, read := tp.Load().DefaultSQLMode(); got != "" || read {
		t.Errorf("before any check: %q (read %v), want not read", got, read)
	}
	if !tp.SetSQLMode("127.0.0.1:13307", "") || !tp.Load().Server("127.0.0.1:13307").SQLModeRead {
		t.Error("an empty sql_mode read from the server was not published as read")
	}
	if !tp.SetSQLMode("127.0.0.1:13306", "ANSI_QUOTES") || !tp.SetSQLMode("127.0.0.1:14306", "NO_BACKSLASH_ESCAPES") {
		t.Fatal("a new sql_mode was not published")
	}
	s := tp.Load()
	if tp.SetSQLMode("127.0.0.1:13306", "ANSI_QUOTES") || tp.Load() != s {
		t.Error("the same sql_mode again published a snapshot")
	}
	if tp.SetSQLMode("127.0.0.1:9", "ANSI_QUOTES") {
		t.Error("an unknown server's sql_mode was published")
	}
	if got, read := s.DefaultSQLMode(); got != "ANSI_QUOTES" || !read {
		t.Errorf("default cluster main: %q, want its primary's ANSI_QUOTES", got)
	}

	next := strings.Replace(testYAML, "default_cluster: main", "default_cluster: other", 1)
	if _, err := tp.Apply(testConfig(t, next)); err != nil {
		t.Fatal(err)
	}
	s = tp.Load()
	if got, read := s.DefaultSQLMode(); got != "NO_BACKSLASH_ESCAPES" || !read {
		t.Errorf("after a reload making other the default: %q, want its primary's NO_BACKSLASH_ESCAPES", got)
	}
	if got := s.Server("127.0.0.1:13306").SQLMode; got != "ANSI_QUOTES" {
		t.Errorf("after a reload, main's primary: %q, want ANSI_QUOTES kept", got)
	}
}
