package shard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KeyForm is how the server prints a key column of a type Strata does not
// model (KeyTypeOther). Methods that place a key by its text (hash,
// key_range, lookup) place such a key by the text a statement gives it,
// while the server reads other spellings as the same value: a DATE
// '2024-3-2' is '2024-03-02', a YEAR 24 is 2024, a DECIMAL(6,2) 2 is
// 2.00, an ENUM's 'B' is its member 'b'. A key spelled as the server
// prints it is placed as the row that holds it (KeyLimit.Printed);
// another spelling is not routed by, so a read reads every shard and a
// write is refused, rather than either missing the row.
type KeyForm uint8

// Key forms.
const (
	FormUnknown  KeyForm = iota // a type whose printing Strata does not follow: no spelling is known to be it
	FormBytes                   // BLOBs: printed as stored, byte for byte
	FormDate                    // 2024-03-02
	FormDateTime                // 2024-03-02 10:00:00[.ffffff to Scale digits]
	FormYear                    // 2024, 0000
	FormDecimal                 // -12.50 (Scale digits after the point)
	FormEnum                    // a member, spelled as defined
)

// keyFormOf is the KeyLimit of a column of a type other than an integer
// or a character string: base is its type's name, rest what follows
// "(" in its COLUMN_TYPE.
func keyFormOf(base, rest, columnType string) KeyLimit {
	args := typeArgs(rest)
	switch base {
	case "tinyblob", "blob", "mediumblob", "longblob":
		return KeyLimit{Form: FormBytes}
	case "date":
		return KeyLimit{Form: FormDate}
	case "datetime":
		n, _ := strconv.Atoi(args)
		return KeyLimit{Form: FormDateTime, Scale: n}
	case "year":
		return KeyLimit{Form: FormYear}
	case "decimal":
		_, scale, _ := strings.Cut(args, ",")
		n, _ := strconv.Atoi(scale)
		return KeyLimit{Form: FormDecimal, Scale: n}
	case "enum":
		return KeyLimit{Form: FormEnum, Enum: columnType}
	}
	return KeyLimit{}
}

// typeArgs is what a COLUMN_TYPE's parentheses hold, given what follows
// the "(" ("6,2) unsigned": "6,2"); "" when it has none.
func typeArgs(rest string) string {
	args, _, _ := strings.Cut(rest, ")")
	return args
}

// Printed reports whether text is how the server prints a key of this
// column (a key of KeyTypeOther): then the rows that hold the value are
// placed by this very text.
func (l KeyLimit) Printed(text string) bool {
	switch l.Form {
	case FormBytes:
		return true
	case FormDate:
		_, err := time.Parse(time.DateOnly, text)
		return err == nil && len(text) == len(time.DateOnly)
	case FormDateTime:
		layout := time.DateTime
		if l.Scale > 0 {
			layout += "." + strings.Repeat("0", l.Scale)
		}
		_, err := time.Parse(layout, text)
		return err == nil && len(text) == len(layout)
	case FormYear:
		n, err := strconv.Atoi(text)
		return err == nil && len(text) == 4 && (n == 0 || n >= 1901 && n <= 2155)
	case FormDecimal:
		return printedDecimal(text, l.Scale)
	case FormEnum:
		return enumMember(l.Enum, text)
	}
	return false
}

// PrintedAs says, for an operator, how a key of this column must be
// spelled to be routed (Printed).
func (l KeyLimit) PrintedAs() string {
	switch l.Form {
	case FormDate:
		return "a date spelled as the server prints it, 'YYYY-MM-DD', not an expression"
	case FormDateTime:
		if l.Scale > 0 {
			return fmt.Sprintf("a time spelled as the server prints it, 'YYYY-MM-DD hh:mm:ss.%s', not an expression", strings.Repeat("f", l.Scale))
		}
		return "a time spelled as the server prints it, 'YYYY-MM-DD hh:mm:ss', not an expression"
	case FormYear:
		return "a year spelled as the server prints it, four digits, not an expression"
	case FormDecimal:
		return fmt.Sprintf("a number spelled as the server prints it, with %d digits after the point and no leading zeros, not an expression", l.Scale)
	case FormEnum:
		return "one of the ENUM's members, spelled as the column defines it, not an expression"
	}
	return "of a type whose spelling Strata does not follow, so it routes no key of it by hash, key_range or lookup: shard by an integer, text, UUID or INET6 column, or by date"
}

// printedDecimal: an optional minus, the integer digits without leading
// zeros (one 0 alone), and exactly scale digits after a point; zero is
// never negative.
func printedDecimal(text string, scale int) bool {
	digits := strings.TrimPrefix(text, "-")
	whole, frac, hasPoint := strings.Cut(digits, ".")
	if hasPoint != (scale > 0) || len(frac) != scale || whole == "" ||
		strings.Trim(whole+frac, "0123456789") != "" || len(whole) > 1 && whole[0] == '0' {
		return false
	}
	return digits == text || strings.Trim(whole+frac, "0") != ""
}

// enumMember reports whether text is one of the members an ENUM's
// COLUMN_TYPE lists, exactly as written there.
func enumMember(columnType, text string) bool {
	members, ok := EnumMembers(columnType)
	return ok && slices.Contains(members, text)
}

// PlacedText is the text a key of t given as text (a statement's string,
// a file's field) is placed by, and whether Strata places it at all: a
// UUID or INET6 by the server's spelling of its value (FixedKeyText), a
// key of a type Strata does not model, under a method that places it by
// its text, only as the server prints it (KeyLimit.Printed); any other
// as it is.
func (t *Table) PlacedText(text string) (string, bool) {
	switch {
	case t.KeyType == KeyTypeUUID || t.KeyType == KeyTypeINET6:
		return FixedKeyText(t.KeyType, text)
	case t.KeyType == KeyTypeOther && t.PlacesByText():
		return text, t.KeyLimit.Printed(text)
	}
	return text, true
}

// PlacedAs says, for an operator, how a key that PlacedText does not
// place must be written ("" where it places every text).
func (t *Table) PlacedAs() string {
	switch {
	case t.KeyType == KeyTypeUUID:
		return "a UUID as a quoted string (32 hex digits, dashes between them allowed) or its 16 bytes (X'…'), not an expression"
	case t.KeyType == KeyTypeINET6:
		return "an IPv6 address as a quoted string, not an expression"
	case t.KeyType == KeyTypeOther && t.PlacesByText():
		return t.KeyLimit.PrintedAs()
	}
	return ""
}

// PlacesByText reports whether t's method places a key by its text (hash,
// key_range, lookup), rather than reading it as a number or a time
// (modulo, range, date), where a key of a type Strata does not model
// must be spelled as the server prints it (KeyLimit.Printed).
func (t *Table) PlacesByText() bool {
	switch t.Method.Name() {
	case MethodHash, MethodKeyRange, MethodLookup:
		return true
	}
	return false
}
