package backend

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/wire"
)

// QueryResult is the OK packet that answered a statement without a result
// set, or the status of the terminator that ended a result set.
type QueryResult struct {
	AffectedRows uint64
	LastInsertID uint64
	Warnings     uint16
	Status       uint16
	Info         string // the OK packet's human-readable info ("Rows matched: ...")
}

// ErrMultiResult answers a query whose answer holds several results (a
// multi-statement, or CALL of a procedure returning a result set). The
// answer has been drained, so the connection stays usable. It is a
// *wire.Error so that it can be relayed to the client like a server's.
var ErrMultiResult = &wire.Error{Code: wire.ErNotSupportedYet, State: "42000", Message: "multi-result answers are not supported in a scatter"}

// Rows is the answer of one COM_QUERY read as a stream of decoded rows. It
// implements engine.RowStream. Until it is closed (or has returned io.EOF
// or an error) its connection must not be used for anything else.
//
// Errors, from QueryRows, Next, Close and Exec, come in two kinds that
// errors.As tells apart:
//   - *wire.Error: the server answered with an ERR packet (or Strata
//     refuses the answer, as with ErrMultiResult). The connection is in a
//     clean state and reusable; relay the error to the client.
//   - *ServerError: the connection failed (I/O error, malformed packet,
//     cancelled context). The connection is marked Broken; IsServerGone
//     reports true.
type Rows struct {
	c       *Conn
	cols    []engine.Column
	defs    [][]byte
	res     QueryResult
	done    bool  // the whole answer has been read
	err     error // the error Next keeps returning once done
	closed  bool
	watch   *ctxWatch
	ncols   int
	numRows int
}

// QueryRows sends sql as COM_QUERY and reads the answer's column
// definitions; the rows follow through Next. An answer without a result
// set (an OK packet) gives Rows without columns whose Next returns io.EOF
// at once and whose Result holds the OK. A multi-result answer is drained
// and reported as ErrMultiResult (by QueryRows for a leading OK, by Next
// after the first result's rows otherwise).
//
// ctx bounds the whole answer, rows included, until the Rows is done or
// closed: when it is cancelled, the connection's read deadline is set in
// the past, the read in progress fails and the connection is Broken.
func (c *Conn) QueryRows(ctx context.Context, sql string) (*Rows, error) {
	if c.Broken {
		return nil, &ServerError{c.Addr, errors.New("connection is broken")}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := c.send(ctx, sql)
	if err != nil {
		return nil, err
	}
	if err := r.readHead(); err != nil {
		r.finish()
		return nil, err
	}
	return r, nil
}

// Exec runs a statement that answers with an OK packet (DML on a shard).
// A result set answer is drained and reported as an error; the connection
// stays usable.
func (c *Conn) Exec(ctx context.Context, sql string) (QueryResult, error) {
	r, err := c.send(ctx, sql)
	if err != nil {
		return QueryResult{}, err
	}
	return r.execResult()
}

// ExecEach runs sqls[i] on conns[i], as Exec does, but sends every
// statement before it reads any answer, so the servers run them side by
// side. The connections must be distinct. Every answer is read, also
// after one failed: results[i] and errs[i] are conns[i]'s.
func ExecEach(ctx context.Context, conns []*Conn, sqls []string) (results []QueryResult, errs []error) {
	results, errs = make([]QueryResult, len(conns)), make([]error, len(conns))
	sent := make([]*Rows, len(conns))
	for i, c := range conns {
		sent[i], errs[i] = c.send(ctx, sqls[i])
	}
	for i, r := range sent {
		if r != nil {
			results[i], errs[i] = r.execResult()
		}
	}
	return results, errs
}

// send sends a statement and returns the Rows that read its answer.
func (c *Conn) send(ctx context.Context, sql string) (*Rows, error) {
	if c.Broken {
		return nil, &ServerError{c.Addr, errors.New("connection is broken")}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &Rows{c: c, watch: watchCtx(ctx, c)}
	c.scratch = append(c.scratch[:0], wire.ComQuery)
	c.scratch = append(c.scratch, sql...)
	if err := c.Command(c.scratch); err != nil {
		r.finish()
		return nil, r.ioErr(err)
	}
	return r, nil
}

// execResult reads the answer of a statement sent for Exec.
func (r *Rows) execResult() (QueryResult, error) {
	if err := r.readHead(); err != nil {
		r.finish()
		return QueryResult{}, err
	}
	if r.ncols > 0 {
		if err := r.Close(); err != nil {
			return QueryResult{}, err
		}
		return QueryResult{}, fmt.Errorf("%s: statement answered with a result set, expected OK", r.c.Addr)
	}
	return r.Result(), r.Close()
}

// Columns returns the parsed column definitions (nil for an OK answer).
func (r *Rows) Columns() []engine.Column { return r.cols }

// ColumnPackets returns the raw ColumnDefinition41 payloads, to forward to
// the client verbatim.
func (r *Rows) ColumnPackets() [][]byte { return r.defs }

// Result returns the OK packet of an answer without a result set; for a
// result set, once Next has returned io.EOF, Status and Warnings of its
// terminator.
func (r *Rows) Result() QueryResult { return r.res }

// RowCount is the number of rows Next has returned.
func (r *Rows) RowCount() int { return r.numRows }

// Next returns the next row, io.EOF after the last. Every row is freshly
// allocated: the caller may keep it.
func (r *Rows) Next(ctx context.Context) (engine.Row, error) {
	if r.closed {
		return nil, errors.New("backend rows: Next after Close")
	}
	if r.done {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		// Leave the rest unread: Close drains it (or fails, if the
		// query's own context is cancelled too).
		return nil, err
	}
	p, err := r.c.ReadPacket()
	if err != nil {
		return nil, r.end(r.ioErr(err))
	}
	switch {
	case len(p) == 0:
		return nil, r.end(r.protoErr("empty packet in result set"))
	case p[0] == wire.HeaderErr:
		return nil, r.end(r.c.parseErr(p))
	case r.isTerminator(p):
		st := r.parseTerminator(p)
		if st&wire.StatusMoreResults != 0 {
			if err := r.drainMore(); err != nil {
				return nil, r.end(err)
			}
			return nil, r.end(ErrMultiResult)
		}
		return nil, r.end(io.EOF)
	}
	// ReadPacket reuses its buffer: copy the row once, values alias the copy.
	row, err := engine.DecodeTextRow(append([]byte(nil), p...), r.ncols)
	if err != nil {
		return nil, r.end(r.protoErr(err.Error()))
	}
	r.numRows++
	return row, nil
}

// Close reads and discards whatever is left of the answer, so the
// connection can run the next command. It returns nil when the rest was a
// server's ERR (the caller no longer wanted it); an I/O error marks the
// connection Broken and is returned.
func (r *Rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.done {
		return nil
	}
	for {
		p, err := r.c.ReadPacket()
		if err != nil {
			return r.end(r.ioErr(err))
		}
		switch {
		case len(p) == 0:
			return r.end(r.protoErr("empty packet in result set"))
		case p[0] == wire.HeaderErr:
			r.end(nil)
			return nil
		case r.isTerminator(p):
			var err error
			if r.parseTerminator(p)&wire.StatusMoreResults != 0 {
				err = r.drainMore()
			}
			r.end(nil)
			var we *wire.Error
			if errors.As(err, &we) {
				return nil
			}
			return err
		}
	}
}

// readHead reads the first packet of the answer and, for a result set,
// the column definitions.
func (r *Rows) readHead() error {
	c := r.c
	p, err := c.ReadPacket()
	if err != nil {
		return r.end(r.ioErr(err))
	}
	if len(p) == 0 {
		return r.end(r.protoErr("empty reply"))
	}
	switch p[0] {
	case wire.HeaderOK:
		ok, err := r.parseOK(p)
		if err != nil {
			return r.end(err)
		}
		r.res = ok
		c.noteReport(p)
		if ok.Status&wire.StatusMoreResults != 0 {
			c.reportedAt = 0 // the answers drained below are not read for it
			if err := r.drainMore(); err != nil {
				return r.end(err)
			}
			return r.end(ErrMultiResult)
		}
		r.end(io.EOF)
		return nil
	case wire.HeaderErr:
		return r.end(r.c.parseErr(p))
	case wire.HeaderLocalFile:
		return r.end(r.refuseLocalFile())
	}
	n, w := wire.ReadLenEnc(p)
	if w == 0 || w != len(p) || n == 0 || n > 4096 {
		return r.end(r.protoErr(fmt.Sprintf("bad column count packet %x", p)))
	}
	r.ncols = int(n)
	r.cols = make([]engine.Column, 0, n)
	r.defs = make([][]byte, 0, n)
	for range n {
		p, err := c.ReadPacket()
		if err != nil {
			return r.end(r.ioErr(err))
		}
		def := append([]byte(nil), p...)
		col, err := engine.ParseColumnDef(def)
		if err != nil {
			return r.end(r.protoErr(err.Error()))
		}
		r.defs = append(r.defs, def)
		r.cols = append(r.cols, col)
	}
	if !c.Flavor.DeprecateEOF {
		p, err := c.ReadPacket()
		if err != nil {
			return r.end(r.ioErr(err))
		}
		if !wire.IsEOF(p) {
			return r.end(r.protoErr("no EOF after column definitions"))
		}
	}
	return nil
}

// refuseLocalFile answers a LOAD DATA LOCAL request with an empty file,
// reads the server's reply and refuses the statement: a scatter has no
// client file to send.
func (r *Rows) refuseLocalFile() error {
	c := r.c
	if err := c.WriteFlush(nil); err != nil {
		return r.ioErr(err)
	}
	p, err := c.ReadPacket()
	if err != nil {
		return r.ioErr(err)
	}
	switch {
	case len(p) > 0 && p[0] == wire.HeaderErr:
		return r.c.parseErr(p)
	case len(p) > 0 && p[0] == wire.HeaderOK:
		if ok, _ := wire.ParseOK(p); ok.Status&wire.StatusMoreResults != 0 {
			if err := r.drainMore(); err != nil {
				return err
			}
		}
		return wire.NewError(wire.ErNotSupportedYet, "LOAD DATA LOCAL is not supported in a scatter")
	}
	return r.protoErr("unexpected reply to an empty LOCAL INFILE")
}

// drainMore reads and discards the further results of a multi-result
// answer, up to the last one (or an ERR, which it returns).
func (r *Rows) drainMore() error {
	c := r.c
	for {
		p, err := c.ReadPacket()
		if err != nil {
			return r.ioErr(err)
		}
		if len(p) == 0 {
			return r.protoErr("empty reply")
		}
		switch p[0] {
		case wire.HeaderErr:
			return r.c.parseErr(p)
		case wire.HeaderOK:
			ok, _ := wire.ParseOK(p)
			if ok.Status&wire.StatusMoreResults == 0 {
				return nil
			}
			continue
		case wire.HeaderLocalFile:
			return r.refuseLocalFile()
		}
		// A result set: definitions, EOF (unless DEPRECATE_EOF), rows, terminator.
		n, _ := wire.ReadLenEnc(p)
		skip := int(n)
		if !c.Flavor.DeprecateEOF {
			skip++
		}
		for range skip {
			if _, err := c.ReadPacket(); err != nil {
				return r.ioErr(err)
			}
		}
		for {
			p, err := c.ReadPacket()
			if err != nil {
				return r.ioErr(err)
			}
			if len(p) > 0 && p[0] == wire.HeaderErr {
				return r.c.parseErr(p)
			}
			if r.isTerminator(p) {
				if r.terminatorStatus(p)&wire.StatusMoreResults == 0 {
					return nil
				}
				break
			}
		}
	}
}

// isTerminator tells the packet ending a result set from a row. Under
// DEPRECATE_EOF the terminator is an OK packet with header 0xfe, which
// may be longer than a classic EOF; a row starts with 0xfe only when its
// first value is 16 MB or more, so its packet is longer still.
func (r *Rows) isTerminator(p []byte) bool {
	if len(p) == 0 || p[0] != wire.HeaderEOF {
		return false
	}
	return len(p) < 9 || (r.c.Flavor.DeprecateEOF && len(p) < wire.MaxPayload)
}

func (r *Rows) terminatorStatus(p []byte) uint16 {
	if r.c.Flavor.DeprecateEOF {
		ok, _ := wire.ParseOK(p)
		return ok.Status
	}
	return wire.EOFStatus(p)
}

// parseTerminator records the terminator's status and warnings.
func (r *Rows) parseTerminator(p []byte) uint16 {
	if r.c.Flavor.DeprecateEOF {
		ok, _ := wire.ParseOK(p)
		r.res.Status, r.res.Warnings = ok.Status, ok.Warnings
	} else if len(p) >= 5 {
		r.res.Warnings = binary.LittleEndian.Uint16(p[1:])
		r.res.Status = binary.LittleEndian.Uint16(p[3:])
	}
	return r.res.Status
}

// parseOK decodes an OK packet including its info string (after which
// comes the session state, when its flag is set).
func (r *Rows) parseOK(p []byte) (QueryResult, error) {
	var q QueryResult
	pos := 1
	var n int
	q.AffectedRows, n = wire.ReadLenEnc(p[pos:])
	if n == 0 {
		return q, r.protoErr("malformed OK packet")
	}
	pos += n
	q.LastInsertID, n = wire.ReadLenEnc(p[pos:])
	if n == 0 {
		return q, r.protoErr("malformed OK packet")
	}
	pos += n
	if len(p) < pos+4 {
		return q, r.protoErr("malformed OK packet")
	}
	q.Status = binary.LittleEndian.Uint16(p[pos:])
	q.Warnings = binary.LittleEndian.Uint16(p[pos+2:])
	// MariaDB sends the info as a length-encoded string; take the rest of
	// the packet when it is not one.
	info := p[pos+4:]
	size, w := wire.ReadLenEnc(info)
	rest := uint64(len(info) - w)
	if w > 0 && (rest == size || rest > size && q.Status&wire.StatusSessionStateChanged != 0) {
		info = info[w : w+int(size)]
	}
	q.Info = string(info)
	return q, nil
}

// end finishes the answer with err (io.EOF for success; nil when the
// caller is closing): later Next calls return err, the context watch stops,
// and a connection-level error marks the connection Broken.
func (r *Rows) end(err error) error {
	if !r.done {
		r.done = true
		r.err = err
		if r.err == nil {
			r.err = io.EOF
		}
		r.finish()
	}
	var se *ServerError
	if errors.As(err, &se) {
		r.c.Broken = true
	}
	return err
}

func (r *Rows) finish() {
	if r.watch != nil {
		r.watch.stop()
		r.watch = nil
	}
}

// ioErr wraps a failure of the connection, naming the cancelled context
// when that is what made the read fail.
func (r *Rows) ioErr(err error) error {
	r.c.Broken = true
	if r.watch != nil && r.watch.fired() {
		err = fmt.Errorf("%w (%v)", r.watch.ctx.Err(), err)
	}
	return &ServerError{r.c.Addr, err}
}

func (r *Rows) protoErr(msg string) error {
	r.c.Broken = true
	return &ServerError{r.c.Addr, errors.New(msg)}
}

// ctxWatch sets a connection's deadline in the past when a context is
// cancelled, so a blocked read returns.
type ctxWatch struct {
	ctx     context.Context
	c       *Conn
	mu      sync.Mutex
	stopped bool
	hit     bool
	stopFn  func() bool
}

func watchCtx(ctx context.Context, c *Conn) *ctxWatch {
	if ctx.Done() == nil {
		return nil
	}
	w := &ctxWatch{ctx: ctx, c: c}
	w.stopFn = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.stopped {
			return
		}
		w.hit = true
		_ = c.SetDeadline(time.Unix(1, 0))
	})
	return w
}

func (w *ctxWatch) fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hit
}

// stop ends the watch; if it had fired, the deadline is cleared again (the
// connection is Broken anyway unless the answer was complete).
func (w *ctxWatch) stop() {
	w.stopFn()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.hit {
		_ = w.c.SetDeadline(time.Time{})
	}
}
