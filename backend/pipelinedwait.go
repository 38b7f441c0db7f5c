package backend

import (
	"errors"

	"github.com/strata-proxy/strata/wire"
)

// A read that must see a write (read-your-writes) runs on a replica only
// once the replica has applied it: Strata asks MASTER_GTID_WAIT there
// first. Asked on its own, that wait is one more round trip before every
// such read. Pipelined, it goes out in the same write as the read, and the
// server runs the read the moment the wait returns: when the replica has
// the write (the usual case), the read's answer follows the wait's with
// no round trip between them; when it has not, the read ran too early and
// its answer is read and dropped, and the read goes elsewhere.

// ErrReplicaBehind is what a request pipelined behind a wait (WaitFirst)
// ends with when the wait did not succeed: the request's answer has been
// read and dropped, nothing of it reached the client, and the connection
// is ready for the next command (or Broken, when the answer was too long
// to read: maxDroppedRows).
var ErrReplicaBehind = errors.New("the replica has not applied the write the read must see")

// WaitFirst makes the next RequestFor (or prepare, Stmt) send wait, a
// statement whose answer is one value, "0" when it succeeded (a
// MASTER_GTID_WAIT), ahead of its request in the same write; the
// request's answer then counts only if the wait succeeded
// (ErrReplicaBehind). Only those send it: the caller must send its
// request that way, or cancel the wait (CancelWait).
func (c *Conn) WaitFirst(wait string) { c.waitFirst = wait }

// CancelWait drops a wait that no RequestFor has sent yet (the command
// ended before its request: a prepare the server refused) and reports
// whether there was one: then nothing was learned of the replica.
func (c *Conn) CancelWait() (unsent bool) {
	unsent = c.waitFirst != ""
	c.waitFirst = ""
	return unsent
}

// requestAfterWait sends the pending wait and payload in one write, reads
// the wait's answer, and leaves the request's answer to be read (the wait
// succeeded) or reads and drops it (ErrReplicaBehind).
func (c *Conn) requestAfterWait(payload []byte) error {
	applied, err := c.sendAfterWait(payload)
	switch {
	case err != nil:
		return err
	case applied:
		return nil
	}
	if err := c.discardAnswer(); err != nil {
		return err
	}
	return ErrReplicaBehind
}

// sendAfterWait sends the pending wait and the command payload in one
// write and reads the wait's answer: applied when it succeeded. The
// command's answer is next on the connection. An error is the
// connection's: it is Broken.
func (c *Conn) sendAfterWait(payload []byte) (applied bool, err error) {
	c.waitPacket = append(append(c.waitPacket[:0], wire.ComQuery), c.waitFirst...)
	c.waitFirst = ""
	c.Seq = 0
	err = c.WritePacket(c.waitPacket)
	if err == nil {
		c.Seq = 0
		err = c.WritePacket(payload)
	}
	if err == nil {
		err = c.Flush()
	}
	c.Uses++ // the wait is a command of its own
	if err := c.sent(err); err != nil {
		return false, &ServerError{Addr: c.Addr, Err: err}
	}
	v, err := c.readValue()
	if c.Broken {
		return false, &ServerError{Addr: c.Addr, Err: err}
	}
	return err == nil && v == "0", nil
}

// maxDroppedRows bounds the rows of an answer discardAnswer reads to drop
// it. A longer one (a report that ran on a replica too early) is cut off
// by closing the connection instead: reading it all would cost Strata the
// whole transfer, and the server stops sending when it finds the
// connection gone.
const maxDroppedRows = 1024

// discardAnswer reads and drops the answer to the command just sent, every
// result of it. An answer the server ended with an ERR leaves the
// connection usable; one longer than maxDroppedRows rows, or a failed
// read, leaves it Broken (an I/O error is returned, a cut-off is not).
func (c *Conn) discardAnswer() error {
	r := &Rows{c: c}
	if err := r.readHead(); err != nil || r.done {
		if c.Broken {
			return err
		}
		return nil
	}
	for range maxDroppedRows + 1 {
		p, err := c.ReadPacket()
		switch {
		case err != nil:
			c.Broken = true
			return &ServerError{Addr: c.Addr, Err: err}
		case len(p) > 0 && p[0] == wire.HeaderErr:
			return nil
		case r.isTerminator(p):
			if r.terminatorStatus(p)&wire.StatusMoreResults == 0 {
				return nil
			}
			if err := r.drainMore(); err != nil && c.Broken {
				return err
			}
			return nil
		}
	}
	c.Broken = true // cut off: see maxDroppedRows
	return nil
}
