// Package frontend is the client-facing MySQL protocol: it accepts
// connections, runs the handshake and authentication, and reads commands,
// handing each to the client's session.
package frontend

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/wire"
)

// Config is what the front end needs to know.
type Config struct {
	ServerVersion string
	// Limits are the bounds at start; SetLimits changes them.
	Limits Limits
	TLS    *tls.Config
	// HandshakeTimeout bounds how long a client may take to log in.
	HandshakeTimeout time.Duration
	// BulkOperations offers clients MariaDB's COM_STMT_BULK_EXECUTE (the
	// servers support it, and no table is sharded: one batch is not split
	// by shard).
	BulkOperations bool
	// ProxyTrusted are the load balancers whose connections start with a
	// PROXY protocol header naming the client (config proxy_protocol).
	ProxyTrusted []netip.Prefix
	// BusyPoll, when set, makes client connections poll for the client's
	// next packet before they sleep (wire.BusyPoll).
	BusyPoll *wire.BusyPoll
}

// Limits bound the clients; a config reload may change them (SetLimits).
type Limits struct {
	// MaxConnections refuses clients past it (0: no bound).
	MaxConnections int
	// MaxPacket bounds one packet from a logged-in client (0: no bound).
	MaxPacket int
	// IdleTimeout closes a client that sends nothing for this long (0: never).
	IdleTimeout time.Duration
}

// Server accepts clients and runs their sessions.
type Server struct {
	cfg          Config
	limits       atomic.Pointer[Limits]
	proxyTrusted atomic.Pointer[[]netip.Prefix] // Config.ProxyTrusted, then SetProxyTrusted
	env          *session.Env
	auth         *Authenticator
	log          *slog.Logger

	mu       sync.Mutex
	lns      []net.Listener // TCP (listen), and a Unix socket (listen_socket)
	conns    map[net.Conn]*client
	draining atomic.Bool // Shutdown began: sessions end at their next command boundary
	// drainIdle is how long, during a Shutdown, a client may wait for its
	// next command before it is closed (shutdown.go).
	drainIdle atomic.Int64
	// passOn, when set, takes idle clients off a Shutdown (migrate.go).
	passOn   atomic.Pointer[PassFunc]
	wg       sync.WaitGroup
	closing  bool
	schemas  *schemaCache
	users    *userLimits
	refusals *loginRefusals
}

// SetUsers replaces the accounts clients log in with and their connection
// limits (a config reload). New logins and changes of user use them at
// once; sessions already logged in go on, as on MariaDB after DROP USER or a
// password change.
func (s *Server) SetUsers(users []config.User) {
	s.auth.SetUsers(users)
	s.users.setMax(s.auth.maxConnections())
}

// UserInfo is one configured account as GET /api/users shows it.
type UserInfo struct {
	Name       string `json:"name"`
	AuthPlugin string `json:"auth_plugin"`
	// ServerAccount is the account its statements run as on the servers:
	// users[].backend.user, else backend.user.
	ServerAccount string `json:"server_account"`
	// MaxConnections is users[].max_connections (0: only the global limit).
	MaxConnections int `json:"max_connections"`
	// Connections are its open client connections now.
	Connections int `json:"connections"`
}

// Users lists the configured accounts, by name, with their open
// connections.
func (s *Server) Users() []UserInfo {
	accounts := *s.auth.accounts.Load()
	out := make([]UserInfo, 0, len(accounts))
	for _, name := range slices.Sorted(maps.Keys(accounts)) {
		u := accounts[name]
		server := u.Backend.User
		if server == "" {
			server = s.env.BackendLogin().User
		}
		out = append(out, UserInfo{Name: name, AuthPlugin: u.AuthPlugin, ServerAccount: server,
			MaxConnections: u.MaxConnections, Connections: s.users.count(name)})
	}
	return out
}

// NewServer creates a front end over a shared session environment.
func NewServer(cfg Config, env *session.Env, auth *Authenticator, log *slog.Logger) *Server {
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, env: env, auth: auth, log: log, conns: map[net.Conn]*client{}, schemas: newSchemaCache(), refusals: newLoginRefusals(log, time.Minute),
		users: newUserLimits(auth.maxConnections(), env.Metrics.SetUserConnections)}
	s.SetLimits(cfg.Limits)
	s.SetProxyTrusted(cfg.ProxyTrusted)
	return s
}

// SetLimits replaces the client bounds (a config reload). New clients are
// counted against the new max_connections at once; connected ones read
// the packet bound and the idle timeout again before each command, so a
// raised bound helps the clients that hit it, and a lowered one applies
// to them from their next command (the idle timeout from the wait after
// it). Clients over a lowered connection bound are not closed.
func (s *Server) SetLimits(l Limits) { s.limits.Store(&l) }

// Limits returns the client bounds in force.
func (s *Server) Limits() Limits { return *s.limits.Load() }

// Serve accepts connections until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("accepting clients: %w", err)
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		s.wg.Add(1)
		go s.handle(nc)
	}
}

// Close stops accepting, closes every client connection and waits for
// their sessions to end.
func (s *Server) Close() {
	s.mu.Lock()
	s.closing = true
	for _, ln := range s.lns {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) track(nc net.Conn) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if max := s.limits.Load().MaxConnections; s.closing || (max > 0 && len(s.conns) >= max) {
		return nil
	}
	cl := &client{conn: nc}
	s.conns[nc] = cl
	return cl
}

func (s *Server) untrack(nc net.Conn) {
	s.mu.Lock()
	delete(s.conns, nc)
	s.mu.Unlock()
}

func (s *Server) handle(nc net.Conn) {
	defer s.wg.Done()
	defer nc.Close()
	c := wire.NewConn(nc)
	cl := s.track(nc)
	if cl == nil {
		s.env.Metrics.ClientRejected("max_connections")
		c.Seq = 0
		_ = c.WriteFlush(wire.AppendErr(nil, wire.NewError(wire.ErConCount, "Too many connections: Strata's limits.max_client_connections (%d) is reached", s.limits.Load().MaxConnections)))
		return
	}
	defer s.untrack(nc)
	client, err := s.proxiedClient(nc)
	if err != nil {
		s.env.Metrics.ClientRejected("proxy_protocol")
		s.log.Warn("client refused", "err", err)
		c.Seq = 0
		_ = c.WriteFlush(wire.AppendErr(nil, wire.NewError(wire.ErHandshake, "Bad handshake: %v", err)))
		return
	}
	c.Peer = client // nil: the socket's peer is the client
	if _, unix := nc.(*net.UnixConn); unix {
		c.Peer = localhost
	}
	id := s.env.Registry.NextID()
	sess, err := s.login(c, id)
	if err != nil {
		s.env.Metrics.ClientRejected("auth")
		s.log.Debug("client login failed", "client", nc.RemoteAddr().String(), "err", err)
		return
	}
	s.serveSession(cl, sess)
}

// serveSession runs a logged-in client's commands until it leaves.
func (s *Server) serveSession(cl *client, sess *session.Session) {
	s.env.Metrics.ClientConnected()
	defer s.env.Metrics.ClientClosed()
	defer sess.Close()
	// Before sess.Close, which takes the session off GET /api/sessions: once
	// it is gone from there, its slot is free. The user is the one at the
	// end: COM_CHANGE_USER moves the count.
	defer func() { s.users.leave(sess.User) }()
	// Logged in: from here waits for the client's statements may poll.
	// Not before: a client computing its login answer is never quick, and
	// one that connects per request would pay a poll per login wait.
	sess.Client().SetBusyPoll(s.cfg.BusyPoll)
	defer func() {
		// A bug in one session must not take every client down with it:
		// tell this client, log it, and close only this connection.
		if r := recover(); r != nil {
			s.log.Error("session panicked; closing its connection", "id", sess.ID, "panic", r, "stack", string(debug.Stack()))
			s.env.Metrics.ObserveError("proxy")
			_ = sess.WriteError(wire.NewError(wire.ErUnknownError, "Strata: internal error handling this statement (logged); reconnect and retry"))
		}
	}()
	cl.sess.Store(sess)
	if err := s.commandLoop(sess, cl); err != nil && !isClosed(err) {
		s.log.Debug("client session ended", "id", sess.ID, "err", err)
	}
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF)
}

// login runs the handshake, TLS upgrade and authentication, and checks the
// requested schema. On failure the client has been sent an error.
func (s *Server) login(c *wire.Conn, id uint32) (*session.Session, error) {
	c.SetDeadlineIn(s.cfg.HandshakeTimeout)
	defer c.SetDeadlineIn(0)
	// Before a client has logged in, a packet header alone must not make
	// Strata reserve memory for the payload it announces (up to 16 MB per
	// physical packet, more with continuations): login packets are small.
	c.MaxPacket, c.NoDrain = maxLoginPacket, true
	defer func() { c.MaxPacket, c.NoDrain = 0, false }()
	salt := newSalt()
	caps := uint32(serverCaps)
	if s.cfg.TLS != nil {
		caps |= wire.ClientSSL
	}
	c.Seq = 0
	if err := c.WriteFlush(s.greeting(id, salt, caps)); err != nil {
		return nil, err
	}
	if first, _ := c.R.Peek(6); looksLikeProxyHeader(first) {
		return nil, refuseProxyHeader(c)
	}
	p, err := c.ReadPacket()
	if err != nil {
		return nil, loginReadError(c, err)
	}
	isTLS := false
	if len(p) == 32 && binary.LittleEndian.Uint32(p)&wire.ClientSSL != 0 && s.cfg.TLS != nil {
		tc := tls.Server(c.Unbuffered(), s.cfg.TLS)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		c.Reset(tc)
		isTLS = true
		if p, err = c.ReadPacket(); err != nil {
			return nil, loginReadError(c, err)
		}
	}
	h, err := parseHello(p)
	if err != nil {
		_ = c.WriteFlush(wire.AppendErr(nil, wire.NewError(wire.ErHandshake, "Bad handshake: %v", err)))
		return nil, err
	}
	if h.caps&wire.ClientProtocol41 == 0 {
		err := wire.NewError(wire.ErNotSupportedYet, "Strata needs a client speaking protocol 4.1 or later")
		_ = c.WriteFlush(wire.AppendErr(nil, err))
		return nil, err
	}
	if err := s.auth.authenticate(c, &h, salt, isTLS); err != nil {
		s.refusals.note(h.user, c.RemoteAddr(), err)
		s.sendError(c, err)
		return nil, err
	}
	sess := session.New(s.env, c, session.Options{
		ID: id, User: h.user, ClientAddr: c.RemoteAddr().String(), Caps: h.caps & caps, Collation: h.collation,
		Attrs: h.attrs, Kill: func() { c.Close() },
	})
	if h.db != "" {
		if err := s.checkSchema(sess, h.db); err != nil {
			sess.Close()
			s.sendError(c, err)
			return nil, err
		}
		sess.UseSchema(h.db)
	}
	if err := s.users.admit(h.user); err != nil {
		s.env.Metrics.ClientRejected("user_max_connections")
		sess.Close()
		s.sendError(c, err)
		return nil, err
	}
	if err := c.WriteFlush(wire.AppendOK(nil, wire.HeaderOK, 0, 0, sess.Status(), 0)); err != nil {
		s.users.leave(h.user)
		sess.Close()
		return nil, err
	}
	if h.caps&wire.ClientCompress != 0 {
		// From the next command on, as a server's login does: the OK
		// above is the last packet sent as it is.
		c.Compress()
	}
	return sess, nil
}

// maxLoginPacket bounds every packet a client sends before it has logged
// in: a handshake response with connection attributes is well under 1 KiB.
const maxLoginPacket = 64 << 10

// loginReadError tells a client whose login packet is over maxLoginPacket
// why it is closed, and returns err.
func loginReadError(c *wire.Conn, err error) error {
	if errors.Is(err, wire.ErrPacketTooLarge) {
		_ = c.WriteFlush(wire.AppendErr(nil, wire.NewError(wire.ErNetPacketTooLarge,
			"Got a packet bigger than 'max_allowed_packet' bytes: Strata accepts login packets of up to %d bytes", maxLoginPacket)))
	}
	return err
}

func (s *Server) sendError(c *wire.Conn, err error) {
	var werr *wire.Error
	if !errors.As(err, &werr) {
		return // a network error: nobody to tell
	}
	_ = c.WriteFlush(wire.AppendErr(nil, werr))
}

func newSalt() []byte {
	salt := mysql.RandomBuf(20)
	for i, b := range salt {
		if b == 0 || b == '$' {
			salt[i] = b + 1 // a NUL would end the salt early in some clients
		}
	}
	return salt
}

// greeting builds the initial handshake packet (protocol 10).
func (s *Server) greeting(id uint32, salt []byte, caps uint32) []byte {
	p := make([]byte, 0, 128)
	p = append(p, 10)
	p = append(p, s.cfg.ServerVersion...)
	p = append(p, 0)
	p = binary.LittleEndian.AppendUint32(p, id)
	p = append(p, salt[:8]...)
	p = append(p, 0)
	var ext uint32
	if s.cfg.BulkOperations {
		// As a MariaDB server says it has extended capabilities.
		caps &^= wire.ClientMySQL
		ext = wire.ExtStmtBulkOperations
	}
	p = binary.LittleEndian.AppendUint16(p, uint16(caps))
	p = append(p, 45) // utf8mb4_general_ci
	p = binary.LittleEndian.AppendUint16(p, wire.StatusAutocommit)
	p = binary.LittleEndian.AppendUint16(p, uint16(caps>>16))
	p = append(p, byte(len(salt)+1))
	p = append(p, make([]byte, 6)...)
	p = binary.LittleEndian.AppendUint32(p, ext)
	p = append(p, salt[8:]...)
	p = append(p, 0)
	p = append(p, pluginNative...)
	return append(p, 0)
}

// commandLoop reads and dispatches commands until the client quits.
func (s *Server) commandLoop(sess *session.Session, cl *client) error {
	c := sess.Client()
	ctx := context.Background()
	idle := idleDeadline{timeout: s.limits.Load().IdleTimeout}
	for {
		now := time.Now()
		if !s.waitForCommand(cl, now) {
			return s.endForShutdown(sess)
		}
		if s.releaseWhenIdle(sess) {
			idle.lost() // it used the connection's deadline
		}
		lim := s.limits.Load()
		c.MaxPacket = lim.MaxPacket
		timeout, own := sess.IdleTimeout(lim.IdleTimeout)
		idle.set(timeout)
		idle.arm(c, now)
		if cl.state.Load() == clientClosing {
			// Shutdown came while the deadlines above were set.
			return s.endForShutdown(sess)
		}
		p, err := c.ReadPacket()
		if err == nil && !startCommand(cl) {
			return s.endForShutdown(sess) // the command is not run
		}
		if err != nil {
			switch {
			case cl.state.Load() == clientClosing:
				return s.endForShutdown(sess)
			case errors.Is(err, wire.ErrPacketTooLarge):
				_ = sess.WriteError(wire.NewError(wire.ErNetPacketTooLarge, "Got a packet bigger than 'max_allowed_packet' bytes (Strata's limits.max_allowed_packet is %d)", c.MaxPacket))
			case errors.Is(err, os.ErrDeadlineExceeded):
				s.env.Metrics.ClientIdleClosed()
				// Like MySQL past wait_timeout: say why, then close. The
				// client reads it as the answer to its next command.
				c.Seq = 0
				limit := "limits.client_idle_timeout"
				if own {
					limit = "the session's wait_timeout"
				}
				_ = sess.WriteError(wire.NewError(errClientInteractionTimeout, "The client was disconnected by Strata because of inactivity: nothing came for %s (%s); reconnect", timeout, limit))
			}
			return err
		}
		if len(p) == 0 {
			if err := sess.WriteError(errMalformed("empty command packet")); err != nil {
				return err
			}
			continue
		}
		cmd := p[0] // dispatch may reuse p's buffer
		quit, err := s.dispatch(ctx, sess, p)
		if quit || err != nil {
			return err
		}
		sess.CommandDone(cmd)
	}
}

// endForShutdown tells a client whose session ends for a shutdown why;
// it reads that as the answer to its next command.
func (s *Server) endForShutdown(sess *session.Session) error {
	if s.passOnIdle(sess) {
		return errPassedOn
	}
	sess.Client().Seq = 0
	_ = sess.WriteError(errServerShutdown)
	return errShutdown
}

// idleRelease is how long a client may sit idle before Strata hands back
// the backend connection it keeps for statements that may follow a write
// (ROW_COUNT(), FOUND_ROWS()): long enough for a client's next statement,
// short enough that idle clients do not drain the primary's pool.
const idleRelease = time.Second

// releaseWhenIdle waits up to idleRelease for the client's next command
// while the session keeps a connection, and hands that connection back if
// none comes. It only peeks: no byte of the next command is consumed. It
// reports whether it waited (and so cleared the connection's deadline).
func (s *Server) releaseWhenIdle(sess *session.Session) bool {
	c := sess.Client()
	if !sess.HoldsIdleConnection() || c.R.Buffered() > 0 {
		return false
	}
	c.SetDeadlineIn(idleRelease)
	_, err := c.R.Peek(1)
	c.SetDeadlineIn(0)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		sess.ReleaseIdle()
	}
	return true
}

func errMalformed(what string) *wire.Error {
	return wire.NewError(wire.ErMalformedPacket, "Malformed communication packet: %s", what)
}

func (s *Server) dispatch(ctx context.Context, sess *session.Session, p []byte) (bool, error) {
	switch p[0] {
	case wire.ComQuery:
		return false, sess.Query(ctx, p)
	case wire.ComStmtExecute:
		return false, sess.Execute(ctx, p)
	case wire.ComStmtBulkExecute:
		return false, sess.BulkExecute(ctx, p)
	case wire.ComStmtPrepare:
		return false, sess.Prepare(ctx, p)
	case wire.ComStmtSendLong:
		return false, sess.SendLongData(p)
	case wire.ComStmtClose:
		sess.CloseStmt(p)
		return false, nil
	case wire.ComStmtReset:
		return false, sess.ResetStmt(p)
	case wire.ComPing:
		return false, sess.WriteOK()
	case wire.ComQuit:
		return true, nil
	case wire.ComInitDB:
		return false, sess.InitDB(ctx, p)
	case wire.ComFieldList:
		return false, sess.FieldList(ctx, p)
	case wire.ComStatistics:
		return false, sess.Statistics(ctx, p)
	case wire.ComRefresh:
		return false, sess.Refresh(ctx, p)
	case wire.ComShutdown:
		return false, sess.RefuseShutdown()
	case wire.ComProcessInfo:
		return false, sess.ProcessInfo(ctx)
	case wire.ComResetConnection:
		sess.Reset(sess.User, sess.DB, 0)
		return false, sess.WriteOK()
	case wire.ComChangeUser:
		return false, s.changeUser(sess, p)
	case wire.ComSetOption:
		return false, s.setOption(sess, p)
	case wire.ComProcessKill:
		if len(p) < 5 {
			return false, sess.WriteError(errMalformed("COM_PROCESS_KILL is too short"))
		}
		return false, sess.Kill(binary.LittleEndian.Uint32(p[1:]), false)
	default:
		return false, sess.WriteError(errUnknownCommand(p[0]))
	}
}

// setOption handles COM_SET_OPTION (multi-statements on or off); the reply
// is an EOF packet, as MySQL sends.
func (s *Server) setOption(sess *session.Session, p []byte) error {
	if len(p) < 3 {
		return sess.WriteError(errMalformed("COM_SET_OPTION is too short"))
	}
	switch binary.LittleEndian.Uint16(p[1:]) {
	case 0:
		sess.SetMultiStatements(true)
	case 1:
		sess.SetMultiStatements(false)
	default:
		return sess.WriteError(wire.NewError(wire.ErUnknownCom, "Unknown COM_SET_OPTION value"))
	}
	return sess.Client().WriteFlush(wire.AppendEOF(nil, sess.Status(), 0))
}
