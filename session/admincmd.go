package session

import (
	"context"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// The server administration commands mariadb-admin sends as commands of
// their own rather than as SQL.

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
