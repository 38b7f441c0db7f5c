package shard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Range shards integer keys by half-open ranges: "..1000000" is
// [-inf, 1000000), "1000000.." is [1000000, +inf). Bounds are int64;
// BIGINT UNSIGNED keys above MaxInt64 fall in the last range.
type Range struct {
	base
	spans *spans[int64]
}

var rangeSyntax = spanSyntax[int64]{
	sep: "..",
	parse: func(s string) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a 64-bit integer", s)
		}
		return n, nil
	},
	cmp:  cmp.Compare[int64],
	show: func(v int64) string { return strconv.FormatInt(v, 10) },
}

// NewRange builds a range method from shard -> "lo..hi".
func NewRange(table, key string, ranges map[string]string) (*Range, error) {
	s, err := newSpans(table, ranges, rangeSyntax)
	if err != nil {
		return nil, err
	}
	return &Range{base: base{table: table, key: key, shards: s.shards()}, spans: s}, nil
}

// Name implements Method.
func (r *Range) Name() string { return MethodRange }

// Ordered implements Method.
func (r *Range) Ordered() bool { return true }

// ShardFor implements Method.
func (r *Range) ShardFor(v Value) (string, error) {
	k, err := v.asInt()
	if err != nil {
		return "", r.errf("%w", err)
	}
	return r.find(k).shard, nil
}

func (r *Range) find(k intKey) span[int64] {
	if k.big {
		return r.spans.list[len(r.spans.list)-1]
	}
	return r.spans.find(k.i)
}

// ShardForContext implements Method.
func (r *Range) ShardForContext(_ context.Context, v Value) (string, error) {
	return r.ShardFor(v)
}

// ShardsForRange implements Method.
func (r *Range) ShardsForRange(lo, hi Bound) ([]string, error) {
	if lo.nullBound() || hi.nullBound() {
		return nil, nil
	}
	l, err := r.intBound(lo, true)
	if err != nil {
		return nil, err
	}
	h, err := r.intBound(hi, false)
	if err != nil || l.empty || h.empty {
		return nil, err
	}
	return r.spans.overlapping(l.bound, h.bound), nil
}

// intBoundResult is a query bound clamped to the int64 config domain.
type intBoundResult struct {
	bound bound[int64]
	empty bool // the range cannot hold any key
}

// intBound converts b to an int64 bound. Keys are discrete, so "> v"
// becomes ">= v+1" and the shard ending at v+1 is not touched. Values above
// MaxInt64 are clamped: a low bound there lies in the last range, a high
// bound there limits nothing.
func (r *Range) intBound(b Bound, low bool) (intBoundResult, error) {
	if b.IsUnbounded() {
		return intBoundResult{}, nil
	}
	k, err := b.Value.asInt()
	if err != nil {
		return intBoundResult{}, r.errf("%w", err)
	}
	switch {
	case k.big && low:
		return intBoundResult{bound: bound[int64]{kind: Inclusive, v: math.MaxInt64}}, nil
	case k.big:
		return intBoundResult{}, nil
	case low && b.Kind == Exclusive:
		if k.i == math.MaxInt64 {
			return intBoundResult{bound: bound[int64]{kind: Inclusive, v: k.i}}, nil
		}
		return intBoundResult{bound: bound[int64]{kind: Inclusive, v: k.i + 1}}, nil
	}
	return intBoundResult{bound: bound[int64]{kind: b.Kind, v: k.i}}, nil
}

// Capacity reports how full the open-ended last range is, measured
// against the width of the range before it: an operator should add a new
// range before the last shard grows far past its siblings. maxKey is the
// largest key stored now. An unbounded previous range ("..1000000") is
// taken to start at 0, since generated ids are positive. warnAt <= 0 means
// 0.8.
func (r *Range) Capacity(maxKey int64, warnAt float64) (fraction float64, warn bool, err error) {
	n := len(r.spans.list)
	if n < 2 {
		return 0, false, r.errf("range capacity needs at least two ranges")
	}
	last, prev := r.spans.list[n-1], r.spans.list[n-2]
	prevLo := int64(0)
	if prev.hasLo {
		prevLo = prev.lo
	}
	fraction, warn, err = Capacity(last.lo, maxKey, prev.hi-prevLo, warnAt)
	if err != nil {
		return 0, false, r.errf("%w", err)
	}
	return fraction, warn, nil
}

// Capacity is Range.Capacity on plain numbers: the last range starts at
// lastStart, holds keys up to maxKey, and should hold about prevSize keys.
// The fraction is (maxKey - lastStart + 1) / prevSize, 0 when the range is
// empty, and may exceed 1.
func Capacity(lastStart, maxKey, prevSize int64, warnAt float64) (fraction float64, warn bool, err error) {
	if prevSize <= 0 {
		return 0, false, errors.New("previous range size must be positive")
	}
	if warnAt <= 0 {
		warnAt = 0.8
	}
	if maxKey < lastStart {
		return 0, false, nil
	}
	used := float64(maxKey) - float64(lastStart) + 1
	fraction = used / float64(prevSize)
	return fraction, fraction >= warnAt, nil
}

// Last returns the shard of the open-ended last range and where that range
// starts: the shard whose growth Capacity measures.
func (r *Range) Last() (shard string, start int64) {
	last := r.spans.list[len(r.spans.list)-1]
	return last.shard, last.lo
}
