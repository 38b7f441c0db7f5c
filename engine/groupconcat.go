package engine

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
)

// groupConcatAcc merges the GROUP_CONCAT lists of one group's shards.
type groupConcatAcc struct {
	col, count int
	spec       GroupConcatSpec
	cmp        func(a, b Value) int // ordered or distinct lists
	key        func(Value) []byte   // distinct lists without order
	seen       map[string]bool
	elems      []Value
	maxLen     int64
	seenList   bool
}

func newGroupConcatAcc(cols []Column, o AggOutput) (*groupConcatAcc, error) {
	spec := o.GroupConcat
	if spec == nil {
		return nil, fmt.Errorf("GROUP_CONCAT without its spec")
	}
	for _, c := range []int{o.CountCol, spec.KeyCol, spec.LenCol} {
		if c < 0 || c >= len(cols) {
			return nil, fmt.Errorf("partial column %d out of range", c)
		}
	}
	acc := &groupConcatAcc{col: o.Col, count: o.CountCol, spec: *spec}
	elem := cols[spec.KeyCol]
	var err error
	if spec.Ordered || spec.Distinct {
		if acc.cmp, err = ValueComparer(elem, ""); err != nil {
			return nil, err
		}
	}
	if spec.Distinct && !spec.Ordered {
		if acc.key, err = valueKey(elem); err != nil {
			return nil, err
		}
		acc.seen = map[string]bool{}
	}
	return acc, nil
}

func (g *groupConcatAcc) add(r Row) error {
	list := r[g.col]
	if list == nil {
		return nil // no non-NULL value on this shard
	}
	n, err := strconv.Atoi(string(r[g.count]))
	if err != nil {
		return fmt.Errorf("GROUP_CONCAT's count: %q", r[g.count])
	}
	if g.maxLen, err = strconv.ParseInt(string(r[g.spec.LenCol]), 10, 64); err != nil {
		return fmt.Errorf("GROUP_CONCAT's group_concat_max_len: %q", r[g.spec.LenCol])
	}
	parts := bytes.Split(list, []byte{0x1f})
	if len(parts) != n {
		return fmt.Errorf("%w GROUP_CONCAT: a shard's list of %d values split into %d (a value holds the byte 0x1F, or the list reached group_concat_max_len = %d on the shard)", ErrNotMergeable, n, len(parts), g.maxLen)
	}
	g.seenList = true
	switch {
	case g.spec.Ordered:
		if !g.sorted(parts) {
			return fmt.Errorf("%w GROUP_CONCAT: a shard's list is not in the order Strata compares its values by (a collation Strata only approximates, or characters the connection's character set cannot hold)", ErrNotMergeable)
		}
		g.elems = g.merge(g.elems, parts)
	case g.seen != nil:
		for _, p := range parts {
			if k := string(g.key(p)); !g.seen[k] {
				g.seen[k] = true
				g.elems = append(g.elems, p)
			}
		}
	default:
		g.elems = append(g.elems, parts...)
	}
	if size := g.size(); size > g.maxLen {
		return fmt.Errorf("%w GROUP_CONCAT: a group's list is %d bytes, more than group_concat_max_len (%d), where one server would cut it with a warning; raise group_concat_max_len", ErrNotMergeable, size, g.maxLen)
	}
	return nil
}

// sorted: a shard's list is in the GROUP_CONCAT's order as Strata
// compares, so merging keeps one server's order.
func (g *groupConcatAcc) sorted(list [][]byte) bool {
	for i := 1; i < len(list); i++ {
		c := g.cmp(list[i-1], list[i])
		if g.spec.Desc {
			c = -c
		}
		if c > 0 {
			return false
		}
	}
	return true
}

// merge merges two lists each in the order of the GROUP_CONCAT (and
// without repeats when it is DISTINCT).
func (g *groupConcatAcc) merge(a []Value, b [][]byte) []Value {
	cmp := g.cmp
	if g.spec.Desc {
		cmp = func(x, y Value) int { return g.cmp(y, x) }
	}
	out := make([]Value, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var next Value
		switch {
		case j >= len(b) || (i < len(a) && cmp(a[i], b[j]) <= 0):
			next, i = a[i], i+1
		default:
			next, j = b[j], j+1
		}
		if g.spec.Distinct && len(out) > 0 && g.cmp(out[len(out)-1], next) == 0 {
			continue
		}
		out = append(out, next)
	}
	return slices.Clip(out)
}

func (g *groupConcatAcc) size() int64 {
	if len(g.elems) == 0 {
		return 0
	}
	n := int64(len(g.spec.Sep) * (len(g.elems) - 1))
	for _, e := range g.elems {
		n += int64(len(e))
	}
	return n
}

func (g *groupConcatAcc) result() Value {
	if !g.seenList {
		return nil
	}
	return Value(bytes.Join(g.elems, []byte(g.spec.Sep)))
}
