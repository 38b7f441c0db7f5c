package session

import (
	"net"
	"testing"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/wire"
)

// hiddenDelete is one SELECT of a string read with backslash escapes, and
// a SELECT, a DELETE and a comment read with NO_BACKSLASH_ESCAPES.
const hiddenDelete = `SELECT 'a\'; DELETE FROM t; -- '`

// A session that has not set sql_mode reads its statements with the
// server's global one. One that starts before the monitor has read it
// (Strata just started) takes it at its first statement after the check,
// not the default for its whole life; one that set its own keeps it.
func TestSessionsTakeTheServersGlobalSQLMode(t *testing.T) {
	env, topo := oneServerEnv(t)
	readsHiddenDelete := func(s *Session) bool {
		p := s.parse(hiddenDelete)
		return !p.Summary.ReadOnly && len(p.Statements) == 2
	}

	early, own := newBareSession(t, env, 1), newBareSession(t, env, 2)
	own.setSQLMode("STRICT_TRANS_TABLES")
	topo.SetSQLMode("127.0.0.1:13306", "STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES")
	if !readsHiddenDelete(early) {
		t.Error("a session started before the first check does not read with the global sql_mode read since")
	}
	if readsHiddenDelete(own) {
		t.Error("a session that set its own sql_mode took the global one")
	}
	if late := newBareSession(t, env, 3); !readsHiddenDelete(late) || late.modeValue != "STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES" {
		t.Errorf("a session started after the check reads with sql_mode %q", late.modeValue)
	}

	// A global change applies to sessions started after it, as on the server.
	topo.SetSQLMode("127.0.0.1:13306", "STRICT_TRANS_TABLES")
	if !readsHiddenDelete(early) {
		t.Error("a session's sql_mode changed with the global one after it started")
	}
	if readsHiddenDelete(newBareSession(t, env, 4)) {
		t.Error("a session started after the global change reads with the old one")
	}
	own.Reset("app", "blog", 0)
	if readsHiddenDelete(own) || own.modeValue != "" {
		t.Errorf("after a reset the session reads with %q, want the global STRICT_TRANS_TABLES (the default reading)", own.modeValue)
	}
}

// A client that logged in with CLIENT_IGNORE_SPACE reads COUNT (*) as a
// call, as its server does: IGNORE_SPACE added to the global sql_mode,
// set on every server connection that serves it, until a reset (the
// server adds it at login only).
func TestLoginIgnoreSpaceReadsLikeTheServer(t *testing.T) {
	env, topo := oneServerEnv(t)
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	s := New(env, wire.NewConn(a), Options{ID: 1, User: "app", DB: "blog",
		Caps: wire.ClientProtocol41 | wire.ClientIgnoreSpace, Collation: 224})
	const spaced = "SELECT COUNT (*) FROM t WHERE id = 1"
	// Before the monitor has read the servers' global sql_mode (Strata
	// just started), the login's IGNORE_SPACE alone.
	if p := s.parse(spaced); p.Summary.Fallback || s.modeValue != "IGNORE_SPACE" {
		t.Errorf("before the global sql_mode is known: %q read as fallback %v, sql_mode %q", spaced, p.Summary.Fallback, s.modeValue)
	}
	topo.SetSQLMode("127.0.0.1:13306", "STRICT_TRANS_TABLES")
	if p := s.parse(spaced); p.Summary.Fallback || s.modeValue != "STRICT_TRANS_TABLES,IGNORE_SPACE" {
		t.Errorf("after an IGNORE_SPACE login: %q read as fallback %v, sql_mode %q", spaced, p.Summary.Fallback, s.modeValue)
	}
	if s.vars.m["sql_mode"] != setIgnoreSpace {
		t.Errorf("the server connections are not told: sql_mode variable %q", s.vars.m["sql_mode"])
	}
	s.Reset("app", "blog", 0)
	if _, set := s.vars.m["sql_mode"]; set || s.modeValue != "" {
		t.Errorf("after a reset: sql_mode %q, variable set %v; want the global one, as the server", s.modeValue, set)
	}
	if got := withIgnoreSpace(""); got != "IGNORE_SPACE" {
		t.Errorf("withIgnoreSpace(\"\") = %q", got)
	}
	if got := withIgnoreSpace("ignore_space,ANSI"); got != "ignore_space,ANSI" {
		t.Errorf("withIgnoreSpace adds a mode twice: %q", got)
	}
}

// oneServerEnv is an Env over one primary at 127.0.0.1:13306, whose
// global sql_mode a test sets through the topology.
func oneServerEnv(t *testing.T) (*Env, *topology.Topology) {
	t.Helper()
	cfg, err := config.Parse([]byte(`
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
clusters:
  main:
    primary: 127.0.0.1:13306
`))
	if err != nil {
		t.Fatal(err)
	}
	topo := topology.New(topology.FromConfig(cfg))
	return &Env{Registry: NewRegistry(), Planner: planner.New(nil), Topology: topo}, topo
}
