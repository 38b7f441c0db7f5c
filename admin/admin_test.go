package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/buildinfo"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/topology"
)

const testYAML = `# Strata for the admin tests.
listen: 127.0.0.1:6033
admin_listen: 127.0.0.1:6080
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
clusters:
  main:
    primary: 127.0.0.1:13306
    max_replica_lag: 30s
    replicas:
      # ordinary reads
      - {address: 127.0.0.1:13307, pool: primary}
      - {address: 127.0.0.1:13308, pool: primary, weight: 2}
      - {address: 127.0.0.1:13309, pool: batch} # batch jobs
    pools:
      batch: {fallback: primary, max_replica_lag: 5m}
monitor: {interval: 1s}
`

// fileControl is Control over a config file, like server.Strata's.
type fileControl struct {
	mu   sync.Mutex
	cfg  *config.Config
	topo *topology.Topology
}

func (c *fileControl) CurrentConfig() *config.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

func (c *fileControl) ReloadFile() ([]string, []string, error) {
	cfg, err := config.Load(c.CurrentConfig().Path)
	if err != nil {
		return nil, nil, err
	}
	changes, err := c.topo.Apply(cfg)
	if err != nil {
		return nil, nil, err
	}
	c.ConfigSaved(cfg)
	return changes, []string{"users"}, nil
}

func (c *fileControl) ConfigSaved(cfg *config.Config) {
	c.mu.Lock()
	c.cfg = cfg
	c.mu.Unlock()
}

type env struct {
	srv     *Server
	h       http.Handler
	path    string
	control *fileControl
}

func newEnv(t *testing.T) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "strata.yaml")
	if err := os.WriteFile(path, []byte(testYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tp := topology.New(topology.FromConfig(cfg))
	pools := backend.NewPools(backend.PoolConfig{})
	t.Cleanup(pools.Close)
	ctl := &fileControl{cfg: cfg, topo: tp}
	s := &Server{Topology: tp, Pools: pools, Metrics: metrics.New(), Sessions: session.NewRegistry(), Control: ctl}
	return &env{srv: s, h: s.Handler(), path: path, control: ctl}
}

// call runs one request and decodes the JSON answer into out (when not nil).
func (e *env) call(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(path, "/api/") && ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, rec.Body.String())
		}
	}
	return rec.Code
}

type errorBody = APIError

// caseT is one request of an endpoint table.
type caseT struct {
	name, method, path, body string
	status                   int
	errPart                  string // part of the error message, for failures
	check                    func(t *testing.T, e *env, body []byte)
}

func runCases(t *testing.T, cases []caseT) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body.String())
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
			if c.errPart != "" {
				var eb errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || !strings.Contains(eb.Error, c.errPart) {
					t.Fatalf("error body %s, want it to contain %q", rec.Body.String(), c.errPart)
				}
			}
			if c.check != nil {
				c.check(t, e, rec.Body.Bytes())
			}
		})
	}
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v
}

func TestPools(t *testing.T) {
	e := newEnv(t)
	tp := e.srv.Topology
	tp.SetState("127.0.0.1:13309", topology.StateLagging, 400*time.Second, "replication lag over max_replica_lag (5m0s)")
	if err := tp.Drain("127.0.0.1:13308", true); err != nil {
		t.Fatal(err)
	}
	var v PoolsView
	if code := e.call(t, "GET", "/api/pools", "", &v); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(v.Clusters) != 1 || v.DefaultCluster != "main" || v.Version != tp.Load().Version {
		t.Fatalf("pools = %+v", v)
	}
	cl := v.Clusters[0]
	if cl.Primary.Address != "127.0.0.1:13306" || cl.Primary.Role != "primary" || cl.MaxReplicaLag != "30s" || cl.DefaultPool != "primary" {
		t.Errorf("cluster = %+v", cl)
	}
	if len(cl.Pools) != 2 || cl.Pools[0].Name != "batch" || cl.Pools[1].Name != "primary" {
		t.Fatalf("pools = %+v", cl.Pools)
	}
	batch, primary := cl.Pools[0], cl.Pools[1]
	if batch.Default || batch.Fallback != "primary" || batch.MaxReplicaLag != "5m0s" || batch.Balance != "random" || batch.Routable != 0 {
		t.Errorf("batch = %+v", batch)
	}
	if !strings.Contains(batch.Note, "its reads go to the primary (fallback)") {
		t.Errorf("batch note = %q", batch.Note)
	}
	if m := batch.Members; len(m) != 1 || m[0].State != "lagging" || m[0].LagSeconds != 400 || m[0].Routable || !strings.Contains(m[0].Reason, "max_replica_lag") {
		t.Errorf("batch members = %+v", m)
	}
	if !primary.Default || primary.MaxReplicaLag != "30s" || primary.Routable != 1 || len(primary.Members) != 2 || primary.Note != "" {
		t.Errorf("primary pool = %+v", primary)
	}
	if m := primary.Members[1]; m.Address != "127.0.0.1:13308" || !m.Drained || m.Routable || m.State != "up" || m.Weight != 2 {
		t.Errorf("drained member = %+v", m)
	}
	if m := primary.Members[0]; m.LastCheck != nil || m.Connections != (ConnView{}) {
		t.Errorf("member without checks or connections = %+v", m)
	}
	// The raw JSON uses the documented names.
	req := httptest.NewRequest("GET", "/api/pools", nil)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	for _, key := range []string{`"in_use": 0`, `"lag_seconds": 400`, `"routable": false`, `"default": true`, `"members": [`} {
		if !strings.Contains(rec.Body.String(), key) {
			t.Errorf("GET /api/pools lacks %s", key)
		}
	}
}

func TestPoolsEmptyDefaultPool(t *testing.T) {
	e := newEnv(t)
	for _, a := range []string{"127.0.0.1:13307", "127.0.0.1:13308"} {
		if err := e.srv.Topology.MoveServer(a, "batch"); err != nil {
			t.Fatal(err)
		}
	}
	var v PoolsView
	e.call(t, "GET", "/api/pools", "", &v)
	p := v.Clusters[0].Pools
	if len(p) != 2 || p[1].Name != "primary" || !p[1].Default || len(p[1].Members) != 0 || !strings.Contains(p[1].Note, "has no members") {
		t.Errorf("pools = %+v", p)
	}
}

func TestMovePool(t *testing.T) {
	runCases(t, []caseT{
		{name: "move", method: "POST", path: "/api/servers/127.0.0.1:13309/pool", body: `{"pool": "comments"}`, status: 200,
			check: func(t *testing.T, e *env, body []byte) {
				v := decode[ChangeView](t, body)
				if v.Server.Pool != "comments" || v.PreviousPool != "batch" || v.Server.Address != "127.0.0.1:13309" {
					t.Errorf("answer = %+v", v)
				}
				if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "pool batch of cluster main has no members: its reads go to the primary") {
					t.Errorf("warnings = %q", v.Warnings)
				}
				if e.srv.Topology.Load().Server("127.0.0.1:13309").Pool != "comments" {
					t.Error("topology not changed")
				}
			}},
		{name: "same pool", method: "POST", path: "/api/servers/127.0.0.1:13307/pool", body: `{"pool": "primary"}`, status: 200,
			check: func(t *testing.T, e *env, body []byte) {
				if v := decode[ChangeView](t, body); v.PreviousPool != "" || len(v.Warnings) != 0 || e.srv.Topology.Load().Version != 0 {
					t.Errorf("no-op move = %+v", v)
				}
			}},
		{name: "unknown server", method: "POST", path: "/api/servers/127.0.0.1:1/pool", body: `{"pool": "batch"}`, status: 404, errPart: "no server 127.0.0.1:1"},
		{name: "primary", method: "POST", path: "/api/servers/127.0.0.1:13306/pool", body: `{"pool": "batch"}`, status: 409, errPart: "cannot move a primary"},
		{name: "bad pool name", method: "POST", path: "/api/servers/127.0.0.1:13307/pool", body: `{"pool": "a b"}`, status: 400, errPart: "not a valid pool name"},
		{name: "missing pool", method: "POST", path: "/api/servers/127.0.0.1:13307/pool", body: `{}`, status: 400, errPart: `"pool" is required`},
		{name: "empty body", method: "POST", path: "/api/servers/127.0.0.1:13307/pool", status: 400, errPart: "the request body is empty"},
		{name: "not JSON", method: "POST", path: "/api/servers/127.0.0.1:13307/pool", body: `pool=batch`, status: 400, errPart: "bad request body"},
		{name: "wrong type", method: "POST", path: "/api/servers/127.0.0.1:13307/pool", body: `{"pool": 3}`, status: 400, errPart: "bad request body"},
		{name: "unknown field", method: "POST", path: "/api/servers/127.0.0.1:13307/pool", body: `{"pol": "batch"}`, status: 400, errPart: `unknown field "pol"`},
		{name: "two values", method: "POST", path: "/api/servers/127.0.0.1:13307/pool", body: `{"pool": "a"}{"pool": "b"}`, status: 400, errPart: "more than one JSON value"},
	})
}

func TestDrain(t *testing.T) {
	runCases(t, []caseT{
		{name: "default is drain", method: "POST", path: "/api/servers/127.0.0.1:13309/drain", status: 200,
			check: func(t *testing.T, e *env, body []byte) {
				v := decode[ChangeView](t, body)
				if !v.Server.Drained || v.Server.Routable || len(v.Warnings) != 1 {
					t.Errorf("answer = %+v", v)
				}
				if !e.srv.Topology.Load().Server("127.0.0.1:13309").Drained {
					t.Error("not drained")
				}
			}},
		{name: "drain true", method: "POST", path: "/api/servers/127.0.0.1:13307/drain", body: `{"drain": true}`, status: 200,
			check: func(t *testing.T, e *env, body []byte) {
				if v := decode[ChangeView](t, body); !v.Server.Drained || len(v.Warnings) != 0 {
					t.Errorf("answer = %+v", v)
				}
				// and back
				var v ChangeView
				if code := e.call(t, "POST", "/api/servers/127.0.0.1:13307/drain", `{"drain": false}`, &v); code != 200 || v.Server.Drained || !v.Server.Routable {
					t.Errorf("undrain: %d %+v", code, v)
				}
			}},
		{name: "primary", method: "POST", path: "/api/servers/127.0.0.1:13306/drain", status: 409, errPart: "cannot drain a primary"},
		{name: "unknown", method: "POST", path: "/api/servers/127.0.0.1:1/drain", status: 404, errPart: "no server"},
		{name: "bad body", method: "POST", path: "/api/servers/127.0.0.1:13307/drain", body: `{"drain": "yes"}`, status: 400, errPart: "bad request body"},
	})
}

func TestWeight(t *testing.T) {
	runCases(t, []caseT{
		{name: "set", method: "POST", path: "/api/servers/127.0.0.1:13307/weight", body: `{"weight": 5}`, status: 200,
			check: func(t *testing.T, e *env, body []byte) {
				if v := decode[ChangeView](t, body); v.Server.Weight != 5 || e.srv.Topology.Load().Server("127.0.0.1:13307").Weight != 5 {
					t.Errorf("answer = %+v", v)
				}
			}},
		{name: "zero", method: "POST", path: "/api/servers/127.0.0.1:13307/weight", body: `{"weight": 0}`, status: 400, errPart: "drain a server to stop its reads"},
		{name: "missing", method: "POST", path: "/api/servers/127.0.0.1:13307/weight", body: `{}`, status: 400, errPart: `"weight" is required`},
		{name: "primary", method: "POST", path: "/api/servers/127.0.0.1:13306/weight", body: `{"weight": 2}`, status: 409},
		{name: "unknown", method: "POST", path: "/api/servers/127.0.0.1:1/weight", body: `{"weight": 2}`, status: 404},
	})
}

func TestAddReplica(t *testing.T) {
	runCases(t, []caseT{
		{name: "add", method: "POST", path: "/api/clusters/main/replicas", body: `{"address": "127.0.0.1:13310", "pool": "comments", "weight": 2, "zone": "b"}`, status: 201,
			check: func(t *testing.T, e *env, body []byte) {
				v := decode[ChangeView](t, body)
				if v.Server.Address != "127.0.0.1:13310" || v.Server.Pool != "comments" || v.Server.Weight != 2 || v.Server.Zone != "b" || v.Server.Role != "replica" {
					t.Errorf("answer = %+v", v)
				}
				if e.srv.Topology.Load().Server("127.0.0.1:13310") == nil {
					t.Error("not added")
				}
			}},
		{name: "defaults", method: "POST", path: "/api/clusters/main/replicas", body: `{"address": "127.0.0.1:13310"}`, status: 201,
			check: func(t *testing.T, e *env, body []byte) {
				if v := decode[ChangeView](t, body); v.Server.Pool != "primary" || v.Server.Weight != 1 {
					t.Errorf("answer = %+v", v)
				}
			}},
		{name: "unknown cluster", method: "POST", path: "/api/clusters/nope/replicas", body: `{"address": "127.0.0.1:13310"}`, status: 404, errPart: `no cluster "nope"`},
		{name: "address in use", method: "POST", path: "/api/clusters/main/replicas", body: `{"address": "127.0.0.1:13307"}`, status: 409, errPart: "already a replica of cluster main"},
		{name: "bad address", method: "POST", path: "/api/clusters/main/replicas", body: `{"address": "db5"}`, status: 400, errPart: "not host:port"},
		{name: "no address", method: "POST", path: "/api/clusters/main/replicas", body: `{"pool": "batch"}`, status: 400, errPart: "address is required"},
		{name: "unknown field", method: "POST", path: "/api/clusters/main/replicas", body: `{"address": "127.0.0.1:13310", "role": "primary"}`, status: 400, errPart: `unknown field "role"`},
	})
}

func TestRemoveReplica(t *testing.T) {
	runCases(t, []caseT{
		{name: "remove", method: "DELETE", path: "/api/servers/127.0.0.1:13309", status: 200,
			check: func(t *testing.T, e *env, body []byte) {
				v := decode[ChangeView](t, body)
				if v.Server.Address != "127.0.0.1:13309" || v.Server.Pool != "batch" || len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "pool batch of cluster main has no members") {
					t.Errorf("answer = %+v", v)
				}
				if e.srv.Topology.Load().Server("127.0.0.1:13309") != nil {
					t.Error("not removed")
				}
			}},
		{name: "primary", method: "DELETE", path: "/api/servers/127.0.0.1:13306", status: 409, errPart: "cannot remove a primary"},
		{name: "unknown", method: "DELETE", path: "/api/servers/127.0.0.1:1", status: 404},
		{name: "escaped IPv6", method: "DELETE", path: "/api/servers/%5B::1%5D:3306", status: 404, errPart: "no server [::1]:3306"},
	})
}

func TestRoutingErrors(t *testing.T) {
	runCases(t, []caseT{
		{name: "unknown endpoint", method: "GET", path: "/api/nope", status: 404, errPart: "no API endpoint GET /api/nope"},
		{name: "GET on a POST endpoint", method: "GET", path: "/api/reload", status: 405, errPart: "use POST",
			check: func(t *testing.T, e *env, _ []byte) {}},
		{name: "PUT on a server", method: "PUT", path: "/api/servers/127.0.0.1:13307/pool", body: `{"pool": "x"}`, status: 405, errPart: "PUT is not supported"},
		{name: "POST on pools", method: "POST", path: "/api/pools", status: 405, errPart: "use GET"},
	})
	e := newEnv(t)
	req := httptest.NewRequest("GET", "/api/servers/127.0.0.1:13307/pool", nil)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 405 || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET pool: %d Allow=%q", rec.Code, rec.Header().Get("Allow"))
	}
	req = httptest.NewRequest("GET", "/", nil)
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "POST   /api/config/save") {
		t.Errorf("index: %d %s", rec.Code, rec.Body.String())
	}
}

func TestReload(t *testing.T) {
	e := newEnv(t)
	tp := e.srv.Topology
	tp.SetState("127.0.0.1:13307", topology.StateDown, 0, "unreachable: refused")
	edited := strings.Replace(testYAML, "{address: 127.0.0.1:13308, pool: primary, weight: 2}", "{address: 127.0.0.1:13308, pool: batch, weight: 2}", 1)
	if err := os.WriteFile(e.path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	var v ReloadView
	if code := e.call(t, "POST", "/api/reload", "", &v); code != 200 {
		t.Fatalf("status %d", code)
	}
	if v.Path != e.path || strings.Join(v.Changes, ";") != "replica 127.0.0.1:13308: pool primary -> batch" || strings.Join(v.RestartNeeded, ";") != "users" || v.Version != tp.Load().Version {
		t.Errorf("reload = %+v", v)
	}
	if srv := tp.Load().Server("127.0.0.1:13307"); srv.State != topology.StateDown {
		t.Errorf("health lost on reload: %+v", srv)
	}

	// Nothing to change: an empty list, not null.
	raw := httptest.NewRecorder()
	e.h.ServeHTTP(raw, httptest.NewRequest("POST", "/api/reload", nil))
	if !strings.Contains(raw.Body.String(), `"changes": []`) {
		t.Errorf("no-op reload: %s", raw.Body.String())
	}

	// A broken file is reported and changes nothing.
	if err := os.WriteFile(e.path, []byte(edited+"bogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	version := tp.Load().Version
	var eb errorBody
	if code := e.call(t, "POST", "/api/reload", "", &eb); code != 422 || !strings.Contains(eb.Error, "keeps running with the previous one") || !strings.Contains(eb.Error, "field bogus not found") {
		t.Errorf("broken file: %d %s", code, eb.Error)
	}
	if tp.Load().Version != version {
		t.Error("a failed reload changed the topology")
	}
	os.Remove(e.path)
	if code := e.call(t, "POST", "/api/reload", "", &eb); code != 500 || !strings.Contains(eb.Error, "no such file") {
		t.Errorf("missing file: %d %s", code, eb.Error)
	}

	e.srv.Control = nil
	if code := e.call(t, "POST", "/api/reload", "", &eb); code != 501 {
		t.Errorf("without Control: %d", code)
	}
}

func TestReloadWithoutFile(t *testing.T) {
	e := newEnv(t)
	e.control.cfg = e.control.cfg.Clone()
	e.control.cfg.Path = ""
	var eb errorBody
	if code := e.call(t, "POST", "/api/reload", "", &eb); code != 409 || !strings.Contains(eb.Error, "without a config file") {
		t.Errorf("reload: %d %s", code, eb.Error)
	}
	if code := e.call(t, "POST", "/api/config/save", "", &eb); code != 409 || !strings.Contains(eb.Error, "without a config file") {
		t.Errorf("save: %d %s", code, eb.Error)
	}
}

func TestSaveConfig(t *testing.T) {
	e := newEnv(t)
	mustCall := func(method, path, body string, want int) {
		t.Helper()
		var eb errorBody
		if code := e.call(t, method, path, body, &eb); code != want {
			t.Fatalf("%s %s: %d %s", method, path, code, eb.Error)
		}
	}
	mustCall("POST", "/api/servers/127.0.0.1:13307/pool", `{"pool": "comments"}`, 200)
	mustCall("DELETE", "/api/servers/127.0.0.1:13309", "", 200)
	mustCall("POST", "/api/clusters/main/replicas", `{"address": "127.0.0.1:13310", "pool": "batch"}`, 201)
	mustCall("POST", "/api/servers/127.0.0.1:13308/drain", "", 200)

	var v SaveView
	if code := e.call(t, "POST", "/api/config/save", "", &v); code != 200 {
		t.Fatalf("save: %d", code)
	}
	if v.Path != e.path || v.Backup != e.path+".bak" || len(v.NotSaved) != 1 || !strings.Contains(v.NotSaved[0], "127.0.0.1:13308 is drained") {
		t.Errorf("save = %+v", v)
	}
	data, _ := os.ReadFile(e.path)
	text := string(data)
	for _, want := range []string{"# Strata for the admin tests.", "# ordinary reads", "{address: 127.0.0.1:13307, pool: comments}", "{address: 127.0.0.1:13310, pool: batch}", "batch: {fallback: primary, max_replica_lag: 5m}", "monitor: {interval: 1s}"} {
		if !strings.Contains(text, want) {
			t.Errorf("saved file lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "13309") {
		t.Errorf("removed replica still in the file:\n%s", text)
	}
	if old, _ := os.ReadFile(v.Backup); string(old) != testYAML {
		t.Error("backup does not hold the previous file")
	}
	if got := e.control.CurrentConfig().Clusters["main"].Replicas[0].Pool; got != "comments" {
		t.Errorf("running config not updated after save: pool %s", got)
	}
	// Saved and running agree: a reload changes nothing, and saving again is fine.
	var rv ReloadView
	if e.call(t, "POST", "/api/reload", "", &rv); len(rv.Changes) != 0 {
		t.Errorf("reload after save: %v", rv.Changes)
	}
	mustCall("POST", "/api/config/save", "", 200)

	// A file edited behind Strata's back is not overwritten without force.
	if err := os.WriteFile(e.path, []byte(strings.Replace(text, "interval: 1s", "interval: 2s", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var eb errorBody
	if code := e.call(t, "POST", "/api/config/save", "", &eb); code != 409 || !strings.Contains(eb.Error, "changed since Strata loaded it") {
		t.Errorf("save over an edited file: %d %s", code, eb.Error)
	}
	mustCall("POST", "/api/config/save?force=true", "", 200)
	data, _ = os.ReadFile(e.path)
	if !strings.Contains(string(data), "interval: 2s") {
		t.Error("forced save lost the edit outside clusters")
	}
}

func TestWriteChangeErrorDefault(t *testing.T) {
	rec := httptest.NewRecorder()
	writeChangeError(rec, errors.New("boom"))
	if rec.Code != 500 {
		t.Errorf("status %d", rec.Code)
	}
}

func TestTopology(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.Topology.Drain("127.0.0.1:13308", true); err != nil {
		t.Fatal(err)
	}
	var v TopologyView
	if code := e.call(t, "GET", "/api/topology", "", &v); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(v.Clusters) != 1 || v.DefaultCluster != "main" {
		t.Fatalf("topology = %+v", v)
	}
	if v.Strata != buildinfo.String() {
		t.Errorf("topology names build %q, want %q (which Strata of a fleet answers)", v.Strata, buildinfo.String())
	}
	cl := v.Clusters[0]
	if cl.Primary.Addr != "127.0.0.1:13306" || !cl.Primary.Routable || len(cl.Replicas) != 3 || cl.DefaultPool != "primary" {
		t.Errorf("cluster = %+v", cl)
	}
	if r := cl.Replicas[1]; r.Addr != "127.0.0.1:13308" || !r.Drained || r.Routable || r.Weight != 2 {
		t.Errorf("drained replica = %+v", r)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/topology", nil))
	if !strings.Contains(rec.Body.String(), `"in_use": 0`) || !strings.Contains(rec.Body.String(), `"address": "127.0.0.1:13306"`) {
		t.Errorf("JSON names: %s", rec.Body.String())
	}
}

func TestKillSessionRefusesBadIDs(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		path, body string
		status     int
		errPart    string
	}{
		{"/api/sessions/abc/kill", "", http.StatusBadRequest, "is not a session id"},
		{"/api/sessions/4242/kill", `{"query": true}`, http.StatusNotFound, "no such session: 4242"},
		{"/api/sessions/1/kill", `{"qurey": true}`, http.StatusBadRequest, "unknown field"},
	}
	for _, c := range cases {
		var body errorBody
		if code := e.call(t, "POST", c.path, c.body, &body); code != c.status || !strings.Contains(body.Error, c.errPart) {
			t.Errorf("POST %s %s: %d %q, want %d and %q", c.path, c.body, code, body.Error, c.status, c.errPart)
		}
	}
}

// /metrics says which build runs, so a dashboard over a fleet shows an
// instance left on an old build after an upgrade.
func TestMetricsNameTheBuild(t *testing.T) {
	e := newEnv(t)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	want := fmt.Sprintf(`strata_build_info{go_version=%q,revision=%q} 1`, buildinfo.GoVersion(), buildinfo.Revision())
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
		t.Errorf("GET /metrics: %d, no line %s", rec.Code, want)
	}
}
