package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/strata-proxy/strata/buildinfo"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/server"
)

// newLogger writes Strata's log to w as text or JSON lines.
func newLogger(w io.Writer, format string, verbose bool) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if verbose {
		opts.Level = slog.LevelDebug
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: use text or json", format)
}

func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := fs.String("c", "strata.yaml", "config file")
	verbose := fs.Bool("v", false, "log debug messages")
	logFormat := fs.String("log-format", "text", "log lines as text (key=value) or json (one object per line, for log collectors)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until shutdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	log, err := newLogger(os.Stderr, *logFormat, *verbose)
	if err != nil {
		return err
	}
	log.Info("strata starting", "version", buildinfo.String(), "config", *path)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := server.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	// SIGHUP reloads the config file, like POST /api/reload (errors are logged).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for running := true; running; {
		select {
		case <-ctx.Done():
			// A second signal now ends the process at once (default action).
			stop()
			log.Info("shutting down: clients may finish their statement or transaction; a second signal stops at once",
				"shutdown_timeout", s.CurrentConfig().Limits.ShutdownTimeout.D())
			running = false
		case err = <-s.Done():
			running = false
		case <-s.HandedOver():
			// A new Strata took the listening sockets (handover_socket):
			// finish this one's clients as a SIGTERM would.
			log.Info("handed over: clients may finish their statement or transaction, then this process exits",
				"shutdown_timeout", s.CurrentConfig().Limits.ShutdownTimeout.D())
			running = false
		case <-hup:
			log.Info("SIGHUP: reloading the config file")
			_, _, _ = s.ReloadFile()
		}
	}
	s.Shutdown()
	return err
}
