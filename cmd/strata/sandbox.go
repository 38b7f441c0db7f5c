package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
)

const sandboxUsage = `usage: strata sandbox ACTION -c FILE [flags]

Runs a real MariaDB server on loopback for every address of the config,
with replicas replicating from their primary (GTID). State lives in
sandbox.dir of the config (default .strata-sandbox).

actions:
  up       start the servers (reusing running ones) and wait for replication
  down     stop the servers and remove the state folder
  stop     stop the servers, keep their data (up starts them again)
  status   one line per server: address, role, running, replication
  wait     wait until every replica has caught up with its primary

flags:
`

// runSandbox implements `strata sandbox up|down|stop|status|wait -c FILE`.
func runSandbox(args []string) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	cfgPath := fs.String("c", "strata.yaml", "config file")
	dir := fs.String("dir", "", "state folder (default: sandbox.dir of the config)")
	quiet := fs.Bool("q", false, "no progress messages")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	var extra multiFlag
	fs.Var(&extra, "o", "extra my.cnf line for every server, e.g. -o long_query_time=0 (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), sandboxUsage)
		fs.PrintDefaults()
	}
	// Accept flags before and after the action: `sandbox up -c f` and `sandbox -c f up`.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return errors.New("missing action (up, down, stop, status or wait)")
	}
	action := rest[0]
	if err := fs.Parse(rest[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	var log io.Writer = os.Stderr
	if *quiet {
		log = nil
	}
	sb, err := sandbox.New(cfg, sandbox.Options{Dir: *dir, ExtraConfig: extra, Log: log})
	if err != nil {
		return err
	}
	defer sb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := sandboxAction(ctx, sb, action); err != nil {
		if errors.Is(err, errUnknownAction) {
			fs.Usage()
		}
		return err
	}
	return nil
}

var errUnknownAction = errors.New("unknown action")

// sandboxAction does one of `strata sandbox`'s actions and says what it did.
func sandboxAction(ctx context.Context, sb *sandbox.Sandbox, action string) error {
	switch action {
	case "up":
		start := time.Now()
		if err := sb.Up(ctx); err != nil {
			return err
		}
		printStatus(sb.Status(ctx))
		fmt.Printf("sandbox up: %d servers in %s, state in %s\n", len(sb.Servers()), time.Since(start).Round(time.Millisecond), sb.Dir())
		for _, s := range sb.Servers() {
			if s.IsPrimary() {
				fmt.Printf("  primary %s: mariadb -h%s -P%d -uroot   (or: mariadb --defaults-file=%s)\n", s.Cluster, s.Host, s.Port, s.ConfigFile())
			}
		}
		return nil
	case "down":
		if err := sb.Down(ctx); err != nil {
			return err
		}
		fmt.Printf("sandbox down: servers stopped, %s removed\n", sb.Dir())
		return nil
	case "stop":
		if err := sb.Stop(ctx); err != nil {
			return err
		}
		fmt.Println("sandbox stopped; data kept in", sb.Dir())
		return nil
	case "status":
		printStatus(sb.Status(ctx))
		return nil
	case "wait":
		return sb.WaitReplicated(ctx)
	default:
		return fmt.Errorf("%w %q (want up, down, stop, status or wait)", errUnknownAction, action)
	}
}

func printStatus(sts []sandbox.ServerStatus) {
	for _, st := range sts {
		fmt.Println(st.String())
	}
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
