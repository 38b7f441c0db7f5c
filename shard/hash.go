package shard

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// Hash shards by a 64-bit hash of the key, split into keyranges written as
// hex prefixes, Vitess style: "-80" is [0x00.., 0x80..), "80-" is
// [0x80.., end), "-" is everything.
//
// The hash is HashKey: the first 8 bytes, big-endian, of SHA-256 over the
// key's Canonical bytes. It is part of the on-disk layout: changing it
// would move every row, so it must never change. Strings hash their raw
// bytes without trailing spaces: MariaDB's PAD SPACE collations (its
// default ones, _bin too) compare 'bob' and 'bob ' as one value, and a
// CHAR column stores 'bob ' as 'bob', so both must land on one shard (in
// a binary or NO PAD column they are two values, which may share a
// shard). With a case-insensitive column, 'Bob' and 'bob' are one row to
// MySQL but two hashes here, so such keys must be normalised by the
// application — or the table names the column's collation
// (key_collation), and strings hash their weights in it instead.
type Hash struct {
	base
	spans *spans[uint64]
	fold  func([]byte) []byte // Config.Fold
}

// HashKey returns the keyspace id of v (see Hash).
func HashKey(v Value) (uint64, error) {
	if v.IsNull() {
		return 0, ErrNullKey
	}
	sum := sha256.Sum256(v.Canonical())
	return binary.BigEndian.Uint64(sum[:8]), nil
}

var hashSyntax = spanSyntax[uint64]{
	sep:   "-",
	parse: parseKeyspacePrefix,
	cmp:   cmp.Compare[uint64],
	show:  showKeyspacePrefix,
}

// NewHash builds a hash method from shard -> keyrange.
func NewHash(table, key string, ranges map[string]string) (*Hash, error) {
	s, err := newSpans(table, ranges, hashSyntax)
	if err != nil {
		return nil, err
	}
	return &Hash{base: base{table: table, key: key, shards: s.shards()}, spans: s}, nil
}

// parseKeyspacePrefix turns a hex prefix such as "80" or "4000" into the
// 64-bit keyspace id it starts, padding with zero bytes on the right.
func parseKeyspacePrefix(s string) (uint64, error) {
	if len(s)%2 == 1 || len(s) > 16 {
		return 0, fmt.Errorf("keyrange bound %q must be 1 to 8 whole hex bytes", s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return 0, fmt.Errorf("keyrange bound %q is not hex", s)
	}
	var full [8]byte
	copy(full[:], b)
	return binary.BigEndian.Uint64(full[:]), nil
}

// showKeyspacePrefix is the inverse of parseKeyspacePrefix, shortest form.
func showKeyspacePrefix(k uint64) string {
	s := fmt.Sprintf("%016x", k)
	for len(s) > 2 && strings.HasSuffix(s, "00") {
		s = s[:len(s)-2]
	}
	return s
}

// Name implements Method.
func (h *Hash) Name() string { return MethodHash }

// Ordered implements Method: hashing scatters key order.
func (h *Hash) Ordered() bool { return false }

// ShardFor implements Method.
func (h *Hash) ShardFor(v Value) (string, error) {
	if s, ok := v.Str(); ok {
		if h.fold != nil {
			v = String(string(h.fold([]byte(s))))
		} else {
			v = String(strings.TrimRight(s, " "))
		}
	}
	k, err := HashKey(v)
	if err != nil {
		return "", h.errf("%w", err)
	}
	return h.spans.find(k).shard, nil
}

// ShardForContext implements Method.
func (h *Hash) ShardForContext(_ context.Context, v Value) (string, error) {
	return h.ShardFor(v)
}

// ShardsForRange implements Method: every shard, unless lo == hi.
func (h *Hash) ShardsForRange(lo, hi Bound) ([]string, error) {
	return scatterRange(h, lo, hi)
}
