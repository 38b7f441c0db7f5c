package deadlock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Sessions is what the detector needs of Strata's sessions.
type Sessions interface {
	// Threads lists the server connections the open sessions hold
	// between statements or run a statement on now.
	Threads() []SessionThread
	// Interrupt stops statement query (the server's query id) of
	// victim's session on its connection (KILL QUERY ID), marked so that
	// it fails as a deadlock and the session rolls its whole transaction
	// back. A statement that has ended is not interrupted, and neither is
	// any later one.
	Interrupt(victim SessionThread, query uint64) error
}

// Detector looks for deadlocks across servers every Every and breaks
// each it finds.
type Detector struct {
	Sessions Sessions
	// Waits reads the lock waits of the server at addr
	// (information_schema.INNODB_LOCK_WAITS).
	Waits func(ctx context.Context, addr string) ([]Wait, error)
	// Broken is told of each deadlock broken (metrics); may be nil.
	Broken func(Cycle)
	// Checked is told how each check of Run that read the servers ended
	// (metrics); may be nil.
	Checked func(err error)
	Log     *slog.Logger

	// interrupted holds the victims of the last few seconds: a victim's
	// waits stay listed until its session has rolled back, and it is not
	// interrupted twice.
	interrupted map[SessionThread]time.Time
	// failing and warnedAt keep a failure that lasts (the backend account
	// lacks PROCESS, a server is down) from being logged every check.
	failing  string
	warnedAt time.Time
	// read: the last CheckOnce read some server's lock waits (none when no
	// session spanned servers), so its outcome says whether reading works.
	read bool

	every atomic.Int64 // the interval between checks (SetEvery)

	mu     sync.Mutex
	status Status // what Status reports but Every; guarded by mu
}

// Status is what the detector has done, for an operator (GET
// /api/deadlocks).
type Status struct {
	Every     time.Duration
	LastCheck time.Time // zero before the first
	// Failing is the error of the last check that read the servers (""
	// when it worked; checks while no session spans servers read none
	// and change nothing): while it fails, deadlocks across servers wait
	// out innodb_lock_wait_timeout.
	Failing string
	Broken  int           // deadlocks broken since Strata started
	Recent  []BrokenCycle // the last keptCycles, newest first
}

// BrokenCycle is a deadlock the detector broke.
type BrokenCycle struct {
	At           time.Time
	Sessions     []uint32 // Strata's session (connection) ids, in the cycle's order
	Servers      []string
	Victim       uint32 // the session whose statement got error 1213
	VictimServer string
}

// keptCycles is how many broken deadlocks Status lists.
const keptCycles = 50

// Status reports the detector's state; safe from any goroutine.
func (d *Detector) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.status
	st.Recent = slices.Clone(st.Recent)
	st.Every = d.interval()
	return st
}

// SetEvery sets the interval between checks, from the next one on (a
// reload that changes transactions.deadlock_check); safe from any
// goroutine.
func (d *Detector) SetEvery(every time.Duration) { d.every.Store(int64(every)) }

func (d *Detector) interval() time.Duration {
	if every := time.Duration(d.every.Load()); every > 0 {
		return every
	}
	return defaultEvery
}

// noteBroken records c, broken at at, for Status.
func (d *Detector) noteBroken(c Cycle, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.status.Broken++
	b := BrokenCycle{At: at, Sessions: c.Sessions, Servers: c.Servers(), Victim: c.Victim.Session, VictimServer: c.Victim.Addr}
	d.status.Recent = append([]BrokenCycle{b}, d.status.Recent[:min(len(d.status.Recent), keptCycles-1)]...)
}

// noteCheck records a check's end at at, for Status; err is its outcome
// when it read the servers (read).
func (d *Detector) noteCheck(read bool, err error, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.status.LastCheck = at
	if !read {
		return
	}
	d.status.Failing = ""
	if err != nil {
		d.status.Failing = err.Error()
	}
}

// confirmAfter is how long a deadlock found waits for the confirming
// read: longer than InnoDB's CACHE_MIN_IDLE_TIME (100 ms), the time its
// information_schema lock tables must go unread before they are read anew.
const confirmAfter = 150 * time.Millisecond

// failureRepeat is how often a failure that goes on is logged again.
const failureRepeat = 10 * time.Minute

// victimGrace is how long a victim is given to roll back before its waits
// count again.
const victimGrace = 5 * time.Second

// defaultEvery is the interval between checks until SetEvery sets one.
const defaultEvery = time.Second

// Run checks at the interval SetEvery gives (defaultEvery until then)
// until ctx ends.
func (d *Detector) Run(ctx context.Context) {
	for {
		wait := time.NewTimer(d.interval())
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
		_, _, err := d.CheckOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		d.noteCheck(d.read, err, time.Now())
		if d.read {
			d.noteOutcome(err, time.Now())
			if d.Checked != nil {
				d.Checked(err)
			}
		}
	}
}

// noteOutcome logs a check that failed when the failure is new or
// different from the last, then only every failureRepeat while it goes on,
// and once when checks work again: an operator sees the problem without a
// line per second in the log.
func (d *Detector) noteOutcome(err error, now time.Time) {
	if d.Log == nil {
		return
	}
	if err == nil {
		if d.failing != "" {
			d.Log.Info("looking for deadlocks across servers works again")
			d.failing = ""
		}
		return
	}
	msg := err.Error()
	if msg == d.failing && now.Sub(d.warnedAt) < failureRepeat {
		return
	}
	d.failing, d.warnedAt = msg, now
	d.Log.Warn("looking for deadlocks across servers failed; such deadlocks end only by innodb_lock_wait_timeout until it works (logged again in "+failureRepeat.String()+" if it goes on)", "err", err)
}

// CheckOnce reads the lock waits of the servers where sessions hold
// connections on several servers, and breaks a deadlock it finds there:
// it reads those servers again first (after confirmAfter), and interrupts
// the victim only if every wait of the cycle is still there and every
// connection of it still belongs to the same session, so that a wait that
// just ended, or a connection another session took meanwhile, interrupts
// nothing.
func (d *Detector) CheckOnce(ctx context.Context) (Cycle, bool, error) {
	d.read = false
	threads := d.Sessions.Threads()
	addrs := spanningServers(threads)
	if len(addrs) < 2 {
		return Cycle{}, false, nil
	}
	waits, err := d.readWaits(ctx, addrs)
	cycle, found := Find(threads, waits)
	if !found || d.recentlyInterrupted(cycle.Victim) {
		return Cycle{}, false, err
	}
	// InnoDB refreshes the lock tables it shows information_schema only
	// once nobody has read them for 100 ms: a confirming read sooner
	// would be answered from the snapshot just read.
	select {
	case <-ctx.Done():
		return Cycle{}, false, ctx.Err()
	case <-time.After(confirmAfter):
	}
	again, err := d.readWaits(ctx, cycle.Servers())
	if err != nil {
		return Cycle{}, false, err
	}
	for _, w := range cycle.Waits {
		if !slices.ContainsFunc(again, w.same) {
			return Cycle{}, false, nil // it ended by itself
		}
	}
	if !cycle.HeldBy(d.Sessions.Threads()) {
		return Cycle{}, false, nil // a connection changed hands: look again next time
	}
	d.interrupted[cycle.Victim] = time.Now()
	if err := d.Sessions.Interrupt(cycle.Victim, cycle.VictimWait.Query); err != nil {
		return cycle, false, fmt.Errorf("interrupting session %d on %s to end a deadlock: %w", cycle.Victim.Session, cycle.Victim.Addr, err)
	}
	if d.Log != nil {
		d.Log.Warn("ended a deadlock across servers: the victim's transaction is rolled back and its client gets error 1213",
			"sessions", cycle.Sessions, "servers", cycle.Servers(), "victim", cycle.Victim.Session, "victim_server", cycle.Victim.Addr)
	}
	d.noteBroken(cycle, time.Now())
	if d.Broken != nil {
		d.Broken(cycle)
	}
	return cycle, true, nil
}

// recentlyInterrupted reports whether v was interrupted within
// victimGrace, and forgets older victims.
func (d *Detector) recentlyInterrupted(v SessionThread) bool {
	if d.interrupted == nil {
		d.interrupted = map[SessionThread]time.Time{}
	}
	for old, at := range d.interrupted {
		if time.Since(at) > victimGrace {
			delete(d.interrupted, old)
		}
	}
	_, recent := d.interrupted[v]
	return recent
}

// readWaits reads the lock waits of every server in addrs; a server that
// cannot be read is left out, and its error returned with the rest.
func (d *Detector) readWaits(ctx context.Context, addrs []string) ([]Wait, error) {
	d.read = true
	var all []Wait
	var errs []error
	for _, addr := range addrs {
		w, err := d.Waits(ctx, addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading the lock waits of %s: %w", addr, err))
			continue
		}
		all = append(all, w...)
	}
	return all, errors.Join(errs...)
}

// spanningServers lists, sorted, the servers of the sessions in a
// transaction that hold connections on more than one server: only waits
// there can be part of a deadlock across servers that Strata may break.
func spanningServers(threads []SessionThread) []string {
	bySession := map[uint32][]string{}
	for _, t := range threads {
		if t.InTransaction && !slices.Contains(bySession[t.Session], t.Addr) {
			bySession[t.Session] = append(bySession[t.Session], t.Addr)
		}
	}
	var out []string
	for _, addrs := range bySession {
		if len(addrs) < 2 {
			continue
		}
		for _, a := range addrs {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}
