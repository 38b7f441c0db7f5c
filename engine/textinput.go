package engine

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"
)

// textInput is how the bytes of the text values a merge compares are
// encoded: the character set the connection receives them in (its
// character_set_results), which need not be the column's. A latin1
// client reading a utf8mb4 column gets latin1 bytes; a utf8mb4 client
// reading a latin1 column gets UTF-8. The zero value reads UTF-8.
type textInput struct {
	cs *singleByte // a single-byte character set, nil for UTF-8
}

// decode reads the first character of b.
func (in textInput) decode(b []byte) (rune, int) {
	if in.cs != nil {
		return in.cs.toUni[b[0]], 1
	}
	return decodeRune(b)
}

// singleByte is a character set of one byte per character (latin1, which
// in MariaDB is Windows-1252; cp1251, latin2, koi8r, ...), as MariaDB
// converts it to and from Unicode.
type singleByte struct {
	name    string
	toUni   [256]rune
	fromUni map[rune]rune // code point → byte, for ordering by byte
}

// byteOf is the byte the character set stores r as: the order of its
// _bin collation. '?' for a character it cannot hold, as the server
// converts it.
func (cs *singleByte) byteOf(r rune) rune {
	if b, ok := cs.fromUni[r]; ok {
		return b
	}
	return '?'
}

// The single-byte character sets, read from MariaDB by engine/collgen.
var (
	singleBytesOnce sync.Once
	singleBytes     map[string]*singleByte
)

// singleByteCharset returns the named single-byte character set, nil for
// another.
func singleByteCharset(name string) *singleByte {
	singleBytesOnce.Do(func() {
		var err error
		if singleBytes, err = readSingleBytes(); err != nil {
			// The file is part of the binary: TestSingleByteCharsetsLoad
			// catches a bad one.
			panic(fmt.Sprintf("collations/charsets.bin: %v", err))
		}
	})
	return singleBytes[name]
}

func readSingleBytes() (map[string]*singleByte, error) {
	f, err := weightFiles.Open("collations/charsets.bin")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	r := tableReader{b: raw}
	if !bytes.Equal(r.next(5), []byte("STRC1")) {
		return nil, fmt.Errorf("not a character set table")
	}
	r.next(int(r.byte())) // the server version
	out := map[string]*singleByte{}
	for n := r.byte(); n > 0 && r.err == nil; n-- {
		cs := &singleByte{name: string(r.next(int(r.byte()))), fromUni: make(map[rune]rune, 256)}
		for b := range 256 {
			cs.toUni[b] = rune(binary.BigEndian.Uint32(r.next(4)))
		}
		// Bytes the set leaves undefined read as '?': the first byte of
		// a code point is the one the server stores it as.
		for b := 255; b >= 0; b-- {
			cs.fromUni[cs.toUni[b]] = rune(b)
		}
		out[cs.name] = cs
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, fmt.Errorf("malformed (%v, %d bytes left)", r.err, len(r.b))
	}
	return out, nil
}

// inputOf is the encoding of text sent in the character set of collation
// id, for a value of collation coll: an error for one Strata does not
// read (gbk, sjis, big5: several bytes per character, not UTF-8), whose
// bytes it would compare as other characters. A connection that takes
// results as they are stored (character_set_results binary or NULL) gets
// each value in its own collation's character set.
func inputOf(id uint16, coll string) (textInput, error) {
	charset, known := charsetOfID[id]
	if charset == "binary" {
		charset, _, _ = strings.Cut(coll, "_")
	}
	switch {
	case !known, charset == "utf8mb4", charset == "utf8mb3", charset == "utf8", charset == "ascii", charset == "binary":
		// Ids MariaDB 10.11 does not list are MariaDB 11's Unicode ones.
		return textInput{}, nil
	}
	if cs := singleByteCharset(charset); cs != nil {
		return textInput{cs: cs}, nil
	}
	return textInput{}, &CollationUnknownError{Reason: fmt.Sprintf("this connection receives text in character set %s, whose bytes Strata does not read, so it does not merge rows of several shards by text: SET NAMES utf8mb4 for such statements, or name the shard key so one shard answers", charset)}
}

// DecodeSingleByte returns text in a single-byte character set (latin1,
// cp1251, ...) as UTF-8, as MariaDB converts it; ok is false for another
// character set, whose text is returned as it is.
func DecodeSingleByte(charset, text string) (utf8 string, ok bool) {
	cs := singleByteCharset(charset)
	if cs == nil {
		return text, false
	}
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); i++ {
		b.WriteRune(cs.toUni[text[i]])
	}
	return b.String(), true
}

// EncodeSingleByte is text (UTF-8) in a single-byte character set, as
// MariaDB converts it; ok is false for another set, or a character it
// cannot hold.
func EncodeSingleByte(charset, text string) (string, bool) {
	cs := singleByteCharset(charset)
	if cs == nil {
		return text, false
	}
	out := make([]byte, 0, len(text))
	for _, r := range text {
		b, ok := cs.fromUni[r]
		if !ok {
			return text, false
		}
		out = append(out, byte(b))
	}
	return string(out), true
}
