package shard

import (
	"errors"
	"slices"
	"testing"
)

func TestKeyRange(t *testing.T) {
	k, err := NewKeyRange("members", "username", map[string]string{"s0": "..g", "s1": "g..n", "s2": "n.."})
	if err != nil {
		t.Fatal(err)
	}
	shardTests := []struct {
		v    Value
		want string
	}{
		{String(""), "s0"},
		{String("alice"), "s0"},
		{String("g"), "s1"},
		{String("mallory"), "s1"},
		{String("n"), "s2"},
		{String("zed"), "s2"},
		{String("Zed"), "s0"}, // binary order: 'Z' < 'g'
		{String("ñandu"), "s2"},
	}
	for _, tt := range shardTests {
		got, err := k.ShardFor(tt.v)
		if err != nil || got != tt.want {
			t.Errorf("ShardFor(%v) = %q, %v; want %q", tt.v, got, err, tt.want)
		}
	}
	if _, err := k.ShardFor(Int(5)); !errors.Is(err, ErrKeyType) {
		t.Errorf("ShardFor(5) error = %v, want ErrKeyType", err)
	}
	rangeTests := []struct {
		lo, hi Bound
		want   []string
	}{
		{Incl(String("b")), Excl(String("g")), []string{"s0"}},
		{Incl(String("b")), Incl(String("g")), []string{"s0", "s1"}},
		{Excl(String("m")), Bound{}, []string{"s1", "s2"}},
		{Bound{}, Bound{}, []string{"s0", "s1", "s2"}},
		{Incl(String("x")), Incl(String("a")), nil},
	}
	for _, tt := range rangeTests {
		got, err := k.ShardsForRange(tt.lo, tt.hi)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ShardsForRange(%v, %v) = %v, %v; want %v", tt.lo, tt.hi, got, err, tt.want)
		}
	}
}
