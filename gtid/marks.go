package gtid

import (
	"sync"
	"time"
)

// Marks are what consistency: global compares, shared by every session:
// per primary (callers name it by its address, so a new primary after a
// switchover or a failover starts unsettled, and writes an old one lost
// are not waited for), the position of the writes Strata acknowledged
// there; per server, the position it is known to have applied, or was
// found short of moments ago. A read may run on a replica once the
// replica has applied every write Strata acknowledged to any client
// before the read began.
type Marks struct {
	mu      sync.Mutex
	written map[string]written // primary → its acknowledged writes
	applied map[string]applied // server address → position it has applied
	behind  map[string]behind  // server address → position it lacked
	// holding: another Strata process may still acknowledge writes on
	// these primaries (it handed this one its sockets and finishes its
	// busy clients), so no position read here holds them all (Hold).
	holding bool
}

type written struct {
	pos  Pos
	text string // pos as MASTER_GTID_WAIT reads it, written once per write
	// unsettled: what Strata acknowledged is not all in pos — it
	// has not read the primary's position since it started (another
	// process may have acknowledged writes just before), or a write's
	// position could not be read (its connection failed right after).
	// No replica can be shown to have it, so reads go to the primary
	// until one of them reads the primary's whole binary log position
	// there (Settle). A later write's own GTID would not do: it may have
	// committed before the unknown one and been recorded after.
	unsettled bool
}

// applied is a position a server was seen to have applied, and when.
// It is trusted for AppliedMaxAge only: a server rebuilt from an older
// copy at the same address (out of routing meanwhile, for longer than
// that) must show its position again.
type applied struct {
	pos Pos
	at  time.Time
}

// AppliedMaxAge is how long a replica's applied position, once seen, lets
// reads run there without a wait: at most one wait per replica per
// AppliedMaxAge when no write comes.
const AppliedMaxAge = time.Second

type behind struct {
	pos   Pos
	until time.Time
}

// Wait is what a read must wait for: nothing (the zero Wait), a
// position on its replica (Text), or the primary (Primary).
type Wait struct {
	Text string
	// Primary: no replica can be shown to have what the read must see;
	// with Settle, the read is to read the primary's binary log position
	// and hand it to Settle, so the next reads can use replicas again.
	Primary, Settle bool
	pos             Pos
}

// NewMarks returns marks with no write recorded.
func NewMarks() *Marks {
	return &Marks{written: map[string]written{}, applied: map[string]applied{}, behind: map[string]behind{}}
}

// Wrote records a write acknowledged on primary, by its GTID (@@last_gtid
// of the connection that committed it; "" when the statement wrote no
// transaction, which leaves nothing to wait for).
func (m *Marks) Wrote(primary, last string) {
	p := Parse(last)
	if len(p) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.merge(primary, p)
}

func (m *Marks) merge(primary string, p Pos) written {
	w, ok := m.written[primary]
	w.unsettled = w.unsettled || !ok
	if !w.pos.Covers(p) { // else a later write was recorded first
		w.pos = w.pos.Merge(p)
		w.text = w.pos.String()
		m.written[primary] = w
	}
	return w
}

// Settle records the primary's binary log position (@@gtid_binlog_pos),
// read at the first read of its replicas' data or after a write of unknown
// position was acknowledged: it holds every write acknowledged before,
// so replicas that have applied it may serve reads again.
func (m *Marks) Settle(primary, binlogPos string) {
	p := Parse(binlogPos)
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.merge(primary, p)
	w.unsettled = false
	m.written[primary] = w
}

// Unknown records a write acknowledged on primary whose position could not
// be read.
func (m *Marks) Unknown(primary string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.written[primary]
	w.unsettled = true
	m.written[primary] = w
}

// Need says what a read on server addr, a replica of primary, must wait
// for. It is the primary, to be settled, before the primary's first
// position is known and when a write's position is unknown; the primary
// alone when addr was found
// short of the same position within its last wait (so this read does not
// wait again for what it will not get).
func (m *Marks) Need(primary, addr string, now time.Time) Wait {
	m.mu.Lock()
	defer m.mu.Unlock()
	wr, ok := m.written[primary]
	switch {
	case m.holding || !ok || wr.unsettled:
		return Wait{Primary: true, Settle: true}
	case m.fresh(addr, now).Covers(wr.pos):
		return Wait{}
	}
	if b, ok := m.behind[addr]; ok && now.Before(b.until) && wr.pos.Covers(b.pos) {
		return Wait{Primary: true}
	}
	return Wait{Text: wr.text, pos: wr.pos}
}

// Hold sends every read to the primary, to read its position there
// (Settle), until Release: while the Strata process that handed this one
// its sockets finishes its busy clients, a write it acknowledges after any
// position this one read would be missed by a replica read.
func (m *Marks) Hold() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holding = true
}

// Release ends Hold once the other process is done: the next read from
// each primary's data reads its position once more, which holds that
// process's last writes, and reads use replicas again after it.
func (m *Marks) Release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holding = false
	for primary, w := range m.written {
		w.unsettled = true
		m.written[primary] = w
	}
}

// fresh is what addr was seen to have applied within AppliedMaxAge of now
// (nil: nothing).
func (m *Marks) fresh(addr string, now time.Time) Pos {
	if a, ok := m.applied[addr]; ok && now.Sub(a.at) < AppliedMaxAge {
		return a.pos
	}
	return nil
}

// Reached records that server addr had applied w's position at now.
func (m *Marks) Reached(addr string, w Wait, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied[addr] = applied{pos: m.fresh(addr, now).Merge(w.pos), at: now}
	if b, ok := m.behind[addr]; ok && w.pos.Covers(b.pos) {
		delete(m.behind, addr)
	}
}

// Missed records that server addr had not applied w's position within a
// read's wait; until then, reads that need as much go to the primary at
// once.
func (m *Marks) Missed(addr string, w Wait, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.behind[addr] = behind{pos: w.pos, until: until}
}

// Written is the position of primary's acknowledged writes ("" none), for
// the admin API.
func (m *Marks) Written(primary string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.written[primary].text
}
