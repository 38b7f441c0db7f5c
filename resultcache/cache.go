// Package resultcache keeps whole query responses, as the raw packets the
// server sent, for reads that a routing rule marks `cache: DURATION`.
//
// Correctness comes before hit rate: an entry remembers the tables it read
// and their write generations when its query started; Strata bumps a
// table's generation whenever it routes a write to that table, which drops
// the table's entries, and a fill that raced with a write is not stored.
package resultcache

import (
	"container/list"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is bounded by total bytes; the least recently used entries go first.
type Cache struct {
	maxBytes   int          // under mu
	maxEntry   atomic.Int64 // read by sessions sizing their capture
	mu         sync.Mutex
	entries    map[string]*list.Element
	lru        *list.List
	bytes      int
	byTable    map[string]map[string]struct{}
	generation map[string]uint64
	writeGTID  map[string]string // table → GTID of the last write Strata routed to it
	tracked    sync.Map          // tables any entry ever read: writes to them need a GTID
	inflight   map[string]*Fill
	// dependents maps a table to the tables a write to it may change
	// without naming them: a foreign key's ON DELETE/UPDATE CASCADE or
	// SET NULL on a child, a trigger's statements (Learned). learned
	// holds when each table's sources were read.
	dependents map[string]map[string]struct{}
	learned    map[string]time.Time

	hits, misses, fills, invalidations, waits atomic.Uint64
}

type entry struct {
	key     string
	data    []byte
	tables  []string
	expires time.Time
}

// New creates a cache holding at most maxBytes of responses, none larger
// than maxEntry.
func New(maxBytes, maxEntry int) *Cache {
	c := &Cache{
		maxBytes: maxBytes,
		entries:  map[string]*list.Element{}, lru: list.New(),
		byTable: map[string]map[string]struct{}{}, generation: map[string]uint64{}, writeGTID: map[string]string{},
		inflight: map[string]*Fill{}, dependents: map[string]map[string]struct{}{}, learned: map[string]time.Time{},
	}
	c.maxEntry.Store(int64(maxEntry))
	return c
}

// MaxBytes is the memory bound of all entries (result_cache.max_size).
func (c *Cache) MaxBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxBytes
}

// MaxEntry is the largest response the cache stores.
func (c *Cache) MaxEntry() int { return int(c.maxEntry.Load()) }

// Resize changes the bounds (a reload of result_cache): a smaller
// max_size drops the least recently used entries at once; entries over a
// smaller max_entry_size stay until they expire or are invalidated.
func (c *Cache) Resize(maxBytes, maxEntry int) {
	c.maxEntry.Store(int64(maxEntry))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxBytes = maxBytes
	c.evictLocked()
}

// Fill is one in-progress refill; other readers of the same key wait for it
// instead of querying the server too (single flight).
type Fill struct {
	// GTID is the latest write Strata routed to the entry's tables: the
	// fill must read from a server that has applied it, or the primary.
	GTID    string
	c       *Cache
	key     string
	tables  []string
	gens    []uint64
	ttl     time.Duration
	done    chan struct{}
	data    []byte
	ok      bool
	settled bool
}

// Lookup returns a fresh entry's data, or a Fill the caller must complete
// (it is the one reader that runs the query), or — when another reader is
// already filling the key — waits for that fill up to ctx.
func (c *Cache) Lookup(ctx context.Context, key string, tables []string, ttl time.Duration) ([]byte, *Fill) {
	for {
		c.mu.Lock()
		if el, ok := c.entries[key]; ok {
			e := el.Value.(*entry)
			if time.Now().Before(e.expires) {
				c.lru.MoveToFront(el)
				c.mu.Unlock()
				c.hits.Add(1)
				return e.data, nil
			}
			c.removeLocked(el)
		}
		if f, busy := c.inflight[key]; busy {
			c.mu.Unlock()
			c.waits.Add(1)
			select {
			case <-f.done:
				if f.ok {
					c.hits.Add(1)
					return f.data, nil
				}
				continue // the filler failed: try again, maybe as the filler
			case <-ctx.Done():
				c.misses.Add(1)
				return nil, nil // give up waiting; the caller queries uncached
			}
		}
		for _, t := range tables {
			if _, ok := c.tracked.Load(t); !ok {
				c.tracked.Store(t, struct{}{})
			}
		}
		f := &Fill{c: c, key: key, tables: tables, ttl: ttl, done: make(chan struct{})}
		for _, t := range tables {
			f.gens = append(f.gens, c.generation[t])
			if g := c.writeGTID[t]; gtidSeq(g) > gtidSeq(f.GTID) {
				f.GTID = g
			}
		}
		c.inflight[key] = f
		c.mu.Unlock()
		c.misses.Add(1)
		return nil, f
	}
}

// Complete stores the response the filler relayed. Data from a response
// that failed, overflowed, or raced with a write to one of its tables is
// dropped; waiters then query for themselves.
func (f *Fill) Complete(data []byte, ok bool) {
	c := f.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.settled {
		return
	}
	f.settled = true
	delete(c.inflight, f.key)
	for i, t := range f.tables {
		if c.generation[t] != f.gens[i] {
			ok = false // a write landed while the query ran
		}
	}
	if ok && len(data) <= c.MaxEntry() {
		f.data, f.ok = data, true
		c.storeLocked(&entry{key: f.key, data: data, tables: f.tables, expires: time.Now().Add(f.ttl)})
		c.fills.Add(1)
	}
	close(f.done)
}

// NeededGTID is the GTID the fill's source must have applied ("" when no
// write to its tables is known, or for a nil fill).
func (f *Fill) NeededGTID() string {
	if f == nil {
		return ""
	}
	return f.GTID
}

// Abandon ends a fill without data (the query failed).
func (f *Fill) Abandon() { f.Complete(nil, false) }

func (c *Cache) storeLocked(e *entry) {
	if old, ok := c.entries[e.key]; ok {
		c.removeLocked(old)
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.bytes += len(e.data)
	for _, t := range e.tables {
		keys := c.byTable[t]
		if keys == nil {
			keys = map[string]struct{}{}
			c.byTable[t] = keys
		}
		keys[e.key] = struct{}{}
	}
	c.evictLocked()
}

// evictLocked drops the least recently used entries until the cache fits.
func (c *Cache) evictLocked() {
	for c.bytes > c.maxBytes && c.lru.Len() > 0 {
		c.removeLocked(c.lru.Back())
	}
}

func (c *Cache) removeLocked(el *list.Element) {
	e := el.Value.(*entry)
	c.lru.Remove(el)
	delete(c.entries, e.key)
	c.bytes -= len(e.data)
	for _, t := range e.tables {
		delete(c.byTable[t], e.key)
	}
}

// SourcesMaxAge is how long the sources Learned of a table are trusted: a
// foreign key or trigger added by a schema change that did not pass
// through Strata is learned by the next cached read after it.
const SourcesMaxAge = time.Minute

// Unlearned lists the tables of a cached read whose sources (Learned) are
// not known, or were learned more than SourcesMaxAge ago: the caller
// learns them before the read fills the cache.
func (c *Cache) Unlearned(tables []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, t := range tables {
		if at, ok := c.learned[t]; !ok || time.Since(at) > SourcesMaxAge {
			out = append(out, t)
		}
	}
	return out
}

// Learned records the tables a write to which may change table's rows
// without naming it (its sources): the parents whose foreign keys cascade
// to it, the tables whose triggers write it. From then on a write to a
// source invalidates table's entries too.
func (c *Cache) Learned(table string, sources []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.learned[table] = time.Now()
	for _, src := range sources {
		if c.dependents[src] == nil {
			c.dependents[src] = map[string]struct{}{}
		}
		c.dependents[src][table] = struct{}{}
		c.tracked.Store(src, struct{}{}) // its writes need a GTID now
	}
}

// ForgetSources makes every table's sources unknown again, after a schema
// change that may have added a foreign key or a trigger: the next cached
// read of each table learns them anew. What was learned before stays (a
// source that went away only costs invalidations), so entries cached
// before the change are still dropped by writes to their old sources.
func (c *Cache) ForgetSources() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.learned)
}

// affectedLocked is tables with every table a write to them may change
// through foreign keys and triggers, transitively.
func (c *Cache) affectedLocked(tables []string) []string {
	if len(c.dependents) == 0 {
		return tables
	}
	seen := make(map[string]bool, len(tables))
	out := append([]string(nil), tables...)
	for _, t := range tables {
		seen[t] = true
	}
	for i := 0; i < len(out); i++ {
		for d := range c.dependents[out[i]] {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return out
}

// Invalidate drops every entry that read one of tables, or a table a
// write to them may change (Learned), and fails fills in flight for them.
// Strata calls it for every write it routes.
func (c *Cache) Invalidate(tables []string) {
	if len(tables) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.affectedLocked(tables) {
		c.generation[t]++
		for key := range c.byTable[t] {
			if el, ok := c.entries[key]; ok {
				c.removeLocked(el)
				c.invalidations.Add(1)
			}
		}
	}
}

// Tracks reports whether cached reads ever used table, so a write to it must
// be followed by NoteWrite.
func (c *Cache) Tracks(table string) bool {
	_, ok := c.tracked.Load(table)
	return ok
}

// TrackedTables lists every table a cached read ever used: what a write
// Strata cannot name the tables of (a procedure's) may have changed.
func (c *Cache) TrackedTables() []string {
	var out []string
	c.tracked.Range(func(k, _ any) bool {
		out = append(out, k.(string))
		return true
	})
	return out
}

// NoteWrite records the GTID of a committed write to tables. It also
// invalidates them again: a fill that started between the write and this
// call may have read a replica without the write.
func (c *Cache) NoteWrite(tables []string, gtid string) {
	c.mu.Lock()
	for _, t := range c.affectedLocked(tables) {
		c.writeGTID[t] = gtid
	}
	c.mu.Unlock()
	c.Invalidate(tables)
}

// gtidSeq is the sequence number of a MariaDB GTID domain-server-seq (0
// when empty); GTIDs of one primary grow with it.
func gtidSeq(g string) uint64 {
	i := strings.LastIndexByte(g, '-')
	if i < 0 {
		return 0
	}
	n, _ := strconv.ParseUint(g[i+1:], 10, 64)
	return n
}

// Sources lists, for each table whose sources were learned (Learned), the
// tables a write to which drops its entries besides its own writes,
// sorted: what GET /api/cache shows.
func (c *Cache) Sources() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string][]string, len(c.learned))
	for t := range c.learned {
		out[t] = []string{}
	}
	for src, deps := range c.dependents {
		for d := range deps {
			if _, ok := out[d]; ok {
				out[d] = append(out[d], src)
			}
		}
	}
	for _, srcs := range out {
		slices.Sort(srcs)
	}
	return out
}

// Flush drops every entry and fails the fills in flight (DELETE /api/cache:
// after a change Strata did not see, such as a bulk load straight on the
// primary). It returns how many entries it dropped.
func (c *Cache) Flush() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.entries)
	for t := range c.byTable {
		c.generation[t]++
	}
	for _, f := range c.inflight {
		for _, t := range f.tables {
			c.generation[t]++
		}
	}
	for _, el := range c.entries {
		c.removeLocked(el)
	}
	c.invalidations.Add(uint64(n))
	return n
}

// Stats are the cache's counters.
type Stats struct {
	Entries       int    `json:"entries"`
	Bytes         int    `json:"bytes"`
	Hits          uint64 `json:"hits"`
	Misses        uint64 `json:"misses"`
	Fills         uint64 `json:"fills"`
	Waits         uint64 `json:"waits"`
	Invalidations uint64 `json:"invalidations"`
}

// Stats returns a snapshot of the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n, b := len(c.entries), c.bytes
	c.mu.Unlock()
	return Stats{Entries: n, Bytes: b, Hits: c.hits.Load(), Misses: c.misses.Load(), Fills: c.fills.Load(), Waits: c.waits.Load(), Invalidations: c.invalidations.Load()}
}
