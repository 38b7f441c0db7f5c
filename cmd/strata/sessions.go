package main

import (
	"fmt"
	"strings"

	"github.com/strata-proxy/strata/session"
)

const sessionsUsage = `usage: strata sessions [-c FILE] [-json]

Shows a running Strata's client sessions, like a server's process list:
Strata's connection id (the one KILL takes), user, client, what each runs
now — the statement (literals as ?), for how long, on which servers — and
whether it has a transaction open.
`

// runSessions implements `strata sessions`.
func runSessions(args []string) error {
	fs, af := newAdminFlagSet("sessions", sessionsUsage, true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var list []session.Info
	if printed, err := callView(af, "GET", "/api/sessions", nil, &list); printed || err != nil {
		return err
	}
	tw := newTable()
	fmt.Fprintln(tw, "ID\tUSER\tCLIENT\tSTATE\tTIME MS\tTX\tSERVERS\tSTATEMENT")
	for _, in := range list {
		tx, ms := "-", "-"
		if in.InTransaction {
			tx = "open"
		}
		if in.State == "query" {
			ms = fmt.Sprintf("%.0f", in.RunningMs)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.User, in.Client, in.State, ms, tx,
			orDash(strings.Join(in.Servers, ",")), orDash(in.Statement))
	}
	return tw.Flush()
}
