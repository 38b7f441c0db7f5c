package sandbox

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/config"
)

// Server is one MariaDB server of a sandbox. Its exported fields describe it
// and never change; its methods are safe for concurrent use.
type Server struct {
	Addr     string // as written in the config
	Host     string // loopback IP it binds
	Port     int
	Cluster  string
	Role     Role
	Primary  string // the primary's address when Role is RoleReplica
	ServerID int
	Dir      string // the server's folder: my.cnf, data/, logs, pid file

	sb *Sandbox

	mu     sync.Mutex
	pid    int           // pid of the process we started or adopted, 0 when none
	exited chan struct{} // closed when our child exits; nil for adopted processes
	db     *sql.DB       // admin pool over the unix socket, opened lazily
}

// DataDir is the server's datadir.
func (s *Server) DataDir() string { return filepath.Join(s.Dir, "data") }

// ConfigFile is the generated my.cnf the server runs with; `mariadb
// --defaults-file=ConfigFile` connects a client as root through the socket.
func (s *Server) ConfigFile() string { return filepath.Join(s.Dir, "my.cnf") }

// ErrorLog is the server's error log.
func (s *Server) ErrorLog() string { return filepath.Join(s.Dir, "error.log") }

// Socket is the server's unix socket.
func (s *Server) Socket() string { return socketPath(s.Dir) }

// TmpDir is the server's own tmpdir. Never the shared /tmp: at startup
// mariadbd deletes every #sql* file in its tmpdir, which would destroy the
// temporary tables of other servers (and of a parallel mariadb-install-db).
func (s *Server) TmpDir() string { return filepath.Join(s.Dir, "tmp") }

func (s *Server) pidFile() string    { return filepath.Join(s.Dir, "mariadbd.pid") }
func (s *Server) initMarker() string { return filepath.Join(s.Dir, "initialized") }

// IsPrimary reports whether the server is its cluster's primary.
func (s *Server) IsPrimary() bool { return s.Role == RolePrimary }

// RootDSN is a go-sql-driver DSN for root (empty password) over TCP.
func (s *Server) RootDSN() string {
	return fmt.Sprintf("root@tcp(%s)/", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
}

// DSN is a go-sql-driver DSN for any account over TCP.
func (s *Server) DSN(user, password, database string) string {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.DBName = user, password, database
	c.Net, c.Addr = "tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	return c.FormatDSN()
}

// Open returns a new connection pool to the server as root over TCP. The
// caller closes it.
func (s *Server) Open() (*sql.DB, error) { return sql.Open("mysql", s.RootDSN()) }

// PID is the server's process id, 0 when it is not running.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runningPIDLocked()
}

// Running reports whether the server process is alive.
func (s *Server) Running() bool { return s.PID() != 0 }

func (s *Server) runningPIDLocked() int {
	if s.pid != 0 {
		if s.exited != nil {
			select {
			case <-s.exited:
				s.pid, s.exited = 0, nil
			default:
				return s.pid
			}
		} else if procIsServer(s.pid, s.ConfigFile()) {
			return s.pid
		} else {
			s.pid = 0
		}
	}
	// Adopt a server started by another process (an earlier `strata sandbox up`).
	if pid := readPID(s.pidFile()); pid != 0 && procIsServer(pid, s.ConfigFile()) {
		s.pid, s.exited = pid, nil
		return pid
	}
	return 0
}

// admin returns the root pool over the unix socket, which works before any
// TCP account exists.
func (s *Server) admin() *sql.DB {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		c := mysql.NewConfig()
		c.User = "root"
		c.Net, c.Addr = "unix", s.Socket()
		c.Timeout = 2 * time.Second
		conn, err := mysql.NewConnector(c)
		if err != nil {
			panic(err) // only fails on an invalid config, which this is not
		}
		s.db = sql.OpenDB(conn)
		s.db.SetMaxIdleConns(2)
		s.db.SetConnMaxIdleTime(30 * time.Second)
	}
	return s.db
}

func (s *Server) closeAdmin() {
	s.mu.Lock()
	db := s.db
	s.db = nil
	s.mu.Unlock()
	if db != nil {
		db.Close()
	}
}

// Exec runs one statement as root.
func (s *Server) Exec(ctx context.Context, query string, args ...any) error {
	if !s.Running() {
		return fmt.Errorf("%s: %w", s.Addr, errNotRunning)
	}
	if _, err := s.admin().ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", s.Addr, err)
	}
	return nil
}

// QueryValue runs a query as root and returns the first column of its first
// row as text ("" for NULL); sql.ErrNoRows when there is no row.
func (s *Server) QueryValue(ctx context.Context, query string, args ...any) (string, error) {
	if !s.Running() {
		return "", fmt.Errorf("%s: %w", s.Addr, errNotRunning)
	}
	rows, err := s.admin().QueryContext(ctx, query, args...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", s.Addr, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", fmt.Errorf("%s: %w", s.Addr, err)
		}
		return "", sql.ErrNoRows
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", err
	}
	return vals[0].String, nil
}

// GlobalStatus reads one numeric GLOBAL STATUS counter, e.g. "Qcache_hits".
func (s *Server) GlobalStatus(ctx context.Context, name string) (int64, error) {
	v, err := s.QueryValue(ctx, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = ?", name)
	if err != nil {
		return 0, fmt.Errorf("status %s: %w", name, err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: status %s = %q is not a number", s.Addr, name, v)
	}
	return n, nil
}

// Kill stops the server with SIGKILL, like a crash, and waits until the
// process is gone. The datadir is kept: Start brings it back.
func (s *Server) Kill() error {
	s.closeAdmin()
	s.mu.Lock()
	pid, exited := s.runningPIDLocked(), s.exited
	s.mu.Unlock()
	if pid == 0 {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: kill %d: %w", s.Addr, pid, err)
	}
	if !waitDead(pid, exited, 10*time.Second) {
		return fmt.Errorf("%s: process %d survived SIGKILL", s.Addr, pid)
	}
	return nil
}

// Stop shuts the server down cleanly (SIGTERM), falling back to SIGKILL
// after the sandbox's stop timeout. The datadir is kept.
func (s *Server) Stop(ctx context.Context) error {
	s.closeAdmin()
	s.mu.Lock()
	pid, exited := s.runningPIDLocked(), s.exited
	s.mu.Unlock()
	if pid == 0 {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: signal %d: %w", s.Addr, pid, err)
	}
	timeout := s.sb.opts.StopTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), 0)
	}
	if waitDead(pid, exited, timeout) {
		return nil
	}
	s.sb.logf("%s: still running %s after SIGTERM, sending SIGKILL", s.Addr, timeout)
	return s.Kill()
}

// Start starts a stopped or killed server again on its datadir, waits until it
// accepts connections and re-wires replication: a replica reconnects to its
// primary, a primary gets its replicas reconnected. It does nothing to a
// server that is already running, except checking replication.
func (s *Server) Start(ctx context.Context) error {
	if _, err := s.ensureRunning(ctx); err != nil {
		return err
	}
	if err := s.setupAccounts(ctx); err != nil {
		return err
	}
	if s.Role == RoleReplica {
		p := s.sb.Server(s.Primary)
		if err := s.wireReplication(ctx, p); err != nil {
			return err
		}
		if p.Running() {
			return s.waitReplicating(ctx)
		}
		return nil
	}
	for _, r := range s.sb.Replicas(s.Cluster) {
		if !r.Running() {
			continue
		}
		if err := r.wireReplication(ctx, s); err != nil {
			return err
		}
		if err := r.waitReplicating(ctx); err != nil {
			return err
		}
	}
	return nil
}

// StartAlone starts a stopped or killed server again on its datadir and
// waits until it accepts connections, without touching replication: a
// primary that was failed over comes back as it was when it died.
func (s *Server) StartAlone(ctx context.Context) error {
	_, err := s.ensureRunning(ctx)
	return err
}

// ensureRunning starts the server unless it already runs; it initializes
// the datadir on first use and cleans up after a crashed server.
func (s *Server) ensureRunning(ctx context.Context) (reused bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runningPIDLocked() != 0 {
		// Started by an earlier run, perhaps still starting: wait for it.
		if err := s.waitReadyLocked(ctx); err != nil {
			return true, fmt.Errorf("%s: %w", s.Addr, err)
		}
		return true, nil
	}
	// Leftovers of a server that died without cleaning up.
	os.Remove(s.pidFile())
	os.Remove(s.Socket())

	if err := os.MkdirAll(s.TmpDir(), 0o755); err != nil {
		return false, err
	}
	if err := s.writeConfig(); err != nil {
		return false, err
	}
	if err := checkPortFree(s.Host, s.Port); err != nil {
		return false, fmt.Errorf("%s: %w", s.Addr, err)
	}
	if _, err := os.Stat(s.initMarker()); err != nil {
		if err := s.initDatadir(ctx); err != nil {
			return false, fmt.Errorf("%s: initializing datadir: %w", s.Addr, err)
		}
	}
	if err := s.startProcessLocked(); err != nil {
		return false, fmt.Errorf("%s: %w", s.Addr, err)
	}
	if err := s.waitReadyLocked(ctx); err != nil {
		s.killLocked()
		return false, fmt.Errorf("%s: %w", s.Addr, err)
	}
	return false, nil
}

func (s *Server) writeConfig() error {
	text := renderMyCnf(cnfParams{
		Host:      s.Host,
		Port:      s.Port,
		ServerID:  s.ServerID,
		Role:      s.Role,
		DataDir:   s.DataDir(),
		TmpDir:    s.TmpDir(),
		Socket:    s.Socket(),
		PIDFile:   s.pidFile(),
		ErrorLog:  s.ErrorLog(),
		RunAsRoot: isRoot(),
		Extra:     append(semiSync(s.sb.cfg), s.sb.opts.ExtraConfig...),
	})
	return os.WriteFile(s.ConfigFile(), []byte(text), 0o644)
}

// semiSync is what every server needs for lossless automatic failover
// (switchover.auto_failover): a commit is acknowledged only once a replica
// has it (AFTER_SYNC), and any server can play either role after a
// failover.
func semiSync(cfg *config.Config) []string {
	if cfg == nil || !cfg.Switchover.AutoFailover {
		return nil
	}
	return []string{
		"rpl_semi_sync_master_enabled = ON",
		"rpl_semi_sync_slave_enabled = ON",
		"rpl_semi_sync_master_wait_point = AFTER_SYNC",
		"rpl_semi_sync_master_timeout = 10000",
	}
}

// checkPortFree fails when something else already listens on the address.
func checkPortFree(host string, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d is already in use by another process: %w", port, err)
	}
	return ln.Close()
}

// initDatadir runs mariadb-install-db into a fresh datadir. A datadir left
// half-made by an interrupted run is discarded first.
func (s *Server) initDatadir(ctx context.Context) error {
	installDB, err := s.sb.installDBPath()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(s.DataDir()); err != nil {
		return err
	}
	s.sb.logf("%s: initializing datadir", s.Addr)
	args := []string{
		"--no-defaults",
		"--datadir=" + s.DataDir(),
		"--tmpdir=" + s.TmpDir(),
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
		"--skip-name-resolve",
		"--innodb-log-file-size=16M",
		"--innodb-buffer-pool-size=32M",
	}
	if isRoot() {
		args = append(args, "--user=root")
	}
	if err := runCmd(ctx, installDB, args...); err != nil {
		return err
	}
	return os.WriteFile(s.initMarker(), []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644)
}

func (s *Server) startProcessLocked() error {
	bin, err := s.sb.mariadbdPath()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(filepath.Join(s.Dir, "mariadbd.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	// Not CommandContext: the server must outlive the context (and, for the
	// CLI, this process). Its own session keeps a terminal's Ctrl-C away from it.
	cmd := exec.Command(bin, "--defaults-file="+s.ConfigFile())
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if s.sb.opts.KillWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting mariadbd: %w", err)
	}
	pid := cmd.Process.Pid
	// mariadbd writes the same pid once InnoDB is up; writing it now lets a
	// later `up` or `down` find a server that is still starting.
	os.WriteFile(s.pidFile(), []byte(strconv.Itoa(pid)+"\n"), 0o644)
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.pid, s.exited = pid, exited
	s.sb.logf("%s: started mariadbd (pid %d)", s.Addr, pid)
	return nil
}

// waitReadyLocked polls the unix socket until the server answers.
func (s *Server) waitReadyLocked(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.sb.opts.StartTimeout)
	defer cancel()
	c := mysql.NewConfig()
	c.User = "root"
	c.Net, c.Addr = "unix", s.Socket()
	c.Timeout = time.Second
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	start := time.Now()
	var lastErr error
	for {
		exited := false
		if s.exited != nil {
			select {
			case <-s.exited:
				exited = true
			default:
			}
		} else {
			exited = !procAlive(s.pid)
		}
		if exited {
			return fmt.Errorf("mariadbd exited during startup; end of %s:\n%s", s.ErrorLog(), fileTail(s.ErrorLog(), 3000))
		}
		pingCtx, pingCancel := context.WithTimeout(ctx, time.Second)
		lastErr = db.PingContext(pingCtx)
		pingCancel()
		if lastErr == nil {
			if s.exited != nil {
				s.sb.logf("%s: accepting connections after %s", s.Addr, time.Since(start).Round(time.Millisecond))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections after %s (%v); end of %s:\n%s",
				time.Since(start).Round(time.Millisecond), lastErr, s.ErrorLog(), fileTail(s.ErrorLog(), 3000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) killLocked() {
	if s.pid == 0 {
		return
	}
	syscall.Kill(s.pid, syscall.SIGKILL)
	waitDead(s.pid, s.exited, 10*time.Second)
	s.pid, s.exited = 0, nil
}

// setupAccounts creates the root TCP account, the backend account and the
// replication account. It runs on every server with sql_log_bin=0, so the
// accounts never enter the binlogs and every server starts replication from
// a clean GTID position.
func (s *Server) setupAccounts(ctx context.Context) error {
	conn, err := s.admin().Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Addr, err)
	}
	defer func() {
		// Discard the connection rather than return it to the pool with
		// sql_log_bin=0: later statements on it would silently not replicate.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	stmts := []string{"SET SESSION sql_log_bin = 0"}
	account := func(user, host, password, grants string, withGrant bool) {
		acct := quote(user) + "@" + quote(host)
		auth := "IDENTIFIED VIA mysql_native_password USING PASSWORD(" + quote(password) + ")"
		stmts = append(stmts,
			"CREATE USER IF NOT EXISTS "+acct+" "+auth,
			"ALTER USER "+acct+" "+auth,
		)
		g := "GRANT " + grants + " ON *.* TO " + acct
		if withGrant {
			g += " WITH GRANT OPTION"
		}
		stmts = append(stmts, g)
	}
	account("root", "127.0.0.1", "", "ALL PRIVILEGES", true)
	if b := s.sb.cfg.Backend; b.User != "" && b.User != "root" {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			account(b.User, host, b.Password, "ALL PRIVILEGES", false)
			// ALL includes READ_ONLY ADMIN, which would let Strata write to a
			// read_only replica: a routing bug must fail, not fork the data.
			// And SHUTDOWN, which Strata never uses: without it, no client
			// can stop a server through Strata, not even from a procedure.
			stmts = append(stmts, "REVOKE READ_ONLY ADMIN, SHUTDOWN ON *.* FROM "+quote(b.User)+"@"+quote(host))
		}
	}
	account(ReplUser, "127.0.0.1", ReplPassword, "REPLICATION SLAVE, REPLICATION CLIENT", false)
	account(ReplUser, "localhost", ReplPassword, "REPLICATION SLAVE, REPLICATION CLIENT", false)
	// The accounts a switchover uses (config switchover:), so a sandbox
	// can be switched over as a production topology would.
	if sw := s.sb.cfg.Switchover; sw.User != "" && sw.User != "root" && sw.User != s.sb.cfg.Backend.User {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			account(sw.User, host, sw.Password, "ALL PRIVILEGES", false)
		}
	}
	if sw := s.sb.cfg.Switchover; sw.ReplicationUser != "" && sw.ReplicationUser != ReplUser {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			account(sw.ReplicationUser, host, sw.ReplicationPassword, "REPLICATION SLAVE, REPLICATION CLIENT", false)
		}
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %s: %w", s.Addr, q, err)
		}
	}
	return nil
}

// quote makes a MariaDB string literal.
func quote(s string) string {
	out := make([]byte, 0, len(s)+2)
	out = append(out, '\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			out = append(out, '\'', '\'')
		case '\\':
			out = append(out, '\\', '\\')
		case 0:
			out = append(out, '\\', '0')
		default:
			out = append(out, c)
		}
	}
	return string(append(out, '\''))
}
