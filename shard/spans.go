package shard

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// span is one shard's half-open key range [lo, hi); a missing side is
// unbounded.
type span[T any] struct {
	shard        string
	spec         string // as written in the config, for messages
	lo, hi       T
	hasLo, hasHi bool
}

// spans is a validated list of ranges covering the whole key space, sorted
// by lower bound. range, date, key_range and hash all use it.
type spans[T any] struct {
	table string
	list  []span[T]
	cmp   func(a, b T) int
	show  func(T) string
}

// spanSyntax says how a method writes its ranges.
type spanSyntax[T any] struct {
	sep   string                  // ".." or "-"
	parse func(string) (T, error) // one bound
	cmp   func(a, b T) int        // key order
	show  func(T) string          // bound as written, for messages
}

// newSpans parses shard -> "lo<sep>hi" and checks that the ranges cover
// the key space with no gap and no overlap.
func newSpans[T any](table string, ranges map[string]string, syn spanSyntax[T]) (*spans[T], error) {
	if len(ranges) == 0 {
		return nil, fmt.Errorf("table %s: no shards configured", table)
	}
	s := &spans[T]{table: table, cmp: syn.cmp, show: syn.show}
	// Sorted names make the first reported error the same on every run.
	for _, shard := range slices.Sorted(maps.Keys(ranges)) {
		sp, err := parseSpan(shard, ranges[shard], syn)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", table, err)
		}
		s.list = append(s.list, sp)
	}
	slices.SortFunc(s.list, s.byLo)
	return s, s.validate()
}

func parseSpan[T any](shard, spec string, syn spanSyntax[T]) (span[T], error) {
	sp := span[T]{shard: shard, spec: spec}
	loText, hiText, ok := strings.Cut(spec, syn.sep)
	if !ok {
		return sp, fmt.Errorf("shard %s: range %q has no %q", shard, spec, syn.sep)
	}
	var err error
	if sp.hasLo = loText != ""; sp.hasLo {
		if sp.lo, err = syn.parse(loText); err != nil {
			return sp, fmt.Errorf("shard %s: range %q: %w", shard, spec, err)
		}
	}
	if sp.hasHi = hiText != ""; sp.hasHi {
		if sp.hi, err = syn.parse(hiText); err != nil {
			return sp, fmt.Errorf("shard %s: range %q: %w", shard, spec, err)
		}
	}
	if sp.hasLo && sp.hasHi && syn.cmp(sp.lo, sp.hi) >= 0 {
		return sp, fmt.Errorf("shard %s: range %q is empty (ranges are half-open [lo, hi))", shard, spec)
	}
	return sp, nil
}

// byLo sorts an unbounded start first, then by lower bound, then by shard
// name so validation messages are deterministic.
func (s *spans[T]) byLo(a, b span[T]) int {
	switch {
	case !a.hasLo && b.hasLo:
		return -1
	case a.hasLo && !b.hasLo:
		return 1
	case a.hasLo && b.hasLo:
		if c := s.cmp(a.lo, b.lo); c != 0 {
			return c
		}
	}
	return strings.Compare(a.shard, b.shard)
}

func (s *spans[T]) validate() error {
	first, last := s.list[0], s.list[len(s.list)-1]
	if first.hasLo {
		return fmt.Errorf("table %s: no range covers keys below %s (lowest range is %q)",
			s.table, s.show(first.lo), first.spec)
	}
	for i := 1; i < len(s.list); i++ {
		if err := s.checkPair(s.list[i-1], s.list[i]); err != nil {
			return err
		}
	}
	if last.hasHi {
		return fmt.Errorf("table %s: no range covers keys from %s up (highest range is %q)",
			s.table, s.show(last.hi), last.spec)
	}
	return nil
}

// checkPair checks two neighbours in lower-bound order: a must end
// exactly where b starts.
func (s *spans[T]) checkPair(a, b span[T]) error {
	if b.hasLo && a.hasHi {
		if c := s.cmp(a.hi, b.lo); c < 0 {
			return fmt.Errorf("table %s: ranges %q and %q leave a gap [%s, %s)",
				s.table, a.spec, b.spec, s.show(a.hi), s.show(b.lo))
		} else if c == 0 {
			return nil
		}
	}
	end := a.hi
	if !a.hasHi || (b.hasHi && s.cmp(b.hi, a.hi) < 0) {
		end = b.hi
	}
	return fmt.Errorf("table %s: ranges %q and %q overlap on [%s, %s)",
		s.table, a.spec, b.spec, s.showLo(b), s.showHi(end, a.hasHi || b.hasHi))
}

func (s *spans[T]) showLo(sp span[T]) string {
	if !sp.hasLo {
		return ".."
	}
	return s.show(sp.lo)
}

func (s *spans[T]) showHi(v T, has bool) string {
	if !has {
		return ".."
	}
	return s.show(v)
}

// find returns the span holding k. The ranges cover everything, so the
// span is the last one whose lower bound is <= k.
func (s *spans[T]) find(k T) span[T] {
	i := sort.Search(len(s.list)-1, func(i int) bool {
		return s.cmp(s.list[i+1].lo, k) > 0
	})
	return s.list[i]
}

// shards lists the shards in key order.
func (s *spans[T]) shards() []string {
	out := make([]string, len(s.list))
	for i, sp := range s.list {
		out[i] = sp.shard
	}
	return out
}

// overlapping lists, in key order, the shards whose range may hold a key
// between lo and hi. An exclusive low bound is treated like an inclusive
// one, which can add a shard but never miss one; methods over discrete
// keys tighten it first.
func (s *spans[T]) overlapping(lo, hi bound[T]) []string {
	if lo.kind != Unbounded && hi.kind != Unbounded {
		c := s.cmp(lo.v, hi.v)
		if c > 0 || c == 0 && (lo.kind == Exclusive || hi.kind == Exclusive) {
			return nil
		}
	}
	var out []string
	for _, sp := range s.list {
		if s.below(sp, hi) || s.above(sp, lo) {
			continue
		}
		out = append(out, sp.shard)
	}
	return out
}

// below reports whether sp starts past the high bound.
func (s *spans[T]) below(sp span[T], hi bound[T]) bool {
	if hi.kind == Unbounded || !sp.hasLo {
		return false
	}
	c := s.cmp(sp.lo, hi.v)
	return c > 0 || c == 0 && hi.kind == Exclusive
}

// above reports whether sp ends at or before the low bound.
func (s *spans[T]) above(sp span[T], lo bound[T]) bool {
	return lo.kind != Unbounded && sp.hasHi && s.cmp(lo.v, sp.hi) >= 0
}
