package frontend

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/wire"
)

// client is one connection's part in a graceful shutdown: whether its
// session waits for a command (and may be closed at once) or runs one
// (and ends after it), and whether it holds an open transaction (and is
// let finish it).
type client struct {
	conn  net.Conn
	state atomic.Int32                    // clientBusy, clientReading or clientClosing
	sess  atomic.Pointer[session.Session] // once logged in
	// waitingSince is when it began waiting for its command (UnixNano).
	waitingSince atomic.Int64
}

// inTransaction reports whether cl's session left a transaction open.
func (cl *client) inTransaction() bool {
	s := cl.sess.Load()
	return s != nil && s.TransactionOpen()
}

const (
	clientBusy    int32 = iota // logging in or running a command
	clientReading              // waiting for the next command
	clientClosing              // Shutdown took it while it waited: end without running more
)

// errShutdown ends a session when Strata shuts down.
var errShutdown = errors.New("Strata is shutting down")

// errServerShutdown is what a client ended by a shutdown reads as the
// answer to its next command: ER_SERVER_SHUTDOWN, as from MariaDB.
var errServerShutdown = wire.NewError(1053, "Server shutdown in progress: Strata is stopping; reconnect (to another Strata, or to this one once it is back)")

// drainGrace is how long, in the first half of a shutdown, a client may
// wait for its next command before it is closed: a web request's
// connection runs its statements a few milliseconds apart and should
// finish its request, while one that idles in a pool is closed soon (its
// driver then opens another, to whichever Strata listens now).
const drainGrace = 250 * time.Millisecond

// Draining reports that Shutdown began: no new client is taken.
func (s *Server) Draining() bool { return s.draining.Load() }

// Shutdown stops accepting clients and lets the connected ones finish:
// a client that waits drainGrace for its next command is closed; one
// running a statement gets its answer first; one inside a transaction
// may run statements until the transaction ends. After half of ctx's
// time, a waiting client is closed at once. When ctx ends, the remaining
// clients are closed as Close does (their transactions roll back,
// unacknowledged). Acknowledged writes are never cut off.
func (s *Server) Shutdown(ctx context.Context) error {
	start := time.Now()
	halfway := time.Time{} // never, without a deadline
	if dl, ok := ctx.Deadline(); ok {
		halfway = start.Add(dl.Sub(start) / 2)
	}
	s.mu.Lock()
	s.closing = true
	s.drainIdle.Store(int64(drainGrace))
	s.draining.Store(true)
	for _, ln := range s.lns {
		ln.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		now := time.Now()
		if !halfway.IsZero() && now.After(halfway) {
			s.drainIdle.Store(0)
		}
		s.closeWaiting(now)
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-tick.C:
			// A client that was busy or in a transaction may be
			// waiting without one now.
		}
	}
}

// closeWaiting ends every client that has waited drainIdle or longer for
// a command outside a transaction: its read is interrupted and its
// session, seeing the state, tells it why and ends.
func (s *Server) closeWaiting(now time.Time) {
	idleSince := now.Add(-time.Duration(s.drainIdle.Load())).UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cl := range s.conns {
		if cl.inTransaction() || cl.waitingSince.Load() > idleSince {
			continue
		}
		if cl.state.CompareAndSwap(clientReading, clientClosing) {
			_ = cl.conn.SetReadDeadline(time.Unix(1, 0))
		}
	}
}

// waitForCommand moves cl to waiting, at now, unless the shutdown wants
// the session to end first: it reports false then.
func (s *Server) waitForCommand(cl *client, now time.Time) bool {
	if s.draining.Load() && !cl.inTransaction() && (s.drainIdle.Load() == 0 || s.canPassOn(cl)) {
		return false
	}
	cl.waitingSince.Store(now.UnixNano())
	return cl.state.CompareAndSwap(clientBusy, clientReading)
}

// startCommand moves cl from waiting to busy; false when Shutdown took
// the connection while the command arrived (the command is not run).
func startCommand(cl *client) bool { return cl.state.CompareAndSwap(clientReading, clientBusy) }
