// Package handover passes a running Strata's listening sockets to a new
// Strata process, so Strata can be upgraded or restarted without refusing
// or resetting a single client connection.
//
// Closing a listening socket resets every connection queued on it and
// refuses new ones until another process binds the port; SO_REUSEPORT
// shares the port but still resets the closing listener's queue. So the
// socket itself is handed over instead, as HAProxy and Envoy do: the new
// process asks the running one over a Unix socket, receives duplicates of
// its listening descriptors (SCM_RIGHTS) and accepts on them, while the old
// process stops accepting and lets its own clients finish. Connections
// that arrive meanwhile wait in the socket's queue; none is lost.
//
// The exchange, one line each way after the descriptors:
//
//	new → old  TAKEOVER strata/1
//	old → new  the descriptors, with "NAME ADDRESS" lines naming them, then "end"
//	new → old  OK, or ABORT and why (the old process then accepts again)
package handover

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

const (
	request = "TAKEOVER strata/1"
	// replyTimeout bounds each wait for the other process.
	replyTimeout = 10 * time.Second
)

// Socket is one listening socket handed over: its name (mysql, admin)
// and the address it was configured with, and its descriptor.
type Socket struct {
	Name    string
	Address string
	File    *os.File
}

// Listen serves takeover requests on a Unix socket at path, replacing a
// stale socket file a stopped process left. Only the process's own user
// (or root) may connect: the file is made 0600 and peers are checked.
func Listen(path string) (*net.UnixListener, error) {
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening for a handover on %s: %w", path, err)
	}
	// The next process binds the path again; the old one must not remove
	// the new one's file when it closes.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("restricting %s to its owner: %w", path, err)
	}
	return ln, nil
}

// removeStale removes path if it is a socket nobody listens on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("handover socket %s exists and is not a socket: remove it or choose another handover_socket", path)
	}
	return os.Remove(path)
}

// Offer is a running process's listening sockets, received by the process
// taking over; Accept or Refuse answers the running process.
type Offer struct {
	Sockets []Socket
	conn    *net.UnixConn
}

// Request asks the Strata serving handover requests at path for its
// listening sockets. With no process listening there it returns nil and
// no error: the caller binds its ports itself.
func Request(ctx context.Context, path string) (*Offer, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("asking the running Strata on %s for its sockets: %w", path, err)
	}
	conn := c.(*net.UnixConn)
	_ = conn.SetDeadline(time.Now().Add(replyTimeout))
	if _, err := conn.Write([]byte(request + "\n")); err != nil {
		conn.Close()
		return nil, fmt.Errorf("asking the running Strata on %s for its sockets: %w", path, err)
	}
	sockets, err := receive(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("receiving the sockets of the running Strata on %s: %w", path, err)
	}
	return &Offer{Sockets: sockets, conn: conn}, nil
}

// Accept tells the running process the sockets are taken: it stops for
// good. The caller serves on the sockets.
func (o *Offer) Accept() error {
	defer o.conn.Close()
	_, err := o.conn.Write([]byte("OK\n"))
	return err
}

// Refuse tells the running process to go on accepting, and closes the
// received descriptors.
func (o *Offer) Refuse(why string) {
	for _, s := range o.Sockets {
		s.File.Close()
	}
	_, _ = o.conn.Write([]byte("ABORT " + strings.ReplaceAll(why, "\n", " ") + "\n"))
	o.conn.Close()
}

// receive reads the descriptors and the lines naming them.
func receive(conn *net.UnixConn) ([]Socket, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(8*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	files, err := parseRights(oob[:oobn])
	if err != nil {
		return nil, err
	}
	text := string(buf[:n])
	for !strings.HasSuffix(text, "end\n") {
		m, err := conn.Read(buf)
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("reading the socket names: %w", err)
		}
		text += string(buf[:m])
	}
	lines := strings.Split(strings.TrimSuffix(text, "end\n"), "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	if len(lines) != len(files) {
		closeAll(files)
		return nil, fmt.Errorf("got %d descriptors for %d sockets", len(files), len(lines))
	}
	sockets := make([]Socket, len(files))
	for i, line := range lines {
		name, addr, _ := strings.Cut(line, " ")
		sockets[i] = Socket{Name: name, Address: addr, File: files[i]}
	}
	return sockets, nil
}

func parseRights(oob []byte) ([]*os.File, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("reading the descriptors: %w", err)
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := syscall.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			files = append(files, os.NewFile(uintptr(fd), "handed-over socket"))
		}
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// Handler is the running process's side of one handover.
type Handler struct {
	conn *net.UnixConn
}

// Accepted reads a takeover request on a connection of Listen's listener
// and checks that the peer runs as this process's user (or root).
func Accepted(c net.Conn) (*Handler, error) {
	conn := c.(*net.UnixConn)
	if err := checkPeer(conn); err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(replyTimeout))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("reading the takeover request: %w", err)
	}
	if strings.TrimSpace(line) != request {
		return nil, fmt.Errorf("unknown takeover request %q", strings.TrimSpace(line))
	}
	return &Handler{conn: conn}, nil
}

// checkPeer refuses a process of another user: whoever takes the sockets
// receives every client's traffic.
func checkPeer(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if credErr != nil {
		return fmt.Errorf("reading the peer's credentials: %w", credErr)
	}
	if uid := uint32(os.Getuid()); cred.Uid != uid && cred.Uid != 0 {
		return fmt.Errorf("refused a takeover by uid %d (pid %d): only uid %d or root may take Strata's sockets", cred.Uid, cred.Pid, uid)
	}
	return nil
}

// Send passes the sockets and waits for the answer: nil when the new
// process took them, an error saying why not otherwise (the caller then
// accepts on them again).
func (h *Handler) Send(sockets []Socket) error {
	defer h.conn.Close()
	fds := make([]int, len(sockets))
	var text strings.Builder
	for i, s := range sockets {
		fds[i] = int(s.File.Fd())
		fmt.Fprintf(&text, "%s %s\n", s.Name, s.Address)
	}
	text.WriteString("end\n")
	if _, _, err := h.conn.WriteMsgUnix([]byte(text.String()), syscall.UnixRights(fds...), nil); err != nil {
		return fmt.Errorf("sending the sockets: %w", err)
	}
	_ = h.conn.SetDeadline(time.Now().Add(replyTimeout))
	answer, err := bufio.NewReader(h.conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("the new process did not answer: %w", err)
	}
	if answer = strings.TrimSpace(answer); answer != "OK" {
		return fmt.Errorf("the new process refused the sockets: %s", strings.TrimPrefix(answer, "ABORT "))
	}
	return nil
}
