package session

import (
	"context"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// The server administration commands mariadb-admin sends as commands of
// their own rather than as SQL.

// errShutdownRefused answers SHUTDOWN, as a statement or as COM_SHUTDOWN
// (mariadb-admin shutdown). Through Strata it could only reach the
// primary, and stopping it would stop the cluster under every client of
// every application, not the server the client meant: that is done on the
// server's own address. The code is the server's for a missing privilege,
// which is what it is: no Strata user holds this one.
func errShutdownRefused() *wire.Error {
	return wire.NewError(wire.ErSpecificAccess,
		"Access denied; Strata does not pass SHUTDOWN on: it would stop the primary under every client of the cluster. Shut a server down on its own address (for a primary, after `strata switchover`)")
}

// RefuseShutdown answers COM_SHUTDOWN.
func (s *Session) RefuseShutdown() error {
	return s.refuse(errShutdownRefused())
}

// shutsDown reports whether one of stmts is SHUTDOWN.
func shutsDown(stmts []*sqlparse.Facts) bool {
	for _, f := range stmts {
		if f.Kind == sqlparse.KindShutdown {
			return true
		}
	}
	return false
}

// ProcessInfo answers COM_PROCESS_INFO (the C API's
// mysql_list_processes), which MariaDB answers as SHOW PROCESSLIST: with
// Strata's own list of the user's sessions, as that statement is.
func (s *Session) ProcessInfo(ctx context.Context) error {
	return s.Query(ctx, append([]byte{wire.ComQuery}, "SHOW PROCESSLIST"...))
}

// Refresh runs a COM_REFRESH (mariadb-admin refresh, flush-threads): the
// server's FLUSH of the option bits it carries, run where a FLUSH without
// tables runs (the primary; with shards, the default cluster's). The
// packet goes on unchanged rather than as FLUSH text because the two
// differ: COM_REFRESH is not written to the binary log, and its options
// (TABLES with the others) have no single FLUSH statement. Like FLUSH it
// commits an open transaction first.
func (s *Session) Refresh(ctx context.Context, packet []byte) error {
	if len(packet) < 2 {
		return s.refuse(wire.NewError(wire.ErMalformedPacket, "Malformed communication packet: COM_REFRESH without its options"))
	}
	f := &sqlparse.Facts{Kind: sqlparse.KindFlush, ImplicitCommit: true, Text: "COM_REFRESH"}
	if handled, err := s.answerInCrossTransaction(ctx, []*sqlparse.Facts{f}); handled {
		return err
	}
	defer s.checkBranches()
	return s.run(ctx, command{facts: f}, func(c *backend.Conn, _ *backend.Capture) (backend.Result, error) {
		if err := c.Command(packet); err != nil {
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		return c.RelayOne(s.client)
	})
}
