package shard

import (
	"errors"
	"math"
	"testing"

	"github.com/strata-proxy/strata/engine"
)

// TestHashKeyStable pins the hash: changing it would move every row of
// every hash-sharded table.
func TestHashKeyStable(t *testing.T) {
	tests := []struct {
		v    Value
		want uint64
	}{
		{Int(1), 0x6b86b273ff34fce1},      // sha256("1")
		{String("1"), 0x6b86b273ff34fce1}, // same canonical bytes as Int(1)
		{String("abc"), 0xba7816bf8f01cfea},
		{String(""), 0xe3b0c44298fc1c14},
	}
	for _, tt := range tests {
		got, err := HashKey(tt.v)
		if err != nil || got != tt.want {
			t.Errorf("HashKey(%v) = %#x, %v; want %#x", tt.v, got, err, tt.want)
		}
	}
	if _, err := HashKey(Null()); !errors.Is(err, ErrNullKey) {
		t.Errorf("HashKey(NULL) error = %v", err)
	}
}

func TestHashShardFor(t *testing.T) {
	h, err := NewHash("entries", "id", map[string]string{"s0": "-40", "s1": "40-80", "s2": "80-c000", "s3": "c000-"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		v    Value
		want string
	}{
		{Int(1), "s1"},        // 0x6b..
		{String("abc"), "s2"}, // 0xba..
		{String(""), "s3"},    // 0xe3..
	}
	for _, tt := range tests {
		got, err := h.ShardFor(tt.v)
		if err != nil || got != tt.want {
			t.Errorf("ShardFor(%v) = %q, %v; want %q", tt.v, got, err, tt.want)
		}
	}
}

// With key_collation, text keys the server finds equal are placed on one
// shard, integers as without it.
func TestHashFoldsTextKeys(t *testing.T) {
	fold, err := engine.KeyFold("utf8mb4_general_ci")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New("members", Config{ShardKey: "name", Method: MethodHash, Ranges: map[string]string{"s0": "-40", "s1": "40-80", "s2": "80-c0", "s3": "c0-"}, Fold: fold})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := NewHash("members", "name", map[string]string{"s0": "-40", "s1": "40-80", "s2": "80-c0", "s3": "c0-"})
	for _, same := range [][]string{{"Zoe", "zoe", "ZOE ", "zoe  "}, {"Émile", "emile", "EMILE"}, {"straße", "STRAßE"}} {
		want, _ := m.ShardFor(String(same[0]))
		for _, k := range same[1:] {
			if got, err := m.ShardFor(String(k)); err != nil || got != want {
				t.Errorf("%q on %s, %q on %s (%v): want one shard", same[0], want, k, got, err)
			}
		}
	}
	spread := map[string]bool{}
	for _, k := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"} {
		s, _ := m.ShardFor(String(k))
		spread[s] = true
	}
	if len(spread) < 3 {
		t.Errorf("ten names on %d shards: folding must keep the spread", len(spread))
	}
	for _, v := range []Value{Int(42), Int(-7)} {
		a, _ := m.ShardFor(v)
		b, _ := plain.ShardFor(v)
		if a != b {
			t.Errorf("%v: %s with key_collation, %s without; integers do not fold", v, a, b)
		}
	}
	if _, err := New("members", Config{ShardKey: "name", Method: MethodModulo, Shards: []string{"s0"}, Fold: fold}); err == nil {
		t.Error("key_collation accepted for modulo")
	}
}

// Without key_collation a text key is placed by its bytes up to its
// trailing spaces: MariaDB's PAD SPACE collations (_bin too) compare
// 'bob' and 'bob ' as one value, and a CHAR column stores 'bob ' as
// 'bob', so a read of either must reach the row. Other bytes count.
func TestHashPlacesTextKeysWithoutTrailingSpaces(t *testing.T) {
	h, _ := NewHash("members", "name", map[string]string{"s0": "-40", "s1": "40-80", "s2": "80-c0", "s3": "c0-"})
	differ := 0
	for _, k := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "", "a b"} {
		want, _ := h.ShardFor(String(k))
		for _, spaced := range []string{k + " ", k + "    "} {
			if got, err := h.ShardFor(String(spaced)); err != nil || got != want {
				t.Errorf("%q on %s, %q on %s (%v): want one shard", k, want, spaced, got, err)
			}
		}
		if other, _ := h.ShardFor(String(" " + k + "\t")); other != want {
			differ++
		}
	}
	if differ == 0 {
		t.Error("leading spaces and tabs moved no key: only trailing spaces may be dropped")
	}
}

func TestHashSpreadsKeys(t *testing.T) {
	h, _ := NewHash("entries", "id", map[string]string{"s0": "-80", "s1": "80-"})
	counts := map[string]int{}
	for i := int64(0); i < 10000; i++ {
		s, err := h.ShardFor(Int(i))
		if err != nil {
			t.Fatal(err)
		}
		counts[s]++
	}
	if counts["s0"] < 4500 || counts["s1"] < 4500 {
		t.Errorf("hash split 10000 keys as %v, want about half each", counts)
	}
}

func TestKeyspacePrefix(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		show string
	}{
		{"80", 0x8000000000000000, "80"},
		{"4000", 0x4000000000000000, "40"},
		{"c0ff", 0xc0ff000000000000, "c0ff"},
		{"ffffffffffffffff", math.MaxUint64, "ffffffffffffffff"},
		{"00", 0, "00"},
	}
	for _, tt := range tests {
		got, err := parseKeyspacePrefix(tt.in)
		if err != nil || got != tt.want || showKeyspacePrefix(got) != tt.show {
			t.Errorf("parseKeyspacePrefix(%q) = %#x, %v (shown %q); want %#x, %q",
				tt.in, got, err, showKeyspacePrefix(got), tt.want, tt.show)
		}
	}
	for _, bad := range []string{"8", "0123456789abcdef01", "gg"} {
		if _, err := parseKeyspacePrefix(bad); err == nil {
			t.Errorf("parseKeyspacePrefix(%q) accepted", bad)
		}
	}
}

func TestHashSingleShard(t *testing.T) {
	h, err := NewHash("entries", "id", map[string]string{"only": "-"})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := h.ShardFor(String("x")); err != nil || s != "only" {
		t.Errorf("ShardFor = %q, %v", s, err)
	}
}
