package shard

import (
	"slices"
	"sync"
)

// A table sharded by one column is often written by another: an ORM
// saves and locks a model by its primary key, while the table is sharded
// by the column its rows are read together by (comments by entry_id).
// Such a statement needs every shard, though the row it changes lives on
// one. Where the column is kept unique across the shards (unique:), a
// value names at most one row, so the shard that held it last time is
// worth trying first: if the statement finds the row there, no other
// shard can hold it. Locations remembers those shards.
//
// A location is only ever a guess. A row that moved, or was deleted and
// written again elsewhere, is not found on the remembered shard, and the
// statement then runs as it would have without it: a stale location
// costs a round trip, never a wrong answer.

// LocationKey names one value of a column of a table: a row, where the
// column is unique across the table's shards.
type LocationKey struct {
	Table  string // lower-case
	Column string // lower-case
	Value  string // the value's canonical form (Value.Canonical)
}

// Locations remembers the shard of the rows of LocationKeys, up to a
// bound: when it is full, the half learned or used longest ago is
// forgotten. Safe for concurrent use; a nil *Locations remembers nothing.
type Locations struct {
	mu  sync.Mutex
	max int
	// cur holds what was learned or found since old was cur; a key found
	// in old moves to cur. When cur holds max/2 keys, it becomes old and
	// the old old is dropped, so at most max keys are held (with max 1,
	// cur alone).
	cur, old map[LocationKey]string
}

// NewLocations remembers up to max locations (0: none).
func NewLocations(max int) *Locations {
	l := &Locations{}
	l.SetMax(max)
	return l
}

// SetMax changes the bound, forgetting everything when it shrinks.
func (l *Locations) SetMax(max int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if max < l.max || l.cur == nil {
		l.cur, l.old = map[LocationKey]string{}, map[LocationKey]string{}
	}
	l.max = max
}

// Remembers reports whether l remembers any location (its bound is not
// 0): where it does not, there is nothing to learn.
func (l *Locations) Remembers() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.max > 0
}

// Clear forgets every location.
func (l *Locations) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur, l.old = map[LocationKey]string{}, map[LocationKey]string{}
}

// Lookup is the shard k's row was last seen on.
func (l *Locations) Lookup(k LocationKey) (shard string, ok bool) {
	if l == nil {
		return "", false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.find(k)
}

// LookupEach is the shards the rows of keys were last seen on, each
// once, in the order first met; ok is false where one of keys is not
// known (its row could be on any shard).
func (l *Locations) LookupEach(keys []LocationKey) (shards []string, ok bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		shard, found := l.find(k)
		if !found {
			return nil, false
		}
		if !slices.Contains(shards, shard) {
			shards = append(shards, shard)
		}
	}
	return shards, len(keys) > 0
}

// Learn records that k's row is on shard.
func (l *Locations) Learn(k LocationKey, shard string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.old, k)
	l.put(k, shard)
}

// Forget drops what is known of k: its row was not where it was last seen.
func (l *Locations) Forget(k LocationKey) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.cur, k)
	delete(l.old, k)
}

// Len is the number of locations held.
func (l *Locations) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cur) + len(l.old)
}

// find is the shard of k, moving a key found in old to cur (it is in
// use). The caller holds mu.
func (l *Locations) find(k LocationKey) (shard string, ok bool) {
	if shard, ok = l.cur[k]; ok {
		return shard, true
	}
	if shard, ok = l.old[k]; ok {
		delete(l.old, k)
		l.put(k, shard)
	}
	return shard, ok
}

// put adds k to cur, turning cur into old first when it is full. The
// caller holds mu.
func (l *Locations) put(k LocationKey, shard string) {
	if l.max <= 0 {
		return
	}
	if _, ok := l.cur[k]; !ok && len(l.cur) >= max(l.max/2, 1) {
		l.old, l.cur = l.cur, make(map[LocationKey]string, len(l.cur))
		if l.max < 2 {
			clear(l.old) // room for one: cur alone
		}
	}
	l.cur[k] = shard
}
