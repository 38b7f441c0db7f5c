package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/strata-proxy/strata/admin"
)

const poolUsage = `usage: strata pool ACTION [args] [-c FILE]

Shows and changes the replica pools of a running Strata through its admin
API (admin_listen of the config file).

actions:
  list                  every cluster's pools, their settings and members
  move ADDRESS POOL     put a replica into another pool (created if new)

Changes last until the next restart or reload; strata config save writes
them to the config file.
`

// runPool implements `strata pool list|move`.
func runPool(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(flagOutput(), poolUsage)
		if len(args) == 0 {
			return errors.New("missing action (list or move)")
		}
		return nil
	}
	switch args[0] {
	case "list", "ls":
		return poolList(args[1:])
	case "move", "mv":
		return poolMove(args[1:])
	default:
		fmt.Fprint(flagOutput(), poolUsage)
		return fmt.Errorf("unknown action %q (want list or move)", args[0])
	}
}

func poolList(args []string) error {
	fs, af := newAdminFlagSet("pool list", "usage: strata pool list [-c FILE] [-json]\n", true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var v admin.PoolsView
	if printed, err := callView(af, "GET", "/api/pools", nil, &v); printed || err != nil {
		return err
	}
	printPools(v)
	return nil
}

func printPools(v admin.PoolsView) {
	var notes []string
	for i, cl := range v.Clusters {
		if i > 0 {
			fmt.Fprintln(cliOut)
		}
		def := ""
		if cl.Name == v.DefaultCluster {
			def = " (default)"
		}
		fmt.Fprintf(cliOut, "cluster %s%s: primary %s %s, default pool %s", cl.Name, def, cl.Primary.Address, stateText(string(cl.Primary.State), false), cl.DefaultPool)
		if cl.MaxReplicaLag != "" {
			fmt.Fprintf(cliOut, ", max_replica_lag %s", cl.MaxReplicaLag)
		}
		fmt.Fprintln(cliOut)
		tw := newTable()
		fmt.Fprintln(tw, "POOL\tBALANCE\tFALLBACK\tMAX LAG\tROUTABLE\tMEMBER\tSTATE\tWEIGHT\tZONE\tLAG\tCONNS\tREASON")
		for _, p := range cl.Pools {
			name := p.Name
			if p.Default {
				name += "*"
			}
			head := fmt.Sprintf("%s\t%s\t%s\t%s\t%d/%d", name, p.Balance, orDash(p.Fallback), orDash(p.MaxReplicaLag), p.Routable, len(p.Members))
			if len(p.Members) == 0 {
				fmt.Fprintf(tw, "%s\t(none)\t\t\t\t\t\t\n", head)
			}
			for j, m := range p.Members {
				if j > 0 {
					head = "\t\t\t\t"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", head, m.Address, stateText(string(m.State), m.Drained),
					m.Weight, orDash(m.Zone), lagText(m.LagSeconds, string(m.Role), string(m.State)), connsText(m.Connections), m.Reason)
			}
			if p.Note != "" {
				notes = append(notes, p.Note)
			}
		}
		tw.Flush()
	}
	if len(v.Clusters) > 0 {
		fmt.Fprintln(cliOut, "\n* default pool; ROUTABLE routable/members; CONNS backend connections in use/open")
	}
	for _, n := range notes {
		fmt.Fprintln(cliOut, "note:", n)
	}
}

func poolMove(args []string) error {
	fs, af := newAdminFlagSet("pool move", "usage: strata pool move ADDRESS POOL [-c FILE]\n", false)
	pos, err := parseArgs(fs, args, "ADDRESS", "POOL")
	if err != nil {
		return helpIsNoError(err)
	}
	v, err := changeServer(af, "POST", "/api/servers/"+pathEscape(pos[0])+"/pool", map[string]string{"pool": pos[1]})
	if err != nil {
		return err
	}
	if v.PreviousPool == "" {
		fmt.Fprintf(cliOut, "%s is already in pool %s\n", v.Server.Address, v.Server.Pool)
	} else {
		fmt.Fprintf(cliOut, "%s moved from pool %s to %s (%s)\n", v.Server.Address, v.PreviousPool, v.Server.Pool, stateText(string(v.Server.State), v.Server.Drained))
	}
	printWarnings(v.Warnings)
	return nil
}

// runTopology implements `strata topology`.
func runTopology(args []string) error {
	fs, af := newAdminFlagSet("topology", "usage: strata topology [-c FILE] [-json]\n\nEvery cluster of a running Strata: servers, roles, pools and health.\n", true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var v admin.TopologyView
	if printed, err := callView(af, "GET", "/api/topology", nil, &v); printed || err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "strata %s: topology version %d, default cluster %s\n", v.Strata, v.Version, v.DefaultCluster)
	for _, cl := range v.Clusters {
		fmt.Fprintf(cliOut, "\ncluster %s: default pool %s, consistency %s\n", cl.Name, cl.DefaultPool, cl.Consistency)
		tw := newTable()
		fmt.Fprintln(tw, "ROLE\tADDRESS\tPOOL\tSTATE\tWEIGHT\tZONE\tLAG\tCONNS\tREASON")
		row := func(s admin.ServerView) {
			weight := "-"
			if s.Role == "replica" {
				weight = strconv.Itoa(s.Weight)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Role, s.Addr, orDash(s.Pool), stateText(string(s.State), s.Drained),
				weight, orDash(s.Zone), lagText(s.Lag.Seconds(), string(s.Role), string(s.State)), connsText(s.Connections), s.Reason)
		}
		row(cl.Primary)
		for _, r := range cl.Replicas {
			row(r)
		}
		tw.Flush()
	}
	return nil
}

// helpIsNoError turns -h into a clean exit: the usage is already printed.
func helpIsNoError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
