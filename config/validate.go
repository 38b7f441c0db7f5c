package config

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// problems collects validation errors, each prefixed with the line of the
// key it is about, so one run reports every mistake in the file.
type problems struct {
	root *yaml.Node
	errs []error
}

func (p *problems) add(path string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line := lineOf(p.root, path); line > 0 {
		p.errs = append(p.errs, fmt.Errorf("line %d: %s: %s", line, path, msg))
		return
	}
	p.errs = append(p.errs, fmt.Errorf("%s: %s", path, msg))
}

// addAt is add for a key whose path cannot be walked (a dot in a name).
func (p *problems) addAt(line int, path string, format string, args ...any) {
	if line <= 0 {
		p.add(path, format, args...)
		return
	}
	p.errs = append(p.errs, fmt.Errorf("line %d: %s: %s", line, path, fmt.Sprintf(format, args...)))
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// lineOf finds the line of a dotted path such as "clusters.main.replicas.1.pool".
// It returns the deepest line it could reach, so a missing key points at its parent.
func lineOf(root *yaml.Node, path string) int {
	n := document(root)
	line := 0
	for _, part := range strings.Split(path, ".") {
		if n == nil {
			break
		}
		next, keyLine := child(n, part)
		if keyLine > 0 {
			line = keyLine
		}
		n = next
	}
	return line
}

func child(n *yaml.Node, key string) (*yaml.Node, int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1], n.Content[i].Line
			}
		}
	case yaml.SequenceNode:
		var idx int
		if _, err := fmt.Sscanf(key, "%d", &idx); err == nil && idx >= 0 && idx < len(n.Content) {
			return n.Content[idx], n.Content[idx].Line
		}
	}
	return nil, 0
}

func (c *Config) validate(root *yaml.Node) error {
	p := &problems{root: root}
	if err := validAddress(c.Listen); err != nil {
		p.add("listen", "%v", err)
	}
	if err := validAddress(c.AdminListen); err != nil {
		p.add("admin_listen", "%v", err)
	}
	if a := c.AdminAuth; (a.User == "") != (a.Password == "") {
		p.add("admin_auth", "needs both user and password (or neither: no authentication)")
	}
	if c.SlowLog < 0 {
		p.add("slow_log", "must not be negative (0: off)")
	}
	for i, t := range c.ProxyProtocol.Trusted {
		if _, err := parseTrusted(t); err != nil {
			p.add(fmt.Sprintf("proxy_protocol.trusted.%d", i), "%q is not an IP address or CIDR (e.g. 10.0.0.5 or 10.0.0.0/24): list the load balancers that send the PROXY header", t)
		}
	}
	if b := c.BusyPollBudget(); b < 0 || b > MaxBusyPoll {
		p.add("busy_poll", "must be between 0 (off) and %s (default %s)", MaxBusyPoll, DefaultBusyPoll)
	}
	if c.Threads < 0 || c.Threads > 1024 {
		p.add("threads", "must be between 0 (one per CPU) and 1024")
	}
	c.validateUsers(p)
	if c.Backend.User == "" {
		p.add("backend.user", "is required: the account Strata uses to log in to the servers")
	}
	c.validateSwitchover(p)
	c.validateTransactions(p)
	c.validateClusters(p)
	c.validateSockets(p)
	c.validateBackendTLS(p)
	c.validateRouting(p)
	c.validateTables(p)
	if path := c.ListenSocket; path != "" && len(absPath(path)) > 107 {
		p.add("listen_socket", "must be a path of at most 107 bytes from the root (a Unix socket's limit), such as /run/strata/strata.sock")
	}
	c.validateLimits(p)
	return p.err()
}

// validateSwitchover checks the accounts and timeout switchovers use.
func (c *Config) validateSwitchover(p *problems) {
	if sw := c.Switchover; sw.User != "" && sw.ReplicationUser == "" {
		p.add("switchover.replication_user", "is required with switchover.user: the account replicas log in to their new primary with")
	} else if sw.User == "" && sw.ReplicationUser != "" {
		p.add("switchover.user", "is required with switchover.replication_user: the account that sets read_only and repoints replication")
	}
	if c.Switchover.Timeout < 0 {
		p.add("switchover.timeout", "must not be negative (default %s)", DefaultSwitchoverTimeout)
	}
}

// validateTransactions checks how transactions across clusters commit,
// and the intervals of their resolver and deadlock checks.
func (c *Config) validateTransactions(p *problems) {
	switch c.Transactions.Mode {
	case "", TxSingle, TxTwoPC:
	default:
		p.add("transactions.mode", "is %q; use single (a transaction stays on one cluster) or twopc (it may write several, committed with two-phase commit)", c.Transactions.Mode)
	}
	if c.Transactions.TwoPC() {
		for name := range c.Clusters {
			if len(name) > 64 {
				p.add("transactions.mode", "twopc names the coordinating cluster in each XA transaction id, which holds at most 64 bytes; cluster %q is longer", name)
			}
		}
	}
	if c.Transactions.ResolveEvery < 0 {
		p.add("transactions.resolve_every", "must not be negative (default %s)", DefaultResolveEvery)
	}
	switch d := c.Transactions.DeadlockCheck.D(); {
	case d < 0:
		p.add("transactions.deadlock_check", "must not be negative (default %s)", DefaultDeadlockCheck)
	case d > 0 && d < MinDeadlockCheck:
		// InnoDB refreshes its information_schema lock tables only after
		// 100 ms unread: reads more often would see one stale snapshot.
		p.add("transactions.deadlock_check", "must be at least %s: InnoDB shows new lock waits only to readers that pause 100 ms (default %s)", MinDeadlockCheck, DefaultDeadlockCheck)
	}
}

// validateLimits checks the limits: each within what it can mean, and
// the ones bounded by another not past it.
func (c *Config) validateLimits(p *problems) {
	if c.Limits.MaxIdlePerServer > c.Limits.MaxConnsPerServer {
		p.add("limits.max_idle_per_server", "must not exceed max_conns_per_server (%d)", c.Limits.MaxConnsPerServer)
	}
	if c.Limits.MaxAllowedPacket < 1024 || c.Limits.MaxAllowedPacket > 1<<30 {
		p.add("limits.max_allowed_packet", "must be between 1K and 1G")
	}
	if c.Limits.ShutdownTimeout < 0 {
		p.add("limits.shutdown_timeout", "must not be negative (default 30s)")
	}
	if c.Limits.ClientIdleTimeout < 0 {
		p.add("limits.client_idle_timeout", "must not be negative (default %s, like MariaDB's wait_timeout)", DefaultClientIdleTimeout)
	}
	if c.Limits.MaxPreparedStatements < 0 {
		p.add("limits.max_prepared_statements", "must not be negative (statements one client session may keep prepared; default %d)", DefaultMaxPreparedStatements)
	}
	if c.Limits.RowLocations < -1 {
		p.add("limits.row_locations", "must be -1 (remember none) or more (rows whose shard Strata remembers, to run statements by a unique: column on that shard alone; default %d)", DefaultRowLocations)
	}
	if c.Limits.MaxPulledRows < 0 {
		p.add("limits.max_pulled_rows", "must not be negative (rows Strata reads from one table to run a statement over sharded tables on one server; default %d)", DefaultMaxPulledRows)
	}
	if c.Limits.MaxMergeMemory < 1<<20 {
		p.add("limits.max_merge_memory", "must be at least 1M (memory one statement's merge over shards may hold; default %s)", fmt.Sprintf("%dM", DefaultMaxMergeMemory>>20))
	}
	if c.Limits.MaxMergeMemoryTotal < c.Limits.MaxMergeMemory {
		p.add("limits.max_merge_memory_total", "must be at least limits.max_merge_memory (%d bytes): it bounds all statements' merges together", c.Limits.MaxMergeMemory)
	}
	if c.Limits.MaxQueryDigests < 0 {
		p.add("limits.max_query_digests", "must not be negative (the statistics keep this many statement shapes; default %d)", DefaultMaxQueryDigests)
	}
}

func (c *Config) validateUsers(p *problems) {
	if len(c.Users) == 0 {
		p.add("users", "at least one user is required: applications log in to Strata with it")
	}
	seen := map[string]bool{}
	accounts := map[string]string{} // users[].backend: server account → password
	for i, u := range c.Users {
		path := fmt.Sprintf("users.%d", i)
		if u.Name == "" {
			p.add(path+".name", "is required")
		}
		if seen[u.Name] {
			p.add(path+".name", "user %q is listed twice", u.Name)
		}
		seen[u.Name] = true
		if u.PasswordHash != "" {
			if u.Password != "" {
				p.add(path+".password_hash", "set password or password_hash, not both")
			} else if _, err := ParsePasswordHash(u.PasswordHash); err != nil {
				p.add(path+".password_hash", "%v", err)
			}
		}
		switch u.AuthPlugin {
		case "mysql_native_password", "caching_sha2_password":
		case "unix_socket":
			if u.Password != "" || u.PasswordHash != "" {
				p.add(path+".password", "is not used with auth_plugin unix_socket: the client logs in through listen_socket as the operating-system user of this name; remove it")
			}
		default:
			p.add(path+".auth_plugin", "%q is not supported (use mysql_native_password, caching_sha2_password or unix_socket)", u.AuthPlugin)
		}
		if u.Backend.Password != "" && u.Backend.User == "" {
			p.add(path+".backend.user", "is required with backend.password: the server account this user's statements run as")
		}
		if a := u.Backend.User; a != "" {
			if pw, ok := accounts[a]; ok && pw != u.Backend.Password {
				p.add(path+".backend.password", "differs from another user's password for the server account %s: an account has one password", a)
			}
			accounts[a] = u.Backend.Password
		}
		if u.MaxConnections < 0 {
			p.add(path+".max_connections", "must not be negative (0: only limits.max_client_connections applies)")
		}
	}
}

func (c *Config) validateClusters(p *problems) {
	if len(c.Clusters) == 0 {
		p.add("clusters", "at least one cluster is required")
		return
	}
	if _, ok := c.Clusters[c.DefaultCluster]; !ok {
		p.add("default_cluster", "names no cluster (%q); set it to one of: %s", c.DefaultCluster, strings.Join(c.ClusterNames(), ", "))
	}
	owner := map[string]string{}
	claim := func(path, addr string) {
		if prev, dup := owner[addr]; dup {
			p.add(path, "address %s is already used by %s", addr, prev)
		}
		owner[addr] = path
	}
	for _, name := range c.ClusterNames() {
		cl := c.Clusters[name]
		base := "clusters." + name
		if cl.Primary == "" {
			p.add(base+".primary", "is required")
		} else if err := validAddress(cl.Primary); err != nil {
			p.add(base+".primary", "%v", err)
		} else {
			claim(base+".primary", cl.Primary)
		}
		switch cl.Consistency {
		case "eventual", "session", "global":
		default:
			p.add(base+".consistency", "%q is not eventual, session or global", cl.Consistency)
		}
		pools := map[string]bool{}
		for i, r := range cl.Replicas {
			path := fmt.Sprintf("%s.replicas.%d", base, i)
			if err := validAddress(r.Address); err != nil {
				p.add(path+".address", "%v", err)
			} else {
				claim(path+".address", r.Address)
			}
			if r.Weight < 0 {
				p.add(path+".weight", "must be positive")
			}
			pools[r.Pool] = true
		}
		for poolName, pc := range cl.Pools {
			path := base + ".pools." + poolName
			switch pc.Balance {
			case "", "random", "least_connections", "affinity":
			default:
				p.add(path+".balance", "%q is not random, least_connections or affinity", pc.Balance)
			}
			if pc.Fallback != "" && pc.Fallback != "primary" && !pools[pc.Fallback] && cl.Pools[pc.Fallback] == nil {
				p.add(path+".fallback", "names no pool of cluster %s (%q)", name, pc.Fallback)
			}
		}
	}
}

func (c *Config) validateRouting(p *problems) {
	for i, r := range c.Routing {
		path := fmt.Sprintf("routing.%d", i)
		switch {
		case r.Rewrite != nil && (r.Refuse != "" || r.Pool != "" || r.Cache != 0 || r.Timeout != 0 || r.MaxRunning != 0):
			p.add(path+".rewrite", "cannot be combined with refuse, pool, cache, timeout or max_running: a rule either rewrites statements, refuses them or routes reads; make two rules (a rewritten statement meets the other rules)")
		case r.Rewrite != nil && r.Rewrite.From == "":
			p.add(path+".rewrite.from", "is required: the regular expression whose matches in a statement's text are replaced by rewrite.to")
		case r.Rewrite != nil:
			if _, err := regexp.Compile(r.Rewrite.From); err != nil {
				p.add(path+".rewrite.from", "is not a valid regular expression: %v", err)
			}
		case r.Refuse != "" && (r.Pool != "" || r.Cache != 0 || r.Timeout != 0 || r.MaxRunning != 0):
			p.add(path+".refuse", "cannot be combined with pool, cache, timeout or max_running: a rule either refuses statements or routes reads; make two rules")
		case r.MaxRunning < 0:
			p.add(path+".max_running", "must not be negative (0: no bound)")
		case r.Timeout < 0:
			p.add(path+".timeout", "must not be negative (0: no limit)")
		case r.Refuse != "" && r.Match.empty():
			p.add(path+".match", "is empty: a refuse rule with no condition would refuse every statement; name a digest, pattern, table, user, schema, client or hint")
		case r.Refuse == "" && r.Match.Writes:
			p.add(path+".match.writes", "is only for refuse and rewrite rules: writes always go to the primary, never to a pool")
		case r.Refuse == "" && r.Pool == "":
			p.add(path+".pool", "is required: the pool that matching reads go to (or refuse: MESSAGE to refuse matching statements, or rewrite: {from, to} to change their text)")
		}
		if r.Match.Pattern != "" {
			if _, err := regexp.Compile(r.Match.Pattern); err != nil {
				p.add(path+".match.pattern", "is not a valid regular expression: %v", err)
			}
		}
		if r.Match.Client != "" && !strings.Contains(r.Match.Client, "/") && net.ParseIP(r.Match.Client) == nil {
			p.add(path+".match.client", "%q is neither an IP address nor a CIDR", r.Match.Client)
		} else if strings.Contains(r.Match.Client, "/") {
			if _, _, err := net.ParseCIDR(r.Match.Client); err != nil {
				p.add(path+".match.client", "%v", err)
			}
		}
	}
}

// validateSockets checks that backend.sockets names servers of the
// clusters, so a typo does not silently leave a server on TCP.
func (c *Config) validateSockets(p *problems) {
	servers := map[string]bool{}
	for _, cl := range c.Clusters {
		servers[cl.Primary] = true
		for _, r := range cl.Replicas {
			servers[r.Address] = true
		}
	}
	var sockets *yaml.Node
	if doc := document(p.root); doc != nil {
		if b, _ := child(doc, "backend"); b != nil {
			sockets, _ = child(b, "sockets")
		}
	}
	for _, addr := range sortedKeys(c.Backend.Sockets) {
		line := 0
		if sockets != nil {
			_, line = child(sockets, addr)
		}
		path := "backend.sockets." + addr
		switch {
		case !servers[addr]:
			p.addAt(line, path, "%s is not the address of any cluster's primary or replica; list a server exactly as it appears under clusters", addr)
		case c.Backend.Sockets[addr] == "":
			p.addAt(line, path, "needs the path of the server's Unix socket (its socket= setting)")
		}
	}
}

func document(root *yaml.Node) *yaml.Node {
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		return root.Content[0]
	}
	return root
}

// absPath is path from the root (a relative one from the working
// directory, as Strata binds it).
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
