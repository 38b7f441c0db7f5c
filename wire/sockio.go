package wire

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// socketIO reads and writes a TCP or Unix socket with raw read(2)/write(2) calls
// inside the runtime poller's RawConn callbacks instead of net.Conn's
// Read/Write.
//
// Why: net.Conn's Read/Write enter the system call through
// syscall.Syscall, which tells the scheduler the goroutine may block. On a
// busy proxy every relayed packet is such a call; a write that wakes the
// peer often takes over 20 µs of wall time (the kernel switches to the
// woken task), so the runtime's sysmon thread takes the P away (handoffp,
// futex wake-ups of other threads) and keeps polling every 20 µs instead of
// backing off. On the benchmark machine that scheduler traffic was ~14 % of
// Strata's CPU (perf: runtime.sysmon → usleep → schedule) and a relay written
// this way moved as many queries as a C thread-per-connection relay, 1.27×
// the stdlib relay (see docs/BENCHMARKS.md).
//
// It is safe because the socket is non-blocking (the netpoller set
// O_NONBLOCK): read and write return EAGAIN instead of sleeping in the
// kernel, and the RawConn then parks the goroutine in the poller, with
// deadlines and Close honoured exactly as net.Conn does.
type socketIO struct {
	rc   syscall.RawConn
	conn net.Conn
}

// newSocketIO returns the fast reader/writer for c, or nil when c is not a
// plain TCP or Unix socket (TLS, pipes in tests), which then uses its own
// Read/Write.
func newSocketIO(c net.Conn) *socketIO {
	var sc syscall.Conn
	switch c := c.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &socketIO{rc: rc, conn: c}
}

func (s *socketIO) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno syscall.Errno
	err := s.rc.Read(func(fd uintptr) bool {
		n, errno = rawIO(syscall.SYS_READ, fd, b)
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, s.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}

func (s *socketIO) Write(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		var n uintptr
		var errno syscall.Errno
		rest := b[written:]
		err := s.rc.Write(func(fd uintptr) bool {
			n, errno = rawIO(syscall.SYS_WRITE, fd, rest)
			return errno != syscall.EAGAIN
		})
		if err != nil {
			return written, err
		}
		if errno != 0 {
			return written, s.opError("write", errno)
		}
		written += int(n)
	}
	return written, nil
}

// rawIO is one read(2) or write(2) of b, retried when a signal interrupts
// it; on a non-blocking socket it never sleeps in the kernel.
func rawIO(trap, fd uintptr, b []byte) (uintptr, syscall.Errno) {
	for {
		n, _, errno := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		if errno != syscall.EINTR {
			return n, errno
		}
	}
}

// opError words a failed call the way net.Conn does, so callers' checks
// (errors.Is(err, syscall.ECONNRESET), net.Error) see the same errors.
func (s *socketIO) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: s.conn.LocalAddr().Network(), Source: s.conn.LocalAddr(), Addr: s.conn.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

// flushAwaitRead runs flush (which writes the request), then parks until
// the socket is readable. A read right after a request almost always finds
// nothing yet: this skips that read(2), which only says EAGAIN, and the
// next Read finds the reply. flush runs inside the poller's read
// preparation, so a reply arriving while it writes still wakes us.
//
// Only for requests the peer answers: the wait lasts until the peer sends
// something (or closes, or a deadline passes).
func (s *socketIO) flushAwaitRead(flush func() error) error {
	var flushErr error
	flushed := false
	// A failed wait (deadline, close) is left to the Read that follows.
	_ = s.rc.Read(func(uintptr) bool {
		if flushed {
			return true
		}
		flushed = true
		flushErr = flush()
		return flushErr != nil
	})
	if !flushed {
		// The poller refused before the callback (closed, deadline):
		// flush reports it as a plain write would.
		return flush()
	}
	return flushErr
}
