package shard

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// KeyLimit is what a sharded table's key column holds, read from its
// COLUMN_TYPE. MariaDB stores a key outside it otherwise than the write
// gives it: an integer as the nearest one its type holds, a text cut to
// the column's length. It does so with a warning in a non-strict
// sql_mode, under INSERT IGNORE and in a LOAD DATA LOCAL, and a text
// whose excess is spaces in any sql_mode. A row placed by the given key
// would sit on a shard that does not own the key it holds, where a read
// by that key does not look: Strata places it by the stored key (Stored).
// The zero KeyLimit (a type Strata does not read, or not learned yet)
// limits nothing.
type KeyLimit struct {
	Integer  bool
	Unsigned bool
	Bits     int // an integer's: 8, 16, 24, 32 or 64
	// Length is a text's most characters (bytes where InBytes); 0: not
	// known.
	Length  int
	InBytes bool
	// Padded: a BINARY, which stores a shorter value with zero bytes up
	// to Length, and compares them.
	Padded bool
	// Form, Scale and Enum say how the server prints a key of a type
	// Strata does not model (KeyTypeOther), for Printed.
	Form  KeyForm
	Scale int    // DECIMAL's scale; DATETIME's fraction digits
	Enum  string // an ENUM's COLUMN_TYPE, which holds its members
	// Instant: a TIMESTAMP, which holds a moment, not a wall-clock
	// time: a literal names another moment in each session time_zone,
	// so a date table places a session's literal as the servers' zone
	// writes that moment (planner Sharding.FromZone).
	Instant bool
}

// integerBits are the integer types' widths.
var integerBits = map[string]int{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}

// KeyLimitOf reads a COLUMN_TYPE ("int(11) unsigned", "varchar(40)",
// "varbinary(16)"); a type it does not know limits nothing.
func KeyLimitOf(columnType string) KeyLimit {
	ct := strings.ToLower(columnType)
	base, rest, _ := strings.Cut(ct, "(")
	base, _, _ = strings.Cut(base, " ")
	if b, ok := integerBits[base]; ok {
		return KeyLimit{Integer: true, Unsigned: strings.Contains(ct, "unsigned"), Bits: b}
	}
	n, _ := strconv.Atoi(typeArgs(rest))
	switch base {
	case "timestamp":
		return KeyLimit{Instant: true}
	case "char", "varchar", "binary", "varbinary":
		return KeyLimit{Length: n, InBytes: base == "binary" || base == "varbinary", Padded: base == "binary"}
	}
	return keyFormOf(base, rest, columnType)
}

// String says what the column holds, for an operator: "8-bit signed
// integer", "40 characters", "16 bytes", "a moment (TIMESTAMP)"; "" for
// the zero KeyLimit.
func (l KeyLimit) String() string {
	switch {
	case l.Integer && l.Unsigned:
		return strconv.Itoa(l.Bits) + "-bit unsigned integer"
	case l.Integer:
		return strconv.Itoa(l.Bits) + "-bit signed integer"
	case l.Length > 0 && l.InBytes:
		return strconv.Itoa(l.Length) + " bytes"
	case l.Length > 0:
		return strconv.Itoa(l.Length) + " characters"
	case l.Instant:
		return "a moment (TIMESTAMP)"
	}
	return ""
}

// Stored returns the key a column of this limit holds where a write gives
// it v, and whether that differs from v. ok is false where Strata cannot
// tell: a binary column's text cut short that holds bytes past ASCII (the
// column holds the bytes the client wrote, in its character set, and
// Strata has v as UTF-8).
func (l KeyLimit) Stored(v Value) (stored Value, changed, ok bool) {
	switch {
	case l.Integer:
		if i, isInt := v.Int64(); isInt {
			return l.clamp(i < 0, uint64(i), i)
		}
		if u, isUint := v.Uint64(); isUint {
			return l.clamp(false, u, 0)
		}
	case l.Length > 0:
		if s, isStr := v.Str(); isStr {
			stored, changed, ok = l.cut(s)
			if s, _ := stored.Str(); ok && l.Padded && len(s) < l.Length {
				return String(s + strings.Repeat("\x00", l.Length-len(s))), true, true
			}
			return stored, changed, ok
		}
	}
	return v, false, true
}

// StoredInteger is Stored for an integer written as text ("042", "+7",
// "-99999999999999999999"): any run of digits, also one past 64 bits,
// which MariaDB stores as its type's bound. ok is false for text that is
// not a whole number.
func (l KeyLimit) StoredInteger(text string) (stored Value, changed, ok bool) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return l.Stored(Int(n))
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(text, "+"), 10, 64); err == nil {
		return l.Stored(Uint(u))
	}
	digits := strings.TrimLeft(text, "+-")
	if !l.Integer || digits == "" || len(text)-len(digits) > 1 || strings.Trim(digits, "0123456789") != "" {
		return Value{}, false, false
	}
	// Past 64 bits: the type's bound, always another number than given.
	stored, _, ok = l.clamp(false, math.MaxUint64, 0)
	if strings.HasPrefix(text, "-") {
		stored, _, ok = l.clamp(true, 0, math.MinInt64)
	}
	return stored, true, ok
}

// clamp is the integer of l's type nearest to a number: neg and i when
// it is negative, else u.
func (l KeyLimit) clamp(neg bool, u uint64, i int64) (Value, bool, bool) {
	var lo int64
	var hi uint64
	switch {
	case l.Unsigned && l.Bits == 64:
		hi = math.MaxUint64
	case l.Unsigned:
		hi = 1<<l.Bits - 1
	default:
		lo, hi = -1<<(l.Bits-1), 1<<(l.Bits-1)-1
	}
	switch {
	case neg && i < lo:
		return Int(lo), true, true
	case neg:
		return Int(i), false, true
	case u > hi:
		return Uint(hi), true, true
	}
	return Uint(u), false, true
}

// cut is s as the column holds it: its first Length characters (bytes
// where InBytes).
func (l KeyLimit) cut(s string) (Value, bool, bool) {
	if l.InBytes {
		if len(s) <= l.Length {
			return String(s), false, true
		}
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return String(s), false, false
			}
		}
		return String(s[:l.Length]), true, true
	}
	n := 0
	for i := range s {
		if n == l.Length {
			return String(s[:i]), true, true
		}
		n++
	}
	return String(s), false, true
}
