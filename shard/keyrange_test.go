package shard

import (
	"errors"
	"slices"
	"testing"

	"github.com/strata-proxy/strata/engine"
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

// With key_collation a key_range compares keys and bounds as the server
// does: capitals sort among their letters, not below "a".
func TestCollatedKeyRange(t *testing.T) {
	c, err := engine.ExactCollation("utf8mb4_general_ci")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New("members", Config{ShardKey: "name", Method: MethodKeyRange, Ranges: map[string]string{"s0": "..n", "s1": "n.."}, Collate: c.Compare})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := NewKeyRange("members", "name", map[string]string{"s0": "..n", "s1": "n.."})
	for key, want := range map[string]string{"alice": "s0", "ALICE": "s0", "Nancy": "s1", "nancy": "s1", "Zed": "s1", "émile": "s0", "N": "s1"} {
		if got, err := m.ShardFor(String(key)); err != nil || got != want {
			t.Errorf("%q: %s (%v), want %s", key, got, err, want)
		}
	}
	if got, _ := plain.ShardFor(String("Nancy")); got != "s0" {
		t.Errorf("by bytes 'Nancy' is below \"n\": %s", got)
	}
	// A range in collation order: 'O' <= key < 'p' lies above "n".
	if got, err := m.ShardsForRange(Incl(String("O")), Excl(String("p"))); err != nil || len(got) != 1 || got[0] != "s1" {
		t.Errorf("range O..p: %v, %v; want s1", got, err)
	}
	if !m.(*KeyRange).Collated() || plain.Collated() {
		t.Error("Collated does not tell the two apart")
	}
}
