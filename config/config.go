// Package config is Strata's YAML schema: loading, defaults and validation.
// Errors name the offending key and its line so an operator can fix the file
// without guessing.
package config

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole strata.yaml.
type Config struct {
	Listen      string `yaml:"listen"`
	AdminListen string `yaml:"admin_listen"`
	// HandoverSocket, when set, is a Unix socket where a running Strata
	// hands its listening sockets to a new Strata process started with the
	// same listen and admin_listen: an upgrade or restart refuses no client.
	HandoverSocket string `yaml:"handover_socket"`
	// ListenSocket, when set, is a Unix socket path where Strata also
	// takes MySQL clients, as a server does on its socket: applications
	// that connect to "localhost" (PHP's default) reach it there.
	ListenSocket string `yaml:"listen_socket"`
	// ProxyProtocol names the load balancers in front of Strata whose
	// connections start with a PROXY protocol header carrying the real
	// client's address.
	ProxyProtocol ProxyProtocol `yaml:"proxy_protocol"`
	// AdminPprof serves Go's runtime profiles at /debug/pprof/ on
	// admin_listen (off by default: the admin port has no authentication).
	AdminPprof bool `yaml:"admin_pprof"`
	// SlowLog, when set, logs every statement that takes longer (like
	// MariaDB's long_query_time), with its digest, user, route and server.
	SlowLog Duration `yaml:"slow_log"`
	// AdminAuth, when set, requires HTTP Basic authentication on every
	// admin route (the API, /metrics, the dashboard, the profiles).
	AdminAuth AdminAuth `yaml:"admin_auth"`
	// Zone is where this Strata instance runs; replicas in the same zone are preferred.
	Zone string `yaml:"zone"`
	// Threads is how many OS threads run Strata's Go code at once
	// (GOMAXPROCS); 0 keeps Go's default, one per CPU. On a host where the
	// proxy shares few cores with busy clients or servers, fewer threads
	// spend less CPU looking for work between packets (docs/BENCHMARKS.md).
	Threads int `yaml:"threads"`
	// BusyPoll is how long a connection that waits for its client or
	// server polls the socket before it sleeps (unset: DefaultBusyPoll;
	// 0: never). Polling saves the wake-ups that dominate a relayed
	// statement's cost on a small host; a socket whose polls keep running
	// out stops polling for a while. Off while Strata runs on one thread.
	BusyPoll *Duration   `yaml:"busy_poll"`
	Users    []User      `yaml:"users"`
	Backend  BackendAuth `yaml:"backend"`
	// Switchover is what a planned primary change needs (the
	// POST /api/clusters/NAME/switchover API, strata switchover).
	Switchover Switchover `yaml:"switchover"`
	// DefaultCluster serves every table that no other rule places; it defaults
	// to the only cluster when there is one.
	DefaultCluster string              `yaml:"default_cluster"`
	Clusters       map[string]*Cluster `yaml:"clusters"`
	// Schema is the application's schema: where lookup tables, period
	// tables and range-sharded tables live for the control-plane work
	// (lookups, pre-creating period tables, capacity reports).
	Schema      string      `yaml:"schema"`
	Routing     []Rule      `yaml:"routing"`
	Limits      Limits      `yaml:"limits"`
	Monitor     Monitor     `yaml:"monitor"`
	TLS         TLS         `yaml:"tls"`
	ResultCache ResultCache `yaml:"result_cache"`
	Sandbox     Sandbox     `yaml:"sandbox"`
	// Tables places tables on clusters or shards; tables not listed live on
	// the default cluster. Keys are table names, lower-cased at load.
	Tables map[string]*Table `yaml:"tables"`
	// Sequences are named id sequences that sharded tables draw from.
	Sequences map[string]*Sequence `yaml:"sequences"`
	// Transactions says what a transaction that writes several clusters
	// does: refused (single, the default) or committed atomically (twopc).
	Transactions Transactions `yaml:"transactions"`

	// Path is the file this config was read from (not part of the YAML).
	Path string `yaml:"-"`
}

// Transactions configures transactions that write several clusters.
type Transactions struct {
	// Mode is TxSingle (a transaction stays on one cluster; a statement
	// that needs another is refused) or TxTwoPC (other clusters join as
	// XA branches and COMMIT is two-phase, package twophase).
	Mode string `yaml:"mode"`
	// ResolveEvery is how often prepared branches left by a crash, a lost
	// connection or a failover are looked for and settled (twopc only).
	ResolveEvery Duration `yaml:"resolve_every"`
	// DeadlockCheck is how often the lock waits of servers where a
	// transaction across clusters holds locks are read, to end deadlocks
	// across servers (twopc only; package deadlock).
	DeadlockCheck Duration `yaml:"deadlock_check"`
}

// Transaction modes.
const (
	TxSingle = "single"
	TxTwoPC  = "twopc"
)

// DefaultResolveEvery is transactions.resolve_every's default.
const DefaultResolveEvery = 10 * time.Second

// DefaultDeadlockCheck is transactions.deadlock_check's default, and
// MinDeadlockCheck its least value.
const (
	DefaultDeadlockCheck = time.Second
	MinDeadlockCheck     = 200 * time.Millisecond
)

// DeadlockInterval is deadlock_check, or its default.
func (t Transactions) DeadlockInterval() time.Duration {
	if t.DeadlockCheck <= 0 {
		return DefaultDeadlockCheck
	}
	return t.DeadlockCheck.D()
}

// TwoPC reports whether transactions may write several clusters.
func (t Transactions) TwoPC() bool { return t.Mode == TxTwoPC }

// ResolveInterval is resolve_every, or its default.
func (t Transactions) ResolveInterval() time.Duration {
	if t.ResolveEvery <= 0 {
		return DefaultResolveEvery
	}
	return t.ResolveEvery.D()
}

// AdminAuth is the account the admin HTTP port asks for (empty: none).
type AdminAuth struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
}

// Switchover holds the accounts a primary switchover uses. The backend
// account cannot do it on purpose: it lacks READ_ONLY ADMIN, so that a
// misrouted write fails on a read_only replica instead of forking data.
type Switchover struct {
	// User and Password: an account with READ_ONLY ADMIN, REPLICATION
	// SLAVE ADMIN and BINLOG MONITOR (or SUPER) on every server, used to
	// set read_only and repoint replication.
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// ReplicationUser and ReplicationPassword: the account replicas log in
	// to their new primary with (CHANGE MASTER TO MASTER_USER).
	ReplicationUser     string `yaml:"replication_user"`
	ReplicationPassword string `yaml:"replication_password"`
	// Timeout bounds the wait for statements and transactions on the old
	// primary to end, then for the new primary to catch up; past it the
	// switchover is undone and nothing changes.
	Timeout Duration `yaml:"timeout"`
	// AutoFailover replaces a primary that the monitor finds down with the
	// replica that received the most of its writes. Lossless only with
	// semi-synchronous replication (strata sandbox turns it on with this).
	AutoFailover bool `yaml:"auto_failover"`
}

// DefaultBusyPoll is busy_poll's default: long enough that a quick answer
// or a busy client's next statement is often seen without a wake-up, short
// enough that a thread which spins in vain does not take much CPU from the
// clients and servers on the same host. On a 2-core host where direct point
// selects ran at 60-85k QPS, 10-20 us moved 1.1-1.7x the point selects of
// the earlier 40 us and as many range scans as no polling at all, while
// 40 us moved fewer of both than no polling (docs/performance.md).
const DefaultBusyPoll = 15 * time.Microsecond

// MaxBusyPoll bounds busy_poll: a polling connection holds one of the
// threads that run Strata's Go code.
const MaxBusyPoll = time.Millisecond

// BusyPollBudget is busy_poll, or its default when the file does not set it.
func (c *Config) BusyPollBudget() time.Duration {
	if c.BusyPoll == nil {
		return DefaultBusyPoll
	}
	return c.BusyPoll.D()
}

// DefaultSwitchoverTimeout is switchover.timeout's default.
const DefaultSwitchoverTimeout = 10 * time.Second

// Enabled reports whether switchovers are configured.
func (s Switchover) Enabled() bool { return s.User != "" }

// User is an account applications use to connect to Strata.
type User struct {
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
	// PasswordHash is the password as MariaDB stores it for
	// mysql_native_password ('*' and 40 hex digits, what SELECT
	// PASSWORD('secret') prints), instead of Password: the file then does
	// not hold the secret, and clients of either auth plugin are checked
	// against it.
	PasswordHash string `yaml:"password_hash"`
	// AuthPlugin is the plugin Strata asks the client to use:
	// mysql_native_password (default) or caching_sha2_password.
	AuthPlugin string `yaml:"auth_plugin"`
	// MaxConnections bounds the user's open client connections (0: only
	// limits.max_client_connections applies).
	MaxConnections int `yaml:"max_connections"`
	// RequireTLS refuses this user's logins over a plain connection, as
	// MariaDB's REQUIRE SSL does.
	RequireTLS bool `yaml:"require_tls"`
	// Backend, when its user is set, is the server account this user's
	// statements run as instead of backend.user: the servers then check
	// the application's own privileges and show its own account.
	Backend Login `yaml:"backend"`
}

// Login is a server account.
type Login struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
}

// NativeHash is the user's password as mysql_native_password keeps it,
// SHA1(SHA1(password)): password_hash decoded, or password hashed. ok is
// false for a user with no password. Validate reports a malformed hash.
func (u User) NativeHash() (hash [sha1.Size]byte, ok bool) {
	switch {
	case u.PasswordHash != "":
		h, err := ParsePasswordHash(u.PasswordHash)
		return h, err == nil
	case u.Password != "":
		return NativePasswordHash(u.Password), true
	}
	return hash, false
}

// NativePasswordHash is SHA1(SHA1(password)), what MariaDB's PASSWORD()
// prints in hex after a '*'.
func NativePasswordHash(password string) [sha1.Size]byte {
	stage1 := sha1.Sum([]byte(password))
	return sha1.Sum(stage1[:])
}

// FormatPasswordHash writes a hash as password_hash takes it: '*' and 40
// upper-case hex digits, as MariaDB prints it.
func FormatPasswordHash(h [sha1.Size]byte) string {
	return "*" + strings.ToUpper(hex.EncodeToString(h[:]))
}

// ParsePasswordHash reads a password_hash: '*' and 40 hex digits.
func ParsePasswordHash(s string) (hash [sha1.Size]byte, err error) {
	digits, ok := strings.CutPrefix(s, "*")
	if !ok || len(digits) != 2*sha1.Size {
		return hash, errors.New("is not a mysql_native_password hash: want '*' and 40 hex digits, as SELECT PASSWORD('secret') or strata password-hash prints")
	}
	if _, err := hex.Decode(hash[:], []byte(digits)); err != nil {
		return hash, errors.New("is not a mysql_native_password hash: after the '*' only the hex digits 0-9 and A-F may follow")
	}
	return hash, nil
}

// BackendAuth is how Strata logs in to the MariaDB servers.
type BackendAuth struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// Sockets maps a server's address to the Unix socket Strata reaches it
	// through when both run on one host. The server keeps its address as
	// its name everywhere else (topology, metrics, pools).
	Sockets map[string]string `yaml:"sockets"`
	// TLS encrypts the connections to the servers.
	TLS BackendTLS `yaml:"tls"`
	// PrepareTextReads runs a client's text SELECTs whose values stand
	// where a parameter means the same as server-side prepared
	// statements, one per statement shape and server connection, so the
	// server parses each shape once. Off by default: the servers' process
	// lists and SHOW PROFILES then show the statements with ? for the
	// values.
	PrepareTextReads bool `yaml:"prepare_text_reads"`
}

// Cluster is one primary and its replicas.
type Cluster struct {
	Primary  string    `yaml:"primary"`
	Replicas []Replica `yaml:"replicas"`
	// DefaultPool receives reads that no routing rule matched.
	DefaultPool string `yaml:"default_pool"`
	// MaxReplicaLag drains a replica whose lag exceeds it (0 = no limit).
	MaxReplicaLag Duration `yaml:"max_replica_lag"`
	// Consistency is "eventual" (default), "session" (a session reads its
	// own writes) or "global" (every read sees every write Strata
	// acknowledged before it, whichever client made it).
	Consistency string `yaml:"consistency"`
	// ReadYourWritesWait is how long a read waits for a replica to apply the
	// session's last write (MASTER_GTID_WAIT) before using the primary.
	ReadYourWritesWait Duration               `yaml:"read_your_writes_wait"`
	Pools              map[string]*PoolConfig `yaml:"pools"`
}

// Replica is one read-only server of a cluster.
type Replica struct {
	Address string `yaml:"address"`
	Pool    string `yaml:"pool"`
	Weight  int    `yaml:"weight"`
	Zone    string `yaml:"zone"`
}

// PoolConfig tunes one named replica pool.
type PoolConfig struct {
	// Balance is random (default), least_connections or affinity.
	Balance string `yaml:"balance"`
	// Fallback names a pool, or "primary", to use when every member is down.
	Fallback      string   `yaml:"fallback"`
	MaxReplicaLag Duration `yaml:"max_replica_lag"`
}

// Rule sends matching reads to a pool; the first match wins. A rule with
// Refuse instead answers every matching statement (read or write, in a
// transaction or not) with an error carrying that text: how an operator
// stops a harmful statement shape at run time, without a deploy. A rule
// with Rewrite changes the text of matching statements before they are
// routed: how an operator fixes a statement an application sends (an
// index hint, a missing LIMIT) without a deploy.
type Rule struct {
	Match   Match    `yaml:"match"`
	Pool    string   `yaml:"pool"`
	Cache   Duration `yaml:"cache"`
	Refuse  string   `yaml:"refuse"`
	Rewrite *Rewrite `yaml:"rewrite"`
	// Timeout bounds how long a matching read may run on its server
	// (MariaDB's max_statement_time, set on the connection for it).
	Timeout Duration `yaml:"timeout"`
	// MaxRunning bounds how many matching reads run at once; more wait
	// up to limits.pool_wait for one to finish, then fail (0: no bound).
	MaxRunning int `yaml:"max_running"`
}

// Rewrite replaces, in the text of a statement the rule matches, what
// the regular expression From matches by To ($1, ${name}: its groups, as
// Go's regexp.ReplaceAllString has them). The first rewrite rule that
// matches and changes the text applies; the new text is then parsed,
// refused or routed like any statement.
type Rewrite struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Match lists the conditions of a rule; all given conditions must hold.
type Match struct {
	Tables  []string `yaml:"tables"`
	User    string   `yaml:"user"`
	Schema  string   `yaml:"schema"`
	Client  string   `yaml:"client"` // CIDR or address
	Digest  string   `yaml:"digest"`
	Pattern string   `yaml:"pattern"` // regular expression on the normalized statement
	Hint    string   `yaml:"hint"`    // /* strata:pool=NAME */
	// Writes matches statements that write tables (INSERT, UPDATE,
	// DELETE, REPLACE, LOAD DATA, DDL): for refuse rules, such as a
	// read-only mode during maintenance.
	Writes bool `yaml:"writes"`
}

// empty reports whether m has no condition: it matches every statement.
func (m Match) empty() bool {
	return len(m.Tables) == 0 && m.User == "" && m.Schema == "" && m.Client == "" &&
		m.Digest == "" && m.Pattern == "" && m.Hint == "" && !m.Writes
}

// Limits bounds what clients and backends may use.
type Limits struct {
	MaxClientConnections int      `yaml:"max_client_connections"`
	MaxConnsPerServer    int      `yaml:"max_conns_per_server"`
	MaxIdlePerServer     int      `yaml:"max_idle_per_server"`
	ConnectTimeout       Duration `yaml:"connect_timeout"`
	// PoolWait is how long a statement waits for a free backend connection.
	PoolWait Duration `yaml:"pool_wait"`
	// ClientIdleTimeout closes a client connection that sent nothing for
	// this long (MariaDB's wait_timeout; same default).
	ClientIdleTimeout Duration `yaml:"client_idle_timeout"`
	// ShutdownTimeout is how long a stopping Strata lets clients finish
	// their statement or transaction before it closes them.
	ShutdownTimeout  Duration `yaml:"shutdown_timeout"`
	MaxAllowedPacket Size     `yaml:"max_allowed_packet"`
	// MaxQueryDigests bounds the rows of the per-digest statistics (GET
	// /api/queries): statements of a new shape past it are counted as
	// dropped.
	MaxQueryDigests int `yaml:"max_query_digests"`
	// MaxPreparedStatements bounds the statements one client session
	// keeps prepared: an application that prepares without closing gets
	// MariaDB's error 1461 instead of growing Strata's memory.
	MaxPreparedStatements int `yaml:"max_prepared_statements"`
	// MaxPulledRows bounds the rows Strata reads from one table (or one
	// subquery's values) to run a statement over sharded tables on one
	// server: joins of tables that live apart, subqueries it runs first.
	// More is refused, so a statement cannot make Strata hold a table.
	MaxPulledRows int `yaml:"max_pulled_rows"`
	// MaxMergeMemory bounds the memory one statement's merge over shards
	// holds at once (an ORDER BY sorted in Strata, the rows a SELECT
	// DISTINCT sent): more is refused, so one report cannot take the
	// memory every session needs.
	MaxMergeMemory Size `yaml:"max_merge_memory"`
	// MaxMergeMemoryTotal bounds what all statements' merges hold
	// together, so many reports at once cannot take Strata's memory.
	MaxMergeMemoryTotal Size `yaml:"max_merge_memory_total"`
	// RowLocations bounds how many rows' shards Strata remembers, rows
	// of unique: columns a statement without the shard key found on one
	// shard, so the next statement of the same value runs on that shard
	// alone; -1 remembers none.
	RowLocations int `yaml:"row_locations"`
}

// Monitor controls the health checker.
type Monitor struct {
	Interval Duration `yaml:"interval"`
	// FailAfter and RecoverAfter are the consecutive check counts that move a
	// server out of and back into routing: hysteresis against flapping.
	FailAfter    int `yaml:"fail_after"`
	RecoverAfter int `yaml:"recover_after"`
}

// TLS enables TLS towards clients. Without files Strata makes a self-signed
// certificate at start so caching_sha2_password's full path can run.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// ResultCache bounds the cache used by routing rules with `cache:`.
type ResultCache struct {
	MaxSize      Size `yaml:"max_size"`
	MaxEntrySize Size `yaml:"max_entry_size"`
}

// CacheEnabled reports whether any routing rule caches results.
func (c *Config) CacheEnabled() bool {
	for _, r := range c.Routing {
		if r.Cache > 0 {
			return true
		}
	}
	return false
}

// Sandbox tells `strata sandbox` where to keep its servers' data.
type Sandbox struct {
	Dir string `yaml:"dir"`
}

// Duration is a time.Duration written as "5s", "250ms".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML accepts Go duration strings.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use e.g. 500ms, 5s, 1m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back in Go syntax.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Size is a byte count written as 16777216, "64K", "16M" or "1G".
type Size int64

// UnmarshalYAML accepts plain numbers and K/M/G suffixes.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*s = Size(v)
	return nil
}

func parseSize(text string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(text))
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, strings.TrimSuffix(t, "K")
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, strings.TrimSuffix(t, "G")
	}
	var v int64
	if _, err := fmt.Sscanf(t, "%d", &v); err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a size (use e.g. 16M)", text)
	}
	return v * mult, nil
}

// Load reads, defaults and validates a config file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Path = path
	return cfg, nil
}

// Parse decodes YAML, rejecting unknown keys, then applies defaults and validates.
func Parse(data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, explainYAMLSyntax(data, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	cfg := &Config{}
	if err := dec.Decode(cfg); err != nil {
		return nil, cleanYAMLError(err)
	}
	secrets := &problems{root: &root}
	if cfg.resolveSecrets(secrets); secrets.err() != nil {
		return nil, secrets.err()
	}
	cfg.applyDefaults()
	if err := cfg.validate(&root); err != nil {
		return nil, err
	}
	return cfg, nil
}

// unknownAnchor is yaml's error for *NAME with no &NAME before it.
var unknownAnchor = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)

// unquotedEnvInFlow is a ${NAME} secret left unquoted inside { }, where
// YAML ends the mapping at its '}'.
var unquotedEnvInFlow = regexp.MustCompile(`(?m)^.*\{[^\n]*:\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}`)

// explainYAMLSyntax adds the fix to YAML syntax errors that the secrets'
// forms cause: an unquoted password_hash ('*' and hex) is read as an alias
// ("unknown anchor"), an unquoted ${NAME} inside { } ends the mapping.
func explainYAMLSyntax(data []byte, err error) error {
	if loc := unquotedEnvInFlow.FindIndex(data); loc != nil && strings.Contains(err.Error(), "did not find expected") {
		line := 1 + bytes.Count(data[:loc[0]], []byte("\n"))
		return fmt.Errorf("line %d: a ${NAME} value inside { } must be quoted, e.g. {user: strata, password: '${NAME}'} (YAML: %v)", line, err)
	}
	m := unknownAnchor.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	value := "*" + m[1]
	where := ""
	if i := bytes.Index(data, []byte(value)); i >= 0 {
		where = fmt.Sprintf("line %d: ", 1+bytes.Count(data[:i], []byte("\n")))
	}
	return fmt.Errorf("%s%s: a value starting with '*' is a YAML alias unless quoted; quote it, e.g. password_hash: '%s'", where, value, value)
}

func cleanYAMLError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
	msg = strings.ReplaceAll(msg, "in type config.", "in ")
	return fmt.Errorf("%s", strings.TrimSpace(msg))
}

// Defaults every user relies on; documented in docs/configuration.md.
const (
	DefaultListen          = "127.0.0.1:6033"
	DefaultAdminListen     = "127.0.0.1:6080"
	DefaultMaxQueryDigests = 10000
	// DefaultMaxPreparedStatements is MariaDB's max_prepared_stmt_count
	// default, which the server applies to all sessions together.
	DefaultMaxPreparedStatements = 16382
	DefaultMaxPulledRows         = 10000
	DefaultMaxMergeMemory        = 256 << 20
	DefaultMaxMergeMemoryTotal   = 1 << 30
	DefaultRowLocations          = 100000
	DefaultPool                  = "primary"
	DefaultMaxAllowedPacket      = 64 << 20
)

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.AdminListen == "" {
		c.AdminListen = DefaultAdminListen
	}
	if c.DefaultCluster == "" && len(c.Clusters) == 1 {
		for name := range c.Clusters {
			c.DefaultCluster = name
		}
	}
	for _, cl := range c.Clusters {
		cl.applyDefaults()
	}
	if c.Switchover.Timeout == 0 {
		c.Switchover.Timeout = Duration(DefaultSwitchoverTimeout)
	}
	for i := range c.Users {
		if c.Users[i].AuthPlugin == "" {
			c.Users[i].AuthPlugin = "mysql_native_password"
		}
	}
	c.Limits.applyDefaults()
	if c.Monitor.Interval == 0 {
		c.Monitor.Interval = Duration(time.Second)
	}
	if c.Monitor.FailAfter == 0 {
		c.Monitor.FailAfter = 2
	}
	if c.Monitor.RecoverAfter == 0 {
		c.Monitor.RecoverAfter = 2
	}
	if c.ResultCache.MaxSize == 0 {
		c.ResultCache.MaxSize = 64 << 20
	}
	if c.ResultCache.MaxEntrySize == 0 {
		c.ResultCache.MaxEntrySize = 1 << 20
	}
	if c.Sandbox.Dir == "" {
		c.Sandbox.Dir = ".strata-sandbox"
	}
	c.applyTableDefaults()
}

func (cl *Cluster) applyDefaults() {
	if cl.DefaultPool == "" {
		cl.DefaultPool = DefaultPool
	}
	if cl.Consistency == "" {
		cl.Consistency = "eventual"
	}
	if cl.ReadYourWritesWait == 0 {
		cl.ReadYourWritesWait = Duration(10 * time.Millisecond)
	}
	for i := range cl.Replicas {
		r := &cl.Replicas[i]
		if r.Pool == "" {
			r.Pool = DefaultPool
		}
		if r.Weight == 0 {
			r.Weight = 1
		}
	}
}

// DefaultClientIdleTimeout is limits.client_idle_timeout's default:
// MariaDB's own wait_timeout, which applications already live with.
const DefaultClientIdleTimeout = 8 * time.Hour

func (l *Limits) applyDefaults() {
	if l.MaxClientConnections == 0 {
		l.MaxClientConnections = 4096
	}
	if l.MaxConnsPerServer == 0 {
		l.MaxConnsPerServer = 256
	}
	if l.MaxIdlePerServer == 0 {
		l.MaxIdlePerServer = 64
	}
	if l.ConnectTimeout == 0 {
		l.ConnectTimeout = Duration(2 * time.Second)
	}
	if l.PoolWait == 0 {
		l.PoolWait = Duration(5 * time.Second)
	}
	if l.ClientIdleTimeout == 0 {
		l.ClientIdleTimeout = Duration(DefaultClientIdleTimeout)
	}
	if l.ShutdownTimeout == 0 {
		l.ShutdownTimeout = Duration(30 * time.Second)
	}
	if l.MaxAllowedPacket == 0 {
		l.MaxAllowedPacket = DefaultMaxAllowedPacket
	}
	if l.MaxQueryDigests == 0 {
		l.MaxQueryDigests = DefaultMaxQueryDigests
	}
	if l.MaxPreparedStatements == 0 {
		l.MaxPreparedStatements = DefaultMaxPreparedStatements
	}
	if l.MaxPulledRows == 0 {
		l.MaxPulledRows = DefaultMaxPulledRows
	}
	if l.MaxMergeMemory == 0 {
		l.MaxMergeMemory = DefaultMaxMergeMemory
	}
	if l.MaxMergeMemoryTotal == 0 {
		l.MaxMergeMemoryTotal = max(DefaultMaxMergeMemoryTotal, l.MaxMergeMemory)
	}
	if l.RowLocations == 0 {
		l.RowLocations = DefaultRowLocations
	}
}

// ClusterNames returns the cluster names in a stable order.
func (c *Config) ClusterNames() []string {
	names := make([]string, 0, len(c.Clusters))
	for n := range c.Clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// AllAddresses returns every server address of the config, primaries first,
// in a stable order.
func (c *Config) AllAddresses() []string {
	var out []string
	for _, name := range c.ClusterNames() {
		out = append(out, c.Clusters[name].Primary)
	}
	for _, name := range c.ClusterNames() {
		for _, r := range c.Clusters[name].Replicas {
			out = append(out, r.Address)
		}
	}
	return out
}

func validAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("%q is not host:port", addr)
	}
	return nil
}

// ProxyProtocol is the proxy_protocol section.
type ProxyProtocol struct {
	// Trusted lists the addresses or CIDRs of the load balancers (HAProxy
	// send-proxy / send-proxy-v2, AWS NLB, ...) allowed to say who the
	// client is; every connection from them must start with the header.
	Trusted []string `yaml:"trusted"`
}

// TrustedPrefixes is Trusted parsed (an address is a one-address prefix);
// entries that do not parse are left out (validate reports them).
func (p ProxyProtocol) TrustedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, t := range p.Trusted {
		if pre, err := parseTrusted(t); err == nil {
			out = append(out, pre)
		}
	}
	return out
}

func parseTrusted(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}
