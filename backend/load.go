package backend

import (
	"context"
	"errors"

	"github.com/strata-proxy/strata/wire"
)

// Load is a LOAD DATA LOCAL INFILE in progress on a connection: the server
// has asked for the file, and Strata sends it, packet by packet, the rows
// this server is to load (a file split between shards). Finish ends the
// file and reads the statement's answer.
type Load struct {
	r Rows // for its context watch and error helpers
}

// StartLoad sends a LOAD DATA LOCAL statement and reads the server's
// request for the file. A server that answers with an error (no such
// table, local_infile off) returns it as a *wire.Error; the connection
// stays usable then.
func (c *Conn) StartLoad(ctx context.Context, sql string) (*Load, error) {
	if c.Broken {
		return nil, &ServerError{c.Addr, errors.New("connection is broken")}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &Load{r: Rows{c: c, watch: watchCtx(ctx, c)}}
	c.scratch = append(c.scratch[:0], wire.ComQuery)
	c.scratch = append(c.scratch, sql...)
	if err := c.Command(c.scratch); err != nil {
		return nil, l.fail(l.r.ioErr(err))
	}
	p, err := c.ReadPacket()
	switch {
	case err != nil:
		return nil, l.fail(l.r.ioErr(err))
	case len(p) > 0 && p[0] == wire.HeaderLocalFile:
		return l, nil
	case len(p) > 0 && p[0] == wire.HeaderErr:
		l.r.finish()
		return nil, c.parseErr(p)
	}
	// Anything else leaves the connection in a state Strata cannot follow.
	return nil, l.fail(l.r.protoErr("LOAD DATA LOCAL answered without asking for the file"))
}

// Write sends bytes of the file as the next packet. Rows may be cut
// anywhere between packets: the server reads them as one stream.
func (l *Load) Write(p []byte) error {
	if len(p) == 0 {
		return nil // an empty packet would end the file
	}
	if err := l.r.c.WritePacket(p); err != nil {
		return l.fail(l.r.ioErr(err))
	}
	return nil
}

// Finish sends the empty packet that ends the file and reads the
// statement's answer: its OK, or the server's error as a *wire.Error.
func (l *Load) Finish() (QueryResult, error) {
	c := l.r.c
	if err := c.WritePacket(nil); err != nil {
		return QueryResult{}, l.fail(l.r.ioErr(err))
	}
	if err := c.Flush(); err != nil {
		return QueryResult{}, l.fail(l.r.ioErr(err))
	}
	p, err := c.ReadPacket()
	switch {
	case err != nil:
		return QueryResult{}, l.fail(l.r.ioErr(err))
	case len(p) > 0 && p[0] == wire.HeaderErr:
		l.r.finish()
		return QueryResult{}, l.r.c.parseErr(p)
	case len(p) > 0 && p[0] == wire.HeaderOK:
		res, err := l.r.parseOK(p)
		l.r.finish()
		return res, err
	}
	return QueryResult{}, l.fail(l.r.protoErr("unexpected answer to the end of a LOAD DATA LOCAL file"))
}

// fail ends the context watch and marks the connection broken: a file
// transfer cut short leaves it mid-statement.
func (l *Load) fail(err error) error {
	l.r.c.Broken = true
	l.r.finish()
	return err
}
