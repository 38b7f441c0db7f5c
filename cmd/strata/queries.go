package main

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/strata-proxy/strata/querystats"
)

const queriesUsage = `usage: strata queries [-order total|count|avg|max|errors|rows|last] [-limit N] [-contains TEXT] [-reset] [-c FILE] [-json]

Shows a running Strata's statements by digest (text with literals as ?),
with the route and server each ran on, how often, how long and how often
it failed: where every kind of statement goes, and which cost the most.
-reset shows them, then starts counting again.
`

// runQueries implements `strata queries`.
func runQueries(args []string) error {
	fs, af := newAdminFlagSet("queries", queriesUsage, true)
	order := fs.String("order", "total", "sort by: total (time), count, avg, max, errors, rows (sent), last (seen)")
	limit := fs.Int("limit", 20, "rows to show (0: all)")
	contains := fs.String("contains", "", "only statements whose text contains this (any case)")
	reset := fs.Bool("reset", false, "start counting again after showing them")
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	method, path := "GET", "/api/queries?"+url.Values{"order": {*order}, "limit": {strconv.Itoa(*limit)}, "contains": {*contains}}.Encode()
	if *reset {
		method = "DELETE"
	}
	var snap querystats.Snapshot
	if printed, err := callView(af, method, path, nil, &snap); printed || err != nil {
		return err
	}
	if *reset {
		// DELETE answers every row: pick them as GET would.
		snap = querystats.Select(snap, querystats.Query{Order: *order, Limit: *limit, Contains: *contains})
	}
	printQueries(snap)
	return nil
}

func printQueries(snap querystats.Snapshot) {
	fmt.Fprintf(cliOut, "since %s", snap.Since.Local().Format("2006-01-02 15:04:05"))
	if snap.Dropped > 0 {
		fmt.Fprintf(cliOut, "; %d statements not counted: more than %d statement shapes (limits.max_query_digests)", snap.Dropped, snap.Limit)
	}
	fmt.Fprintln(cliOut)
	tw := newTable()
	fmt.Fprintln(tw, "COUNT\tERRORS\tTOTAL MS\tAVG MS\tMAX MS\tROWS SENT\tAFFECTED\tROLE\tROUTE\tSERVER\tSCHEMA\tUSER\tSTATEMENT")
	for _, r := range snap.Rows {
		fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.3f\t%.3f\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Count, r.Errors, r.TotalMs, r.AvgMs, r.MaxMs,
			r.Rows, r.Affected, r.Role, r.Route, r.Server, orDash(r.Schema), orDash(r.User), r.Digest)
	}
	tw.Flush()
}
