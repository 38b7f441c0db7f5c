package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// A client whose character_set_results is a single-byte set (latin1,
// cp1251, ...) reads '?' for every character that set cannot hold. One
// server sorts, groups and de-duplicates the stored values before it
// converts them; a merge of what the shards sent would compare the '?'s,
// so Ω, Ж and 中 would be one value. Such a merge reads the shards in
// UTF-8 and converts its output as the server would have: Transcoded for
// the rows, TranscodeColumnDef for their definitions.

// resultsCollation is the collation id a server puts in a text column's
// definition for a connection whose character_set_results is the set:
// the set's default collation (information_schema.CHARACTER_SETS).
var resultsCollation = map[string]uint16{
	"armscii8": 32, "ascii": 11, "cp1250": 26, "cp1251": 51, "cp1256": 57,
	"cp1257": 59, "cp850": 4, "cp852": 40, "cp866": 36, "dec8": 3,
	"geostd8": 92, "greek": 25, "hebrew": 16, "hp8": 6, "keybcs2": 37,
	"koi8r": 7, "koi8u": 22, "latin1": 8, "latin2": 9, "latin5": 30,
	"latin7": 41, "macce": 38, "macroman": 39, "swe7": 10, "tis620": 18,
}

// ConvertsFromUTF8 reports whether Strata can convert UTF-8 text to
// charset as MariaDB does: utf8mb3 (three bytes at most: a character
// beyond, an emoji, is '?') and the single-byte sets it holds the tables
// of.
func ConvertsFromUTF8(charset string) bool {
	_, ok := resultsSetOf(charset)
	return ok
}

// resultsSet is a character set results can be converted to from UTF-8.
type resultsSet struct {
	collation uint16 // the id a text column's definition gives
	maxLen    uint32 // the longest character's bytes
	fromUTF8  func([]byte) []byte
}

func resultsSetOf(charset string) (resultsSet, bool) {
	if charset == "utf8mb3" {
		return resultsSet{collation: 33, maxLen: 3, fromUTF8: toUTF8MB3}, true
	}
	id, ok := resultsCollation[charset]
	cs := singleByteCharset(charset)
	if !ok || cs == nil {
		return resultsSet{}, false
	}
	return resultsSet{collation: id, maxLen: 1, fromUTF8: cs.fromUTF8}, true
}

// Transcoded returns stream with the values of cols' text columns (all
// but binary ones) converted from UTF-8 to charset (ConvertsFromUTF8),
// a character the set cannot hold as '?', as MariaDB converts results.
func Transcoded(stream RowStream, cols []Column, charset string) RowStream {
	rs, _ := resultsSetOf(charset)
	return &transcoded{RowStream: stream, cols: cols, convert: rs.fromUTF8}
}

type transcoded struct {
	RowStream
	cols    []Column
	convert func([]byte) []byte
}

func (t *transcoded) Next(ctx context.Context) (Row, error) {
	row, err := t.RowStream.Next(ctx)
	if err != nil {
		return row, err
	}
	// A new row: the stream may hold the one it returned (a DISTINCT
	// compares the next row with it), in UTF-8.
	out := make(Row, len(row))
	for i, v := range row {
		if v != nil && i < len(t.cols) && t.cols[i].Charset != CharsetBinary {
			v = t.convert(v)
		}
		out[i] = v
	}
	return out, nil
}

// FoundRows passes the stream's count on (-1: it keeps none).
func (t *transcoded) FoundRows() int64 {
	if f, ok := t.RowStream.(FoundRowser); ok {
		return f.FoundRows()
	}
	return -1
}

// asciiPrefix is how many bytes v starts with below 0x80: text the same
// in every character set here.
func asciiPrefix(v []byte) int {
	i := 0
	for i < len(v) && v[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// fromUTF8 converts UTF-8 text to the set.
func (cs *singleByte) fromUTF8(v []byte) []byte {
	i := asciiPrefix(v)
	if i == len(v) {
		return v
	}
	out := make([]byte, i, len(v))
	copy(out, v[:i])
	for _, r := range string(v[i:]) {
		out = append(out, byte(cs.byteOf(r)))
	}
	return out
}

// toUTF8MB3 is UTF-8 text with each character of four bytes as '?'.
func toUTF8MB3(v []byte) []byte {
	if bytes.IndexFunc(v, func(r rune) bool { return r > 0xFFFF }) < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for _, r := range string(v) {
		if r > 0xFFFF {
			r = '?'
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// TranscodeColumnDef returns a ColumnDefinition41 payload that a server
// sent a connection reading results in UTF-8 (character_set_results
// utf8mb4) as it would have sent it to one reading charset
// (ConvertsFromUTF8): names converted, and a text column's collation and
// display length those of charset (its longest character against
// utf8mb4's four bytes).
func TranscodeColumnDef(payload []byte, charset string) ([]byte, error) {
	rs, ok := resultsSetOf(charset)
	if !ok {
		return nil, fmt.Errorf("column definition: no conversion to %s", charset)
	}
	out := make([]byte, 0, len(payload))
	p := payload
	for i := range 6 {
		s, rest, ok := readLenEncString(p)
		if !ok {
			return nil, fmt.Errorf("column definition: truncated string %d", i)
		}
		if i > 0 { // the catalog is always "def"
			s = rs.fromUTF8(s)
		}
		out = appendLenEncString(out, s)
		p = rest
	}
	n, w := readLenEncInt(p)
	if w == 0 || n < 10 || len(p) < w+10 {
		return nil, errors.New("column definition: truncated fixed fields")
	}
	fixed := len(out) + w
	out = append(out, p...)
	f := out[fixed:]
	if binary.LittleEndian.Uint16(f) != CharsetBinary {
		binary.LittleEndian.PutUint16(f, rs.collation)
		// MariaDB gives a text column as many bytes as characters times
		// the results' longest character, capped at 2^32-1.
		if length := binary.LittleEndian.Uint32(f[2:]); length != 1<<32-1 {
			binary.LittleEndian.PutUint32(f[2:], length/4*rs.maxLen)
		}
	}
	return out, nil
}
