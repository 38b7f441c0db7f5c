package shard

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseLiteral converts MySQL literal text, as the planner sees it in a
// WHERE clause, into a Value:
//
//	NULL                          -> Null
//	123, -5, +7                   -> Int (Uint above MaxInt64)
//	TRUE, FALSE                   -> Int 1, 0
//	'abc', "abc", _utf8mb4'abc'   -> String (MySQL escapes undone)
//	N'abc'                        -> String
//	X'616263', 0x616263           -> String of those bytes
//	DATE '2024-06-03'             -> Time
//	TIMESTAMP '2024-06-03 10:00'  -> Time
//	2024-06-03 10:00:00           -> Time (unquoted date text)
//
// Quoted dates stay strings: the date method converts them itself, and the
// string methods must see them verbatim. Decimals and floats are refused
// because no sharding method here keys on them.
func ParseLiteral(text string) (Value, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return Value{}, errors.New("shard: empty literal")
	}
	switch strings.ToUpper(s) {
	case "NULL":
		return Null(), nil
	case "TRUE":
		return Int(1), nil
	case "FALSE":
		return Int(0), nil
	}
	if v, ok, err := parseTyped(s); ok {
		return v, err
	}
	if v, ok, err := parseStringLiteral(s); ok {
		return v, err
	}
	if v, err := parseInteger(s); err == nil {
		return v, nil
	}
	if t, ok := parseDateTime(s); ok {
		return Time(t), nil
	}
	return Value{}, fmt.Errorf("shard: unsupported literal %q", text)
}

// parseTyped handles DATE '...', TIMESTAMP '...' and DATETIME '...'.
func parseTyped(s string) (Value, bool, error) {
	word, rest, found := strings.Cut(s, " ")
	if !found {
		return Value{}, false, nil
	}
	switch strings.ToUpper(word) {
	case "DATE", "TIMESTAMP", "DATETIME":
	default:
		return Value{}, false, nil
	}
	q, ok, err := parseStringLiteral(strings.TrimSpace(rest))
	if !ok || err != nil {
		return Value{}, true, fmt.Errorf("shard: bad %s literal %q", word, s)
	}
	t, ok := parseDateTime(q.s)
	if !ok {
		return Value{}, true, fmt.Errorf("shard: bad %s literal %q", word, s)
	}
	return Time(t), true, nil
}

// parseStringLiteral recognises quoted strings with an optional charset
// introducer (_utf8mb4'x', N'x') and hex strings (X'41', 0x41).
func parseStringLiteral(s string) (Value, bool, error) {
	if v, ok, err := parseHex(s); ok {
		return v, ok, err
	}
	if i := strings.IndexAny(s, `'"`); i > 0 && isIntroducer(s[:i]) {
		s = s[i:]
	}
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') {
		return Value{}, false, nil
	}
	body, err := unquote(s)
	if err != nil {
		return Value{}, true, err
	}
	return String(body), true, nil
}

func isIntroducer(p string) bool {
	if p == "N" || p == "n" {
		return true
	}
	return len(p) > 1 && p[0] == '_' && strings.IndexFunc(p[1:], func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0
}

func parseHex(s string) (Value, bool, error) {
	var digits string
	switch {
	case len(s) > 2 && (s[:2] == "0x"):
		digits = s[2:]
		if len(digits)%2 == 1 {
			digits = "0" + digits // MySQL left-pads 0x literals, not X'' ones.
		}
	case len(s) >= 3 && (s[0] == 'x' || s[0] == 'X') && s[1] == '\'' && s[len(s)-1] == '\'':
		digits = s[2 : len(s)-1]
	default:
		return Value{}, false, nil
	}
	b, err := hex.DecodeString(digits)
	if err != nil {
		return Value{}, true, fmt.Errorf("shard: bad hex literal %q", s)
	}
	return String(string(b)), true, nil
}

// unquote undoes MySQL string-literal quoting: a doubled quote character
// and the backslash escapes of the default sql_mode.
func unquote(s string) (string, error) {
	q := s[0]
	if s[len(s)-1] != q {
		return "", fmt.Errorf("shard: unterminated string %s", s)
	}
	body := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			b.WriteString(unescape(body[i]))
		case c == q && i+1 < len(body) && body[i+1] == q:
			i++
			b.WriteByte(q)
		case c == q || c == '\\':
			return "", fmt.Errorf("shard: bad quoting in %s", s)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func unescape(c byte) string {
	switch c {
	case '0':
		return "\x00"
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case 'b':
		return "\b"
	case 'Z':
		return "\x1a"
	case '%', '_':
		// MySQL keeps the backslash so LIKE patterns survive.
		return "\\" + string(c)
	}
	return string(c)
}

// parseInteger parses an optionally signed decimal integer.
func parseInteger(s string) (Value, error) {
	s = strings.TrimPrefix(s, "+")
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Int(i), nil
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return Value{}, fmt.Errorf("shard: not an integer: %q", s)
	}
	return Uint(u), nil
}

var dateLayouts = []string{
	time.DateOnly,
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// parseDateTime parses MySQL date and datetime text as a UTC wall clock.
func parseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ParseHybrid reads a bare hex literal (0x41) or bit literal
// (b'1000001', 0b1000001), which MariaDB reads as a number where a number
// is wanted (compared with or stored in an integer column: 0x10 is 16)
// and as its bytes where a string is (0x41 is 'A'; b'0000000000000001'
// is two bytes). ok is false for any other text, X'41' included (always
// a string in MariaDB), a literal after a character set introducer (a
// string too), and one of more than 64 bits.
func ParseHybrid(text string) (n uint64, bytes string, ok bool) {
	s := strings.TrimSpace(text)
	var digits string
	bits := 4
	switch {
	case strings.HasPrefix(s, "0x"):
		digits = s[2:]
	case strings.HasPrefix(s, "0b"):
		digits, bits = s[2:], 1
	case len(s) >= 3 && (s[0] == 'b' || s[0] == 'B') && s[1] == '\'' && s[len(s)-1] == '\'':
		digits, bits = s[2:len(s)-1], 1
	default:
		return 0, "", false
	}
	if digits == "" && bits == 4 {
		return 0, "", false // 0x alone is a name
	}
	if digits != "" {
		var err error
		if n, err = strconv.ParseUint(digits, 1<<bits, 64); err != nil {
			return 0, "", false
		}
	}
	// As many bytes as the digits fill, leading zeros included.
	size := (len(digits)*bits + 7) / 8
	b := make([]byte, size)
	for i, v := size-1, n; i >= 0; i, v = i-1, v>>8 {
		b[i] = byte(v)
	}
	return n, string(b), true
}
