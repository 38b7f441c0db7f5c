package session

import (
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/wire"
)

func newBareSession(t *testing.T, env *Env, id uint32) *Session {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return New(env, wire.NewConn(a), Options{ID: id, User: "app", DB: "blog", ClientAddr: "127.0.0.1:5000",
		Caps: wire.ClientProtocol41 | wire.ClientDeprecateEOF, Collation: 224})
}

// A session moves to another process only when nothing of it lives on a
// server or inside this process's connections.
func TestExportOnlyWhatCanMove(t *testing.T) {
	tests := []struct {
		name    string
		change  func(s *Session)
		movable bool
	}{
		{"fresh", func(*Session) {}, true},
		{"session variables and LAST_INSERT_ID", func(s *Session) {
			s.vars.set("time_zone", "SET time_zone = '+05:00'")
			s.lastInsertID = 42
		}, true},
		{"in a transaction", func(s *Session) { s.inTx = true }, false},
		{"autocommit off, between transactions", func(s *Session) { s.autocommit = false }, true},
		{"autocommit off, a transaction open", func(s *Session) { s.autocommit = false; s.pinned = &backend.Conn{} }, false},
		{"temporary table held", func(s *Session) { s.holds["temporary table"] = true }, false},
		{"pinned", func(s *Session) { s.pinned = &backend.Conn{} }, false},
		{"keeps the last write's connection", func(s *Session) { s.sticky = &backend.Conn{} }, false},
		{"a prepared statement", func(s *Session) { s.stmts[1] = &prepared{id: 1} }, true},
		{"streamed parameter data", func(s *Session) {
			s.stmts[1] = &prepared{id: 1, long: longData{params: map[uint16][]byte{0: []byte("x")}, bytes: 1}}
		}, false},
		{"a write not yet recorded", func(s *Session) { s.wroteSinceTx = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{Registry: NewRegistry()}
			s := newBareSession(t, env, 7)
			tt.change(s)
			if _, ok := s.Export(); ok != tt.movable {
				t.Errorf("Export ok = %v, want %v", ok, tt.movable)
			}
		})
	}
}

// What Export gives, Adopt restores: the session another process serves
// is the one this process served.
func TestAdoptRestoresTheExportedSession(t *testing.T) {
	env := &Env{Registry: NewRegistry()}
	s := newBareSession(t, env, 7)
	s.vars.set("time_zone", "SET time_zone = '+05:00'")
	s.lastInsertID = 42
	s.nextStmt = 9
	s.waitTimeout = 30 * time.Second
	s.results = "latin1" // SET character_set_results apart from SET NAMES
	s.writes["main"] = writeMark{gtid: "0-1-77"}
	s.stmts[3] = &prepared{id: 3, sql: "SELECT name FROM users WHERE id = ?", params: 1, columns: 1, types: []byte{8, 0}}
	s.lastStmt = s.stmts[3]
	st, ok := s.Export()
	if !ok {
		t.Fatal("a plain session did not export")
	}
	other := &Env{Registry: NewRegistry(), Planner: planner.New(nil)}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	got := Adopt(other, wire.NewConn(a), st, nil)
	if got.ID != 7 || got.User != "app" || got.DB != "blog" || got.collation != 224 || got.caps != s.caps ||
		got.lastInsertID != 42 || got.nextStmt != 9 || !got.autocommit || got.waitTimeout != 30*time.Second {
		t.Errorf("adopted session differs: %+v", st)
	}
	if !reflect.DeepEqual(got.vars.m, s.vars.m) || !reflect.DeepEqual(got.writes, s.writes) {
		t.Errorf("variables %v / %v, writes %v / %v", got.vars.m, s.vars.m, got.writes, s.writes)
	}
	if got.results != "latin1" || got.charset != s.charset {
		t.Errorf("adopted with results %q and charset %q, want latin1 and %q", got.results, got.charset, s.charset)
	}
	if got.flavor != s.flavor {
		t.Errorf("flavor %+v, want %+v (the backend connections it may use)", got.flavor, s.flavor)
	}
	if got.mode != nil || got.modeValue != "" {
		t.Errorf("a session with the default sql_mode adopted with mode %q", got.modeValue)
	}
	p := got.stmts[3]
	if p == nil || got.lastStmt != p || p.sql != "SELECT name FROM users WHERE id = ?" || p.params != 1 || p.columns != 1 ||
		!reflect.DeepEqual(p.types, []byte{8, 0}) || p.facts == nil || len(p.facts.Tables) != 1 {
		t.Errorf("prepared statement 3 after adoption: %+v", p)
	}
	if other.Registry.Get(7) != got {
		t.Error("the adopted session is not registered under its id")
	}
	if id := other.Registry.NextID(); id <= 7 {
		t.Errorf("the next id %d would collide with the adopted session's 7", id)
	}
}

// A session that reads its statements with another sql_mode goes on
// reading them so in the process that adopts it: with
// NO_BACKSLASH_ESCAPES, 'a\' ends the string and a write follows.
func TestAdoptKeepsTheSessionsSQLMode(t *testing.T) {
	env := &Env{Registry: NewRegistry(), Planner: planner.New(nil)}
	s := newBareSession(t, env, 8)
	s.setSQLMode("STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES")
	st, ok := s.Export()
	if !ok {
		t.Fatal("the session did not export")
	}
	other := &Env{Registry: NewRegistry(), Planner: planner.New(nil)}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	got := Adopt(other, wire.NewConn(a), st, nil)
	parsed := got.parse(`SELECT 'a\'; DELETE FROM t; -- '`)
	if got.modeValue != "STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES" || parsed.Summary.ReadOnly || len(parsed.Statements) != 2 {
		t.Errorf("adopted with sql_mode %q: the hidden DELETE read as %d statements, read-only %v", got.modeValue, len(parsed.Statements), parsed.Summary.ReadOnly)
	}
	if def := s.env.Planner.Parse(`SELECT 'a\'; DELETE FROM t; -- '`); !def.Summary.ReadOnly {
		t.Errorf("the default reading should see one SELECT of a string (the test's premise)")
	}
}
