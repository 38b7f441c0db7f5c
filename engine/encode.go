package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/strata-proxy/strata/wire"
)

// ParseColumnDef decodes a ColumnDefinition41 payload (as a server sends
// it without MariaDB's extended metadata): catalog, schema, table,
// org_table, name, org_name as length-encoded strings, then a length-
// encoded 0x0c and the fixed fields charset, length, type, flags and
// decimals.
func ParseColumnDef(payload []byte) (Column, error) {
	var c Column
	strs, p, err := columnStrings(payload)
	if err != nil {
		return c, err
	}
	c.Name = string(strs[4])
	n, w := readLenEncInt(p)
	if w == 0 || n < 10 || len(p) < w+10 {
		return c, errors.New("column definition: truncated fixed fields")
	}
	p = p[w:]
	c.Charset = binary.LittleEndian.Uint16(p)
	c.Length = binary.LittleEndian.Uint32(p[2:])
	c.Type = p[6]
	c.Flags = binary.LittleEndian.Uint16(p[7:])
	c.Decimals = p[9]
	if c.Charset != CharsetBinary {
		// Only text compares by a collation, which merges look up by the
		// column a value comes from.
		c.Schema, c.OrgTable, c.OrgName = string(strs[1]), string(strs[3]), string(strs[5])
	}
	return c, nil
}

// ColumnSource reads the table and column a ColumnDefinition41 payload's
// value comes from (org_table, org_name), of any type: ParseColumnDef
// keeps them for text columns only. Empty for an expression.
func ColumnSource(payload []byte) (orgTable, orgName string, err error) {
	strs, _, err := columnStrings(payload)
	if err != nil {
		return "", "", err
	}
	return string(strs[3]), string(strs[5]), nil
}

// columnStrings splits off a ColumnDefinition41 payload's six
// length-encoded strings (catalog, schema, table, org_table, name,
// org_name); rest is what follows them.
func columnStrings(payload []byte) (strs [6][]byte, rest []byte, err error) {
	rest = payload
	for i := range strs {
		var ok bool
		if strs[i], rest, ok = readLenEncString(rest); !ok {
			return strs, nil, fmt.Errorf("column definition: truncated string %d", i)
		}
	}
	return strs, rest, nil
}

// RetypeColumnDef returns a copy of a ColumnDefinition41 payload with the
// collation, type, flags and decimals of c, and its length unless 0: for
// columns whose merged value has another type than the shards' column (a
// COUNT(DISTINCT x) sent as x, an average computed in Strata).
func RetypeColumnDef(payload []byte, c Column) ([]byte, error) {
	_, p, err := columnStrings(payload)
	if err != nil {
		return nil, err
	}
	n, w := readLenEncInt(p)
	if w == 0 || n < 10 || len(p) < w+10 {
		return nil, errors.New("column definition: truncated fixed fields")
	}
	out := append([]byte(nil), payload...)
	f := out[len(payload)-len(p)+w:]
	binary.LittleEndian.PutUint16(f, c.Charset)
	if c.Length != 0 {
		binary.LittleEndian.PutUint32(f[2:], c.Length)
	}
	f[6] = c.Type
	binary.LittleEndian.PutUint16(f[7:], c.Flags)
	f[9] = c.Decimals
	return out, nil
}

// readLenEncInt decodes a length-encoded integer, returning it and the
// bytes it took (0 when b is too short or starts with NULL/ERR markers).
func readLenEncInt(b []byte) (uint64, int) {
	if len(b) > 0 && (b[0] == 0xfb || b[0] == 0xff) {
		return 0, 0 // NULL and ERR markers are not lengths here
	}
	return wire.ReadLenEnc(b)
}

func readLenEncString(b []byte) (s, rest []byte, ok bool) {
	n, w := readLenEncInt(b)
	if w == 0 || uint64(len(b)-w) < n {
		return nil, nil, false
	}
	end := w + int(n)
	return b[w:end], b[end:], true
}

func appendLenEncInt(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	b = append(b, 0xfe)
	return binary.LittleEndian.AppendUint64(b, n)
}

func appendLenEncString(b, s []byte) []byte {
	b = appendLenEncInt(b, uint64(len(s)))
	return append(b, s...)
}

// DecodeTextRow splits a text-protocol row payload into n values: each a
// length-encoded string, or 0xfb for NULL. The values alias payload (with
// their capacity capped, so appending to one cannot overwrite the next);
// callers that reuse payload must copy it first. Empty strings are non-nil.
func DecodeTextRow(payload []byte, n int) (Row, error) {
	r := make(Row, n)
	p := payload
	off := 0
	for i := range n {
		if len(p) == 0 {
			return nil, fmt.Errorf("text row: %d of %d values", i, n)
		}
		if p[0] == 0xfb {
			p = p[1:]
			off++
			continue
		}
		l, w := readLenEncInt(p)
		if w == 0 || uint64(len(p)-w) < l {
			return nil, fmt.Errorf("text row: value %d truncated", i)
		}
		start, end := off+w, off+w+int(l)
		r[i] = payload[start:end:end]
		p = p[w+int(l):]
		off = end
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("text row: %d bytes after %d values", len(p), n)
	}
	return r, nil
}

// AppendTextRow appends the text-protocol payload of r to buf: every value
// as a length-encoded string, NULL as 0xfb.
func AppendTextRow(buf []byte, r Row) []byte {
	for _, v := range r {
		if v == nil {
			buf = append(buf, 0xfb)
			continue
		}
		buf = appendLenEncString(buf, v)
	}
	return buf
}

// AppendTextRowOf is AppendTextRow for rows of columns cols: a FLOAT or
// DOUBLE value of a column with fixed decimals (Decimals < 31, as a
// STDDEV of integers has 4) is printed with those decimals, as MariaDB
// prints it. Strata computes some such values itself (a VARIANCE merged
// from the shards' partials) and keeps them whole, so that expressions,
// HAVING, ORDER BY and binary-protocol rows use the whole value, as the
// server does; only the text the client reads is rounded.
func AppendTextRowOf(buf []byte, cols []Column, r Row) []byte {
	for i, v := range r {
		if v == nil {
			buf = append(buf, 0xfb)
			continue
		}
		if i < len(cols) && (cols[i].Type == TypeDouble || cols[i].Type == TypeFloat) && cols[i].Decimals < 31 {
			if f, err := strconv.ParseFloat(string(v), 64); err == nil {
				v = strconv.AppendFloat(nil, f, 'f', int(cols[i].Decimals), 64)
			}
		}
		buf = appendLenEncString(buf, v)
	}
	return buf
}

// AppendBinaryRow appends the binary-protocol (COM_STMT_EXECUTE) payload of
// r to buf, converting each text value to the encoding of its column's
// type: a 0x00 header, the NULL bitmap (bit offset 2), then the non-NULL
// values. Integers and YEAR are fixed-width little endian, FLOAT and
// DOUBLE IEEE 754, dates and times the length-prefixed shortest form the
// server sends; DECIMAL, strings, blobs, JSON, ENUM, SET, BIT and GEOMETRY
// are length-encoded strings of the text value. On error buf is returned
// unchanged.
//
// The result equals what the server sends through COM_STMT_EXECUTE except
// for FLOAT/DOUBLE columns with fixed decimals (Decimals < 31, as for
// PI() or FLOAT(7,4)): their text is rounded to those decimals, so the
// binary value is the rounded one.
func AppendBinaryRow(buf []byte, cols []Column, r Row) ([]byte, error) {
	if len(r) != len(cols) {
		return buf, fmt.Errorf("binary row: %d values for %d columns", len(r), len(cols))
	}
	orig := len(buf)
	buf = append(buf, 0x00)
	bitmap := len(buf)
	for range (len(cols) + 7 + 2) / 8 {
		buf = append(buf, 0)
	}
	for i, v := range r {
		if v == nil {
			pos := i + 2
			buf[bitmap+pos/8] |= 1 << (pos % 8)
			continue
		}
		var err error
		buf, err = appendBinaryValue(buf, cols[i], v)
		if err != nil {
			return buf[:orig], fmt.Errorf("binary row: column %d (%s): %w", i, cols[i].Name, err)
		}
	}
	return buf, nil
}

func appendBinaryValue(b []byte, c Column, v Value) ([]byte, error) {
	unsigned := c.Flags&FlagUnsigned != 0
	switch c.Type {
	case TypeTiny:
		return appendInt(b, v, 1, unsigned)
	case TypeShort, TypeYear:
		return appendInt(b, v, 2, unsigned)
	case TypeLong, TypeInt24:
		return appendInt(b, v, 4, unsigned)
	case TypeLongLong:
		return appendInt(b, v, 8, unsigned)
	case TypeFloat:
		f, err := strconv.ParseFloat(string(v), 32)
		if err != nil {
			return b, fmt.Errorf("FLOAT %q: %w", v, err)
		}
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f))), nil
	case TypeDouble:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return b, fmt.Errorf("DOUBLE %q: %w", v, err)
		}
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(f)), nil
	case TypeDate, TypeNewDate, TypeDateTime, TypeTimestamp:
		return appendDateTime(b, v)
	case TypeTime:
		return appendTime(b, v)
	case TypeNull:
		return b, errors.New("non-NULL value in a NULL-typed column")
	}
	return appendLenEncString(b, v), nil
}

// appendInt stores integer text in size bytes, little endian. The value
// must fit the column: signed values as two's complement, unsigned ones
// as they are.
func appendInt(b []byte, v Value, size int, unsigned bool) ([]byte, error) {
	bits := size * 8
	var u uint64
	if unsigned {
		n, err := strconv.ParseUint(string(v), 10, bits)
		if err != nil {
			return b, fmt.Errorf("integer %q: %w", v, err)
		}
		u = n
	} else {
		n, err := strconv.ParseInt(string(v), 10, bits)
		if err != nil {
			return b, fmt.Errorf("integer %q: %w", v, err)
		}
		u = uint64(n)
	}
	for i := range size {
		b = append(b, byte(u>>(8*i)))
	}
	return b, nil
}

// appendDateTime encodes "YYYY-MM-DD[ HH:MM:SS[.ffffff]]" the way the
// server does: length 0 for the zero date, 4 without a time of day, 7
// without microseconds, else 11.
func appendDateTime(b []byte, v Value) ([]byte, error) {
	bad := func() ([]byte, error) { return b, fmt.Errorf("date/time %q", v) }
	datePart, timePart, hasTime := bytes.Cut(v, []byte{' '})
	ymd := bytes.Split(datePart, []byte{'-'})
	if len(ymd) != 3 {
		return bad()
	}
	year, ok1 := atoiMax(ymd[0], 9999)
	month, ok2 := atoiMax(ymd[1], 99)
	day, ok3 := atoiMax(ymd[2], 99)
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	var hour, minute, second, micros int
	if hasTime {
		h, m, s, us, ok := parseClock(timePart)
		if !ok || h > 99 {
			return bad()
		}
		hour, minute, second, micros = h, m, s, us
	}
	var n byte
	switch {
	case micros != 0:
		n = 11
	case hour != 0 || minute != 0 || second != 0:
		n = 7
	case year != 0 || month != 0 || day != 0:
		n = 4
	}
	b = append(b, n)
	if n >= 4 {
		b = binary.LittleEndian.AppendUint16(b, uint16(year))
		b = append(b, byte(month), byte(day))
	}
	if n >= 7 {
		b = append(b, byte(hour), byte(minute), byte(second))
	}
	if n == 11 {
		b = binary.LittleEndian.AppendUint32(b, uint32(micros))
	}
	return b, nil
}

// appendTime encodes "[-]H+:MM:SS[.ffffff]" the way the server does:
// length 0 for zero, 8 without microseconds, else 12; hours of 24 and more
// go into the days field.
func appendTime(b []byte, v Value) ([]byte, error) {
	s := v
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	h, m, sec, us, ok := parseClock(s)
	if !ok {
		return b, fmt.Errorf("time %q", v)
	}
	var n byte
	switch {
	case us != 0:
		n = 12
	case h != 0 || m != 0 || sec != 0:
		n = 8
	}
	b = append(b, n)
	if n == 0 {
		return b, nil
	}
	var sign byte
	if neg {
		sign = 1
	}
	b = append(b, sign)
	b = binary.LittleEndian.AppendUint32(b, uint32(h/24))
	b = append(b, byte(h%24), byte(m), byte(sec))
	if n == 12 {
		b = binary.LittleEndian.AppendUint32(b, uint32(us))
	}
	return b, nil
}

// parseClock parses H+:MM:SS[.f{1,6}] into its parts, the fraction as
// microseconds.
func parseClock(s []byte) (h, m, sec, us int, ok bool) {
	hms, frac, hasFrac := bytes.Cut(s, []byte{'.'})
	parts := bytes.Split(hms, []byte{':'})
	if len(parts) != 3 {
		return 0, 0, 0, 0, false
	}
	h, ok1 := atoiMax(parts[0], 1<<24)
	m, ok2 := atoiMax(parts[1], 59)
	sec, ok3 := atoiMax(parts[2], 59)
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, 0, 0, false
	}
	if hasFrac {
		if len(frac) == 0 || len(frac) > 6 || !allDigits(frac) {
			return 0, 0, 0, 0, false
		}
		us, _ = strconv.Atoi(string(frac) + "000000"[len(frac):])
	}
	return h, m, sec, us, true
}

// atoiMax parses a non-empty run of digits no larger than limit.
func atoiMax(b []byte, limit int) (int, bool) {
	if len(b) == 0 || len(b) > 9 || !allDigits(b) {
		return 0, false
	}
	n, _ := strconv.Atoi(string(b))
	return n, n <= limit
}
