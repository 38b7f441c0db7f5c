// Package sandbox runs real MariaDB servers on loopback for every address of
// a Strata config: one datadir, socket and error log per server under a state
// folder, primaries with binlogs, replicas wired with GTID replication.
//
// It backs `strata sandbox up|down|status` and the integration tests:
//
//	sb, err := sandbox.Up(ctx, cfg, sandbox.Options{Dir: t.TempDir(), KillWithParent: true})
//	defer sb.Down(ctx)
//	sb.Server("127.0.0.1:23306").Exec(ctx, "CREATE DATABASE d")
//	sb.WaitReplicated(ctx)
//
// Every server has root with an empty password over TCP (RootDSN), the
// config's backend account and a repl account, all created with
// sql_log_bin=0 so that the binlogs only hold what tests and users write.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/strata-proxy/strata/config"
)

// Options tune a sandbox; the zero value is fine.
type Options struct {
	// Dir is the state folder; default cfg.Sandbox.Dir. Relative paths are
	// taken from the current directory.
	Dir string
	// ExtraConfig lines are appended to every server's [mariadbd] section,
	// e.g. "long_query_time = 0".
	ExtraConfig []string
	// KillWithParent makes the servers die with the process that started
	// them (Linux parent-death signal): tests use it so that a panicking or
	// timed-out test binary leaves no server behind. The CLI leaves it off.
	KillWithParent bool
	// StartTimeout bounds how long one server may take to accept connections
	// (default 60s); ReplicationTimeout how long a replica may take to report
	// both threads running (default 60s); StopTimeout how long a server may
	// take to shut down after SIGTERM before it gets SIGKILL (default 30s).
	StartTimeout       time.Duration
	ReplicationTimeout time.Duration
	StopTimeout        time.Duration
	// Log receives progress messages; nil discards them.
	Log io.Writer
	// MariaDBD and InstallDB override the binaries (default: found on PATH
	// or in /usr/sbin).
	MariaDBD  string
	InstallDB string
}

// Sandbox is the set of servers for one config and state folder. Several
// sandboxes with different ports and folders can run in one process.
type Sandbox struct {
	cfg     *config.Config
	opts    Options
	dir     string
	servers []*Server
	byAddr  map[string]*Server

	logMu sync.Mutex
}

// markerFile marks a folder as a sandbox state folder.
const markerFile = "STRATA-SANDBOX"

// New describes the sandbox of a config without starting anything; Status,
// Up and Down work from it. Servers that an earlier process started in the
// same state folder are found through their pid files.
func New(cfg *config.Config, opts Options) (*Sandbox, error) {
	if cfg == nil {
		return nil, errors.New("sandbox: nil config")
	}
	if opts.Dir == "" {
		opts.Dir = cfg.Sandbox.Dir
	}
	if opts.Dir == "" {
		opts.Dir = ".strata-sandbox"
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := checkStateDir(dir); err != nil {
		return nil, err
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.ReplicationTimeout <= 0 {
		opts.ReplicationTimeout = 60 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 30 * time.Second
	}
	specs, err := planServers(cfg)
	if err != nil {
		return nil, err
	}
	sb := &Sandbox{cfg: cfg, opts: opts, dir: dir, byAddr: map[string]*Server{}}
	for _, sp := range specs {
		s := &Server{
			Addr: sp.Addr, Host: sp.Host, Port: sp.Port, Cluster: sp.Cluster, Role: sp.Role,
			Primary: sp.Primary, ServerID: sp.ServerID,
			Dir: filepath.Join(dir, serverDirName(sp.Host, sp.Port)),
			sb:  sb,
		}
		sb.servers = append(sb.servers, s)
		sb.byAddr[sp.Addr] = s
		sb.byAddr[net.JoinHostPort(sp.Host, strconv.Itoa(sp.Port))] = s
	}
	return sb, nil
}

// Up starts (or reuses) every server of the config and waits until each
// accepts connections and every replica replicates from its primary.
func Up(ctx context.Context, cfg *config.Config, opts Options) (*Sandbox, error) {
	sb, err := New(cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := sb.Up(ctx); err != nil {
		return nil, err
	}
	return sb, nil
}

// Dir is the absolute state folder.
func (sb *Sandbox) Dir() string { return sb.dir }

// Config is the config the sandbox was made from.
func (sb *Sandbox) Config() *config.Config { return sb.cfg }

// Servers lists every server: primaries first, then replicas.
func (sb *Sandbox) Servers() []*Server { return append([]*Server(nil), sb.servers...) }

// Server finds a server by its config address (or its normalized
// host:port); nil when there is none.
func (sb *Sandbox) Server(addr string) *Server {
	if s := sb.byAddr[addr]; s != nil {
		return s
	}
	if host, port, err := parseAddr(addr); err == nil {
		return sb.byAddr[net.JoinHostPort(host, strconv.Itoa(port))]
	}
	return nil
}

// Primary is the primary of a cluster; nil for an unknown cluster.
func (sb *Sandbox) Primary(cluster string) *Server {
	for _, s := range sb.servers {
		if s.Cluster == cluster && s.Role == RolePrimary {
			return s
		}
	}
	return nil
}

// Replicas are the replicas of a cluster, in config order.
func (sb *Sandbox) Replicas(cluster string) []*Server {
	var out []*Server
	for _, s := range sb.servers {
		if s.Cluster == cluster && s.Role == RoleReplica {
			out = append(out, s)
		}
	}
	return out
}

func (sb *Sandbox) logf(format string, args ...any) {
	if sb.opts.Log == nil {
		return
	}
	sb.logMu.Lock()
	defer sb.logMu.Unlock()
	fmt.Fprintf(sb.opts.Log, format+"\n", args...)
}

func (sb *Sandbox) mariadbdPath() (string, error) {
	if sb.opts.MariaDBD != "" {
		return sb.opts.MariaDBD, nil
	}
	return findBinary("mariadbd", "mysqld")
}

func (sb *Sandbox) installDBPath() (string, error) {
	if sb.opts.InstallDB != "" {
		return sb.opts.InstallDB, nil
	}
	return findBinary("mariadb-install-db", "mysql_install_db")
}

// lock takes an exclusive lock on the state folder so two `up`/`down` runs
// on the same folder do not race. It creates the folder.
func (sb *Sandbox) lock() (unlock func(), err error) {
	if err := os.MkdirAll(sb.dir, 0o755); err != nil {
		return nil, err
	}
	marker := filepath.Join(sb.dir, markerFile)
	if _, err := os.Stat(marker); err != nil {
		text := "State folder of `strata sandbox`: one folder per MariaDB server.\n" +
			"`strata sandbox down` stops the servers and removes it.\n"
		if err := os.WriteFile(marker, []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(filepath.Join(sb.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// Up starts every server that is not running, creates the accounts and
// wires replication, then waits until every replica's IO and SQL threads
// run. Servers already running from the same state folder are reused. On
// failure the servers this call started are stopped again (their folders and
// error logs stay for inspection).
func (sb *Sandbox) Up(ctx context.Context) (err error) {
	if _, err := sb.mariadbdPath(); err != nil {
		return err
	}
	unlock, err := sb.lock()
	if err != nil {
		return err
	}
	defer unlock()

	start := time.Now()
	var startedMu sync.Mutex
	var started []*Server
	defer func() {
		if err != nil {
			for _, s := range started {
				s.Kill()
			}
		}
	}()
	var jobs []func() error
	for _, s := range sb.servers {
		jobs = append(jobs, func() error {
			reused, err := s.ensureRunning(ctx)
			if err != nil {
				return err
			}
			if reused {
				sb.logf("%s: already running (pid %d)", s.Addr, s.PID())
			} else {
				startedMu.Lock()
				started = append(started, s)
				startedMu.Unlock()
			}
			return s.setupAccounts(ctx)
		})
	}
	if err := parallel(jobs); err != nil {
		return err
	}
	jobs = nil
	for _, s := range sb.servers {
		if s.Role != RoleReplica {
			continue
		}
		jobs = append(jobs, func() error {
			if err := s.wireReplication(ctx, sb.Server(s.Primary)); err != nil {
				return err
			}
			return s.waitReplicating(ctx)
		})
	}
	if err := parallel(jobs); err != nil {
		return err
	}
	sb.logf("sandbox up: %d servers in %s", len(sb.servers), time.Since(start).Round(time.Millisecond))
	return nil
}

// Close releases the sandbox's own connections to the servers; the servers
// keep running. Down and Stop do it too.
func (sb *Sandbox) Close() {
	for _, s := range sb.servers {
		s.closeAdmin()
	}
}

// Stop shuts every server down (SIGTERM, then SIGKILL after StopTimeout)
// and keeps the state folder, so Up starts them again with their data.
func (sb *Sandbox) Stop(ctx context.Context) error {
	var jobs []func() error
	for _, s := range sb.allServers() {
		jobs = append(jobs, func() error { return s.Stop(ctx) })
	}
	return parallel(jobs)
}

// Down stops every server (those of the config and any other found in the
// state folder) and removes the state folder.
func (sb *Sandbox) Down(ctx context.Context) error {
	if _, err := os.Stat(sb.dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	unlock, err := sb.lock()
	if err != nil {
		return err
	}
	defer unlock()
	all := sb.allServers()
	var jobs []func() error
	for _, s := range all {
		jobs = append(jobs, func() error {
			if err := s.Stop(ctx); err != nil {
				return err
			}
			sb.logf("%s: stopped", s.Addr)
			return nil
		})
	}
	if err := parallel(jobs); err != nil {
		return err
	}
	// Remove only what the sandbox made, then the folder if that emptied it.
	var errs []error
	for _, s := range all {
		if err := os.RemoveAll(s.Dir); err != nil {
			errs = append(errs, err)
		}
		if !strings.HasPrefix(s.Socket(), s.Dir+string(filepath.Separator)) {
			os.Remove(s.Socket())
		}
	}
	os.Remove(filepath.Join(sb.dir, markerFile))
	os.Remove(filepath.Join(sb.dir, ".lock"))
	removeSockets(sb.dir)
	if err := os.Remove(sb.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("state folder %s not removed: %w", sb.dir, err))
	}
	return errors.Join(errs...)
}

// allServers is the config's servers plus server folders in the state
// folder that the config no longer names (so `down` stops them too).
func (sb *Sandbox) allServers() []*Server {
	all := append([]*Server(nil), sb.servers...)
	known := map[string]bool{}
	for _, s := range sb.servers {
		known[s.Dir] = true
	}
	entries, _ := os.ReadDir(sb.dir)
	for _, e := range entries {
		dir := filepath.Join(sb.dir, e.Name())
		if !e.IsDir() || known[dir] {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "my.cnf")); err != nil {
			continue
		}
		all = append(all, &Server{Addr: e.Name() + " (not in config)", Dir: dir, sb: sb})
	}
	return all
}

// ServerStatus is one server's line of `strata sandbox status`.
type ServerStatus struct {
	Addr    string
	Cluster string
	Role    Role
	Primary string // for replicas
	Running bool
	PID     int
	// GTIDBinlogPos is @@gtid_binlog_pos (what the server has written).
	GTIDBinlogPos string
	// Replica is the replication state of a running replica (nil otherwise).
	Replica *ReplicaStatus
	// Err is a problem reading the state of a running server.
	Err error
}

// String renders the status as one line.
func (st ServerStatus) String() string {
	role := "primary"
	if st.Role == RoleReplica {
		role = "replica of " + st.Primary
	}
	state := "stopped"
	if st.Running {
		state = fmt.Sprintf("running (pid %d)", st.PID)
	}
	line := fmt.Sprintf("%-21s %-8s %-32s %-22s", st.Addr, st.Cluster, role, state)
	switch {
	case !st.Running:
	case st.Err != nil:
		line += " error: " + st.Err.Error()
	case st.Role == RoleReplica && st.Replica == nil:
		line += " replication: not configured"
	case st.Role == RoleReplica:
		r := st.Replica
		lag := "?"
		if r.SecondsBehind >= 0 {
			lag = strconv.FormatInt(r.SecondsBehind, 10) + "s"
		}
		line += fmt.Sprintf(" replication: io=%s sql=%s lag=%s gtid=%s", r.IORunning, r.SQLRunning, lag, r.GTIDSlavePos)
		if r.LastIOError != "" {
			line += " io_error=" + strconv.Quote(r.LastIOError)
		}
		if r.LastSQLError != "" {
			line += " sql_error=" + strconv.Quote(r.LastSQLError)
		}
	default:
		line += " binlog gtid=" + st.GTIDBinlogPos
	}
	return strings.TrimRight(line, " ")
}

// Status reports every server of the config.
func (sb *Sandbox) Status(ctx context.Context) []ServerStatus {
	out := make([]ServerStatus, len(sb.servers))
	var jobs []func() error
	for i, s := range sb.servers {
		jobs = append(jobs, func() error {
			st := ServerStatus{Addr: s.Addr, Cluster: s.Cluster, Role: s.Role, Primary: s.Primary, PID: s.PID()}
			st.Running = st.PID != 0
			if st.Running {
				st.GTIDBinlogPos, st.Err = s.QueryValue(ctx, "SELECT @@GLOBAL.gtid_binlog_pos")
				if st.Err == nil && s.Role == RoleReplica {
					st.Replica, st.Err = s.ReplicaStatus(ctx)
				}
			}
			out[i] = st
			return nil
		})
	}
	parallel(jobs)
	return out
}

// removeSockets removes the Unix socket files directly in dir: they hold
// no data, and a Strata stopped with kill -9 leaves its handover_socket
// there when it points into the sandbox (as the demo's does).
func removeSockets(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type()&os.ModeSocket != 0 {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
