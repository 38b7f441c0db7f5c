package wire

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
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
// of it (a client may send its next command early), yet bytes followed by
// the client's FIN are (a TLS client's close_notify): it asks the kernel
// for the FIN itself (poll's POLLRDHUP) without waiting, and leaves the
// reader's buffer, which another goroutine owns, alone.
func (c *Conn) ClientGone() bool {
	rc, err := c.rawSocket()
	if err != nil {
		return false // no socket: nothing to look at
	}
	var revents int16
	// Control, not Read: Read would queue behind a read of the session's
	// own, which may wait for the client's next command for hours.
	err = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		if n, perr := unix.Poll(fds, 0); perr == nil && n > 0 {
			revents = fds[0].Revents
		}
	})
	return err == nil && revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
}

// errNotSocket: the connection is no socket (a pipe in tests).
var errNotSocket = errors.New("not a socket")

// peek looks at the socket under c once, without waiting and without
// taking a byte: n is what a read would return (0 at the peer's FIN) and
// errno its error; err says the socket could not be looked at.
func (c *Conn) peek() (n int, errno, err error) {
	rc, err := c.rawSocket()
	if err != nil {
		return 0, nil, err
	}
	var buf [1]byte
	err = rc.Control(func(fd uintptr) {
		n, _, errno = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	return n, errno, err
}

// rawSocket is the socket under c, under its TLS layer if any (and the
// bytes a client sent ahead of its TLS handshake, Unbuffered).
func (c *Conn) rawSocket() (syscall.RawConn, error) {
	sc, ok := c.socket().(syscall.Conn)
	if !ok {
		return nil, errNotSocket
	}
	return sc.SyscallConn()
}

// socket is the connection under c's layers: its compression, its TLS,
// and the bytes a client sent ahead of either.
func (c *Conn) socket() net.Conn {
	nc := c.Conn
	for {
		layer, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			return nc
		}
		nc = layer.NetConn()
	}
}

// Socket is the connection under c's compression and TLS, if any: for
// the socket options and descriptor only, never for reading or writing.
func (c *Conn) Socket() net.Conn { return c.socket() }

// OverTLS reports whether c is encrypted, compressed or not.
func (c *Conn) OverTLS() bool {
	for nc := c.Conn; ; {
		if _, ok := nc.(*tls.Conn); ok {
			return true
		}
		layer, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			return false
		}
		nc = layer.NetConn()
	}
}

// OverUnixSocket reports whether c is a Unix-socket connection, with TLS
// on it or not.
func (c *Conn) OverUnixSocket() bool {
	_, ok := c.socket().(*net.UnixConn)
	return ok
}

// PeerUID is the user id of the process at the other end of a Unix-socket
// connection, with TLS on it or not (SO_PEERCRED: what the kernel saw at
// connect, not anything the client says); ok is false for other
// connections.
func (c *Conn) PeerUID() (uid uint32, ok bool) {
	uc, isUnix := c.socket().(*net.UnixConn)
	if !isUnix {
		return 0, false
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var cred *unix.Ucred
	var credErr error
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || credErr != nil {
		return 0, false
	}
	return cred.Uid, true
}
