package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

const minimal = `
listen: 127.0.0.1:6033
admin_listen: 127.0.0.1:6080
users:
  - {name: app, password: app}
backend: {user: strata, password: strata}
clusters:
  main:
    primary: 127.0.0.1:13306
    replicas:
      - {address: 127.0.0.1:13307, pool: primary}
      - {address: 127.0.0.1:13308}
`

func TestParseAppliesDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultCluster != "main" {
		t.Errorf("default cluster = %q, want main", cfg.DefaultCluster)
	}
	r := cfg.Clusters["main"].Replicas[1]
	if r.Pool != "primary" || r.Weight != 1 {
		t.Errorf("replica defaults = %+v", r)
	}
	if got := cfg.BusyPollBudget(); got != DefaultBusyPoll {
		t.Errorf("busy_poll defaults to %s, want %s", got, DefaultBusyPoll)
	}
	if off, err := Parse([]byte(minimal + "busy_poll: 0s\n")); err != nil || off.BusyPollBudget() != 0 {
		t.Errorf("busy_poll: 0s gives %v, %v; want 0 (off), not the default", off.BusyPollBudget(), err)
	}
	if cfg.Limits.MaxPulledRows != DefaultMaxPulledRows {
		t.Errorf("limits.max_pulled_rows defaults to %d, want %d", cfg.Limits.MaxPulledRows, DefaultMaxPulledRows)
	}
	if cfg.Limits.MaxMergeMemory != DefaultMaxMergeMemory {
		t.Errorf("limits.max_merge_memory defaults to %d, want %d", cfg.Limits.MaxMergeMemory, DefaultMaxMergeMemory)
	}
	if small, err := Parse([]byte(minimal + "limits: {max_merge_memory: 64M}\n")); err != nil || small.Limits.MaxMergeMemory != 64<<20 {
		t.Errorf("limits.max_merge_memory: 64M gives %d, %v; want %d", small.Limits.MaxMergeMemory, err, 64<<20)
	}
	if cfg.Limits.MaxMergeMemoryTotal != DefaultMaxMergeMemoryTotal {
		t.Errorf("limits.max_merge_memory_total defaults to %d, want %d", cfg.Limits.MaxMergeMemoryTotal, DefaultMaxMergeMemoryTotal)
	}
	if big, err := Parse([]byte(minimal + "limits: {max_merge_memory: 2G}\n")); err != nil || big.Limits.MaxMergeMemoryTotal != 2<<30 {
		t.Errorf("limits.max_merge_memory: 2G without a total gives a total of %d, %v; want the statement's 2G", big.Limits.MaxMergeMemoryTotal, err)
	}
	if cfg.Limits.MaxPreparedStatements != DefaultMaxPreparedStatements {
		t.Errorf("limits.max_prepared_statements defaults to %d, want MariaDB's %d", cfg.Limits.MaxPreparedStatements, DefaultMaxPreparedStatements)
	}
	if cfg.Monitor.Interval.D() != time.Second || cfg.Limits.MaxAllowedPacket != DefaultMaxAllowedPacket {
		t.Errorf("defaults not applied: %+v %+v", cfg.Monitor, cfg.Limits)
	}
	if got := cfg.AllAddresses(); strings.Join(got, ",") != "127.0.0.1:13306,127.0.0.1:13307,127.0.0.1:13308" {
		t.Errorf("addresses = %v", got)
	}
}

func TestParseRejectsWithLine(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", minimal + "bogus: 1\n", "line 13: field bogus not found"},
		{"bad address", strings.Replace(minimal, "127.0.0.1:13307", "nowhere", 1), "line 11: clusters.main.replicas.0.address: \"nowhere\" is not host:port"},
		{"duplicate address", strings.Replace(minimal, "13308", "13307", 1), "line 12: clusters.main.replicas.1.address: address 127.0.0.1:13307 is already used"},
		{"no users", strings.Replace(minimal, "  - {name: app, password: app}\n", "", 1), "users: at least one user"},
		{"bad duration", minimal + "monitor: {interval: soon}\n", "line 13: \"soon\" is not a duration"},
		{"bad plugin", strings.Replace(minimal, "password: app}", "password: app, auth_plugin: ed25519}", 1), "line 5: users.0.auth_plugin"},
		{"bad regexp", minimal + "routing:\n  - {match: {pattern: '('}, pool: batch}\n", "line 14: routing.0.match.pattern: is not a valid regular expression"},
		{"password and password_hash", strings.Replace(minimal, "password: app}", "password: app, password_hash: '*0123456789ABCDEF0123456789ABCDEF01234567'}", 1), "line 5: users.0.password_hash: set password or password_hash, not both"},
		{"password_hash not quoted", strings.Replace(minimal, "password: app}", "password_hash: *14E65567ABDB5135D0CFD9A70B3032C179A49EE7}", 1),
			"line 5: *14E65567ABDB5135D0CFD9A70B3032C179A49EE7: a value starting with '*' is a YAML alias unless quoted; quote it, e.g. password_hash: '*14E65567ABDB5135D0CFD9A70B3032C179A49EE7'"},
		{"${NAME} not quoted in a flow mapping", strings.Replace(minimal, "password: strata}", "password: ${STRATA_PW}}", 1),
			"line 6: a ${NAME} value inside { } must be quoted, e.g. {user: strata, password: '${NAME}'}"},
		{"short password_hash", strings.Replace(minimal, "password: app}", "password_hash: '*0123'}", 1), "line 5: users.0.password_hash: is not a mysql_native_password hash: want '*' and 40 hex digits"},
		{"password_hash without its star", strings.Replace(minimal, "password: app}", "password_hash: 0123456789ABCDEF0123456789ABCDEF0123456789}", 1), "line 5: users.0.password_hash: is not a mysql_native_password hash"},
		{"password_hash not hex", strings.Replace(minimal, "password: app}", "password_hash: '*0123456789ABCDEF0123456789ABCDEF0123456G'}", 1), "line 5: users.0.password_hash: is not a mysql_native_password hash: after the '*' only the hex digits"},
		{"server account without a user", strings.Replace(minimal, "password: app}", "password: app, backend: {password: x}}", 1), "line 5: users.0.backend.user: is required with backend.password"},
		{"server account with two passwords", strings.Replace(minimal, "  - {name: app, password: app}\n", "  - {name: app, password: app, backend: {user: rep, password: a}}\n  - {name: bi, password: bi, backend: {user: rep, password: b}}\n", 1), "line 6: users.1.backend.password: differs from another user's password for the server account rep"},
		{"negative user limit", strings.Replace(minimal, "password: app}", "password: app, max_connections: -1}", 1), "line 5: users.0.max_connections: must not be negative"},
		{"unknown transaction mode", minimal + "transactions: {mode: xa}\n", "line 13: transactions.mode: is \"xa\"; use single"},
		{"negative resolve_every", minimal + "transactions: {mode: twopc, resolve_every: -1s}\n", "line 13: transactions.resolve_every: must not be negative"},
		{"negative deadlock_check", minimal + "transactions: {mode: twopc, deadlock_check: -1s}\n", "line 13: transactions.deadlock_check: must not be negative"},
		{"deadlock_check too short for InnoDB to refresh its lock tables", minimal + "transactions: {mode: twopc, deadlock_check: 50ms}\n", "line 13: transactions.deadlock_check: must be at least 200ms"},
		{"writes on a routing rule", minimal + "routing:\n  - {match: {writes: true}, pool: batch}\n", "line 14: routing.0.match.writes: is only for refuse and rewrite rules"},
		{"backend tls mode", strings.Replace(minimal, "backend: {user: strata, password: strata}", "backend: {user: strata, password: strata, tls: {mode: yes}}", 1), "backend.tls.mode: \"yes\" is not a mode"},
		{"backend tls ca without verify", strings.Replace(minimal, "backend: {user: strata, password: strata}", "backend: {user: strata, password: strata, tls: {mode: required, ca: ca.pem}}", 1), "backend.tls: ca and server_name are only used with mode: verify"},
		{"backend tls ca missing", strings.Replace(minimal, "backend: {user: strata, password: strata}", "backend: {user: strata, password: strata, tls: {mode: verify, ca: /nonexistent/ca.pem}}", 1), "backend.tls.ca: reading backend.tls.ca"},
		{"admin auth without password", minimal + "admin_auth: {user: ops}\n", "line 13: admin_auth: needs both user and password"},
		{"switchover without a replication account", minimal + "switchover: {user: root}\n", "line 13: switchover.replication_user: is required with switchover.user"},
		{"replication account without a switchover account", minimal + "switchover: {replication_user: repl}\n", "line 13: switchover.user: is required"},
		{"negative switchover timeout", minimal + "switchover: {user: root, replication_user: repl, timeout: -1s}\n", "line 13: switchover.timeout: must not be negative"},
		{"refuse with a pool", minimal + "routing:\n  - {match: {digest: 'delete from `t`'}, pool: batch, refuse: no}\n", "line 14: routing.0.refuse: cannot be combined with pool, cache, timeout or max_running"},
		{"negative timeout", minimal + "routing:\n  - {match: {user: web}, pool: primary, timeout: -1s}\n", "line 14: routing.0.timeout: must not be negative"},
		{"refuse matching everything", minimal + "routing:\n  - {refuse: maintenance}\n", "line 14: routing.0.match: is empty: a refuse rule with no condition would refuse every statement"},
		{"rule with neither pool nor refuse", minimal + "routing:\n  - {match: {user: cron}}\n", "line 14: routing.0.pool: is required"},
		{"rewrite with a pool", minimal + "routing:\n  - {match: {user: cron}, pool: batch, rewrite: {from: a, to: b}}\n", "line 14: routing.0.rewrite: cannot be combined with refuse, pool, cache, timeout or max_running"},
		{"rewrite without from", minimal + "routing:\n  - {rewrite: {to: b}}\n", "line 14: routing.0.rewrite.from: is required"},
		{"rewrite from a bad regexp", minimal + "routing:\n  - {rewrite: {from: 'a(', to: b}}\n", "line 14: routing.0.rewrite.from: is not a valid regular expression"},
		{"unknown consistency", minimal + "    consistency: strong\n", "clusters.main.consistency: \"strong\" is not eventual, session or global"},
		{"bad fallback", minimal + "    pools: {primary: {fallback: nope}}\n", "clusters.main.pools.primary.fallback: names no pool"},
		{"negative threads", minimal + "threads: -2\n", "line 13: threads: must be between 0 (one per CPU) and 1024"},
		{"busy_poll too long", minimal + "busy_poll: 5ms\n", "line 13: busy_poll: must be between 0 (off) and 1ms (default 15µs)"},
		{"negative busy_poll", minimal + "busy_poll: -1us\n", "line 13: busy_poll: must be between 0 (off)"},
		{"bad proxy_protocol entry", minimal + "proxy_protocol:\n  trusted: [10.0.0.0/8, lb.example]\n", "line 14: proxy_protocol.trusted.1: \"lb.example\" is not an IP address or CIDR"},
		{"negative digest limit", minimal + "limits: {max_query_digests: -1}\n", "line 13: limits.max_query_digests: must not be negative"},
		{"negative pulled rows limit", minimal + "limits: {max_pulled_rows: -5}\n", "line 13: limits.max_pulled_rows: must not be negative"},
		{"listen_socket too long", minimal + "listen_socket: /run/" + strings.Repeat("s", 110) + ".sock\n", "line 13: listen_socket: must be a path of at most 107 bytes"},
		{"merge memory total below a statement's", minimal + "limits: {max_merge_memory: 64M, max_merge_memory_total: 32M}\n", "line 13: limits.max_merge_memory_total: must be at least limits.max_merge_memory"},
		{"merge memory below 1M", minimal + "limits: {max_merge_memory: 512K}\n", "line 13: limits.max_merge_memory: must be at least 1M"},
		{"unix_socket with a password", strings.Replace(minimal, "{name: app, password: app}", "{name: root, password: x, auth_plugin: unix_socket}", 1), "line 5: users.0.password: is not used with auth_plugin unix_socket"},
		{"unknown auth plugin", strings.Replace(minimal, "{name: app, password: app}", "{name: app, password: app, auth_plugin: pam}", 1), "users.0.auth_plugin: \"pam\" is not supported (use mysql_native_password, caching_sha2_password or unix_socket)"},
		{"negative prepared statement limit", minimal + "limits: {max_prepared_statements: -1}\n", "line 13: limits.max_prepared_statements: must not be negative"},
		{"socket of an unknown server", strings.Replace(minimal, "backend: {user: strata, password: strata}", "backend:\n  user: strata\n  sockets:\n    127.0.0.1:3306: /run/mysqld/mysqld.sock", 1),
			"line 9: backend.sockets.127.0.0.1:3306: 127.0.0.1:3306 is not the address of any cluster's primary or replica"},
		{"socket without a path", strings.Replace(minimal, "backend: {user: strata, password: strata}", "backend:\n  user: strata\n  sockets: {127.0.0.1:13307: \"\"}", 1),
			"line 8: backend.sockets.127.0.0.1:13307: needs the path of the server's Unix socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestBackendSocketsParse(t *testing.T) {
	yaml := strings.Replace(minimal, "backend: {user: strata, password: strata}",
		"backend:\n  user: strata\n  sockets:\n    127.0.0.1:13306: /tmp/primary.sock\n    127.0.0.1:13307: /tmp/replica.sock", 1)
	cfg, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"127.0.0.1:13306": "/tmp/primary.sock", "127.0.0.1:13307": "/tmp/replica.sock"}
	if len(cfg.Backend.Sockets) != len(want) {
		t.Fatalf("sockets = %v, want %v", cfg.Backend.Sockets, want)
	}
	for addr, path := range want {
		if cfg.Backend.Sockets[addr] != path {
			t.Errorf("socket of %s = %q, want %q", addr, cfg.Backend.Sockets[addr], path)
		}
	}
	if _, ok := cfg.Backend.Sockets["127.0.0.1:13308"]; ok {
		t.Error("a server without a socket must be reached over TCP")
	}
}

func TestParseSize(t *testing.T) {
	for text, want := range map[string]int64{"1024": 1024, "64K": 64 << 10, "16M": 16 << 20, "1g": 1 << 30} {
		got, err := parseSize(text)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", text, got, err, want)
		}
	}
	if _, err := parseSize("lots"); err == nil {
		t.Error("parseSize(lots) should fail")
	}
}

func TestProxyProtocolTrustedPrefixes(t *testing.T) {
	cfg, err := Parse([]byte(minimal + "proxy_protocol: {trusted: [10.1.2.3, 192.168.7.9/16, '::1']}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cfg.ProxyProtocol.TrustedPrefixes() {
		got = append(got, p.String())
	}
	if want := "10.1.2.3/32 192.168.0.0/16 ::1/128"; strings.Join(got, " ") != want {
		t.Errorf("trusted prefixes %v, want %s (an address is one host, a CIDR is masked)", got, want)
	}
}

// password_hash is read as MariaDB writes it: PASSWORD('secret') on a real
// server prints this hash (either case is taken), and a user given it has
// the same credential as one given the password.
func TestPasswordHash(t *testing.T) {
	const secretHash = "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7" // SELECT PASSWORD('secret')
	if got := FormatPasswordHash(NativePasswordHash("secret")); got != secretHash {
		t.Fatalf("hash of 'secret' = %s, want MariaDB's %s", got, secretHash)
	}
	for _, u := range []User{
		{Name: "a", Password: "secret"},
		{Name: "b", PasswordHash: secretHash},
		{Name: "c", PasswordHash: strings.ToLower(secretHash)},
	} {
		h, ok := u.NativeHash()
		if !ok || FormatPasswordHash(h) != secretHash {
			t.Errorf("user %+v: hash %s, %v; want %s", u, FormatPasswordHash(h), ok, secretHash)
		}
	}
	if _, ok := (User{Name: "nopass"}).NativeHash(); ok {
		t.Error("a user with neither password nor password_hash has a hash")
	}
}

// Passwords written as ${NAME} come from Strata's environment; a reference
// to a variable that is not set is an error naming the key, its line and
// the variable; a password that only contains a '$' is taken as written.
func TestSecretsFromEnvironment(t *testing.T) {
	t.Setenv("STRATA_TEST_BACKEND_PW", "b-secret")
	t.Setenv("STRATA_TEST_APP_PW", "a-secret")
	t.Setenv("STRATA_TEST_EMPTY", "")
	yaml := strings.NewReplacer(
		"{name: app, password: app}", "{name: app, password: '${STRATA_TEST_APP_PW}'}\n  - {name: lit, password: 'pa$${x}'}",
		"password: strata}", "password: '${STRATA_TEST_BACKEND_PW}'}",
	).Replace(minimal) + "admin_auth: {user: ops, password: '${STRATA_TEST_APP_PW}'}\n"
	cfg, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Backend.Password != "b-secret" || cfg.Users[0].Password != "a-secret" || cfg.AdminAuth.Password != "a-secret" {
		t.Errorf("resolved: backend %q, app %q, admin %q", cfg.Backend.Password, cfg.Users[0].Password, cfg.AdminAuth.Password)
	}
	if cfg.Users[1].Password != "pa$${x}" {
		t.Errorf("a literal password with '$' became %q", cfg.Users[1].Password)
	}
	for _, tt := range []struct{ name, yaml, want string }{
		{"unset", strings.Replace(minimal, "password: strata}", "password: '${STRATA_TEST_UNSET}'}", 1),
			"line 6: backend.password: names the environment variable STRATA_TEST_UNSET, which is not set"},
		{"empty", minimal + "switchover: {user: root, password: '${STRATA_TEST_EMPTY}', replication_user: repl}\n",
			"line 13: switchover.password: names the environment variable STRATA_TEST_EMPTY, which is not set (or empty)"},
	} {
		if _, err := Parse([]byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	// Saving the topology keeps the reference, never the secret.
	cfg.Clusters["main"].Replicas[1].Pool = "batch"
	out, err := RenderTopology([]byte(yaml), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "'${STRATA_TEST_BACKEND_PW}'") || strings.Contains(string(out), "b-secret") {
		t.Errorf("rewritten file:\n%s", out)
	}
}

// The example at the top of docs/configuration.md is a valid config, so
// what a newcomer copies from it starts.
func TestDocumentedExampleIsValid(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	example, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/configuration.md has no yaml example")
	}
	t.Setenv("STRATA_BACKEND_PASSWORD", "from-the-environment")
	cfg, err := Parse([]byte(example))
	if err != nil {
		t.Fatalf("the documented example: %v", err)
	}
	if cfg.Backend.Password != "from-the-environment" {
		t.Errorf("backend.password = %q, want it from the environment", cfg.Backend.Password)
	}
}
