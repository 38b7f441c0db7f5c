package engine

import (
	"bytes"
	"cmp"
	"fmt"
	"strconv"
)

// SortKey is one ORDER BY or GROUP BY item: an input column and its
// direction.
type SortKey struct {
	Col  int
	Desc bool
	// Collation names the collation when the column's id is not known to
	// CollationByID or the query says COLLATE; empty uses the column's.
	Collation string
}

// Comparator orders rows by a list of sort keys the way MySQL does: NULL
// first in ascending order (last in descending), numbers by value,
// strings by collation.
type Comparator struct {
	keys  []keyCompare
	width int // rows need at least this many columns
}

type keyCompare struct {
	col  int
	desc bool
	cmp  func(a, b Value) int
}

// NewComparator builds a comparator for rows described by cols.
func NewComparator(cols []Column, keys []SortKey) (*Comparator, error) {
	c := &Comparator{}
	for _, k := range keys {
		if k.Col < 0 || k.Col >= len(cols) {
			return nil, fmt.Errorf("sort key column %d out of range (%d columns)", k.Col, len(cols))
		}
		f, err := ValueComparer(cols[k.Col], k.Collation)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", cols[k.Col].Name, err)
		}
		c.keys = append(c.keys, keyCompare{col: k.Col, desc: k.Desc, cmp: f})
		c.width = max(c.width, k.Col+1)
	}
	return c, nil
}

// Compare returns -1, 0 or 1 as a sorts before, with or after b.
func (c *Comparator) Compare(a, b Row) int {
	for _, k := range c.keys {
		r := k.cmp(a[k.col], b[k.col])
		if r != 0 {
			if k.desc {
				return -r
			}
			return r
		}
	}
	return 0
}

// check reports a row too short for the sort keys, which would otherwise
// panic inside Compare.
func (c *Comparator) check(r Row) error {
	if len(r) < c.width {
		return fmt.Errorf("row has %d columns, sort keys need %d", len(r), c.width)
	}
	return nil
}

// ValueComparer returns the ascending comparison for values of col:
// NULL first, then by type. collation overrides the column's collation.
//
// ENUM and SET compare by member number when their members are known
// (Column.Members), UUID and INET6 by the bytes the server sorts them by
// (FixedBinary); JSON compares by text.
func ValueComparer(col Column, collation string) (func(a, b Value) int, error) {
	f, err := nonNullComparer(col, collation)
	if err != nil {
		return nil, err
	}
	return func(a, b Value) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		case b == nil:
			return 1
		}
		return f(a, b)
	}, nil
}

func nonNullComparer(col Column, collation string) (func(a, b []byte) int, error) {
	if col.Flags&(FlagEnum|FlagSet) != 0 && collation == "" {
		return memberComparer(col)
	}
	if FixedBinary(col) && collation == "" {
		return compareFixedBinary, nil
	}
	if BitAsNumber(col) {
		return compareDecimalText, nil
	}
	switch classOf(col.Type) {
	case classDecimal:
		return compareDecimalText, nil
	case classFloat:
		return compareFloatText, nil
	case classTime:
		return compareTimeText, nil
	case classBytes:
		return bytes.Compare, nil
	}
	c, err := columnCollation(col, collation)
	if err != nil {
		return nil, err
	}
	return c.Compare, nil
}

// ColumnCollation is the collation a text column's values compare by:
// its own (Column.Collation) when known, else the one the server
// reported for it.
func ColumnCollation(col Column) (Collation, error) { return columnCollation(col, "") }

func columnCollation(col Column, name string) (Collation, error) {
	if name == "" && col.CollationUnknown != "" {
		return Collation{}, &CollationUnknownError{Reason: col.CollationUnknown}
	}
	if name == "" {
		name = col.Collation
	}
	var c Collation
	var err error
	if name != "" {
		c, err = CollationByName(name)
	} else {
		c, err = CollationByID(col.Charset)
	}
	if err == nil && c.Exact() {
		c.input, err = inputOf(col.Charset, c.Name)
	}
	if err != nil || c.Exact() {
		return c, err
	}
	// Comparing by the approximation could order or group rows of two
	// shards otherwise than one server (Swedish's Å after Z, an accent
	// that counts), and nothing in the rows would show it: refuse.
	return Collation{}, &CollationUnknownError{Reason: fmt.Sprintf("Strata cannot compare the text of %s in %s as the server does (it holds the weights of general_ci, unicode_ci, unicode_520_ci, uca1400_ai_ci, the latin1 collations and the _bin ones), so it does not merge rows of several shards by it: they could come out in another order or other groups than from one server. Merge by one of those (%s COLLATE utf8mb4_unicode_ci), or name the shard key so one shard answers", col.Name, c.Name, col.Name)}
}

// memberComparer orders an ENUM column's values by member number and a
// SET column's by their bits, as a server sorts them (the empty value and
// values not among the members first, as the server's invalid 0).
func memberComparer(col Column) (func(a, b []byte) int, error) {
	kind := "ENUM"
	if col.Flags&FlagSet != 0 {
		kind = "SET"
	}
	if col.Members == nil {
		return nil, &CollationUnknownError{Reason: fmt.Sprintf("Strata cannot sort the %s column %s as the server does, by its members' order: it does not know its members here (a column of a derived table, or a table it has not read yet). ORDER BY %s+0 sorts by member number over shards, CAST(%s AS CHAR) by text", kind, col.Name, col.Name, col.Name)}
	}
	number := make(map[string]uint64, len(col.Members))
	for i, m := range col.Members {
		if kind == "SET" {
			number[m] = 1 << min(i, 63)
		} else {
			number[m] = uint64(i + 1)
		}
	}
	value := func(v []byte) uint64 {
		if kind == "ENUM" {
			return number[string(v)]
		}
		var bits uint64
		for m := range bytes.SplitSeq(v, []byte(",")) {
			bits |= number[string(m)]
		}
		return bits
	}
	return func(a, b []byte) int { return cmp.Compare(value(a), value(b)) }, nil
}

// CollationUnknownError: a merge would compare text values whose
// collation Strata cannot tell (Column.CollationUnknown). The client gets
// it as a refusal, not a merge in another order.
type CollationUnknownError struct{ Reason string }

func (e *CollationUnknownError) Error() string { return e.Reason }

// compareDecimalText compares integer or DECIMAL text exactly, without
// parsing into a bounded type: sign, then integer digits, then fraction.
func compareDecimalText(a, b []byte) int {
	x, okA := splitNumber(a)
	y, okB := splitNumber(b)
	if !okA || !okB {
		return compareFloatText(a, b)
	}
	if x.neg != y.neg {
		if x.neg {
			return -1
		}
		return 1
	}
	r := cmp.Compare(len(x.whole), len(y.whole))
	if r == 0 {
		r = bytes.Compare(x.whole, y.whole)
	}
	if r == 0 {
		r = bytes.Compare(x.frac, y.frac)
	}
	if x.neg {
		return -r
	}
	return r
}

// number is decimal text split for comparison: leading zeros of whole and
// trailing zeros of frac removed, and zero never negative.
type number struct {
	neg         bool
	whole, frac []byte
}

func splitNumber(b []byte) (number, bool) {
	var n number
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		n.neg = b[0] == '-'
		b = b[1:]
	}
	whole, frac, _ := bytes.Cut(b, []byte{'.'})
	if len(whole)+len(frac) == 0 || !allDigits(whole) || !allDigits(frac) {
		return n, false
	}
	n.whole = bytes.TrimLeft(whole, "0")
	n.frac = bytes.TrimRight(frac, "0")
	if len(n.whole)+len(n.frac) == 0 {
		n.neg = false
	}
	return n, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// compareFloatText compares FLOAT/DOUBLE text; unparsable text (never
// sent by MySQL) sorts after numbers, by bytes, to stay deterministic.
func compareFloatText(a, b []byte) int {
	x, errA := strconv.ParseFloat(string(a), 64)
	y, errB := strconv.ParseFloat(string(b), 64)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return bytes.Compare(a, b)
}

// compareTimeText compares TIME values ("-838:59:59" .. "838:59:59.000000"),
// whose hours vary in width and may be negative.
func compareTimeText(a, b []byte) int {
	x, okA := timeMicros(a)
	y, okB := timeMicros(b)
	if !okA || !okB {
		return bytes.Compare(a, b)
	}
	return cmp.Compare(x, y)
}

// timeMicros parses [-]H+:MM:SS[.ffffff] into signed microseconds.
func timeMicros(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	hms, frac, _ := bytes.Cut(b, []byte{'.'})
	parts := bytes.Split(hms, []byte{':'})
	if len(parts) != 3 || len(frac) > 6 || !allDigits(frac) {
		return 0, false
	}
	var total int64
	for _, p := range parts {
		v, err := strconv.ParseInt(string(p), 10, 64)
		if err != nil || v < 0 {
			return 0, false
		}
		total = total*60 + v
	}
	total *= 1_000_000
	if len(frac) > 0 {
		f, _ := strconv.ParseInt(string(frac)+"000000"[len(frac):], 10, 64)
		total += f
	}
	if neg {
		total = -total
	}
	return total, true
}
