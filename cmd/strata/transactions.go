package main

import (
	"fmt"
	"slices"

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
