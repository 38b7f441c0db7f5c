package main

import (
	"fmt"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/switchover"
)

const switchoverUsage = `usage: strata switchover CLUSTER [-to ADDRESS] [-timeout 10s] [-force] [-c FILE] [-json]

Makes a replica of CLUSTER its primary, as before maintenance on the
primary's host, losing no committed write: Strata holds new writes (they
wait, they are not refused) until the transactions open on the primary
end, makes the primary read_only, waits until the replica has applied its
last GTID position, promotes it, sends the held writes there and points
the old primary and the other replicas at it. The config file is saved
with the new primary. Without -to, the replica that is up with the least
lag is chosen. When transactions stay open past -timeout (default:
switchover.timeout of the config), nothing changes and the error names the
sessions that hold the primary; -force closes them instead (their open
transactions roll back) and goes on.
Needs switchover.user and switchover.replication_user in the config.
`

// runSwitchover implements `strata switchover`.
func runSwitchover(args []string) error {
	fs, af := newAdminFlagSet("switchover", switchoverUsage, true)
	to := fs.String("to", "", "address of the replica to promote (default: the one up with the least lag)")
	timeout := fs.Duration("timeout", 0, "how long to wait for open transactions, then for the replica to catch up (default: switchover.timeout)")
	force := fs.Bool("force", false, "at the timeout, close the client sessions still holding the primary (their open transactions roll back) instead of giving up")
	pos, err := parseArgs(fs, args, "CLUSTER")
	if err != nil {
		return helpIsNoError(err)
	}
	body := map[string]any{}
	if *to != "" {
		body["to"] = *to
	}
	if *timeout > 0 {
		body["timeout"] = timeout.String()
	}
	if *force {
		body["force"] = true
	}
	// Waits and catch-up are bounded by the timeout; repointing the
	// replicas takes connect timeouts on top.
	af.wait = 2*max(*timeout, 10*time.Second) + 30*time.Second
	var v admin.SwitchoverView
	if printed, err := callView(af, "POST", "/api/clusters/"+pathEscape(pos[0])+"/switchover", body, &v); printed || err != nil {
		return err
	}
	printPrimaryChange(v)
	return nil
}

// printPrimaryChange shows a switchover's or failover's report.
func printPrimaryChange(v admin.SwitchoverView) {
	fmt.Fprintf(cliOut, "cluster %s: primary %s -> %s (GTID %s applied), writes held %.0f ms\n",
		v.Cluster, v.OldPrimary, v.NewPrimary, orDash(v.GTID), v.WritesHeldMs)
	for _, st := range v.Steps {
		fmt.Fprintf(cliOut, "  %8.1f ms  %s\n", st.Ms, st.Name)
	}
	for _, w := range v.Warnings {
		fmt.Fprintf(cliOut, "warning: %s\n", w)
	}
	if v.ConfigSaved != "" {
		fmt.Fprintf(cliOut, "config saved: %s\n", v.ConfigSaved)
	} else {
		fmt.Fprintf(cliOut, "warning: the config file was not saved (%s): save it (strata config save) before a reload or restart, or they bring back %s as the primary\n", v.ConfigNotSaved, v.OldPrimary)
	}
}

const failoverUsage = `usage: strata failover CLUSTER [-c FILE] [-json]

Replaces CLUSTER's primary, which must be down (strata topology), with the
replica that received the most of its writes, as switchover.auto_failover
does by itself: that replica applies what it received, is promoted, writes
go to it, the other replicas follow it and the failed primary stays
drained. Refused while a replica is still connected to the primary (it is
alive; only Strata cannot reach it).
`

// runFailover implements `strata failover`.
func runFailover(args []string) error {
	fs, af := newAdminFlagSet("failover", failoverUsage, true)
	pos, err := parseArgs(fs, args, "CLUSTER")
	if err != nil {
		return helpIsNoError(err)
	}
	af.wait = 2 * time.Minute
	var v admin.SwitchoverView
	if printed, err := callView(af, "POST", "/api/clusters/"+pathEscape(pos[0])+"/failover", nil, &v); printed || err != nil {
		return err
	}
	printPrimaryChange(v)
	return nil
}

const switchoversUsage = `usage: strata switchovers [-c FILE] [-json]

Lists the switchovers, failovers and rejoins since Strata started, done or
refused, and the primary changes it followed, newest first.
`

// runSwitchovers implements `strata switchovers`.
func runSwitchovers(args []string) error {
	fs, af := newAdminFlagSet("switchovers", switchoversUsage, true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var list []switchover.Event
	if printed, err := callView(af, "GET", "/api/switchovers", nil, &list); printed || err != nil {
		return err
	}
	tw := newTable()
	fmt.Fprintln(tw, "AT\tKIND\tCLUSTER\tFROM\tTO\tGTID\tHELD MS\tRESULT")
	for _, ev := range list {
		at := ev.At.Local().Format("2006-01-02 15:04:05")
		if ev.Report == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t-\trefused: %s\n", at, ev.Kind, ev.Cluster, ev.Error)
			continue
		}
		r := ev.Report
		result := "done"
		if n := len(r.Warnings); n > 0 {
			result = fmt.Sprintf("done, %d warnings", n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n", at, ev.Kind, ev.Cluster, r.OldPrimary, r.NewPrimary, orDash(r.GTID), r.WritesHeldMs, result)
	}
	return tw.Flush()
}
