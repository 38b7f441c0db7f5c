package sqlparse

import "strings"

// Some client character sets (big5, cp932, gbk, sjis) have two-byte
// characters whose second byte can be an ASCII byte: 表 is 0x95 0x5C in
// sjis, and 0x5C is a backslash to a reader that goes byte by byte. The
// server reads the pair as one character, so '表' is a complete string to
// it, while a byte-wise reader escapes the closing quote and reads on:
// whatever follows (a second statement, a write) is string to one and
// code to the other. Strata's parsers read bytes, so such text is masked
// before it is read: every such character is replaced by one that reads
// the same way to both (é, two bytes, a letter in names and plain content
// in strings), which keeps the statement's structure (its statements,
// strings, names, comments) as the server sees it. The values inside
// (strings, names) are then not the client's: a masked text is for
// classification only.

// Multibyte is a client character set whose two-byte characters may end
// in an ASCII byte.
type Multibyte struct {
	name       string
	head, tail func(b byte) bool
}

// Name is the character set's name.
func (m *Multibyte) Name() string { return m.name }

// The lead and trail byte ranges are MariaDB's own (strings/ctype-*.c),
// so a pair is taken as one character exactly where the server takes it.
var multibyteCharsets = map[string]*Multibyte{
	"sjis":  {name: "sjis", head: sjisHead, tail: sjisTail},
	"cp932": {name: "cp932", head: sjisHead, tail: sjisTail},
	"gbk": {name: "gbk",
		head: func(b byte) bool { return b >= 0x81 && b <= 0xfe },
		tail: func(b byte) bool { return (b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfe) }},
	"big5": {name: "big5",
		head: func(b byte) bool { return b >= 0xa1 && b <= 0xf9 },
		tail: func(b byte) bool { return (b >= 0x40 && b <= 0x7e) || (b >= 0xa1 && b <= 0xfe) }},
}

func sjisHead(b byte) bool { return (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc) }
func sjisTail(b byte) bool { return (b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfc) }

// MultibyteCharset returns the character set named (a name as SET NAMES
// takes it, any case), or nil when a byte-wise reading of its text is
// the server's: utf8mb4, latin1 and the EUC sets never put an ASCII byte
// inside a character.
func MultibyteCharset(name string) *Multibyte {
	return multibyteCharsets[strings.ToLower(strings.Trim(name, "'\"` "))]
}

// MaskedChar is what a two-byte character with an ASCII second byte
// becomes in a masked text: a value of masked facts that holds it is not
// the client's.
const MaskedChar = "\xc3\xa9" // é

const mask = MaskedChar

// Mask returns text with every two-byte character whose second byte is
// ASCII replaced by a mask, and whether there was any: when there was
// none, a byte-wise reading of text is already the server's.
func (m *Multibyte) Mask(text string) (string, bool) {
	i := m.firstASCIITrail(text)
	if i < 0 {
		return text, false
	}
	var b strings.Builder
	b.Grow(len(text) + 8)
	b.WriteString(text[:i])
	for i < len(text) {
		c := text[i]
		if i+1 < len(text) && m.head(c) && m.tail(text[i+1]) {
			if text[i+1] < 0x80 {
				b.WriteString(mask)
			} else {
				b.WriteString(text[i : i+2])
			}
			i += 2
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), true
}

// firstASCIITrail is the offset of the first character, read as the
// server reads text from the start, whose second byte is ASCII; -1 when
// there is none.
func (m *Multibyte) firstASCIITrail(text string) int {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < 0x80 || i+1 >= len(text) || !m.head(c) || !m.tail(text[i+1]) {
			continue
		}
		if text[i+1] < 0x80 {
			return i
		}
		i++ // a character of two high bytes: read as a pair
	}
	return -1
}
