package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/config"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in   string
		host string
		port int
		err  string
	}{
		{in: "127.0.0.1:13306", host: "127.0.0.1", port: 13306},
		{in: "localhost:3307", host: "127.0.0.1", port: 3307},
		{in: "127.0.0.2:1", host: "127.0.0.2", port: 1},
		{in: "10.0.0.1:3306", err: "loopback"},
		{in: "[::1]:3306", err: "loopback"},
		{in: "db.example.com:3306", err: "loopback"},
		{in: "127.0.0.1", err: "not host:port"},
		{in: "127.0.0.1:0", err: "between 1 and 65535"},
		{in: "127.0.0.1:70000", err: "between 1 and 65535"},
		{in: "127.0.0.1:mysql", err: "between 1 and 65535"},
	}
	for _, tt := range tests {
		host, port, err := parseAddr(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseAddr(%q) error = %v, want it to contain %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || host != tt.host || port != tt.port {
			t.Errorf("parseAddr(%q) = %q, %d, %v; want %q, %d", tt.in, host, port, err, tt.host, tt.port)
		}
	}
}

const twoClusters = `
users: [{name: app, password: app}]
backend: {user: strata, password: s}
default_cluster: a
clusters:
  b:
    primary: 127.0.0.1:14306
    replicas: [{address: 127.0.0.2:14306}]
  a:
    primary: 127.0.0.1:13306
    replicas: [{address: 127.0.0.1:13307}, {address: 127.0.0.1:13308, pool: batch}]
`

func TestPlanServers(t *testing.T) {
	cfg, err := config.Parse([]byte(twoClusters))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := planServers(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ids := map[int]bool{}
	for _, s := range specs {
		line := s.Addr + " " + string(s.Role) + " " + s.Cluster
		if s.Role == RoleReplica {
			line += " of " + s.Primary
		}
		got = append(got, line)
		if ids[s.ServerID] {
			t.Errorf("server_id %d used twice", s.ServerID)
		}
		ids[s.ServerID] = true
	}
	want := []string{
		"127.0.0.1:13306 primary a",
		"127.0.0.1:14306 primary b",
		"127.0.0.1:13307 replica a of 127.0.0.1:13306",
		"127.0.0.1:13308 replica a of 127.0.0.1:13306",
		"127.0.0.2:14306 replica b of 127.0.0.1:14306",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if specs[0].ServerID != 13306 {
		t.Errorf("server_id = %d, want the port 13306", specs[0].ServerID)
	}
}

func TestPlanServersRejectsRemoteHosts(t *testing.T) {
	cfg, err := config.Parse([]byte(strings.Replace(twoClusters, "127.0.0.1:13307", "192.168.1.7:3306", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := planServers(cfg); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("error = %v, want a loopback error", err)
	}
}

func TestRenderMyCnf(t *testing.T) {
	p := cnfParams{
		Host: "127.0.0.1", Port: 23307, ServerID: 23307, Role: RoleReplica,
		DataDir: "/s/d", TmpDir: "/s/t", Socket: "/s/sock", PIDFile: "/s/pid", ErrorLog: "/s/err",
		RunAsRoot: true, Extra: []string{"  long_query_time = 0  "},
	}
	cnf := renderMyCnf(p)
	for _, want := range []string{
		"[mariadbd]\nuser = root\n",
		"datadir = /s/d\n", "tmpdir = /s/t\n", "socket = /s/sock\n", "pid_file = /s/pid\n", "log_error = /s/err\n",
		"port = 23307\n", "bind_address = 127.0.0.1\n", "skip_name_resolve\n", "server_id = 23307\n",
		"innodb_buffer_pool_size = 32M\n", "innodb_log_file_size = 16M\n", "performance_schema = OFF\n",
		"log_bin = mysql-bin\n", "log_slave_updates = ON\n", "binlog_format = ROW\n", "gtid_strict_mode = ON\n",
		"userstat = 1\n", "max_connections = 500\n", "query_cache_type = 1\n", "query_cache_size = 16M\n",
		"max_allowed_packet = 256M\n", "local_infile = 1\n", "character_set_server = utf8mb4\n",
		"collation_server = utf8mb4_general_ci\n", "read_only = ON\n", "skip_slave_start\n",
		"long_query_time = 0\n",
	} {
		if !strings.Contains(cnf, want) {
			t.Errorf("my.cnf lacks %q:\n%s", want, cnf)
		}
	}
	// The [client] section lets `mariadb --defaults-file=my.cnf` reach the server.
	if !strings.HasPrefix(cnf[strings.Index(cnf, "[client]"):], "[client]\nuser = root\nsocket = /s/sock\n") {
		t.Errorf("bad [client] section:\n%s", cnf)
	}

	p.Role, p.RunAsRoot, p.Extra = RolePrimary, false, nil
	cnf = renderMyCnf(p)
	if strings.Contains(cnf, "read_only") || strings.Contains(cnf, "\nuser = root\n[") || strings.Contains(cnf, "[mariadbd]\nuser") {
		t.Errorf("primary without root must have neither read_only nor user:\n%s", cnf)
	}
}

func TestSocketPathStaysShort(t *testing.T) {
	short := "/tmp/sb/127.0.0.1-13306"
	if got := socketPath(short); got != short+"/mariadbd.sock" {
		t.Errorf("socketPath(%q) = %q", short, got)
	}
	long := "/tmp/" + strings.Repeat("x", 120) + "/127.0.0.1-13306"
	got := socketPath(long)
	if len(got) > maxSocketPath || !strings.HasPrefix(got, os.TempDir()) {
		t.Errorf("socketPath(long) = %q", got)
	}
	if got != socketPath(long) || got == socketPath(long+"7") {
		t.Errorf("long socket paths must be stable and distinct")
	}
}

func TestCheckStateDir(t *testing.T) {
	wd, _ := os.Getwd()
	for _, bad := range []string{"/", wd, filepath.Dir(wd)} {
		if err := checkStateDir(bad); err == nil {
			t.Errorf("checkStateDir(%q) accepted a folder down would wipe", bad)
		}
	}
	if err := checkStateDir(filepath.Join(wd, ".strata-sandbox")); err != nil {
		t.Errorf("checkStateDir rejected a normal folder: %v", err)
	}
}

func TestQuote(t *testing.T) {
	if got := quote(`it's \ ok`); got != `'it''s \\ ok'` {
		t.Errorf("quote = %s", got)
	}
}

// The blog example is what `make demo` runs: it must load and plan.
func TestBlogExampleConfig(t *testing.T) {
	cfg, err := config.Load("../examples/blog/strata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := New(cfg, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sb.Servers()); n != 4 {
		t.Fatalf("%d servers, want 4", n)
	}
	if p := sb.Primary("main"); p == nil || p.Port != 13306 {
		t.Fatalf("primary = %+v", p)
	}
	if r := sb.Replicas("main"); len(r) != 3 || r[2].Port != 13309 {
		t.Fatalf("replicas = %v", r)
	}
	if cfg.Clusters["main"].Replicas[2].Pool != "batch" {
		t.Errorf("13309 should be in pool batch")
	}
	if sb.Server("localhost:13307") != sb.Server("127.0.0.1:13307") || sb.Server("127.0.0.1:1") != nil {
		t.Errorf("Server lookup is wrong")
	}
	for _, st := range sb.Status(t.Context()) {
		if st.Running {
			t.Errorf("%s reported running in an empty state dir", st.Addr)
		}
	}
}
