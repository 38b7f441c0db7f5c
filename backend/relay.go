package backend

import (
	"errors"
	"fmt"
	"io"

	"github.com/strata-proxy/strata/wire"
)

// Result summarizes a relayed response: enough for session bookkeeping,
// metrics and deciding whether a retry is still safe.
type Result struct {
	Status uint16 // status flags of the final OK/EOF
	// HasStatus is false for replies that carry no status flags
	// (COM_STATISTICS, COM_FIELD_LIST): Status then says nothing.
	HasStatus bool
	// Warnings is the warning count of the final OK/EOF: with Err, it
	// says whether the server holds diagnostics (SHOW WARNINGS) of the
	// statement on that connection.
	Warnings     uint16
	AffectedRows uint64
	LastInsertID uint64
	Rows         int
	Err          *wire.Error // the server's error, if the response was an ERR
	// Sent is true once any byte of the response went to the client's buffer:
	// after that a failure cannot be hidden by retrying elsewhere.
	Sent bool
	// GTID is the last_gtid the server reported in the answer (the last
	// report, for several statements), "" when none did. GTIDTracked says
	// whether every packet that ended a statement could report it (the
	// connection TracksGTID, and no classic EOF ended a result set): only
	// then does "" mean that nothing reached the binary log.
	GTID        string
	GTIDTracked bool
}

// ClientError wraps a failure writing to or reading from the client; the
// backend connection is then mid-response and must be discarded.
type ClientError struct{ Err error }

func (e *ClientError) Error() string { return "client connection: " + e.Err.Error() }
func (e *ClientError) Unwrap() error { return e.Err }

// ServerError wraps a network failure talking to the backend server.
type ServerError struct {
	Addr string
	Err  error
}

func (e *ServerError) Error() string { return fmt.Sprintf("server %s: %v", e.Addr, e.Err) }
func (e *ServerError) Unwrap() error { return e.Err }

// IsServerGone reports whether err is a backend network failure.
func IsServerGone(err error) bool {
	var se *ServerError
	return errors.As(err, &se)
}

// relay copies one response from the server to the client byte for byte.
type relay struct {
	c          *Conn
	client     *wire.Conn
	out        io.Writer // the client's buffer, or a tee into a Capture
	allowLocal bool      // the client accepts LOAD DATA LOCAL file requests
	// refusedLocal: a request for a local file was answered with an
	// empty one, for a client that does not accept such requests.
	refusedLocal bool
	res          Result
	head         []byte // the first bytes of the current packet, for inspection
	sawLocal     bool
	// chain: the answer is one of several to the client's command
	// (wire.Chain). Its packets are numbered on from the client's
	// sequence (shift), and its end says whether another answer follows.
	chain *wire.Chain
	shift byte
	// rename, when set, names the table of each result column's
	// org_table (wire.RenameOrgTable).
	rename func(orgTable string) string
	// asText: the answer is a prepared statement's, run for a client's
	// text statement; its rows go to the client in the text protocol
	// (textexec.go).
	asText *Stmt
	text   *wire.TextRows // the current result's, set by textResultSet
	// extraSeq is how many more packets than the server's went to the
	// client so far: a text row of 16 MB or more takes one more than its
	// binary row, or one fewer.
	extraSeq byte
}

// Relay streams the response to the command just sent on c to client:
// OK/ERR, text or binary result sets, several results of a multi-statement,
// and LOAD DATA LOCAL file transfers (the file comes from the client; Strata
// never reads its own files). Nothing is buffered beyond one packet.
func (c *Conn) Relay(client *wire.Conn, allowLocal bool) (Result, error) {
	return c.RelayCapture(client, allowLocal, nil)
}

// Capture keeps a copy of a relayed response (for the result cache), up to
// Limit bytes; past that it stops copying and marks itself Overflowed.
type Capture struct {
	Limit      int
	Data       []byte
	Overflowed bool
	// Unsafe is set when the response must not be replayed to another
	// client: a LOAD DATA LOCAL exchange.
	Unsafe bool
}

type tee struct {
	w   io.Writer
	cap *Capture
}

func (t tee) Write(p []byte) (int, error) {
	if !t.cap.Overflowed {
		if len(t.cap.Data)+len(p) > t.cap.Limit {
			t.cap.Overflowed, t.cap.Data = true, nil
		} else {
			t.cap.Data = append(t.cap.Data, p...)
		}
	}
	return t.w.Write(p)
}

// RelayCapture is Relay that also copies the response into capture (nil: no copy).
func (c *Conn) RelayCapture(client *wire.Conn, allowLocal bool, capture *Capture) (Result, error) {
	return c.RelayRenaming(client, allowLocal, capture, nil)
}

// RelayRenaming is RelayCapture whose result sets' column definitions
// name, as the table a column is read from, what rename answers for the
// server's name ("": the server's); nil renames nothing.
func (c *Conn) RelayRenaming(client *wire.Conn, allowLocal bool, capture *Capture, rename func(orgTable string) string) (Result, error) {
	r := relay{c: c, client: client, out: client.W, allowLocal: allowLocal, rename: rename}
	r.res.GTIDTracked = c.TracksGTID
	if client.Chain != nil {
		// A server numbers its answer from 1; the client expects it to
		// follow the answers before it.
		r.chain, r.shift = client.Chain, client.Seq-1
	}
	if capture != nil {
		r.out = tee{w: client.W, cap: capture}
	}
	err := r.run()
	if capture != nil && r.sawLocal {
		capture.Unsafe = true
	}
	if err != nil {
		c.Broken = true
	}
	return r.res, err
}

func (r *relay) run() error {
	for {
		n, seq, err := r.readHeader()
		if err != nil {
			return err
		}
		if n == 0 {
			return &ServerError{r.c.Addr, errors.New("empty response packet")}
		}
		first := r.head[0]
		switch first {
		case wire.HeaderOK:
			ok, _ := wire.ParseOK(r.head)
			r.res.Status, r.res.Warnings, r.res.AffectedRows, r.res.LastInsertID = ok.Status, ok.Warnings, ok.AffectedRows, ok.LastInsertID
			r.res.HasStatus = true
			last := ok.Status&wire.StatusMoreResults == 0
			if r.refusedLocal && last {
				r.refusedLocal = false
				r.res.Err = ErrLocalInfileDisabled
				r.failed()
				return r.replace(n, seq, wire.AppendErr(nil, ErrLocalInfileDisabled))
			}
			if ok.Status&wire.StatusSessionStateChanged != 0 {
				err = r.stateOK(n, seq, last)
			} else {
				if last {
					r.markMore(true)
				}
				err = r.copy(n, seq)
			}
			if err != nil || last {
				return err
			}
		case wire.HeaderErr:
			p, err := r.capture(n, seq)
			if err != nil {
				return err
			}
			r.res.Err = wire.ParseErr(p) // already what capture sent
			r.failed()
			return nil
		case wire.HeaderLocalFile:
			if !r.allowLocal {
				// The client did not offer CLIENT_LOCAL_FILES: send the
				// server an empty file, and the client, which never saw
				// the request, the error a server gives such a client in
				// place of the OK that follows (nothing loaded).
				if err := r.refuseLocalInfile(n, seq); err != nil {
					return err
				}
				r.extraSeq -= 2 // the request and the empty file
				r.refusedLocal = true
				continue
			}
			r.sawLocal = true
			if err := r.copy(n, seq); err != nil {
				return err
			}
			if err := r.localInfile(); err != nil {
				return err
			}
		default:
			var more bool
			if r.asText != nil {
				more, err = r.textResultSet(n, seq)
			} else {
				more, err = r.resultSet(n, seq)
			}
			if err != nil || !more {
				return err
			}
		}
	}
}

// resultSet relays column count, column definitions, rows and the terminator.
// It reports whether another result follows.
func (r *relay) resultSet(n int, seq byte) (bool, error) {
	cols, _ := wire.ReadLenEnc(r.head)
	if err := r.copy(n, seq); err != nil {
		return false, err
	}
	for i := uint64(0); i < cols; i++ {
		if err := r.columnDef(); err != nil {
			return false, err
		}
	}
	if !r.c.Flavor.DeprecateEOF {
		if err := r.copyNext(); err != nil {
			return false, err
		}
	}
	return r.rows()
}

func (r *relay) rows() (bool, error) {
	for {
		n, seq, err := r.readHeader()
		if err != nil {
			return false, err
		}
		if n >= wire.MaxPayload {
			// A row of 16 MB or more: relay the continuation packets too,
			// without mistaking their first bytes for packet types.
			if r.text != nil {
				err = r.textRow(n, seq)
			} else {
				err = r.copyLong(n, seq)
			}
			if err != nil {
				return false, err
			}
			r.res.Rows++
			continue
		}
		switch {
		case n > 0 && r.head[0] == wire.HeaderErr:
			p, err := r.capture(n, seq)
			if err != nil {
				return false, err
			}
			r.res.Err = wire.ParseErr(p) // already what capture sent
			r.failed()
			return false, nil
		case n > 0 && r.head[0] == wire.HeaderEOF && (n < 9 || r.c.Flavor.DeprecateEOF):
			// Under DEPRECATE_EOF the terminator is an OK with header 0xfe; a
			// row can only start with 0xfe when its first value is 16 MB or
			// more, and such rows took the MaxPayload branch above.
			r.res.Status, r.res.Warnings = terminator(r.head, r.c.Flavor.DeprecateEOF)
			r.res.HasStatus = true
			more := r.res.Status&wire.StatusMoreResults != 0
			if !r.c.Flavor.DeprecateEOF {
				// An EOF packet has no room for session state.
				r.res.GTIDTracked = false
			}
			if r.res.Status&wire.StatusSessionStateChanged != 0 && r.c.Flavor.DeprecateEOF {
				return more, r.stateOK(n, seq, !more)
			}
			if !more {
				r.markMore(r.c.Flavor.DeprecateEOF)
			}
			if err := r.copy(n, seq); err != nil {
				return false, err
			}
			return more, nil
		default:
			if r.text != nil {
				err = r.textRow(n, seq)
			} else {
				err = r.copy(n, seq)
			}
			if err != nil {
				return false, err
			}
			r.res.Rows++
		}
	}
}

// stateOK relays an OK packet (header 0x00, or 0xfe ending a result set)
// that carries session state: the last_gtid it reports goes to the
// result, and the client gets the packet without the state, which it
// never asked for. last says that it ends the server's answer.
func (r *relay) stateOK(n int, seq byte, last bool) error {
	r.res.Status &^= wire.StatusSessionStateChanged // what the client sees
	if n <= wire.BufferSize/2 {
		p, err := r.c.R.Peek(n)
		if err != nil {
			return &ServerError{r.c.Addr, err}
		}
		if stripped, ok := wire.StripSessionState(r.c.okBuf[:0], p); ok {
			if gtid, found := wire.TrackedVariable(p, "last_gtid"); found {
				r.res.GTID = gtid
			}
			r.c.okBuf = stripped
			if last && r.chain != nil && r.chain.More {
				wire.MarkMoreResults(stripped, true)
			}
			return r.replace(n, seq, stripped)
		}
	}
	// Not an OK Strata can take apart (none is this long): it goes as it
	// came, and what it reported is not known.
	r.res.GTIDTracked = false
	if last {
		r.markMore(true)
	}
	return r.copy(n, seq)
}

// terminator returns the status flags and warning count of the packet that
// ends a result set.
func terminator(head []byte, deprecateEOF bool) (status, warnings uint16) {
	if deprecateEOF {
		ok, _ := wire.ParseOK(head)
		return ok.Status, ok.Warnings
	}
	warnings, status = wire.ParseEOF(head)
	return status, warnings
}

// localInfile forwards the file the client sends (packets until an empty
// one) to the server.
func (r *relay) localInfile() error {
	if err := r.client.Flush(); err != nil {
		return &ClientError{err}
	}
	for {
		n, seq, err := r.client.ReadHeader()
		if err != nil {
			return &ClientError{err}
		}
		if err := copyPacket(r.c, r.c.W, r.client.R, n, seq, true); err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	if err := r.c.Flush(); err != nil {
		return &ServerError{r.c.Addr, err}
	}
	return nil
}

// ErrLocalInfileDisabled is MariaDB's answer to LOAD DATA LOCAL from a
// client that did not offer local files (ER_LOAD_INFILE_CAPABILITY_DISABLED).
var ErrLocalInfileDisabled = &wire.Error{Code: 4166, State: "HY000", Message: "The used command is not allowed because the MariaDB server or client has disabled the local infile capability (connect with local files allowed, e.g. mariadb --local-infile=1)"}

func (r *relay) refuseLocalInfile(n int, seq byte) error {
	if _, err := r.c.R.Discard(n); err != nil {
		return &ServerError{r.c.Addr, err}
	}
	r.c.Seq = seq + 1
	if err := r.c.WriteFlush(nil); err != nil {
		return &ServerError{r.c.Addr, err}
	}
	return nil
}

// RelayUntilEOF relays packets up to and including an EOF or ERR packet
// (the reply to COM_FIELD_LIST: column definitions, then EOF).
func (c *Conn) RelayUntilEOF(client *wire.Conn) (Result, error) {
	r := relay{c: c, client: client, out: client.W}
	for {
		n, seq, err := r.readHeader()
		if err != nil {
			c.Broken = true
			return r.res, err
		}
		if n > 0 && r.head[0] == wire.HeaderErr {
			p, err := r.capture(n, seq)
			if err == nil {
				r.res.Err = wire.ParseErr(p) // already what capture sent
			}
			return r.res, err
		}
		if err := r.copy(n, seq); err != nil {
			c.Broken = true
			return r.res, err
		}
		if n > 0 && r.head[0] == wire.HeaderEOF {
			return r.res, nil
		}
	}
}

// RelayOne relays a single reply packet (COM_STATISTICS).
func (c *Conn) RelayOne(client *wire.Conn) (Result, error) {
	r := relay{c: c, client: client, out: client.W}
	n, seq, err := r.readHeader()
	if err == nil {
		if ok, parsed := wire.ParseOK(r.head); parsed && r.head[0] == wire.HeaderOK && ok.Status&wire.StatusSessionStateChanged != 0 {
			err = r.stateOK(n, seq, true) // a COM_REFRESH that was binlogged
		} else {
			err = r.copy(n, seq)
		}
	}
	if err != nil {
		c.Broken = true
	}
	return r.res, err
}

// readHeader reads the next packet header from the server and peeks at the
// start of its payload.
func (r *relay) readHeader() (int, byte, error) {
	n, seq, err := r.c.ReadHeader()
	if err != nil {
		return 0, 0, &ServerError{r.c.Addr, err}
	}
	peek := n
	if peek > 64 {
		peek = 64
	}
	r.head, err = r.c.R.Peek(peek)
	if err != nil {
		return 0, 0, &ServerError{r.c.Addr, err}
	}
	return n, seq, nil
}

// columnDef relays one column definition, its org_table renamed where
// r.rename says.
func (r *relay) columnDef() error {
	if r.rename == nil {
		return r.copyNext()
	}
	n, seq, err := r.readHeader()
	if err != nil {
		return err
	}
	if n > wire.BufferSize/2 {
		// No definition is this long; a packet that is goes as it is.
		if n >= wire.MaxPayload {
			return r.copyLong(n, seq)
		}
		return r.copy(n, seq)
	}
	p, err := r.c.R.Peek(n)
	if err != nil {
		return &ServerError{r.c.Addr, err}
	}
	if renamed, ok := wire.RenameOrgTable(p, r.rename); ok {
		return r.replace(n, seq, renamed)
	}
	return r.copy(n, seq)
}

func (r *relay) copyNext() error {
	n, seq, err := r.readHeader()
	if err != nil {
		return err
	}
	if n >= wire.MaxPayload {
		return r.copyLong(n, seq)
	}
	return r.copy(n, seq)
}

func (r *relay) copy(n int, seq byte) error {
	r.res.Sent = true
	seq += r.extraSeq
	if r.chain != nil {
		seq += r.shift
		r.client.Seq = seq + 1
	}
	return copyPacket(r.c, r.out, r.c.R, n, seq, false)
}

// markMore makes the packet that ends the server's answer (r.head, which
// is still in the read buffer and is relayed from there) say that another
// answer follows, when the client's command has one.
func (r *relay) markMore(okLayout bool) {
	if r.chain != nil && r.chain.More {
		wire.MarkMoreResults(r.head, okLayout)
	}
}

// failed notes an answer that was the server's error: the rest of the
// client's multi-statement query does not run.
func (r *relay) failed() {
	if r.chain != nil {
		r.chain.Failed = true
	}
}

// copyLong relays a packet of MaxPayload bytes and its continuations.
func (r *relay) copyLong(n int, seq byte) error {
	for {
		if err := r.copy(n, seq); err != nil {
			return err
		}
		if n < wire.MaxPayload {
			return nil
		}
		var err error
		if n, seq, err = r.readHeader(); err != nil {
			return err
		}
	}
}

// capture reads a (small) packet fully, relays it, and returns its payload.
func (r *relay) capture(n int, seq byte) ([]byte, error) {
	p, err := r.c.R.Peek(n)
	if err != nil {
		return nil, &ServerError{r.c.Addr, err}
	}
	if e := r.c.victimError(p); e != nil {
		// The statement was interrupted to end a deadlock across
		// servers: the client hears the deadlock, not the interruption.
		payload := wire.AppendErr(nil, e)
		return payload, r.replace(n, seq, payload)
	}
	saved := append([]byte(nil), p...)
	return saved, r.copy(n, seq)
}

// replace sends the client payload in place of the server's packet of n
// bytes, numbered as the server's (seq) would have been.
func (r *relay) replace(n int, seq byte, payload []byte) error {
	if _, err := r.c.R.Discard(n); err != nil {
		return &ServerError{r.c.Addr, err}
	}
	return r.send(seq, payload)
}

// send sends the client payload as the server's packet numbered seq.
func (r *relay) send(seq byte, payload []byte) error {
	r.res.Sent = true
	seq += r.extraSeq
	if r.chain != nil {
		seq += r.shift
		r.client.Seq = seq + 1
	}
	// The connection's header buffer: a local array would escape through
	// the io.Writer, one allocation per packet.
	r.c.hdr = [4]byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq}
	if _, err := r.out.Write(r.c.hdr[:]); err != nil {
		return &ClientError{err}
	}
	if _, err := r.out.Write(payload); err != nil {
		return &ClientError{err}
	}
	return nil
}

// copyPacket writes a header and copies n payload bytes from src to dst in
// buffer-sized chunks, attributing each failure to the side it came from.
// c is the backend connection on one side (toServer tells which side dst
// is): it names the server in errors and holds the header while it is
// written.
func copyPacket(c *Conn, dst io.Writer, src interface {
	Peek(int) ([]byte, error)
	Discard(int) (int, error)
	Size() int
}, n int, seq byte, toServer bool) error {
	addr := c.Addr
	wrapDst := func(err error) error {
		if toServer {
			return &ServerError{addr, err}
		}
		return &ClientError{err}
	}
	wrapSrc := func(err error) error {
		if toServer {
			return &ClientError{err}
		}
		return &ServerError{addr, err}
	}
	c.hdr = [4]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}
	if _, err := dst.Write(c.hdr[:]); err != nil {
		return wrapDst(err)
	}
	for n > 0 {
		chunk := n
		if chunk > src.Size() {
			chunk = src.Size()
		}
		p, err := src.Peek(chunk)
		if err != nil {
			return wrapSrc(err)
		}
		if _, err := dst.Write(p); err != nil {
			return wrapDst(err)
		}
		_, _ = src.Discard(chunk)
		n -= chunk
	}
	return nil
}
