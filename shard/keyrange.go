package shard

import (
	"context"
	"strconv"
	"strings"
)

// KeyRange shards string keys by half-open ranges compared byte by byte:
// "..n" is every key below "n", "n.." the rest.
//
// Collation limits: the order is binary (UTF-8 code point order), which
// matches MySQL only for _bin and binary collations. Under a _ci collation
// MySQL treats 'Nancy' and 'nancy' as equal but here they fall on either
// side of "n", so such columns need keys normalised by the application
// (for example lowercased) or a _bin collation. Trailing spaces count here
// but not under PAD SPACE collations. Range bounds cannot contain "..".
//
// With key_collation (newCollatedKeyRange) keys and bounds compare in the
// key column's collation instead, as the server orders them.
type KeyRange struct {
	base
	spans    *spans[string]
	collated bool
}

var keyRangeSyntax = spanSyntax[string]{
	sep:   "..",
	parse: func(s string) (string, error) { return s, nil },
	cmp:   strings.Compare,
	show:  strconv.Quote,
}

// NewKeyRange builds a key_range method from shard -> "lo..hi".
func NewKeyRange(table, key string, ranges map[string]string) (*KeyRange, error) {
	s, err := newSpans(table, ranges, keyRangeSyntax)
	if err != nil {
		return nil, err
	}
	return &KeyRange{base: base{table: table, key: key, shards: s.shards()}, spans: s}, nil
}

// newCollatedKeyRange builds a key_range method whose keys and bounds
// compare by collate, the key column's collation.
func newCollatedKeyRange(table, key string, ranges map[string]string, collate func(a, b []byte) int) (*KeyRange, error) {
	syn := keyRangeSyntax
	syn.cmp = func(a, b string) int { return collate([]byte(a), []byte(b)) }
	s, err := newSpans(table, ranges, syn)
	if err != nil {
		return nil, err
	}
	return &KeyRange{base: base{table: table, key: key, shards: s.shards()}, spans: s, collated: true}, nil
}

// Collated reports whether keys compare in the key column's collation
// (key_collation) rather than by their bytes.
func (k *KeyRange) Collated() bool { return k.collated }

// Name implements Method.
func (k *KeyRange) Name() string { return MethodKeyRange }

// Ordered implements Method (in binary order; see KeyRange).
func (k *KeyRange) Ordered() bool { return true }

// ShardFor implements Method.
func (k *KeyRange) ShardFor(v Value) (string, error) {
	s, err := v.asString()
	if err != nil {
		return "", k.errf("%w", err)
	}
	return k.spans.find(s).shard, nil
}

// ShardForContext implements Method.
func (k *KeyRange) ShardForContext(_ context.Context, v Value) (string, error) {
	return k.ShardFor(v)
}

// ShardsForRange implements Method.
func (k *KeyRange) ShardsForRange(lo, hi Bound) ([]string, error) {
	if lo.nullBound() || hi.nullBound() {
		return nil, nil
	}
	l, err := convertBound(lo, Value.asString)
	if err != nil {
		return nil, k.errf("%w", err)
	}
	h, err := convertBound(hi, Value.asString)
	if err != nil {
		return nil, k.errf("%w", err)
	}
	return k.spans.overlapping(l, h), nil
}
