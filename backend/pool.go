package backend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/strata-proxy/strata/wire"
)

// PoolConfig bounds one server's connections.
type PoolConfig struct {
	Addr string
	// Sockets maps server addresses to Unix sockets to dial instead of TCP.
	Sockets map[string]string
	// TLS, when set, encrypts the TCP connections (DialConfig.TLS).
	TLS *tls.Config
	// User and Password are the default account; Accounts holds the
	// others a connection's Flavor may name.
	User     string
	Password string
	Accounts *Accounts
	PoolLimits
	// IdleTimeout closes connections unused for longer (servers drop them
	// after wait_timeout anyway).
	IdleTimeout time.Duration
	// BusyPoll, when set, makes the connections poll for the server's
	// answers before they sleep (DialConfig.BusyPoll).
	BusyPoll *wire.BusyPoll
}

// PoolLimits are the bounds a config reload may change (SetLimits).
type PoolLimits struct {
	MaxConns int
	MaxIdle  int
	// ConnectTimeout bounds dialing; Wait bounds waiting for a free connection.
	ConnectTimeout time.Duration
	Wait           time.Duration
}

// Pool holds connections to one server. Idle connections are kept per
// flavor and reused last-in-first-out, so a busy pool works on warm
// connections and the rest age out.
type Pool struct {
	cfg PoolConfig

	mu      sync.Mutex
	idle    map[Flavor][]*Conn
	open    int // connections out plus idle
	waiters int
	freed   chan struct{} // signalled when a connection slot frees up
	closed  bool
	// paused, while set, holds back every Get (a primary switchover is
	// under way); Resume closes its channel.
	paused *pause
	// loginGen counts changes of the default account (SetLogin): a
	// connection of that account dialed before the last one is closed
	// when it comes back instead of serving again.
	loginGen uint64

	stats PoolStats
}

// PoolStats are the pool's counters for metrics and the admin API.
type PoolStats struct {
	Open, Idle, InUse int
	Dials, DialErrors uint64
	Waits             uint64
	// ClosedByServer counts idle connections found closed by their
	// server when taken (wait_timeout, KILL, restart), and replaced.
	ClosedByServer uint64
	// ResetOnReturn counts connections reset as they came back, because
	// their session may have left a transaction, locks or state on them
	// (putAfterReset).
	ResetOnReturn uint64
}

// NewPool creates an empty pool; connections are dialed on demand.
func NewPool(cfg PoolConfig) *Pool {
	cfg.PoolLimits = cfg.PoolLimits.withDefaults()
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	return &Pool{cfg: cfg, idle: map[Flavor][]*Conn{}, freed: make(chan struct{}, 1)}
}

func (l PoolLimits) withDefaults() PoolLimits {
	if l.MaxConns <= 0 {
		l.MaxConns = 256
	}
	if l.MaxIdle <= 0 || l.MaxIdle > l.MaxConns {
		l.MaxIdle = l.MaxConns
	}
	return l
}

// SetLimits replaces the pool's bounds (a config reload). Connections out
// stay out: a lowered max_conns lets no new one open until enough are
// back, and a lowered max_idle closes the extra ones as they come back.
// Waiters are woken so a raised bound serves them at once.
func (p *Pool) SetLimits(l PoolLimits) {
	p.mu.Lock()
	p.cfg.PoolLimits = l.withDefaults()
	p.mu.Unlock()
	p.signal()
}

// SetLogin replaces the default account (backend.user and .password, a
// config reload): new connections log in with it, idle ones of the old
// account are closed, and those in use are closed when they come back,
// so the old account can be dropped on the servers once they are gone.
// Connections of users' own accounts (users[].backend) stay.
func (p *Pool) SetLogin(user, password string) {
	p.mu.Lock()
	if p.cfg.User == user && p.cfg.Password == password {
		p.mu.Unlock()
		return
	}
	p.cfg.User, p.cfg.Password = user, password
	p.loginGen++
	var stale []*Conn
	for f, conns := range p.idle {
		if f.Account == "" {
			stale = append(stale, conns...)
			p.open -= len(conns)
			delete(p.idle, f)
		}
	}
	p.mu.Unlock()
	for _, c := range stale {
		go c.Close()
	}
	p.signal()
}

// login is the default account new connections log in with, and its
// generation (SetLogin).
func (p *Pool) login() (user, password string, gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.User, p.cfg.Password, p.loginGen
}

// Limits returns the pool's bounds.
func (p *Pool) Limits() PoolLimits {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.PoolLimits
}

// Addr is the server this pool connects to.
func (p *Pool) Addr() string { return p.cfg.Addr }

// Get returns a connection of the given flavor: prefer (the caller's last
// connection) when it is idle, else the most recently used idle one, else a
// new one; it waits for a free slot when the pool is at its limit.
func (p *Pool) Get(ctx context.Context, f Flavor, prefer *Conn) (*Conn, error) {
	var deadline time.Time // set when Get first has to wait
	for {
		c, dial, err := p.take(f, prefer)
		if pz, ok := err.(*pause); ok {
			if err := pz.wait(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if c != nil {
			return c, nil
		}
		if dial {
			return p.dial(ctx, f)
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(p.Limits().Wait)
		}
		if err := p.wait(ctx, deadline); err != nil {
			return nil, err
		}
	}
}

// Reclaim takes c out of the idle list if it is there (a caller's own
// earlier connection, wanted for what it holds); it reports whether it
// did. A paused or closed pool gives nothing back, as Get would not.
func (p *Pool) Reclaim(c *Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && p.paused == nil && p.removeIdle(c)
}

// removeIdle takes c out of its idle list if it is there; p.mu is held.
func (p *Pool) removeIdle(c *Conn) bool {
	idle := p.idle[c.Flavor]
	for i, ic := range idle {
		if ic == c {
			idle[i] = idle[len(idle)-1]
			p.idle[c.Flavor] = idle[:len(idle)-1]
			return true
		}
	}
	return false
}

func (p *Pool) take(f Flavor, prefer *Conn) (*Conn, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, false, fmt.Errorf("pool for %s is closed", p.cfg.Addr)
	}
	if p.paused != nil {
		return nil, false, p.paused
	}
	if prefer != nil && prefer.Flavor == f && p.removeIdle(prefer) {
		if p.usable(prefer) {
			return prefer, false, nil
		}
		p.discard(prefer)
	}
	idle := p.idle[f]
	for len(idle) > 0 {
		c := idle[len(idle)-1]
		idle = idle[:len(idle)-1]
		p.idle[f] = idle
		if p.usable(c) {
			return c, false, nil
		}
		p.discard(c)
	}
	if p.open < p.cfg.MaxConns {
		p.open++ // reserve the slot before dialing outside the lock
		return nil, true, nil
	}
	// Full: close an idle connection of another flavor to make room.
	for of, conns := range p.idle {
		if len(conns) > 0 {
			victim := conns[0]
			p.idle[of] = conns[1:]
			go victim.Close()
			return nil, true, nil
		}
	}
	p.waiters++
	p.stats.Waits++
	return nil, false, nil
}

// checkIdleAfter is how long a connection sits idle before it is checked
// for a peer that closed it when taken: a connection handed on at once
// (the next statement of a busy session) costs no system call.
const checkIdleAfter = 100 * time.Millisecond

// usable reports whether idle connection c may serve: not idle past the
// pool's idle timeout, and not closed by its server meanwhile (the
// server's wait_timeout, which a session may have set low, a KILL, a
// restart) — such a connection would fail the statement that took it, or
// make a healthy server look down. p.mu is held.
func (p *Pool) usable(c *Conn) bool {
	idle := time.Since(c.lastUsed)
	if idle >= p.cfg.IdleTimeout {
		return false
	}
	if idle >= checkIdleAfter && c.PeerClosed() {
		p.stats.ClosedByServer++
		return false
	}
	return true
}

// discard closes an idle connection taken out of the list; p.mu is held.
func (p *Pool) discard(c *Conn) {
	p.open--
	go c.Close()
}

func (p *Pool) wait(ctx context.Context, deadline time.Time) error {
	defer func() {
		p.mu.Lock()
		p.waiters--
		p.mu.Unlock()
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-p.freed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		l := p.Limits()
		return wire.NewError(wire.ErConCount, "Strata: all %d connections to %s are busy (waited %s); raise limits.max_conns_per_server or reduce load", l.MaxConns, p.cfg.Addr, l.Wait)
	}
}

func (p *Pool) dial(ctx context.Context, f Flavor) (*Conn, error) {
	user, password, gen := p.login()
	if f.Account != "" {
		var ok bool
		if password, ok = p.cfg.Accounts.Password(f.Account); !ok {
			p.mu.Lock()
			p.open-- // the slot take reserved
			p.mu.Unlock()
			p.signal()
			// Not a ServerError: the server is fine.
			return nil, wire.NewError(wire.ErAccessDenied, "Strata: the server account %s this session logged in with is no longer in the config (users[].backend); reconnect", f.Account)
		}
		user = f.Account
	}
	c, err := Dial(ctx, DialConfig{Addr: p.cfg.Addr, Socket: p.cfg.Sockets[p.cfg.Addr], User: user, Password: password, Timeout: p.Limits().ConnectTimeout, Flavor: f, TLS: p.cfg.TLS, BusyPoll: p.cfg.BusyPoll})
	p.mu.Lock()
	p.stats.Dials++
	if err != nil {
		p.stats.DialErrors++
		p.open--
		p.mu.Unlock()
		p.signal()
		if refused := accountRefused(f, err); refused != nil {
			return nil, refused
		}
		return nil, &ServerError{p.cfg.Addr, err}
	}
	p.mu.Unlock()
	c.pool, c.loginGen = p, gen
	return c, nil
}

// accountRefused is the error for a server that refused a user's own
// server account (a wrong password in users[].backend, a locked or
// unknown account): the server is fine and serves every other account, so
// this is not a ServerError, which would have the monitor mark it down for
// everyone. The user hears the server's error, naming the account. nil
// for any other failure, and for the default account, which the health
// checks use too.
func accountRefused(f Flavor, err error) *wire.Error {
	var refused *wire.Error
	if f.Account == "" || !errors.As(err, &refused) || refused.Code == wire.ErConCount {
		return nil
	}
	return &wire.Error{Code: refused.Code, State: refused.State,
		Message: fmt.Sprintf("the server refused Strata's login as the server account %s (users[].backend): %s", f.Account, refused.Message)}
}

// Put returns a connection. Broken connections are closed; one that needs
// a reset is reset first (putAfterReset); the rest go back to the idle
// list (or are closed when it is full).
func (p *Pool) Put(c *Conn) {
	if c == nil {
		return
	}
	if c.NeedsReset && !c.Broken {
		go p.putAfterReset(c)
		return
	}
	c.lastUsed = time.Now()
	// A deadlock victim's mark dies with its transaction: a KILL QUERY
	// that found nothing to stop must not mark another statement's error.
	c.DeadlockVictim.Store(false)
	p.mu.Lock()
	if c.Broken || p.closed || len(p.idle[c.Flavor]) >= p.cfg.MaxIdle || (c.Flavor.Account == "" && c.loginGen != p.loginGen) {
		p.open--
		p.mu.Unlock()
		c.Close()
		p.signal()
		return
	}
	p.idle[c.Flavor] = append(p.idle[c.Flavor], c)
	p.mu.Unlock()
	p.signal()
}

// resetTimeout bounds the reset of a connection coming back dirty; one
// that takes longer (a long rollback, a hung server) is closed instead,
// which ends its session on the server just as well.
const resetTimeout = 10 * time.Second

// putAfterReset resets c, which its last client may have left inside a
// transaction, holding locks or temporary tables (the client disconnected
// mid-transaction, say), then puts it back. Resetting only when the
// connection is next taken would leave its row locks, GET_LOCK()s and
// LOCK TABLES on the server, blocking every other client, for as long as
// nothing takes it. It runs off the releasing session's path; meanwhile
// the connection counts as open, not idle.
func (p *Pool) putAfterReset(c *Conn) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		c.Broken = true // Put closes it: no reset for a connection about to go
	} else {
		c.SetDeadlineIn(resetTimeout)
		err := c.Reset()
		c.SetDeadlineIn(0)
		p.mu.Lock()
		if err != nil {
			c.Broken = true // closed below, which ends its session on the server as well
		} else {
			p.stats.ResetOnReturn++
		}
		p.mu.Unlock()
	}
	p.Put(c)
}

func (p *Pool) signal() {
	select {
	case p.freed <- struct{}{}:
	default:
	}
}

// Stats returns a snapshot of the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Open = p.open
	for _, conns := range p.idle {
		s.Idle += len(conns)
	}
	s.InUse = s.Open - s.Idle
	return s
}

// CloseIdle closes every idle connection (after the server failed, so stale
// sockets are not handed out).
func (p *Pool) CloseIdle() {
	p.mu.Lock()
	var victims []*Conn
	for f, conns := range p.idle {
		victims = append(victims, conns...)
		p.open -= len(conns)
		delete(p.idle, f)
	}
	p.mu.Unlock()
	for _, c := range victims {
		c.Close()
	}
}

// Close closes idle connections and refuses new ones; connections in use are
// closed when they are put back.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.CloseIdle()
}

// ErrRerouted is what a Get held back by Pause returns when the pause
// ends with the server in another role (a switchover made the primary a
// replica): the caller routes the statement again on the new topology.
var ErrRerouted = errors.New("the server changed role while the statement waited for it; route it again")

// pause is one Pause of a pool. It travels as an error out of take so
// Get can tell it from a real failure.
type pause struct {
	done chan struct{}
	err  error // set before done is closed
}

func (pz *pause) Error() string { return "pool paused" }

// wait blocks until the pause ends; it returns the error Resume gave.
func (pz *pause) wait(ctx context.Context) error {
	select {
	case <-pz.done:
		return pz.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pause holds back every new Get until Resume; connections already out
// are unaffected. A switchover pauses the old primary's pool, waits until
// InUse reaches 0, and so knows that nothing writes through Strata while
// it changes the servers' roles. Pausing a paused pool is a no-op.
func (p *Pool) Pause() {
	p.mu.Lock()
	if p.paused == nil {
		p.paused = &pause{done: make(chan struct{})}
	}
	p.mu.Unlock()
}

// Resume ends a Pause. The Gets that waited return err (nil: they go on
// and take a connection; ErrRerouted: they route again).
func (p *Pool) Resume(err error) {
	p.mu.Lock()
	pz := p.paused
	p.paused = nil
	p.mu.Unlock()
	if pz != nil {
		pz.err = err
		close(pz.done)
	}
}

// Pools maps server addresses to their pools; pools are created on first use
// so servers added at run time need no restart.
type Pools struct {
	mu    sync.RWMutex
	pools map[string]*Pool
	tmpl  PoolConfig
}

// NewPools makes a registry whose pools share tmpl's settings.
func NewPools(tmpl PoolConfig) *Pools {
	return &Pools{pools: map[string]*Pool{}, tmpl: tmpl}
}

// SetLimits replaces the bounds of every pool, and of those made later.
func (ps *Pools) SetLimits(l PoolLimits) {
	ps.mu.Lock()
	ps.tmpl.PoolLimits = l
	ps.mu.Unlock()
	ps.Each(func(p *Pool) { p.SetLimits(l) })
}

// SetLogin replaces the default account of every pool, and of those made
// later (Pool.SetLogin).
func (ps *Pools) SetLogin(user, password string) {
	ps.mu.Lock()
	ps.tmpl.User, ps.tmpl.Password = user, password
	ps.mu.Unlock()
	ps.Each(func(p *Pool) { p.SetLogin(user, password) })
}

// For returns the pool of addr, creating it when needed.
func (ps *Pools) For(addr string) *Pool {
	ps.mu.RLock()
	p := ps.pools[addr]
	ps.mu.RUnlock()
	if p != nil {
		return p
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p = ps.pools[addr]; p == nil {
		cfg := ps.tmpl
		cfg.Addr = addr
		p = NewPool(cfg)
		ps.pools[addr] = p
	}
	return p
}

// Each calls fn for every pool.
func (ps *Pools) Each(fn func(*Pool)) {
	ps.mu.RLock()
	list := make([]*Pool, 0, len(ps.pools))
	for _, p := range ps.pools {
		list = append(list, p)
	}
	ps.mu.RUnlock()
	for _, p := range list {
		fn(p)
	}
}

// Close closes every pool.
func (ps *Pools) Close() { ps.Each(func(p *Pool) { p.Close() }) }
