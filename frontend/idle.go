package frontend

import (
	"time"

	"github.com/strata-proxy/strata/wire"
)

// errClientInteractionTimeout is ER_CLIENT_INTERACTION_TIMEOUT, what MySQL
// sends a client it closes past wait_timeout.
const errClientInteractionTimeout = 4031

// idleDeadline keeps a client's read deadline at least timeout after its
// last command (limits.client_idle_timeout). Setting a deadline takes the
// runtime's timer lock, so it is moved only when less than timeout is
// left, and then to timeout plus an eighth: a busy client re-arms it about
// once per eighth of the timeout, not on every statement. A client is
// therefore closed after between timeout and 1.125 × timeout of silence,
// never sooner.
type idleDeadline struct {
	timeout time.Duration // 0: never
	at      time.Time     // the deadline set on the connection; zero: none
}

// arm is called before reading the next command, at now.
func (d *idleDeadline) arm(c *wire.Conn, now time.Time) {
	if d.timeout <= 0 || d.at.Sub(now) >= d.timeout {
		return
	}
	d.at = now.Add(d.timeout + d.timeout/8)
	_ = c.SetReadDeadline(d.at)
}

// set changes the timeout (the session set its wait_timeout): the next
// arm moves the deadline, shorter or longer.
func (d *idleDeadline) set(timeout time.Duration) {
	if timeout != d.timeout {
		d.timeout, d.at = timeout, time.Time{}
	}
}

// lost records that something else set or cleared the deadline.
func (d *idleDeadline) lost() { d.at = time.Time{} }
