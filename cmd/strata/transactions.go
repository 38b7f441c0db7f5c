package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/strata-proxy/strata/admin"
)

const transactionsUsage = `usage: strata transactions [resolve] [-c FILE] [-json]

Shows the transaction mode of a running Strata and the prepared branches of
its transactions across clusters (transactions.mode: twopc) that are not
settled yet: normally none. A branch that stays waits for its coordinating
cluster's primary; "resolve" settles what can be settled now.
`

// runTransactions implements `strata transactions [resolve]`.
func runTransactions(args []string) error {
	fs, af := newAdminFlagSet("transactions", transactionsUsage, true)
	var want []string
	if slices.Contains(args, "resolve") {
		want = []string{"resolve"}
	}
	pos, err := parseArgs(fs, args, want...)
	if err != nil {
		return helpIsNoError(err)
	}
	if len(pos) == 1 {
		var v admin.ResolveView
		if printed, err := callView(af, "POST", "/api/transactions/resolve", nil, &v); printed || err != nil {
			return err
		}
		fmt.Fprintf(cliOut, "settled %d prepared branches\n", v.Settled)
		return nil
	}
	var v admin.TransactionsView
	if printed, err := callView(af, "GET", "/api/transactions", nil, &v); printed || err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "mode %s, %d prepared branches waiting\n", v.Mode, len(v.Prepared))
	if len(v.Prepared) == 0 {
		return nil
	}
	tw := newTable()
	fmt.Fprintln(tw, "CLUSTER\tCOORDINATOR\tGTRID")
	for _, p := range v.Prepared {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Cluster, p.Coordinator, p.Gtrid)
	}
	return tw.Flush()
}

const deadlocksUsage = `usage: strata deadlocks [-c FILE] [-json]

Shows what a running Strata's detector of deadlocks across servers did:
how often it looks, whether its last look failed (then such deadlocks wait
out innodb_lock_wait_timeout), and the latest deadlocks it broke, newest
first, with the sessions that waited for each other and the one whose
statement got error 1213.
`

// runDeadlocks implements `strata deadlocks`.
func runDeadlocks(args []string) error {
	fs, af := newAdminFlagSet("deadlocks", deadlocksUsage, true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var v admin.DeadlocksView
	if printed, err := callView(af, "GET", "/api/deadlocks", nil, &v); printed || err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "checks every %s, %d deadlocks broken\n", v.CheckEvery, v.Broken)
	if v.Failing != "" {
		fmt.Fprintf(cliOut, "the last check failed (deadlocks across servers wait for innodb_lock_wait_timeout until it works): %s\n", v.Failing)
	}
	if len(v.Recent) == 0 {
		return nil
	}
	tw := newTable()
	fmt.Fprintln(tw, "AT\tSESSIONS\tSERVERS\tVICTIM\tVICTIM SERVER")
	for _, d := range v.Recent {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", d.At.UTC().Format(time.RFC3339), joinIDs(d.Sessions), strings.Join(d.Servers, ","), d.Victim, d.VictimServer)
	}
	return tw.Flush()
}

func joinIDs(ids []uint32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatUint(uint64(id), 10)
	}
	return strings.Join(s, ",")
}
