package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/config"
)

const serverUsage = `usage: strata server ACTION [args] [-c FILE]

Changes the replicas of a running Strata through its admin API
(admin_listen of the config file).

actions:
  drain ADDRESS             take a replica out of routing (running statements finish)
  undrain ADDRESS           put a drained replica back into routing
  weight ADDRESS N          set a replica's share of its pool's reads (1..10000)
  add CLUSTER ADDRESS       add a replica (-pool NAME, -weight N, -zone Z)
  remove ADDRESS            remove a replica
  rejoin ADDRESS            make a replica that left (a failed-over primary, a drained
                            replica) replicate from its primary and route to it again;
                            refused if it holds transactions the primary lacks

Changes last until the next restart or reload; strata config save writes
them to the config file (drains excepted).
`

// runServer implements `strata server drain|undrain|weight|add|remove`.
func runServer(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(flagOutput(), serverUsage)
		if len(args) == 0 {
			return errors.New("missing action (drain, undrain, weight, add, remove or rejoin)")
		}
		return nil
	}
	switch args[0] {
	case "drain":
		return serverDrain(args[1:], true)
	case "undrain":
		return serverDrain(args[1:], false)
	case "weight":
		return serverWeight(args[1:])
	case "add":
		return serverAdd(args[1:])
	case "remove", "rm":
		return serverRemove(args[1:])
	case "rejoin":
		return serverRejoin(args[1:])
	default:
		fmt.Fprint(flagOutput(), serverUsage)
		return fmt.Errorf("unknown action %q (want drain, undrain, weight, add, remove or rejoin)", args[0])
	}
}

func serverRejoin(args []string) error {
	fs, af := newAdminFlagSet("server rejoin", "usage: strata server rejoin ADDRESS [-c FILE] [-json]\n", true)
	pos, err := parseArgs(fs, args, "ADDRESS")
	if err != nil {
		return helpIsNoError(err)
	}
	af.wait = 6 * time.Minute // the server may have much to apply (5 min at most)
	var v admin.RejoinView
	if printed, err := callView(af, "POST", "/api/servers/"+pathEscape(pos[0])+"/rejoin", nil, &v); printed || err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "%s replicates from %s (GTID %s applied) and is back in routing (pool %s)\n", v.OldPrimary, v.NewPrimary, orDash(v.GTID), v.Server.Pool)
	for _, st := range v.Steps {
		fmt.Fprintf(cliOut, "  %8.1f ms  %s\n", st.Ms, st.Name)
	}
	return nil
}

func serverDrain(args []string, drain bool) error {
	name := "undrain"
	if drain {
		name = "drain"
	}
	fs, af := newAdminFlagSet("server "+name, "usage: strata server "+name+" ADDRESS [-c FILE]\n", false)
	pos, err := parseArgs(fs, args, "ADDRESS")
	if err != nil {
		return helpIsNoError(err)
	}
	v, err := changeServer(af, "POST", "/api/servers/"+pathEscape(pos[0])+"/drain", map[string]bool{"drain": drain})
	if err != nil {
		return err
	}
	if drain {
		fmt.Fprintf(cliOut, "%s drained: no new statements go to it (pool %s, state %s)\n", v.Server.Address, v.Server.Pool, v.Server.State)
	} else {
		if v.Server.Routable {
			fmt.Fprintf(cliOut, "%s back in routing (pool %s)\n", v.Server.Address, v.Server.Pool)
		} else {
			fmt.Fprintf(cliOut, "%s undrained (pool %s), but not routable while %s", v.Server.Address, v.Server.Pool, v.Server.State)
			if v.Server.Reason != "" {
				fmt.Fprintf(cliOut, ": %s", v.Server.Reason)
			}
			fmt.Fprintln(cliOut)
		}
	}
	printWarnings(v.Warnings)
	return nil
}

func serverWeight(args []string) error {
	fs, af := newAdminFlagSet("server weight", "usage: strata server weight ADDRESS N [-c FILE]\n", false)
	pos, err := parseArgs(fs, args, "ADDRESS", "N")
	if err != nil {
		return helpIsNoError(err)
	}
	w, err := strconv.Atoi(pos[1])
	if err != nil {
		return fmt.Errorf("weight %q is not a number", pos[1])
	}
	v, err := changeServer(af, "POST", "/api/servers/"+pathEscape(pos[0])+"/weight", map[string]int{"weight": w})
	if err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "%s weight %d (pool %s)\n", v.Server.Address, v.Server.Weight, v.Server.Pool)
	return nil
}

func serverAdd(args []string) error {
	fs, af := newAdminFlagSet("server add", "usage: strata server add CLUSTER ADDRESS [-pool NAME] [-weight N] [-zone Z] [-c FILE]\n", false)
	pool := fs.String("pool", "", "pool of the replica (default: primary)")
	weight := fs.Int("weight", 0, "weight of the replica in its pool (default 1)")
	zone := fs.String("zone", "", "zone of the replica")
	pos, err := parseArgs(fs, args, "CLUSTER", "ADDRESS")
	if err != nil {
		return helpIsNoError(err)
	}
	c, err := newAdminClient(af)
	if err != nil {
		return err
	}
	body := map[string]any{"address": pos[1]}
	if *pool != "" {
		body["pool"] = *pool
	}
	if *weight != 0 {
		body["weight"] = *weight
	}
	if *zone != "" {
		body["zone"] = *zone
	}
	var v admin.ChangeView
	if err := c.call("POST", "/api/clusters/"+pathEscape(pos[0])+"/replicas", body, &v); err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "%s added to cluster %s, pool %s, weight %d; the monitor checks it now (strata pool list shows its state)\n",
		v.Server.Address, v.Server.Cluster, v.Server.Pool, v.Server.Weight)
	printWarnings(v.Warnings)
	return nil
}

func serverRemove(args []string) error {
	fs, af := newAdminFlagSet("server remove", "usage: strata server remove ADDRESS [-c FILE]\n", false)
	pos, err := parseArgs(fs, args, "ADDRESS")
	if err != nil {
		return helpIsNoError(err)
	}
	v, err := changeServer(af, "DELETE", "/api/servers/"+pathEscape(pos[0]), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "%s removed from cluster %s (was in pool %s); running statements finish\n", v.Server.Address, v.Server.Cluster, v.Server.Pool)
	printWarnings(v.Warnings)
	return nil
}

// runReload implements `strata reload`.
func runReload(args []string) error {
	fs, af := newAdminFlagSet("reload", "usage: strata reload [-c FILE] [-json]\n\nMakes a running Strata re-read its config file (like SIGHUP). A file with a\nmistake is reported and changes nothing.\n", true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var v admin.ReloadView
	if printed, err := callView(af, "POST", "/api/reload", nil, &v); printed || err != nil {
		return err
	}
	if len(v.Changes) == 0 {
		fmt.Fprintf(cliOut, "reloaded %s: no change to apply\n", v.Path)
	} else {
		fmt.Fprintf(cliOut, "reloaded %s: %s (topology version %d)\n", v.Path, plural(len(v.Changes), "change"), v.Version)
		for _, ch := range v.Changes {
			fmt.Fprintln(cliOut, "  "+ch)
		}
	}
	for _, r := range v.RestartNeeded {
		fmt.Fprintf(cliOut, "warning: %s changed but needs a restart to take effect\n", r)
	}
	return nil
}

const configUsage = `usage: strata config save [-force] [-c FILE]
       strata config check [-c FILE]

save writes the running topology of a Strata (pools, weights, zones,
replicas added or removed at run time) into its config file. Only the
clusters section changes; the previous file is kept as FILE.bak. Drains are
not saved. A file edited since Strata loaded it is not overwritten without
-force.

check validates a config file without a running Strata — every problem
with its line, the same checks serve and reload make — so an edit can be
checked before strata reload or a deploy. The exit status is 1 when the
file has a problem.
`

// runConfig implements `strata config save` and `strata config check`.
func runConfig(args []string) error {
	if len(args) > 0 && args[0] == "check" {
		return configCheck(args[1:])
	}
	if len(args) == 0 || args[0] != "save" {
		fmt.Fprint(flagOutput(), configUsage)
		if len(args) == 0 {
			return errors.New("missing action (save or check)")
		}
		if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
			return nil
		}
		return fmt.Errorf("unknown action %q (want save or check)", args[0])
	}
	fs, af := newAdminFlagSet("config save", configUsage, false)
	force := fs.Bool("force", false, "overwrite the clusters of a file edited since Strata loaded it")
	if _, err := parseArgs(fs, args[1:]); err != nil {
		return helpIsNoError(err)
	}
	c, err := newAdminClient(af)
	if err != nil {
		return err
	}
	path := "/api/config/save"
	if *force {
		path += "?force=true"
	}
	var v admin.SaveView
	if err := c.call("POST", path, nil, &v); err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "running topology saved to %s (previous file: %s)\n", v.Path, v.Backup)
	for _, n := range v.NotSaved {
		fmt.Fprintln(cliOut, "note:", n)
	}
	return nil
}

// configCheck implements `strata config check`: config.Load is what serve
// and reload run, so a file it accepts starts and reloads.
func configCheck(args []string) error {
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(flagOutput())
	fs.Usage = func() { fmt.Fprint(flagOutput(), configUsage) }
	path := fs.String("c", "strata.yaml", "config file")
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "%s is valid: %d clusters, %d users, %d routing rules, %d placed tables\n",
		*path, len(cfg.Clusters), len(cfg.Users), len(cfg.Routing), len(cfg.Tables))
	return nil
}
