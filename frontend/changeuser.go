package frontend

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"time"

	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/wire"
)

// changeUser handles COM_CHANGE_USER: authenticate the new user with a fresh
// salt (through an auth switch request, which every current client follows),
// then start the session over as that user.
func (s *Server) changeUser(sess *session.Session, p []byte) error {
	c := sess.Client()
	rest := p[1:]
	end := bytes.IndexByte(rest, 0)
	if end < 0 {
		return sess.WriteError(errMalformed("COM_CHANGE_USER has no user name"))
	}
	h := hello{user: string(rest[:end]), caps: wire.ClientPluginAuth}
	rest = rest[end+1:]
	if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
		return sess.WriteError(errMalformed("COM_CHANGE_USER auth data is truncated"))
	}
	rest = rest[1+int(rest[0]):]
	if end = bytes.IndexByte(rest, 0); end >= 0 {
		h.db = string(rest[:end])
		rest = rest[end+1:]
	}
	collation := byte(0)
	if len(rest) >= 2 {
		collation = byte(binary.LittleEndian.Uint16(rest))
	}
	salt := newSalt()
	// On a TLS connection a caching_sha2_password full path takes the
	// password in clear, as at login.
	if err := s.auth.authenticate(c, &h, salt, c.OverTLS()); err != nil {
		s.refusals.note(h.user, c.RemoteAddr(), err)
		s.sendError(c, err)
		return err // MySQL closes the connection after a failed change of user
	}
	if h.user != sess.User {
		// The connection moves to another user's count; one that logs in
		// again as itself (to reset its state) keeps its slot.
		if err := s.users.admit(h.user); err != nil {
			s.env.Metrics.ClientRejected("user_max_connections")
			s.sendError(c, err)
			return err
		}
		s.users.leave(sess.User)
	}
	sess.Reset(h.user, "", collation)
	if h.db != "" {
		if err := s.checkSchema(sess, h.db); err != nil {
			return sess.WriteError(err)
		}
		sess.DB = h.db
	}
	return sess.WriteOK()
}

// schemaTTL is how long a schema known to exist is trusted without asking.
const schemaTTL = 30 * time.Second

// schemaCache remembers schemas that exist, so a PHP app that connects per
// request with a database in its DSN costs no extra round trip to check it.
type schemaCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func newSchemaCache() *schemaCache { return &schemaCache{seen: map[string]time.Time{}} }

func (s *Server) checkSchema(sess *session.Session, db string) error {
	s.schemas.mu.Lock()
	at, ok := s.schemas.seen[db]
	s.schemas.mu.Unlock()
	if ok && time.Since(at) < schemaTTL {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sess.CheckSchema(ctx, db); err != nil {
		return err
	}
	s.schemas.mu.Lock()
	s.schemas.seen[db] = time.Now()
	s.schemas.mu.Unlock()
	return nil
}
