package frontend

import (
	"sync"

	"github.com/strata-proxy/strata/wire"
)

// userLimits counts each account's open client connections against its
// users[].max_connections, so one application (a runaway cron, a leaking
// pool) cannot take every connection Strata accepts.
type userLimits struct {
	mu   sync.Mutex
	max  map[string]int // user → limit; absent or 0: only the global limit
	open map[string]int
	// observe, when set, is told a user's open connections after each
	// change (the strata_user_connections gauge).
	observe func(user string, n int)
}

func newUserLimits(max map[string]int, observe func(user string, n int)) *userLimits {
	return &userLimits{max: max, open: map[string]int{}, observe: observe}
}

// count is user's open connections.
func (l *userLimits) count(user string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[user]
}

// setMax replaces the limits (a config reload). Connections already open
// stay; a user now over a lowered limit gets no new one until enough close.
func (l *userLimits) setMax(max map[string]int) {
	l.mu.Lock()
	l.max = max
	l.mu.Unlock()
}

// admit counts a connection for user, or refuses it with the error MariaDB
// gives past max_user_connections (1203, 42000).
func (l *userLimits) admit(user string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if limit := l.max[user]; limit > 0 && l.open[user] >= limit {
		return wire.NewError(errTooManyUserConnections,
			"User %s already has more than 'max_user_connections' active connections (Strata's users[].max_connections for %s is %d)", user, user, limit)
	}
	l.open[user]++
	l.observed(user)
	return nil
}

// observed passes user's count on; l.mu is held.
func (l *userLimits) observed(user string) {
	if l.observe != nil {
		l.observe(user, l.open[user])
	}
}

// leave uncounts a connection admitted for user.
func (l *userLimits) leave(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[user]--; l.open[user] <= 0 {
		delete(l.open, user)
	}
	l.observed(user)
}

// errTooManyUserConnections is ER_TOO_MANY_USER_CONNECTIONS.
const errTooManyUserConnections = 1203
