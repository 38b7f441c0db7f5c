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
//
// The RawConn callbacks are method values made once in newSocketIO, with
// their buffer and results in fields: a closure over locals, made per call,
// would be a heap allocation on every read and write of every packet. The
// read side's fields belong to the one reader (the Conn's bufio.Reader, or
// flushAwaitRead), the write side's to the one writer (its bufio.Writer):
// a read and a write may run at once on different goroutines, as on a
// net.Conn, so the two sides share no field. The callbacks themselves run
// under that side's lock of the socket (RawConn.Read holds the read lock,
// RawConn.Write the write lock).
type socketIO struct {
	rc   syscall.RawConn
	conn net.Conn

	// Read side.
	readFn   func(fd uintptr) bool // s.readOnce
	rbuf     []byte
	rn       uintptr
	rerrno   syscall.Errno
	awaitFn  func(fd uintptr) bool // s.awaitOnce, for flushAwaitRead
	flush    func() error          // sends the Conn's write buffer (set by NewConn)
	flushed  bool
	flushErr error
	// Busy polling (busypoll.go): nil = off. rfd is the descriptor the
	// current callback got, for retryFn (s.retryRead, made once like the
	// callbacks above).
	poll      *BusyPoll
	pollSt    backoff
	reply     *ReplyPoll // the statement shape awaited (FlushAwaitReplyFor), until the read of its answer
	answerDue bool       // the next read waits for a server's answer (FlushAwaitReplyFor while polling)
	next      *ReplyPoll // the shape just answered: the next wait follows it (AwaitNextAfter)
	rfd       uintptr
	retryFn   func() bool

	// Write side.
	writeFn func(fd uintptr) bool // s.writeOnce
	wbuf    []byte
	wn      uintptr
	werrno  syscall.Errno
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
	s := &socketIO{rc: rc, conn: c}
	s.readFn, s.writeFn, s.awaitFn = s.readOnce, s.writeOnce, s.awaitOnce
	s.retryFn = s.retryRead
	return s
}

func (s *socketIO) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	s.rbuf = b
	err := s.rc.Read(s.readFn)
	s.rbuf = nil // keep no reference to the caller's buffer
	n, errno := s.rn, s.rerrno
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

// readOnce is Read's RawConn callback: one read(2) into s.rbuf, and when
// nothing is there yet, busy polling if it is on.
func (s *socketIO) readOnce(fd uintptr) bool {
	s.rn, s.rerrno = rawIO(syscall.SYS_READ, fd, s.rbuf)
	if s.rerrno == syscall.EAGAIN && s.poll != nil {
		s.rfd = fd
		kind, st, rec := WaitRead, &s.pollSt, (*backoff)(nil)
		switch {
		case s.answerDue && s.reply != nil:
			kind, st, rec = WaitAnswer, nil, &s.reply.answer
		case s.answerDue:
			kind = WaitAnswer
		case s.next != nil:
			kind, rec = WaitNext, &s.next.next
		}
		s.answerDue, s.reply, s.next = false, nil, nil
		s.poll.await(kind, st, rec, s.retryFn)
	}
	s.answerDue, s.reply = false, nil
	return s.rerrno != syscall.EAGAIN
}

// retryRead is readOnce's poll while busy polling: the read again.
func (s *socketIO) retryRead() bool {
	s.rn, s.rerrno = rawIO(syscall.SYS_READ, s.rfd, s.rbuf)
	return s.rerrno != syscall.EAGAIN
}

func (s *socketIO) Write(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		s.wbuf = b[written:]
		err := s.rc.Write(s.writeFn)
		s.wbuf = nil // keep no reference to the caller's buffer
		n, errno := s.wn, s.werrno
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

// writeOnce is Write's RawConn callback: one write(2) of s.wbuf.
func (s *socketIO) writeOnce(fd uintptr) bool {
	s.wn, s.werrno = rawIO(syscall.SYS_WRITE, fd, s.wbuf)
	return s.werrno != syscall.EAGAIN
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

// flushAwaitRead runs s.flush (which writes the request), then parks until
// the socket is readable. A read right after a request almost always finds
// nothing yet: this skips that read(2), which only says EAGAIN, and the
// next Read finds the reply. flush runs inside the poller's read
// preparation, so a reply arriving while it writes still wakes us.
//
// Only for requests the peer answers: the wait lasts until the peer sends
// something (or closes, or a deadline passes).
func (s *socketIO) flushAwaitRead() error {
	s.flushed, s.flushErr = false, nil
	// A failed wait (deadline, close) is left to the Read that follows.
	_ = s.rc.Read(s.awaitFn)
	if !s.flushed {
		// The poller refused before the callback (closed, deadline):
		// flush reports it as a plain write would.
		return s.flush()
	}
	err := s.flushErr
	s.flushErr = nil
	return err
}

// awaitOnce is flushAwaitRead's RawConn callback: the first call flushes
// (and stops there if that failed); the next, made once the socket is
// readable, ends the wait.
func (s *socketIO) awaitOnce(fd uintptr) bool {
	if s.flushed {
		return true
	}
	s.flushed = true
	s.flushErr = s.flush()
	return s.flushErr != nil
}

// polling reports whether busy polling is on for this socket now.
func (s *socketIO) polling() bool { return s.poll != nil && s.poll.Budget() > 0 }
