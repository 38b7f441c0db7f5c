package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/strata-proxy/strata/admin"
)

const cacheUsage = `usage: strata cache [-c FILE] [-json] [-flush]

Shows a running Strata's result cache (routing rules with cache:): its
counters, and for each table a cached read used, the tables whose writes
drop that table's entries besides its own (foreign keys that cascade to
it, triggers and views that name it, a view's tables). -flush drops every
cached answer, after a change made straight on the primary.
`

// runCache implements `strata cache`.
func runCache(args []string) error {
	fs, af := newAdminFlagSet("cache", cacheUsage, true)
	flush := fs.Bool("flush", false, "drop every cached answer")
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	if *flush {
		var dropped map[string]int
		if printed, err := callView(af, "DELETE", "/api/cache", nil, &dropped); printed || err != nil {
			return err
		}
		fmt.Fprintf(cliOut, "dropped %d cached answers\n", dropped["dropped"])
		return nil
	}
	var view admin.CacheStatusView
	if printed, err := callView(af, "GET", "/api/cache", nil, &view); printed || err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "%d entries, %d of %d bytes; %d hits, %d misses, %d fills, %d waits, %d invalidations\n",
		view.Entries, view.Bytes, view.MaxBytes, view.Hits, view.Misses, view.Fills, view.Waits, view.Invalidations)
	tables := make([]string, 0, len(view.Sources))
	for t := range view.Sources {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	tw := newTable()
	fmt.Fprintln(tw, "TABLE\tALSO DROPPED BY WRITES TO")
	for _, t := range tables {
		also := strings.Join(view.Sources[t], ", ")
		if also == "" {
			also = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\n", t, also)
	}
	return tw.Flush()
}
