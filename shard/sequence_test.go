package shard

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBlocks hands out consecutive blocks, slowly, and counts fetches.
type fakeBlocks struct {
	mu      sync.Mutex
	next    int64
	fetches atomic.Int64
	fail    atomic.Bool
	delay   time.Duration
}

func (f *fakeBlocks) NextBlock(ctx context.Context, name string, size int) (int64, error) {
	f.fetches.Add(1)
	if f.fail.Load() {
		return 0, errors.New("db down")
	}
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	first := f.next
	f.next += int64(size)
	return first, nil
}

func TestSequenceUniqueUnderContention(t *testing.T) {
	src := &fakeBlocks{next: 1, delay: time.Millisecond}
	seq, err := NewSequence(src, "orders", 100)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 50, 200
	ids := make(chan int64, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				id, err := seq.Next(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				ids <- id
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %d handed out twice", id)
		}
		seen[id] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("got %d ids, want %d", len(seen), workers*each)
	}
	// Single fetch under contention: no block was fetched and wasted.
	if got, want := src.fetches.Load(), int64(workers*each/100); got != want {
		t.Errorf("fetched %d blocks, want %d", got, want)
	}
	for id := int64(1); id <= workers*each; id++ {
		if !seen[id] {
			t.Fatalf("id %d missing: blocks were skipped", id)
		}
	}
}

func TestSequenceErrorsAndRetry(t *testing.T) {
	src := &fakeBlocks{next: 10}
	seq, _ := NewSequence(src, "s", 2)
	src.fail.Store(true)
	if _, err := seq.Next(context.Background()); err == nil {
		t.Fatal("Next with a failing source succeeded")
	}
	src.fail.Store(false)
	var got []int64
	for i := 0; i < 3; i++ {
		id, err := seq.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if got[0] != 10 || got[1] != 11 || got[2] != 12 {
		t.Errorf("ids after retry = %v, want [10 11 12]", got)
	}
}

func TestSequenceWaiterHonoursContext(t *testing.T) {
	src := &fakeBlocks{next: 1, delay: time.Hour}
	seq, _ := NewSequence(src, "s", 10)
	fetchCtx, stopFetch := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := seq.Next(fetchCtx) // holds the lock inside a slow fetch
		done <- err
	}()
	for src.fetches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := seq.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter error = %v, want DeadlineExceeded", err)
	}
	stopFetch()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("fetcher error = %v, want Canceled", err)
	}
}

func TestNewSequenceValidates(t *testing.T) {
	for _, tt := range []struct {
		src  BlockSource
		name string
		size int
	}{
		{nil, "s", 1}, {&fakeBlocks{}, "", 1}, {&fakeBlocks{}, "s", 0},
	} {
		if _, err := NewSequence(tt.src, tt.name, tt.size); err == nil {
			t.Errorf("NewSequence(%v, %q, %d) accepted", tt.src, tt.name, tt.size)
		}
	}
	overflow := &fakeBlocks{next: 1<<63 - 5}
	seq, _ := NewSequence(overflow, "s", 10)
	if _, err := seq.Next(context.Background()); err == nil {
		t.Errorf("overflowing block accepted")
	}
}
