package shard

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Kind is the type of a Value.
type Kind uint8

// Value kinds.
const (
	KindNull Kind = iota
	KindInt
	KindUint
	KindString
	KindTime
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "NULL"
	case KindInt:
		return "int"
	case KindUint:
		return "uint"
	case KindString:
		return "string"
	case KindTime:
		return "time"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a shard-key value. The zero Value is SQL NULL.
//
// Integers are kept canonical: a uint64 that fits in int64 is stored as
// KindInt, so Uint(5) and Int(5) are the same Value and hash alike.
// Times keep their wall-clock fields and drop the location, because MySQL
// DATE and DATETIME columns carry no zone.
type Value struct {
	kind Kind
	i    int64
	u    uint64
	s    string
	t    time.Time
}

// Null returns the SQL NULL value.
func Null() Value { return Value{} }

// Int returns an integer value.
func Int(i int64) Value { return Value{kind: KindInt, i: i} }

// Uint returns an unsigned integer value (KindInt when it fits in int64).
func Uint(u uint64) Value {
	if u <= math.MaxInt64 {
		return Int(int64(u))
	}
	return Value{kind: KindUint, u: u}
}

// String returns a string value (bytes are kept as is, no collation).
func String(s string) Value { return Value{kind: KindString, s: s} }

// Time returns a date/time value. Its wall clock is kept and its location
// dropped (re-expressed as UTC), matching DATETIME semantics.
func Time(t time.Time) Value {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return Value{kind: KindTime, t: time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)}
}

// Kind reports the kind of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is SQL NULL.
func (v Value) IsNull() bool { return v.kind == KindNull }

// Int64 returns v as int64 if it is KindInt.
func (v Value) Int64() (int64, bool) { return v.i, v.kind == KindInt }

// Uint64 returns v as uint64 if it is a non-negative integer.
func (v Value) Uint64() (uint64, bool) {
	switch v.kind {
	case KindUint:
		return v.u, true
	case KindInt:
		return uint64(v.i), v.i >= 0
	}
	return 0, false
}

// Str returns v as a string if it is KindString.
func (v Value) Str() (string, bool) { return v.s, v.kind == KindString }

// TimeValue returns v as a time if it is KindTime.
func (v Value) TimeValue() (time.Time, bool) { return v.t, v.kind == KindTime }

// Canonical returns the bytes that identify v independent of how it was
// written: decimal text for integers (so 5 and '5' agree), raw bytes for
// strings, and "YYYY-MM-DD hh:mm:ss[.ffffff]" for times. The hash method
// hashes these bytes, so this encoding must never change.
func (v Value) Canonical() []byte {
	switch v.kind {
	case KindInt:
		return strconv.AppendInt(nil, v.i, 10)
	case KindUint:
		return strconv.AppendUint(nil, v.u, 10)
	case KindString:
		return []byte(v.s)
	case KindTime:
		return []byte(formatTime(v.t))
	}
	return nil
}

// String renders v for messages: NULL, 123, 'abc', '2024-06-03 10:00:00'.
func (v Value) String() string {
	switch v.kind {
	case KindNull:
		return "NULL"
	case KindString:
		return strconv.Quote(v.s)
	case KindTime:
		return "'" + formatTime(v.t) + "'"
	}
	return string(v.Canonical())
}

func formatTime(t time.Time) string {
	if t.Nanosecond() == 0 {
		return t.Format(time.DateTime)
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

// asInt converts v to an integer key. Strings holding a plain integer are
// accepted because MySQL compares a string literal with an integer column
// numerically (id = '5' finds id 5).
func (v Value) asInt() (intKey, error) {
	switch v.kind {
	case KindInt:
		return intKey{i: v.i}, nil
	case KindUint:
		return intKey{u: v.u, big: true}, nil
	case KindString:
		if n, err := parseInteger(v.s); err == nil {
			return n.asInt()
		}
	case KindNull:
		return intKey{}, ErrNullKey
	}
	return intKey{}, fmt.Errorf("%w: %s is not an integer", ErrKeyType, v)
}

// asTime converts v to a time key; strings in MySQL date or datetime
// format are accepted because the planner often sees quoted dates.
func (v Value) asTime() (time.Time, error) {
	switch v.kind {
	case KindTime:
		return v.t, nil
	case KindString:
		if t, ok := parseDateTime(v.s); ok {
			return t, nil
		}
	case KindNull:
		return time.Time{}, ErrNullKey
	}
	return time.Time{}, fmt.Errorf("%w: %s is not a date", ErrKeyType, v)
}

// asString converts v to a string key. Integers are refused: comparing a
// string column with a number is numeric in MySQL ('05' = 5), which no
// single string range can express.
func (v Value) asString() (string, error) {
	switch v.kind {
	case KindString:
		return v.s, nil
	case KindNull:
		return "", ErrNullKey
	}
	return "", fmt.Errorf("%w: %s is not a string", ErrKeyType, v)
}

// intKey orders every int64 and every uint64 on one line: a key with big
// set is a uint64 above math.MaxInt64 and so above every int64.
type intKey struct {
	i   int64
	u   uint64
	big bool
}

func (a intKey) compare(b intKey) int {
	switch {
	case a.big && b.big:
		return cmp.Compare(a.u, b.u)
	case a.big:
		return 1
	case b.big:
		return -1
	}
	return cmp.Compare(a.i, b.i)
}

func (a intKey) String() string {
	if a.big {
		return strconv.FormatUint(a.u, 10)
	}
	return strconv.FormatInt(a.i, 10)
}
