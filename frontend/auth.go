package frontend

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/wire"
)

const (
	pluginNative      = mysql.AUTH_NATIVE_PASSWORD
	pluginCachingSha2 = mysql.AUTH_CACHING_SHA2_PASSWORD
	// pluginUnixSocket is MariaDB's unix_socket: no password, the client
	// is the operating-system user of the account's name, as the socket's
	// peer credentials say. It needs no answer from the client beyond its
	// handshake, so there is no switch to it.
	pluginUnixSocket = "unix_socket"
)

// serverCaps is what Strata offers clients. CLIENT_SSL is added when TLS is on.
const serverCaps = wire.ClientLongPassword | wire.ClientFoundRows | wire.ClientLongFlag |
	wire.ClientConnectWithDB | wire.ClientLocalFiles | wire.ClientProtocol41 | wire.ClientTransactions |
	wire.ClientSecureConn | wire.ClientMultiStatements | wire.ClientMultiResults | wire.ClientPSMultiResults |
	wire.ClientPluginAuth | wire.ClientConnectAttrs | wire.ClientPluginAuthLenenc | wire.ClientDeprecateEOF |
	mysql.CLIENT_IGNORE_SPACE | mysql.CLIENT_INTERACTIVE | mysql.CLIENT_ODBC | wire.ClientCompress

// hello is a client's handshake response.
type hello struct {
	caps      uint32
	collation byte
	user      string
	auth      []byte
	db        string
	plugin    string
	attrs     session.ClientAttrs
}

// Authenticator checks clients against the configured users. It keeps the
// caching_sha2_password cache: like MySQL, the first login of a user after
// start (or after its password changed) takes the full path (password over
// TLS or RSA), later ones the fast one.
type Authenticator struct {
	accounts atomic.Pointer[map[string]account]
	tls      *tls.Config

	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyPEM  []byte
	keyErr  error

	mu     sync.Mutex
	cached map[string]cachedLogin // user → what its last full authentication proved
}

// account is one configured user with its credential worked out.
type account struct {
	config.User
	cred credential
}

// cachedLogin is a caching_sha2_password cache entry: the digest of the
// password a full authentication proved, and the credential it was proved
// against, so a password changed by a reload takes the full path again.
type cachedLogin struct {
	cred   credential
	digest sha2Digest
}

// NewAuthenticator builds the user table.
func NewAuthenticator(users []config.User, tlsConf *tls.Config) *Authenticator {
	a := &Authenticator{tls: tlsConf, cached: map[string]cachedLogin{}}
	a.SetUsers(users)
	return a
}

// SetUsers replaces the user table (a config reload). Logins and changes of
// user from now on use it; sessions already logged in go on, as on MariaDB
// after a DROP USER or a password change.
func (a *Authenticator) SetUsers(users []config.User) {
	accounts := make(map[string]account, len(users))
	for _, u := range users {
		accounts[u.Name] = account{User: u, cred: credentialOf(u)}
	}
	a.accounts.Store(&accounts)
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, last := range a.cached { // a removed account's or an old password's digest
		if u, ok := accounts[name]; !ok || u.cred != last.cred {
			delete(a.cached, name)
		}
	}
}

// known reports whether user is in the user table.
func (a *Authenticator) known(user string) bool {
	_, ok := (*a.accounts.Load())[user]
	return ok
}

// maxConnections maps each user with users[].max_connections to it.
func (a *Authenticator) maxConnections() map[string]int {
	out := map[string]int{}
	for name, u := range *a.accounts.Load() {
		if u.MaxConnections > 0 {
			out[name] = u.MaxConnections
		}
	}
	return out
}

func parseHello(p []byte) (hello, error) {
	var h hello
	if len(p) < 32 {
		return h, errors.New("handshake response too short")
	}
	h.caps = binary.LittleEndian.Uint32(p)
	h.collation = p[8]
	rest := p[32:]
	end := bytes.IndexByte(rest, 0)
	if end < 0 {
		return h, errors.New("handshake response has no user name")
	}
	h.user = string(rest[:end])
	rest = rest[end+1:]
	switch {
	case h.caps&wire.ClientPluginAuthLenenc != 0:
		n, w := wire.ReadLenEnc(rest)
		if w == 0 || uint64(len(rest)-w) < n {
			return h, errors.New("truncated auth data")
		}
		h.auth, rest = rest[w:w+int(n)], rest[w+int(n):]
	case h.caps&wire.ClientSecureConn != 0:
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return h, errors.New("truncated auth data")
		}
		n := int(rest[0])
		h.auth, rest = rest[1:1+n], rest[1+n:]
	default:
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			return h, errors.New("truncated auth data")
		}
		h.auth, rest = rest[:end], rest[end+1:]
	}
	h.auth = append([]byte(nil), h.auth...)
	if h.caps&wire.ClientConnectWithDB != 0 && len(rest) > 0 {
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			end = len(rest)
		}
		h.db, rest = string(rest[:end]), rest[min(end+1, len(rest)):]
	}
	if h.caps&wire.ClientPluginAuth != 0 && len(rest) > 0 {
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			end = len(rest)
		}
		h.plugin, rest = string(rest[:end]), rest[min(end+1, len(rest)):]
	}
	if h.caps&wire.ClientConnectAttrs != 0 {
		h.attrs = readConnectAttrs(rest)
	}
	return h, nil
}

// readConnectAttrs reads the connection attributes a client sends after
// its login (CLIENT_CONNECT_ATTRS): a length, then name and value pairs.
// Only the ones that tell the people on call which program a session
// belongs to are kept, cut to maxAttrLen. The attributes are only shown,
// so what cannot be read is left out rather than refused.
func readConnectAttrs(p []byte) session.ClientAttrs {
	var a session.ClientAttrs
	n, w := wire.ReadLenEnc(p)
	if w == 0 {
		return a
	}
	if p = p[w:]; n < uint64(len(p)) {
		p = p[:n]
	}
	var version string
	for len(p) > 0 {
		name, rest, ok := wire.ReadLenEncString(p)
		if !ok {
			break
		}
		value, rest, ok := wire.ReadLenEncString(rest)
		if !ok {
			break
		}
		p = rest
		switch string(name) {
		case "program_name":
			a.Program = shownAttr(value)
		case "_client_name":
			a.Driver = shownAttr(value)
		case "_client_version":
			version = shownAttr(value)
		case "_pid":
			a.PID = shownAttr(value)
		}
	}
	if a.Driver != "" && version != "" {
		a.Driver += " " + version
	}
	return a
}

// maxAttrLen bounds an attribute as Strata keeps it: they are names.
const maxAttrLen = 64

func shownAttr(b []byte) string {
	return strings.ToValidUTF8(string(b[:min(len(b), maxAttrLen)]), "?")
}

// accessDenied is MySQL's error 1045 with its usual wording.
func accessDenied(user string, addr net.Addr, withPassword bool) *wire.Error {
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	using := "NO"
	if withPassword {
		using = "YES"
	}
	return wire.NewError(wire.ErAccessDenied, "Access denied for user '%s'@'%s' (using password: %s)", user, host, using)
}

// authenticate runs the auth exchange after the handshake response: switch
// to the user's plugin when the client used another, then verify.
func (a *Authenticator) authenticate(c *wire.Conn, h *hello, salt []byte, isTLS bool) error {
	u, ok := (*a.accounts.Load())[h.user]
	if !ok {
		return accessDenied(h.user, c.RemoteAddr(), len(h.auth) > 0)
	}
	if u.AuthPlugin == pluginUnixSocket {
		return checkPeerUser(c, u.Name)
	}
	auth := h.auth
	if h.plugin != u.AuthPlugin {
		sw := append([]byte{wire.HeaderEOF}, u.AuthPlugin...)
		sw = append(sw, 0)
		sw = append(sw, salt...)
		sw = append(sw, 0)
		if err := c.WriteFlush(sw); err != nil {
			return err
		}
		var err error
		if auth, err = c.ReadPacket(); err != nil {
			return err
		}
		auth = append([]byte(nil), auth...)
	}
	var err error
	switch u.AuthPlugin {
	case pluginCachingSha2:
		err = a.cachingSha2(c, u, auth, salt, isTLS || c.OverUnixSocket())
	default:
		if !u.cred.checkNative(auth, salt) {
			err = accessDenied(h.user, c.RemoteAddr(), len(auth) > 0)
		}
	}
	// After the password, as MariaDB does: only a client that knows it
	// learns the account wants TLS.
	if err == nil && u.RequireTLS && !isTLS {
		return wire.NewError(wire.ErAccessDenied, "Access denied for user '%s': the account requires TLS (users[].require_tls); connect with TLS (mariadb --ssl, PDO MYSQL_ATTR_SSL_*, go-sql-driver tls=...)", u.Name)
	}
	return err
}

// cachingSha2 checks a caching_sha2_password login; secure: the transport
// may carry the password in clear. TLS is such a transport, and so is
// listen_socket, which only the host's own processes reach: MySQL counts
// it as secure, so its clients (go-sql-driver, libmysqlclient) send the
// password in clear there.
func (a *Authenticator) cachingSha2(c *wire.Conn, u account, auth, salt []byte, secure bool) error {
	if u.cred.none {
		if len(auth) == 0 || (len(auth) == 1 && auth[0] == 0) {
			return nil
		}
		return accessDenied(u.Name, c.RemoteAddr(), true)
	}
	a.mu.Lock()
	last, cached := a.cached[u.Name]
	a.mu.Unlock()
	if cached && last.cred == u.cred {
		if !last.digest.checkFast(auth, salt) {
			return accessDenied(u.Name, c.RemoteAddr(), true)
		}
		return c.WriteFlush([]byte{0x01, 0x03}) // fast auth success; the OK follows
	}
	// Full authentication: the client must send the password itself,
	// protected by TLS or by our RSA key.
	if err := c.WriteFlush([]byte{0x01, 0x04}); err != nil {
		return err
	}
	password, err := a.receivePassword(c, salt, secure)
	if err != nil {
		return err
	}
	if !u.cred.matches(password) {
		return accessDenied(u.Name, c.RemoteAddr(), true)
	}
	a.mu.Lock()
	a.cached[u.Name] = cachedLogin{cred: u.cred, digest: sha2DigestOf(password)}
	a.mu.Unlock()
	return nil
}

func (a *Authenticator) receivePassword(c *wire.Conn, salt []byte, secure bool) (string, error) {
	p, err := c.ReadPacket()
	if err != nil {
		return "", err
	}
	if secure {
		return string(bytes.TrimRight(p, "\x00")), nil
	}
	if len(p) == 1 && p[0] == 0x02 { // public key request
		pemBytes, err := a.publicKeyPEM()
		if err != nil {
			return "", err
		}
		if err := c.WriteFlush(append([]byte{0x01}, pemBytes...)); err != nil {
			return "", err
		}
		if p, err = c.ReadPacket(); err != nil {
			return "", err
		}
	} else if len(p) > 0 && p[len(p)-1] == 0 && len(p) < 256 {
		// Cleartext over TCP without TLS would expose the password:
		// refuse it.
		return "", wire.NewError(wire.ErAccessDenied, "Access denied: caching_sha2_password full authentication needs TLS or the server's RSA public key; connect with TLS or allow public key retrieval")
	}
	plain, err := rsa.DecryptOAEP(sha1.New(), rand.Reader, a.key, p, nil)
	if err != nil {
		return "", wire.NewError(wire.ErAccessDenied, "Access denied: could not decrypt the password (%v)", err)
	}
	for i := range plain {
		plain[i] ^= salt[i%len(salt)]
	}
	return string(bytes.TrimRight(plain, "\x00")), nil
}

// publicKeyPEM makes the RSA key on first use: generating it costs tens of
// milliseconds that most deployments never need to pay.
func (a *Authenticator) publicKeyPEM() ([]byte, error) {
	a.keyOnce.Do(func() {
		a.key, a.keyErr = rsa.GenerateKey(rand.Reader, 2048)
		if a.keyErr != nil {
			return
		}
		der, err := x509.MarshalPKIXPublicKey(&a.key.PublicKey)
		if err != nil {
			a.keyErr = err
			return
		}
		a.keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	})
	if a.keyErr != nil {
		return nil, fmt.Errorf("generating RSA key: %w", a.keyErr)
	}
	return a.keyPEM, nil
}
