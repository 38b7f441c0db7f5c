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
	nc := c.Conn
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn() // a TLS record (close_notify) counts as bytes too
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false // not a socket (pipes in tests): nothing to look at
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	var (
		buf   [1]byte
		errno error
	)
	err = rc.Read(func(fd uintptr) bool {
		_, _, errno = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // look once, never wait
	})
	switch {
	case err != nil: // closed on our side, or a deadline passed
		return true
	case errors.Is(errno, syscall.EAGAIN) || errors.Is(errno, syscall.EINTR):
		return false // open, and nothing came: fine
	case errno != nil: // ECONNRESET and the like
		return true
	}
	return true // data (n > 0), or the peer's FIN (n == 0)
}

// ClientGone reports whether the client of a connection that is busy
// elsewhere (its session waits for a server's answer) has closed its end
// or reset it. Unlike PeerClosed, bytes waiting to be read are not a sign
// of it (a client may send its next command early), and the reader's
// buffer is not looked at: another goroutine owns it. A TLS client that
// sent close_notify first is seen only once its bytes are read. One
// non-blocking MSG_PEEK of the socket.
func (c *Conn) ClientGone() bool {
	nc := c.Conn
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var (
		buf   [1]byte
		n     int
		errno error
	)
	// Control, not Read: Read would queue behind the session's own read,
	// which may wait for the client's next command for hours.
	err = rc.Control(func(fd uintptr) {
		n, _, errno = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	switch {
	case err != nil: // closed on our side: the session ends by itself
		return false
	case errors.Is(errno, syscall.EAGAIN) || errors.Is(errno, syscall.EINTR):
		return false // open, and nothing came
	case errno != nil: // ECONNRESET and the like
		return true
	}
	return n == 0 // the client's FIN; n > 0 is its next command
}
