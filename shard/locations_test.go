package shard

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

func locKey(v int) LocationKey {
	return LocationKey{Table: "comments", Column: "id", Value: fmt.Sprint(v)}
}

func TestLocationsRememberAndForget(t *testing.T) {
	l := NewLocations(100)
	if _, ok := l.Lookup(locKey(1)); ok {
		t.Fatal("an empty Locations knows a row")
	}
	l.Learn(locKey(1), "shard_a")
	l.Learn(LocationKey{Table: "posts", Column: "id", Value: "1"}, "shard_b")
	if got, ok := l.Lookup(locKey(1)); !ok || got != "shard_a" {
		t.Fatalf("Lookup = %q, %v; want shard_a", got, ok)
	}
	l.Learn(locKey(1), "shard_c") // the row moved
	if got, _ := l.Lookup(locKey(1)); got != "shard_c" {
		t.Fatalf("after a move Lookup = %q, want shard_c", got)
	}
	l.Forget(locKey(1))
	if _, ok := l.Lookup(locKey(1)); ok {
		t.Fatal("a forgotten location is still known")
	}
	if got, _ := l.Lookup(LocationKey{Table: "posts", Column: "id", Value: "1"}); got != "shard_b" {
		t.Fatalf("another table's value: Lookup = %q, want shard_b", got)
	}
}

// TestLocationsLookupEach: the shards of several rows, each once, and
// none where one row's shard is not known.
func TestLocationsLookupEach(t *testing.T) {
	l := NewLocations(100)
	l.Learn(locKey(1), "shard_a")
	l.Learn(locKey(2), "shard_b")
	l.Learn(locKey(3), "shard_a")
	tests := []struct {
		keys   []LocationKey
		want   []string
		wantOK bool
	}{
		{[]LocationKey{locKey(1), locKey(2), locKey(3)}, []string{"shard_a", "shard_b"}, true},
		{[]LocationKey{locKey(3), locKey(1)}, []string{"shard_a"}, true},
		{[]LocationKey{locKey(1), locKey(4)}, nil, false},
		{nil, nil, false},
	}
	for _, tt := range tests {
		got, ok := l.LookupEach(tt.keys)
		if ok != tt.wantOK || !slices.Equal(got, tt.want) {
			t.Errorf("LookupEach(%v) = %v, %v; want %v, %v", tt.keys, got, ok, tt.want, tt.wantOK)
		}
	}
	var none *Locations
	if _, ok := none.LookupEach([]LocationKey{locKey(1)}); ok {
		t.Error("a nil Locations knows rows")
	}
}

func TestLocationsAreBounded(t *testing.T) {
	tests := []struct {
		max, learn int
	}{
		{max: 10, learn: 1000},
		{max: 1, learn: 5},
		{max: 0, learn: 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			l := NewLocations(tt.max)
			for i := range tt.learn {
				l.Learn(locKey(i), "a")
				if n := l.Len(); n > tt.max {
					t.Fatalf("after %d learned: %d held, max %d", i+1, n, tt.max)
				}
			}
			if tt.max == 0 {
				return
			}
			if _, ok := l.Lookup(locKey(tt.learn - 1)); !ok {
				t.Fatal("the latest location was forgotten")
			}
		})
	}
}

// TestLocationsKeepWhatIsUsed: a location looked up survives the turns
// that drop those learned at the same time and not used since.
func TestLocationsKeepWhatIsUsed(t *testing.T) {
	l := NewLocations(8)
	for i := range 4 {
		l.Learn(locKey(i), "a")
	}
	for i := 4; i < 12; i++ {
		l.Lookup(locKey(0))
		l.Learn(locKey(i), "a")
	}
	if _, ok := l.Lookup(locKey(0)); !ok {
		t.Fatal("a location used all along was dropped")
	}
	if _, ok := l.Lookup(locKey(1)); ok {
		t.Fatal("a location unused for two turns is still held")
	}
}

func TestLocationsShrinkAndNil(t *testing.T) {
	l := NewLocations(10)
	l.Learn(locKey(1), "a")
	l.Clear()
	if _, ok := l.Lookup(locKey(1)); ok {
		t.Fatal("a location survived Clear")
	}
	l.Learn(locKey(1), "a")
	l.SetMax(0)
	if _, ok := l.Lookup(locKey(1)); ok {
		t.Fatal("locations survived max 0")
	}
	l.Learn(locKey(1), "a")
	if l.Len() != 0 {
		t.Fatal("max 0 learned a location")
	}
	var none *Locations
	none.Learn(locKey(1), "a")
	none.Forget(locKey(1))
	if _, ok := none.Lookup(locKey(1)); ok || none.Len() != 0 {
		t.Fatal("a nil Locations knows a row")
	}
}

func TestLocationsConcurrently(t *testing.T) {
	l := NewLocations(64)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				k := locKey(g*1000 + i%100)
				l.Learn(k, "a")
				l.Lookup(k)
				if i%7 == 0 {
					l.Forget(k)
				}
			}
		}()
	}
	wg.Wait()
	if n := l.Len(); n > 64 {
		t.Fatalf("%d held, max 64", n)
	}
}
