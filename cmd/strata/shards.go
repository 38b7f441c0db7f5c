package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/shardops"
)

const shardsUsage = `usage: strata shards ACTION -c FILE -schema NAME [flags]

Maintains the sharded tables of a config (tables: in the file) directly on
the cluster primaries, as the config's backend account; Strata itself need
not run.

actions:
  precreate   create the tables of the current and upcoming periods of every
              date-sharded table (CREATE TABLE ... LIKE the base table), each
              on the shard that owns it; run it from cron before a period starts
  expire      list the period tables of date-sharded tables with keep: that
              are older than the periods kept (Strata no longer reads them);
              with -apply drop them, as a running Strata does hourly
  capacity    how full the open-ended last range of every range-sharded table
              is, against the previous range's size (warns at capacity_warn)
  verify      read the shard key of every row of every sharded table on each
              shard and report rows the layout places elsewhere (Strata would
              not find them by their key), and compare the copies of
              reference tables; reads whole tables
  rebalance   after a layout change (a range split, a shard added), list the
              rows of -table that a shard holds and the layout now places on
              another (of a date table: the rows of each period table on
              a shard that no longer owns that period), and with -apply
              move them there in batches; run it while nothing writes the
              table. With -online, the running
              Strata moves them while it serves the table (integer or
              text shard keys; strata shards rebalance -online -h)
  check-schema
              compare the definition (SHOW CREATE TABLE, and triggers) of every copy of
              each sharded and reference table: each shard's table, a date
              table's base and period tables, a reference table's copies;
              report the copies that lack or add a column, an index or an
              option, or order columns otherwise, against the definition
              most copies have (after a schema change failed part-way)
  move-key    move one key of a lookup-sharded table (a big customer) to
              -to: the rows of every table its lookup table places, then
              its entry there; run it while nothing writes the key, then
              strata reload every Strata (they cache the key's shard)
`

// runShards implements `strata shards ACTION`.
func runShards(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(flagOutput(), shardsUsage)
		if len(args) == 0 {
			return errors.New("missing action (precreate, expire, capacity, verify, check-schema, rebalance or move-key)")
		}
		return nil
	}
	switch args[0] {
	case "precreate":
		return shardsPrecreate(args[1:])
	case "expire":
		return shardsExpire(args[1:])
	case "capacity":
		return shardsCapacity(args[1:])
	case "verify":
		return shardsVerify(args[1:])
	case "rebalance":
		return shardsRebalance(args[1:])
	case "move-key":
		return shardsMoveKey(args[1:])
	case "check-schema":
		return shardsCheckSchema(args[1:])
	default:
		fmt.Fprint(flagOutput(), shardsUsage)
		return fmt.Errorf("unknown action %q (want precreate, expire, capacity, verify, check-schema, rebalance or move-key)", args[0])
	}
}

// shardsFlags are the flags both actions take.
type shardsFlags struct {
	config  string
	schema  string
	json    bool
	timeout time.Duration
}

func newShardsFlagSet(name, usage string, timeout time.Duration) (*flag.FlagSet, *shardsFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(cliErr)
	sf := &shardsFlags{}
	fs.StringVar(&sf.config, "c", "strata.yaml", "config file")
	fs.StringVar(&sf.schema, "schema", "", "the application's schema (database) holding the tables (required)")
	fs.BoolVar(&sf.json, "json", false, "print JSON")
	fs.DurationVar(&sf.timeout, "timeout", timeout, "give up after this long")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nflags:")
		fs.PrintDefaults()
	}
	return fs, sf
}

// shardsEnv is what both actions work with: the config's layout and a
// pool per cluster primary.
type shardsEnv struct {
	layout *shard.Layout
	dbs    *shardops.DBs
	ctx    context.Context
	stop   func()
}

// parseAndOpen reads the command's args, then opens its config: nil and
// nil where the args asked for help, nil and why where it cannot run.
func (sf *shardsFlags) parseAndOpen(fs *flag.FlagSet, args []string) (*shardsEnv, error) {
	if _, err := parseArgs(fs, args); err != nil {
		return nil, helpIsNoError(err)
	}
	return sf.open(fs)
}

func (sf *shardsFlags) open(fs *flag.FlagSet) (*shardsEnv, error) {
	if sf.schema == "" {
		fs.Usage()
		return nil, errors.New("missing -schema: the schema that holds the sharded tables")
	}
	cfg, err := config.Load(sf.config)
	if err != nil {
		return nil, err
	}
	dbs := shardops.NewDBs(cfg)
	layout, err := cfg.Layout(shardops.NewLookupReader(dbs.Open, sf.schema, shardops.LookupSpecs(cfg)))
	if err != nil {
		dbs.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), sf.timeout)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	return &shardsEnv{layout: layout, dbs: dbs, ctx: ctx, stop: func() { stop(); cancel(); dbs.Close() }}, nil
}

func shardsPrecreate(args []string) error {
	fs, sf := newShardsFlagSet("shards precreate", "usage: strata shards precreate -c FILE -schema NAME [-periods N | -all] [-json]\n", time.Minute)
	periods := fs.Int("periods", 0, "periods to create from the current one (default: 1 + the table's ahead)")
	all := fs.Bool("all", false, "create every missing period table from the table's since: on (history), not only upcoming ones")
	env, err := sf.parseAndOpen(fs, args)
	if env == nil {
		return err
	}
	defer env.stop()
	if *all {
		*periods = shardops.AllPeriods
	}
	tables, err := shardops.PrecreateAll(env.ctx, env.layout, env.dbs.Open, sf.schema, time.Now(), *periods)
	if sf.json {
		printList(tables)
		return err
	}
	if len(tables) == 0 && err == nil {
		fmt.Fprintln(cliOut, "no date-sharded tables in", sf.config)
		return nil
	}
	created := 0
	rows := make([]periodRow, len(tables))
	for i, t := range tables {
		rows[i] = periodRow{t.Table, t.Shard, t.Base, periodStatus(t.Error, t.Created, "created", "exists")}
		created += boolCount(t.Created && t.Error == "")
	}
	printPeriodRows(sf.schema, "LIKE", rows)
	fmt.Fprintf(cliOut, "%s created, %d already there\n", plural(created, "table"), len(tables)-created-countErrors(tables))
	if err != nil {
		return errors.New("some tables could not be created (see above)")
	}
	return nil
}

// shardsExpire lists, and with -apply drops, the period tables older than
// their date table's keep: periods.
func shardsExpire(args []string) error {
	fs, sf := newShardsFlagSet("shards expire", "usage: strata shards expire -c FILE -schema NAME [-apply] [-json]\n", time.Minute)
	apply := fs.Bool("apply", false, "drop the tables listed (without it, only list them)")
	env, err := sf.parseAndOpen(fs, args)
	if env == nil {
		return err
	}
	defer env.stop()
	tables, err := shardops.Expire(env.ctx, env.layout, env.dbs.Open, sf.schema, *apply)
	if sf.json {
		printList(tables)
		return err
	}
	dropped := 0
	rows := make([]periodRow, len(tables))
	for i, t := range tables {
		rows[i] = periodRow{t.Table, t.Shard, t.Base, periodStatus(t.Error, t.Dropped, "dropped", "older than keep: (drop it with -apply)")}
		dropped += boolCount(t.Dropped && t.Error == "")
	}
	printPeriodRows(sf.schema, "OF", rows)
	if *apply {
		fmt.Fprintf(cliOut, "%s dropped\n", plural(dropped, "table"))
	} else {
		fmt.Fprintf(cliOut, "%s older than keep:\n", plural(len(tables), "table"))
	}
	if err != nil {
		return fmt.Errorf("expiring period tables: %w", err)
	}
	return nil
}

// periodRow is one line of what precreate or expire did to a period table.
type periodRow struct{ table, shard, base, status string }

// printPeriodRows prints rows as a table; baseHeader heads the column of
// the date table each period table belongs to.
func printPeriodRows(schema, baseHeader string, rows []periodRow) {
	tw := newTable()
	fmt.Fprintf(tw, "TABLE\tSHARD\t%s\tSTATUS\n", baseHeader)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%s\n", schema, r.table, r.shard, r.base, r.status)
	}
	tw.Flush()
}

// periodStatus is a period table's STATUS: its error, else done where the
// action was taken on it, else idle.
func periodStatus(errText string, taken bool, done, idle string) string {
	switch {
	case errText != "":
		return "error: " + errText
	case taken:
		return done
	}
	return idle
}

// boolCount is 1 for true, 0 for false.
func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

// printList prints v as JSON: [] when it holds nothing, not null.
func printList[T any](v []T) {
	if v == nil {
		v = []T{}
	}
	printValue(v)
}

func countErrors(tables []shardops.PeriodTable) int {
	n := 0
	for _, t := range tables {
		if t.Error != "" {
			n++
		}
	}
	return n
}

func shardsCapacity(args []string) error {
	fs, sf := newShardsFlagSet("shards capacity", "usage: strata shards capacity -c FILE -schema NAME [-json]\n", time.Minute)
	return shardsReport(fs, sf, args,
		func(env *shardsEnv) []shardops.CapacityReport {
			return shardops.Capacity(env.ctx, env.layout, env.dbs.Open, sf.schema)
		},
		printCapacity,
		func(r shardops.CapacityReport) error {
			if r.Error != "" {
				return errors.New("some tables could not be measured")
			}
			return nil
		})
}

// shardsReport runs a reporting action: it parses args, measures, prints
// the reports (as JSON with -json), and returns the first report's
// failure.
func shardsReport[R any](fs *flag.FlagSet, sf *shardsFlags, args []string, measure func(*shardsEnv) []R, print func([]R, string), failure func(R) error) error {
	env, err := sf.parseAndOpen(fs, args)
	if env == nil {
		return err
	}
	defer env.stop()
	reports := measure(env)
	if sf.json {
		printValue(reports)
	} else {
		print(reports, sf.config)
	}
	for _, r := range reports {
		if err := failure(r); err != nil {
			return err
		}
	}
	return nil
}

func printCapacity(reports []shardops.CapacityReport, path string) {
	if len(reports) == 0 {
		fmt.Fprintln(cliOut, "no range-sharded tables in", path)
		return
	}
	tw := newTable()
	fmt.Fprintln(tw, "TABLE\tLAST SHARD\tRANGE START\tMAX KEY\tUSED\tWARN AT\tSTATUS")
	for _, r := range reports {
		maxKey, status := "-", "ok"
		if r.MaxKey != nil {
			maxKey = strconv.FormatInt(*r.MaxKey, 10)
		}
		switch {
		case r.Error != "":
			status = "error: " + r.Error
		case r.Warn:
			status = "WARN: add a range"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.1f%%\t%.0f%%\t%s\n", r.Table, r.Shard, r.LastRangeStart, maxKey, r.Fraction*100, r.WarnAt*100, status)
	}
	tw.Flush()
	fmt.Fprintln(cliOut, "\nUSED: keys in the last range as a share of the previous range's size")
}

// printValue prints v as indented JSON.
func printValue(v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintln(cliErr, err)
		return
	}
	cliOut.Write(append(data, '\n'))
}

func shardsVerify(args []string) error {
	fs, sf := newShardsFlagSet("shards verify", "usage: strata shards verify -c FILE -schema NAME [-table NAME] [-examples N] [-json]\n", time.Hour)
	table := fs.String("table", "", "verify only this table")
	examples := fs.Int("examples", 5, "misplaced keys to show per shard")
	return shardsReport(fs, sf, args,
		func(env *shardsEnv) []shardops.PlacementReport {
			return shardops.Verify(env.ctx, env.layout, env.dbs.Open, sf.schema, *table, *examples)
		},
		printPlacement,
		func(r shardops.PlacementReport) error {
			switch {
			case r.Error != "":
				return errors.New("some tables could not be read (see above)")
			case r.Misplaced > 0 || r.Differs:
				return errors.New("rows are not where the layout places them (see above)")
			case r.Duplicates > 0:
				return errors.New("rows of several shards share the value of a unique key (see above)")
			}
			return nil
		})
}

func printPlacement(reports []shardops.PlacementReport, path string) {
	if len(reports) == 0 {
		fmt.Fprintln(cliOut, "no sharded or reference tables in", path)
		return
	}
	tw := newTable()
	fmt.Fprintln(tw, "TABLE\tSHARD\tPHYSICAL\tROWS\tMISPLACED\tSTATUS")
	for _, r := range reports {
		status := "ok"
		switch {
		case r.Error != "":
			status = "error: " + r.Error
		case r.Differs:
			status = fmt.Sprintf("copies differ (checksum %d)", *r.Checksum)
		case r.Misplaced > 0:
			var ex []string
			for _, e := range r.Examples {
				ex = append(ex, e.Key+" belongs to "+e.Belongs)
			}
			status = "misplaced: " + strings.Join(ex, "; ")
		case r.Duplicates > 0:
			status = fmt.Sprintf("%d values on several shards: %s", r.Duplicates, strings.Join(r.Duplicated, "; "))
		case r.NotChecked != "":
			status = "not checked: " + r.NotChecked
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", r.Table, r.Shard, r.Physical, r.Rows, r.Misplaced, status)
	}
	tw.Flush()
}

func shardsCheckSchema(args []string) error {
	fs, sf := newShardsFlagSet("shards check-schema", "usage: strata shards check-schema -c FILE -schema NAME [-table NAME] [-json]\n", 10*time.Minute)
	table := fs.String("table", "", "check only this table")
	return shardsReport(fs, sf, args,
		func(env *shardsEnv) []shardops.SchemaReport {
			return shardops.CompareSchemas(env.ctx, env.layout, env.dbs.Open, sf.schema, *table)
		},
		printSchemas,
		func(r shardops.SchemaReport) error {
			switch {
			case r.Error != "":
				return errors.New("some definitions could not be read (see above)")
			case r.Differs():
				return errors.New("copies of a table are defined differently (see above)")
			}
			return nil
		})
}

func printSchemas(reports []shardops.SchemaReport, path string) {
	if len(reports) == 0 {
		fmt.Fprintln(cliOut, "no sharded or reference tables in", path)
		return
	}
	tw := newTable()
	fmt.Fprintln(tw, "TABLE\tSHARD\tPHYSICAL\tSTATUS")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Table, r.Shard, r.Physical, schemaStatus(r))
	}
	tw.Flush()
}

// schemaStatus says in one line how a copy differs from the table's
// common definition.
func schemaStatus(r shardops.SchemaReport) string {
	switch {
	case r.Error != "":
		return "error: " + r.Error
	case r.Missing:
		return "missing"
	case r.NotCreated:
		return "not created (strata shards precreate makes it)"
	case r.Reordered:
		return "columns or indexes in another order than on the other copies"
	}
	var parts []string
	for _, tr := range r.KeyTriggers {
		parts = append(parts, "trigger "+tr+", which stores rows away from the shard of their key: drop it")
	}
	for _, l := range r.Lacks {
		parts = append(parts, "lacks "+l)
	}
	for _, l := range r.Extra {
		parts = append(parts, "has "+l)
	}
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, "; ")
}

func shardsRebalance(args []string) error {
	if slices.ContainsFunc(args, func(a string) bool { return a == "-online" || a == "--online" || a == "-online=true" }) {
		return shardsRebalanceOnline(args)
	}
	fs, sf := newShardsFlagSet("shards rebalance", "usage: strata shards rebalance -c FILE -schema NAME -table NAME [-batch N] [-apply] [-json]\n", time.Hour)
	table := fs.String("table", "", "the sharded table whose rows to re-place (required)")
	batch := fs.Int("batch", 500, "rows moved per transaction")
	apply := fs.Bool("apply", false, "move the rows (without it: only list what would move)")
	var failed error
	err := shardsReport(fs, sf, args,
		func(env *shardsEnv) []shardops.RebalanceReport {
			if *table == "" {
				failed = errors.New("missing -table: the sharded table whose rows to re-place")
				return nil
			}
			reps, err := shardops.Rebalance(env.ctx, env.layout, env.dbs.Open, sf.schema, *table, *batch, *apply)
			failed = err
			return reps
		},
		printRebalance(apply), moveFailure(""))
	return errors.Join(failed, err)
}

// moveFailure is the error of a report of rows that did not all move;
// note says what that left as it was.
func moveFailure(note string) func(shardops.RebalanceReport) error {
	return func(r shardops.RebalanceReport) error {
		switch {
		case r.Error != "":
			return errors.New("some rows could not be moved (see above)" + note + "; run it again")
		case len(r.Conflicts) > 0:
			return errors.New("some rows differ between their old and new shard (see above)" + note + "; settle them by hand")
		}
		return nil
	}
}

// shardsMoveKey implements `strata shards move-key`.
func shardsMoveKey(args []string) error {
	fs, sf := newShardsFlagSet("shards move-key", "usage: strata shards move-key -c FILE -schema NAME -table NAME -key VALUE -to SHARD [-batch N] [-apply] [-json]\n", time.Hour)
	table := fs.String("table", "", "a lookup-sharded table (required); every table its lookup table places moves with it")
	key := fs.String("key", "", "the shard key value to move (required)")
	to := fs.String("to", "", "the shard to move it to (required)")
	batch := fs.Int("batch", 500, "rows moved per transaction")
	apply := fs.Bool("apply", false, "move the rows and the lookup entry (without it: only list what would move)")
	var failed error
	err := shardsReport(fs, sf, args,
		func(env *shardsEnv) []shardops.RebalanceReport {
			if *table == "" || *key == "" || *to == "" {
				failed = errors.New("missing -table, -key or -to: the lookup-sharded table, the key and its new shard")
				return nil
			}
			reps, err := shardops.MoveKey(env.ctx, env.layout, env.dbs.Open, sf.schema, *table, *key, *to, *batch, *apply)
			failed = err
			return reps
		},
		func(reps []shardops.RebalanceReport, path string) {
			if len(reps) == 0 && failed == nil {
				fmt.Fprintf(cliOut, "%s is already on %s\n", *key, *to)
				return
			}
			printRebalance(apply)(reps, path)
			if *apply && failed == nil && !slices.ContainsFunc(reps, func(r shardops.RebalanceReport) bool { return r.Error != "" || len(r.Conflicts) > 0 }) {
				fmt.Fprintln(cliOut, "the lookup entry now names "+*to+": run strata reload on every Strata (they cache the key's old shard)")
			}
		}, moveFailure(", and the lookup entry is unchanged"))
	return errors.Join(failed, err)
}

func printRebalance(apply *bool) func([]shardops.RebalanceReport, string) {
	return func(reports []shardops.RebalanceReport, _ string) {
		if len(reports) == 0 {
			fmt.Fprintln(cliOut, "every row is on the shard the layout places it on")
			return
		}
		tw := newTable()
		fmt.Fprintln(tw, "TABLE\tFROM\tTO\tROWS\tMOVED\tRESOLVED\tSTATUS")
		for _, r := range reports {
			status := "ok"
			switch {
			case r.Error != "":
				status = "error: " + r.Error
			case len(r.Conflicts) > 0:
				status = "differ on both shards: " + strings.Join(r.Conflicts, " ")
			case !*apply:
				status = "would move (-apply moves them)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.Table, r.From, r.To, r.Rows, r.Moved, r.Resolved, status)
		}
		tw.Flush()
	}
}

const rebalanceOnlineUsage = `usage: strata shards rebalance -online -table NAME [-c FILE] [-batch N] [-no-wait] [-json]
       strata shards rebalance -online -status [-c FILE] [-json]

Moves the rows of a sharded table to the placement the config file now
gives it, while the running Strata keeps serving the table (its admin API:
POST /api/rebalance). Change the table's shards: in the file first (add a
new cluster under clusters: and create the table there), and do not reload:
the move applies the file itself. Until a row moves, Strata finds it by the
old placement; after, by the new; statements on the table wait while a
batch of rows changes shards. Tables with an integer shard key, or a text
key in a collation Strata reproduces exactly, move online. The command follows the move until it ends (-no-wait: it returns
once the move started); a failed move keeps each row where Strata finds
it, and running the command again resumes it.
`

// shardsRebalanceOnline starts an online rebalance in the running Strata
// and follows its progress.
func shardsRebalanceOnline(args []string) error {
	fs, af := newAdminFlagSet("shards rebalance -online", rebalanceOnlineUsage, true)
	fs.Bool("online", true, "move the rows in the running Strata, while it serves the table")
	table := fs.String("table", "", "the sharded table to move (required, unless -status)")
	batch := fs.Int("batch", 0, "rows of a source shard per batch (default 500)")
	status := fs.Bool("status", false, "only show the progress of the last online rebalance")
	noWait := fs.Bool("no-wait", false, "return once the move started")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if *table == "" && !*status {
		fs.Usage()
		return errors.New("missing -table: the sharded table to move")
	}
	c, err := newAdminClient(af)
	if err != nil {
		return err
	}
	var st shardops.MoveStatus
	if !*status {
		path := "/api/rebalance?table=" + url.QueryEscape(*table)
		if *batch > 0 {
			path += "&batch=" + strconv.Itoa(*batch)
		}
		if err := c.call(http.MethodPost, path, nil, &st); err != nil {
			return err
		}
		if !af.json {
			with := ""
			if len(st.With) > 0 {
				with = " (with " + strings.Join(st.With, ", ") + ", sharded alike)"
			}
			fmt.Fprintf(cliOut, "moving %s%s: from %s to %s\n", st.Table, with, st.From, st.To)
		}
	}
	last := ""
	for {
		if err := c.call(http.MethodGet, "/api/rebalance", nil, &st); err != nil {
			return err
		}
		if line := moveLine(st); line != last && !af.json {
			fmt.Fprintln(cliOut, line)
			last = line
		}
		if st.State != shardops.MoveRunning || *noWait || *status {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if af.json {
		data, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintln(cliOut, string(data))
	}
	if st.State == shardops.MoveFailed {
		return fmt.Errorf("the move of %s stopped: %s; run the command again to resume it", st.Table, st.Error)
	}
	return nil
}

// moveLine is one line of an online move's progress.
func moveLine(st shardops.MoveStatus) string {
	var marks []string
	for _, s := range slices.Sorted(maps.Keys(st.Marks)) {
		m := st.Marks[s]
		if m == "" {
			m = "-"
		}
		marks = append(marks, s+" "+m)
	}
	line := fmt.Sprintf("%s: %s, %d rows moved (%d already there), %d batches, %d retries, statements held up to %.0f ms; moved up to: %s",
		st.Table, st.State, st.Moved, st.Resolved, st.Batches, st.Retries, st.PauseMaxMs, strings.Join(marks, ", "))
	if st.Error != "" {
		line += "; error: " + st.Error
	}
	return line
}
