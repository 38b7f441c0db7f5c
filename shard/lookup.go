package shard

import (
	"context"
	"fmt"
)

// Lookup reads a lookup table that maps shard keys to shards. Its I/O
// (a query against the lookup table, a cache) lives outside this package.
type Lookup interface {
	// Shard returns the shard holding key in lookupTable; found is false
	// when the table has no entry for key.
	Shard(ctx context.Context, lookupTable string, key Value) (shard string, found bool, err error)
}

// LookupMethod routes each key through a Lookup. Keys have no order, so a
// range of keys scatters to every shard in Config.Shards.
type LookupMethod struct {
	base
	lookupTable string
	lookup      Lookup
}

// NewLookupMethod builds a lookup method from c.LookupTable, c.Lookup and
// c.Shards (the shards to scatter to; may be empty when the table is only
// ever read by key, in which case ShardsForRange fails).
func NewLookupMethod(table string, c Config) (*LookupMethod, error) {
	if c.LookupTable == "" {
		return nil, fmt.Errorf("table %s: lookup method needs lookup_table", table)
	}
	if c.Lookup == nil {
		return nil, fmt.Errorf("table %s: lookup method has no Lookup reader", table)
	}
	return &LookupMethod{
		base:        base{table: table, key: c.ShardKey, shards: append([]string(nil), c.Shards...)},
		lookupTable: c.LookupTable,
		lookup:      c.Lookup,
	}, nil
}

// Name implements Method.
func (l *LookupMethod) Name() string { return MethodLookup }

// Ordered implements Method.
func (l *LookupMethod) Ordered() bool { return false }

// ShardFor implements Method with context.Background; callers that have a
// request context should use ShardForContext.
func (l *LookupMethod) ShardFor(v Value) (string, error) {
	return l.ShardForContext(context.Background(), v)
}

// ShardForContext implements Method: one read of the lookup table.
func (l *LookupMethod) ShardForContext(ctx context.Context, v Value) (string, error) {
	if v.IsNull() {
		return "", l.errf("%w", ErrNullKey)
	}
	shard, found, err := l.lookup.Shard(ctx, l.lookupTable, v)
	switch {
	case err != nil:
		return "", l.errf("lookup %s for %s: %w", l.lookupTable, v, err)
	case !found:
		return "", l.errf("%w: %s in %s", ErrNotFound, v, l.lookupTable)
	}
	return shard, nil
}

// ShardsForRange implements Method: every shard, as a lookup table keeps
// no key order. It does no I/O even for a single key.
func (l *LookupMethod) ShardsForRange(lo, hi Bound) ([]string, error) {
	if lo.nullBound() || hi.nullBound() {
		return nil, nil
	}
	if len(l.shards) == 0 {
		return nil, l.errf("lookup method has no shard list to scatter a range over")
	}
	return l.Shards(), nil
}
