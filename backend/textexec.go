package backend

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/strata-proxy/strata/wire"
)

// ErrNoTextRows says that a prepared statement run for a client's text
// statement (RelayAsText) answered with a column whose binary values
// Strata cannot turn into text rows. Nothing reached the client, and the
// connection has read the whole answer: the caller sends the text
// instead.
var ErrNoTextRows = errors.New("the result has a column whose binary values have no exact text")

// textRows is what a statement's result columns need to be turned into
// text: the definitions they were read from, to tell when the server's
// columns change (an ALTER TABLE since the prepare), and the converter or
// the reason there is none.
type textRows struct {
	defs []byte // each definition with its 4-byte length before it
	rows *wire.TextRows
	err  error
}

// RelayAsText relays the answer to st's COM_STMT_EXECUTE, just sent on c
// for a client's COM_QUERY, as the server would have answered the query:
// the same packets, but each binary row turned into a text row.
// ErrNoTextRows leaves c ready for the next command.
func (c *Conn) RelayAsText(client *wire.Conn, capture *Capture, st *Stmt) (Result, error) {
	r := relay{c: c, client: client, out: client.W, asText: st}
	if client.Chain != nil {
		r.chain, r.shift = client.Chain, client.Seq-1
	}
	if capture != nil {
		r.out = tee{w: client.W, cap: capture}
	}
	err := r.run()
	if err != nil && err != ErrNoTextRows {
		c.Broken = true
	}
	if cap(c.rowIn) > wire.BufferSize || cap(c.rowOut) > wire.BufferSize {
		c.rowIn, c.rowOut = nil, nil // a long row's: not kept while idle
	}
	return r.res, err
}

// textResultSet is resultSet for a prepared statement's result that the
// client reads as text. The column count and definitions are held until
// all are read: only then is it known that every column can be turned
// into text, and until then the query can still be sent instead.
func (r *relay) textResultSet(n int, seq byte) (bool, error) {
	held := r.c.held[:0]
	held, err := r.hold(held, n)
	if err != nil {
		return false, err
	}
	cols, _ := wire.ReadLenEnc(held[4:])
	defsAt := len(held)
	for range cols {
		if held, err = r.holdNext(held); err != nil {
			return false, err
		}
	}
	defsEnd := len(held)
	if !r.c.Flavor.DeprecateEOF { // the EOF after the definitions
		if held, err = r.holdNext(held); err != nil {
			return false, err
		}
	}
	r.c.held = held
	rows, err := r.asText.textRowsOf(held[defsAt:defsEnd], int(cols))
	if err != nil {
		return false, r.drainRows()
	}
	r.text = rows
	for p := held; len(p) > 0; seq++ {
		size := int(binary.LittleEndian.Uint32(p))
		if err := r.send(seq, p[4:4+size]); err != nil {
			return false, err
		}
		p = p[4+size:]
	}
	return r.rows()
}

// holdNext reads the next packet onto held, after its length in 4 bytes.
func (r *relay) holdNext(held []byte) ([]byte, error) {
	n, _, err := r.readHeader()
	if err != nil {
		return held, err
	}
	return r.hold(held, n)
}

// hold reads the packet of n bytes whose header was just read onto held,
// after its length in 4 bytes.
func (r *relay) hold(held []byte, n int) ([]byte, error) {
	if n >= wire.MaxPayload {
		return held, &ServerError{r.c.Addr, errors.New("column definition of 16 MB")}
	}
	held = binary.LittleEndian.AppendUint32(held, uint32(n))
	at := len(held)
	held = append(held, make([]byte, n)...)
	if _, err := io.ReadFull(r.c.R, held[at:]); err != nil {
		return held, &ServerError{r.c.Addr, err}
	}
	return held, nil
}

// drainRows reads the rest of a result whose rows cannot be turned into
// text, up to its end, and reports ErrNoTextRows.
func (r *relay) drainRows() error {
	for {
		n, _, err := r.readHeader()
		if err != nil {
			return err
		}
		end := n > 0 && (r.head[0] == wire.HeaderErr || r.head[0] == wire.HeaderEOF && n < wire.MaxPayload && (n < 9 || r.c.Flavor.DeprecateEOF))
		if _, err := r.c.R.Discard(n); err != nil {
			return &ServerError{r.c.Addr, err}
		}
		if end {
			return ErrNoTextRows
		}
	}
}

// textRow relays a binary row, whose first packet of n bytes has just
// been announced, as its text row. A row of 16 MB or more comes in
// several packets and goes in as many as its text needs.
func (r *relay) textRow(n int, seq byte) error {
	row, packets, peeked, err := r.wholeRow(n)
	if err != nil {
		return err
	}
	text, err := r.text.Append(r.c.rowOut[:0], row)
	if err != nil {
		return &ServerError{r.c.Addr, err}
	}
	r.c.rowOut = text
	if peeked {
		if _, err := r.c.R.Discard(n); err != nil {
			return &ServerError{r.c.Addr, err}
		}
	}
	sent := 0
	for {
		chunk := min(len(text), wire.MaxPayload)
		if err := r.send(seq+byte(sent), text[:chunk]); err != nil {
			return err
		}
		sent++
		text = text[chunk:]
		if chunk < wire.MaxPayload {
			break
		}
	}
	r.extraSeq += byte(sent - packets)
	return nil
}

// wholeRow returns the payload of the row whose first packet of n bytes
// has just been announced, and the number of packets it took: peeked in
// the read buffer when it fits there (still to be discarded), else read
// into the connection's own buffer.
func (r *relay) wholeRow(n int) (row []byte, packets int, peeked bool, err error) {
	if n < wire.MaxPayload && n <= r.c.R.Size() {
		row, err := r.c.R.Peek(n)
		if err != nil {
			return nil, 0, false, &ServerError{r.c.Addr, err}
		}
		return row, 1, true, nil
	}
	row = r.c.rowIn[:0]
	for {
		at := len(row)
		row = append(row, make([]byte, n)...)
		if _, err := io.ReadFull(r.c.R, row[at:]); err != nil {
			return nil, 0, false, &ServerError{r.c.Addr, err}
		}
		packets++
		if n < wire.MaxPayload {
			break
		}
		if n, _, err = r.readHeader(); err != nil {
			return nil, 0, false, err
		}
	}
	r.c.rowIn = row
	return row, packets, false, nil
}

// textRowsOf returns the converter for a result of cols columns whose
// definitions are defs (each after its length), made once per statement
// and again when the server's columns change.
func (st *Stmt) textRowsOf(defs []byte, cols int) (*wire.TextRows, error) {
	if t := st.text; t != nil && bytes.Equal(t.defs, defs) {
		return t.rows, t.err
	}
	t := &textRows{defs: bytes.Clone(defs)}
	list := make([][]byte, 0, cols)
	for p := t.defs; len(p) >= 4; {
		size := int(binary.LittleEndian.Uint32(p))
		list = append(list, p[4:4+size])
		p = p[4+size:]
	}
	t.rows, t.err = wire.NewTextRows(list)
	st.text = t
	return t.rows, t.err
}
