package main

import (
	"fmt"
	"strings"

	"github.com/strata-proxy/strata/admin"
)

const settingsUsage = `usage: strata settings [-c FILE] [-json]

Shows the settings of a running Strata that a reload changes, as they
apply now: limits, slow_log, zone, transactions.mode, threads, busy_poll,
the backend account, the admin port's and the PROXY protocol's settings,
the client certificate and its expiry, the result cache's bounds. Use it
after strata reload to check that a change took.
`

// runSettings implements `strata settings`.
func runSettings(args []string) error {
	fs, af := newAdminFlagSet("settings", settingsUsage, true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var v admin.Settings
	if printed, err := callView(af, "GET", "/api/settings", nil, &v); printed || err != nil {
		return err
	}
	l := v.Limits
	tw := newTable()
	row := func(k string, val any) { fmt.Fprintf(tw, "%s\t%v\n", k, val) }
	row("config", v.ConfigPath)
	row("limits.max_client_connections", l.MaxClientConnections)
	row("limits.max_conns_per_server", l.MaxConnsPerServer)
	row("limits.max_idle_per_server", l.MaxIdlePerServer)
	row("limits.connect_timeout", l.ConnectTimeout)
	row("limits.pool_wait", l.PoolWait)
	row("limits.client_idle_timeout", l.ClientIdleTimeout)
	row("limits.shutdown_timeout", l.ShutdownTimeout)
	row("limits.max_allowed_packet", l.MaxAllowedPacket)
	row("limits.max_query_digests", l.MaxQueryDigests)
	row("limits.max_prepared_statements", l.MaxPreparedStatements)
	row("limits.max_pulled_rows", l.MaxPulledRows)
	row("limits.max_merge_memory", l.MaxMergeMemory)
	row("limits.max_merge_memory_total", l.MaxMergeMemoryTotal)
	row("slow_log", fmt.Sprintf("%g ms", v.SlowLogMs))
	row("zone", v.Zone)
	row("transactions.mode", v.Transactions)
	row("threads", v.Threads)
	row("busy_poll", v.BusyPoll)
	row("backend.user", v.BackendUser)
	row("admin_auth", v.AdminAuth)
	row("admin_pprof", v.AdminPprof)
	row("proxy_protocol.trusted", strings.Join(v.ProxyTrusted, ", "))
	cert := v.TLSCertificate
	file := cert.File
	if file == "" {
		file = "self-signed"
	}
	row("tls certificate", fmt.Sprintf("%s (%s), expires %s, in %d days", cert.Subject, file, cert.NotAfter.Format("2006-01-02"), cert.DaysLeft))
	if c := v.ResultCache; c != nil {
		row("result_cache", fmt.Sprintf("max_size %d, max_entry_size %d", c.MaxSize, c.MaxEntrySize))
	}
	return tw.Flush()
}
