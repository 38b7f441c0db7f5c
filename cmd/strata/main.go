// Command strata is the MySQL/MariaDB scaling proxy: `strata serve` runs it,
// the other subcommands operate a running instance or a local sandbox.
package main

import (
	"fmt"
	"os"
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
		{"sessions", "show the client sessions and what each runs now, like a process list: strata sessions -c FILE", runSessions},
		{"kill-user", "end every session of a user, or only their statements: strata kill-user NAME [-query] -c FILE", runKillUser},
		{"users", "show the accounts clients log in with, their server account and open connections: strata users -c FILE", runUsers},
		{"kill", "end a client session, or only its running statement: strata kill ID [-query] -c FILE", runKill},
		{"switchover", "make a replica the primary, losing no committed write: strata switchover CLUSTER [-to ADDRESS] -c FILE", runSwitchover},
		{"failover", "replace a primary that is down with the replica that has most of its writes: strata failover CLUSTER -c FILE", runFailover},
		{"switchovers", "list the switchovers, failovers, rejoins and followed primary changes since start: strata switchovers -c FILE", runSwitchovers},
		{"config", "write the running topology to the config file, or check a file: strata config save|check -c FILE", runConfig},
		{"password-hash", "print the users[].password_hash of the password on standard input: strata password-hash < secret.txt", runPasswordHash},
		{"shards", "maintain sharded tables: strata shards precreate|capacity -c FILE -schema NAME", runShards},
		{"settings", "show the settings a reload changes, as a running Strata applies them now: strata settings -c FILE", runSettings},
		{"transactions", "show prepared branches of transactions across clusters, or settle them now: strata transactions [resolve] -c FILE", runTransactions},
		{"deadlocks", "show the deadlocks across servers Strata broke lately: strata deadlocks -c FILE", runDeadlocks},
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range commands() {
		if c.name == os.Args[1] {
			if err := c.run(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "strata %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "strata: unknown command %q\n", os.Args[1])
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: strata COMMAND [flags]")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
}
