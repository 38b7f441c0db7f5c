// Package backend owns Strata's connections to MariaDB servers: dialing and
// authenticating, per-server pools, keeping each connection's session state in
// step with the client session using it, and relaying responses as raw packets.
package backend

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/wire"
)

// Flavor is what a backend connection negotiated that changes the bytes it
// sends back; a connection only serves clients of the same flavor, so its
// responses can be relayed unchanged.
type Flavor struct {
	Collation    byte
	DeprecateEOF bool
	FoundRows    bool
	// Account is the server account the connection logged in as, when not
	// the default one (Accounts): it decides what the server lets it do.
	Account string
}

// baseCaps are always requested: multi-statements so multi-statement client
// queries pass through, local files so LOAD DATA LOCAL can be relayed,
// session tracking so a write's OK carries its GTID (trackGTIDSQL).
const baseCaps = wire.ClientLongPassword | wire.ClientLongFlag | wire.ClientProtocol41 |
	wire.ClientTransactions | wire.ClientSecureConn | wire.ClientMultiStatements |
	wire.ClientMultiResults | wire.ClientPSMultiResults | wire.ClientPluginAuth |
	wire.ClientPluginAuthLenenc | wire.ClientLocalFiles | wire.ClientSessionTrack

// trackGTIDSQL makes a server connection report last_gtid, and nothing
// else, in the OK packets that end its statements: after a write, the
// GTID read-your-writes waits for comes with the write's answer instead
// of costing a SELECT @@last_gtid. The other trackers are turned off so no
// other statement's answer grows (the relay strips what comes all the
// same: clients are never offered session tracking).
const trackGTIDSQL = "SET SESSION session_track_system_variables = 'last_gtid', session_track_schema = OFF, " +
	"session_track_state_change = OFF, session_track_transaction_info = OFF"

func (f Flavor) caps() uint32 {
	c := uint32(baseCaps)
	if f.DeprecateEOF {
		c |= wire.ClientDeprecateEOF
	}
	if f.FoundRows {
		c |= wire.ClientFoundRows
	}
	return c
}

// Conn is one authenticated connection to a server.
type Conn struct {
	*wire.Conn
	Addr     string
	ThreadID uint32
	Version  string
	Flavor   Flavor

	// DeadlockVictim is set, from another goroutine, just before Strata
	// interrupts the connection's statement (KILL QUERY ID) to break a
	// deadlock across servers: the interrupted statement's error then
	// reads as the deadlock it is (DeadlockError), so the client retries
	// its transaction and the session rolls all of it back.
	DeadlockVictim atomic.Bool

	// Session state the connection currently carries, kept so a client
	// session's settings are applied only when they differ.
	DB   string
	Vars map[string]string // variable name → statement that set it
	// NeedsReset marks state Strata cannot undo statement by statement
	// (user variables, temporary tables, locks): COM_RESET_CONNECTION before reuse.
	NeedsReset bool
	// Uses counts the commands sent on the connection: a session that
	// finds it at the count its last statement left knows that what the
	// statement left there (FOUND_ROWS(), warnings) is still its own.
	Uses uint64
	// WarnedBy is the session whose statement last left warnings or an
	// error here (0: none since the connection was opened or reset).
	// MariaDB keeps them until a statement that uses a table or warns
	// anew, so a SELECT 1 after them does not clear them.
	WarnedBy uint32
	// Broken marks a connection whose protocol state is unknown; it is closed, never reused.
	Broken bool
	// Bulk: the server accepted MariaDB's COM_STMT_BULK_EXECUTE here.
	Bulk bool
	// TracksGTID: the server reports each write's GTID in the OK that
	// ends it (trackGTIDSQL took), so Result.GTID is authoritative.
	TracksGTID bool

	sessionTrack bool // CLIENT_SESSION_TRACK was negotiated
	// reported is the last_gtid the OK of command number reportedAt
	// (Uses) reported, "" for none, for answers read outside the relay
	// (ReportedGTID).
	reported   string
	reportedAt uint64

	stmts *stmtCache
	// textStmts are the statements Strata prepared for text SELECTs.
	textStmts *stmtCache
	pool      *Pool
	loginGen  uint64 // the pool's default account when dialed (Pool.SetLogin)
	lastUsed  time.Time
	scratch   []byte
	// waitFirst is the wait the next RequestFor or prepare sends ahead
	// of its command (WaitFirst), waitPacket its packet.
	waitFirst  string
	waitPacket []byte
	// held, rowIn and rowOut are RelayAsText's buffers: a result's
	// column definitions until they are known to turn into text, a row
	// longer than the read buffer, and a row turned into text.
	held, rowIn, rowOut []byte
	// okBuf holds an OK packet stripped of its session state (stateOK).
	okBuf []byte
	// hdr is the header of the packet a relay is copying (copyPacket): a
	// local array handed to an io.Writer would escape and be a heap
	// allocation per packet.
	hdr [4]byte
}

// DialConfig is how to reach and log in to a server.
type DialConfig struct {
	// Addr names the server; Strata dials it unless Socket is set.
	Addr string
	// Socket is the server's Unix socket, used instead of TCP when set.
	Socket   string
	User     string
	Password string
	Timeout  time.Duration
	Flavor   Flavor
	// TLS, when set, encrypts the connection (not over Socket). Without
	// a ServerName and with verification on, the host of Addr is checked.
	TLS *tls.Config
	// BusyPoll, when set, makes the connection poll for the server's
	// answers before it sleeps (wire.BusyPoll); not over TLS.
	BusyPoll *wire.BusyPoll
}

// Dial connects and authenticates with mysql_native_password (switching to
// what the server asks for when it supports it).
func Dial(ctx context.Context, dc DialConfig) (*Conn, error) {
	d := net.Dialer{Timeout: dc.Timeout}
	network, address := "tcp", dc.Addr
	if dc.Socket != "" {
		network, address = "unix", dc.Socket
	}
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", dc.Addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c := &Conn{Conn: wire.NewConn(nc), Addr: dc.Addr, Flavor: dc.Flavor, Vars: map[string]string{}}
	c.ForgetStmts()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	} else if dc.Timeout > 0 {
		_ = nc.SetDeadline(time.Now().Add(dc.Timeout))
	}
	if err := c.handshake(dc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("logging in to %s as %s: %w", dc.Addr, dc.User, err)
	}
	if err := c.TrackGTID(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("setting up %s: %w", dc.Addr, err)
	}
	_ = nc.SetDeadline(time.Time{})
	c.SetBusyPoll(dc.BusyPoll) // after the handshake, which may have switched to TLS
	return c, nil
}

// TrackGTID asks the server to report last_gtid in its OK packets, when
// the connection negotiated session tracking: at login, and again when a
// client's own session_track_* settings leave the connection. A server
// that refuses (one without the variable) leaves TracksGTID off, and
// Strata reads each write's GTID with a query instead; only a failed
// connection is an error.
func (c *Conn) TrackGTID() error {
	c.TracksGTID = false
	if !c.sessionTrack {
		return nil
	}
	err := c.SimpleCommand(wire.ComQuery, trackGTIDSQL)
	if _, refused := err.(*wire.Error); refused {
		return nil
	}
	c.TracksGTID = err == nil
	return err
}

type serverHello struct {
	version  string
	threadID uint32
	salt     []byte
	caps     uint32
	ext      uint32 // MariaDB's extended capabilities
	plugin   string
}

func parseHello(p []byte) (serverHello, error) {
	var h serverHello
	if len(p) < 1 {
		return h, errors.New("empty handshake")
	}
	if p[0] == wire.HeaderErr {
		return h, wire.ParseErr(p)
	}
	if p[0] != 10 {
		return h, fmt.Errorf("unsupported protocol version %d", p[0])
	}
	end := bytes.IndexByte(p[1:], 0)
	if end < 0 || len(p) < 1+end+1+4+8+1+2 {
		return h, errors.New("short handshake")
	}
	h.version = string(p[1 : 1+end])
	pos := 1 + end + 1
	h.threadID = binary.LittleEndian.Uint32(p[pos:])
	pos += 4
	h.salt = append(h.salt, p[pos:pos+8]...)
	pos += 8 + 1
	h.caps = uint32(binary.LittleEndian.Uint16(p[pos:]))
	pos += 2
	if len(p) >= pos+1+2+2+1+10 {
		pos += 1 + 2 // charset, status
		h.caps |= uint32(binary.LittleEndian.Uint16(p[pos:])) << 16
		pos += 2
		authLen := int(p[pos])
		if h.caps&wire.ClientMySQL == 0 {
			// A MariaDB server: the last 4 of the 10 reserved bytes.
			h.ext = binary.LittleEndian.Uint32(p[pos+1+6:])
		}
		pos += 1 + 10
		n := authLen - 8
		if n < 13 {
			n = 13
		}
		if len(p) >= pos+n {
			h.salt = append(h.salt, bytes.TrimRight(p[pos:pos+n], "\x00")...)
			pos += n
			if end := bytes.IndexByte(p[pos:], 0); end >= 0 {
				h.plugin = string(p[pos : pos+end])
			} else {
				h.plugin = string(p[pos:])
			}
		}
	}
	return h, nil
}

func (c *Conn) handshake(dc DialConfig) error {
	p, err := c.ReadPacket()
	if err != nil {
		return fmt.Errorf("reading handshake: %w", err)
	}
	hello, err := parseHello(p)
	if err != nil {
		return err
	}
	c.ThreadID, c.Version = hello.threadID, hello.version
	plugin := hello.plugin
	if plugin != mysql.AUTH_NATIVE_PASSWORD && plugin != mysql.AUTH_CACHING_SHA2_PASSWORD {
		plugin = mysql.AUTH_NATIVE_PASSWORD
	}
	auth := scramble(plugin, hello.salt, dc.Password)
	caps := dc.Flavor.caps() & (hello.caps | wire.ClientLongPassword)
	if hello.caps&wire.ClientMySQL != 0 {
		// Not MariaDB: no last_gtid to track (MySQL reports GTIDs
		// otherwise), so no session state to take apart either.
		caps &^= wire.ClientSessionTrack
	}
	// Bulk execution is asked for whenever a MariaDB server offers it, so
	// any connection can serve a client that sends COM_STMT_BULK_EXECUTE;
	// it changes no reply to other commands.
	ext := hello.ext & wire.ExtStmtBulkOperations
	if ext != 0 {
		caps &^= wire.ClientMySQL
	}
	encrypted, err := c.startTLS(dc, hello.caps, caps, ext)
	if err != nil {
		return err
	}
	if encrypted {
		caps |= wire.ClientSSL
	}
	c.Bulk = ext != 0
	c.sessionTrack = caps&wire.ClientSessionTrack != 0
	resp := appendLoginHeader(make([]byte, 0, 128), caps, ext, dc.Flavor.Collation)
	resp = append(resp, dc.User...)
	resp = append(resp, 0)
	resp = wire.AppendLenEncString(resp, auth)
	resp = append(resp, plugin...)
	resp = append(resp, 0)
	if err := c.WriteFlush(resp); err != nil {
		return err
	}
	return c.readAuthResult(dc)
}

// startTLS upgrades the connection when dc asks for TLS: an SSL request
// (the first part of the handshake response, with CLIENT_SSL), then the TLS
// handshake; the login goes on inside TLS. It reports whether it did.
func (c *Conn) startTLS(dc DialConfig, serverCaps, caps, ext uint32) (bool, error) {
	if dc.TLS == nil || dc.Socket != "" {
		return false, nil
	}
	if serverCaps&wire.ClientSSL == 0 {
		return false, errors.New("the server does not offer TLS (give it ssl_cert and ssl_key), and backend.tls asks for it")
	}
	req := appendLoginHeader(make([]byte, 0, 32), caps|wire.ClientSSL, ext, dc.Flavor.Collation)
	if err := c.WriteFlush(req); err != nil {
		return false, err
	}
	tc := tls.Client(c.Conn.Conn, config.TLSForServer(dc.TLS, dc.Addr))
	if err := tc.Handshake(); err != nil {
		return false, fmt.Errorf("TLS handshake: %w", err)
	}
	c.Conn.Reset(tc)
	return true, nil
}

// appendLoginHeader appends the fixed 32 bytes that open a handshake
// response (and an SSL request): capabilities, maximum packet size,
// collation, 19 bytes of filler and MariaDB's extended capabilities.
func appendLoginHeader(b []byte, caps, ext uint32, collation byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, caps)
	b = binary.LittleEndian.AppendUint32(b, wire.MaxPayload)
	b = append(b, collation)
	b = append(b, make([]byte, 19)...)
	return binary.LittleEndian.AppendUint32(b, ext)
}

func scramble(plugin string, salt []byte, password string) []byte {
	if password == "" {
		return nil
	}
	if plugin == mysql.AUTH_CACHING_SHA2_PASSWORD {
		return mysql.CalcCachingSha2Password(salt, []byte(password))
	}
	return mysql.CalcNativePassword(salt, []byte(password))
}

// readAuthResult reads the server's answer to the handshake response,
// answering an auth switch request with the scramble of the plugin and
// salt it names.
func (c *Conn) readAuthResult(dc DialConfig) error {
	for range 4 {
		p, err := c.ReadPacket()
		if err != nil {
			return err
		}
		if len(p) == 0 {
			return errors.New("empty authentication reply")
		}
		switch p[0] {
		case wire.HeaderOK:
			return nil
		case wire.HeaderErr:
			return wire.ParseErr(p)
		case wire.HeaderEOF: // auth switch request
			rest := p[1:]
			end := bytes.IndexByte(rest, 0)
			if end < 0 {
				return errors.New("malformed auth switch request")
			}
			plugin := string(rest[:end])
			salt := bytes.TrimRight(rest[end+1:], "\x00")
			if plugin != mysql.AUTH_NATIVE_PASSWORD && plugin != mysql.AUTH_CACHING_SHA2_PASSWORD {
				return fmt.Errorf("server asks for auth plugin %s, which Strata does not speak to backends; give the backend user mysql_native_password", plugin)
			}
			if err := c.WriteFlush(scramble(plugin, salt, dc.Password)); err != nil {
				return err
			}
		case 0x01: // caching_sha2 fast-auth result; full auth is not spoken to backends
			if len(p) > 1 && p[1] == 3 {
				continue
			}
			return errors.New("server requires caching_sha2_password full authentication; use mysql_native_password for the backend user")
		default:
			return fmt.Errorf("unexpected auth reply 0x%02x", p[0])
		}
	}
	return errors.New("authentication did not finish")
}

// Command sends one command packet (sequence 0) and flushes it.
func (c *Conn) Command(payload []byte) error {
	c.Seq = 0
	err := c.WritePacket(payload)
	if err == nil {
		err = c.Flush()
	}
	return c.sent(err)
}

// Request sends a command the server answers (sequence 0) and returns once
// the answer starts to arrive, ready to be read or relayed.
func (c *Conn) Request(payload []byte) error { return c.RequestFor(payload, nil) }

// RequestFor is Request for a statement of shape h: busy polling for the
// answer follows what h's earlier answers taught (wire.ReplyPoll). With a
// wait pending (WaitFirst) the wait goes first, in the same write, and
// its answer decides whether the request's counts (ErrReplicaBehind: it
// did not, and has been dropped).
func (c *Conn) RequestFor(payload []byte, h *wire.ReplyPoll) error {
	if c.waitFirst != "" {
		return c.requestAfterWait(payload)
	}
	c.Seq = 0
	err := c.WritePacket(payload)
	if err == nil {
		err = c.FlushAwaitReplyFor(h)
	}
	return c.sent(err)
}

// sent marks the connection broken when sending a command failed, and says
// where.
func (c *Conn) sent(err error) error {
	c.Uses++
	if err != nil {
		c.Broken = true
		return fmt.Errorf("sending to %s: %w", c.Addr, err)
	}
	return nil
}

// SimpleCommand sends a command whose reply is one OK or ERR packet
// (COM_INIT_DB, COM_PING, COM_RESET_CONNECTION, a SET statement) and reads it.
func (c *Conn) SimpleCommand(cmd byte, arg string) error {
	c.scratch = append(c.scratch[:0], cmd)
	c.scratch = append(c.scratch, arg...)
	if err := c.Command(c.scratch); err != nil {
		return err
	}
	return c.readOKs()
}

// QueryEach sends conns[i] the statement sqls[i], every one before it
// reads any reply, so the servers run them side by side, then reads each
// reply, one OK or ERR as for SimpleCommand: errs[i] is conns[i]'s. For
// statements whose outcome on one connection does not decide whether the
// next runs (START TRANSACTION, SAVEPOINT, ROLLBACK), where one after the
// other would cost a round trip each. The connections must be distinct.
func QueryEach(conns []*Conn, sqls []string) (errs []error) {
	errs = make([]error, len(conns))
	for i, c := range conns {
		c.scratch = append(append(c.scratch[:0], wire.ComQuery), sqls[i]...)
		errs[i] = c.Command(c.scratch)
	}
	for i, c := range conns {
		if errs[i] == nil {
			errs[i] = c.readOKs()
		}
	}
	return errs
}

// Reset starts the session on the connection over (COM_RESET_CONNECTION):
// the server rolls back its transaction, frees its locks and drops its
// temporary tables, user variables and prepared statements; Strata forgets
// what it tracked of them.
func (c *Conn) Reset() error {
	// The reset puts the session's trackers back to the server's
	// defaults: the SET that tracks last_gtid again goes right behind
	// it, in the same round trip.
	track := c.TracksGTID
	c.Seq = 0
	err := c.WritePacket([]byte{wire.ComResetConnection})
	if err == nil && track {
		c.scratch = append(append(c.scratch[:0], wire.ComQuery), trackGTIDSQL...)
		c.Seq = 0
		err = c.WritePacket(c.scratch)
	}
	if err == nil {
		err = c.Flush()
	}
	if err := c.sent(err); err != nil {
		return err
	}
	resetErr := c.readOKs()
	if track {
		// Read even after a failed reset, so the connection stays in step.
		if err := c.readOKs(); err != nil && !c.Broken {
			c.TracksGTID = false
		}
	}
	if resetErr != nil {
		return resetErr
	}
	c.NeedsReset, c.DB, c.WarnedBy = false, "", 0
	c.Vars = map[string]string{}
	c.ForgetStmts()
	return nil
}

// readOKs reads OK packets until one without the more-results flag; an ERR
// ends it with that error.
func (c *Conn) readOKs() error {
	for {
		p, err := c.ReadPacket()
		if err != nil {
			c.Broken = true
			return fmt.Errorf("reading from %s: %w", c.Addr, err)
		}
		if len(p) == 0 {
			c.Broken = true
			return fmt.Errorf("empty reply from %s", c.Addr)
		}
		switch p[0] {
		case wire.HeaderErr:
			c.reportedAt = 0 // statements before it may have written
			return c.parseErr(p)
		case wire.HeaderOK:
			c.noteReport(p)
			ok, _ := wire.ParseOK(p)
			if ok.Status&wire.StatusMoreResults == 0 {
				return nil
			}
		default:
			// A result set where an OK was expected: the state is unknown.
			c.Broken = true
			return fmt.Errorf("unexpected result set from %s", c.Addr)
		}
	}
}

// noteReport keeps what the OK packet p, an answer to the last command
// sent, reports of last_gtid; several OKs of one answer keep the last
// report.
func (c *Conn) noteReport(p []byte) {
	if c.reportedAt != c.Uses {
		c.reported, c.reportedAt = "", c.Uses
	}
	if gtid, found := wire.TrackedVariable(p, "last_gtid"); found {
		c.reported = gtid
	}
}

// ReportedGTID is the last_gtid the server reported in its answer to the
// last command sent on c, read outside the relay (a SimpleCommand, an
// answer without rows read through Rows): "" when it reported none,
// which means nothing reached the binary log. ok is false when that
// answer was not read so (it had rows, or failed) or the connection does
// not track last_gtid.
func (c *Conn) ReportedGTID() (gtid string, ok bool) {
	if !c.TracksGTID || c.reportedAt != c.Uses || c.reportedAt == 0 {
		return "", false
	}
	return c.reported, true
}

// Close closes the network connection.
func (c *Conn) Close() error {
	c.Broken = true
	return c.Conn.Conn.Close()
}

// erQueryInterrupted is ER_QUERY_INTERRUPTED, what a statement stopped by
// KILL QUERY answers.
const erQueryInterrupted = 1317

// DeadlockError is the error of a statement Strata interrupted to break a
// deadlock across servers: MariaDB's own deadlock error (1213, SQLSTATE
// 40001, which clients and ORMs retry), saying that the whole
// transaction is rolled back, as a server rolls back its victim's.
func DeadlockError() *wire.Error {
	return &wire.Error{Code: 1213, State: "40001", Message: deadlockMessage}
}

const deadlockMessage = "Deadlock found when trying to get lock; try restarting transaction (Strata: a deadlock across servers, which no one server can see; this transaction was chosen to end it and is rolled back on every server)"

// IsDeadlockError reports whether e is DeadlockError (a shard's name may
// follow its message): the error of a statement Strata interrupted.
func IsDeadlockError(e *wire.Error) bool {
	return e != nil && e.Code == 1213 && strings.HasPrefix(e.Message, deadlockMessage)
}

// victimError is DeadlockError when p, an ERR packet, is the interruption
// of a statement chosen to end a deadlock (DeadlockVictim); nil
// otherwise.
func (c *Conn) victimError(p []byte) *wire.Error {
	if len(p) < 3 || p[0] != wire.HeaderErr || uint16(p[1])|uint16(p[2])<<8 != erQueryInterrupted {
		return nil
	}
	if !c.DeadlockVictim.Swap(false) {
		return nil
	}
	// KILL QUERY ended the statement, not the transaction, which still
	// holds its locks on this server: the connection is closed when it is
	// given back, and its server rolls the transaction back then, even
	// where no ROLLBACK reaches it.
	c.Broken = true
	return DeadlockError()
}

// parseErr decodes the server's ERR packet p, as what it means when
// Strata interrupted the statement to end a deadlock (victimError).
func (c *Conn) parseErr(p []byte) *wire.Error {
	if e := c.victimError(p); e != nil {
		return e
	}
	return wire.ParseErr(p)
}
