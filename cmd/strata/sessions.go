package main

import (
	"fmt"
	"strings"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/session"
)

const sessionsUsage = `usage: strata sessions [-c FILE] [-json]

Shows a running Strata's client sessions, like a server's process list:
Strata's connection id (the one KILL takes), user, client, the PROGRAM the
client says it is (its program_name connection attribute, else its driver,
and its process id on its host), its LINK (tls, compressed, both, or - for
neither), what each runs
now — the statement (literals as ?), for how long, on which servers —
or for how long an idle one has waited for its client (TIME MS),
what it holds in Strata's own memory (MEMORY: a merge's in-memory sort or
DISTINCT set, rows read first), whether it has a transaction open, and the
server it keeps a connection to between statements (HOLDS: its
transaction, temporary tables or locks live there; a switchover waits for
these).
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
	fmt.Fprintln(tw, "ID\tUSER\tACCOUNT\tCLIENT\tPROGRAM\tLINK\tSTATE\tTIME MS\tMEMORY\tTX\tHOLDS\tSERVERS\tSTATEMENT")
	for _, in := range list {
		tx, ms := "-", "-"
		if in.InTransaction {
			tx = "open"
		}
		switch in.State {
		case "query":
			ms = fmt.Sprintf("%.0f", in.RunningMs)
		case "idle":
			ms = fmt.Sprintf("%.0f", in.IdleMs)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.User, in.ServerAccount, in.Client, program(in.ClientAttrs), link(in), in.State, ms, humanBytes(in.MergeMemory), tx, orDash(in.Holds),
			orDash(strings.Join(in.Servers, ",")), orDash(in.Statement))
	}
	return tw.Flush()
}

// program names the client's program as it says: program_name, else its
// driver, with its process id; "-" when it said nothing.
func program(a session.ClientAttrs) string {
	name := a.Program
	if name == "" {
		name = a.Driver
	}
	if a.PID != "" {
		name = strings.TrimSpace(name + " pid " + a.PID)
	}
	return orDash(name)
}

// link says how a client's connection carries its packets: "tls",
// "compressed", both, or "-" for neither.
func link(in session.Info) string {
	var parts []string
	if in.TLS {
		parts = append(parts, "tls")
	}
	if in.Compressed {
		parts = append(parts, "compressed")
	}
	return orDash(strings.Join(parts, ","))
}

// humanBytes writes a byte count short, for a table: 512B, 40K, 1.5M; "-"
// for none.
func humanBytes(n int64) string {
	switch {
	case n <= 0:
		return "-"
	case n < 1<<10:
		return fmt.Sprintf("%dB", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0fK", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
}

const killUsage = `usage: strata kill ID [-query] [-c FILE] [-json]

KILL for an operator: ends the client session ID (as strata sessions and
KILL inside the protocol number it). -query interrupts only the statement
it runs now and keeps the client connected.
`

// runKill implements `strata kill`.
func runKill(args []string) error {
	fs, af := newAdminFlagSet("kill", killUsage, true)
	queryOnly := fs.Bool("query", false, "interrupt the running statement only")
	pos, err := parseArgs(fs, args, "ID")
	if err != nil {
		return helpIsNoError(err)
	}
	var res admin.KillResult
	if printed, err := callView(af, "POST", "/api/sessions/"+pathEscape(pos[0])+"/kill", map[string]bool{"query": *queryOnly}, &res); printed || err != nil {
		return err
	}
	what := "session %d: its connection was closed"
	if res.Killed == "query" {
		what = "session %d: its statement was interrupted; the client stays connected"
	}
	fmt.Fprintf(cliOut, what, res.ID)
	if !res.WasRunning {
		fmt.Fprint(cliOut, " (it was not running a statement)")
	}
	fmt.Fprintln(cliOut)
	return nil
}

const killUserUsage = `usage: strata kill-user NAME [-query] [-c FILE] [-json]

Ends every client session of user NAME (after removing an account whose
password leaked, or to stop a runaway job; a reload that removes the
account first keeps new ones out). -query interrupts only the statements
they run now and keeps the clients connected.
`

// runKillUser implements `strata kill-user`.
func runKillUser(args []string) error {
	fs, af := newAdminFlagSet("kill-user", killUserUsage, true)
	queryOnly := fs.Bool("query", false, "interrupt the running statements only")
	pos, err := parseArgs(fs, args, "NAME")
	if err != nil {
		return helpIsNoError(err)
	}
	var res admin.UserKillResult
	if printed, err := callView(af, "POST", "/api/users/"+pathEscape(pos[0])+"/kill", map[string]bool{"query": *queryOnly}, &res); printed || err != nil {
		return err
	}
	what := "connections closed"
	if res.Killed == "query" {
		what = "statements interrupted; the clients stay connected"
	}
	if len(res.Sessions) == 0 {
		fmt.Fprintf(cliOut, "user %s has no session\n", res.User)
		return nil
	}
	ids := make([]string, len(res.Sessions))
	for i, id := range res.Sessions {
		ids[i] = fmt.Sprint(id)
	}
	fmt.Fprintf(cliOut, "user %s: %d sessions (%s): %s\n", res.User, len(ids), strings.Join(ids, ", "), what)
	return nil
}
