package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/config"
)

// Role says what a server is in its cluster.
type Role string

// The two roles a sandbox server can have.
const (
	RolePrimary Role = "primary"
	RoleReplica Role = "replica"
)

// Accounts the sandbox creates on every server.
const (
	// ReplUser and ReplPassword are the account replicas use to reach their primary.
	ReplUser     = "repl"
	ReplPassword = "repl"
)

// maxSocketPath keeps unix socket paths under the kernel's 108-byte limit
// (sun_path) with a margin; longer paths move to the system temp dir.
const maxSocketPath = 100

// parseAddr splits a config address into a loopback host and a port. The
// sandbox only ever binds loopback addresses: it is a development tool.
func parseAddr(addr string) (host string, port int, err error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not host:port", addr)
	}
	if h == "localhost" {
		h = "127.0.0.1"
	}
	ip := net.ParseIP(h)
	if ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("%q: the sandbox only runs servers on IPv4 loopback addresses (127.x.x.x)", addr)
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("%q: port %q is not a number between 1 and 65535", addr, p)
	}
	return ip.String(), port, nil
}

// serverSpec is what the sandbox knows about one server before touching disk.
type serverSpec struct {
	Addr     string
	Host     string
	Port     int
	Cluster  string
	Role     Role
	Primary  string // the primary's address, for replicas
	ServerID int
}

// planServers turns a config into the list of servers to run: primaries
// first, then replicas, in a stable order. server_id is the port, bumped
// when two addresses share a port on different loopback hosts.
func planServers(cfg *config.Config) ([]serverSpec, error) {
	var specs []serverSpec
	usedID := map[int]bool{}
	seen := map[string]bool{}
	add := func(addr, cluster string, role Role, primary string) error {
		host, port, err := parseAddr(addr)
		if err != nil {
			return fmt.Errorf("cluster %s: %w", cluster, err)
		}
		key := net.JoinHostPort(host, strconv.Itoa(port))
		if seen[key] {
			return fmt.Errorf("cluster %s: address %s is used twice", cluster, addr)
		}
		seen[key] = true
		id := port
		for usedID[id] {
			id++
		}
		usedID[id] = true
		specs = append(specs, serverSpec{Addr: addr, Host: host, Port: port, Cluster: cluster, Role: role, Primary: primary, ServerID: id})
		return nil
	}
	names := cfg.ClusterNames()
	for _, name := range names {
		if err := add(cfg.Clusters[name].Primary, name, RolePrimary, ""); err != nil {
			return nil, err
		}
	}
	for _, name := range names {
		cl := cfg.Clusters[name]
		for _, r := range cl.Replicas {
			if err := add(r.Address, name, RoleReplica, cl.Primary); err != nil {
				return nil, err
			}
		}
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("the config has no servers")
	}
	return specs, nil
}

// serverDirName is the folder of one server inside the state dir.
func serverDirName(host string, port int) string {
	return fmt.Sprintf("%s-%d", host, port)
}

// socketPath returns where a server's unix socket lives: inside its folder
// when the path is short enough, else in the temp dir under a name derived
// from the folder so that it stays unique and stable.
func socketPath(serverDir string) string {
	p := filepath.Join(serverDir, "mariadbd.sock")
	if len(p) <= maxSocketPath {
		return p
	}
	sum := sha256.Sum256([]byte(serverDir))
	return filepath.Join(os.TempDir(), "strata-sandbox-"+hex.EncodeToString(sum[:8])+".sock")
}

// checkStateDir refuses state folders whose removal by `down` would be a
// disaster: the root, the home folder, the current folder or one of its parents.
func checkStateDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("no state dir")
	}
	clean := filepath.Clean(dir)
	if clean == "/" {
		return fmt.Errorf("state dir %q: refusing to use the root folder", dir)
	}
	if home, err := os.UserHomeDir(); err == nil && filepath.Clean(home) == clean {
		return fmt.Errorf("state dir %q: refusing to use the home folder", dir)
	}
	if wd, err := os.Getwd(); err == nil {
		wd = filepath.Clean(wd)
		if wd == clean || strings.HasPrefix(wd+"/", clean+"/") {
			return fmt.Errorf("state dir %q: refusing to use the current folder or one of its parents", dir)
		}
	}
	return nil
}

// cnfParams is everything that goes into one server's my.cnf.
type cnfParams struct {
	Host      string
	Port      int
	ServerID  int
	Role      Role
	DataDir   string
	TmpDir    string
	Socket    string
	PIDFile   string
	ErrorLog  string
	RunAsRoot bool
	Extra     []string
}

// renderMyCnf produces the server's option file. The server is always started
// with --defaults-file pointing at it, so nothing from /etc/mysql leaks in.
func renderMyCnf(p cnfParams) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Generated by `strata sandbox`; rewritten at every start.")
	w("[client]")
	w("user = root")
	w("socket = %s", p.Socket)
	w("host = %s", p.Host)
	w("port = %d", p.Port)
	w("")
	w("[mariadbd]")
	if p.RunAsRoot {
		w("user = root")
	}
	w("datadir = %s", p.DataDir)
	w("tmpdir = %s", p.TmpDir)
	w("socket = %s", p.Socket)
	w("pid_file = %s", p.PIDFile)
	w("log_error = %s", p.ErrorLog)
	w("port = %d", p.Port)
	w("bind_address = %s", p.Host)
	w("skip_name_resolve")
	w("report_host = %s", p.Host)
	w("report_port = %d", p.Port)
	w("")
	w("# small footprint")
	w("innodb_buffer_pool_size = 32M")
	w("innodb_log_file_size = 16M")
	w("innodb_flush_log_at_trx_commit = 2")
	w("key_buffer_size = 8M")
	w("aria_pagecache_buffer_size = 8M")
	w("performance_schema = OFF")
	w("max_connections = 500")
	w("")
	w("# what tests and Strata rely on")
	w("userstat = 1")
	w("query_cache_type = 1")
	w("query_cache_size = 16M")
	w("max_allowed_packet = 256M")
	w("local_infile = 1")
	w("character_set_server = utf8mb4")
	w("collation_server = utf8mb4_general_ci")
	w("")
	w("# replication")
	w("server_id = %d", p.ServerID)
	w("log_bin = mysql-bin")
	w("relay_log = relay-bin")
	w("log_slave_updates = ON")
	w("binlog_format = ROW")
	w("gtid_strict_mode = ON")
	w("skip_slave_start")
	if p.Role == RoleReplica {
		w("read_only = ON")
	}
	if len(p.Extra) > 0 {
		w("")
		w("# extra options")
		for _, line := range p.Extra {
			w("%s", strings.TrimSpace(line))
		}
	}
	return b.String()
}
