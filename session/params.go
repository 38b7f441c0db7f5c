package session

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/strata-proxy/strata/wire"
)

// MySQL binary-protocol parameter types.
const (
	paramTiny      = 0x01
	paramShort     = 0x02
	paramLong      = 0x03
	paramFloat     = 0x04
	paramDouble    = 0x05
	paramNull      = 0x06
	paramTimestamp = 0x07
	paramLongLong  = 0x08
	paramInt24     = 0x09
	paramDate      = 0x0a
	paramTime      = 0x0b
	paramDateTime  = 0x0c
	paramYear      = 0x0d
)

// executeArgs reads the bound values of a COM_STMT_EXECUTE as SQL
// literals, one per placeholder, so a statement over sharded tables can be
// planned by its values and run as text on the shards.
func (st *prepared) executeArgs(packet []byte, charset string) ([]string, error) {
	if st.params == 0 {
		return nil, nil
	}
	nullAt := 10
	flagAt := nullAt + (st.params+7)/8
	if len(packet) <= flagAt {
		return nil, errShort
	}
	nulls := packet[nullAt:flagAt]
	values := packet[flagAt+1:]
	if packet[flagAt] == 1 {
		if len(values) < 2*st.params {
			return nil, errShort
		}
		values = values[2*st.params:]
	}
	if len(st.types) < 2*st.params {
		return nil, errNoTypes
	}
	args := make([]string, st.params)
	for i := range args {
		typ, unsigned := st.types[2*i], st.types[2*i+1]&0x80 != 0
		if data, ok := st.long.params[uint16(i)]; ok {
			args[i] = stringParam(data, typ, charset)
			continue
		}
		if nulls[i/8]&(1<<(i%8)) != 0 || typ == paramNull {
			args[i] = "NULL"
			continue
		}
		lit, n, err := decodeParam(typ, unsigned, values, charset)
		if err != nil {
			return nil, fmt.Errorf("parameter %d: %w", i+1, err)
		}
		args[i], values = lit, values[n:]
	}
	return args, nil
}

// decodeParam reads one binary value and renders it as a literal; n is
// the number of bytes it took.
func decodeParam(typ byte, unsigned bool, b []byte, charset string) (lit string, n int, err error) {
	need := func(k int) error {
		if len(b) < k {
			return errShort
		}
		return nil
	}
	switch typ {
	case paramTiny:
		if err := need(1); err != nil {
			return "", 0, err
		}
		if unsigned {
			return integerParam(int64(b[0]), widthTiny), 1, nil
		}
		return integerParam(int64(int8(b[0])), widthTiny), 1, nil
	case paramShort, paramYear:
		if err := need(2); err != nil {
			return "", 0, err
		}
		v := binary.LittleEndian.Uint16(b)
		if unsigned || typ == paramYear {
			return integerParam(int64(v), widthShort), 2, nil
		}
		return integerParam(int64(int16(v)), widthShort), 2, nil
	case paramLong, paramInt24:
		if err := need(4); err != nil {
			return "", 0, err
		}
		v := binary.LittleEndian.Uint32(b)
		if unsigned {
			return integerParam(int64(v), widthLong), 4, nil
		}
		return integerParam(int64(int32(v)), widthLong), 4, nil
	case paramLongLong:
		if err := need(8); err != nil {
			return "", 0, err
		}
		v := binary.LittleEndian.Uint64(b)
		if unsigned && v > math.MaxInt64 {
			return strconv.FormatUint(v, 10), 8, nil
		}
		return integerParam(int64(v), widthLongLong), 8, nil
	case paramFloat:
		if err := need(4); err != nil {
			return "", 0, err
		}
		return doubleLiteral(float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))), 4, nil
	case paramDouble:
		if err := need(8); err != nil {
			return "", 0, err
		}
		return doubleLiteral(math.Float64frombits(binary.LittleEndian.Uint64(b))), 8, nil
	case paramDate, paramDateTime, paramTimestamp:
		lit, n, err := decodeDateTime(b)
		if err != nil {
			return "", 0, err
		}
		return typedTemporal(lit, typ), n, nil
	case paramTime:
		return decodeTime(b)
	}
	// Strings, decimals, blobs, JSON...: length-encoded bytes.
	l, k := wire.ReadLenEnc(b)
	if k == 0 || uint64(len(b)-k) < l {
		return "", 0, errShort
	}
	text := b[k : k+int(l)]
	if (typ == paramDecimal || typ == paramNewDecimal) && decimalDigits.Match(text) {
		// A DECIMAL as the server holds it: digits MariaDB reads as a
		// DECIMAL, not a string it would compute with as a DOUBLE.
		return string(text), k + int(l), nil
	}
	return stringParam(text, typ, charset), k + int(l), nil
}

// The widths integerParam pads each integer type's literal to. MariaDB
// types an integer literal by its length in characters (leading zeros and
// sign included): up to 9 an INT, beyond a BIGINT; and so it types what
// is computed from one (? + 1 has one character more, ? * 1000 four more).
// A bound value's length there is its type's (a BIGINT's 20, an INT's
// 11), so SELECT ? of a bound BIGINT 41 is a BIGINT column on one server,
// which a Java app reads as a Long and Node's mariadb connector as a
// BigInt, where a plain 41 would be an INT; and ? + 1 of a bound INT is a
// BIGINT there. Padded to these widths, the literal and what is computed
// from it get the types one server gives them. An INT is padded to 9, not
// 11, so that it stays an INT itself.
const (
	widthTiny     = 4
	widthShort    = 6
	widthLong     = 9
	widthLongLong = 20
)

// integerParam writes v as an integer literal of width characters, sign
// included, padded with leading zeros (see widthLong). A value longer than
// width is written as it is.
func integerParam(v int64, width int) string {
	if v < 0 {
		digits := strconv.FormatUint(-uint64(v), 10) // -MinInt64 wraps to its magnitude
		return "-" + zeroPad(digits, width-1)
	}
	return zeroPad(strconv.FormatInt(v, 10), width)
}

func zeroPad(digits string, width int) string {
	if len(digits) >= width {
		return digits
	}
	return strings.Repeat("0", width-len(digits)) + digits
}

// Parameter types of DECIMAL values, sent as their digits.
const (
	paramDecimal    = 0x00
	paramNewDecimal = 0xf6
)

// decimalDigits matches a DECIMAL parameter's text as clients send it
// (Connector/J's BigDecimal): -12.50.
var decimalDigits = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// typedTemporal writes a DATE, DATETIME or TIMESTAMP parameter (lit, as
// decodeDateTime quotes it) as the server holds it: a DATE a DATE
// '2024-06-03' literal, the others a TIMESTAMP '...' one (a DATETIME to
// MariaDB). A quoted string would be text there, so a DATE joined to a
// text read '2024-06-03 00:00:00' where one server reads '2024-06-03'. A
// zero date stays a string, which strict modes read where they would
// refuse the typed literal.
func typedTemporal(lit string, typ byte) string {
	if strings.HasPrefix(lit, "'0000-00-00") {
		if typ == paramDate {
			return "'0000-00-00'"
		}
		return lit
	}
	if typ == paramDate {
		return "DATE " + lit[:len("'2024-06-03")] + "'"
	}
	return "TIMESTAMP " + lit
}

// doubleLiteral writes a FLOAT or DOUBLE parameter as the server holds
// it, a DOUBLE: in exponent form, which MariaDB reads as a DOUBLE. Plain
// digits would be an integer or a DECIMAL there, so a bound 1.0 in
// ? / 3 divided as a DECIMAL (0.333333333, one server 0.3333333333333333),
// and a FLOAT's 0.1 would lose the float's own rounding. The planner reads
// such a literal that names a whole number as that number's key
// (planner.value), as Node's mysql2 binds every number as a DOUBLE.
func doubleLiteral(f float64) string {
	return strconv.FormatFloat(f, 'e', -1, 64)
}

// Parameter types the server takes as binary strings, whatever the
// client's character set.
const (
	paramTinyBlob   = 0xf9
	paramMediumBlob = 0xfa
	paramLongBlob   = 0xfb
	paramBlob       = 0xfc
)

// stringParam renders a string parameter as a literal the shard reads as
// the server reads the parameter: a BLOB-typed one as a binary string
// (X'...'), any other as text in the client's character set charset
// (plain, or _charset X'...' when its bytes need escaping: a bare X'...'
// is a binary string, which a shard reads as the column's character set,
// so a latin1 client's 'Šimon' was invalid utf8mb4 there, error 1300). An
// unknown charset ("") keeps the bare hex, and so do bytes that are not
// text in a UTF-8 client's set (a hash or an image that go-sql-driver
// binds as a string): the server keeps such a parameter's bytes as given
// (a binary column stores them, a text column refuses them, 1366), where
// _utf8mb4 X'...' would fail the statement when it is read (1300).
func stringParam(b []byte, typ byte, charset string) string {
	switch typ {
	case paramTinyBlob, paramMediumBlob, paramLongBlob, paramBlob:
		return "X'" + hex.EncodeToString(b) + "'"
	}
	lit := quoteLiteral(b)
	if charset != "" && strings.HasPrefix(lit, "X'") && (!strings.HasPrefix(charset, "utf8") || utf8.Valid(b)) {
		return "_" + charset + " " + lit
	}
	return lit
}

func decodeDateTime(b []byte) (string, int, error) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", 0, errShort
	}
	n := int(b[0])
	d := b[1 : 1+n]
	var y, mo, day, h, mi, s int
	var us uint32
	if n >= 4 {
		y, mo, day = int(binary.LittleEndian.Uint16(d)), int(d[2]), int(d[3])
	}
	if n >= 7 {
		h, mi, s = int(d[4]), int(d[5]), int(d[6])
	}
	if n >= 11 {
		us = binary.LittleEndian.Uint32(d[7:])
	}
	lit := fmt.Sprintf("'%04d-%02d-%02d %02d:%02d:%02d", y, mo, day, h, mi, s)
	if us > 0 {
		lit += fmt.Sprintf(".%06d", us)
	}
	return lit + "'", 1 + n, nil
}

func decodeTime(b []byte) (string, int, error) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", 0, errShort
	}
	n := int(b[0])
	d := b[1 : 1+n]
	if n == 0 {
		return "TIME '00:00:00'", 1, nil
	}
	if n < 8 {
		return "", 0, errShort
	}
	sign := ""
	if d[0] == 1 {
		sign = "-"
	}
	hours := uint64(binary.LittleEndian.Uint32(d[1:]))*24 + uint64(d[5])
	lit := fmt.Sprintf("'%s%02d:%02d:%02d", sign, hours, d[6], d[7])
	if n >= 12 {
		if us := binary.LittleEndian.Uint32(d[8:]); us > 0 {
			lit += fmt.Sprintf(".%06d", us)
		}
	}
	lit += "'"
	if hours <= maxTimeHours && d[6] < 60 && d[7] < 60 {
		// A TIME as the server holds it: a quoted string is text there,
		// so ? + INTERVAL 1 HOUR was NULL where one server adds the hour.
		// A TIME literal out of range is an error (1525) where the bound
		// value is clipped, so such a value stays a string.
		lit = "TIME " + lit
	}
	return lit, 1 + n, nil
}

// maxTimeHours is the largest hour count of a MariaDB TIME, 838:59:59.
const maxTimeHours = 838

// quoteLiteral renders bytes as a string literal that reads the same under
// every sql_mode: plain text in quotes, anything with a backslash, a
// control byte or invalid UTF-8 as a hex literal.
func quoteLiteral(b []byte) string {
	plain := utf8.Valid(b)
	for _, c := range b {
		if c == '\\' || c < 0x20 {
			plain = false
			break
		}
	}
	if !plain {
		if len(b) == 0 {
			return "''"
		}
		return "X'" + hex.EncodeToString(b) + "'"
	}
	return "'" + strings.ReplaceAll(string(b), "'", "''") + "'"
}
