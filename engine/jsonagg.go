package engine

import (
	"fmt"
	"strconv"
)

// jsonAggAcc joins the JSON_ARRAYAGG arrays (JSON_OBJECTAGG objects) of
// one group's shards into one. Each shard's value is a whole JSON array
// (object) that MariaDB wrote; its elements (pairs) are copied between
// the brackets as they are, so numbers, strings and nested documents keep
// the server's own text.
type jsonAggAcc struct {
	col, lenCol int
	open, close byte
	sep         string
	name        string
	joined      []byte // the elements (pairs) so far, without brackets
	parts       int    // elements (pairs) joined
	seen        bool   // a shard sent a value
	maxLen      int64
}

func (j *jsonAggAcc) add(r Row) error {
	v := r[j.col]
	if v == nil {
		return nil // no row of the group on this shard
	}
	var err error
	if j.maxLen, err = strconv.ParseInt(string(r[j.lenCol]), 10, 64); err != nil {
		return fmt.Errorf("%s's group_concat_max_len: %q", j.name, r[j.lenCol])
	}
	if int64(len(v)) >= j.limit() {
		// MariaDB cuts the text after group_concat_max_len bytes (before
		// a character that would not fit whole) and closes the bracket:
		// a value this long may be cut.
		return fmt.Errorf("%w %s: a shard's value reached group_concat_max_len (%d), where it may have been cut; raise group_concat_max_len", ErrNotMergeable, j.name, j.maxLen)
	}
	if len(v) < 2 || v[0] != j.open || v[len(v)-1] != j.close {
		return fmt.Errorf("%w %s: a shard's value %.40q is not one JSON %s", ErrNotMergeable, j.name, v, map[byte]string{'[': "array", '{': "object"}[j.open])
	}
	j.seen = true
	inner := v[1 : len(v)-1]
	if len(inner) == 0 {
		return nil
	}
	if j.parts > 0 {
		j.joined = append(j.joined, j.sep...)
	}
	j.joined = append(j.joined, inner...)
	j.parts++
	if size := int64(len(j.joined)) + 2; size >= j.limit() {
		return fmt.Errorf("%w %s: a group's value is %d bytes, over or within 3 bytes of group_concat_max_len (%d), where one server may cut it with a warning; raise group_concat_max_len", ErrNotMergeable, j.name, size, j.maxLen)
	}
	return nil
}

// limit is the length from which a value may be one MariaDB cut: it
// keeps up to group_concat_max_len bytes, less a character that would
// not fit whole (up to 3 bytes), then the closing bracket.
func (j *jsonAggAcc) limit() int64 { return j.maxLen - 3 }

func (j *jsonAggAcc) result() Value {
	if !j.seen {
		return nil
	}
	out := make(Value, 0, len(j.joined)+2)
	out = append(out, j.open)
	out = append(out, j.joined...)
	return append(out, j.close)
}
