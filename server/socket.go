package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// listenSocket binds listen_socket, where clients on Strata's host connect
// as to a server's socket. The socket is made under another name and
// renamed onto path, so the path always names a listening socket: a new
// Strata taking over (handover_socket, tookOver) moves it from the old
// process without a moment in which clients find nothing. Otherwise a
// socket someone still listens on is refused, as a taken TCP port is.
func listenSocket(path string, tookOver bool) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("making the directory of listen_socket: %w", err)
	}
	if err := checkSocketPath(path, tookOver); err != nil {
		return nil, err
	}
	tmp := path + "." + strconv.Itoa(os.Getpid())
	_ = os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening for clients on listen_socket %s: %w", path, err)
	}
	// A process taking over binds the path again: this one must not
	// remove the new one's file when it closes (removeSocket decides).
	ln.SetUnlinkOnClose(false)
	// Anyone on the host may connect, as to a server's socket: the MySQL
	// accounts (users:) decide who logs in.
	err = os.Chmod(tmp, 0o777)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		ln.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("listening for clients on listen_socket %s: %w", path, err)
	}
	return ln, nil
}

// checkSocketPath refuses a path that holds another file, or a socket
// another process serves (unless this one takes over from it).
func checkSocketPath(path string, tookOver bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("listen_socket %s: %w", path, err)
	case fi.Mode()&os.ModeSocket == 0:
		return fmt.Errorf("listen_socket %s exists and is not a socket: remove it or choose another path", path)
	case tookOver:
		return nil
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil // a stale file a stopped process left: replaced by the rename
	}
	c.Close()
	return fmt.Errorf("listen_socket %s: another process listens there (a server, or another Strata); stop it, or choose another path", path)
}

// closeSocket stops accepting on listen_socket and removes its file,
// unless a new process took the path over (a handover), whose file it is
// by now.
func (s *Strata) closeSocket() {
	s.lnMu.Lock()
	ln := s.socketLn
	s.socketLn = nil
	s.lnMu.Unlock()
	if ln == nil {
		return
	}
	ln.Close()
	select {
	case <-s.handedOver:
	default:
		_ = os.Remove(s.Config.ListenSocket)
	}
}
