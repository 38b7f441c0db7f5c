package querystats

import (
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	selectByID = Key{Digest: "select c from sbtest1 where id = ?", Schema: "sbtest", User: "app", Route: "primary", Server: "127.0.0.1:13307"}
	update     = Key{Digest: "update sbtest1 set k = k + ? where id = ?", Schema: "sbtest", User: "app", Route: "primary", Server: "127.0.0.1:13306"}
)

func on(k Key, route, server string) Key {
	k.Route, k.Server = route, server
	return k
}

func TestRecordAggregatesPerShapeAndRoute(t *testing.T) {
	s := New(100)
	replica := on(selectByID, "comments", "127.0.0.1:13308")
	s.Record(replica, Outcome{Duration: 2 * time.Millisecond, Failed: false})
	s.Record(replica, Outcome{Duration: 4 * time.Millisecond, Failed: true})
	s.Record(replica, Outcome{Duration: 6 * time.Millisecond, Failed: false})
	s.Record(update, Outcome{Duration: time.Millisecond, Failed: false})
	snap := s.Snapshot(Query{})
	if len(snap.Rows) != 2 {
		t.Fatalf("%d rows, want 2 (one per shape and route): %+v", len(snap.Rows), snap.Rows)
	}
	r := snap.Rows[0] // most total time first
	if r.Key != replica {
		t.Fatalf("first row %+v, want the select on the comments pool", r.Key)
	}
	want := Row{Key: replica, Count: 3, Errors: 1, TotalMs: 12, AvgMs: 4, MinMs: 2, MaxMs: 6}
	if r.Count != want.Count || r.Errors != want.Errors || r.TotalMs != want.TotalMs || r.AvgMs != want.AvgMs || r.MinMs != want.MinMs || r.MaxMs != want.MaxMs {
		t.Fatalf("row %+v, want counts %+v", r, want)
	}
	if r.FirstSeen.IsZero() || r.LastSeen.Before(r.FirstSeen) {
		t.Fatalf("first/last seen %v / %v", r.FirstSeen, r.LastSeen)
	}
	// The same shape on another route is a row of its own: the operator
	// sees where each statement went.
	s.Record(on(selectByID, "primary", "127.0.0.1:13306"), Outcome{Duration: time.Millisecond, Failed: false})
	if n := len(s.Snapshot(Query{Contains: "SELECT C FROM"}).Rows); n != 2 {
		t.Fatalf("%d rows for the select, want 2 (replica pool and primary)", n)
	}
}

func TestRowsSentAndAffectedAddUp(t *testing.T) {
	s := New(10)
	s.Record(selectByID, Outcome{Duration: time.Millisecond, Rows: 3})
	s.Record(selectByID, Outcome{Duration: time.Millisecond, Rows: 4})
	s.Record(update, Outcome{Duration: time.Millisecond, Affected: 2})
	rows := s.Snapshot(Query{Order: "rows"}).Rows
	if len(rows) != 2 || rows[0].Key != selectByID || rows[0].Rows != 7 || rows[1].Affected != 2 || rows[1].Rows != 0 {
		t.Fatalf("rows %+v; want the select first with 7 rows sent, the update with 2 affected", rows)
	}
}

func TestSnapshotOrdersFiltersAndLimits(t *testing.T) {
	s := New(100)
	keys := []Key{on(selectByID, "p", "a"), on(selectByID, "p", "b"), on(selectByID, "p", "c")}
	// a: many fast; b: one slow; c: few with errors, last.
	for range 10 {
		s.Record(keys[0], Outcome{Duration: time.Millisecond, Failed: false})
	}
	s.Record(keys[1], Outcome{Duration: 50 * time.Millisecond, Failed: false})
	s.Record(keys[2], Outcome{Duration: 2 * time.Millisecond, Failed: true})
	s.Record(keys[2], Outcome{Duration: 2 * time.Millisecond, Failed: true})
	cases := []struct {
		order string
		first string // server of the first row
	}{
		{"", "b"}, {"total", "b"}, {"count", "a"}, {"avg", "b"}, {"max", "b"}, {"errors", "c"}, {"last", "c"},
	}
	for _, c := range cases {
		t.Run("order "+c.order, func(t *testing.T) {
			rows := s.Snapshot(Query{Order: c.order}).Rows
			if len(rows) != 3 || rows[0].Server != c.first {
				t.Fatalf("first row %+v, want server %s", rows[0].Key, c.first)
			}
		})
	}
	if rows := s.Snapshot(Query{Order: "count", Limit: 2}).Rows; len(rows) != 2 || rows[1].Server != "c" {
		t.Fatalf("limit 2 by count: %+v", rows)
	}
	if rows := s.Snapshot(Query{Contains: "UPDATE"}).Rows; len(rows) != 0 {
		t.Fatalf("filter on a digest no row has: %+v", rows)
	}
	for _, o := range append([]string{""}, Orders...) {
		if !ValidOrder(o) {
			t.Errorf("ValidOrder(%q) = false", o)
		}
	}
	if ValidOrder("bogus") {
		t.Error("ValidOrder(bogus) = true")
	}
}

func TestFullStoreCountsDropped(t *testing.T) {
	s := New(2)
	s.Record(on(selectByID, "p", "a"), Outcome{Duration: time.Millisecond, Failed: false})
	s.Record(on(selectByID, "p", "b"), Outcome{Duration: time.Millisecond, Failed: false})
	s.Record(on(selectByID, "p", "c"), Outcome{Duration: time.Millisecond, Failed: false}) // a third shape: no room
	s.Record(on(selectByID, "p", "a"), Outcome{Duration: time.Millisecond, Failed: false}) // a known one still counts
	snap := s.Snapshot(Query{})
	if len(snap.Rows) != 2 || snap.Dropped != 1 || snap.Limit != 2 {
		t.Fatalf("rows %d, dropped %d, limit %d; want 2, 1, 2", len(snap.Rows), snap.Dropped, snap.Limit)
	}
	before := snap.Since
	time.Sleep(time.Millisecond)
	s.Reset()
	snap = s.Snapshot(Query{})
	if len(snap.Rows) != 0 || snap.Dropped != 0 || !snap.Since.After(before) {
		t.Fatalf("after Reset: %+v", snap)
	}
	s.Record(on(selectByID, "p", "c"), Outcome{Duration: time.Millisecond, Failed: false})
	if len(s.Snapshot(Query{}).Rows) != 1 {
		t.Fatal("Reset made no room")
	}
}

// A reload that changes limits.max_query_digests moves the bound of the
// running store: a raised one makes room at once, a lowered one keeps the
// rows there and takes no new shape until they are fewer.
func TestSetLimitMovesTheBound(t *testing.T) {
	s := New(1)
	s.Record(on(selectByID, "p", "a"), Outcome{Duration: time.Millisecond})
	s.Record(on(selectByID, "p", "b"), Outcome{Duration: time.Millisecond}) // full
	s.SetLimit(3)
	s.Record(on(selectByID, "p", "b"), Outcome{Duration: time.Millisecond})
	s.Record(on(selectByID, "p", "c"), Outcome{Duration: time.Millisecond})
	if snap := s.Snapshot(Query{}); len(snap.Rows) != 3 || snap.Limit != 3 || snap.Dropped != 1 {
		t.Fatalf("after raising to 3: rows %d, limit %d, dropped %d; want 3, 3, 1", len(snap.Rows), snap.Limit, snap.Dropped)
	}
	s.SetLimit(1)
	s.Record(on(selectByID, "p", "d"), Outcome{Duration: time.Millisecond}) // a new shape: no room
	s.Record(on(selectByID, "p", "a"), Outcome{Duration: time.Millisecond}) // a kept one still counts
	snap := s.Snapshot(Query{})
	if len(snap.Rows) != 3 || snap.Limit != 1 || snap.Dropped != 2 {
		t.Fatalf("after lowering to 1: rows %d, limit %d, dropped %d; want 3, 1, 2", len(snap.Rows), snap.Limit, snap.Dropped)
	}
}

func TestLongDigestIsCutOnACharacterBoundary(t *testing.T) {
	s := New(10)
	long := "select " + strings.Repeat("é", MaxDigestLen) // 2-byte characters
	k := selectByID
	k.Digest = long
	s.Record(k, Outcome{Duration: time.Millisecond, Failed: false})
	k.Digest = long + " and more"
	s.Record(k, Outcome{Duration: time.Millisecond, Failed: false})
	rows := s.Snapshot(Query{}).Rows
	if len(rows) != 1 || rows[0].Count != 2 {
		t.Fatalf("statements alike in their first %d bytes should share a row: %+v", MaxDigestLen, rows)
	}
	d := rows[0].Digest
	if !strings.HasSuffix(d, "…") || len(d) > MaxDigestLen+len("…") || !strings.HasPrefix(long, strings.TrimSuffix(d, "…")) {
		t.Fatalf("cut digest %q…", d[:20])
	}
	if !utf8Valid(d) {
		t.Fatal("cut digest is not valid UTF-8")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestNilStoreRecordsNothing(t *testing.T) {
	var s *Store
	s.Record(selectByID, Outcome{Duration: time.Millisecond, Failed: false})
	s.Reset()
	if snap := s.Snapshot(Query{}); len(snap.Rows) != 0 {
		t.Fatal("a nil store has rows")
	}
}

func TestConcurrentRecordsAllCount(t *testing.T) {
	s := New(100)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				s.Record(on(selectByID, "p", string(rune('a'+i%3))), Outcome{Duration: time.Duration(g+1) * time.Microsecond, Failed: i%10 == 0})
			}
		}()
	}
	wg.Wait()
	var count, errs uint64
	var maxMs float64
	for _, r := range s.Snapshot(Query{}).Rows {
		count += r.Count
		errs += r.Errors
		maxMs = max(maxMs, r.MaxMs)
	}
	if count != 8000 || errs != 800 || maxMs != 0.008 {
		t.Fatalf("count %d errors %d max %.3f ms; want 8000, 800, 0.008", count, errs, maxMs)
	}
}

// Record runs on every statement: its cost is part of Strata's per-query
// overhead (compare with the ~20 µs a relayed point select costs Strata).
func BenchmarkRecord(b *testing.B) {
	s := New(100)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Record(selectByID, Outcome{Duration: time.Millisecond, Failed: false})
		}
	})
}
