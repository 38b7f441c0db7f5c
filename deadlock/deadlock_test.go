package deadlock

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)

// th is a connection of session on addr, in a transaction.
func th(session uint32, addr string, id uint32) SessionThread {
	return SessionThread{Thread: Thread{Addr: addr, ID: id}, Session: session, InTransaction: true}
}

func TestFind(t *testing.T) {
	// Sessions 1 and 2 hold connections on s1 and s2; 3 only on s1; 4 is
	// in no transaction; 6, 7 and 8 on s1 and s2.
	threads := []SessionThread{
		th(1, "s1", 11), th(1, "s2", 12),
		th(2, "s1", 21), th(2, "s2", 22),
		th(3, "s1", 31),
		{Thread: Thread{"s1", 41}, Session: 4}, {Thread: Thread{"s2", 42}, Session: 4},
		// 7's connection on s2 is listed by 8 too: 7 gave it back and 8
		// took it before 7's list was updated.
		th(8, "s2", 72), th(8, "s1", 81), th(6, "s1", 61), th(6, "s2", 62), th(7, "s1", 71), th(7, "s2", 72),
	}
	tests := []struct {
		name     string
		waits    []Wait
		found    bool
		sessions []uint32
		victim   Thread
	}{
		{"no waits", nil, false, nil, Thread{}},
		{"one wait", []Wait{{"s1", 11, 21, t0, 7, 0, 0}}, false, nil, Thread{}},
		{"a cycle across two servers; the later wait's waiter is the victim",
			[]Wait{{"s1", 11, 21, t0, 7, 0, 0}, {"s2", 22, 12, t0.Add(time.Second), 7, 0, 0}}, true, []uint32{1, 2}, Thread{"s2", 22}},
		{"the same, the other wait later",
			[]Wait{{"s1", 11, 21, t0.Add(time.Second), 7, 0, 0}, {"s2", 22, 12, t0, 7, 0, 0}}, true, []uint32{1, 2}, Thread{"s1", 11}},
		{"the transaction that weighs least is the victim, though its wait came first",
			[]Wait{{"s1", 11, 21, t0, 7, 1, 50}, {"s2", 22, 12, t0.Add(time.Second), 7, 50, 1}}, true, []uint32{1, 2}, Thread{"s1", 11}},
		{"a tie picks the younger session",
			[]Wait{{"s1", 11, 21, t0, 7, 0, 0}, {"s2", 22, 12, t0, 7, 0, 0}}, true, []uint32{1, 2}, Thread{"s2", 22}},
		{"a cycle on one server is InnoDB's to break",
			[]Wait{{"s1", 11, 31, t0, 7, 0, 0}, {"s1", 31, 11, t0, 7, 0, 0}}, false, nil, Thread{}},
		{"waits on threads of no session are left out",
			[]Wait{{"s1", 11, 99, t0, 7, 0, 0}, {"s2", 99, 12, t0, 7, 0, 0}}, false, nil, Thread{}},
		{"three sessions, through one on a single server",
			[]Wait{{"s1", 11, 31, t0, 7, 0, 0}, {"s1", 31, 21, t0, 7, 0, 0}, {"s2", 22, 12, t0.Add(time.Second), 7, 0, 0}}, true, []uint32{1, 3, 2}, Thread{"s2", 22}},
		{"a connection two sessions list (passing from one to the other) is no one's",
			[]Wait{{"s1", 61, 71, t0, 7, 0, 0}, {"s2", 72, 62, t0.Add(time.Second), 7, 0, 0}}, false, nil, Thread{}},
		{"a session in no transaction is never the victim",
			[]Wait{{"s1", 41, 11, t0.Add(time.Second), 7, 0, 0}, {"s2", 12, 42, t0, 7, 0, 0}}, true, []uint32{1, 4}, Thread{"s2", 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := Find(threads, tt.waits)
			if ok != tt.found {
				t.Fatalf("found = %v, want %v (%+v)", ok, tt.found, c)
			}
			if !ok {
				return
			}
			if !sameCycle(c.Sessions, tt.sessions) {
				t.Errorf("sessions %v, want the cycle %v", c.Sessions, tt.sessions)
			}
			if c.Victim.Thread != tt.victim {
				t.Errorf("victim %+v, want %+v", c.Victim.Thread, tt.victim)
			}
			if got := c.Servers(); len(got) < 2 {
				t.Errorf("servers %v: a cycle across servers spans two", got)
			}
		})
	}
}

// sameCycle reports whether a and b are one cycle, from any start.
func sameCycle(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for shift := range a {
		if slices.Equal(append(slices.Clone(a[shift:]), a[:shift]...), b) {
			return true
		}
	}
	return false
}

// fakeSessions and a fixed list of waits per server stand in for Strata's
// sessions and the servers.
type fakeSessions struct {
	mu          sync.Mutex // for a Run in another goroutine
	threads     []SessionThread
	interrupted []SessionThread
}

func (f *fakeSessions) Threads() []SessionThread {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.threads)
}

func (f *fakeSessions) setThreads(threads []SessionThread) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.threads = threads
}
func (f *fakeSessions) Interrupt(v SessionThread, _ uint64) error {
	f.interrupted = append(f.interrupted, v)
	return nil
}

func TestCheckOnceBreaksOnlyAWaitStillThere(t *testing.T) {
	sessions := &fakeSessions{threads: []SessionThread{th(1, "s1", 11), th(1, "s2", 12), th(2, "s1", 21), th(2, "s2", 22)}}
	cycle := map[string][]Wait{"s1": {{"s1", 11, 21, t0, 7, 0, 0}}, "s2": {{"s2", 22, 12, t0, 7, 0, 0}}}
	reads := 0
	var readAt []time.Time
	d := &Detector{Sessions: sessions, Waits: func(_ context.Context, addr string) ([]Wait, error) {
		reads++
		readAt = append(readAt, time.Now())
		return cycle[addr], nil
	}}
	if _, broke, err := d.CheckOnce(context.Background()); !broke || err != nil {
		t.Fatalf("a standing deadlock: broke %v, %v", broke, err)
	}
	// InnoDB answers a read within 100 ms of the last from the same
	// snapshot: the confirmation must come later to see anything new.
	if gap := readAt[2].Sub(readAt[1]); gap < 100*time.Millisecond {
		t.Errorf("confirmed %s after the first read, want over 100 ms (InnoDB's lock tables would not have been refreshed)", gap)
	}
	if len(sessions.interrupted) != 1 || sessions.interrupted[0].Thread != (Thread{"s2", 22}) {
		t.Fatalf("interrupted %+v, want session 2 on s2", sessions.interrupted)
	}
	if reads != 4 {
		t.Errorf("read the servers %d times, want twice each (the check, then the confirmation)", reads)
	}
	st := d.Status()
	if st.Broken != 1 || len(st.Recent) != 1 || st.Recent[0].Victim != 2 || st.Recent[0].VictimServer != "s2" ||
		!slices.Equal(st.Recent[0].Servers, []string{"s1", "s2"}) || !sameCycle(st.Recent[0].Sessions, []uint32{1, 2}) {
		t.Errorf("status after breaking it: %+v, want 1 broken, victim session 2 on s2, sessions 1 and 2 on s1 and s2", st)
	}

	// The victim's waits are still listed until its session has rolled
	// back: it is not interrupted again.
	sessions.interrupted = nil
	if _, broke, _ := d.CheckOnce(context.Background()); broke || len(sessions.interrupted) > 0 {
		t.Fatalf("a victim being rolled back: broke %v, interrupted %+v again", broke, sessions.interrupted)
	}
	d.interrupted = nil

	// The wait on s2 ends between the two reads: nothing is interrupted.
	sessions.interrupted, reads = nil, 0
	d.Waits = func(_ context.Context, addr string) ([]Wait, error) {
		reads++
		if reads > 2 && addr == "s2" {
			return nil, nil
		}
		return cycle[addr], nil
	}
	if _, broke, _ := d.CheckOnce(context.Background()); broke || len(sessions.interrupted) > 0 {
		t.Fatalf("a deadlock gone by the confirmation: broke %v, interrupted %+v", broke, sessions.interrupted)
	}

	// A connection of the cycle passes to another session between the
	// reads: nothing is interrupted.
	sessions.interrupted, reads = nil, 0
	d.Waits = func(_ context.Context, addr string) ([]Wait, error) {
		reads++
		if reads == 2 {
			sessions.threads = []SessionThread{th(1, "s1", 11), th(1, "s2", 12), th(2, "s1", 21), th(3, "s2", 22)}
		}
		return cycle[addr], nil
	}
	if _, broke, _ := d.CheckOnce(context.Background()); broke || len(sessions.interrupted) > 0 {
		t.Fatalf("session 2's connection on s2 went to session 3: broke %v, interrupted %+v", broke, sessions.interrupted)
	}

	// No session spans two servers: no server is read at all.
	sessions.threads, reads = []SessionThread{th(1, "s1", 11), th(2, "s2", 22)}, 0
	if _, broke, _ := d.CheckOnce(context.Background()); broke || reads != 0 {
		t.Fatalf("sessions on one server each: broke %v after %d reads, want no read", broke, reads)
	}
}

func TestFailedChecksAreLoggedWhenTheyStartChangeAndEnd(t *testing.T) {
	var logged bytes.Buffer
	d := &Detector{Log: slog.New(slog.NewTextHandler(&logged, nil))}
	noPrivilege := errors.New("reading the lock waits of s1: Error 1227: Access denied; you need (at least one of) the PROCESS privilege(s)")
	steps := []struct {
		err  error
		at   time.Duration
		want string // the line logged, by a word of it; "" for none
	}{
		{nil, 0, ""},
		{noPrivilege, time.Second, "level=WARN"},
		{noPrivilege, 2 * time.Second, ""},
		{noPrivilege, 9 * time.Minute, ""},
		{errors.New("reading the lock waits of s2: connection refused"), 9*time.Minute + time.Second, "connection refused"},
		{noPrivilege, 9*time.Minute + 2*time.Second, "PROCESS"},
		{noPrivilege, 19*time.Minute + time.Second, ""},
		{noPrivilege, 19*time.Minute + 3*time.Second, "PROCESS"},
		{nil, 20 * time.Minute, "works again"},
		{nil, 21 * time.Minute, ""},
	}
	for i, st := range steps {
		logged.Reset()
		d.noteOutcome(st.err, t0.Add(st.at))
		lines := strings.Count(logged.String(), "\n")
		switch {
		case st.want == "" && lines > 0:
			t.Errorf("step %d (%v at %v): logged %q, want nothing", i, st.err, st.at, logged.String())
		case st.want != "" && (lines != 1 || !strings.Contains(logged.String(), st.want)):
			t.Errorf("step %d (%v at %v): logged %q, want one line with %q", i, st.err, st.at, logged.String(), st.want)
		}
	}
}

func TestStatusKeepsTheLatestDeadlocksAndTheLastCheck(t *testing.T) {
	d := &Detector{}
	for i := range keptCycles + 10 {
		c := Cycle{Sessions: []uint32{uint32(i), 1000}, Waits: []Wait{{"s1", 1, 2, t0, 7, 0, 0}, {"s2", 3, 4, t0, 7, 0, 0}}, Victim: th(uint32(i), "s2", 3)}
		d.noteBroken(c, t0.Add(time.Duration(i)*time.Second))
	}
	st := d.Status()
	if st.Broken != keptCycles+10 || len(st.Recent) != keptCycles {
		t.Fatalf("broke %d (listed %d), want %d, listing the last %d", st.Broken, len(st.Recent), keptCycles+10, keptCycles)
	}
	if st.Recent[0].Victim != keptCycles+9 || st.Recent[keptCycles-1].Victim != 10 {
		t.Errorf("listed victims %d … %d, want the newest first: %d … 10", st.Recent[0].Victim, st.Recent[keptCycles-1].Victim, keptCycles+9)
	}
	d.noteCheck(true, errors.New("reading the lock waits of s1: access denied"), t0)
	if st := d.Status(); st.Failing == "" || !st.LastCheck.Equal(t0) {
		t.Errorf("after a failed check: %+v, want it failing", st)
	}
	d.noteCheck(false, nil, t0.Add(time.Second))
	if st := d.Status(); st.Failing == "" || !st.LastCheck.Equal(t0.Add(time.Second)) {
		t.Errorf("after a check that read no server (no session spanned servers): %+v, want it still failing, checked at the new time", st)
	}
	d.noteCheck(true, nil, t0.Add(2*time.Second))
	if st := d.Status(); st.Failing != "" {
		t.Errorf("after a check that worked: still failing %q", st.Failing)
	}
}

// A session's weight is its connections' on the cycle's servers, each
// once: one that holds the lock of one wait and waits in the next counts
// once.
func TestCycleWeights(t *testing.T) {
	c := Cycle{
		Sessions: []uint32{1, 2, 3},
		Waits: []Wait{
			{"s1", 11, 21, t0, 7, 5, 40}, // 1 waits for 2 on s1
			{"s1", 21, 31, t0, 8, 40, 3}, // 2, on the same connection, waits for 3
			{"s2", 32, 12, t0, 9, 4, 6},  // 3 waits for 1 on s2
		},
	}
	want := map[uint32]uint64{1: 5 + 6, 2: 40, 3: 3 + 4}
	if got := c.weights(); !maps.Equal(got, want) {
		t.Errorf("weights %v, want %v", got, want)
	}
}

// A check that reads no server (no session spans servers) says nothing of
// whether reading works: a failure stays reported (GET /api/deadlocks,
// the metric, the log) until a check that reads the servers works.
func TestRunReportsOnlyChecksThatReadTheServers(t *testing.T) {
	spanning := []SessionThread{th(1, "s1", 11), th(1, "s2", 12)}
	sessions := &fakeSessions{threads: spanning}
	var mu sync.Mutex
	var outcomes []error
	failing := true
	d := &Detector{
		Sessions: sessions,
		Waits: func(context.Context, string) ([]Wait, error) {
			mu.Lock()
			defer mu.Unlock()
			if failing {
				return nil, errors.New("Error 1227: you need the PROCESS privilege")
			}
			return nil, nil
		},
		Checked: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			outcomes = append(outcomes, err)
		},
	}
	d.SetEvery(5 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	await := func(what string, cond func(Status) bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(d.Status()); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: %+v", what, d.Status())
			}
		}
	}
	checked := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(outcomes)
	}

	await("a failed check", func(st Status) bool { return strings.Contains(st.Failing, "PROCESS") })
	sessions.setThreads([]SessionThread{th(1, "s1", 11)})
	time.Sleep(20 * time.Millisecond) // a check that read may still end
	reported, since := checked(), d.Status().LastCheck
	await("five checks that read nothing", func(st Status) bool { return st.LastCheck.Sub(since) >= 25*time.Millisecond })
	if st := d.Status(); !strings.Contains(st.Failing, "PROCESS") || checked() != reported {
		t.Fatalf("after checks that read no server: failing %q, %d outcomes reported (was %d); want the failure kept and none reported", st.Failing, checked(), reported)
	}

	mu.Lock()
	failing = false
	mu.Unlock()
	sessions.setThreads(spanning)
	// Status and then Checked learn of it.
	await("a check that works, reported", func(st Status) bool {
		mu.Lock()
		defer mu.Unlock()
		return st.Failing == "" && outcomes[len(outcomes)-1] == nil
	})
}
