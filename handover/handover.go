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
// that arrive meanwhile wait in the socket's queue; none is lost. Then the
// old process passes its idle clients too, each connection's descriptor
// with its session's state, and the new process serves them on: the
// clients notice nothing.
//
// The exchange, one message each (a SOCK_SEQPACKET socket keeps them
// apart):
//
//	new → old  TAKEOVER strata/2
//	old → new  the listening descriptors, with lines "socket NAME ADDRESS"
//	           naming them and "KEY VALUE" lines of facts (next_id)
//	new → old  OK, or ABORT and why (the old process then accepts again)
//	old → new  "session" and a state, with a client's descriptor; repeated
//	old → new  "end", or the socket closes
package handover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	request = "TAKEOVER strata/2"
	// replyTimeout bounds each wait for the other process.
	replyTimeout = 10 * time.Second
	// maxMessage bounds one message: a session's state is a few KB.
	maxMessage = 1 << 20
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
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("making the directory of handover_socket: %w", err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
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
	// Facts are the running process's other lines (next_id: the first
	// connection id it has not given out).
	Facts map[string]string
	conn  *net.UnixConn
}

// Request asks the Strata serving handover requests at path for its
// listening sockets. With no process listening there it returns nil and
// no error: the caller binds its ports itself.
func Request(ctx context.Context, path string) (*Offer, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unixpacket", path)
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
	offer, err := receiveOffer(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("receiving the sockets of the running Strata on %s: %w", path, err)
	}
	return offer, nil
}

// Accept tells the running process the sockets are taken: it stops
// accepting for good, and passes its idle clients (NextSession).
func (o *Offer) Accept() error {
	_, err := o.conn.Write([]byte("OK\n"))
	if err != nil {
		o.conn.Close()
	}
	return err
}

// NextSession receives the next client the old process passes: its
// session's state and its connection. io.EOF means there are no more.
func (o *Offer) NextSession() ([]byte, *os.File, error) {
	_ = o.conn.SetDeadline(time.Time{}) // the old process passes clients until it stops
	text, files, err := readMessage(o.conn)
	if err != nil {
		o.conn.Close()
		if errors.Is(err, io.EOF) {
			return nil, nil, io.EOF
		}
		return nil, nil, err
	}
	state, isSession := strings.CutPrefix(string(text), "session\n")
	switch {
	case string(text) == "end\n":
		closeAll(files)
		o.conn.Close()
		return nil, nil, io.EOF
	case !isSession || len(files) != 1:
		closeAll(files)
		o.conn.Close()
		return nil, nil, fmt.Errorf("unexpected message from the old process (%d bytes, %d descriptors)", len(text), len(files))
	}
	return []byte(state), files[0], nil
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

// readMessage reads one message and the descriptors that came with it.
func readMessage(conn *net.UnixConn) ([]byte, []*os.File, error) {
	buf := make([]byte, maxMessage)
	oob := make([]byte, syscall.CmsgSpace(8*4))
	n, oobn, flags, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, err
	}
	files, err := parseRights(oob[:oobn])
	if err != nil {
		return nil, nil, err
	}
	if n == 0 && len(files) == 0 {
		return nil, nil, io.EOF // the peer closed
	}
	if flags&(syscall.MSG_TRUNC|syscall.MSG_CTRUNC) != 0 {
		closeAll(files)
		return nil, nil, errors.New("message too long")
	}
	return buf[:n], files, nil
}

// receiveOffer reads the listening descriptors and the lines naming them.
func receiveOffer(conn *net.UnixConn) (*Offer, error) {
	text, files, err := readMessage(conn)
	if err != nil {
		return nil, err
	}
	offer := &Offer{Facts: map[string]string{}, conn: conn}
	for _, line := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
		key, value, _ := strings.Cut(line, " ")
		if key != "socket" {
			offer.Facts[key] = value
			continue
		}
		name, addr, _ := strings.Cut(value, " ")
		offer.Sockets = append(offer.Sockets, Socket{Name: name, Address: addr})
	}
	if len(offer.Sockets) != len(files) {
		closeAll(files)
		return nil, fmt.Errorf("got %d descriptors for %d sockets", len(files), len(offer.Sockets))
	}
	for i := range offer.Sockets {
		offer.Sockets[i].File = files[i]
	}
	return offer, nil
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
	mu   sync.Mutex // sessions pass from many goroutines
}

// Accepted reads a takeover request on a connection of Listen's listener
// and checks that the peer runs as this process's user (or root).
func Accepted(c net.Conn) (*Handler, error) {
	conn := c.(*net.UnixConn)
	if err := checkPeer(conn); err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(replyTimeout))
	line, _, err := readMessage(conn)
	if err != nil {
		return nil, fmt.Errorf("reading the takeover request: %w", err)
	}
	if strings.TrimSpace(string(line)) != request {
		return nil, fmt.Errorf("unknown takeover request %q", strings.TrimSpace(string(line)))
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

// Send passes the sockets, with facts as "KEY VALUE" lines, and waits for
// the answer: nil when the new process took them (then SendSession and
// Close follow), an error saying why not otherwise (the caller then
// accepts on them again).
func (h *Handler) Send(sockets []Socket, facts map[string]string) error {
	fds := make([]int, len(sockets))
	var text strings.Builder
	for i, s := range sockets {
		fds[i] = int(s.File.Fd())
		fmt.Fprintf(&text, "socket %s %s\n", s.Name, s.Address)
	}
	for k, v := range facts {
		fmt.Fprintf(&text, "%s %s\n", k, v)
	}
	if _, _, err := h.conn.WriteMsgUnix([]byte(text.String()), syscall.UnixRights(fds...), nil); err != nil {
		h.conn.Close()
		return fmt.Errorf("sending the sockets: %w", err)
	}
	_ = h.conn.SetDeadline(time.Now().Add(replyTimeout))
	answer, _, err := readMessage(h.conn)
	if err != nil {
		h.conn.Close()
		return fmt.Errorf("the new process did not answer: %w", err)
	}
	if a := strings.TrimSpace(string(answer)); a != "OK" {
		h.conn.Close()
		return fmt.Errorf("the new process refused the sockets: %s", strings.TrimPrefix(a, "ABORT "))
	}
	return nil
}

// SendSession passes one client: its session's state and its connection.
// The caller then closes its own descriptor of the connection; the socket
// stays open in the new process.
func (h *Handler) SendSession(state []byte, conn *os.File) error {
	if len(state)+len("session\n") > maxMessage {
		return errors.New("session state too large to pass")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_ = h.conn.SetDeadline(time.Now().Add(replyTimeout))
	msg := append([]byte("session\n"), state...)
	if _, _, err := h.conn.WriteMsgUnix(msg, syscall.UnixRights(int(conn.Fd())), nil); err != nil {
		return fmt.Errorf("passing a client: %w", err)
	}
	return nil
}

// Close says no more clients follow.
func (h *Handler) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	_ = h.conn.SetDeadline(time.Now().Add(replyTimeout))
	_, _ = h.conn.Write([]byte("end\n"))
	h.conn.Close()
}
