package wire

import (
	"crypto/tls"
	"errors"
	"syscall"
)

// PeerClosed reports whether a connection that should be silent — an idle
// backend connection, waiting in a pool between statements — can no longer
// serve: the peer closed it (a server's wait_timeout, a KILL, a restart)
// or sent something nobody asked for (the error a server writes before it
// closes). It looks without waiting and without taking any byte: one
// non-blocking MSG_PEEK of the socket.
func (c *Conn) PeerClosed() bool {
	if c.R.Buffered() > 0 {
		return true // bytes came that no request asked for
	}
	_, errno, err := c.peek() // a TLS record (close_notify) counts as bytes too
	switch {
	case errors.Is(err, errNotSocket):
		return false // pipes in tests: nothing to look at
	case err != nil: // closed on our side
		return true
	case errors.Is(errno, syscall.EAGAIN) || errors.Is(errno, syscall.EINTR):
		return false // open, and nothing came: fine
	case errno != nil: // ECONNRESET and the like
		return true
	}
	return true // data, or the peer's FIN
}

// ClientGone reports whether the client of a connection that is busy
// elsewhere (its session waits for a server's answer) has closed its end
// or reset it. Unlike PeerClosed, bytes waiting to be read are not a sign
// of it (a client may send its next command early), and the reader's
// buffer is not looked at: another goroutine owns it. A TLS client that
// sent close_notify first is seen only once its bytes are read. One
// non-blocking MSG_PEEK of the socket.
func (c *Conn) ClientGone() bool {
	n, errno, err := c.peek()
	switch {
	case err != nil: // no socket, or closed on our side: the session ends by itself
		return false
	case errors.Is(errno, syscall.EAGAIN) || errors.Is(errno, syscall.EINTR):
		return false // open, and nothing came
	case errno != nil: // ECONNRESET and the like
		return true
	}
	return n == 0 // the client's FIN; n > 0 is its next command
}

// errNotSocket: the connection is no socket (a pipe in tests).
var errNotSocket = errors.New("not a socket")

// peek looks at the socket under c once, without waiting and without
// taking a byte: n is what a read would return (0 at the peer's FIN) and
// errno its error; err says the socket could not be looked at.
func (c *Conn) peek() (n int, errno, err error) {
	nc := c.Conn
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return 0, nil, errNotSocket
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, nil, err
	}
	var buf [1]byte
	// Control, not Read: Read would queue behind a read of the session's
	// own, which may wait for the client's next command for hours.
	err = rc.Control(func(fd uintptr) {
		n, _, errno = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	return n, errno, err
}
