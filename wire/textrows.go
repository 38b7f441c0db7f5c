package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// A client that sent a text statement (COM_QUERY) reads its rows in the
// text protocol. Strata may run such a statement as a prepared one
// (sqlparse.PreparedForm), whose rows come in the binary protocol; it
// turns each back into the row the server would have sent for the text.

// TextRows turns binary-protocol rows of one result's columns into the
// text-protocol rows of the same values.
type TextRows struct {
	cols []textColumn
}

// textColumn is what turning a column's binary value into text needs to
// know of its definition.
type textColumn struct {
	typ      byte
	unsigned bool
	zerofill bool
	length   uint32
	decimals byte
}

// NewTextRows reads the column definitions (ColumnDefinition41 payloads)
// of a result. It fails when a column's binary value has no exact text
// here: FLOAT and DOUBLE, whose text is the server's own rounding of the
// value.
func NewTextRows(defs [][]byte) (*TextRows, error) {
	t := &TextRows{cols: make([]textColumn, len(defs))}
	for i, def := range defs {
		c, err := readTextColumn(def)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", i+1, err)
		}
		t.cols[i] = c
	}
	return t, nil
}

// readTextColumn reads a column definition's fixed fields, after its six
// length-encoded strings and the length of the fixed fields.
func readTextColumn(def []byte) (textColumn, error) {
	p := def
	for range 6 {
		n, w := ReadLenEnc(p)
		if w == 0 || uint64(len(p)-w) < n {
			return textColumn{}, errors.New("truncated column definition")
		}
		p = p[w+int(n):]
	}
	if _, w := ReadLenEnc(p); w == 0 || len(p) < w+10 {
		return textColumn{}, errors.New("truncated column definition")
	} else {
		p = p[w:]
	}
	flags := binary.LittleEndian.Uint16(p[7:])
	c := textColumn{
		typ:      p[6],
		length:   binary.LittleEndian.Uint32(p[2:]),
		unsigned: flags&mysql.UNSIGNED_FLAG != 0,
		zerofill: flags&mysql.ZEROFILL_FLAG != 0,
		decimals: p[9],
	}
	switch c.typ {
	case mysql.MYSQL_TYPE_FLOAT, mysql.MYSQL_TYPE_DOUBLE:
		return c, errors.New("FLOAT or DOUBLE values have no exact text here")
	case mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIME:
		if c.decimals > 6 {
			return c, fmt.Errorf("temporal column with %d decimals", c.decimals)
		}
	case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_YEAR, mysql.MYSQL_TYPE_INT24,
		mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_NULL,
		mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE,
		mysql.MYSQL_TYPE_DECIMAL, mysql.MYSQL_TYPE_NEWDECIMAL, mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_BIT,
		mysql.MYSQL_TYPE_JSON, mysql.MYSQL_TYPE_ENUM, mysql.MYSQL_TYPE_SET, mysql.MYSQL_TYPE_TINY_BLOB,
		mysql.MYSQL_TYPE_MEDIUM_BLOB, mysql.MYSQL_TYPE_LONG_BLOB, mysql.MYSQL_TYPE_BLOB,
		mysql.MYSQL_TYPE_VAR_STRING, mysql.MYSQL_TYPE_STRING, mysql.MYSQL_TYPE_GEOMETRY:
	default:
		return c, fmt.Errorf("column type %d", c.typ)
	}
	return c, nil
}

var errBinaryRow = errors.New("malformed binary row")

// Append appends to dst the text-protocol payload of row, a binary-protocol
// row payload of t's columns.
func (t *TextRows) Append(dst, row []byte) ([]byte, error) {
	nullBytes := (len(t.cols) + 7 + 2) / 8
	if len(row) < 1+nullBytes || row[0] != HeaderOK {
		return dst, errBinaryRow
	}
	nulls, p := row[1:1+nullBytes], row[1+nullBytes:]
	for i, c := range t.cols {
		if bit := i + 2; nulls[bit/8]&(1<<(bit%8)) != 0 {
			dst = append(dst, 0xfb)
			continue
		}
		var err error
		if dst, p, err = c.appendText(dst, p); err != nil {
			return dst, err
		}
	}
	if len(p) != 0 {
		return dst, errBinaryRow
	}
	return dst, nil
}

// appendText appends the length-encoded text of the binary value at the
// start of p, and returns what follows the value.
func (c textColumn) appendText(dst, p []byte) ([]byte, []byte, error) {
	switch c.typ {
	case mysql.MYSQL_TYPE_TINY:
		return c.appendInt(dst, p, 1)
	case mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_YEAR:
		return c.appendInt(dst, p, 2)
	case mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_INT24:
		return c.appendInt(dst, p, 4)
	case mysql.MYSQL_TYPE_LONGLONG:
		return c.appendInt(dst, p, 8)
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE, mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_TIMESTAMP:
		return c.appendDateTime(dst, p)
	case mysql.MYSQL_TYPE_TIME:
		return c.appendTime(dst, p)
	case mysql.MYSQL_TYPE_NULL:
		return dst, p, errBinaryRow // only ever NULL, which the bitmap says
	}
	// Strings, DECIMAL, BIT, JSON, ENUM, SET, GEOMETRY: the same
	// length-encoded bytes in both protocols.
	n, w := ReadLenEnc(p)
	if w == 0 || uint64(len(p)-w) < n {
		return dst, p, errBinaryRow
	}
	end := w + int(n)
	return append(dst, p[:end]...), p[end:], nil
}

// appendInt turns a little-endian integer of size bytes into its digits,
// padded with zeros to the column's width under ZEROFILL, as the text
// protocol sends it.
func (c textColumn) appendInt(dst, p []byte, size int) ([]byte, []byte, error) {
	if len(p) < size {
		return dst, p, errBinaryRow
	}
	var u uint64
	for i := range size {
		u |= uint64(p[i]) << (8 * i)
	}
	var digits [24]byte
	var d []byte
	if c.unsigned {
		d = strconv.AppendUint(digits[:0], u, 10)
	} else {
		shift := 64 - 8*size // sign-extend
		d = strconv.AppendInt(digits[:0], int64(u<<shift)>>shift, 10)
	}
	pad := 0
	if c.zerofill && uint32(len(d)) < c.length {
		pad = int(c.length) - len(d)
	}
	dst = AppendLenEnc(dst, uint64(pad+len(d)))
	for range pad {
		dst = append(dst, '0')
	}
	return append(dst, d...), p[size:], nil
}

// appendDateTime turns a binary DATE, DATETIME or TIMESTAMP (a length of
// 0, 4, 7 or 11, then year, month, day, hour, minute, second and
// microseconds as far as they go) into YYYY-MM-DD[ HH:MM:SS[.fff…]],
// with as many fractional digits as the column has decimals.
func (c textColumn) appendDateTime(dst, p []byte) ([]byte, []byte, error) {
	var v [11]byte
	rest, ok := temporal(v[:], p, 0, 4, 7, 11)
	if !ok {
		return dst, p, errBinaryRow
	}
	var text [32]byte
	t := appendDigits(text[:0], int(binary.LittleEndian.Uint16(v[0:])), 4)
	t = append(t, '-')
	t = appendDigits(t, int(v[2]), 2)
	t = append(t, '-')
	t = appendDigits(t, int(v[3]), 2)
	if c.typ != mysql.MYSQL_TYPE_DATE && c.typ != mysql.MYSQL_TYPE_NEWDATE {
		t = append(t, ' ')
		t = appendClock(t, int(v[4]), int(v[5]), int(v[6]), binary.LittleEndian.Uint32(v[7:]), c.decimals)
	}
	dst = append(dst, byte(len(t)))
	return append(dst, t...), rest, nil
}

// appendTime turns a binary TIME (a length of 0, 8 or 12, then the sign,
// days, hours, minutes, seconds and microseconds) into [-]HH:MM:SS[.fff…],
// the hours counting the days.
func (c textColumn) appendTime(dst, p []byte) ([]byte, []byte, error) {
	var v [12]byte
	rest, ok := temporal(v[:], p, 0, 8, 12)
	if !ok {
		return dst, p, errBinaryRow
	}
	var text [32]byte
	t := text[:0]
	if v[0] == 1 {
		t = append(t, '-')
	}
	hours := int(binary.LittleEndian.Uint32(v[1:]))*24 + int(v[5])
	t = appendClock(t, hours, int(v[6]), int(v[7]), binary.LittleEndian.Uint32(v[8:]), c.decimals)
	dst = append(dst, byte(len(t)))
	return append(dst, t...), rest, nil
}

// temporal copies a binary temporal value at the start of p into v (zeros
// past its bytes): a length byte, one of sizes, then that many bytes. rest
// is what follows it.
func temporal(v, p []byte, sizes ...int) (rest []byte, ok bool) {
	if len(p) == 0 || len(p) < 1+int(p[0]) {
		return p, false
	}
	n := int(p[0])
	for _, size := range sizes {
		if n == size {
			copy(v, p[1:1+n])
			return p[1+n:], true
		}
	}
	return p, false
}

// appendClock appends HH:MM:SS and, for a column with decimals, a point
// and that many digits of the microseconds.
func appendClock(t []byte, h, m, s int, micros uint32, decimals byte) []byte {
	t = appendDigits(t, h, 2)
	t = append(t, ':')
	t = appendDigits(t, m, 2)
	t = append(t, ':')
	t = appendDigits(t, s, 2)
	if decimals == 0 {
		return t
	}
	var frac [6]byte
	appendDigits(frac[:0], int(micros), 6)
	t = append(t, '.')
	return append(t, frac[:decimals]...)
}

// appendDigits appends n in decimal, padded with zeros to width digits.
func appendDigits(t []byte, n, width int) []byte {
	var d [20]byte
	s := strconv.AppendInt(d[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		t = append(t, '0')
	}
	return append(t, s...)
}

// Param is a value bound to a prepared statement's parameter.
type Param struct {
	// Int is an integer's value, Unsigned telling how to read it; Str a
	// string's bytes when String is set.
	Int      uint64
	Unsigned bool
	String   bool
	Str      string
}

// AppendExecute appends a COM_STMT_EXECUTE payload that runs statement id
// once, without a cursor, with params bound (their types sent along): an
// integer as a BIGINT, a string as a string in the connection's
// character set.
func AppendExecute(dst []byte, id uint32, params []Param) []byte {
	dst = append(dst, ComStmtExecute)
	dst = binary.LittleEndian.AppendUint32(dst, id)
	dst = append(dst, 0)                           // no cursor
	dst = binary.LittleEndian.AppendUint32(dst, 1) // iteration count
	if len(params) == 0 {
		return dst
	}
	for range (len(params) + 7) / 8 {
		dst = append(dst, 0) // no NULLs
	}
	dst = append(dst, 1) // types follow
	for _, p := range params {
		switch {
		case p.String:
			dst = append(dst, mysql.MYSQL_TYPE_STRING, 0)
		case p.Unsigned:
			dst = append(dst, mysql.MYSQL_TYPE_LONGLONG, 0x80)
		default:
			dst = append(dst, mysql.MYSQL_TYPE_LONGLONG, 0)
		}
	}
	for _, p := range params {
		if p.String {
			dst = AppendLenEnc(dst, uint64(len(p.Str)))
			dst = append(dst, p.Str...)
			continue
		}
		dst = binary.LittleEndian.AppendUint64(dst, p.Int)
	}
	return dst
}
