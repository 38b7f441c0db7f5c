package resultcache

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fill(t *testing.T, c *Cache, key string, tables []string, data string) {
	t.Helper()
	got, f := c.Lookup(context.Background(), key, tables, time.Minute)
	if got != nil || f == nil {
		t.Fatalf("lookup of new key %q: data=%q fill=%v", key, got, f)
	}
	f.Complete([]byte(data), true)
}

func TestHitAfterFill(t *testing.T) {
	c := New(1<<20, 1<<10)
	fill(t, c, "k", []string{"blog.t"}, "rows")
	got, f := c.Lookup(context.Background(), "k", []string{"blog.t"}, time.Minute)
	if string(got) != "rows" || f != nil {
		t.Fatalf("hit = %q, %v", got, f)
	}
}

func TestWriteInvalidatesEntriesOfItsTables(t *testing.T) {
	c := New(1<<20, 1<<10)
	fill(t, c, "a", []string{"blog.t", "blog.u"}, "A")
	fill(t, c, "b", []string{"blog.v"}, "B")
	c.Invalidate([]string{"blog.u"})
	if got, _ := c.Lookup(context.Background(), "a", []string{"blog.t", "blog.u"}, time.Minute); got != nil {
		t.Error("entry reading a written table survived the write")
	}
	if got, _ := c.Lookup(context.Background(), "b", []string{"blog.v"}, time.Minute); string(got) != "B" {
		t.Error("entry of an unrelated table was dropped")
	}
}

// A write that lands while a fill's query runs must keep the (possibly
// stale) answer out of the cache.
func TestFillRacingAWriteIsNotStored(t *testing.T) {
	c := New(1<<20, 1<<10)
	_, f := c.Lookup(context.Background(), "k", []string{"blog.t"}, time.Minute)
	c.Invalidate([]string{"blog.t"})
	f.Complete([]byte("stale"), true)
	if got, _ := c.Lookup(context.Background(), "k", []string{"blog.t"}, time.Minute); got != nil {
		t.Fatalf("stale fill was stored: %q", got)
	}
}

func TestExpiry(t *testing.T) {
	c := New(1<<20, 1<<10)
	_, f := c.Lookup(context.Background(), "k", nil, time.Millisecond)
	f.Complete([]byte("x"), true)
	time.Sleep(5 * time.Millisecond)
	if got, _ := c.Lookup(context.Background(), "k", nil, time.Millisecond); got != nil {
		t.Fatal("expired entry served")
	}
}

func TestMemoryBound(t *testing.T) {
	c := New(100, 60)
	fill(t, c, "a", nil, string(make([]byte, 40)))
	fill(t, c, "b", nil, string(make([]byte, 40)))
	fill(t, c, "c", nil, string(make([]byte, 40))) // evicts a
	fill(t, c, "big", nil, string(make([]byte, 61)))
	s := c.Stats()
	if s.Bytes > 100 || s.Entries != 2 {
		t.Fatalf("stats after overflow: %+v", s)
	}
	if got, _ := c.Lookup(context.Background(), "a", nil, time.Minute); got != nil {
		t.Error("least recently used entry not evicted")
	}
}

// A reload of result_cache resizes the running cache: a smaller max_size
// drops the least recently used entries at once, a larger
// max_entry_size lets bigger answers in.
func TestResize(t *testing.T) {
	c := New(100, 30)
	fill(t, c, "a", nil, string(make([]byte, 30)))
	fill(t, c, "b", nil, string(make([]byte, 30)))
	fill(t, c, "c", nil, string(make([]byte, 30)))
	fill(t, c, "too big", nil, string(make([]byte, 50))) // over max_entry_size 30: not kept
	if s := c.Stats(); s.Entries != 3 {
		t.Fatalf("before: %+v, want 3 entries", s)
	}
	c.Resize(70, 60)
	if s := c.Stats(); s.Entries != 2 || s.Bytes > 70 {
		t.Fatalf("after shrinking to 70 bytes: %+v, want the 2 most recent entries", s)
	}
	if got, _ := c.Lookup(context.Background(), "a", nil, time.Minute); got != nil {
		t.Error("the least recently used entry survived the shrink")
	}
	if c.MaxEntry() != 60 {
		t.Errorf("MaxEntry = %d, want 60", c.MaxEntry())
	}
	fill(t, c, "big", nil, string(make([]byte, 50)))
	if got, _ := c.Lookup(context.Background(), "big", nil, time.Minute); len(got) != 50 {
		t.Error("a 50-byte answer was not kept after max_entry_size went up to 60")
	}
}

// Many readers missing at once cause one fill; the rest get its data.
func TestSingleFlight(t *testing.T) {
	c := New(1<<20, 1<<10)
	var fills atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got, f := c.Lookup(context.Background(), "k", []string{"blog.t"}, time.Minute)
			if f != nil {
				fills.Add(1)
				time.Sleep(20 * time.Millisecond) // the query
				f.Complete([]byte("v"), true)
				return
			}
			if string(got) != "v" {
				t.Errorf("waiter got %q", got)
			}
		}()
	}
	close(start)
	wg.Wait()
	if fills.Load() != 1 {
		t.Fatalf("%d fills for one key, want 1", fills.Load())
	}
}

func TestAbandonedFillLetsAWaiterFill(t *testing.T) {
	c := New(1<<20, 1<<10)
	_, f := c.Lookup(context.Background(), "k", nil, time.Minute)
	done := make(chan *Fill)
	go func() {
		_, f2 := c.Lookup(context.Background(), "k", nil, time.Minute)
		done <- f2
	}()
	time.Sleep(10 * time.Millisecond)
	f.Abandon()
	if f2 := <-done; f2 == nil {
		t.Fatal("waiter of a failed fill did not become the filler")
	} else {
		f2.Abandon()
	}
}

// A write to a table's source — a parent whose foreign key cascades to
// it, a table whose trigger writes it — drops the table's entries, and so
// does a write to its source's source; unrelated tables keep theirs.
func TestWriteToASourceInvalidatesItsDependents(t *testing.T) {
	for _, tc := range []struct {
		name    string
		written string
		dropped map[string]bool
	}{
		{"the table itself", "blog.comments", map[string]bool{"comments": true}},
		{"its parent", "blog.entries", map[string]bool{"comments": true, "entries": true}},
		{"its parent's parent", "blog.users", map[string]bool{"comments": true, "entries": true}},
		{"a trigger's table", "blog.audit", map[string]bool{"comments": true}},
		{"a table nobody depends on", "blog.tags", map[string]bool{"tags": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(1<<20, 1<<10)
			c.Learned("blog.comments", []string{"blog.entries", "blog.audit"})
			c.Learned("blog.entries", []string{"blog.users"})
			if got := c.Unlearned([]string{"blog.comments", "blog.entries", "blog.tags"}); len(got) != 1 || got[0] != "blog.tags" {
				t.Fatalf("Unlearned = %v", got)
			}
			if !c.Tracks("blog.users") {
				t.Fatal("a source's writes are not tracked: their GTID would not hold back the next fill")
			}
			for _, name := range []string{"comments", "entries", "tags"} {
				fill(t, c, name, []string{"blog." + name}, name)
			}
			c.Invalidate([]string{tc.written})
			for _, name := range []string{"comments", "entries", "tags"} {
				got, f := c.Lookup(context.Background(), name, []string{"blog." + name}, time.Minute)
				if (got == nil) != tc.dropped[name] {
					t.Errorf("after a write to %s, entry %s: %q, want dropped %v", tc.written, name, got, tc.dropped[name])
				}
				if f != nil {
					f.Abandon()
				}
			}
		})
	}
}

// After a schema change the sources are learned again, but what was
// learned before still invalidates: entries cached before the change
// would otherwise miss a write to their old source until relearned.
func TestForgetSourcesKeepsWhatWasLearned(t *testing.T) {
	c := New(1<<20, 1<<10)
	c.Learned("blog.comments", []string{"blog.entries"})
	fill(t, c, "k", []string{"blog.comments"}, "rows")
	c.ForgetSources()
	if got := c.Unlearned([]string{"blog.comments"}); len(got) != 1 {
		t.Fatalf("after ForgetSources, Unlearned = %v", got)
	}
	c.Invalidate([]string{"blog.entries"})
	if got, f := c.Lookup(context.Background(), "k", []string{"blog.comments"}, time.Minute); got != nil {
		t.Error("a write to the old source left the entry")
	} else {
		f.Abandon()
	}
}

// Sources learned a while ago are read again: a foreign key added straight
// on the primary, which Strata did not see, is found by then.
func TestSourcesAreLearnedAgainAfterAWhile(t *testing.T) {
	c := New(1<<20, 1<<10)
	c.Learned("blog.comments", nil)
	if got := c.Unlearned([]string{"blog.comments"}); len(got) != 0 {
		t.Fatalf("just learned, Unlearned = %v", got)
	}
	c.learned["blog.comments"] = time.Now().Add(-SourcesMaxAge - time.Second)
	if got := c.Unlearned([]string{"blog.comments"}); len(got) != 1 {
		t.Fatalf("learned %s ago, Unlearned = %v", SourcesMaxAge+time.Second, got)
	}
}

// Flush drops every entry, and a fill that started before it is not
// stored: its answer may predate the change the flush is for.
func TestFlush(t *testing.T) {
	c := New(1<<20, 1<<10)
	fill(t, c, "a", []string{"blog.t"}, "A")
	fill(t, c, "b", []string{"blog.u"}, "B")
	_, running := c.Lookup(context.Background(), "c", []string{"blog.v"}, time.Minute)
	if n := c.Flush(); n != 2 {
		t.Fatalf("Flush dropped %d entries, want 2", n)
	}
	running.Complete([]byte("C"), true)
	for _, key := range []string{"a", "b", "c"} {
		got, f := c.Lookup(context.Background(), key, []string{"blog." + map[string]string{"a": "t", "b": "u", "c": "v"}[key]}, time.Minute)
		if got != nil {
			t.Errorf("entry %s survived the flush: %q", key, got)
		}
		if f != nil {
			f.Abandon()
		}
	}
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 {
		t.Errorf("after Flush: %+v", s)
	}
}

func TestSources(t *testing.T) {
	c := New(1<<20, 1<<10)
	c.Learned("blog.comments", []string{"blog.entries", "blog.audit"})
	c.Learned("blog.tags", nil)
	got := c.Sources()
	if len(got) != 2 || strings.Join(got["blog.comments"], ",") != "blog.audit,blog.entries" || len(got["blog.tags"]) != 0 {
		t.Fatalf("Sources = %v", got)
	}
}
