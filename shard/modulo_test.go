package shard

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestModuloShardFor(t *testing.T) {
	m, err := NewModulo("comments", "entry_id", []string{"s0", "s1", "s2"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		v    Value
		want string
	}{
		{Int(0), "s0"},
		{Int(1), "s1"},
		{Int(2), "s2"},
		{Int(3), "s0"},
		{Int(1000), "s1"},
		{Int(-1), "s2"}, // Euclidean remainder
		{String("7"), "s1"},
		{Uint(math.MaxUint64), "s0"}, // 18446744073709551615 % 3 == 0
		{Uint(math.MaxInt64 + 1), "s2"},
	}
	for _, tt := range tests {
		got, err := m.ShardFor(tt.v)
		if err != nil || got != tt.want {
			t.Errorf("ShardFor(%v) = %q, %v; want %q", tt.v, got, err, tt.want)
		}
	}
}

func TestModuloErrors(t *testing.T) {
	m, _ := NewModulo("comments", "entry_id", []string{"s0", "s1"})
	tests := []struct {
		v    Value
		want error
	}{
		{Null(), ErrNullKey},
		{String("abc"), ErrKeyType},
		{Time(someTime), ErrKeyType},
	}
	for _, tt := range tests {
		if _, err := m.ShardFor(tt.v); !errors.Is(err, tt.want) {
			t.Errorf("ShardFor(%v) error = %v, want %v", tt.v, err, tt.want)
		}
	}
}

func TestUnorderedShardsForRange(t *testing.T) {
	mod, _ := NewModulo("c", "id", []string{"s0", "s1", "s2"})
	hash, _ := NewHash("e", "id", map[string]string{"s0": "-80", "s1": "80-"})
	one, _ := hash.ShardFor(Int(5))
	tests := []struct {
		m      Method
		lo, hi Bound
		want   []string
	}{
		{mod, Incl(Int(1)), Incl(Int(10)), []string{"s0", "s1", "s2"}},
		{mod, Bound{}, Bound{}, []string{"s0", "s1", "s2"}},
		{mod, Incl(Int(4)), Incl(Int(4)), []string{"s1"}},
		{mod, Incl(Null()), Bound{}, nil},
		{hash, Excl(Int(1)), Bound{}, []string{"s0", "s1"}},
		{hash, Incl(Int(5)), Incl(Int(5)), []string{one}},
		{hash, Bound{}, Excl(Null()), nil},
	}
	for _, tt := range tests {
		got, err := tt.m.ShardsForRange(tt.lo, tt.hi)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s.ShardsForRange(%v, %v) = %v, %v; want %v", tt.m.Name(), tt.lo, tt.hi, got, err, tt.want)
		}
	}
}
