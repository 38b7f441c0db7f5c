package shard

import (
	"context"
	"fmt"
)

// Modulo shards by key mod N: key % N == i goes to Shards[i]. This reads a
// hand-sharded "interlaced rows" layout as it is. Negative keys use the
// Euclidean remainder (always 0..N-1), unlike MySQL's %, which keeps the
// dividend's sign; AUTO_INCREMENT keys are never negative.
type Modulo struct {
	base
}

// NewModulo builds a modulo method over shards, in remainder order.
func NewModulo(table, key string, shards []string) (*Modulo, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("table %s: modulo needs at least one shard", table)
	}
	seen := map[string]bool{}
	for _, s := range shards {
		if s == "" || seen[s] {
			return nil, fmt.Errorf("table %s: modulo shard list %q has an empty or repeated name", table, shards)
		}
		seen[s] = true
	}
	return &Modulo{base{table: table, key: key, shards: append([]string(nil), shards...)}}, nil
}

// Name implements Method.
func (m *Modulo) Name() string { return MethodModulo }

// Ordered implements Method: consecutive keys alternate between shards.
func (m *Modulo) Ordered() bool { return false }

// ShardFor implements Method.
func (m *Modulo) ShardFor(v Value) (string, error) {
	k, err := v.asInt()
	if err != nil {
		return "", m.errf("%w", err)
	}
	return m.shards[m.remainder(k)], nil
}

func (m *Modulo) remainder(k intKey) int {
	n := int64(len(m.shards))
	if k.big {
		return int(k.u % uint64(n))
	}
	r := k.i % n
	if r < 0 {
		r += n
	}
	return int(r)
}

// ShardForContext implements Method.
func (m *Modulo) ShardForContext(_ context.Context, v Value) (string, error) {
	return m.ShardFor(v)
}

// ShardsForRange implements Method: a range of keys touches every shard,
// unless it is a single key.
func (m *Modulo) ShardsForRange(lo, hi Bound) ([]string, error) {
	return scatterRange(m, lo, hi)
}

// scatterRange is ShardsForRange for unordered methods: no shards for a
// NULL bound, one shard when lo == hi both inclusive, else all.
func scatterRange(m Method, lo, hi Bound) ([]string, error) {
	if lo.nullBound() || hi.nullBound() {
		return nil, nil
	}
	if lo.Kind == Inclusive && hi.Kind == Inclusive && lo.Value == hi.Value {
		s, err := m.ShardFor(lo.Value)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	return m.Shards(), nil
}
