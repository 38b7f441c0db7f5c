package engine

import (
	"fmt"
	"strings"
)

// textInput is how the bytes of the text values a merge compares are
// encoded: the character set the connection receives them in (its
// character_set_results), which need not be the column's. A latin1
// client reading a utf8mb4 column gets latin1 bytes; a utf8mb4 client
// reading a latin1 column gets UTF-8.
type textInput uint8

const (
	inputUTF8   textInput = iota // utf8mb4, utf8mb3, ascii
	inputLatin1                  // MariaDB's latin1, which is Windows-1252
)

// latin1High is what MariaDB's latin1 bytes 0x80..0x9F are: Windows-1252's
// € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ, and the five it
// leaves undefined as the C1 controls (read from MariaDB 10.11:
// CONVERT(CHAR(n USING latin1) USING utf32)). The other bytes are their
// own code points.
var latin1High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// latin1Byte is the latin1 byte of code point r (what the server stores
// it as in a latin1 column), and '?' for one latin1 cannot hold.
func latin1Byte(r rune) rune {
	switch {
	case r < 0x80 || (r >= 0xA0 && r <= 0xFF):
		return r
	}
	for i, h := range latin1High {
		if h == r {
			return rune(0x80 + i)
		}
	}
	return '?'
}

// decode reads the first character of b in the input's encoding.
func (in textInput) decode(b []byte) (rune, int) {
	if in == inputLatin1 {
		if c := b[0]; c >= 0x80 && c < 0xA0 {
			return latin1High[c-0x80], 1
		}
		return rune(b[0]), 1
	}
	return decodeRune(b)
}

// inputOf is the encoding of text sent in the character set of collation
// id, for a value of collation coll: an error for one Strata does not
// read (gbk, sjis, cp1251, ...), whose bytes it would compare as other
// characters. A connection that takes results as they are stored
// (character_set_results binary or NULL) gets each value in its own
// collation's character set.
func inputOf(id uint16, coll string) (textInput, error) {
	charset, known := charsetOfID[id]
	if charset == "binary" {
		charset, _, _ = strings.Cut(coll, "_")
	}
	switch {
	case !known, charset == "utf8mb4", charset == "utf8mb3", charset == "utf8", charset == "ascii", charset == "binary":
		// Ids MariaDB 10.11 does not list are MariaDB 11's Unicode ones.
		return inputUTF8, nil
	case charset == "latin1":
		return inputLatin1, nil
	}
	return 0, &CollationUnknownError{Reason: fmt.Sprintf("this connection receives text in character set %s, whose bytes Strata does not read, so it does not merge rows of several shards by text: SET NAMES utf8mb4 (or latin1) for such statements, or name the shard key so one shard answers", charset)}
}
