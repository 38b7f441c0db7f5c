// Command strata is the MySQL/MariaDB scaling proxy: `strata serve` runs it,
// the other subcommands operate a running instance or a local sandbox.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/strata-proxy/strata/buildinfo"
)

// command is one subcommand of the CLI.
type command struct {
	name    string
	summary string
	run     func(args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the proxy: strata serve -c strata.yaml", runServe},
		{"sandbox", "start/stop local MariaDB servers for a config: strata sandbox up|down|status -c FILE", runSandbox},
		{"topology", "show a running Strata's clusters and servers: strata topology -c FILE", runTopology},
		{"pool", "show or change replica pools: strata pool list | move ADDRESS POOL -c FILE", runPool},
		{"server", "change replicas: strata server drain|undrain|weight|add|remove ... -c FILE", runServer},
		{"reload", "make a running Strata re-read its config file: strata reload -c FILE", runReload},
		{"queries", "show statements by digest with their route, server, count and time: strata queries -c FILE", runQueries},
		{"rules", "show the routing rules with the statements each decided: strata rules -c FILE", runRules},
		{"cache", "show the result cache and what drops its entries, or empty it: strata cache [-flush] -c FILE", runCache},
		{"sessions", "show the client sessions and what each runs now, like a process list: strata sessions -c FILE", runSessions},
		{"kill-user", "end every session of a user, or only their statements: strata kill-user NAME [-query] -c FILE", runKillUser},
		{"users", "show the accounts clients log in with, their server account and open connections: strata users -c FILE", runUsers},
		{"kill", "end a client session, or only its running statement: strata kill ID [-query] -c FILE", runKill},
		{"switchover", "make a replica the primary, losing no committed write: strata switchover CLUSTER [-to ADDRESS] -c FILE", runSwitchover},
		{"failover", "replace a primary that is down with the replica that has most of its writes: strata failover CLUSTER -c FILE", runFailover},
		{"switchovers", "list the switchovers, failovers, rejoins and followed primary changes since start: strata switchovers -c FILE", runSwitchovers},
		{"config", "write the running topology to the config file, or check a file: strata config save|check -c FILE", runConfig},
		{"password-hash", "print the users[].password_hash of the password on standard input: strata password-hash < secret.txt", runPasswordHash},
		{"shards", "maintain sharded tables: strata shards precreate|capacity|verify|check-schema|rebalance|move-key -c FILE", runShards},
		{"settings", "show the settings a reload changes, as a running Strata applies them now: strata settings -c FILE", runSettings},
		{"transactions", "show prepared branches of transactions across clusters, or settle them now: strata transactions [resolve] -c FILE", runTransactions},
		{"deadlocks", "show the deadlocks across servers Strata broke lately: strata deadlocks -c FILE", runDeadlocks},
	}
}

func main() {
	os.Exit(runCLI(os.Args[1:]))
}

// runCLI runs the subcommand args names and returns the process's exit
// status: 0 on success, 1 when the command failed, 2 when args name no
// command.
func runCLI(args []string) int {
	if len(args) == 0 {
		usage(cliErr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(cliOut)
		return 0
	case "version", "-version", "--version":
		fmt.Fprintln(cliOut, "strata", buildinfo.String())
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(args[1:]); err != nil {
				fmt.Fprintf(cliErr, "strata %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(cliErr, "strata: unknown command %q\n", args[0])
	usage(cliErr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: strata COMMAND [flags]   (strata COMMAND -h: its flags)")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "version", "print the version Strata was built from")
}
