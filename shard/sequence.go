package shard

import (
	"context"
	"fmt"
	"math"
)

// BlockSource hands out blocks of ids, for example by
// "UPDATE seq SET next = LAST_INSERT_ID(next + size) WHERE name = ?" on a
// central database. A block is [first, first+size).
type BlockSource interface {
	NextBlock(ctx context.Context, name string, size int) (first int64, err error)
}

// Sequence allocates ids that are unique across all proxies sharing one
// BlockSource, while asking the source only once per block. It is safe
// for concurrent use. Ids of a block not used before the process exits are
// lost, so ids are unique and increasing per process but not gapless.
type Sequence struct {
	src  BlockSource
	name string
	size int
	// lock is a one-slot semaphore rather than a sync.Mutex so that a
	// caller waiting behind a slow block fetch can give up when its ctx
	// ends. Holding it during the fetch makes the fetch single-flight.
	lock      chan struct{}
	next, end int64 // the cached block is [next, end)
}

// NewSequence returns a sequence drawing blocks of size ids named name.
func NewSequence(src BlockSource, name string, size int) (*Sequence, error) {
	if src == nil || name == "" || size <= 0 {
		return nil, fmt.Errorf("sequence %q: needs a source, a name and a positive block size (got %d)", name, size)
	}
	return &Sequence{src: src, name: name, size: size, lock: make(chan struct{}, 1)}, nil
}

// Next returns the next id, fetching a new block when the cached one is
// used up. Under contention exactly one caller fetches; the others wait
// for it (or for their ctx) and then use the new block.
func (s *Sequence) Next(ctx context.Context) (int64, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-s.lock }()
	if s.next >= s.end {
		if err := s.fetch(ctx); err != nil {
			return 0, err
		}
	}
	id := s.next
	s.next++
	return id, nil
}

// fetch replaces the used-up block; on error the sequence is unchanged and
// the next call retries.
func (s *Sequence) fetch(ctx context.Context) error {
	first, err := s.src.NextBlock(ctx, s.name, s.size)
	if err != nil {
		return fmt.Errorf("sequence %s: next block: %w", s.name, err)
	}
	if first > math.MaxInt64-int64(s.size) {
		return fmt.Errorf("sequence %s: block at %d would overflow int64", s.name, first)
	}
	s.next, s.end = first, first+int64(s.size)
	return nil
}
