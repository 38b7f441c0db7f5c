package frontend

import (
	"errors"
	"net"
	"os"

	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/wire"
)

// PassFunc hands an idle client to the Strata process that took the
// listening sockets: its session's state and its connection's descriptor
// (which the caller closes afterwards).
type PassFunc func(st session.State, conn *os.File) error

// errPassedOn ends a session whose client another process now serves.
var errPassedOn = errors.New("client passed to the new Strata process")

// SetPassOn makes a Shutdown pass idle clients to another process instead
// of closing them, when their sessions hold nothing that cannot move
// (session.Export); nil stops it.
func (s *Server) SetPassOn(f PassFunc) {
	if f == nil {
		s.passOn.Store(nil)
		return
	}
	s.passOn.Store(&f)
}

// fileConn is a client connection whose descriptor can be passed to
// another process: TCP, and a Unix socket (listen_socket). A TLS client's
// is not (its encryption state lives in this process).
type fileConn interface {
	File() (*os.File, error)
}

var (
	_ fileConn = (*net.TCPConn)(nil)
	_ fileConn = (*net.UnixConn)(nil)
)

// passOnIdle hands sess's client to the process that took the sockets;
// it reports whether it did. Not for TLS clients (their encryption state
// lives in this process) nor for a client whose next command has begun
// to arrive.
func (s *Server) passOnIdle(sess *session.Session) bool {
	pass := s.passOn.Load()
	if pass == nil {
		return false
	}
	c := sess.Client()
	fc, ok := passable(c)
	if !ok || !c.Quiet() {
		return false
	}
	st, ok := sess.Export()
	if !ok {
		return false
	}
	f, err := fc.File()
	if err != nil {
		return false
	}
	defer f.Close()
	if err := (*pass)(st, f); err != nil {
		s.log.Warn("handover: could not pass a client; closing it", "id", sess.ID, "err", err)
		return false
	}
	s.env.Metrics.ClientPassedOn()
	return true
}

// canPassOn reports whether cl's client would be passed on now: then a
// draining Strata passes it at once, busy or not, rather than after
// drainGrace.
func (s *Server) canPassOn(cl *client) bool {
	sess := cl.sess.Load()
	if s.passOn.Load() == nil || sess == nil || !sess.Movable() {
		return false
	}
	c := sess.Client()
	_, ok := passable(c)
	return ok && c.Quiet()
}

// passable is c's socket when another process can serve c: not under TLS,
// whose state lives in this process. Compression holds none between
// commands: the process that takes the client compresses from its next
// command on, as the session's caps say.
func passable(c *wire.Conn) (fileConn, bool) {
	if c.OverTLS() {
		return nil, false
	}
	fc, ok := c.Socket().(fileConn)
	return fc, ok
}

// Adopt serves a client another Strata process passed on (a handover),
// from its next command on, as that process would have.
func (s *Server) Adopt(nc net.Conn, st session.State) {
	s.wg.Add(1)
	go s.adopt(nc, st)
}

func (s *Server) adopt(nc net.Conn, st session.State) {
	defer s.wg.Done()
	defer nc.Close()
	c := wire.NewConn(nc)
	if st.Caps&wire.ClientCompress != 0 {
		c.Compress()
	}
	if _, unix := nc.(*net.UnixConn); unix {
		c.Peer = localhost // a client of listen_socket, as when it connected
	} else if peer, err := net.ResolveTCPAddr("tcp", st.ClientAddr); err == nil && st.ClientAddr != nc.RemoteAddr().String() {
		c.Peer = peer // named by a load balancer's PROXY header in the old process
	}
	cl := s.track(nc)
	refuse := func(err *wire.Error) {
		// The client reads it as the answer to its next command.
		c.Seq = 0
		_ = c.WriteFlush(wire.AppendErr(nil, err))
	}
	if cl == nil {
		s.env.Metrics.ClientRejected("max_connections")
		refuse(wire.NewError(wire.ErConCount, "Too many connections: Strata's limits.max_client_connections (%d) is reached", s.limits.Load().MaxConnections))
		return
	}
	defer s.untrack(nc)
	if !s.auth.known(st.User) {
		// This process's config no longer has the account.
		s.env.Metrics.ClientRejected("auth")
		refuse(wire.NewError(wire.ErAccessDenied, "Access denied for user '%s': the account is not in the config of the Strata that took over; reconnect", st.User))
		return
	}
	if err := s.users.admit(st.User); err != nil {
		s.env.Metrics.ClientRejected("user_max_connections")
		var werr *wire.Error
		if errors.As(err, &werr) {
			refuse(werr)
		}
		return
	}
	sess := session.Adopt(s.env, c, st, func() { c.Close() })
	s.serveSession(cl, sess)
}
