package frontend

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/strata-proxy/strata/wire"
)

// loginRefusals logs the logins Strata refuses (a wrong password, an
// unknown user, a plain login of a require_tls account) where the people
// on call see them: at most once per interval for a user and client host,
// with how many more there were in between, so an application retrying
// with a stale password, or a password scan, cannot flood the log.
type loginRefusals struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	seen map[refusalKey]*refusalCount
}

type refusalKey struct{ user, host string }

type refusalCount struct {
	logged time.Time
	since  int // refusals not logged since
}

// maxRefusalKeys bounds the memory a scan of many user names or hosts can
// take: past it the record starts over (each key is then logged once more).
const maxRefusalKeys = 1024

// maxLoggedUser bounds a user name in the log: a client may send 64 KiB.
const maxLoggedUser = 80

func newLoginRefusals(log *slog.Logger, every time.Duration) *loginRefusals {
	return &loginRefusals{log: log, every: every, now: time.Now, seen: map[refusalKey]*refusalCount{}}
}

// note records a refused login of user from addr; err is what the client
// was told. Only authentication refusals count: a client that hangs up
// during the handshake (a load balancer's TCP check) is not one.
func (r *loginRefusals) note(user string, addr net.Addr, err error) {
	var refused *wire.Error
	if !errors.As(err, &refused) || refused.Code != wire.ErAccessDenied {
		return
	}
	if len(user) > maxLoggedUser {
		user = user[:maxLoggedUser] + "…"
	}
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	k, now := refusalKey{user, host}, r.now()
	r.mu.Lock()
	c := r.seen[k]
	if c != nil && now.Sub(c.logged) < r.every {
		c.since++
		r.mu.Unlock()
		return
	}
	since := 0
	if c != nil {
		since = c.since
	}
	if c == nil && len(r.seen) >= maxRefusalKeys {
		clear(r.seen)
	}
	r.seen[k] = &refusalCount{logged: now}
	r.mu.Unlock()
	r.log.Warn("client login refused", "user", user, "client", host, "err", refused.Message, "more_since_last_logged", since)
}
