// Package querystats keeps statistics per statement shape and route — the
// digest of a statement (its text with literals replaced by ?), the schema
// and user it ran for, and where Strata sent it — like ProxySQL's
// stats_mysql_query_digest: how often each kind of statement runs, how long
// it takes, how often it fails, and which route and server served it. An
// operator sees there every routing decision Strata made, and which
// statements cost the most, without turning on a server's general log.
package querystats

import (
	"cmp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Key identifies one row: a statement shape as it ran for one schema and
// user on one route and server.
type Key struct {
	Digest string `json:"digest"`
	Schema string `json:"schema"`
	User   string `json:"user"`
	// Route is how Strata chose the server, as the route label of the
	// strata_queries_total metric: "primary", a replica pool's name,
	// "pinned" (the session's own connection), "cache" (answered from the
	// result cache), or a sharded plan's kind.
	Route string `json:"route"`
	// Role is what answered: "primary", "replica", "cache" (Strata
	// itself) or "shards" (Strata merging or splitting over shards). It
	// tells apart a replica pool named "primary" (the default pool) from
	// the primary server.
	Role   string `json:"role"`
	Server string `json:"server"`
}

// MaxDigestLen bounds the statement text a row keeps: a huge statement's
// shape is told by its start, and the store's memory stays bounded.
const MaxDigestLen = 1024

type entry struct {
	count     atomic.Uint64
	errors    atomic.Uint64
	rows      atomic.Uint64
	affected  atomic.Uint64
	sumNanos  atomic.Int64
	maxNanos  atomic.Int64
	minNanos  atomic.Int64
	firstSeen time.Time
	lastSeen  atomic.Int64 // unix nanoseconds
}

// Store is the statistics of a running Strata; safe for concurrent use.
// A nil *Store records nothing.
type Store struct {
	mu      sync.RWMutex
	rows    map[Key]*entry
	limit   int
	dropped atomic.Uint64
	since   time.Time
}

// New returns a store that keeps at most limit rows: statements of a new
// shape past that are counted as dropped, not kept, so an application that
// builds statements with varying text cannot grow Strata's memory.
func New(limit int) *Store {
	return &Store{rows: map[Key]*entry{}, limit: limit, since: time.Now()}
}

// SetLimit replaces the bound on rows (a config reload). A lower bound
// drops no row already kept: new shapes are counted as dropped until the
// rows are fewer (DELETE /api/queries starts over).
func (s *Store) SetLimit(limit int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.limit = limit
	s.mu.Unlock()
}

// Outcome is how one run of a statement went.
type Outcome struct {
	Duration time.Duration
	// Failed: the server (or Strata) answered with an error.
	Failed bool
	// Rows is how many rows the answer carried to the client, Affected
	// how many rows a write changed (0 where Strata does not know).
	Rows, Affected uint64
}

// Record counts one run of the statement k.
func (s *Store) Record(k Key, o Outcome) {
	if s == nil {
		return
	}
	if len(k.Digest) > MaxDigestLen {
		k.Digest = truncate(k.Digest)
	}
	e := s.lookup(k)
	if e == nil {
		s.dropped.Add(1)
		return
	}
	n := o.Duration.Nanoseconds()
	e.count.Add(1)
	if o.Failed {
		e.errors.Add(1)
	}
	if o.Rows > 0 {
		e.rows.Add(o.Rows)
	}
	if o.Affected > 0 {
		e.affected.Add(o.Affected)
	}
	e.sumNanos.Add(n)
	keepExtreme(&e.maxNanos, n, 1)
	keepExtreme(&e.minNanos, n, -1)
	e.lastSeen.Store(time.Now().UnixNano())
}

// lookup finds k's row, adding it while there is room (nil when full).
func (s *Store) lookup(k Key) *entry {
	s.mu.RLock()
	e := s.rows[k]
	s.mu.RUnlock()
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e = s.rows[k]; e != nil {
		return e
	}
	if len(s.rows) >= s.limit {
		return nil
	}
	e = &entry{firstSeen: time.Now()}
	e.minNanos.Store(-1)
	s.rows[k] = e
	return e
}

// keepExtreme stores v in a when it is further in direction dir (1: the
// maximum, -1: the minimum) than the value there, or a holds -1 ("none
// yet").
func keepExtreme(a *atomic.Int64, v int64, dir int64) {
	for {
		old := a.Load()
		if old != -1 && (v-old)*dir <= 0 {
			return
		}
		if a.CompareAndSwap(old, v) {
			return
		}
	}
}

func truncate(digest string) string {
	cut := MaxDigestLen
	for cut > 0 && !validStart(digest[cut]) {
		cut-- // do not split a UTF-8 character
	}
	return digest[:cut] + "…"
}

func validStart(b byte) bool { return b&0xC0 != 0x80 }

// Row is one line of the statistics.
type Row struct {
	Key
	Count     uint64    `json:"count"`
	Errors    uint64    `json:"errors"`
	Rows      uint64    `json:"rows_sent"`
	Affected  uint64    `json:"rows_affected"`
	TotalMs   float64   `json:"total_ms"`
	AvgMs     float64   `json:"avg_ms"`
	MinMs     float64   `json:"min_ms"`
	MaxMs     float64   `json:"max_ms"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Snapshot is the store's content at one moment.
type Snapshot struct {
	// Since is when counting started (start, or the last Reset).
	Since time.Time `json:"since"`
	// Limit is how many rows the store keeps; Dropped counts statements
	// not recorded because it was full.
	Limit   int    `json:"limit"`
	Dropped uint64 `json:"dropped"`
	Rows    []Row  `json:"rows"`
}

// Orders by which Snapshot can sort its rows, most first.
var Orders = []string{"total", "count", "avg", "max", "errors", "rows", "last"}

// Query selects and orders rows.
type Query struct {
	// Order is one of Orders ("" means "total": the statements that cost
	// the servers most time come first).
	Order string
	// Limit keeps the first rows only (0: all).
	Limit int
	// Contains keeps rows whose digest contains this text, ignoring case.
	Contains string
}

// Snapshot returns the rows q selects, in its order.
func (s *Store) Snapshot(q Query) Snapshot {
	if s == nil {
		return Snapshot{}
	}
	s.mu.RLock()
	snap := Snapshot{Since: s.since, Limit: s.limit, Dropped: s.dropped.Load(), Rows: make([]Row, 0, len(s.rows))}
	for k, e := range s.rows {
		snap.Rows = append(snap.Rows, e.row(k))
	}
	s.mu.RUnlock()
	return Select(snap, q)
}

// Select keeps the rows of snap that q selects, in its order.
func Select(snap Snapshot, q Query) Snapshot {
	if q.Contains != "" {
		needle := strings.ToLower(q.Contains)
		kept := snap.Rows[:0:0]
		for _, r := range snap.Rows {
			if strings.Contains(strings.ToLower(r.Digest), needle) {
				kept = append(kept, r)
			}
		}
		snap.Rows = kept
	}
	sortRows(snap.Rows, q.Order)
	if q.Limit > 0 && len(snap.Rows) > q.Limit {
		snap.Rows = snap.Rows[:q.Limit]
	}
	return snap
}

func (e *entry) row(k Key) Row {
	r := Row{Key: k, Count: e.count.Load(), Errors: e.errors.Load(), Rows: e.rows.Load(), Affected: e.affected.Load(), FirstSeen: e.firstSeen,
		TotalMs: ms(e.sumNanos.Load()), MaxMs: ms(e.maxNanos.Load()), MinMs: ms(max(e.minNanos.Load(), 0)),
		LastSeen: time.Unix(0, e.lastSeen.Load())}
	if r.Count > 0 {
		r.AvgMs = r.TotalMs / float64(r.Count)
	}
	return r
}

func ms(nanos int64) float64 { return float64(nanos) / 1e6 }

// sortRows orders rows by order, most first; ties by digest, so the order
// is stable from one call to the next.
func sortRows(rows []Row, order string) {
	metric := func(r Row) float64 {
		switch order {
		case "count":
			return float64(r.Count)
		case "avg":
			return r.AvgMs
		case "max":
			return r.MaxMs
		case "errors":
			return float64(r.Errors)
		case "rows":
			return float64(r.Rows)
		case "last":
			return float64(r.LastSeen.UnixNano())
		}
		return r.TotalMs
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := metric(rows[i]), metric(rows[j])
		if a != b {
			return a > b
		}
		return lessKey(rows[i].Key, rows[j].Key)
	})
}

func lessKey(a, b Key) bool {
	return cmp.Or(strings.Compare(a.Digest, b.Digest), strings.Compare(a.Schema, b.Schema), strings.Compare(a.User, b.User),
		strings.Compare(a.Route, b.Route), strings.Compare(a.Role, b.Role), strings.Compare(a.Server, b.Server)) < 0
}

// ValidOrder reports whether order is one Snapshot knows ("" included).
func ValidOrder(order string) bool {
	if order == "" {
		return true
	}
	for _, o := range Orders {
		if o == order {
			return true
		}
	}
	return false
}

// Reset forgets every row and starts counting again.
func (s *Store) Reset() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.rows = map[Key]*entry{}
	s.since = time.Now()
	s.dropped.Store(0)
	s.mu.Unlock()
}
