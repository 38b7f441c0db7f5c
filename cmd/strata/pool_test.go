package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/buildinfo"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/frontend"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/querystats"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/switchover"
	"github.com/strata-proxy/strata/topology"
)

const cliYAML = `listen: 127.0.0.1:6033
admin_listen: ADMIN
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
clusters:
  main:
    primary: 127.0.0.1:13306
    replicas:
      - {address: 127.0.0.1:13307}  # reads
      - {address: 127.0.0.1:13308, pool: batch}
    pools:
      batch: {fallback: primary}
`

// fileControl reloads and saves like server.Strata does.
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
	if err == nil {
		c.ConfigSaved(cfg)
	}
	return changes, nil, err
}

func (c *fileControl) ConfigSaved(cfg *config.Config) {
	c.mu.Lock()
	c.cfg = cfg
	c.mu.Unlock()
}

// cliEnv is an admin API on loopback and a config file pointing at it.
// cliPrepared is what GET /api/transactions lists in the CLI tests.
var cliPrepared = []admin.PreparedBranch{{Cluster: "s1", Gtrid: "strata-9f0c-17", Coordinator: "s0"}}

// cliUsers is what GET /api/users answers in the CLI tests (the front end,
// which counts connections, is tested in ../../test).
var cliUsers = []frontend.UserInfo{
	{Name: "app", AuthPlugin: "mysql_native_password", ServerAccount: "strata", Connections: 3},
	{Name: "reports", AuthPlugin: "caching_sha2_password", ServerAccount: "reporter", MaxConnections: 5, Connections: 5},
}

type cliEnv struct {
	path    string
	topo    *topology.Topology
	stats   *querystats.Store
	planner *planner.Planner
}

func newCLIEnv(t *testing.T) *cliEnv { return newCLIEnvWith(t, "") }

// newCLIEnvWith is newCLIEnv with extra lines in the config file.
func newCLIEnvWith(t *testing.T, extra string) *cliEnv {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	path := filepath.Join(t.TempDir(), "strata.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(cliYAML, "ADMIN", ts.Listener.Addr().String(), 1)+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tp := topology.New(topology.FromConfig(cfg))
	pools := backend.NewPools(backend.PoolConfig{})
	t.Cleanup(pools.Close)
	stats := querystats.New(100)
	pl := planner.New(cfg.Routing)
	srv := &admin.Server{Topology: tp, Pools: pools, Metrics: metrics.New(), Sessions: session.NewRegistry(), Control: &fileControl{cfg: cfg, topo: tp}, Stats: stats, Planner: pl,
		AuthUser: cfg.AdminAuth.User, AuthPassword: cfg.AdminAuth.Password,
		Switchover: &switchover.Switcher{Topology: tp, Pools: pools, Config: func() *config.Config { return cfg }, Log: slog.New(slog.DiscardHandler)},
		Users:      func() any { return cliUsers },
		Transactions: func(context.Context) (any, error) {
			return admin.TransactionsView{Mode: "twopc", Prepared: cliPrepared}, nil
		},
		ResolveTransactions: func(context.Context) (any, error) { return admin.ResolveView{Settled: len(cliPrepared)}, nil },
		Deadlocks:           func(context.Context) (any, error) { return cliDeadlocks, nil },
		Settings:            func(context.Context) (any, error) { return cliSettings, nil },
		Cache:               newCLICache(t)}
	srv.Rebalance, srv.RebalanceStatus = fakeMove()
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return &cliEnv{path: path, topo: tp, stats: stats, planner: pl}
}

// run runs a subcommand and returns what it printed.
func run(t *testing.T, fn func([]string) error, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cliOut, cliErr = &out, &errOut
	defer func() { cliOut, cliErr = os.Stdout, os.Stderr }()
	err := fn(args)
	return out.String() + errOut.String(), err
}

func mustRun(t *testing.T, fn func([]string) error, args ...string) string {
	t.Helper()
	out, err := run(t, fn, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("output lacks %q:\n%s", l, out)
		}
	}
}

func TestPoolList(t *testing.T) {
	e := newCLIEnv(t)
	e.topo.SetState("127.0.0.1:13308", topology.StateDown, 0, "unreachable: refused")
	out := mustRun(t, runPool, "list", "-c", e.path)
	t.Logf("\n%s", out)
	wantLines(t, out,
		"cluster main (default): primary 127.0.0.1:13306 up, default pool primary\n",
		"POOL      BALANCE  FALLBACK  MAX LAG  ROUTABLE  MEMBER           STATE  WEIGHT  ZONE  LAG  CONNS  REASON",
		"batch     random   primary   -        0/1       127.0.0.1:13308  down   1       -     -    0/0    unreachable: refused",
		"primary*  random   -         -        1/1       127.0.0.1:13307  up     1       -     0s   0/0\n",
		"note: pool batch of cluster main has no routable member: its reads go to the primary (fallback)",
	)
	out = mustRun(t, runPool, "list", "-json", "-c", e.path)
	var v admin.PoolsView
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.Clusters) != 1 {
		t.Errorf("-json: %v\n%s", err, out)
	}
}

func TestPoolMove(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runPool, "move", "127.0.0.1:13307", "batch", "-c", e.path)
	wantLines(t, out,
		"127.0.0.1:13307 moved from pool primary to batch (up)",
		"warning: pool primary of cluster main has no members: its reads go to the primary",
	)
	if e.topo.Load().Server("127.0.0.1:13307").Pool != "batch" {
		t.Error("not moved")
	}
	// Flags before the arguments work too.
	out = mustRun(t, runPool, "move", "-c", e.path, "127.0.0.1:13307", "batch")
	wantLines(t, out, "127.0.0.1:13307 is already in pool batch")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"move", "127.0.0.1:13306", "batch"}, "cannot move a primary"},
		{[]string{"move", "127.0.0.1:1", "batch"}, "no server 127.0.0.1:1 in the topology"},
		{[]string{"move", "127.0.0.1:13307"}, "missing POOL"},
		{[]string{"move", "a", "b", "c"}, "unexpected arguments: c"},
		{[]string{"nope"}, `unknown action "nope"`},
	} {
		_, err := run(t, runPool, append(tt.args, "-c", e.path)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
	if _, err := run(t, runPool); err == nil {
		t.Error("no action: no error")
	}
	if _, err := run(t, runPool, "move", "-h"); err != nil {
		t.Errorf("-h: %v", err)
	}
}

func TestServerCommands(t *testing.T) {
	e := newCLIEnv(t)
	srv := func(addr string) *topology.Server { return e.topo.Load().Server(addr) }

	out := mustRun(t, runServer, "drain", "127.0.0.1:13308", "-c", e.path)
	wantLines(t, out, "127.0.0.1:13308 drained: no new statements go to it (pool batch, state up)", "warning: pool batch")
	if !srv("127.0.0.1:13308").Drained {
		t.Error("not drained")
	}
	out = mustRun(t, runServer, "undrain", "127.0.0.1:13308", "-c", e.path)
	wantLines(t, out, "127.0.0.1:13308 back in routing (pool batch)")
	e.topo.SetState("127.0.0.1:13308", topology.StateDown, 0, "unreachable: refused")
	mustRun(t, runServer, "drain", "127.0.0.1:13308", "-c", e.path)
	out = mustRun(t, runServer, "undrain", "127.0.0.1:13308", "-c", e.path)
	wantLines(t, out, "127.0.0.1:13308 undrained (pool batch), but not routable while down: unreachable: refused")

	out = mustRun(t, runServer, "weight", "127.0.0.1:13307", "4", "-c", e.path)
	wantLines(t, out, "127.0.0.1:13307 weight 4 (pool primary)")
	if _, err := run(t, runServer, "weight", "127.0.0.1:13307", "x", "-c", e.path); err == nil || !strings.Contains(err.Error(), `weight "x" is not a number`) {
		t.Errorf("bad weight: %v", err)
	}

	out = mustRun(t, runServer, "add", "main", "127.0.0.1:13309", "-pool", "comments", "-zone", "b", "-weight", "3", "-c", e.path)
	wantLines(t, out, "127.0.0.1:13309 added to cluster main, pool comments, weight 3")
	if s := srv("127.0.0.1:13309"); s == nil || s.Zone != "b" || s.Pool != "comments" || s.Weight != 3 {
		t.Errorf("added = %+v", s)
	}
	if _, err := run(t, runServer, "add", "nope", "127.0.0.1:13310", "-c", e.path); err == nil || !strings.Contains(err.Error(), `no cluster "nope"`) {
		t.Errorf("add to unknown cluster: %v", err)
	}

	out = mustRun(t, runServer, "remove", "127.0.0.1:13309", "-c", e.path)
	wantLines(t, out, "127.0.0.1:13309 removed from cluster main (was in pool comments)")
	if srv("127.0.0.1:13309") != nil {
		t.Error("not removed")
	}
	if _, err := run(t, runServer, "remove", "127.0.0.1:13306", "-c", e.path); err == nil || !strings.Contains(err.Error(), "cannot remove a primary") {
		t.Errorf("remove primary: %v", err)
	}
	if _, err := run(t, runServer, "explode", "-c", e.path); err == nil {
		t.Error("unknown action accepted")
	}
}

func TestTopologyCommand(t *testing.T) {
	e := newCLIEnv(t)
	if err := e.topo.Drain("127.0.0.1:13307", true); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, runTopology, "-c", e.path)
	t.Logf("\n%s", out)
	wantLines(t, out,
		"strata "+buildinfo.String()+": topology version 1, default cluster main",
		"cluster main: default pool primary, consistency eventual",
		"ROLE     ADDRESS          POOL     STATE       WEIGHT  ZONE  LAG  CONNS  REASON\n",
		"primary  127.0.0.1:13306  -        up          -       -     -    0/0\n",
		"replica  127.0.0.1:13307  primary  up,drained  1       -     0s   0/0\n",
	)
}

func TestReloadAndSaveCommands(t *testing.T) {
	e := newCLIEnv(t)
	data, _ := os.ReadFile(e.path)
	if err := os.WriteFile(e.path, []byte(strings.Replace(string(data), "{address: 127.0.0.1:13307}", "{address: 127.0.0.1:13307, pool: batch}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, runReload, "-c", e.path)
	wantLines(t, out, "reloaded "+e.path+": 1 change (topology version 1)\n  replica 127.0.0.1:13307: pool primary -> batch")
	out = mustRun(t, runReload, "-c", e.path)
	wantLines(t, out, "no change to apply")

	// A broken file: the API's message, nothing changed.
	if err := os.WriteFile(e.path, append(data, "bogus: 1\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, runReload, "-c", e.path)
	if err == nil || !strings.Contains(err.Error(), "keeps running with the previous one") || !strings.Contains(err.Error(), "field bogus not found") {
		t.Errorf("broken file: %v", err)
	}
	_, err = run(t, runConfig, "save", "-c", e.path)
	if err == nil || !strings.Contains(err.Error(), "strata config save -force") {
		t.Errorf("save over a broken file: %v", err)
	}
	if err := os.WriteFile(e.path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Reload the original, change at run time, save.
	mustRun(t, runReload, "-c", e.path)
	mustRun(t, runPool, "move", "127.0.0.1:13308", "comments", "-c", e.path)
	mustRun(t, runServer, "drain", "127.0.0.1:13307", "-c", e.path)
	out = mustRun(t, runConfig, "save", "-c", e.path)
	wantLines(t, out, "running topology saved to "+e.path+" (previous file: "+e.path+".bak)", "note: 127.0.0.1:13307 is drained")
	saved, _ := os.ReadFile(e.path)
	wantLines(t, string(saved), "{address: 127.0.0.1:13308, pool: comments}", "# reads")

	if _, err := run(t, runConfig, "load", "-c", e.path); err == nil {
		t.Error("unknown config action accepted")
	}
}

func TestUnreachableStrata(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	path := filepath.Join(t.TempDir(), "strata.yaml")
	os.WriteFile(path, []byte("admin_listen: "+addr+"\n"), 0o644)
	_, err = run(t, runTopology, "-c", path)
	if err == nil || !strings.Contains(err.Error(), "cannot reach the admin API at http://"+addr+" (admin_listen of "+path+")") || !strings.Contains(err.Error(), "is `strata serve` running?") {
		t.Errorf("error = %v", err)
	}
	_, err = run(t, runTopology, "-c", filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "reading config (to find admin_listen") {
		t.Errorf("missing file: %v", err)
	}
	_, err = run(t, runTopology, "-admin", "nowhere")
	if err == nil || !strings.Contains(err.Error(), `admin address "nowhere" (-admin) is not host:port`) {
		t.Errorf("bad -admin: %v", err)
	}
}

func TestAdminListen(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ file, want string }{
		{"admin_listen: 10.0.0.1:7000\nbogus: [unclosed\n", ""},               // not YAML: error
		{"admin_listen: 127.0.0.1:7000\nbogus: 1\n", "http://127.0.0.1:7000"}, // invalid config, readable address
		{"listen: 127.0.0.1:6033\n", "http://127.0.0.1:6080"},
		{"admin_listen: 0.0.0.0:7001\n", "http://127.0.0.1:7001"},
		{"admin_listen: ':7002'\n", "http://127.0.0.1:7002"},
		{"admin_listen: '[::]:7003'\n", "http://127.0.0.1:7003"},
	} {
		path := filepath.Join(dir, "c.yaml")
		os.WriteFile(path, []byte(tt.file), 0o644)
		c, err := newAdminClient(&adminFlags{config: path})
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: no error", tt.file)
		case tt.want != "" && (err != nil || c.base != tt.want):
			t.Errorf("%q: %v %v, want %s", tt.file, c, err, tt.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := fs.String("c", "", "")
	x := fs.Bool("x", false, "")
	pos, err := parseArgs(fs, []string{"-x", "a", "-c", "f", "b"}, "A", "B")
	if err != nil || strings.Join(pos, ",") != "a,b" || *c != "f" || !*x {
		t.Errorf("parseArgs = %v %v c=%q x=%v", pos, err, *c, *x)
	}
}
