package wire

import (
	"sync/atomic"
	"syscall"
	"time"
)

// BusyPoll makes a connection that waits for its peer poll the socket for a
// short while before its goroutine sleeps in the runtime's poller (config
// key busy_poll). One BusyPoll serves every connection of a Strata process,
// client and server sides alike.
//
// Why: a relayed statement is four socket hops, and at each a sleeping task
// must be woken. On a small host where clients, servers and Strata share the
// CPUs, those wake-ups mostly land on the other CPU (a reschedule interrupt,
// which on a virtual machine costs an exit to the hypervisor on both
// sides). A Strata thread that polls while the server works, and while the
// client reads the answer and sends its next statement, needs no wake-up:
// the bytes are there when it next looks. Between polls the thread yields
// its CPU (sched_yield), so a client or server thread on the same CPU runs
// at once. docs/performance.md has the measurements.
//
// Polling where the peer is slow only burns CPU, so it backs off. A wait
// for a server's answer follows its statement shape's record (ReplyPoll):
// a range scan that never answers inside the budget stops polling, a point
// select keeps on. Any other wait (a client's next statement, the rest of
// a result) follows its socket's: after missesBeforeSkip polls in a row
// ran out (an idle client), the socket sleeps at once for its next
// skipWaits waits, then polls once to see whether its peer got quick again.
type BusyPoll struct {
	budget atomic.Int64 // how long one wait polls, in nanoseconds; 0 = off

	counts [waitKinds]waitCounts
}

// WaitKind is what a connection waits for when it polls. The kinds are
// counted apart because they pay apart: a server's answer comes quickly
// for a lookup and late for a report, a client's next statement depends on
// the client, and an operator who sees polls run out wants to know whose
// side is slow.
type WaitKind uint8

const (
	// WaitAnswer is a server's answer to a request Strata just sent.
	WaitAnswer WaitKind = iota
	// WaitNext is a client's next statement, right after Strata answered
	// its last one.
	WaitNext
	// WaitRead is any other read: the rest of a result from a server, a
	// client's next command after anything but a statement.
	WaitRead
	waitKinds
)

// WaitKinds lists every kind, in the order of their values.
var WaitKinds = [...]WaitKind{WaitAnswer, WaitNext, WaitRead}

var waitNames = [waitKinds]string{WaitAnswer: "answer", WaitNext: "next", WaitRead: "read"}

// String is the kind's name, as the metrics label it.
func (k WaitKind) String() string {
	if k < waitKinds {
		return waitNames[k]
	}
	return "unknown"
}

type waitCounts struct{ data, timeout, skipped atomic.Uint64 }

// A socket's back-off: after missesBeforeSkip polls in a row ran out, its
// next skipWaits waits sleep at once.
const (
	missesBeforeSkip = 16
	skipWaits        = 64
)

// NewBusyPoll returns a BusyPoll whose waits poll for d (0: never).
func NewBusyPoll(d time.Duration) *BusyPoll {
	p := &BusyPoll{}
	p.SetBudget(d)
	return p
}

// SetBudget changes how long each wait polls, for every connection at once
// (a config reload, a change of threads).
func (p *BusyPoll) SetBudget(d time.Duration) { p.budget.Store(int64(max(d, 0))) }

// Budget is how long each wait polls now.
func (p *BusyPoll) Budget() time.Duration { return time.Duration(p.budget.Load()) }

// BusyPollStats counts how waits for a peer ended.
type BusyPollStats struct {
	// Data: the peer's bytes came while polling (no sleep, no wake-up).
	Data uint64
	// Timeout: the budget ran out and the goroutine slept.
	Timeout uint64
	// Skipped: polls for this socket or statement shape kept running out,
	// so it slept at once.
	Skipped uint64
}

// Stats returns the counts of every kind of wait since the BusyPoll was
// made.
func (p *BusyPoll) Stats() BusyPollStats {
	var total BusyPollStats
	for _, k := range WaitKinds {
		st := p.StatsFor(k)
		total.Data += st.Data
		total.Timeout += st.Timeout
		total.Skipped += st.Skipped
	}
	return total
}

// StatsFor returns the counts of one kind of wait.
func (p *BusyPoll) StatsFor(k WaitKind) BusyPollStats {
	c := &p.counts[k]
	return BusyPollStats{Data: c.data.Load(), Timeout: c.timeout.Load(), Skipped: c.skipped.Load()}
}

// backoff is the record of one kind of wait: a socket's (its read side's
// alone) or a statement shape's (shared by sessions, hence atomics, which
// cost nothing to speak of uncontended).
type backoff struct {
	misses atomic.Int32 // polls in a row that ran out
	skip   atomic.Int32 // waits left that sleep without polling
}

// skipping reports whether this wait sleeps at once, and counts it.
func (b *backoff) skipping() bool {
	return b.skip.Load() > 0 && b.skip.Add(-1) >= 0
}

// record learns from a poll: after missesToSkip polls in a row ran out,
// the next skipWaits waits sleep at once. misses stays at missesToSkip
// until a poll sees data, so after the skipped waits a single poll that
// runs out skips again.
func (b *backoff) record(data bool, missesToSkip int32) {
	if data {
		if b.misses.Load() != 0 { // a shared record is not written on every hit
			b.misses.Store(0)
		}
		return
	}
	if b.misses.Add(1) >= missesToSkip {
		b.misses.Store(missesToSkip)
		b.skip.Store(skipWaits)
	}
}

// await polls until ready reports the socket readable or the budget is
// spent, and says which. It runs inside a RawConn callback, so the
// goroutine keeps its thread and P while it polls; the budget bounds that.
// It follows, and teaches, the socket's record st and the statement
// shape's rec; either may be nil, and either can make the wait sleep at
// once. kind only says which counters the wait's outcome goes to.
func (p *BusyPoll) await(kind WaitKind, st, rec *backoff, ready func() bool) bool {
	budget := time.Duration(p.budget.Load())
	if budget <= 0 {
		return false
	}
	counts := &p.counts[kind]
	if (st != nil && st.skipping()) || (rec != nil && rec.skipping()) {
		counts.skipped.Add(1)
		return false
	}
	data := p.poll(budget, ready)
	if st != nil {
		st.record(data, missesBeforeSkip)
	}
	if rec != nil {
		rec.record(data, replyMissesToSkip)
	}
	if data {
		counts.data.Add(1)
	} else {
		counts.timeout.Add(1)
	}
	return data
}

// The pause between two polls of one wait: firstPollGap after the first
// miss, doubling up to maxPollGap.
//
// Why: each poll is two system calls (a yield and a read), and on hosts
// where a system call is dear (a VM whose kernel traps to the hypervisor)
// polling back to back made 11-13 reads and writes per relayed statement
// where 4 carry data. Pausing in user space between polls cut that to
// about 7 and moved 1.15x the point selects with prepared statements
// (4 interleaved rounds), the same with text ones; the pause grows so a
// quick answer is still seen within a microsecond or two.
// docs/performance.md has the measurements.
const (
	firstPollGap = time.Microsecond
	maxPollGap   = 16 * time.Microsecond
)

// poll calls ready until it reports true (true) or budget has passed (false).
func (p *BusyPoll) poll(budget time.Duration, ready func() bool) bool {
	start := time.Now()
	gap := firstPollGap
	for {
		// Give the CPU to whatever else is runnable on it (often the very
		// client or server thread we wait for); returns at once if nothing is.
		syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
		if ready() {
			return true
		}
		now := time.Now()
		if now.Sub(start) >= budget {
			return false
		}
		pause(min(gap, budget-now.Sub(start)))
		gap = min(2*gap, maxPollGap)
	}
}

// pause spins for d without a system call: the clock is read through the
// vDSO.
func pause(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// ReplyPoll is what one statement shape (a digest) taught about polling,
// shared by every session that runs it. Whether a wait ends inside the
// budget depends on the statement far more than on the connection: a
// server answers a point select in time and a range scan or a report
// never; a client sends its next statement right after a small answer,
// but takes longer over a hundred rows. A poll that runs out costs the
// whole budget for nothing, and when such statements come between quick
// ones on one connection, its own record never sees enough misses in a
// row to back off. So the wait for a server's answer follows the shape's
// answer record, and the wait for the client's next statement its next
// record (along with the socket's): after replyMissesToSkip polls in a row
// ran out, the next skipWaits such waits sleep at once, then one poll
// looks again.
type ReplyPoll struct {
	answer, next backoff
}

// replyMissesToSkip is missesBeforeSkip for a statement shape: lower,
// because one shape's waits are alike (a socket's mix quick and slow
// statements), so fewer misses in a row already say the shape is slow.
const replyMissesToSkip = 8
