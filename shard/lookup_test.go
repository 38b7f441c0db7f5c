package shard

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// mapLookup is a Lookup over a map keyed by canonical key text; key
// "fail" makes it return an I/O error.
type mapLookup map[string]string

func (m mapLookup) Shard(ctx context.Context, table string, key Value) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	k := string(key.Canonical())
	if k == "fail" {
		return "", false, errors.New("connection reset")
	}
	if table == "order_customer" && k == "42" {
		return "s1", true, nil
	}
	s, ok := m[k]
	return s, ok, nil
}

func TestLookupMethod(t *testing.T) {
	lk := mapLookup{"7": "s0"}
	m, err := NewLookupMethod("orders", Config{ShardKey: "customer_id", LookupTable: "order_customer",
		Lookup: lk, Shards: []string{"s0", "s1"}})
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		ctx     context.Context
		v       Value
		want    string
		wantErr error
	}{
		{context.Background(), Int(7), "s0", nil},
		{context.Background(), String("42"), "s1", nil},
		{context.Background(), Int(8), "", ErrNotFound},
		{context.Background(), Null(), "", ErrNullKey},
		{canceled, Int(7), "", context.Canceled},
	}
	for _, tt := range tests {
		got, err := m.ShardForContext(tt.ctx, tt.v)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("ShardForContext(%v) = %q, %v; want %q, %v", tt.v, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := m.ShardFor(String("fail")); err == nil {
		t.Errorf("lookup I/O error was swallowed")
	}
	got, err := m.ShardsForRange(Incl(Int(1)), Incl(Int(9)))
	if err != nil || !slices.Equal(got, []string{"s0", "s1"}) {
		t.Errorf("ShardsForRange = %v, %v", got, err)
	}
	noList, _ := NewLookupMethod("orders", Config{ShardKey: "customer_id", LookupTable: "lt", Lookup: lk})
	if _, err := noList.ShardsForRange(Bound{}, Bound{}); err == nil {
		t.Errorf("ShardsForRange without a shard list accepted")
	}
}
