package shard

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

var someTime = time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)

func threeRanges(t *testing.T) *Range {
	t.Helper()
	r, err := NewRange("events", "id", map[string]string{"s0": "..1000", "s1": "1000..2000", "s2": "2000.."})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRangeShardFor(t *testing.T) {
	r := threeRanges(t)
	tests := []struct {
		v    Value
		want string
	}{
		{Int(math.MinInt64), "s0"},
		{Int(-1), "s0"},
		{Int(999), "s0"},
		{Int(1000), "s1"},
		{Int(1999), "s1"},
		{Int(2000), "s2"},
		{Int(math.MaxInt64), "s2"},
		{Uint(math.MaxUint64), "s2"},
		{String("1500"), "s1"},
	}
	for _, tt := range tests {
		got, err := r.ShardFor(tt.v)
		if err != nil || got != tt.want {
			t.Errorf("ShardFor(%v) = %q, %v; want %q", tt.v, got, err, tt.want)
		}
	}
	for _, v := range []Value{Null(), String("x"), Time(someTime)} {
		if _, err := r.ShardFor(v); err == nil {
			t.Errorf("ShardFor(%v) accepted", v)
		}
	}
}

func TestRangeShardsForRange(t *testing.T) {
	r := threeRanges(t)
	all := []string{"s0", "s1", "s2"}
	tests := []struct {
		name   string
		lo, hi Bound
		want   []string
	}{
		{"unbounded", Bound{}, Bound{}, all},
		{"id >= 1000", Incl(Int(1000)), Bound{}, []string{"s1", "s2"}},
		{"id > 999", Excl(Int(999)), Bound{}, []string{"s1", "s2"}},
		{"id > 1000", Excl(Int(1000)), Bound{}, []string{"s1", "s2"}},
		{"id > 1999", Excl(Int(1999)), Bound{}, []string{"s2"}},
		{"id < 1000", Bound{}, Excl(Int(1000)), []string{"s0"}},
		{"id <= 1000", Bound{}, Incl(Int(1000)), []string{"s0", "s1"}},
		{"between 500 and 1500", Incl(Int(500)), Incl(Int(1500)), []string{"s0", "s1"}},
		{"between 1000 and 1999", Incl(Int(1000)), Incl(Int(1999)), []string{"s1"}},
		{"id = 1500", Incl(Int(1500)), Incl(Int(1500)), []string{"s1"}},
		{"empty: 5 < id < 6", Excl(Int(5)), Excl(Int(6)), nil},
		{"empty: lo > hi", Incl(Int(10)), Incl(Int(5)), nil},
		{"empty: id > 5 and id <= 5", Excl(Int(5)), Incl(Int(5)), nil},
		{"huge low", Incl(Uint(math.MaxUint64)), Bound{}, []string{"s2"}},
		{"huge high", Bound{}, Incl(Uint(math.MaxUint64)), all},
		{"id > maxint", Excl(Int(math.MaxInt64)), Bound{}, []string{"s2"}},
		{"string bound", Incl(String("1500")), Bound{}, []string{"s1", "s2"}},
		{"null", Incl(Null()), Bound{}, nil},
	}
	for _, tt := range tests {
		got, err := r.ShardsForRange(tt.lo, tt.hi)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: ShardsForRange = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := r.ShardsForRange(Incl(String("x")), Bound{}); !errors.Is(err, ErrKeyType) {
		t.Errorf("ShardsForRange('x') error = %v, want ErrKeyType", err)
	}
}

func TestRangeCapacity(t *testing.T) {
	r := threeRanges(t) // s1 is 1000 wide, s2 starts at 2000
	two, _ := NewRange("events", "id", map[string]string{"s0": "..1000000", "s1": "1000000.."})
	tests := []struct {
		r        *Range
		maxKey   int64
		warnAt   float64
		fraction float64
		warn     bool
	}{
		{r, 1999, 0, 0, false},     // last range still empty
		{r, 2499, 0, 0.5, false},   // 500 of 1000
		{r, 2799, 0, 0.8, true},    // default threshold 0.8
		{r, 2799, 0.9, 0.8, false}, // custom threshold
		{r, 3999, 0, 2, true},      // past the previous size
		{two, 1499999, 0, 0.5, false},
	}
	for _, tt := range tests {
		f, warn, err := tt.r.Capacity(tt.maxKey, tt.warnAt)
		if err != nil || math.Abs(f-tt.fraction) > 1e-9 || warn != tt.warn {
			t.Errorf("Capacity(%d, %v) = %v, %v, %v; want %v, %v", tt.maxKey, tt.warnAt, f, warn, err, tt.fraction, tt.warn)
		}
	}
	one, _ := NewRange("events", "id", map[string]string{"s0": ".."})
	if _, _, err := one.Capacity(5, 0); err == nil {
		t.Errorf("Capacity with one range accepted")
	}
	if _, _, err := Capacity(0, 5, 0, 0); err == nil {
		t.Errorf("Capacity with prevSize 0 accepted")
	}
}
