package main

import (
	"fmt"
	"time"

	"github.com/strata-proxy/strata/admin"
)

const switchoverUsage = `usage: strata switchover CLUSTER [-to ADDRESS] [-timeout 10s] [-c FILE] [-json]

Makes a replica of CLUSTER its primary, as before maintenance on the
primary's host, losing no committed write: Strata holds new writes (they
wait, they are not refused) until the transactions open on the primary
end, makes the primary read_only, waits until the replica has applied its
last GTID position, promotes it, sends the held writes there and points
the old primary and the other replicas at it. The config file is saved
with the new primary. Without -to, the replica that is up with the least
lag is chosen. When transactions stay open past -timeout (default:
switchover.timeout of the config), nothing changes and the error says so.
Needs switchover.user and switchover.replication_user in the config.
`

// runSwitchover implements `strata switchover`.
func runSwitchover(args []string) error {
	fs, af := newAdminFlagSet("switchover", switchoverUsage, true)
	to := fs.String("to", "", "address of the replica to promote (default: the one up with the least lag)")
	timeout := fs.Duration("timeout", 0, "how long to wait for open transactions, then for the replica to catch up (default: switchover.timeout)")
	pos, err := parseArgs(fs, args, "CLUSTER")
	if err != nil {
		return helpIsNoError(err)
	}
	body := map[string]string{}
	if *to != "" {
		body["to"] = *to
	}
	if *timeout > 0 {
		body["timeout"] = timeout.String()
	}
	// Waits and catch-up are bounded by the timeout; repointing the
	// replicas takes connect timeouts on top.
	af.wait = 2*max(*timeout, 10*time.Second) + 30*time.Second
	var v admin.SwitchoverView
	if printed, err := callView(af, "POST", "/api/clusters/"+pathEscape(pos[0])+"/switchover", body, &v); printed || err != nil {
		return err
	}
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
	return nil
}
