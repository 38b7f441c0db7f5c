package session

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// keyLimit is what a LOAD DATA's shard key column holds, read from its
// COLUMN_TYPE. A key field outside it is stored otherwise than the file
// gives it: a text cut short, an integer made the nearest one the type
// holds (MariaDB does so for a LOCAL load in every sql_mode, with a
// warning). Strata places the row by the field, so the row would sit on
// a shard that does not own the key it holds, and a read by that key
// would not find it: such a row stops the load.
type keyLimit struct {
	integer  bool
	unsigned bool
	bits     int // an integer's: 8, 16, 24, 32 or 64
	chars    int // a text's most characters (bytes where inBytes); 0: not known
	inBytes  bool
}

// keyLimitOf reads a COLUMN_TYPE ("int(11) unsigned", "varchar(40)",
// "varbinary(16)"); a type it does not know limits nothing.
func keyLimitOf(columnType string) keyLimit {
	ct := strings.ToLower(columnType)
	base, rest, _ := strings.Cut(ct, "(")
	base, _, _ = strings.Cut(base, " ")
	bits := map[string]int{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}
	if b, ok := bits[base]; ok {
		return keyLimit{integer: true, unsigned: strings.Contains(ct, "unsigned"), bits: b}
	}
	switch base {
	case "char", "varchar", "binary", "varbinary":
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.Fields(rest + " ")[0], ")"))
		return keyLimit{chars: n, inBytes: base == "binary" || base == "varbinary"}
	}
	return keyLimit{}
}

// outside says why the column would not hold a key field as the file
// gives it (raw, its bytes; text, them read in the file's character
// set), or "" where it would.
func (l keyLimit) outside(raw []byte, text string) string {
	if l.integer {
		return l.outsideInteger(string(raw))
	}
	n := utf8.RuneCountInString(text)
	unit := "characters"
	if l.inBytes {
		n, unit = len(raw), "bytes"
	}
	if l.chars > 0 && n > l.chars {
		return fmt.Sprintf("%d %s long, more than the column holds (%d): the server would store it cut short", n, unit, l.chars)
	}
	return ""
}

// outsideInteger is outside for an integer key (a field that is no
// integer at all is refused elsewhere).
func (l keyLimit) outsideInteger(s string) string {
	out := false
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if l.unsigned {
			out = n < 0 || (l.bits < 64 && n > 1<<l.bits-1)
		} else {
			out = l.bits < 64 && (n < -(1<<(l.bits-1)) || n > 1<<(l.bits-1)-1)
		}
	} else if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		out = !l.unsigned || l.bits < 64 // above the largest signed BIGINT
	} else {
		return ""
	}
	if !out {
		return ""
	}
	kind := "signed"
	if l.unsigned {
		kind = "unsigned"
	}
	return fmt.Sprintf("%s, outside what the column holds (a %d-bit %s integer): the server would store the nearest value it holds", s, l.bits, kind)
}
