// Package deadlock finds and breaks deadlocks across servers: transactions
// of Strata's sessions that each wait, on one server, for a lock another
// of them holds on another server. No one server sees such a cycle, so
// InnoDB's own detector cannot break it, and the transactions would wait
// for innodb_lock_wait_timeout (50 s by default) while everything queued
// behind their locks waits too. Strata knows which session each server
// connection belongs to and can read every server's lock waits, so it sees
// the whole cycle; it interrupts one waiting statement, whose session then
// rolls its whole transaction back, as InnoDB does with its own victims.
package deadlock

import (
	"slices"
	"time"
)

// Thread is a connection on a server: the server's address and its id
// for the connection (CONNECTION_ID(), INNODB_TRX.trx_mysql_thread_id).
type Thread struct {
	Addr string
	ID   uint32
}

// SessionThread is a server connection of one of Strata's sessions.
type SessionThread struct {
	Thread
	Session uint32
	// InTransaction: the session has a transaction open (or runs a write
	// over several shards, in a transaction on each), so the locks it
	// holds stay until the transaction ends; only such a session, holding
	// connections on several servers, is chosen as a victim, since it
	// rolls its whole transaction back.
	InTransaction bool
}

// Wait is a lock wait on one server: thread Waiter waits for a lock that
// thread Holder holds, since Since, in its statement Query (the server's
// query id, which KILL QUERY ID takes: it stops that statement and no
// later one). WaiterWeight and HolderWeight are their transactions'
// weights there (INNODB_TRX.trx_weight: about the rows each changed and
// locked), what InnoDB weighs to pick its own victims.
type Wait struct {
	Addr                       string
	Waiter, Holder             uint32
	Since                      time.Time
	Query                      uint64
	WaiterWeight, HolderWeight uint64
}

// same reports whether w and o are one wait, whatever the weights read
// with each.
func (w Wait) same(o Wait) bool {
	return w.Addr == o.Addr && w.Waiter == o.Waiter && w.Holder == o.Holder && w.Since.Equal(o.Since) && w.Query == o.Query
}

// Cycle is a deadlock across servers: Waits[i] is a wait of Sessions[i]
// for Sessions[i+1] (the last for the first), on at least two servers.
// Victim is the waiting connection to interrupt, VictimWait its wait.
type Cycle struct {
	Sessions   []uint32
	Waits      []Wait
	Victim     SessionThread
	VictimWait Wait
}

// Servers lists the servers the cycle's waits are on, sorted.
func (c Cycle) Servers() []string {
	var out []string
	for _, w := range c.Waits {
		if !slices.Contains(out, w.Addr) {
			out = append(out, w.Addr)
		}
	}
	slices.Sort(out)
	return out
}

// edge is a wait between two sessions.
type edge struct {
	to   uint32
	wait Wait
}

// Find looks for a cycle of waits between sessions that spans servers.
// waits whose waiter or holder is no session's connection (another
// client of the server) are left out: Strata cannot end those. The
// victim is the waiter, among sessions with a transaction over several
// servers, whose transaction weighs least on the cycle's servers (the
// least work lost and redone, as InnoDB chooses); on a tie the one whose
// wait began last (the wait that closed the cycle), then the younger
// session. ok is false when there is none, or no session of it can be
// the victim.
func Find(threads []SessionThread, waits []Wait) (cycle Cycle, ok bool) {
	owner := owners(threads)
	servers := map[uint32]map[string]bool{}
	for _, t := range threads {
		if servers[t.Session] == nil {
			servers[t.Session] = map[string]bool{}
		}
		servers[t.Session][t.Addr] = true
	}
	graph := map[uint32][]edge{}
	for _, w := range waits {
		from, okFrom := owner[Thread{w.Addr, w.Waiter}]
		to, okTo := owner[Thread{w.Addr, w.Holder}]
		if okFrom && okTo && from.Session != to.Session {
			graph[from.Session] = append(graph[from.Session], edge{to: to.Session, wait: w})
		}
	}
	eligible := func(session uint32, w Wait) bool {
		t := owner[Thread{w.Addr, w.Waiter}]
		return t.InTransaction && len(servers[session]) > 1
	}
	for _, start := range sortedKeys(graph) {
		if c, found := cycleFrom(graph, start); found && len(c.Servers()) > 1 {
			if c.Victim, c.VictimWait, ok = victim(c, owner, eligible); ok {
				return c, true
			}
		}
	}
	return Cycle{}, false
}

// owners maps each server connection to the session that holds it. A
// connection two sessions list is left out: it is passing from one to the
// other (handed back by one, not yet unlisted, and taken by the next), and
// a wait on it may be either's.
func owners(threads []SessionThread) map[Thread]SessionThread {
	owner := make(map[Thread]SessionThread, len(threads))
	ambiguous := map[Thread]bool{}
	for _, t := range threads {
		if o, listed := owner[t.Thread]; listed && o.Session != t.Session {
			ambiguous[t.Thread] = true
		}
		owner[t.Thread] = t
	}
	for t := range ambiguous {
		delete(owner, t)
	}
	return owner
}

// HeldBy reports whether every connection of c, waiting or holding, still
// belongs to the session it belonged to when c was found, in threads
// listed since: a connection handed to another session meanwhile would
// make the victim's statement another client's.
func (c Cycle) HeldBy(threads []SessionThread) bool {
	owner := owners(threads)
	for i, w := range c.Waits {
		waiter, okW := owner[Thread{w.Addr, w.Waiter}]
		holder, okH := owner[Thread{w.Addr, w.Holder}]
		if !okW || !okH || waiter.Session != c.Sessions[i] || holder.Session != c.Sessions[(i+1)%len(c.Sessions)] {
			return false
		}
	}
	return true
}

// cycleFrom follows waits from start, depth first, and returns the first
// cycle it meets that passes through start.
func cycleFrom(graph map[uint32][]edge, start uint32) (Cycle, bool) {
	var path []edge
	onPath := map[uint32]bool{start: true}
	var walk func(at uint32) bool
	walk = func(at uint32) bool {
		for _, e := range graph[at] {
			if e.to == start {
				path = append(path, edge{to: at, wait: e.wait})
				return true
			}
			if onPath[e.to] {
				continue
			}
			onPath[e.to] = true
			path = append(path, edge{to: at, wait: e.wait})
			if walk(e.to) {
				return true
			}
			path = path[:len(path)-1]
		}
		return false
	}
	if !walk(start) {
		return Cycle{}, false
	}
	c := Cycle{}
	for _, e := range path {
		c.Sessions = append(c.Sessions, e.to) // the waiting session of each wait
		c.Waits = append(c.Waits, e.wait)
	}
	return c, true
}

// victim picks the waiting connection of c to interrupt.
func victim(c Cycle, owner map[Thread]SessionThread, eligible func(uint32, Wait) bool) (SessionThread, Wait, bool) {
	weight := c.weights()
	better := func(i, than int) bool {
		a, b := c.Waits[i], c.Waits[than]
		wa, wb := weight[c.Sessions[i]], weight[c.Sessions[than]]
		switch {
		case wa != wb:
			return wa < wb
		case !a.Since.Equal(b.Since):
			return a.Since.After(b.Since)
		}
		return c.Sessions[i] > c.Sessions[than]
	}
	best := -1
	for i, w := range c.Waits {
		if eligible(c.Sessions[i], w) && (best < 0 || better(i, best)) {
			best = i
		}
	}
	if best < 0 {
		return SessionThread{}, Wait{}, false
	}
	w := c.Waits[best]
	return owner[Thread{w.Addr, w.Waiter}], w, true
}

// weights adds up, per session of c, the weights of its transactions on
// the cycle's servers, each connection's once: the waiter of each wait is
// Sessions[i], its holder the next session's.
func (c Cycle) weights() map[uint32]uint64 {
	seen := map[Thread]bool{}
	out := map[uint32]uint64{}
	add := func(session uint32, t Thread, w uint64) {
		if !seen[t] {
			seen[t] = true
			out[session] += w
		}
	}
	for i, w := range c.Waits {
		add(c.Sessions[i], Thread{w.Addr, w.Waiter}, w.WaiterWeight)
		add(c.Sessions[(i+1)%len(c.Sessions)], Thread{w.Addr, w.Holder}, w.HolderWeight)
	}
	return out
}

func sortedKeys(graph map[uint32][]edge) []uint32 {
	keys := make([]uint32, 0, len(graph))
	for k := range graph {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
