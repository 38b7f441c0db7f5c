package backend

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/strata-proxy/strata/wire"
)

// closedAddr is a loopback address where nothing listens, so a Get that
// gets past a pause fails fast at dialing instead of hanging.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestPauseHoldsGetsUntilResume(t *testing.T) {
	cases := []struct {
		name   string
		resume error
		want   func(error) bool
	}{
		{"resume with ErrRerouted sends waiters to route again", ErrRerouted, func(err error) bool { return errors.Is(err, ErrRerouted) }},
		{"resume with nil lets waiters go on to the server", nil, func(err error) bool {
			var se *ServerError
			return errors.As(err, &se) // it dialed (and found nothing there)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPool(PoolConfig{Addr: closedAddr(t), PoolLimits: PoolLimits{ConnectTimeout: time.Second, Wait: time.Second}})
			p.Pause()
			p.Pause() // a second pause is the same pause
			got := make(chan error, 1)
			go func() {
				_, err := p.Get(context.Background(), Flavor{}, nil)
				got <- err
			}()
			select {
			case err := <-got:
				t.Fatalf("Get returned during the pause: %v", err)
			case <-time.After(100 * time.Millisecond):
			}
			p.Resume(tc.resume)
			select {
			case err := <-got:
				if !tc.want(err) {
					t.Fatalf("Get after Resume(%v) = %v", tc.resume, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Get still blocked after Resume")
			}
		})
	}
}

func TestPausedGetHonoursItsContext(t *testing.T) {
	p := NewPool(PoolConfig{Addr: closedAddr(t), PoolLimits: PoolLimits{Wait: time.Second}})
	p.Pause()
	defer p.Resume(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Get(ctx, Flavor{}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get on a paused pool with an expiring context = %v, want the context's error", err)
	}
	// A later Get after Resume is not held by the old pause.
	p.Resume(nil)
	if _, err := p.Get(context.Background(), Flavor{}, nil); errors.Is(err, ErrRerouted) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get after Resume = %v, want a dial error", err)
	}
}

// Reclaim gives a session back its own idle connection — once, and not
// while the pool is paused (a switchover holds every statement back).
func TestReclaim(t *testing.T) {
	p := NewPool(PoolConfig{Addr: closedAddr(t), PoolLimits: PoolLimits{MaxConns: 2, MaxIdle: 2, Wait: time.Second}})
	mine, other := &Conn{}, &Conn{}
	p.Put(other)
	p.Put(mine)
	p.Pause()
	if p.Reclaim(mine) {
		t.Fatal("Reclaim took a connection from a paused pool")
	}
	p.Resume(nil)
	if !p.Reclaim(mine) {
		t.Fatal("Reclaim did not give back an idle connection")
	}
	if p.Reclaim(mine) {
		t.Fatal("Reclaim gave back a connection already taken")
	}
	c, err := p.Get(context.Background(), Flavor{}, nil)
	if err != nil || c != other {
		t.Fatalf("Get after Reclaim = %p, %v; want the other idle connection %p", c, err, other)
	}
}

// A reload that raises limits.max_conns_per_server serves a statement
// already waiting for a connection at once, instead of after pool_wait;
// without it the wait ends in error 1040 naming the bound.
func TestSetLimitsServesWaiters(t *testing.T) {
	for _, raise := range []bool{false, true} {
		p := NewPool(PoolConfig{Addr: closedAddr(t), PoolLimits: PoolLimits{MaxConns: 1, ConnectTimeout: time.Second, Wait: 300 * time.Millisecond}})
		p.mu.Lock()
		p.open = 1 // one connection out: the pool is full
		p.mu.Unlock()
		got := make(chan error, 1)
		go func() {
			_, err := p.Get(context.Background(), Flavor{}, nil)
			got <- err
		}()
		waitForWaiter(t, p)
		if raise {
			p.SetLimits(PoolLimits{MaxConns: 2, ConnectTimeout: time.Second, Wait: 300 * time.Millisecond})
		}
		err := <-got
		var se *ServerError
		if raise && !errors.As(err, &se) {
			t.Errorf("after raising max_conns: Get = %v, want it to dial (a ServerError: nothing listens)", err)
		}
		if !raise && (err == nil || errors.As(err, &se)) {
			t.Errorf("without a raise: Get = %v, want the pool_wait error", err)
		}
	}
}

// Pools.SetLimits reaches the pools there and the ones made later.
func TestPoolsSetLimitsReachesEveryPool(t *testing.T) {
	ps := NewPools(PoolConfig{PoolLimits: PoolLimits{MaxConns: 4, MaxIdle: 2}})
	before := ps.For("127.0.0.1:1")
	want := PoolLimits{MaxConns: 8, MaxIdle: 3, ConnectTimeout: time.Second, Wait: 2 * time.Second}
	ps.SetLimits(want)
	after := ps.For("127.0.0.1:2")
	for _, p := range []*Pool{before, after} {
		if got := p.Limits(); got != want {
			t.Errorf("%s: limits %+v, want %+v", p.Addr(), got, want)
		}
	}
}

func waitForWaiter(t *testing.T, p *Pool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		p.mu.Lock()
		n := p.waiters
		p.mu.Unlock()
		if n > 0 {
			return
		}
	}
	t.Fatal("Get never waited")
}

// A reload that changes backend.user/.password retires the connections of
// the old account: idle ones close at once, one in use closes when it
// comes back, so the old account can be dropped on the servers; the
// connections of a user's own server account (users[].backend) stay.
func TestSetLoginRetiresTheOldAccountsConnections(t *testing.T) {
	p := NewPool(PoolConfig{Addr: closedAddr(t), User: "strata", Password: "old", PoolLimits: PoolLimits{MaxConns: 8, Wait: time.Second}})
	// closed reports whether Strata closed the connection whose server
	// end is peer.
	closed := func(peer net.Conn) bool {
		_ = peer.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, err := peer.Read(make([]byte, 1))
		return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe)
	}
	conn := func(account string) (*Conn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return &Conn{Conn: wire.NewConn(a), Flavor: Flavor{Account: account}, pool: p}, b
	}
	idleDefault, idleDefaultPeer := conn("")
	idleOwn, idleOwnPeer := conn("reporting")
	outDefault, outDefaultPeer := conn("")
	p.mu.Lock()
	p.open = 3 // the three connections above
	p.mu.Unlock()
	p.Put(idleDefault)
	p.Put(idleOwn)

	p.SetLogin("strata2", "new")
	st := p.Stats()
	if st.Open != 2 || st.Idle != 1 {
		t.Fatalf("after SetLogin: open %d, idle %d; want 2 open (one idle of the user's own account, one out), 1 idle", st.Open, st.Idle)
	}
	p.Put(outDefault)
	if st := p.Stats(); st.Open != 1 || st.Idle != 1 {
		t.Fatalf("after the old account's connection came back: open %d, idle %d; want it closed (1, 1)", st.Open, st.Idle)
	}
	if a, b, c := closed(idleDefaultPeer), closed(outDefaultPeer), closed(idleOwnPeer); !a || !b || c {
		t.Errorf("closed: old idle %v, old in use %v, own account %v; want true, true, false", a, b, c)
	}
	if u, pw, _ := p.login(); u != "strata2" || pw != "new" {
		t.Errorf("login after SetLogin = %s/%s", u, pw)
	}
}
