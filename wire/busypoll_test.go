package wire

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// The back-off tests' timing: a quick answer comes well inside the budget
// and a slow one far past it, with wide margins, so a machine busy with
// other tests does not turn one into the other. They do not run in
// parallel: a poll holds its goroutine's P, and the peers here are
// goroutines of the same process that need one to answer.
const (
	budget      = 30 * time.Millisecond
	quickAnswer = time.Millisecond
	slowAnswer  = 100 * time.Millisecond
)

// A wait is only counted when a read finds nothing there yet: on a busy
// machine the test's goroutine can be descheduled past a quick answer,
// whose read then finds the bytes and neither polls nor touches any
// record. counted repeats such a step until the poll counted a wait, so
// the counts the tests expect do not depend on the host's scheduler.
func counted(t *testing.T, poll *BusyPoll, step func()) {
	t.Helper()
	before := poll.Stats()
	for range 20 {
		step()
		if poll.Stats() != before {
			return
		}
	}
	t.Fatalf("20 requests in a row found their answer there before the wait: the host is too busy for this test")
}

// pollingPair is a busy-polling connection c to a peer that answers each
// request after the delay the test asks for (answerAfter).
type pollingPair struct {
	t       *testing.T
	c       *Conn
	peer    net.Conn
	answers chan time.Duration
	poll    *BusyPoll
}

func newPollingPair(t *testing.T, budget time.Duration) *pollingPair {
	a, b := tcpPair(t)
	answers := make(chan time.Duration)
	t.Cleanup(func() { close(answers) })
	go answerAfter(b, answers)
	c := NewConn(a)
	poll := NewBusyPoll(budget)
	c.SetBusyPoll(poll)
	return &pollingPair{t: t, c: c, peer: b, answers: answers, poll: poll}
}

// pingPong makes one request of statement shape h (nil: none) and reads the
// peer's answer, sent delay after the request came, repeating until the
// wait for it was counted.
func (p *pollingPair) pingPong(h *ReplyPoll, delay time.Duration) {
	p.t.Helper()
	counted(p.t, p.poll, func() { p.pingPongOnce(h, delay) })
}

func (p *pollingPair) pingPongOnce(h *ReplyPoll, delay time.Duration) {
	p.t.Helper()
	p.answers <- delay
	p.c.Seq = 0
	if err := p.c.WritePacket([]byte("ping")); err != nil {
		p.t.Fatal(err)
	}
	if err := p.c.FlushAwaitReplyFor(h); err != nil {
		p.t.Fatal(err)
	}
	if pkt, err := p.c.ReadPacket(); err != nil || string(pkt) != "pong" {
		p.t.Fatalf("answer %q, %v; want pong", pkt, err)
	}
}

// answerAfter is the peer of pingPong: for each request it answers pong
// after the delay it reads from delays.
func answerAfter(b net.Conn, delays <-chan time.Duration) {
	peer := NewConn(b)
	for d := range delays {
		if _, err := peer.ReadPacket(); err != nil {
			return
		}
		time.Sleep(d)
		if err := peer.WriteFlush([]byte("pong")); err != nil {
			return
		}
	}
}

// A peer that answers within the budget is seen by the poll: the wait ends
// without the goroutine sleeping, and the counts say so.
func TestBusyPollSeesAQuickAnswer(t *testing.T) {
	p := newPollingPair(t, time.Second)
	c, poll := p.c, p.poll

	p.pingPong(nil, 2*time.Millisecond)
	if got := poll.StatsFor(WaitAnswer); got != (BusyPollStats{Data: 1}) {
		t.Fatalf("after a request answered in 2ms with a 1s budget: answer waits %+v, want one ended by data", got)
	}

	// The plain read side polls too (a client's next statement). The peer
	// writes raw bytes here, so answerAfter must not be waiting to read.
	counted(t, poll, func() {
		go func() {
			time.Sleep(2 * time.Millisecond)
			p.peer.Write([]byte{4, 0, 0, 0, 'n', 'e', 'x', 't'})
		}()
		if pkt, err := c.ReadPacket(); err != nil || string(pkt) != "next" {
			t.Fatalf("read %q, %v", pkt, err)
		}
	})
	if got := poll.StatsFor(WaitRead); got != (BusyPollStats{Data: 1}) {
		t.Fatalf("after a packet that came 2ms into a read: read waits %+v, want one ended by data", got)
	}
	if got := poll.Stats(); got != (BusyPollStats{Data: 2}) {
		t.Fatalf("in all: %+v, want two waits ended by data", got)
	}
}

// A socket whose polls keep running out stops polling for a while, so an
// idle client costs no CPU, then tries again.
func TestBusyPollBacksOffFromASlowPeer(t *testing.T) {
	p := newPollingPair(t, budget)
	poll := p.poll

	for range missesBeforeSkip {
		p.pingPong(nil, slowAnswer)
	}
	if got := poll.Stats(); got != (BusyPollStats{Timeout: missesBeforeSkip}) {
		t.Fatalf("after %d answers slower than the budget: %+v, want %d timeouts", missesBeforeSkip, got, missesBeforeSkip)
	}
	// Now it sleeps at once, even if the peer became quick again...
	for range skipWaits {
		p.pingPong(nil, quickAnswer)
	}
	if got := poll.Stats(); got != (BusyPollStats{Timeout: missesBeforeSkip, Skipped: skipWaits}) {
		t.Fatalf("after %d more answers: %+v, want them all slept through", skipWaits, got)
	}
	// ...until it has skipped enough waits to look again.
	p.pingPong(nil, quickAnswer)
	if got := poll.Stats(); got != (BusyPollStats{Timeout: missesBeforeSkip, Skipped: skipWaits, Data: 1}) {
		t.Fatalf("after the back-off: %+v, want the next quick answer seen by the poll", got)
	}
}

// A statement shape whose answers keep coming late stops polling for them,
// whichever connection runs it; another shape on the same connection keeps
// polling.
func TestBusyPollFollowsTheStatementShape(t *testing.T) {
	p := newPollingPair(t, budget)
	poll := p.poll
	var scan, lookup ReplyPoll
	for range replyMissesToSkip {
		p.pingPong(&scan, slowAnswer)
		p.pingPong(&lookup, quickAnswer) // interleaved: the socket's own record stays clean
	}
	if got := poll.StatsFor(WaitAnswer); got != (BusyPollStats{Timeout: replyMissesToSkip, Data: replyMissesToSkip}) {
		t.Fatalf("after %d slow scans and quick lookups: %+v", replyMissesToSkip, got)
	}
	p.pingPong(&scan, quickAnswer)
	p.pingPong(&lookup, quickAnswer)
	if got := poll.StatsFor(WaitAnswer); got != (BusyPollStats{Timeout: replyMissesToSkip, Data: replyMissesToSkip + 1, Skipped: 1}) {
		t.Fatalf("then a scan and a lookup: %+v, want the scan slept through and the lookup polled", got)
	}
}

// A budget of zero turns polling off, for connections made before and after.
func TestBusyPollOff(t *testing.T) {
	p := newPollingPair(t, time.Second)
	poll := p.poll
	poll.SetBudget(0)
	p.pingPongOnce(nil, 2*time.Millisecond)
	if got := poll.Stats(); got != (BusyPollStats{}) {
		t.Fatalf("with busy polling off: %+v, want no polls", got)
	}
	if poll.SetBudget(-time.Second); poll.Budget() != 0 {
		t.Fatalf("a negative budget is %s, want 0 (off)", poll.Budget())
	}
}

// A TLS connection's reads go through crypto/tls: SetBusyPoll leaves it alone.
func TestBusyPollOnlyOnRawSockets(t *testing.T) {
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	c := NewConn(p1)
	c.SetBusyPoll(NewBusyPoll(time.Second)) // must not panic on a non-socket
	go p2.Write([]byte{2, 0, 0, 0, 'o', 'k'})
	if p, err := c.ReadPacket(); err != nil || string(p) != "ok" {
		t.Fatalf("read %q, %v", p, err)
	}
}

// The wait for a client's next statement follows the shape of the statement
// just answered: after a big answer the client takes longer, and those
// waits stop polling while the ones after small answers keep on.
func TestBusyPollNextWaitFollowsTheShapeAnswered(t *testing.T) {
	// A quick answer's writer descheduled past the poll budget on a
	// loaded host makes one wait time out: the scenario runs again, and
	// only a result that differs every time fails.
	var miss string
	for range 3 {
		if miss = nextWaitScenario(t); miss == "" {
			return
		}
	}
	t.Fatal(miss)
}

// nextWaitScenario runs slow and quick answers after two statement
// shapes, then one quick answer after each; it returns what differed from
// the counts wanted ("" when nothing did).
func nextWaitScenario(t *testing.T) string {
	a, b := tcpPair(t)
	c := NewConn(a)
	poll := NewBusyPoll(budget)
	c.SetBusyPoll(poll)
	var big, small ReplyPoll
	next := func(after *ReplyPoll, delay time.Duration) {
		t.Helper()
		counted(t, poll, func() {
			c.AwaitNextAfter(after)
			go func() {
				time.Sleep(delay)
				b.Write([]byte{4, 0, 0, 0, 'n', 'e', 'x', 't'})
			}()
			if p, err := c.ReadPacket(); err != nil || string(p) != "next" {
				t.Fatalf("read %q, %v", p, err)
			}
		})
	}
	for range replyMissesToSkip {
		next(&big, slowAnswer)
		next(&small, quickAnswer) // interleaved: the socket's own record stays clean
	}
	if got := poll.Stats(); got != (BusyPollStats{Timeout: replyMissesToSkip, Data: replyMissesToSkip}) {
		return fmt.Sprintf("after %d slow and quick next statements: %+v", replyMissesToSkip, got)
	}
	next(&big, quickAnswer)
	next(&small, quickAnswer)
	next(nil, quickAnswer) // no shape: the socket's record alone
	if got := poll.StatsFor(WaitNext); got != (BusyPollStats{Timeout: replyMissesToSkip, Data: replyMissesToSkip + 1, Skipped: 1}) {
		return fmt.Sprintf("then one after each shape: next-statement waits %+v, want the one after the big answer slept through", got)
	}
	if got := poll.StatsFor(WaitRead); got != (BusyPollStats{Data: 1}) {
		return fmt.Sprintf("then one after no shape: plain read waits %+v, want one ended by data", got)
	}
	return ""
}

// A wait whose peer stays silent polls a few times per maxPollGap, not
// back to back: each poll is two system calls, dear on a VM, and a wait
// that runs out must not have spent its whole budget making them.
func TestBusyPollSpacesItsPolls(t *testing.T) {
	const waitBudget = time.Millisecond
	p := NewBusyPoll(waitBudget)
	polls := 0
	start := time.Now()
	if p.poll(waitBudget, func() bool { polls++; return false }) {
		t.Fatal("a poll that never saw data reported data")
	}
	if took := time.Since(start); took < waitBudget {
		t.Fatalf("the wait gave up after %s, before its %s budget", took, waitBudget)
	}
	// 1+2+4+8 µs, then one poll every 16 µs: 5 + 985/16 ≈ 67 polls.
	if limit := int(waitBudget/maxPollGap) + 6; polls > limit {
		t.Fatalf("a silent peer was polled %d times in %s, want at most %d", polls, waitBudget, limit)
	}

	// A peer that answers is still seen by the poll, not after the budget.
	polls = 0
	if !p.poll(time.Second, func() bool { polls++; return polls == 3 }) {
		t.Fatal("a poll that saw data on its third try reported none")
	}
}
